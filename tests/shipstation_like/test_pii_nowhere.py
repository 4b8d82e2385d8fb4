"""Buyer data never leaves the order tables, and redaction leaves none anywhere.

Orders with known personal data go through every error path there is (a record the channel
mangled, a field the hub cannot store, a row the database refuses, a stream that crashes on
a database error, a worker logging that crash with its traceback); then everything is
redacted and a full dump of every table, the captured logs and the CLI output are scanned
for each personal value.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.orm import Session

from core.cli import main as cli_main
from core.db.base import utcnow
from core.db.models import IntegrationStatus, Product
from core.db.session import get_engine, session_factory
from core.dto import Address, Money, RecordFailure
from core.logs import configure_logging
from core.plugins import PluginManager
from core.services import quarantine, sync
from plugins.shipstation_like.redaction import redact_due
from tests.core import factories
from tests.core.test_sync import channel_order
from tests.fakes.channel import CHANNEL, FakeChannelPlugin

NAME, EMAIL, PHONE = "Quinn Privata", "quinn.privata@example.org", "+44 7700 900123"
LINE1, LINE2, GIFT = "77 Hidden Lane", "Flat 9 Secretview", "For Quinn with love"
PII = (NAME, EMAIL, PHONE, LINE1, LINE2, GIFT)


def personal(n: int, **changes: object) -> object:
    order = channel_order(n)
    item = dataclasses.replace(order.items[0], gift_message=GIFT)
    address = Address(NAME, LINE1, LINE2, city="Leeds", postal_code="LS1 1AA", country_code="GB", phone=PHONE)
    fields: dict[str, object] = {
        "buyer_name": NAME,
        "buyer_email": EMAIL,
        "shipping_address": address,
        "items": (item,),
        **changes,
    }
    return dataclasses.replace(order, **fields)


def dump(url: str) -> str:
    """Every value of every table, as text (bytes decoded byte for byte)."""
    engine = get_engine(url)
    parts = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    parts.append(value.decode("latin-1") if isinstance(value, bytes) else str(value))
    return "\n".join(parts)


@pytest.fixture
def shop(session: Session, plugins: PluginManager) -> Iterator[int]:
    CHANNEL.reset()
    plugins.register(FakeChannelPlugin(), "fake")
    integration = factories.integration(session, "fake-uk", status=IntegrationStatus.LIVE)
    session.commit()
    yield integration.id


def test_no_personal_value_survives_anywhere(
    session: Session,
    plugins: PluginManager,
    shop: int,
    migrated: object,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    sessions = session_factory()
    raw = {"orderId": "202-0000090", "buyer": {"buyerName": NAME, "buyerEmail": EMAIL}, "phone": PHONE}
    CHANNEL.orders = [
        personal(1),
        personal(2, shipping_address=Address(NAME, LINE1, country_code="GBR", phone=PHONE)),  # too long
        personal(3, total=Money(Decimal("-5"), "GBP")),  # refused by the database's CHECK
    ]
    CHANNEL.bad_orders = [RecordFailure("202-0000090", f"buyerName: odd value {NAME!r}", raw)]
    result = sync.run_stream(sessions, plugins, shop, "orders")
    assert result.counts["created"] == 1 and result.counts["errors"] == 3

    def crash(session: Session, *_args: object) -> int:  # a database error holding buyer data
        session.execute(insert(Product).values(sku=NAME, title=LINE1, stock_on_hand=-1))
        return 0

    CHANNEL.orders.append(personal(4))
    monkeypatch.setattr(quarantine, "resolve", crash)  # runs in the batch's transaction, after the write
    with pytest.raises(Exception) as crashed:
        sync.run_stream(sessions, plugins, shop, "orders")
    monkeypatch.undo()
    logging.getLogger("dramatiq.worker.WorkerThread").error(
        "Failed to process message %s with unhandled exception.",
        "sync_stream(1, 'orders')",
        exc_info=crashed.value,
    )
    structured = sync.log
    structured.exception("stream crashed", exc_info=crashed.value)

    monkeypatch.setattr(cli_main, "get_plugin_manager", lambda: plugins)
    for args in (
        ["errors", "list", "--json"],
        ["errors", "list"],
        ["integrations", "show", "fake-uk", "--json"],
    ):
        with pytest.raises(SystemExit):
            cli_main.main(args)

    database_url = get_engine().url.render_as_string(hide_password=False)
    assert NAME in dump(database_url), "the scan sees the order tables before redaction"
    with sessions() as redacting:
        redact_due(redacting, plugins, utcnow() + timedelta(days=400))
        redacting.commit()

    out = capsys.readouterr()
    everything = {"database": dump(database_url)}
    everything["logs"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    everything["output"] = out.out + out.err
    found = {(where, value) for where, body in everything.items() for value in PII if value in body}
    assert found == set()
    assert "Traceback" in caplog.text  # the crash was logged, with its (scrubbed) traceback
    assert "IntegrityError" in caplog.text or "CheckViolation" in caplog.text  # SQLite / psycopg
