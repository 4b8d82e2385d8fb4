"""Core's actors. Each loads by id, calls one service, and commits; nothing else."""

from __future__ import annotations

from core.db.session import session_scope
from core.plugins import get_plugin_manager
from core.services import integrations
from core.types import ActorSpec


def verify_integration(integration_id: int) -> None:
    """Re-check an integration's credentials: Live on success, Error with the reason if refused.

    Idempotent: verifying twice leaves the same status.
    """
    with session_scope() as session:
        integrations.verify(session, integration_id, get_plugin_manager())


CORE_ACTORS = [ActorSpec("verify_integration", verify_integration, queue="integrations")]
