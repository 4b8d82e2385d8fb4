"""Console users, their roles, and API tokens for scripts.

Passwords are kept as argon2 hashes (argon2-cffi's defaults); API tokens are random strings
shown once and kept as their SHA-256 (a token is already high-entropy, so a fast hash is
enough and lets a request find its token by an indexed lookup). Everyone logged in may read;
what each role may change is :data:`PERMISSIONS`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import ApiToken, User, UserRole
from core.errors import InputError, NotFoundError

MIN_PASSWORD = 8
TOKEN_PREFIX = "chub_"  # noqa: S105 (a label, not a secret)
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")
"""Verified against when a name is unknown, so a wrong name takes as long as a wrong password."""


class Permission(StrEnum):
    """Things a person may change; reading needs only a login."""

    CARRIERS = "carriers"
    PRICES = "prices"
    ORDERS = "orders"
    INTEGRATIONS = "integrations"
    ERRORS = "errors"
    PRODUCTS = "products"
    USERS = "users"


PERMISSIONS: dict[UserRole, frozenset[Permission]] = {
    UserRole.HOST: frozenset({Permission.CARRIERS}),
    UserRole.ADMIN: frozenset({Permission.PRICES, Permission.PRODUCTS}),
    UserRole.OPERATOR: frozenset({Permission.ORDERS, Permission.ERRORS}),
    UserRole.OWNER: frozenset(Permission),
}


def may(role: UserRole, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


def parse_role(value: str) -> UserRole:
    try:
        return UserRole(value)
    except ValueError:
        known = ", ".join(r.value for r in UserRole)
        raise InputError("role", f"must be one of {known}, got {value!r}") from None


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() or not c.isprintable() for c in name):
        raise InputError("name", "must be 1 to 100 printable characters without spaces")
    return name


def add_user(session: Session, name: str, role: UserRole, password: str) -> User:
    """A new user; refuses a name already taken or a password shorter than :data:`MIN_PASSWORD`."""
    name = _check_name(name)
    if len(password) < MIN_PASSWORD:
        raise InputError("password", f"must be at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise InputError("name", f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user named {name!r}")
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when the password matches, else None (the same work either way)."""
    user = session.scalar(select(User).where(User.name == name))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    user.last_login_at = utcnow()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    name: str
    user: str
    token: str
    """The only time the token is seen: it is not stored."""
    created_at: datetime


def create_token(session: Session, user_name: str, name: str) -> NewToken:
    user = get_user(session, user_name)
    name = _check_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, prefix=token[:12], token_hash=_digest(token))
    session.add(row)
    session.flush()
    return NewToken(row.id, row.name, user.name, token, row.created_at)


def list_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with its user's name, newest last; revoked ones too."""
    return [
        (token, name)
        for token, name in session.execute(select(ApiToken, User.name).join(User).order_by(ApiToken.id))
    ]


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def user_for_token(session: Session, token: str) -> User | None:
    """The user a live (not revoked) token acts for."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    row.last_used_at = utcnow()
    return session.get(User, row.user_id)
