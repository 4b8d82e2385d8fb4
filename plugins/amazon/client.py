"""An SP-API client on httpx: one method per operation channelhub uses, paced by usage plans.

Every call goes through :meth:`SpApiClient.call`, which

1. waits for a token from the operation's bucket (``ratelimit``) so it never sends a request
   the usage plan would refuse;
2. sends it with the LWA access token (refreshed once on a 401/403 "Unauthorized");
3. honours ``x-amzn-RateLimit-Limit`` for the next reservations (times the sandbox's time
   scale, which only the sandbox sends);
4. retries a 429 (never processed) a bounded number of times with jittered backoff, counting
   each; and a 5xx, an unreadable answer or a network failure the same way, but only for
   idempotent operations;
5. turns Amazon's error list into typed exceptions carrying code, message and operation.

A non-idempotent operation (confirmShipment, createFeed: ``Operation.idempotent``) is never
sent again after a 5xx, a dropped connection, a read timeout or an unreadable 2xx answer,
because Amazon may already have processed it: :class:`AmazonOutcomeUnknownError` tells the
caller to ask Amazon first (getOrder, getFeeds) before sending again. Only failures that
prove the request never arrived (a refused connection, a connect timeout) are retried for them.
"""

from __future__ import annotations

import contextlib
import gzip
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from core.api import ChannelAuthError, ChannelError, ThrottledError, TransientChannelError, get_logger
from plugins.amazon.auth import LwaTokens
from plugins.amazon.operations import Operation, operation
from plugins.amazon.ratelimit import BucketKey, RateLimiter

log = get_logger(__name__)

RETRIES = 5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class AmazonError(ChannelError):
    """Amazon answered with an error list; ``code`` is the first error's code."""


class AmazonInputError(AmazonError):
    """Amazon refused the request as invalid (400): retrying the same request cannot help."""


class AmazonNotFoundError(AmazonError):
    """The resource does not exist (404)."""


class AmazonAuthError(ChannelAuthError):
    """Amazon refused the credentials or the app's authorisation (401/403 after a refresh)."""


class AmazonThrottledError(ThrottledError):
    """Still throttled (429) after the client's own retries."""


class AmazonUnavailableError(TransientChannelError):
    """5xx or a network failure after the client's own retries."""


class AmazonOutcomeUnknownError(AmazonUnavailableError):
    """A non-idempotent request may or may not have been processed (5xx, dropped connection,
    read timeout): ask Amazon whether it has it before sending it again."""


class BudgetInUse(Exception):
    """A call made ``unless_busy`` found no free token: other calls are already waiting for the
    operation's budget, so this one was not sent (nothing was spent)."""


