"""Secrets at rest: the key file race, `keys rotate`, and a private SQLite file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import crypto
from core.db.models import Integration, SyncError
from core.db.session import make_engine
from core.dto import RecordFailure
from core.services import quarantine
from core.services.key_rotation import rotate_stored_secrets
from core.settings import Settings, get_settings
from tests.core import factories

RACER = """
import sys, time
from pathlib import Path
from core.crypto import _load_or_create_key_file
start = float(sys.argv[2])
while time.time() < start:
    pass
keys = {_load_or_create_key_file(Path(sys.argv[1])) for _ in range(150)}
print(",".join(sorted(keys)))
"""


def test_six_processes_starting_at_once_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "empty-folder" / "channelhub.key"
    start = str(time.time() + 2.0)  # every process spins until the same instant
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), start],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=60) for p in racers]
    assert all(p.returncode == 0 for p in racers), [err for _, err in results]
    keys = {out.strip() for out, _ in results}
    assert len(keys) == 1 and "," not in next(iter(keys)) and next(iter(keys))
    assert path.read_text().strip() == next(iter(keys))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["channelhub.key"]  # no temporary left


def test_keys_rotate_rewrites_credentials_and_payloads_with_the_newest_key(
    session: Session, migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = migrated.secret_key.get_secret_value()  # type: ignore[union-attr]
    integration = factories.integration(session)
    quarantine.record(session, integration.id, "orders", [RecordFailure("202-1", "x: bad", {"buyer": "B"})])
    session.commit()

    new = Fernet.generate_key().decode()
    monkeypatch.setenv("CHANNELHUB_SECRET_KEY", f"{new},{old}")
    crypto.get_cipher.cache_clear()
    get_settings.cache_clear()
    done = rotate_stored_secrets(session)
    session.commit()
    assert (done.credentials, done.payloads) == (1, 1)

    monkeypatch.setenv("CHANNELHUB_SECRET_KEY", new)  # the old key is gone
    get_settings.cache_clear()
    crypto.get_cipher.cache_clear()
    session.expire_all()
    assert dict(session.scalars(select(Integration)).one().credentials()) == {"api_key": "good-key-123"}
    entry = session.scalars(select(SyncError)).one()
    assert quarantine.decrypt_payload(entry) == {"buyer": "B"}


def test_the_sqlite_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "channelhub.db"
    old_umask = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect():
            pass
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
