"""The operations table matches Amazon's published models (paths, methods, usage plans)."""

from __future__ import annotations

import json
import re

import pytest

from plugins.amazon.operations import OPERATIONS, Operation, operation
from tests.amazon.models import MODELS, needs_models

PLAN_ROW = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")


@needs_models
@pytest.mark.parametrize("op", OPERATIONS.values(), ids=lambda op: op.key)
def test_operation_matches_model(op: Operation) -> None:
    model = json.loads((MODELS / op.model).read_text())
    spec = model["paths"][op.path][op.method.lower()]
    assert spec["operationId"] == op.operation_id
    match = PLAN_ROW.search(spec["description"])
    assert match, f"{op.key}: no usage plan table in the model description"
    assert (float(match[1]), int(match[2])) == (op.plan.rate, op.plan.burst)


def test_unknown_operation_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"orders\.searchOrders"):
        operation("orders.searchOrder")
