"""The marketplace table: complete, consistent, and matching the ids in Amazon's models."""

from __future__ import annotations

import re

from plugins.amazon.marketplaces import BY_CODE, BY_ID, MARKETPLACES, REGIONS
from plugins.amazon.sandbox.catalog import MARKETPLACES as SANDBOX_MARKETPLACES
from tests.amazon.models import MODELS, needs_models

REQUIRED = [
    "UK",
    "DE",
    "ES",
    "FR",
    "IT",
    "NL",
    "PL",
    "SE",
    "BE",
    "IE",
    "TR",
    "EG",
    "SA",
    "AE",
    "IN",
    "ZA",
    "US",
    "CA",
    "MX",
    "BR",
    "JP",
    "AU",
    "SG",
]


def test_every_required_marketplace_is_listed_once() -> None:
    assert set(REQUIRED) <= set(BY_CODE)
    assert len(BY_CODE) == len(BY_ID) == len(MARKETPLACES)


def test_rows_are_consistent() -> None:
    for m in MARKETPLACES:
        assert m.region in REGIONS, m
        assert re.fullmatch(r"A[0-9A-Z]{8,13}", m.channel_id), m
        assert re.fullmatch(r"[A-Z]{3}", m.currency) and re.fullmatch(r"[A-Z]{2}", m.country_code), m
    assert BY_CODE["UK"].country_code == "GB" and BY_CODE["UK"].currency == "GBP"
    assert {m.code for m in MARKETPLACES if m.region == "FE"} == {"JP", "AU", "SG"}


def test_the_sandbox_uses_the_same_ids() -> None:
    for sandbox in SANDBOX_MARKETPLACES:
        real = BY_ID[sandbox.marketplace_id]
        assert (real.country_code, real.currency) == (sandbox.country_code, sandbox.currency)


@needs_models
def test_marketplace_ids_in_the_models_are_known() -> None:
    text = " ".join(p.read_text() for p in MODELS.glob("*.json"))
    ids = set(re.findall(r'"(A[0-9A-Z]{8,13})"', text)) - {"AXXXXXXXXXXXX"}
    assert ids and ids <= set(BY_ID), ids - set(BY_ID)
