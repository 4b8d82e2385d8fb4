"""The Amazon ``ChannelConnector``: one marketplace integration over the SP-API client.

How each contract maps to SP-API (see DESIGN.md section 4 for the pitfalls avoided):

- orders: searchOrders with items inline (never getOrderItems per order), by last update,
  ``MERCHANT``/``AMAZON`` as the integration imports; a cursor per page so a crash resumes
  on the page after the last committed one; buyer data through a Restricted Data Token,
  and where Amazon refuses one, orders import without buyer data (logged once per run); an
  incremental poll yields to other imports of the same seller that wait for the searchOrders
  budget (a first import of another marketplace) for up to ``POLL_DEFERRALS`` intervals;
- products: the merchant listings report (a CANCELLED report is simply "no rows");
- inventory: FBA inventory summaries (read-only stock);
- quantities and prices: JSON_LISTINGS_FEED feeds, separate, at most 25,000 messages each,
  verdicts per SKU from the processing report;
- shipments: Orders v0 confirmShipment, one call per order; a confirmation that may have
  been sent before (a recovered claim, or an answer lost on the way back) is first checked
  with getOrder so Amazon is never told twice;
- createFeed whose answer was lost is looked up with getFeeds before it is sent again;
- MCF: listAllFulfillmentOrders since the cursor, with shipments for tracking.
"""

from __future__ import annotations

import csv
import io
import json
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx

from core.api import (
    ChannelError,
    ChannelProduct,
    ConfirmationResult,
    ConnectorContext,
    FulfilmentPage,
    FulfilmentUpdate,
    InputError,
    InventoryLevel,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    RecordFailure,
    ShipmentConfirmation,
    TransientChannelError,
    get_logger,
)
from plugins.amazon import feeds, mapping
from plugins.amazon.auth import LwaCredentials, LwaTokens
from plugins.amazon.client import (
    TIMEOUT,
    AmazonAuthError,
    AmazonError,
    AmazonInputError,
    AmazonNotFoundError,
    AmazonOutcomeUnknownError,
    AmazonThrottledError,
    BudgetInUse,
    SpApiClient,
)
from plugins.amazon.marketplaces import LWA_TOKEN_URL, region_of
from plugins.amazon.ratelimit import UNLIMITED, limiter_for
from plugins.amazon.settings import AmazonSettings

log = get_logger(__name__)

