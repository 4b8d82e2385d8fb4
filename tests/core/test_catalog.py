"""Stock and price edits reach the outbox in the same transaction, as available quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import OrderStatus, OutboxEntry, OutboxKind, Product
from core.dto import Fulfilment
from core.errors import InputError, NotFoundError
from core.services import catalog
from core.services.prices import parse_price
from tests.core import factories


def outbox(session: Session) -> list[tuple[int, str, str, int | None, Decimal | None]]:
    rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
    return [(r.integration_id, r.kind.value, r.sku, r.quantity, r.price) for r in rows]


def pushed(session: Session, integration_id: int, *skus: str) -> dict[str, int | None]:
    return {sku: q.quantity for sku, q in catalog.quantities_to_push(session, integration_id, skus).items()}


def test_stock_edit_queues_every_mfn_listing_and_the_push_sends_available(session: Session) -> None:
    uk, de = factories.integration(session, "uk"), factories.integration(session, "de")
    product = factories.product(session, "MUG", stock=5)
    factories.listing(session, product, uk)
    factories.listing(session, product, de)
    fba = factories.integration(session, "fba")
    factories.listing(session, product, fba, Fulfilment.FBA)
    factories.order(session, uk, "O-1", items=((product, 2),))
    factories.order(session, de, "O-2", items=((product, 1),), status=OrderStatus.SHIPPED)

    catalog.set_stock(session, "MUG", 4)
    session.commit()

    # rows say "due"; the value is computed when the push runs, never stored at queue time
    assert outbox(session) == [(uk.id, "quantity", "MUG", None, None), (de.id, "quantity", "MUG", None, None)]
    # 4 on hand - 2 committed to the unshipped UK order; shipped units are no longer committed
    assert pushed(session, uk.id, "MUG") == pushed(session, de.id, "MUG") == {"MUG": 2}
    assert catalog.quantities_to_push(session, fba.id, ["MUG"])["MUG"] == catalog.SKIP_FBA


def test_available_never_goes_below_zero(session: Session) -> None:
    uk = factories.integration(session)
    product = factories.product(session, "MUG", stock=3)
    factories.listing(session, product, uk)
    factories.order(session, uk, items=((product, 3),))
    catalog.set_stock(session, "MUG", 1)
    assert pushed(session, uk.id, "MUG") == {"MUG": 0}


def test_unknown_and_adopted_stock_push_nothing_and_excluded_pushes_zero(session: Session) -> None:
    uk = factories.integration(session)
    unknown = factories.product(session, "UNKNOWN", stock=None)
    adopted = factories.product(session, "ADOPTED", stock=7, stock_source="channel")
    owned = factories.product(session, "OWNED", stock=7, stock_source="hub")
    for p in (unknown, adopted, owned):
        factories.listing(session, p, uk)
    due = catalog.quantities_to_push(session, uk.id, ["UNKNOWN", "ADOPTED", "OWNED", "GONE"])
    assert due == {
        "UNKNOWN": catalog.SKIP_UNKNOWN,
        "ADOPTED": catalog.SKIP_ADOPTED,
        "OWNED": catalog.PushQuantity(7),
        "GONE": catalog.SKIP_UNLISTED,
    }
    assert catalog.set_exclusions(session, uk.id, [unknown.id, owned.id]) == 2
    assert pushed(session, uk.id, "UNKNOWN", "OWNED") == {"UNKNOWN": 0, "OWNED": 0}
    assert catalog.set_exclusions(session, uk.id, [unknown.id]) == 1  # OWNED no longer excluded
    assert pushed(session, uk.id, "UNKNOWN", "OWNED") == {"UNKNOWN": 0, "OWNED": 7}
    # each change of side queued the listing again: two for the first verdict, one for the second
    assert sorted(r[2] for r in outbox(session)) == ["OWNED", "OWNED", "UNKNOWN"]


def test_adoption_takes_unknown_stock_and_the_lower_of_two_channels_never_hub_stock(
    session: Session,
) -> None:
    new = factories.product(session, "NEW", stock=None)
    adopted = factories.product(session, "ADOPTED", stock=9, stock_source="channel")
    owned = factories.product(session, "OWNED", stock=9, stock_source="hub")
    result = catalog.adopt_stock(session, {new.id: 4, adopted.id: 5, owned.id: 1}, first_import=True)
    assert (result.adopted, result.conflicts) == (["NEW"], ["ADOPTED"])
    session.expire_all()
    assert [(p.stock_on_hand, p.stock_source) for p in (new, adopted, owned)] == [
        (4, "channel"),
        (5, "channel"),
        (9, "hub"),
    ]
    # a later import of an integration never touches what the hub already holds
    later = catalog.adopt_stock(session, {adopted.id: 1}, first_import=False)
    assert (later.adopted, later.conflicts) == ([], [])
    session.expire_all()
    assert adopted.stock_on_hand == 5


def test_stock_set_takes_ownership_of_adopted_stock(session: Session) -> None:
    uk = factories.integration(session)
    product = factories.product(session, "MUG", stock=40, stock_source="channel")
    factories.listing(session, product, uk)
    catalog.set_stock(session, "MUG", 12)
    assert product.stock_source == "hub" and pushed(session, uk.id, "MUG") == {"MUG": 12}


def test_bad_stock_input_names_the_field_and_keeps_the_stored_value(session: Session) -> None:
    factories.product(session, "MUG", stock=3)
    session.commit()
    with pytest.raises(InputError, match="quantity: must be 0 or more, got -1"):
        catalog.set_stock(session, "MUG", -1)
    with pytest.raises(NotFoundError, match="no product with SKU 'NOPE'"):
        catalog.set_stock(session, "NOPE", 1)
    session.rollback()
    assert session.scalar(select(Product.stock_on_hand)) == 3
    assert outbox(session) == []


def test_price_edit_queues_a_price_row_per_listing(session: Session) -> None:
    uk, de = factories.integration(session, "uk"), factories.integration(session, "de")
    product = factories.product(session, "MUG")
    factories.listing(session, product, uk)
    factories.listing(session, product, de)
    catalog.set_price(session, "MUG", Decimal("12.49"), integration_ids=[de.id])
    assert outbox(session) == [(de.id, OutboxKind.PRICE.value, "MUG", None, Decimal("12.49"))]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "amount: must be more than 0, got -1"),
        ("0", "amount: must be more than 0, got 0"),
        ("12.499", "amount: GBP has 2 decimal\\(s\\), got 12.499"),
        ("1e9", "amount: must be at most 1000000"),
        ("twelve", "amount: must be a number like 12.99, got 'twelve'"),
        ("NaN", "amount: must be a number like 12.99"),
    ],
)
def test_a_bad_price_is_refused_at_input_and_queues_nothing(
    session: Session, amount: str, message: str
) -> None:
    uk = factories.integration(session)
    factories.listing(session, factories.product(session, "MUG"), uk)
    with pytest.raises(InputError, match=message):
        catalog.set_price(session, "MUG", amount)
    assert outbox(session) == []


def test_price_decimals_follow_the_currency() -> None:
    assert parse_price("rrp", "1200", "JPY") == Decimal(1200)
    assert parse_price("rrp", "12.500", "KWD") == Decimal("12.500")
    assert parse_price("rrp", "12.50", "EUR") == Decimal("12.50")  # trailing zero is not a decimal
    with pytest.raises(InputError, match="rrp: JPY has 0 decimal"):
        parse_price("rrp", "1200.5", "JPY")
    with pytest.raises(InputError, match="currency: must be a 3-letter ISO 4217 code"):
        parse_price("rrp", "1", "EURO")
