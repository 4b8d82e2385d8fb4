"""Where Amazon's published SP-API models are, for tests that validate against them.

A copy (Apache 2.0, see models/LICENSE and models/NOTICE) ships in ``tests/amazon/models`` so
the checks run on any clean checkout; ``CHANNELHUB_AMAZON_MODELS`` points at another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MODELS = Path(os.environ.get("CHANNELHUB_AMAZON_MODELS") or Path(__file__).with_name("models"))

needs_models = pytest.mark.skipif(
    not (MODELS / "orders_2026-01-01.json").is_file(),
    reason=f"Amazon SP-API models not found at {MODELS} (set CHANNELHUB_AMAZON_MODELS)",
)
