"""Encryption of credentials at rest, and a mapping type that never shows its values.

Refresh tokens and client secrets are stored Fernet-encrypted (AES-128-CBC + HMAC). The key
comes from ``CHANNELHUB_SECRET_KEY``; several comma-separated keys allow rotation (the first
encrypts, all decrypt). In embedded mode a key is generated into a local file on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.errors import ConfigError
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

_KNOWN_SECRET_VALUES: set[str] = set()
"""Every secret value seen by this process, so the log scrubber can blank it anywhere."""


def known_secret_values() -> frozenset[str]:
    """Secret strings the log processors must never let through."""
    return frozenset(_KNOWN_SECRET_VALUES)


class Secrets(Mapping[str, str]):
    """Read-only credentials whose ``repr``/``str`` hide the values.

    Constructing one registers its values with the log scrubber, so even a careless
    ``log.info(f"... {token}")`` elsewhere prints ``***`` instead of the token.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = {str(k): str(v) for k, v in (values or {}).items()}
        _KNOWN_SECRET_VALUES.update(v for v in self._values.values() if len(v) >= 6)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "Secrets(" + ", ".join(f"{k}=***" for k in self._values) + ")"

    __str__ = __repr__


def _read_key(path: Path) -> str | None:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    return key or None


def _load_or_create_key_file(path: Path) -> str:
    """Embedded mode only: one key per working directory, mode 0600, created atomically.

    The key is written whole to a private temporary file, then hard-linked to its name:
    ``link`` fails if the name exists, so of several processes starting at once exactly one
    key wins and every process reads that one, and no reader ever sees an empty or partial
    file.
    """
    existing = _read_key(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd, temporary = tempfile.mkstemp(prefix=".channelhub-key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            won = True
        except FileExistsError:
            won = False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    if not won:
        winner = _read_key(path)
        if winner is None:
            raise ConfigError(f"secret key file {path} is empty; delete it or set CHANNELHUB_SECRET_KEY")
        return winner
    log.warning(
        "generated a new secret key in %s; back it up (credentials cannot be read without it) "
        "or set CHANNELHUB_SECRET_KEY",
        path,
    )
    return key


def _key_material(settings: Settings) -> list[str]:
    if settings.secret_key is not None:
        keys = [k.strip() for k in settings.secret_key.get_secret_value().split(",") if k.strip()]
        if keys:
            return keys
    if not settings.embedded:
        raise ConfigError(
            "CHANNELHUB_SECRET_KEY is required when CHANNELHUB_REDIS_URL is set (all workers "
            "must share one key); create one with `channelhub keys generate`"
        )
    return [_load_or_create_key_file(settings.key_file)]


def build_cipher(settings: Settings) -> MultiFernet:
    """A cipher over the configured keys, with a clear error for a malformed key."""
    fernets = []
    for index, key in enumerate(_key_material(settings), start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError as exc:
            raise ConfigError(
                f"CHANNELHUB_SECRET_KEY: key #{index} is not a valid Fernet key (32 url-safe "
                "base64 bytes); create one with `channelhub keys generate`"
            ) from exc
    return MultiFernet(fernets)


@lru_cache(maxsize=1)
def get_cipher() -> MultiFernet:
    """The process-wide cipher, built from :func:`core.settings.get_settings` on first use."""
    return build_cipher(get_settings())


def generate_key() -> str:
    """A fresh key for ``CHANNELHUB_SECRET_KEY``."""
    return Fernet.generate_key().decode()


def encrypt_secrets(values: Mapping[str, str], cipher: MultiFernet | None = None) -> bytes:
    """Serialise and encrypt credentials for storage."""
    return (cipher or get_cipher()).encrypt(json.dumps(dict(values), sort_keys=True).encode())


def rotate(token: bytes, cipher: MultiFernet | None = None) -> bytes:
    """``token`` re-encrypted with the newest (first) key; readable by any configured key."""
    try:
        return (cipher or get_cipher()).rotate(token)
    except InvalidToken as exc:
        raise ConfigError(
            "a stored secret cannot be decrypted with any configured key; "
            "add the key it was stored with to CHANNELHUB_SECRET_KEY (after the new one)"
        ) from exc


def decrypt_secrets(token: bytes, cipher: MultiFernet | None = None) -> Secrets:
    """Decrypt stored credentials; a wrong key is a configuration error, not a crash."""
    try:
        plain = (cipher or get_cipher()).decrypt(token)
    except InvalidToken as exc:
        raise ConfigError(
            "stored credentials cannot be decrypted with the configured secret key; "
            "set CHANNELHUB_SECRET_KEY to the key they were stored with"
        ) from exc
    return Secrets(json.loads(plain))


def derived_key(purpose: str) -> str:
    """A key for ``purpose`` (e.g. signing console sessions) derived from the newest secret key,
    so every process of a deployment agrees on it and no second secret needs configuring."""
    newest = _key_material(get_settings())[0]
    return hmac.new(newest.encode(), f"channelhub:{purpose}".encode(), hashlib.sha256).hexdigest()
