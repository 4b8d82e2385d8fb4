"""``channelhub run`` as a real process: what it prints, and how it stops.

The process syncs a Live integration and one whose credentials Amazon refuses against the
sandbox; a signal arrives while streams are still running. It must exit 0 saying it stopped,
every stream run told in one line (the refused one without a traceback), and leave no stream
lease or job run behind.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest
import redis
from sqlalchemy import select

from core.cli.main import main
from core.db.base import utcnow
from core.db.models import Integration, JobRun, JobStatus, SyncCursor
from core.db.session import session_factory, session_scope
from core.services import shutdown
from core.settings import Settings
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

LEASE_SECONDS = 30


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=5, orders=2500, time_scale=60)) as sb:
        yield sb


def _exit_code(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def add(sb: RunningSandbox, alias: str, refresh_token: str) -> None:
    """Connect ``alias`` on the sandbox; a refused token is stored unverified (on DE, since one
    seller cannot be added twice on UK), then checked so the integration is in Error."""
    c = sb.credentials
    market = "UK" if refresh_token == c.refresh_token else "DE"
    args = [
        *("integrations", "add", "amazon", "--marketplace", market, "--alias", alias),
        *("--seller-id", c.seller_id, "--refresh-token", refresh_token),
        *("--client-id", c.client_id, "--client-secret", c.client_secret, "--endpoint", sb.base_url),
    ]
    if market == "UK":
        assert _exit_code(args) == 0
        return
    assert _exit_code([*args, "--no-verify"]) == 0
    assert _exit_code(["integrations", "retry", alias]) == 1  # refused: stored, in Error


def pump(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines as they come (a full pipe would block the process under test)."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def drain(lines: queue.Queue[str]) -> list[str]:
    time.sleep(0.2)  # the pump thread has read what the process wrote last
    drained = []
    while not lines.empty():
        drained.append(lines.get())
    return drained


def signal_while_streams_run(
    command: list[str], env: dict[str, str], cwd: Path, signum: signal.Signals, aliases: tuple[str, ...]
) -> tuple[int, list[str], str, float]:
    """Start ``command``, signal it once a stream of each of ``aliases`` is done, wait for its end.

    Returns its exit code, its stdout lines, its stderr, and the seconds it took to stop.
    """
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        out, err = pump(process.stdout), pump(process.stderr)
        seen: list[str] = []
        deadline = time.monotonic() + 90
        while not all(any(line.split(" ", 1)[-1].startswith(f"{a} ") for line in seen) for a in aliases):
            seen.append(out.get(timeout=max(0.1, deadline - time.monotonic())))
        process.send_signal(signum)
        started = time.monotonic()
        process.wait(timeout=LEASE_SECONDS + 15)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, seen + drain(out), "".join(drain(err)), took


def assert_stopped_cleanly(code: int, seen: list[str], err: str, took: float) -> None:
    text = "".join(seen)
    assert code == 0, text + err
    assert took < LEASE_SECONDS + 5
    assert "stopping:" in text and "stopped:" in text, text
    assert "Traceback" not in text + err, err
    after_stop = seen[next(n for n, line in enumerate(seen) if line.startswith("stopping:")) :]
    assert any(" shop " in f" {line}" for line in after_stop), "no stream was in progress at the signal"
    with session_scope() as session:
        assert session.scalars(select(SyncCursor).where(SyncCursor.locked_by.is_not(None))).all() == []
        assert session.scalars(select(JobRun).where(JobRun.status == JobStatus.RUNNING)).all() == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_reports_each_stream_and_stops_cleanly_on_a_signal(
    migrated: Settings, sandbox: RunningSandbox, tmp_path: Path, signum: signal.Signals
) -> None:
    add(sandbox, "refused", "Atzr|revoked-token")  # first: its streams are enqueued first, fail fast
    add(sandbox, "shop", sandbox.credentials.refresh_token)
    env = {k: v for k, v in os.environ.items() if k != "CHANNELHUB_REDIS_URL"}
    env.update(CHANNELHUB_STREAM_LEASE_SECONDS=str(LEASE_SECONDS), COLUMNS="80")
    code, seen, err, took = signal_while_streams_run(
        [sys.executable, "-m", "core", "run", "--every", "1"], env, tmp_path, signum, ("refused", "shop")
    )
    assert_stopped_cleanly(code, seen, err, took)
    refused = [line for line in seen if " refused " in f" {line}"]
    failed = [line for line in refused if "FAILED: ChannelAuthError: Login with Amazon refused" in line]
    assert failed and all("next run" in line for line in failed), refused  # one line each, with when
    assert any(line.split(" ", 1)[-1].startswith("shop orders: created ") for line in seen), "".join(seen)


def forget_namespace(namespace: str) -> None:
    """Delete the queues a test made in Redis (messages requeued at shutdown stay there)."""
    client = redis.Redis.from_url(os.environ["CHANNELHUB_REDIS_URL"])
    keys = list(client.scan_iter(f"{namespace}*"))
    if keys:
        client.delete(*keys)


@pytest.mark.redis
def test_a_redis_worker_stops_cleanly_on_sigterm(
    migrated: Settings, sandbox: RunningSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    add(sandbox, "shop", sandbox.credentials.refresh_token)
    namespace = f"test-{uuid.uuid4().hex[:8]}"  # no other test's messages
    env = dict(os.environ)
    env.update(
        CHANNELHUB_STREAM_LEASE_SECONDS=str(LEASE_SECONDS), CHANNELHUB_QUEUE_NAMESPACE=namespace, COLUMNS="80"
    )
    request.addfinalizer(lambda: forget_namespace(namespace))
    scheduled = subprocess.run(
        [sys.executable, "-m", "core", "scheduler", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert scheduled.returncode == 0 and "enqueued shop orders" in scheduled.stdout, scheduled.stderr
    code, seen, err, took = signal_while_streams_run(
        [sys.executable, "-m", "core", "worker", "--threads", "2"], env, tmp_path, signal.SIGTERM, ("shop",)
    )
    assert_stopped_cleanly(code, seen, err, took)


def test_work_a_stopping_process_could_not_finish_is_released(migrated: Settings) -> None:
    with session_scope() as session:
        integration = Integration(alias="shop", channel_key="amazon", marketplace="UK", settings={})
        session.add(integration)
        session.flush()
        until = utcnow() + timedelta(minutes=2)
        for stream, owner in (("orders", "h:1:aa"), ("products", "h:12:bb")):
            session.add(
                SyncCursor(integration_id=integration.id, stream=stream, locked_by=owner, locked_until=until)
            )
            session.add(
                JobRun(job="sync", integration_id=integration.id, stream=stream, worker=owner, counts={})
            )
    released = shutdown.release_process_work(session_factory(), "h:1:")
    assert released == shutdown.Released(streams=1, jobs=1)
    with session_scope() as session:
        locks = dict(session.execute(select(SyncCursor.stream, SyncCursor.locked_by)).all())
        runs = dict(session.execute(select(JobRun.worker, JobRun.status)).all())
    assert locks == {"orders": None, "products": "h:12:bb"}  # another process's lease is untouched
    assert runs == {"h:1:aa": JobStatus.FAILED, "h:12:bb": JobStatus.RUNNING}
