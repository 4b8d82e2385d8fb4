"""The console's FastAPI application: pages, ``/api/v1``, OpenAPI at ``/api/docs``, static files.

Errors keep the CLI's meaning: bad input (:class:`~core.errors.InputError`) is 422 naming the
field, a missing thing 404, no login 401 (a page redirects to the login form instead).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from core import __version__, crypto
from core.errors import ChannelhubError, InputError, NotFoundError
from core.services.integrations import VerificationFailed
from core.web import api, pages
from core.web.json import ConventionJSONResponse
from core.web.security import LoginRequired

HERE = Path(__file__).parent
SESSION_COOKIE = "channelhub_session"
SESSION_MAX_AGE = 12 * 3600


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.headers.get("hx-request") == "true"


def create_app() -> FastAPI:
    """A new console app on the configured database and plugins."""
    app = FastAPI(
        title="channelhub",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        default_response_class=ConventionJSONResponse,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=crypto.derived_key("console-session"),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="strict",
        https_only=False,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _wants_json(request):
            return ConventionJSONResponse(
                {"detail": "log in first, or send Authorization: Bearer TOKEN"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        if request.url.path.startswith("/api/"):
            return ConventionJSONResponse(
                {"detail": [{"loc": ["body", exc.field], "msg": exc.problem, "type": "value_error"}]},
                status_code=422,
            )
        return pages.problem(request, str(exc), 422)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        if request.url.path.startswith("/api/"):
            return ConventionJSONResponse({"detail": str(exc)}, status_code=404)
        return pages.problem(request, str(exc), 404)

    @app.exception_handler(VerificationFailed)
    async def refused(request: Request, exc: VerificationFailed) -> Response:
        if request.url.path.startswith("/api/"):
            return ConventionJSONResponse(
                {"detail": [{"loc": ["body", "credentials"], "msg": str(exc), "type": "value_error"}]},
                status_code=422,
            )
        return pages.problem(request, str(exc), 422)

    @app.exception_handler(ChannelhubError)
    async def refused_otherwise(request: Request, exc: ChannelhubError) -> Response:
        """A configuration or channel problem: one line, as the CLI prints it."""
        if request.url.path.startswith("/api/"):
            return ConventionJSONResponse({"detail": str(exc)}, status_code=409)
        return pages.problem(request, str(exc), 409)

    return app
