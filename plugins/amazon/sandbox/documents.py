"""Feed and report documents, stored in memory and served at plain URLs.

Amazon hands out pre-signed S3 URLs that need no SP-API token; the sandbox's document URLs,
``/_sandbox/documents/{id}``, likewise take a PUT (feed upload) or GET (download) with no auth.
Like a pre-signed PUT URL, an upload must carry the Content-Type the document was created
with (it is part of the signature) and is accepted once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox.http import error
from plugins.amazon.sandbox.state import SandboxState


@dataclass(slots=True)
class Document:
    document_id: str
    content_type: str
    uploadable: bool
    content: bytes | None = None


def new_document(
    state: SandboxState, prefix: str, content_type: str, content: bytes | None = None
) -> Document:
    document = Document(
        f"amzn1.tortuga.4.eu.{prefix}.{uuid.uuid4().hex}", content_type, content is None, content
    )
    with state.lock:
        state.documents[document.document_id] = document
    return document


def document_url(request: Request, document: Document) -> str:
    """The document's URL at the sandbox's configured base URL, never at the request's Host
    header (a client that sent a wrong Host would be sent elsewhere)."""
    state: SandboxState = request.app.state.sandbox
    if not state.base_url:
        raise RuntimeError("the sandbox's base URL is set when its server starts")
    return f"{state.base_url.rstrip('/')}/_sandbox/documents/{document.document_id}"


def _s3_error(status: int, code: str, message: str) -> Response:
    """S3's XML error, as a pre-signed URL answers (not SP-API's JSON error list)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


def _document(request: Request) -> tuple[SandboxState, Document] | Response:
    state: SandboxState = request.app.state.sandbox
    document = state.documents.get(request.path_params["documentId"])
    if not isinstance(document, Document):
        return error(404, "NotFound", f"No document {request.path_params['documentId']}.")
    return state, document


async def upload(request: Request) -> Response:
    found = _document(request)
    if isinstance(found, Response):
        return found
    state, document = found
    if request.headers.get("content-type", "").strip() != document.content_type:
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    content = await request.body()
    with state.lock:
        if not document.uploadable or document.content is not None:  # one upload per URL
            return _s3_error(403, "AccessDenied", "Access Denied")
        document.content = content
    return Response(status_code=200)


async def download(request: Request) -> Response:
    found = _document(request)
    if isinstance(found, Response):
        return found
    _, document = found
    if document.content is None:
        return error(404, "NotFound", "Nothing has been uploaded to this document yet.")
    return Response(document.content, media_type=document.content_type)
