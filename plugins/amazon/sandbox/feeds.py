"""Feeds API 2021-06-30 for ``JSON_LISTINGS_FEED``: documents, createFeed, getFeed, and the
processing that applies price and quantity patches and writes a processing report (v2)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox.catalog import BY_ID
from plugins.amazon.sandbox.documents import Document, document_url, new_document
from plugins.amazon.sandbox.http import (
    Call,
    invalid_input,
    json_body,
    json_response,
    list_param,
    not_found,
    rfc3339,
    sp_api,
)
from plugins.amazon.sandbox.listing_ops import apply_patches
from plugins.amazon.sandbox.render import iso
from plugins.amazon.sandbox.state import SandboxState

FEED_TYPE = "JSON_LISTINGS_FEED"
MAX_MESSAGES = 25_000


@dataclass(slots=True)
class Feed:
    feed_id: str
    feed_type: str
    marketplace_ids: list[str]
    input_document_id: str
    created: datetime
    started_at: float
    done_at: float
    status: str = "IN_QUEUE"
    result_document_id: str | None = None
    started: datetime | None = None
    ended: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        now = time.monotonic()
        status = self.status
        if status == "IN_QUEUE" and now >= self.started_at:
            status = "IN_PROGRESS"
        body: dict[str, Any] = {
            "feedId": self.feed_id,
            "feedType": self.feed_type,
            "marketplaceIds": self.marketplace_ids,
            "createdTime": iso(self.created),
            "processingStatus": status,
        }
        if status != "IN_QUEUE":
            body["processingStartTime"] = iso(self.started or datetime.now(UTC))
        if self.ended:
            body["processingEndTime"] = iso(self.ended)
        if self.result_document_id:
            body["resultFeedDocumentId"] = self.result_document_id
        return body


@sp_api("feeds.createFeedDocument")
async def create_feed_document(request: Request, call: Call) -> Response:
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    content_type = body.get("contentType")
    if not isinstance(content_type, str) or not content_type:
        return invalid_input("contentType is required.")
    document = new_document(call.state, "feed-input", content_type)
    return json_response(
        {"feedDocumentId": document.document_id, "url": document_url(request, document)}, 201
    )


@sp_api("feeds.createFeed")
async def create_feed(request: Request, call: Call) -> Response:
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    if body.get("feedType") != FEED_TYPE:
        return invalid_input(
            f"feedType {body.get('feedType')!r} is not supported; the sandbox processes {FEED_TYPE}."
        )
    marketplaces = body.get("marketplaceIds")
    if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
        return invalid_input("marketplaceIds must list 1 to 25 marketplace ids.")
    unknown = [m for m in marketplaces if m not in BY_ID]
    if unknown:
        return invalid_input(f"Invalid marketplaceIds: {', '.join(map(str, unknown))}.")
    document = call.state.documents.get(str(body.get("inputFeedDocumentId")))
    if not isinstance(document, Document) or not document.uploadable:
        return invalid_input(
            f"inputFeedDocumentId {body.get('inputFeedDocumentId')!r} is not a feed document."
        )
    delay = call.state.processing_delay()
    now = time.monotonic()
    with call.state.lock:
        feed_id = str(50_000_000_000 + len(call.state.feeds) + 1)
        feed = Feed(
            feed_id,
            FEED_TYPE,
            list(marketplaces),
            document.document_id,
            datetime.now(UTC),
            now + delay / 3,
            now + delay,
        )
        call.state.feeds[feed_id] = feed
    call.state.schedule(delay, lambda state: _process(state, feed))
    return json_response({"feedId": feed_id}, 202)


@sp_api("feeds.getFeed")
async def get_feed(request: Request, call: Call) -> Response:
    feed = call.state.feeds.get(request.path_params["feedId"])
    if feed is None:
        return not_found(f"Feed {request.path_params['feedId']} was not found.")
    return json_response(feed.as_json())


@sp_api("feeds.getFeeds")
async def get_feeds(request: Request, call: Call) -> Response:
    """Feeds filtered by type, marketplace and ``createdSince`` (newest first, one page), as
    strict about its inputs as Amazon: RFC 3339 dates and a ``pageSize`` of 1 to 100."""
    params = request.query_params
    types = set(list_param(request, "feedTypes"))
    marketplaces = set(list_param(request, "marketplaceIds"))
    if not types:
        return invalid_input("feedTypes is required.")
    since = None
    if params.get("createdSince"):
        since = rfc3339(params["createdSince"])
        if since is None:
            return invalid_input(
                f"Invalid createdSince: {params['createdSince']!r} is not an RFC 3339 date-time."
            )
    size = params.get("pageSize") or "10"
    if not size.isdigit() or not 1 <= int(size) <= 100:
        return invalid_input(f"Invalid pageSize: {size!r} is not a number from 1 to 100.")
    with call.state.lock:
        found = [
            feed.as_json()
            for feed in sorted(call.state.feeds.values(), key=lambda f: f.created, reverse=True)
            if feed.feed_type in types
            and (not marketplaces or marketplaces & set(feed.marketplace_ids))
            and (since is None or feed.created >= since)
        ]
    return json_response({"feeds": found[: int(size)]})


@sp_api("feeds.getFeedDocument")
async def get_feed_document(request: Request, call: Call) -> Response:
    document = call.state.documents.get(request.path_params["feedDocumentId"])
    if not isinstance(document, Document) or ".feed-" not in document.document_id:
        return not_found(f"Feed document {request.path_params['feedDocumentId']} was not found.")
    return json_response({"feedDocumentId": document.document_id, "url": document_url(request, document)})


def _issue(
    message_id: int | None, sku: str | None, code: str, text: str, attribute: str | None = None
) -> dict[str, Any]:
    issue: dict[str, Any] = {"code": code, "severity": "ERROR", "message": text}
    if message_id is not None:
        issue["messageId"] = message_id
    if sku:
        issue["sku"] = sku
    if attribute:
        issue["attributeName"] = attribute
    return issue


def _message_patches(message: dict[str, Any]) -> list[Any] | str:
    """The patches a message amounts to, or why it cannot be processed."""
    operation = message.get("operationType")
    if not isinstance(message.get("productType"), str) or not message["productType"]:
        return "productType is required."
    if operation == "PATCH":
        patches = message.get("patches")
        return (
            patches
            if isinstance(patches, list) and patches
            else "PATCH messages need a non-empty patches list."
        )
    if operation == "PARTIAL_UPDATE":
        attributes = message.get("attributes")
        if not isinstance(attributes, dict) or not attributes:
            return "PARTIAL_UPDATE messages need attributes."
        return [
            {"op": "replace", "path": f"/attributes/{name}", "value": value}
            for name, value in attributes.items()
        ]
    return f"operationType {operation!r} is not supported by the sandbox (use PATCH or PARTIAL_UPDATE)."


def processing_report(state: SandboxState, feed: Feed, content: bytes | None) -> dict[str, Any]:
    """Apply the feed's messages to the listings; the v2 processing report of what happened."""
    seller = state.config.credentials.seller_id
    header = {"sellerId": seller, "version": "2.0", "feedId": feed.feed_id}
    issues: list[dict[str, Any]] = []
    try:
        document = json.loads(content or b"")
    except ValueError as exc:
        document = None
        issues.append(_issue(None, None, "INVALID_DOCUMENT", f"The feed document is not valid JSON: {exc}"))
    messages: list[Any] = []
    if isinstance(document, dict):
        doc_header = document.get("header")
        raw_messages = document.get("messages")
        messages = raw_messages if isinstance(raw_messages, list) else []
        if (
            not isinstance(doc_header, dict)
            or doc_header.get("sellerId") != seller
            or doc_header.get("version") != "2.0"
        ):
            issues.append(
                _issue(None, None, "INVALID_HEADER", f"header must name sellerId {seller} and version 2.0.")
            )
            messages = []
        elif not 1 <= len(messages) <= MAX_MESSAGES:
            issues.append(
                _issue(None, None, "INVALID_DOCUMENT", f"messages must hold 1 to {MAX_MESSAGES} messages.")
            )
            messages = []
    elif document is not None:
        issues.append(_issue(None, None, "INVALID_DOCUMENT", "The feed document must be a JSON object."))
    invalid = 0
    for message in messages:
        message_id = message.get("messageId") if isinstance(message, dict) else None
        sku = message.get("sku") if isinstance(message, dict) else None
        if not isinstance(message_id, int) or message_id < 1 or not isinstance(sku, str) or not sku:
            issues.append(
                _issue(
                    None,
                    None,
                    "INVALID_MESSAGE",
                    f"Message {message!r:.80} needs a messageId >= 1 and a sku.",
                )
            )
            invalid += 1
            continue
        patches = _message_patches(message)
        listing = state.listings.get(sku)
        if isinstance(patches, str):
            problems = [_issue(message_id, sku, "INVALID_MESSAGE", patches)]
        elif listing is None:
            problems = [
                _issue(message_id, sku, "SKU_NOT_FOUND", f"SKU {sku} does not exist for seller {seller}.")
            ]
        else:
            problems = [
                _issue(message_id, sku, p.code, p.message, p.attribute)
                for p in apply_patches(listing, patches, feed.marketplace_ids)
            ]
        issues.extend(problems)
        invalid += bool(problems)
    return {
        "header": header,
        "issues": issues,
        "summary": {
            "errors": len(issues),
            "warnings": 0,
            "messagesProcessed": len(messages),
            "messagesAccepted": len(messages) - invalid,
            "messagesInvalid": invalid,
        },
    }


def _process(state: SandboxState, feed: Feed) -> None:
    document = state.documents[feed.input_document_id]
    feed.started = datetime.now(UTC)
    report = processing_report(state, feed, document.content)
    result = new_document(
        state, "feed-result", "application/json", json.dumps(report, ensure_ascii=False).encode()
    )
    feed.result_document_id = result.document_id
    # A document Amazon cannot read at all (not uploaded, not JSON, wrong header) is FATAL.
    feed.status = "DONE" if report["summary"]["messagesProcessed"] else "FATAL"
    feed.ended = datetime.now(UTC)
