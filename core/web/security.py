"""Who is asking: a session cookie (people) or a Bearer token (scripts), and what they may change.

Sessions are Starlette's signed cookies (itsdangerous), HttpOnly and SameSite=strict, holding
only the user id and a CSRF token. Every unsafe request made with a session must carry that
token (a form's ``csrf_token`` field or the ``X-CSRF-Token`` header htmx sends); a request made
with a Bearer token carries no cookie, so it cannot be forged cross-site and needs none.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from core.db.models import User, UserRole
from core.services import users
from core.services.users import Permission
from core.web.db import db_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Caller:
    """The user behind a request, and how they proved it."""

    id: int
    name: str
    role: UserRole
    by_token: bool

    def may(self, permission: Permission | str) -> bool:
        return users.may(self.role, Permission(permission))


class LoginRequired(Exception):
    """No session and no token: the API answers 401, a page sends the browser to the login form."""


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe session request whose CSRF token is missing or wrong (403)."""
    if request.method in SAFE_METHODS or request.headers.get("authorization", "").startswith("Bearer "):
        return
    if "user_id" not in request.session and request.url.path != "/login":
        return  # nobody is logged in: nothing to forge, and authentication answers 401
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or sent is None or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def sign_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session["user_id"] = user.id
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def current_caller(request: Request, session: Session = Depends(db_session)) -> Caller:
    """The caller, or :class:`LoginRequired`."""
    header = request.headers.get("authorization", "")
    user: User | None = None
    by_token = False
    if header.startswith("Bearer "):
        user = users.user_for_token(session, header.removeprefix("Bearer ").strip())
        by_token = True
        if user is None:
            raise LoginRequired()
    else:
        user_id = request.session.get("user_id")
        if isinstance(user_id, int):
            user = session.get(User, user_id)
    if user is None:
        raise LoginRequired()
    return Caller(user.id, user.name, user.role, by_token)


def require(permission: Permission) -> Callable[..., Caller]:
    """A dependency: the caller, when their role may change ``permission``'s things, else 403."""

    def dependency(request: Request, caller: Caller = Depends(current_caller)) -> Caller:
        if not caller.may(permission):
            raise HTTPException(403, f"role {caller.role.value} may not change {permission.value}")
        return caller

    return dependency
