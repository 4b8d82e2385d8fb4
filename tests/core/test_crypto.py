"""Credentials are encrypted at rest and never printed, and key problems are clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import crypto
from core.errors import ConfigError
from core.logs import configure_logging, get_logger
from core.settings import Settings
from tests.core import factories

SECRET = "Atzr|IwEBIA-very-secret-refresh-token-0123456789"


def test_stored_credentials_do_not_contain_the_secret(session: Session) -> None:
    integration = factories.integration(session)
    integration.set_credentials({"refresh_token": SECRET, "client_secret": "cs-abcdef-123"})
    session.commit()
    raw = session.execute(text("SELECT credentials_encrypted FROM integrations")).scalar_one()
    stored = bytes(raw)
    assert SECRET.encode() not in stored and b"cs-abcdef-123" not in stored
    assert b"refresh_token" not in stored  # even the field names are inside the ciphertext
    session.expire_all()
    assert integration.credentials()["refresh_token"] == SECRET


def test_logs_never_print_a_secret(
    session: Session, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    integration = factories.integration(session)
    integration.set_credentials({"refresh_token": SECRET})
    creds = integration.credentials()
    configure_logging("DEBUG", json=True)
    log = get_logger("test")
    log.info("connecting", refresh_token=creds["refresh_token"], creds=creds)
    log.info(f"careless interpolation {creds['refresh_token']}")
    logging.getLogger("httpx").warning("header x-amz-access-token: %s", creds["refresh_token"])
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text
    assert "connecting" in everything and "careless interpolation" in everything
    assert SECRET not in everything
    assert SECRET not in repr(creds) and SECRET not in str(creds)


def test_a_wrong_key_is_a_configuration_error(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    integration = factories.integration(session)
    integration.set_credentials({"refresh_token": SECRET})
    other = crypto.build_cipher(Settings(secret_key=Fernet.generate_key().decode()))
    with pytest.raises(ConfigError, match="cannot be decrypted with the configured secret key"):
        crypto.decrypt_secrets(integration.credentials_encrypted or b"", other)


def test_old_keys_still_decrypt_after_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = crypto.encrypt_secrets({"k": "value-1"}, crypto.build_cipher(Settings(secret_key=old)))
    rotated = crypto.build_cipher(Settings(secret_key=f"{new},{old}"))
    assert crypto.decrypt_secrets(token, rotated)["k"] == "value-1"


def test_a_malformed_key_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="CHANNELHUB_SECRET_KEY: key #1 is not a valid Fernet key"):
        crypto.build_cipher(Settings(secret_key="not-a-key"))


def test_embedded_mode_generates_a_private_key_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHANNELHUB_SECRET_KEY", raising=False)
    monkeypatch.delenv("CHANNELHUB_REDIS_URL", raising=False)
    key_file = tmp_path / "keys" / "channelhub.key"
    settings = Settings(key_file=key_file, redis_url=None)
    with caplog.at_level(logging.WARNING, logger="core.crypto"):
        first = crypto.build_cipher(settings)
    assert "generated a new secret key" in caplog.text
    assert key_file.stat().st_mode & 0o777 == 0o600
    caplog.clear()
    second = crypto.build_cipher(settings)
    assert caplog.text == ""
    assert crypto.decrypt_secrets(crypto.encrypt_secrets({"a": "bcdefg"}, first), second)["a"] == "bcdefg"


def test_a_shared_deployment_requires_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHANNELHUB_SECRET_KEY", raising=False)
    settings = Settings(key_file=tmp_path / "k", redis_url="redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="CHANNELHUB_SECRET_KEY is required when CHANNELHUB_REDIS_URL"):
        crypto.build_cipher(settings)
    assert not (tmp_path / "k").exists()


@pytest.fixture(autouse=True)
def _reset_logging() -> object:
    yield
    structlog.reset_defaults()