_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Network failures that prove the request never reached Amazon: safe to retry for any call."""


class _Retry(Exception):
    """Internal: a 429/503/network failure worth another attempt."""

    def __init__(self, error: ChannelError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Metrics:
    """What this client did, per operation key: requests sent, 429s received, seconds paced."""

    requests: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    waited: dict[str, float] = field(default_factory=dict)


def _errors(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP{response.status_code}", response.text[:200]
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        first = errors[0]
        details = f" ({first['details']})" if first.get("details") else ""
        return str(first.get("code", response.status_code)), f"{first.get('message', '')}{details}"
    return f"HTTP{response.status_code}", str(body)[:200]


class SpApiClient:
    """One seller in one region. Thread-safe; share it between the streams of a job."""

    def __init__(
        self,
        *,
        endpoint: str,
        seller_id: str,
        region: str,
        tokens: LwaTokens,
        limiter: RateLimiter,
        http: httpx.Client,
        sleep: Any = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.seller_id = seller_id
        self.region = region
        self.metrics = Metrics()
        self._tokens = tokens
        self._limiter = limiter
        self._http = http
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    # -- the one way out -------------------------------------------------------------------

    def call(
        self,
        key: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        access_token: str | None = None,
        unless_busy: bool = False,
    ) -> Any:
        """Send one operation; the decoded JSON body (None for 204).

        ``unless_busy``: send only if a token is free now, else raise :class:`BudgetInUse`
        without waiting (for calls that may as well wait for their next interval).
        """
        op = operation(key)
        url = self.endpoint + op.path.format(**(path_params or {}))
        taken = [False]  # the first attempt's token, when taken up front
        if unless_busy:
            if not self._limiter.try_take(BucketKey(self.seller_id, self.region, op.key), op.plan):
                raise BudgetInUse(op.key)
            taken[0] = True
        retrying = Retrying(
            retry=retry_if_exception_type(_Retry),
            wait=wait_random_exponential(multiplier=0.5, max=30),
            stop=stop_after_attempt(RETRIES),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    reserved, taken[0] = taken[0], False
                    return self._send(op, url, params, json, access_token, reserved=reserved)
        except _Retry as exhausted:
            raise exhausted.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, op: Operation, url: str, params: Any, body: Any, access_token: str | None, *, reserved: bool
    ) -> Any:
        bucket = BucketKey(self.seller_id, self.region, op.key)
        wait = 0.0 if reserved else self._limiter.reserve(bucket, op.plan)
        if wait > 0:
            self.metrics.waited[op.key] = self.metrics.waited.get(op.key, 0.0) + wait
            self._sleep(wait)
        response = self._request(op, url, params, body, access_token)
        if response.status_code in (401, 403) and access_token is None:
            code, _ = _errors(response)
            if code == "Unauthorized":  # expired or revoked token: refresh once, then give up
                self._tokens.invalidate()
                response = self._request(op, url, params, body, None)
        limit = response.headers.get("x-amzn-RateLimit-Limit")
        if limit:
            # The sandbox's sped-up clock (its own header; absent at Amazon) scales the rate.
            scale = response.headers.get("x-channelhub-sandbox-time-scale", "1")
            with contextlib.suppress(ValueError):  # a malformed header changes nothing
                self._limiter.observe_rate(bucket, float(limit) * float(scale))
        return self._decode(op, response)

    def _request(
        self, op: Operation, url: str, params: Any, body: Any, access_token: str | None
    ) -> httpx.Response:
        headers = {
            "x-amz-access-token": access_token or self._tokens.access_token(),
            "accept": "application/json",
        }
        self.metrics.requests[op.key] += 1
        try:
            return self._http.request(op.method, url, params=params, json=body, headers=headers)
        except httpx.HTTPError as exc:
            text = f"{type(exc).__name__} calling {op.key}"
            if not op.idempotent and not isinstance(exc, _NEVER_SENT):
                raise AmazonOutcomeUnknownError(text, operation=op.key) from exc
            raise _Retry(AmazonUnavailableError(text, operation=op.key)) from exc

    def _decode(self, op: Operation, response: httpx.Response) -> Any:
        status = response.status_code
        if status < 300:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:  # a cut or garbled body: the same call usually works next time
                text = f"{op.key}: answer is not valid JSON"
                if not op.idempotent:  # ...but this one was processed: sending it again repeats it
                    raise AmazonOutcomeUnknownError(text, operation=op.key) from None
                raise _Retry(AmazonUnavailableError(text, operation=op.key)) from None
        code, message = _errors(response)
        text = f"{op.key}: {code}: {message}"
        if status == 429:
            self.metrics.throttled[op.key] += 1
            log.warning("throttled by Amazon", operation=op.key, seller=self.seller_id)
            raise _Retry(AmazonThrottledError(text, code=code, operation=op.key))
        if status >= 500:
            if not op.idempotent:  # Amazon may have processed it before failing to answer
                raise AmazonOutcomeUnknownError(text, code=code, operation=op.key)
            raise _Retry(AmazonUnavailableError(text, code=code, operation=op.key))
        if status in (401, 403):
            raise AmazonAuthError(text, code=code, operation=op.key)
        if status == 404:
            raise AmazonNotFoundError(text, code=code, operation=op.key)
        if status == 400:
            raise AmazonInputError(text, code=code, operation=op.key)
        raise AmazonError(text, code=code, operation=op.key)

    # -- Orders --------------------------------------------------------------------------

    def search_orders(
        self,
        *,
        marketplace_ids: Sequence[str],
        last_updated_after: str,
        last_updated_before: str | None = None,
        fulfilled_by: Sequence[str] = (),
        included_data: Sequence[str] = ("FULFILLMENT", "PROCEEDS"),
        max_results: int = 100,
        access_token: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Pages of searchOrders (items inline); a repeated ``nextToken`` stops instead of looping."""
        params: dict[str, Any] = {
            "marketplaceIds": ",".join(marketplace_ids),
            "lastUpdatedAfter": last_updated_after,
            "includedData": ",".join(included_data),
            "maxResultsPerPage": max_results,
        }
        if last_updated_before:
            params["lastUpdatedBefore"] = last_updated_before
        if fulfilled_by:
            params["fulfilledBy"] = ",".join(fulfilled_by)
        yield from self.pages(
            "orders.searchOrders",
            params,
            pagination_field="pagination",
            next_params=lambda token: {**params, "paginationToken": token},
            access_token=access_token,
        )

    def pages(
        self,
        key: str,
        params: dict[str, Any],
        *,
        pagination_field: str,
        next_params: Callable[[str], dict[str, Any]],
        access_token: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paginated operation: ``page[pagination_field]["nextToken"]`` leads on.

        A token Amazon repeats ends the walk instead of looping (a known SP-API pitfall).
        """
        seen: set[str] = set()
        while True:
            page: dict[str, Any] = self.call(key, params=params, access_token=access_token)
            yield page
            token = (page.get(pagination_field) or {}).get("nextToken")
            if not token:
                return
            if token in seen:
                log.warning("Amazon repeated a pagination token; stopping", operation=key)
                return
            seen.add(token)
            params = next_params(token)

    def search_orders_page(
        self,
        params: Mapping[str, Any],
        token: str | None,
        access_token: str | None = None,
        *,
        unless_busy: bool = False,
    ) -> dict[str, Any]:
        """One searchOrders page (``token`` continues a previous search with the same params)."""
        query = {**params, "paginationToken": token} if token else dict(params)
        page: dict[str, Any] = self.call(
            "orders.searchOrders", params=query, access_token=access_token, unless_busy=unless_busy
        )
        return page

    def get_order(
        self,
        order_id: str,
        included_data: Sequence[str] = ("FULFILLMENT",),
        access_token: str | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "orders.getOrder",
            path_params={"orderId": order_id},
            params={"includedData": ",".join(included_data)},
            access_token=access_token,
        )
        return result

    def confirm_shipment(self, order_id: str, body: Mapping[str, Any]) -> None:
        self.call("ordersV0.confirmShipment", path_params={"orderId": order_id}, json=dict(body))

    def restricted_data_token(self, path: str, data_elements: Sequence[str]) -> str:
        """An RDT for GET ``path`` with ``data_elements`` (buyerInfo, shippingAddress)."""
        body = {"restrictedResources": [{"method": "GET", "path": path, "dataElements": list(data_elements)}]}
        result = self.call("tokens.createRestrictedDataToken", json=body)
        return str(result["restrictedDataToken"])

    # -- Feeds and reports -----------------------------------------------------------------

    def create_feed_document(self, content_type: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("feeds.createFeedDocument", json={"contentType": content_type})
        return result

    def upload(self, url: str, content: bytes, content_type: str) -> None:
        """PUT a feed document to the pre-signed URL Amazon gave (no SP-API auth, no budget)."""
        try:
            response = self._http.put(url, content=content, headers={"content-type": content_type})
        except httpx.HTTPError as exc:
            raise AmazonUnavailableError(f"feed upload failed: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise AmazonError(f"feed upload answered {response.status_code}", operation="feeds.upload")

    def download(self, url: str) -> bytes:
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise AmazonUnavailableError(f"document download failed: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise AmazonError(f"document download answered {response.status_code}", operation="download")
        if response.content[:2] == b"\x1f\x8b":  # compressionAlgorithm GZIP
            return gzip.decompress(response.content)
        return response.content

    def create_feed(self, feed_type: str, marketplace_ids: Sequence[str], document_id: str) -> str:
        body = {
            "feedType": feed_type,
            "marketplaceIds": list(marketplace_ids),
            "inputFeedDocumentId": document_id,
        }
        return str(self.call("feeds.createFeed", json=body)["feedId"])

    def get_feeds(
        self, feed_type: str, marketplace_ids: Sequence[str], created_since: str
    ) -> list[dict[str, Any]]:
        """Feeds of ``feed_type`` created since ``created_since`` (ISO 8601), newest first."""
        params = {
            "feedTypes": feed_type,
            "marketplaceIds": ",".join(marketplace_ids),
            "createdSince": created_since,
        }
        feeds: list[dict[str, Any]] = self.call("feeds.getFeeds", params=params).get("feeds") or []
        return feeds

    def get_feed(self, feed_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("feeds.getFeed", path_params={"feedId": feed_id})
        return result

    def get_feed_document(self, document_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "feeds.getFeedDocument", path_params={"feedDocumentId": document_id}
        )
        return result

    def create_report(self, report_type: str, marketplace_ids: Sequence[str]) -> str:
        body = {"reportType": report_type, "marketplaceIds": list(marketplace_ids)}
        return str(self.call("reports.createReport", json=body)["reportId"])

    def get_report(self, report_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("reports.getReport", path_params={"reportId": report_id})
        return result

    def get_report_document(self, document_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "reports.getReportDocument", path_params={"reportDocumentId": document_id}
        )
        return result

    # -- FBA inventory, MCF, listings ------------------------------------------------------------

    def inventory_summaries(self, marketplace_id: str) -> Iterator[dict[str, Any]]:
        """Pages of getInventorySummaries with details, following ``nextToken``."""
        params: dict[str, Any] = {
            "granularityType": "Marketplace",
            "granularityId": marketplace_id,
            "marketplaceIds": marketplace_id,
            "details": "true",
        }
        yield from self.pages(
            "fbaInventory.getInventorySummaries",
            params,
            pagination_field="pagination",
            next_params=lambda token: {**params, "nextToken": token},
        )

    def fulfillment_orders(self, query_start_date: str) -> Iterator[dict[str, Any]]:
        """Pages of listAllFulfillmentOrders updated since ``query_start_date``."""
        yield from self.pages(
            "fulfillmentOutbound.listAllFulfillmentOrders",
            {"queryStartDate": query_start_date},
            pagination_field="payload",
            next_params=lambda token: {"nextToken": token},
        )

    def get_fulfillment_order(self, seller_fulfillment_order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "fulfillmentOutbound.getFulfillmentOrder",
            path_params={"sellerFulfillmentOrderId": seller_fulfillment_order_id},
        )
        return result

    def get_listings_item(self, sku: str, marketplace_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "listingsItems.getListingsItem",
            path_params={"sellerId": self.seller_id, "sku": sku},
            params={"marketplaceIds": marketplace_id, "includedData": "summaries,attributes,offers"},
        )
        return result

    def patch_listings_item(
        self, sku: str, marketplace_id: str, patches: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "listingsItems.patchListingsItem",
            path_params={"sellerId": self.seller_id, "sku": sku},
            params={"marketplaceIds": marketplace_id},
            json={"productType": "PRODUCT", "patches": list(patches)},
        )
        return result
