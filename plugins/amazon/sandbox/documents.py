"""Feed and report documents, stored in memory and served at plain URLs.

Amazon hands out pre-signed S3 URLs that need no SP-API token; the sandbox's document URLs,
``/_sandbox/documents/{id}``, likewise take a PUT (feed upload) or GET (download) with no auth.
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
    return f"{str(request.base_url).rstrip('/')}/_sandbox/documents/{document.document_id}"


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
    if not document.uploadable:
        return error(403, "AccessDenied", "This document URL does not accept uploads.")
    content = await request.body()
    with state.lock:
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
