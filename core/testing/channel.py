"""The channel conformance suite: what core relies on from every :class:`ChannelConnector`.

Usage, in a channel plugin's tests::

    from core.testing import channel_conformance

    class TestMyShop(channel_conformance(harness=MyShopHarness, skip={"throttling": "no rate limits"})):
        pass

Each ``test_*`` method checks one contract; its name (without ``test_``) is what ``skip`` takes.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from core.dto import (
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    ConfirmationResult,
    FulfilmentPage,
    FulfilmentUpdate,
    InventoryLevel,
    Money,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    RecordFailure,
    ShipmentConfirmation,
    ShipmentLine,
    SkuResult,
)
from core.dto import Fulfilment as FulfilmentKind
from core.errors import ChannelAuthError, ChannelError, ThrottledError
from core.testing.harness import ChannelHarness
from core.testing.suite import build_suite, check, contract, fail, no_failures, single_plugin_manager
from core.types import ChannelConnector, ChannelType, RefetchesOrders

SEED_COUNT = 12
"""Orders the paging tests ask the harness to seed (spread over at least 3 pages)."""

_PROTOCOL_METHODS = (
    "verify_credentials",
    "fetch_orders",
    "fetch_products",
    "fetch_inventory",
    "push_quantities",
    "push_prices",
    "confirm_shipments",
    "fetch_fulfilment_updates",
    "close",
)


def channel_type_of(harness: ChannelHarness, contract_name: str) -> ChannelType:
    """The channel type the harness's plugin registers under ``harness.channel_key``."""
    manager = single_plugin_manager(harness.plugin)
    types = manager.channel_types()
    no_failures(manager, contract_name)
    if harness.channel_key not in types:
        fail(
            contract_name,
            f"the plugin registers no channel type {harness.channel_key!r} from channelhub_channel_types "
            f"(it registers: {', '.join(sorted(types)) or 'none'}); set the harness's channel_key to "
            "the ChannelType.key you yield",
        )
    return types[harness.channel_key]


@contextmanager
def connected(harness: ChannelHarness, *, valid: bool = True) -> Iterator[ChannelConnector]:
    """A connector built the way core builds one (factory + context), closed afterwards."""
    channel = channel_type_of(harness, "connector")
    connector = channel.connector_factory(harness.context(channel, valid=valid))
    try:
        yield connector
    finally:
        connector.close()


def _ids(pages: Sequence[OrdersPage]) -> list[str]:
    return [order.channel_order_id for page in pages for order in page.orders]


def _fetch(connector: ChannelConnector, harness: ChannelHarness, cursor: str | None) -> list[OrdersPage]:
    return list(connector.fetch_orders(cursor, since=harness.orders_since()))


def _money_problem(where: str, value: object, currency: str | None) -> str | None:
    if not isinstance(value, Money):
        return f"{where} is {type(value).__name__}, expected core.dto.Money"
    if currency is not None and value.currency != currency:
        return f"{where} is in {value.currency} but the order is in {currency}: never convert currencies"
    return None


def order_problems(value: object) -> list[str]:
    """Everything core would trip over in one order, as sentences naming the field."""
    if not isinstance(value, ChannelOrder):
        return [f"an order is {type(value).__name__}, expected core.dto.ChannelOrder"]
    order: Any = value  # a plugin's values may break their annotations: check them at runtime
    ref = f"order {order.channel_order_id!r}"
    problems: list[str] = []
    if not isinstance(order.channel_order_id, str) or not order.channel_order_id:
        problems.append(f"{ref}: channel_order_id must be a non-empty str")
    if not isinstance(order.status, ChannelOrderStatus):
        problems.append(f"{ref}: status must be a ChannelOrderStatus, got {order.status!r}")
    if not isinstance(order.fulfilment, FulfilmentKind):
        problems.append(f"{ref}: fulfilment must be a core.dto.Fulfilment, got {order.fulfilment!r}")
    for name in ("purchase_date", "last_updated", "ship_by"):
        value = getattr(order, name)
        if name != "purchase_date" and value is None:
            continue
        if not isinstance(value, datetime) or value.tzinfo is None:
            problems.append(f"{ref}: {name} must be a timezone-aware datetime, got {value!r}")
    currency = order.currency
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        problems.append(f"{ref}: currency must be an ISO 4217 code like EUR, got {currency!r}")
    for name in ("total", "shipping_total", "tax_total"):
        value = getattr(order, name)
        if value is not None and (problem := _money_problem(f"{ref}: {name}", value, currency)):
            problems.append(problem)
    if not isinstance(order.items, tuple):
        problems.append(f"{ref}: items must be a tuple, got {type(order.items).__name__}")
    for item in order.items:
        problems.extend(_item_problems(ref, item, currency))
    return problems