SEARCH_ORDERS_PATH = "/orders/2026-01-01/orders"
LISTINGS_REPORT = "GET_MERCHANT_LISTINGS_ALL_DATA"
PRODUCT_BATCH = 1_000
POLL_DEFERRALS = 3
"""Intervals in a row an incremental orders poll may skip while the seller's searchOrders
budget is in use by others. At the real plan one page per 178 s is the whole budget of a
seller's marketplaces in a region: two marketplaces polling every 10 minutes spend 60% of it,
and polls that always queued would leave a third one's first import 40% of the plan's pace."""
MCF_TRACKED = frozenset({"COMPLETE", "COMPLETE_PARTIALLED", "PROCESSING", "UNFULFILLABLE", "CANCELLED"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def tls_context() -> ssl.SSLContext:
    """The certificate-verifying TLS context every connector's HTTP client shares.

    Building one loads the whole CA bundle (~55 ms); a connector is built per stream run and
    per worker job, so a fresh context each time cost more than a page of orders.
    An ``SSLContext`` is safe to share between threads and clients.
    """
    return httpx.create_ssl_context()


class AmazonConnector:
    """One Amazon marketplace integration."""

    def __init__(
        self,
        context: ConnectorContext,
        *,
        sleep: Callable[[float], None] = time.sleep,
        poll_limit: float = 3600.0,
    ) -> None:
        settings = context.settings
        assert isinstance(settings, AmazonSettings)
        self.settings = settings
        self.marketplace = context.marketplace
        region = region_of(context.marketplace)
        endpoint = settings.endpoint or region.host
        token_url = settings.lwa_endpoint or (
            f"{endpoint.rstrip('/')}/auth/o2/token" if settings.endpoint else LWA_TOKEN_URL
        )
        http = httpx.Client(timeout=TIMEOUT, verify=tls_context())
        self.client = SpApiClient(
            endpoint=endpoint,
            seller_id=settings.seller_id,
            region=region.code,
            tokens=LwaTokens(http, token_url, LwaCredentials.from_secrets(context.credentials)),
            limiter=limiter_for(context.redis_url) if settings.pace_requests else UNLIMITED,
            http=http,
            sleep=sleep,
        )
        self._sleep = sleep
        self._poll_limit = poll_limit

    def close(self) -> None:
        self.client.close()

    # -- credentials -----------------------------------------------------------------------

    def verify_credentials(self) -> None:
        """One cheap authenticated call: LWA must accept the refresh token, SP-API the seller."""
        self.client.call(
            "listingsItems.searchListingsItems",
            path_params={"sellerId": self.settings.seller_id},
            params={"marketplaceIds": self.marketplace.channel_id, "pageSize": 1},
        )

    # -- orders ----------------------------------------------------------------------------

    def _buyer_data_token(self) -> str | None:
        path = f"{SEARCH_ORDERS_PATH}?marketplaceIds={self.marketplace.channel_id}"
        try:
            return self.client.restricted_data_token(path, ["buyerInfo", "shippingAddress"])
        except AmazonAuthError as exc:
            log.warning(
                "Amazon refused buyer data for this marketplace; orders import without it",
                marketplace=self.marketplace.code,
                reason=str(exc),
            )
            return None

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[OrdersPage]:
        """Pages of orders updated since the cursor; each page's cursor resumes after it."""
        state = json.loads(cursor) if cursor else {"after": _iso(since)}
        rdt = self._buyer_data_token()
        included = ["FULFILLMENT", "PROCEEDS"] + (["BUYER", "RECIPIENT"] if rdt else [])
        fulfilled_by = [{"mfn": "MERCHANT", "fba": "AMAZON"}[f] for f in self.settings.orders]
        params: dict[str, Any] = {
            "marketplaceIds": self.marketplace.channel_id,
            "lastUpdatedAfter": state["after"],
            "includedData": ",".join(included),
            "fulfilledBy": ",".join(fulfilled_by),
            "maxResultsPerPage": 100,
        }
        if state.get("before"):
            params["lastUpdatedBefore"] = state["before"]
        token: str | None = state.get("token")
        deferred = int(state.get("deferred", 0))
        polite = cursor is not None and token is None and deferred < POLL_DEFERRALS
        seen: set[str] = set()
        while True:
            try:
                page = self.client.search_orders_page(params, token, rdt, unless_busy=polite)
            except BudgetInUse:  # others wait for the budget: this poll waits for its next run
                log.info("orders poll deferred: seller's budget in use", marketplace=self.marketplace.code)
                yield OrdersPage([], json.dumps({"after": state["after"], "deferred": deferred + 1}), [])
                return
            except AmazonInputError:
                if token is None:
                    raise
                log.warning(
                    "stale pagination token; searching the window again", marketplace=self.marketplace.code
                )
                token = None
                continue
            polite = False
            window_end = page.get("lastUpdatedBefore") or params.get("lastUpdatedBefore")
            params["lastUpdatedBefore"] = window_end
            token = (page.get("pagination") or {}).get("nextToken")
            if token in seen:
                log.warning(
                    "Amazon repeated a pagination token; ending this search",
                    marketplace=self.marketplace.code,
                )
                token = None
            orders, failures = self._map_orders(page.get("orders") or [])
            if token:
                seen.add(token)
                next_cursor = {"after": state["after"], "before": window_end, "token": token}
            else:
                next_cursor = {"after": window_end or state["after"]}
            yield OrdersPage(orders, json.dumps(next_cursor), failures)
            if not token:
                return

    def _map_orders(self, raw_orders: Sequence[Any]) -> tuple[list[Any], list[RecordFailure]]:
        orders, failures = [], []
        for raw in raw_orders:
            if not isinstance(raw, dict):
                failures.append(RecordFailure("<no orderId>", "order: is not an object"))
                continue
            try:
                orders.append(mapping.to_channel_order(raw, self.marketplace.currency))
            except InputError as exc:
                failures.append(RecordFailure(str(raw.get("orderId") or "<no orderId>"), str(exc), raw))
        return orders, failures

    def fetch_orders_by_id(self, channel_order_ids: Sequence[str]) -> OrdersPage:
        """getOrder for each quarantined order, with buyer data when Amazon grants it.

        The Restricted Data Token is per path, so each order asks for its own; an order that
        Amazon no longer has (404) comes back as a failure and stays quarantined.
        """
        included = ["FULFILLMENT", "PROCEEDS"]
        orders: list[Any] = []
        failures: list[RecordFailure] = []
        for order_id in channel_order_ids:
            path = f"{SEARCH_ORDERS_PATH}/{order_id}"
            try:
                rdt: str | None = self.client.restricted_data_token(path, ["buyerInfo", "shippingAddress"])
            except AmazonAuthError:
                rdt = None
            try:
                body = self.client.get_order(
                    order_id, (*included, *(["BUYER", "RECIPIENT"] if rdt else [])), access_token=rdt
                )
            except AmazonError as exc:  # 400/404: no such order (any more), keep it quarantined
                failures.append(RecordFailure(order_id, f"order: Amazon did not return it ({exc.code})"))
                continue
            mapped, bad = self._map_orders([body.get("order", body)])
            orders.extend(mapped)
            failures.extend(RecordFailure(order_id, f.reason, f.payload) for f in bad)
        return OrdersPage(orders, None, failures)

    # -- products and inventory ------------------------------------------------------------

    def _report_rows(self, report_type: str) -> list[dict[str, str]]:
        report_id = self.client.create_report(report_type, [self.marketplace.channel_id])
        report = self._poll(lambda: self.client.get_report(report_id), "report")
        if report["processingStatus"] == "CANCELLED":
            return []  # Amazon cancels a report that would be empty: no rows, not a failure
        if report["processingStatus"] != "DONE":
            raise ChannelError(
                f"merchant listings report ended {report['processingStatus']}", operation="reports"
            )
        document = self.client.get_report_document(report["reportDocumentId"])
        raw = self.client.download(document["url"])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")  # Amazon's European reports are Windows-1252
        return list(csv.DictReader(io.StringIO(text), delimiter="\t"))

    def fetch_products(self) -> Iterator[Sequence[ChannelProduct]]:
        batch: list[ChannelProduct] = []
        for row in self._report_rows(LISTINGS_REPORT):
            try:
                batch.append(mapping.to_channel_product(row, self.marketplace.currency))
            except InputError as exc:
                log.warning("listing row skipped", reason=str(exc))
            if len(batch) >= PRODUCT_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def fetch_inventory(self) -> Iterator[Sequence[InventoryLevel]]:
        if "fba" not in self.settings.inventory:
            return
        for page in self.client.inventory_summaries(self.marketplace.channel_id):
            summaries = (page.get("payload") or {}).get("inventorySummaries") or []
            yield [mapping.to_inventory_level(s) for s in summaries if s.get("sellerSku")]

    # -- outbound --------------------------------------------------------------------------

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        return self._push(
            updates,
            lambda chunk: feeds.quantity_feed(self.settings.seller_id, chunk, self.settings.handling_days),
        )

    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        wrong = [u for u in updates if u.price.currency != self.marketplace.currency]
        if wrong:
            raise InputError(
                "currency",
                f"{wrong[0].sku} is priced in {wrong[0].price.currency}; {self.marketplace.code} sells in "
                f"{self.marketplace.currency}",
            )
        return self._push(
            updates,
            lambda chunk: feeds.price_feed(self.settings.seller_id, self.marketplace.channel_id, chunk),
        )

    def _push(
        self, updates: Sequence[Any], build: Callable[[Sequence[Any]], feeds.FeedDocument]
    ) -> PushResult:
        results: list[Any] = []
        feed_ids: list[str] = []
        for chunk in feeds.chunks(list(updates)):
            document = build(chunk)
            upload = self.client.create_feed_document(feeds.CONTENT_TYPE)
            self.client.upload(upload["url"], document.body, feeds.CONTENT_TYPE)
            feed_id = self._create_feed(upload["feedDocumentId"], known=set(feed_ids))
            feed_ids.append(feed_id)
            feed = self._poll(lambda feed_id=feed_id: self.client.get_feed(feed_id), "feed")  # type: ignore[misc]
            if feed["processingStatus"] != "DONE" or not feed.get("resultFeedDocumentId"):
                raise TransientChannelError(
                    f"feed {feed_id} ended {feed['processingStatus']}", operation="feeds"
                )
            result_document = self.client.get_feed_document(feed["resultFeedDocumentId"])
            report = json.loads(self.client.download(result_document["url"]))
            results.extend(feeds.results(document, report))
        return PushResult(tuple(results), ",".join(feed_ids) or None)

    def _create_feed(self, document_id: str, known: set[str]) -> str:
        """createFeed; when its answer was lost, getFeeds says whether Amazon has it already.

        Only this integration's outbound stream (one runner at a time, under its lease) creates
        listings feeds for this marketplace, so a feed of ours created since just before the
        call is the one whose answer we missed. Amazon's clock may differ from ours by a few
        seconds: the window opens a little earlier, and feeds of this push are left out.
        """
        marketplaces = [self.marketplace.channel_id]
        since = _iso(datetime.now(UTC) - timedelta(seconds=10))
        try:
            return self.client.create_feed(feeds.FEED_TYPE, marketplaces, document_id)
        except AmazonOutcomeUnknownError:
            found = [
                f
                for f in self.client.get_feeds(feeds.FEED_TYPE, marketplaces, since)
                if f["feedId"] not in known
            ]
            if found:
                log.info("createFeed answer lost; Amazon has the feed", feed_id=found[0]["feedId"])
                return str(found[0]["feedId"])
        return self.client.create_feed(feeds.FEED_TYPE, marketplaces, document_id)  # Amazon has none

    def _poll(self, fetch: Callable[[], dict[str, Any]], what: str) -> dict[str, Any]:
        """Wait for a feed or report to finish, backing off from 1 s to 30 s."""
        delay, waited = 1.0, 0.0
        while True:
            current = fetch()
            if current["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
                return current
            if waited > self._poll_limit:
                raise TransientChannelError(
                    f"Amazon {what} still {current['processingStatus']} after {waited:.0f}s"
                )
            self._sleep(delay)
            waited += delay
            delay = min(delay * 2, 30.0)

    # -- shipments -------------------------------------------------------------------------

    def _already_confirmed(self, confirmation: ShipmentConfirmation) -> bool:
        order = self.client.get_order(confirmation.channel_order_id, ("FULFILLMENT", "PACKAGES"))
        body = order.get("order", order)
        status = (body.get("fulfillment") or {}).get("fulfillmentStatus")
        packages = body.get("packages") or []
        mine = any(p.get("packageReferenceId") == confirmation.idempotency_key for p in packages)
        return bool(mine or status == "SHIPPED")

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        results: list[ConfirmationResult] = []
        throttled = False
        for confirmation in confirmations:
            order_id = confirmation.channel_order_id
            if throttled:
                results.append(
                    ConfirmationResult(order_id, False, "not sent: Amazon is throttling; retried later")
                )
                continue
            try:
                if confirmation.possibly_sent and self._already_confirmed(confirmation):
                    results.append(ConfirmationResult(order_id, True, already_confirmed=True))
                    continue
                results.append(self._confirm(confirmation))
            except AmazonThrottledError as exc:
                throttled = True
                results.append(ConfirmationResult(order_id, False, str(exc)))
            except (AmazonInputError, AmazonNotFoundError) as exc:  # an unknown order is a 404
                results.append(ConfirmationResult(order_id, False, str(exc), permanent=True))
            except TransientChannelError as exc:
                results.append(ConfirmationResult(order_id, False, str(exc)))
        return results

    def _confirm(self, confirmation: ShipmentConfirmation) -> ConfirmationResult:
        """confirmShipment; when its answer was lost, getOrder says whether Amazon has it.

        A second lost answer propagates (as a transient error): the notice is then queued as
        possibly sent, and its next attempt asks Amazon first again.
        """
        order_id = confirmation.channel_order_id
        body = self._confirmation_body(confirmation)
        try:
            self.client.confirm_shipment(order_id, body)
            return ConfirmationResult(order_id, True)
        except AmazonOutcomeUnknownError:
            if self._already_confirmed(confirmation):
                return ConfirmationResult(order_id, True, already_confirmed=True)
        self.client.confirm_shipment(order_id, body)  # Amazon does not have it: send it, once more
        return ConfirmationResult(order_id, True)

    def _confirmation_body(self, confirmation: ShipmentConfirmation) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "packageReferenceId": confirmation.idempotency_key,
            "carrierCode": confirmation.carrier_code,
            "shipDate": _iso(confirmation.ship_date),
            "orderItems": [
                {"orderItemId": line.channel_item_id, "quantity": line.quantity}
                for line in confirmation.lines
            ],
        }
        if confirmation.carrier_name:
            detail["carrierName"] = confirmation.carrier_name
        if confirmation.service:
            detail["shippingMethod"] = confirmation.service
        detail["trackingNumber"] = confirmation.tracking_number or ""
        return {"marketplaceId": self.marketplace.channel_id, "packageDetail": detail}

    # -- MCF -------------------------------------------------------------------------------

    def fetch_fulfilment_updates(self, cursor: str | None) -> Iterator[FulfilmentPage]:
        start = cursor or _iso(datetime.now(UTC) - timedelta(days=self.settings.history_days))
        latest = start
        pages = list(self.client.fulfillment_orders(start))
        for n, page in enumerate(pages):
            updates: list[FulfilmentUpdate] = []
            for order in (page.get("payload") or {}).get("fulfillmentOrders") or []:
                latest = max(latest, str(order.get("statusUpdatedDate") or latest))
                if order.get("fulfillmentOrderStatus") not in MCF_TRACKED:
                    continue
                detail = (
                    self.client.get_fulfillment_order(order["sellerFulfillmentOrderId"]).get("payload") or {}
                )
                try:
                    updates.append(
                        mapping.to_fulfilment_update(order, detail.get("fulfillmentShipments") or [])
                    )
                except InputError as exc:
                    log.warning("MCF order skipped", reason=str(exc))
            yield FulfilmentPage(updates, latest if n == len(pages) - 1 else cursor)
