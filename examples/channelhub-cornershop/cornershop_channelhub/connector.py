"""The Cornershop connector: the shop's REST API mapped to channelhub's DTOs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from core.api import (
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    ConfirmationResult,
    ConnectorContext,
    Fulfilment,
    FulfilmentPage,
    InventoryLevel,
    Money,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    RecordFailure,
    ShipmentConfirmation,
    SkuResult,
    ThrottledError,
    TransientChannelError,
)

STATUSES = {
    "paid": ChannelOrderStatus.UNSHIPPED,
    "shipped": ChannelOrderStatus.SHIPPED,
    "cancelled": ChannelOrderStatus.CANCELLED,
}


class CornershopConnector:
    """One integration's connection; the cursor is the shop's ``after`` offset."""

    def __init__(self, context: ConnectorContext) -> None:
        settings: Any = context.settings
        self.currency = context.marketplace.currency
        self.client = httpx.Client(
            base_url=settings.base_url,
            headers={"Authorization": f"Bearer {context.credentials['api_key']}"},
            timeout=settings.timeout_seconds,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise TransientChannelError(f"cornershop unreachable: {exc}", operation=path) from exc
        if response.status_code in (401, 403):
            raise ChannelAuthError(
                "cornershop refused the API key", code=str(response.status_code), operation=path
            )
        if response.status_code == 429:
            raise ThrottledError("cornershop is throttling requests", code="429", operation=path)
        if response.status_code >= 500:
            raise TransientChannelError(f"cornershop answered {response.status_code}", operation=path)
        if response.status_code >= 400:
            raise ChannelError(
                f"cornershop answered {response.status_code}",
                code=str(response.status_code),
                operation=path,
            )
        return response.json()

    def verify_credentials(self) -> None:
        self._call("GET", "/me")

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[OrdersPage]:
        after = cursor or "0"
        while True:
            body = self._call("GET", "/orders", params={"after": after})
            if not body["orders"]:
                return
            orders, failures = self._map(body["orders"])
            after = body["next"]
            yield OrdersPage(orders, after, failures)

    def fetch_orders_by_id(self, channel_order_ids: Sequence[str]) -> OrdersPage:
        """Quarantined orders, asked for again one by one (``core.api.RefetchesOrders``)."""
        raws, missing = [], []
        for order_id in channel_order_ids:
            try:
                raws.append(self._call("GET", f"/orders/{order_id}")["order"])
            except ChannelError as exc:
                if exc.code != "404":
                    raise
                missing.append(RecordFailure(order_id, "order: not found on the shop"))
        orders, failures = self._map(raws)
        return OrdersPage(orders, None, [*failures, *missing])

    def _map(self, raws: Sequence[dict[str, Any]]) -> tuple[list[ChannelOrder], list[RecordFailure]]:
        """Map each order on its own; a bad one names the exception, never a value, and
        carries the raw order for core's quarantine."""
        orders, failures = [], []
        for raw in raws:
            try:
                orders.append(self._order(raw))
            except (KeyError, ValueError, ChannelError) as exc:
                problem = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
                failures.append(RecordFailure(str(raw.get("id", "?")), f"cannot map order: {problem}", raw))
        return orders, failures

    def _order(self, raw: dict[str, Any]) -> ChannelOrder:
        currency = raw["currency"]
        return ChannelOrder(
            channel_order_id=raw["id"],
            status=STATUSES[raw["status"]],
            fulfilment=Fulfilment.MFN,
            purchase_date=datetime.fromisoformat(raw["placed_at"]),
            last_updated=datetime.fromisoformat(raw["placed_at"]),
            currency=currency,
            total=Money(Decimal(raw["total"]), currency),
            items=tuple(
                ChannelOrderItem(
                    channel_item_id=line["id"],
                    sku=line["sku"],
                    quantity=int(line["qty"]),
                    unit_price=Money(Decimal(line["price"]), currency),
                )
                for line in raw["lines"]
            ),
        )

    def fetch_products(self) -> Iterator[Sequence[ChannelProduct]]:
        rows = self._call("GET", "/products")["products"]
        yield [
            ChannelProduct(
                sku=row["sku"],
                fulfilment=Fulfilment.MFN,
                quantity=row["stock"],
                price=Money(Decimal(row["price"]), self.currency) if row["price"] is not None else None,
            )
            for row in rows
        ]

    def fetch_inventory(self) -> Iterator[Sequence[InventoryLevel]]:
        """Cornershop holds no stock of its own."""
        yield from ()

    def _push(self, path: str, rows: list[dict[str, Any]]) -> PushResult:
        if not rows:
            return PushResult(())
        results = self._call("POST", path, json=rows)["results"]
        return PushResult(tuple(SkuResult(r["sku"], r["ok"], r.get("error")) for r in results))

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        return self._push("/stock", [{"sku": u.sku, "value": u.quantity} for u in updates])

    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        return self._push("/prices", [{"sku": u.sku, "value": str(u.price.amount)} for u in updates])

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        results = []
        for c in confirmations:
            path = f"/orders/{c.channel_order_id}/shipment"
            if c.possibly_sent and self._call("GET", path)["shipped"]:
                results.append(ConfirmationResult(c.channel_order_id, True, already_confirmed=True))
                continue
            self._call(
                "POST",
                path,
                json={"carrier": c.carrier_name or c.carrier_code, "tracking": c.tracking_number},
            )
            results.append(ConfirmationResult(c.channel_order_id, True))
        return results

    def fetch_fulfilment_updates(self, cursor: str | None) -> Iterator[FulfilmentPage]:
        """Cornershop does not ship orders itself."""
        yield from ()

    def close(self) -> None:
        self.client.close()