def _item_problems(ref: str, value: object, currency: str) -> list[str]:
    if not isinstance(value, ChannelOrderItem):
        return [f"{ref}: an item is {type(value).__name__}, expected core.dto.ChannelOrderItem"]
    item: Any = value
    where = f"{ref} item {item.channel_item_id!r}"
    problems = []
    if not item.sku:
        problems.append(f"{where}: sku must not be empty")
    if not isinstance(item.quantity, int) or item.quantity < 0:
        problems.append(f"{where}: quantity must be an int >= 0, got {item.quantity!r}")
    for name in ("unit_price", "tax"):
        value = getattr(item, name)
        if (name == "unit_price" or value is not None) and (
            problem := _money_problem(f"{where}: {name}", value, currency)
        ):
            problems.append(problem)
    return problems


def _report(contract_name: str, problems: Sequence[str]) -> None:
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        fail(contract_name, "; ".join(problems[:5]) + more)


def _diff(first: object, second: object) -> str:
    if dataclasses.is_dataclass(first) and dataclasses.is_dataclass(second):
        changed = [
            f.name for f in dataclasses.fields(first) if getattr(first, f.name) != getattr(second, f.name)
        ]
        return ", ".join(changed)
    return "the whole value"


class ChannelConformance:
    """Base of the class :func:`channel_conformance` builds. One method per contract."""

    @contract("registration")
    def test_registration(self, channelhub_harness: ChannelHarness) -> None:
        """The plugin registers a well-formed channel type that the harness's settings fit."""
        h, name = channelhub_harness, "registration"
        channel = channel_type_of(h, name)
        check(channel.display_name, name, "ChannelType.display_name must not be empty")
        check(channel.marketplaces, name, "ChannelType.marketplaces must list at least one Marketplace")
        codes = [m.code for m in channel.marketplaces]
        check(len(set(codes)) == len(codes), name, f"marketplace codes must be unique, got {codes}")
        for market in channel.marketplaces:
            check(
                market.code == market.code.upper(),
                name,
                f"marketplace code {market.code!r} must be upper case (people type it, core upper-cases it)",
            )
            check(
                len(market.currency) == 3 and market.currency.isalpha() and market.currency.isupper(),
                name,
                f"marketplace {market.code}: currency must be an ISO 4217 code, got {market.currency!r}",
            )
        check(
            isinstance(channel.settings_model, type) and issubclass(channel.settings_model, BaseModel),
            name,
            "ChannelType.settings_model must be a pydantic BaseModel subclass",
        )
        check(
            channel.credential_fields and all(isinstance(f, str) for f in channel.credential_fields),
            name,
            "ChannelType.credential_fields must name the credentials to store encrypted",
        )
        missing = set(channel.credential_fields) - set(h.credentials(valid=True))
        check(
            not missing,
            name,
            f"harness.credentials(valid=True) lacks declared credential field(s) {sorted(missing)}",
        )
        check(callable(channel.connector_factory), name, "ChannelType.connector_factory must be callable")

    @contract("entry_point")
    def test_entry_point(self, channelhub_harness: ChannelHarness) -> None:
        """The plugin is installed under the ``channelhub`` entry point group, as core finds it."""
        h = channelhub_harness
        module = getattr(h.plugin, "__name__", None)
        found = [ep for ep in entry_points(group="channelhub") if ep.value.split(":")[0] == module]
        check(
            found,
            "entry_point",
            f"no entry point of group 'channelhub' loads {module!r}; add to your pyproject.toml:\n"
            f'[project.entry-points.channelhub]\n{h.channel_key} = "{module}"\n'
            "then reinstall the distribution (pip install -e .)",
        )
        check(
            found[0].load() is h.plugin,
            "entry_point",
            f"entry point {found[0].name!r} loads a different object than harness.plugin",
        )

    @contract("connector_protocol")
    def test_connector_protocol(self, channelhub_harness: ChannelHarness) -> None:
        """The factory returns an object with every ChannelConnector method."""
        with connected(channelhub_harness) as connector:
            missing = [m for m in _PROTOCOL_METHODS if not callable(getattr(connector, m, None))]
            check(
                not missing and isinstance(connector, ChannelConnector),
                "connector_protocol",
                f"{type(connector).__name__} lacks ChannelConnector method(s) {missing}; "
                "see core.types.ChannelConnector",
            )

    @contract("credentials_valid")
    def test_credentials_valid(self, channelhub_harness: ChannelHarness) -> None:
        """verify_credentials returns normally for credentials the channel accepts."""
        with connected(channelhub_harness) as connector:
            try:
                outcome = connector.verify_credentials()  # type: ignore[func-returns-value]
            except ChannelError as exc:
                fail(
                    "credentials_valid",
                    f"verify_credentials refused harness.credentials(valid=True): "
                    f"{type(exc).__name__}: {exc}",
                )
            check(outcome is None, "credentials_valid", "verify_credentials must return None on success")

    @contract("credentials_invalid")
    def test_credentials_invalid(self, channelhub_harness: ChannelHarness) -> None:
        """Refused credentials raise ChannelAuthError with a message that hides the secrets."""
        h, name = channelhub_harness, "credentials_invalid"
        secrets = [v for v in h.credentials(valid=False).values() if len(v) >= 4]
        calls: dict[str, Callable[[ChannelConnector], object]] = {
            "verify_credentials": lambda c: c.verify_credentials(),
            "fetch_orders": lambda c: next(iter(c.fetch_orders(None, since=h.orders_since())), None),
        }
        for what, call in calls.items():
            with connected(h, valid=False) as connector:
                try:
                    call(connector)
                except ChannelAuthError as exc:
                    check(
                        str(exc).strip(),
                        name,
                        f"{what}: ChannelAuthError needs a message a person can act on",
                    )
                    leaked = [s for s in secrets if s in str(exc)]
                    check(
                        not leaked, name, f"{what}: the ChannelAuthError message contains a credential value"
                    )
                    continue
                except Exception as exc:
                    fail(
                        name,
                        f"{what} raised {type(exc).__name__} ({exc}) for refused credentials: raise "
                        "core.errors.ChannelAuthError so core moves the integration to Error with the reason",
                    )
                fail(
                    name, f"{what} accepted harness.credentials(valid=False): it must raise ChannelAuthError"
                )

    @contract("order_paging")
    def test_order_paging(self, channelhub_harness: ChannelHarness) -> None:
        """Pages cover every order once, and each page's cursor resumes right after it."""
        h, name = channelhub_harness, "order_paging"
        seeded = list(h.seed_orders(SEED_COUNT))
        with connected(h) as connector:
            pages = _fetch(connector, h, None)
            for number, page in enumerate(pages, 1):
                check(
                    isinstance(page, OrdersPage),
                    name,
                    f"page {number} is {type(page).__name__}, expected OrdersPage",
                )
                check(
                    page.cursor is not None,
                    name,
                    f"page {number} has cursor None: core stores it and would start over from `since`; "
                    "return a cursor that resumes right after this page",
                )
            check(
                len([p for p in pages if p.orders]) >= 2,
                name,
                f"fetch_orders returned {len(_ids(pages))} orders in {len(pages)} page(s); make "
                "harness.seed_orders spread them over at least 3 pages (e.g. a small page size) "
                "so paging is tested",
            )
            seen: dict[str, int] = {}
            for number, page in enumerate(pages, 1):
                for order in page.orders:
                    if order.channel_order_id in seen:
                        fail(
                            name,
                            f"fetch_orders repeated order {order.channel_order_id} on page {number} "
                            f"(first on page {seen[order.channel_order_id]}): each page's cursor must "
                            "resume right after it",
                        )
                    seen[order.channel_order_id] = number
            missing = [i for i in seeded if i not in seen]
            check(
                not missing,
                name,
                f"fetch_orders never returned seeded order(s) {missing[:5]}: pages must not skip "
                "orders (check the page boundaries and the cursor arithmetic)",
            )
            for number, page in enumerate(pages, 1):
                expected = _ids(pages[number:])
                got = _ids(_fetch(connector, h, page.cursor))
                if sorted(got) == sorted(expected):
                    continue
                earlier = set(_ids(pages[:number]))
                repeated = [i for i in got if i in earlier]
                skipped = [i for i in expected if i not in got]
                if repeated:
                    fail(
                        name,
                        f"resuming from page {number}'s cursor {page.cursor!r} returned order(s) "
                        f"{repeated[:5]} again: the cursor must resume right after its page",
                    )
                fail(
                    name,
                    f"resuming from page {number}'s cursor {page.cursor!r} skipped order(s) "
                    f"{skipped[:5]} (or added {[i for i in got if i not in expected][:5]}): "
                    "it must yield exactly the orders of the later pages",
                )

    @contract("refetch_idempotent")
    def test_refetch_idempotent(self, channelhub_harness: ChannelHarness) -> None:
        """Fetching again from the same cursor returns the same orders (core upserts them)."""
        h, name = channelhub_harness, "refetch_idempotent"
        h.seed_orders(SEED_COUNT)
        with connected(h) as connector:
            first_pages = _fetch(connector, h, None)
            for cursor in (None, first_pages[0].cursor if first_pages else None):
                first = [o for p in _fetch(connector, h, cursor) for o in p.orders]
                second = [o for p in _fetch(connector, h, cursor) for o in p.orders]
                first_ids = [o.channel_order_id for o in first]
                second_ids = [o.channel_order_id for o in second]
                check(
                    first_ids == second_ids,
                    name,
                    f"fetching twice from cursor {cursor!r} gave different orders: {first_ids[:5]}... "
                    f"then {second_ids[:5]}...; a cursor must always mean the same position",
                )
                for a, b in zip(first, second, strict=True):
                    check(
                        a == b,
                        name,
                        f"order {a.channel_order_id} came back different on a re-fetch from cursor "
                        f"{cursor!r} (fields: {_diff(a, b)}); map orders deterministically",
                    )

    @contract("fetch_orders_by_id")
    def test_fetch_orders_by_id(self, channelhub_harness: ChannelHarness) -> None:
        """Optional (``core.types.RefetchesOrders``): named orders come back as fetch_orders maps them.

        Core uses it to retry quarantined orders. A connector without the method passes:
        its quarantined orders are retried only when the channel serves them again.
        """
        h, name = channelhub_harness, "fetch_orders_by_id"
        with connected(h) as connector:
            if not isinstance(connector, RefetchesOrders):
                return
            ids = list(h.seed_orders(3))
            listed = {o.channel_order_id: o for p in _fetch(connector, h, None) for o in p.orders}
            unknown = f"no-such-order-{uuid.uuid4().hex[:8]}"
            page = connector.fetch_orders_by_id([*ids, unknown])
        got = {o.channel_order_id: o for o in page.orders}
        for order_id in ids:
            check(order_id in got, name, f"fetch_orders_by_id did not return seeded order {order_id}")
            if order_id in listed:
                check(
                    got[order_id] == listed[order_id],
                    name,
                    f"order {order_id} maps differently by id than in fetch_orders "
                    f"(fields: {_diff(got[order_id], listed[order_id])})",
                )
        check(
            unknown not in got and unknown in {f.reference for f in page.failures},
            name,
            f"an unknown order id must come back as a RecordFailure with reference {unknown!r}",
        )

    @contract("order_dtos")
    def test_order_dtos(self, channelhub_harness: ChannelHarness) -> None:
        """Orders are typed DTOs; money is Decimal in the order's ISO currency."""
        h, name = channelhub_harness, "order_dtos"
        h.seed_orders(SEED_COUNT)
        with connected(h) as connector:
            pages = _fetch(connector, h, None)
        problems: list[str] = []
        for page in pages:
            for order in page.orders:
                problems.extend(order_problems(order))
            problems.extend(
                f"a page failure is {type(f).__name__}, expected core.dto.RecordFailure"
                for f in page.failures
                if not isinstance(f, RecordFailure)
            )
        check(_ids(pages), name, "fetch_orders returned no orders after harness.seed_orders")
        _report(name, problems)

    @contract("catalogue_dtos")
    def test_catalogue_dtos(self, channelhub_harness: ChannelHarness) -> None:
        """Products, inventory and fulfilment updates are typed DTOs; accepted SKUs are listed."""
        h, name = channelhub_harness, "catalogue_dtos"
        problems: list[str] = []
        with connected(h) as connector:
            products: list[Any] = [p for batch in connector.fetch_products() for p in batch]
            inventory: list[Any] = [i for batch in connector.fetch_inventory() for i in batch]
            fulfilment = list(connector.fetch_fulfilment_updates(None))
        for product in products:
            if not isinstance(product, ChannelProduct):
                problems.append(f"fetch_products yielded {type(product).__name__}, expected ChannelProduct")
                continue
            if product.price is not None and (
                p := _money_problem(f"product {product.sku}: price", product.price, None)
            ):
                problems.append(p)
            if product.quantity is not None and (
                not isinstance(product.quantity, int) or product.quantity < 0
            ):
                problems.append(f"product {product.sku}: quantity must be an int >= 0 or None")
        for level in inventory:
            if not isinstance(level, InventoryLevel) or not isinstance(level.quantity, int):
                problems.append(
                    f"fetch_inventory yielded {level!r}, expected InventoryLevel with an int quantity"
                )
        for page in fulfilment:
            if not isinstance(page, FulfilmentPage) or not all(
                isinstance(u, FulfilmentUpdate) for u in page.updates
            ):
                problems.append(
                    f"fetch_fulfilment_updates yielded {type(page).__name__}, expected FulfilmentPage"
                )
        listed = {p.sku for p in products if isinstance(p, ChannelProduct)}
        unlisted = [s for s in h.accepted_skus() if s not in listed]
        if unlisted:
            problems.append(
                f"fetch_products did not list accepted SKU(s) {unlisted}: it must return every listing"
            )
        _report(name, problems)

    def _check_push(
        self,
        h: ChannelHarness,
        name: str,
        what: str,
        push: Callable[[Sequence[Any]], PushResult],
        make: Callable[[str, int], Any],
    ) -> list[Any]:
        skus = list(h.accepted_skus())
        check(len(skus) >= 2, name, "harness.accepted_skus() must name at least two SKUs")
        empty = push([])
        check(
            isinstance(empty, PushResult) and not empty.results,
            name,
            f"{what}([]) must return an empty PushResult (core may send nothing), got {empty!r}",
        )
        unknown = h.unknown_sku()
        updates = [make(sku, i) for i, sku in enumerate([*skus, unknown])]
        try:
            result = push(updates)
        except Exception as exc:
            fail(
                name,
                f"{what} raised {type(exc).__name__} ({exc}) when SKU {unknown!r} was unknown: reject that "
                "SKU in its own SkuResult(ok=False, message=...) and apply the others",
            )
        check(
            isinstance(result, PushResult),
            name,
            f"{what} returned {type(result).__name__}, expected PushResult",
        )
        bad = [r for r in result.results if not isinstance(r, SkuResult)]
        check(not bad, name, f"{what}: results must be SkuResult values, got {bad[:1]}")
        reported = [r.sku for r in result.results]
        sent = [u.sku for u in updates]
        check(
            sorted(reported) == sorted(sent),
            name,
            f"{what} sent {sent} but reported {reported}: return exactly one SkuResult per SKU sent "
            "(core resends a SKU with no result and cannot tell duplicates apart)",
        )
        verdicts = {r.sku: r for r in result.results}
        refused = [f"{s} ({verdicts[s].message})" for s in skus if not verdicts[s].ok]
        check(not refused, name, f"{what}: the channel rejected accepted SKU(s) {refused}")
        check(
            not verdicts[unknown].ok and verdicts[unknown].message,
            name,
            f"{what}: unknown SKU {unknown!r} must come back ok=False with a message saying why",
        )
        return updates[:-1]

    @contract("push_quantities")
    def test_push_quantities(self, channelhub_harness: ChannelHarness) -> None:
        """One SkuResult per SKU sent; an unknown SKU is rejected alone, never raised."""
        with connected(channelhub_harness) as connector:
            self._check_push(
                channelhub_harness,
                "push_quantities",
                "push_quantities",
                connector.push_quantities,
                lambda sku, i: QuantityUpdate(sku, 3 + i),
            )

    @contract("push_prices")
    def test_push_prices(self, channelhub_harness: ChannelHarness) -> None:
        """Prices go out as Money in the marketplace currency; one SkuResult per SKU sent."""
        h = channelhub_harness
        with connected(h) as connector:
            self._check_push(
                h,
                "push_prices",
                "push_prices",
                connector.push_prices,
                lambda sku, i: PriceUpdate(sku, Money(Decimal("12.34") + i, h.currency)),
            )

    @contract("push_recorded")
    def test_push_recorded(self, channelhub_harness: ChannelHarness) -> None:
        """What a push reports as ok is what the channel now holds."""
        h, name = channelhub_harness, "push_recorded"
        skus = list(h.accepted_skus())
        quantities = {sku: 7 + i for i, sku in enumerate(skus)}
        prices = {sku: Decimal("19.99") + i for i, sku in enumerate(skus)}
        with connected(h) as connector:
            connector.push_quantities([QuantityUpdate(s, q) for s, q in quantities.items()])
            connector.push_prices([PriceUpdate(s, Money(p, h.currency)) for s, p in prices.items()])
        for sku in skus:
            held = h.recorded_quantity(sku)
            check(
                held == quantities[sku],
                name,
                f"pushed quantity {quantities[sku]} for {sku}, channel holds {held}",
            )
            price = h.recorded_price(sku)
            check(price == prices[sku], name, f"pushed price {prices[sku]} for {sku}, channel shows {price}")

    @contract("shipment_idempotent")
    def test_shipment_idempotent(self, channelhub_harness: ChannelHarness) -> None:
        """Confirming twice (the retry with possibly_sent=True) notifies the channel once."""
        h, name = channelhub_harness, "shipment_idempotent"
        h.seed_orders(SEED_COUNT)
        with connected(h) as connector:
            orders = [o for p in _fetch(connector, h, None) for o in p.orders]
            order = next(
                (
                    o
                    for o in orders
                    if o.status is ChannelOrderStatus.UNSHIPPED
                    and o.fulfilment is FulfilmentKind.MFN
                    and o.items
                ),
                None,
            )
            if order is None:
                fail(name, "harness.seed_orders must create at least one unshipped MFN order with items")
            before = h.confirmations_recorded(order.channel_order_id)
            confirmation = ShipmentConfirmation(
                channel_order_id=order.channel_order_id,
                idempotency_key=f"conformance-{uuid.uuid4().hex}",
                carrier_code="other",
                carrier_name="Conformance Post",
                service="Standard",
                tracking_number="CONF0000000001",
                ship_date=datetime.now(UTC),
                lines=tuple(ShipmentLine(i.channel_item_id, i.quantity) for i in order.items),
            )
            for attempt, sent in enumerate(
                (confirmation, dataclasses.replace(confirmation, possibly_sent=True)), 1
            ):
                results = list(connector.confirm_shipments([sent]))
                check(
                    len(results) == 1 and isinstance(results[0], ConfirmationResult),
                    name,
                    f"confirm_shipments must return one ConfirmationResult per confirmation, got {results!r}",
                )
                result = results[0]
                check(
                    result.channel_order_id == order.channel_order_id and result.ok,
                    name,
                    f"confirmation attempt {attempt} of {order.channel_order_id} failed: {result.error}",
                )
                notified = h.confirmations_recorded(order.channel_order_id) - before
                check(
                    notified == 1,
                    name,
                    f"after attempt {attempt} the channel was notified {notified} time(s) about "
                    f"{order.channel_order_id}, expected 1: with possibly_sent=True ask the channel "
                    "whether the order is already confirmed before sending again",
                )
            check(
                result.already_confirmed,
                name,
                "the retry with possibly_sent=True found the order confirmed but did not say so: "
                "return ConfirmationResult(..., ok=True, already_confirmed=True)",
            )

    @contract("throttling")
    def test_throttling(self, channelhub_harness: ChannelHarness) -> None:
        """A throttled channel surfaces as core.errors.ThrottledError, never as a generic error."""
        h, name = channelhub_harness, "throttling"
        calls: Mapping[str, Callable[[ChannelConnector], object]] = {
            "verify_credentials": lambda c: c.verify_credentials(),
            "fetch_orders": lambda c: next(iter(c.fetch_orders(None, since=h.orders_since())), None),
            "push_quantities": lambda c: c.push_quantities([QuantityUpdate(h.accepted_skus()[0], 1)]),
        }
        for what, call in calls.items():
            with connected(h) as connector, h.throttled():
                try:
                    call(connector)
                except ThrottledError:
                    continue
                except Exception as exc:
                    fail(
                        name,
                        f"{what} raised {type(exc).__name__} ({exc}) while the channel throttled: raise "
                        "core.errors.ThrottledError once your retries run out, so core retries later",
                    )
                fail(
                    name,
                    f"{what} returned normally while harness.throttled() was active: make the channel "
                    "answer 429 (or its equivalent) to every request inside that context",
                )


def channel_conformance(
    *,
    harness: type[ChannelHarness] | Callable[[], ChannelHarness],
    skip: Mapping[str, str] | None = None,
) -> type:
    """A test base class checking every channel contract against ``harness``.

    ``skip`` maps contract names (``test_<name>`` methods of :class:`ChannelConformance`) to
    the reason for opting out; unknown names and empty reasons raise ConformanceConfigError.
    """
    return build_suite(ChannelConformance, "channel", harness, ChannelHarness, skip)
