"""Re-encrypt everything stored encrypted with the newest key, so older keys can be dropped.

``CHANNELHUB_SECRET_KEY=NEW,OLD`` already reads both; this rewrites every credential and
every quarantine payload with NEW in one transaction (all or nothing), after which OLD can
be removed from the setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import rotate
from core.db.models import Integration, SyncError


@dataclass(frozen=True)
class Rotated:
    credentials: int
    payloads: int


def rotate_stored_secrets(session: Session) -> Rotated:
    """Rewrite every encrypted value with the first configured key; the caller commits."""
    credentials = 0
    for integration in session.scalars(
        select(Integration).where(Integration.credentials_encrypted.is_not(None)).with_for_update()
    ):
        assert integration.credentials_encrypted is not None
        integration.credentials_encrypted = rotate(integration.credentials_encrypted)
        credentials += 1
    payloads = 0
    for entry in session.scalars(select(SyncError).where(SyncError.payload.is_not(None)).with_for_update()):
        assert entry.payload is not None
        entry.payload = rotate(entry.payload)
        payloads += 1
    session.flush()
    return Rotated(credentials, payloads)
