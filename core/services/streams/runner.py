"""What every stream works with: the run's sessions, lease, cursor and counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import (
    Integration,
    SyncCursor,
)
from core.dto import (
    RecordFailure,
)
from core.logs import get_logger
from core.services import (
    quarantine,
    stream_lock,
)
from core.services.order_import import CarrierChooser
from core.services.stream_lock import LeaseKeeper

log = get_logger(__name__)


Progress = Callable[[str, int], None]
"""Called with (what, how many more) as a stream advances, e.g. to move a progress bar."""


@dataclass
class StreamRun:
    """The outcome of one run of one stream, as shown to people and stored on the job log."""

    integration: str
    stream: str
    ran: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add(self, key: str, value: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + value

    def summary(self) -> str:
        """The counts in one line, for people: ``created 417, updated 3`` or ``nothing new``."""
        return describe_counts(self.counts)


COUNT_WORDS = {
    "price_done": "prices accepted",
    "price_failed": "prices refused",
    "quantity_done": "stock levels accepted",
    "quantity_failed": "stock levels refused",
    "mcf_updated": "channel-fulfilled (MCF) orders updated",
    "mcf_unmatched": "channel-fulfilled (MCF) orders not found here",
    "errors": "records set aside with an error",
    "stock_adopted": "stock levels adopted from the channel",
    "stock_conflicts": "SKUs with differing channel stock (lower kept)",
}
"""Plain words for the counts whose keys say little to people (outbound pushes, MCF)."""


def describe_counts(counts: Mapping[str, int]) -> str:
    """A run's counts in plain words, zeros left out: ``created 417, listings updated 3``."""
    words = [f"{COUNT_WORDS.get(k, k.replace('_', ' '))} {v}" for k, v in sorted(counts.items()) if v]
    return ", ".join(words) or "nothing new"


class Runner:
    """State shared by the stream functions of one run: sessions, lock owner, job log."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        integration: Integration,
        stream: str,
        owner: str,
        progress: Progress | None,
        keeper: LeaseKeeper,
        choose: CarrierChooser | None = None,
    ) -> None:
        self.sessions = sessions
        self.integration = integration
        self.stream = stream
        self.owner = owner
        self.progress = progress or (lambda _what, _n: None)
        self.keeper = keeper
        self.choose = choose  # decides a batch's new unshipped orders' carriers, in its transaction
        self.run = StreamRun(integration.alias, stream)

    def saved_cursor(self) -> str | None:
        """Where the last committed batch of this stream left off (None: from the start)."""
        with self.sessions() as session:
            return session.scalar(
                select(SyncCursor.cursor).where(
                    SyncCursor.integration_id == self.integration.id, SyncCursor.stream == self.stream
                )
            )

    def first_run(self) -> bool:
        """True until this stream of this integration has once finished without error."""
        with self.sessions() as session:
            done = session.scalar(
                select(SyncCursor.last_success_at).where(
                    SyncCursor.integration_id == self.integration.id, SyncCursor.stream == self.stream
                )
            )
            return done is None

    def fence(self, session: Session) -> None:
        """Open a batch's transaction with the lease renewal, before any read.

        The batch then writes under the lease it just proved (on PostgreSQL the stream's row
        stays locked until the commit, so no takeover slips in between), and on SQLite the
        transaction is a writer from its first statement: a transaction that read first and
        writes later fails at once ("database is locked") when another thread committed in
        between, instead of waiting its turn.
        """
        self.keeper.check()
        stream_lock.renew(session, self.integration.id, self.stream, self.owner, self.keeper.lease)

    def commit_batch(self, session: Session, cursor: str | None = None, *, save_cursor: bool = False) -> None:
        """Renew our lease and (optionally) move the cursor, in the batch's own transaction.

        The renewal is the fence: it matches only while the stream is still ours, so a runner
        whose stream was taken over raises :class:`LockLost` instead of committing.
        """
        self.keeper.check()
        also = {"cursor": cursor} if save_cursor else None
        stream_lock.renew(session, self.integration.id, self.stream, self.owner, self.keeper.lease, also=also)
        session.commit()

    def record_failures(
        self, session: Session, failures: Iterable[RecordFailure], cursor: str | None = None
    ) -> None:
        """Quarantine records this stream could not take (``core.services.quarantine``)."""
        count = quarantine.record(session, self.integration.id, self.stream, failures, cursor)
        if count:
            self.run.add("errors", count)
