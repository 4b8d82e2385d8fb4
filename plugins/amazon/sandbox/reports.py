"""Reports API 2021-06-30 for the merchant listings reports (tab-separated, Amazon's columns)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox.catalog import BY_ID
from plugins.amazon.sandbox.documents import Document, document_url, new_document
from plugins.amazon.sandbox.http import Call, invalid_input, json_body, json_response, not_found, sp_api
from plugins.amazon.sandbox.render import iso
from plugins.amazon.sandbox.seed import Listing
from plugins.amazon.sandbox.state import SandboxState

REPORT_TYPES = frozenset({"GET_MERCHANT_LISTINGS_ALL_DATA", "GET_MERCHANT_LISTINGS_DATA"})
"""All listings, and active listings only."""
COLUMNS = (
    "item-name",
    "item-description",
    "listing-id",
    "seller-sku",
    "price",
    "quantity",
    "open-date",
    "image-url",
    "item-is-marketplace",
    "product-id-type",
    "zshop-shipping-fee",
    "item-note",
    "item-condition",
    "zshop-category1",
    "zshop-browse-path",
    "zshop-storefront-feature",
    "asin1",
    "asin2",
    "asin3",
    "will-ship-internationally",
    "expedited-shipping",
    "zshop-boldface",
    "product-id",
    "bid-for-featured-placement",
    "add-delete",
    "pending-quantity",
    "fulfillment-channel",
    "merchant-shipping-group",
    "status",
)


@dataclass(slots=True)
class Report:
    report_id: str
    report_type: str
    marketplace_ids: list[str]
    created: datetime
    started_at: float
    status: str = "IN_QUEUE"
    document_id: str | None = None
    ended: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        status = self.status
        if status == "IN_QUEUE" and time.monotonic() >= self.started_at:
            status = "IN_PROGRESS"
        body: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": self.marketplace_ids,
            "createdTime": iso(self.created),
            "processingStatus": status,
        }
        if status != "IN_QUEUE":
            body["processingStartTime"] = iso(self.created)
        if self.ended:
            body["processingEndTime"] = iso(self.ended)
        if self.document_id:
            body["reportDocumentId"] = self.document_id
        return body


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")


def _row(listing: Listing, marketplace_id: str) -> dict[str, str]:
    fba = listing.is_fba
    active = fba or listing.quantity > 0
    return {
        "item-name": _clean(listing.title),
        "listing-id": listing.listing_id,
        "seller-sku": listing.sku,
        "price": str(listing.prices[marketplace_id]),
        "quantity": "" if fba else str(listing.quantity),
        "open-date": listing.open_date.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S GMT"),
        "item-is-marketplace": "y",
        "product-id-type": "1",
        "item-condition": "11",
        "asin1": listing.asin,
        "will-ship-internationally": "",
        "product-id": listing.asin,
        "add-delete": "",
        "pending-quantity": "0",
        "fulfillment-channel": listing.fulfillment_channel,
        "merchant-shipping-group": "" if fba else "Migrated Template",
        "status": "Active" if active else "Inactive",
    }


def merchant_listings_tsv(state: SandboxState, report: Report) -> bytes:
    """The report for the first requested marketplace, as Amazon sends it: a header row of
    hyphenated column names, then one tab-separated row per listing."""
    marketplace_id = report.marketplace_ids[0]
    lines = ["\t".join(COLUMNS)]
    for listing in sorted(state.listings.values(), key=lambda lst: lst.sku):
        row = _row(listing, marketplace_id)
        if report.report_type == "GET_MERCHANT_LISTINGS_DATA" and row["status"] != "Active":
            continue
        lines.append("\t".join(row.get(column, "") for column in COLUMNS))
    return ("\n".join(lines) + "\n").encode("utf-8")


@sp_api("reports.createReport")
async def create_report(request: Request, call: Call) -> Response:
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    report_type = body.get("reportType")
    if report_type not in REPORT_TYPES:
        return invalid_input(
            f"reportType {report_type!r} is not supported; the sandbox makes "
            f"{', '.join(sorted(REPORT_TYPES))}."
        )
    marketplaces = body.get("marketplaceIds")
    if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
        return invalid_input("marketplaceIds must list 1 to 25 marketplace ids.")
    unknown = [m for m in marketplaces if m not in BY_ID]
    if unknown:
        return invalid_input(f"Invalid marketplaceIds: {', '.join(map(str, unknown))}.")
    delay = call.state.processing_delay()
    with call.state.lock:
        report_id = str(60_000_000_000 + len(call.state.reports) + 1)
        report = Report(
            report_id, str(report_type), list(marketplaces), datetime.now(UTC), time.monotonic() + delay / 3
        )
        call.state.reports[report_id] = report
    call.state.schedule(delay, lambda state: _process(state, report))
    return json_response({"reportId": report_id}, 202)


def _process(state: SandboxState, report: Report) -> None:
    document = new_document(
        state, "report", "text/tab-separated-values; charset=UTF-8", merchant_listings_tsv(state, report)
    )
    report.document_id = document.document_id
    report.status = "DONE"
    report.ended = datetime.now(UTC)


@sp_api("reports.getReport")
async def get_report(request: Request, call: Call) -> Response:
    report = call.state.reports.get(request.path_params["reportId"])
    if report is None:
        return not_found(f"Report {request.path_params['reportId']} was not found.")
    return json_response(report.as_json())


@sp_api("reports.getReportDocument")
async def get_report_document(request: Request, call: Call) -> Response:
    document = call.state.documents.get(request.path_params["reportDocumentId"])
    if not isinstance(document, Document) or ".report." not in document.document_id:
        return not_found(f"Report document {request.path_params['reportDocumentId']} was not found.")
    return json_response({"reportDocumentId": document.document_id, "url": document_url(request, document)})
