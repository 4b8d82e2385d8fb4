"""Core's actors. Each loads by id, calls one service, and commits; nothing else."""

from __future__ import annotations

from core.db.session import session_factory, session_scope
from core.plugins import get_plugin_manager
from core.services import integrations, sync
from core.types import ActorSpec


def verify_integration(integration_id: int) -> None:
    """Re-check an integration's credentials: Live on success, Error with the reason if refused.

    Idempotent: verifying twice leaves the same status.
    """
    with session_scope() as session:
        integrations.verify(session, integration_id, get_plugin_manager())


def sync_stream(integration_id: int, stream: str) -> None:
    """Run one stream of one integration. Idempotent: a duplicate finds the lock taken or
    nothing new to do, and a crashed run resumes from the last committed cursor."""
    sync.run_stream(session_factory(), get_plugin_manager(), integration_id, stream)


CORE_ACTORS = [
    ActorSpec("verify_integration", verify_integration, queue="integrations"),
    ActorSpec("sync_stream", sync_stream, queue="sync", options={"time_limit": 6 * 3_600_000}),
]
