"""The console in a real browser: headless Debian chromium driven by Playwright.

One ``channelhub serve`` subprocess for the module, on a database an Amazon sandbox filled
(two syncs' worth of UK orders and listings), with a user per role. Every page visited is
screenshotted to ``.ci/artifacts/screenshots/`` (kept by CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text

from core.cli.main import main
from core.db import migrate
from core.db.models import Integration, Listing, Order, OrderStatus, OutboxEntry, OutboxKind, UserRole
from core.db.session import session_scope
from core.dto import Fulfilment
from core.plugins import build_plugin_manager
from core.services import users
from plugins.amazon.sandbox import SandboxConfig, running_sandbox
from tests.amazon.sandbox_support import free_port
from tests.conftest import BACKEND_URL, ON_POSTGRES, _clear_caches

CHROMIUM = Path(os.environ.get("CHANNELHUB_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".ci" / "artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"
XSS_TITLE = "<script>window.__pwned = 1</script>Mug with a script"

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip extra dev)"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    ),
]


@dataclass
class Console:
    url: str
    database_url: str


def _cli(*args: str) -> None:
    try:
        main(list(args))
    except SystemExit as exit_:
        assert not exit_.code, f"channelhub {' '.join(args)} exited {exit_.code}"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console")
    schema = None
    if ON_POSTGRES:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with create_engine(BACKEND_URL).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in BACKEND_URL else "?"
        url = f"{BACKEND_URL}{sep}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{folder / 'channelhub.db'}"
    env = {
        "CHANNELHUB_DATABASE_URL": url,
        "CHANNELHUB_SECRET_KEY": Fernet.generate_key().decode(),
        "CHANNELHUB_KEY_FILE": str(folder / "channelhub.key"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    _clear_caches()
    port = free_port()
    server = None
    try:
        migrate.upgrade(build_plugin_manager(), url)
        with running_sandbox(SandboxConfig(seed=11, orders=120, time_scale=600)) as sb:
            c = sb.credentials
            _cli(
                *("integrations", "add", "amazon", "--marketplace", "UK", "--alias", "amazon-uk"),
                *("--seller-id", c.seller_id, "--refresh-token", c.refresh_token, "--client-id", c.client_id),
                *("--client-secret", c.client_secret, "--endpoint", sb.base_url),
            )
            _cli("sync", "run", "--stream", "orders", "--stream", "products")
        with session_scope() as session:
            for role in UserRole:
                users.add_user(session, role.value, role, PASSWORD)
            product = (
                session.scalars(
                    select(Listing).join(Integration).where(Integration.alias == "amazon-uk").limit(1)
                )
                .one()
                .product
            )
            product.title = XSS_TITLE
            for listing in session.scalars(select(Listing)):  # Amazon sends no RRP; a supplier feed would
                if listing.channel_price is not None:
                    listing.product.rrp, listing.product.currency = listing.channel_price, listing.currency
        _cli("carriers", "disable", "ups", "--area", "UK", "--integration", "amazon-uk")
        server = subprocess.Popen(
            [sys.executable, "-m", "core", "serve", "--port", str(port)],
            env={**os.environ, **env},
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                raise RuntimeError(f"channelhub serve did not start: {output[-2000:]}")
            time.sleep(0.2)
        yield Console(base, url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _clear_caches()
        if schema:
            with create_engine(BACKEND_URL).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def as_user(browser: object, console: Console) -> Iterator[object]:
    """``as_user(role)`` opens a fresh browser context logged in as the user of ``role``."""
    contexts = []

    def log_in(role: str) -> object:
        context = browser.new_context(base_url=console.url)  # type: ignore[attr-defined]
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/integrations")
        assert "/login" in page.url  # nobody gets in without logging in
        page.fill("input[name=name]", role)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/integrations")
        return page

    yield log_in
    for context in contexts:
        context.close()


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _count(console: Console, query: object) -> int:
    with session_scope(console.database_url) as session:
        return int(session.scalar(query) or 0)


def test_a_product_title_with_a_script_tag_is_shown_as_text(as_user: object, console: Console) -> None:
    page = as_user("operator")  # type: ignore[operator]
    page.goto("/products?q=" + quote("<script>"))  # a title prefix, echoed back in the search box
    cell = page.locator("#products td.title").first
    assert cell.inner_text() == XSS_TITLE
    assert page.evaluate("window.__pwned") is None
    shot(page, "products")
    page.click("#products td.mono a")
    assert page.locator("p.title").inner_text() == XSS_TITLE
    assert page.evaluate("window.__pwned") is None
    shot(page, "product")


def test_a_role_without_the_right_sees_no_control_and_gets_403(as_user: object, console: Console) -> None:
    page = as_user("host")  # type: ignore[operator]
    shot(page, "integrations")
    page.goto("/prices")
    assert page.locator("text=Add a rule").count() == 0
    assert page.locator("form[action$='/rules-enabled']").count() == 0
    shot(page, "prices-as-host")
    status = page.evaluate(
        """async () => {
            const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
            const headers = {'X-CSRF-Token': csrf};
            const answer = await fetch('/api/v1/prices/1/apply', {method: 'POST', headers});
            return answer.status;
        }"""
    )
    assert status == 403
    operator = as_user("operator")  # type: ignore[operator]
    operator.goto("/carriers")
    assert operator.locator("button.switch").count() == 0  # switches shown, not switchable
    assert operator.locator("span.switch").count() > 0
    for name in ("errors", "usage", "orders"):
        operator.goto(f"/{name}")
        shot(operator, name)


def test_host_switches_off_the_last_carrier_then_an_operator_assigns_one(
    as_user: object, console: Console
) -> None:
    pending = select(func.count()).select_from(Order).where(Order.status == OrderStatus.PENDING_REVIEW)
    before = _count(console, pending)
    host = as_user("host")  # type: ignore[operator]
    host.goto("/carriers")
    fee = host.locator("#fee-table tr:has(td:text-is('UK')):has(td:text-is('royal_mail'))")
    assert fee.count() == 1
    row = host.locator("tr[data-area='UK'][data-carrier='royal_mail']")
    row.locator("button.switch").click()
    warning = row.locator(".warning")
    warning.wait_for()
    assert "no enabled carrier" in warning.inner_text()
    moving = int(warning.inner_text().split("open order(s) will go")[0].split()[-1])
    assert moving > 0
    shot(host, "carriers-warning")
    assert _count(console, pending) == before  # only a warning so far
    row.locator("button.danger").click()
    host.locator("tr[data-area='UK'][data-carrier='royal_mail'] .note").wait_for()
    assert row.locator("button.switch").inner_text() == "Off"
    fee.wait_for(state="detached")  # the fee table reloads: it lists enabled carriers only
    shot(host, "carriers")
    host.goto("/orders?pending_review=1")
    listed = host.locator("#orders tr[data-order]")
    assert listed.count() == min(before + moving, 50)
    assert _count(console, pending) == before + moving

    operator = as_user("operator")  # type: ignore[operator]
    operator.goto("/orders?pending_review=1")
    first = operator.locator("#orders tr[data-order]").first
    order_id = first.get_attribute("data-order")
    first.locator("a").click()
    shot(operator, "order-pending")
    operator.select_option("select[name=carrier]", "royal_mail")
    with operator.expect_navigation():
        operator.click("form[action$='/carrier'] button")
    assert operator.locator("#order-status").inner_text() == "awaiting_shipment"
    shot(operator, "order")
    operator.goto("/orders?pending_review=1")
    assert operator.locator(f"#orders tr[data-order='{order_id}']").count() == 0
    assert _count(console, pending) == before + moving - 1


def test_admin_adds_a_rule_previews_the_diff_and_applies_it(as_user: object, console: Console) -> None:
    admin = as_user("admin")  # type: ignore[operator]
    admin.goto("/prices")
    if admin.locator("tr[data-integration='amazon-uk'] button.switch.off").count():
        with admin.expect_navigation():
            admin.click("tr[data-integration='amazon-uk'] button.switch")
    form = admin.locator("details[data-rule-type='percent']")
    form.locator("summary").click()
    form.locator("input[name='param.percent']").fill("-5")
    form.locator("select[name=integration_id]").select_option(label="amazon-uk")
    with admin.expect_navigation():
        form.locator("button[type=submit]").click()
    assert admin.locator("#rules tr:has(td)", has_text="percent").count() == 1
    shot(admin, "prices")
    admin.click("tr[data-integration='amazon-uk'] >> text=Preview")
    changes = int(admin.locator("#change-count").inner_text())  # loaded after the page, by htmx
    assert changes > 0
    assert admin.locator("#diff tr").count() == min(changes, 50) + 1
    shot(admin, "price-preview")
    priced = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.kind == OutboxKind.PRICE)
    assert _count(console, priced) == 0
    admin.click("#preview-count button")
    assert f"{changes} price update(s) queued" in admin.locator("#applied").inner_text()
    assert _count(console, priced) == changes


def test_an_operator_ships_an_order_and_sees_the_shipment_and_its_notify_state(
    as_user: object, console: Console
) -> None:
    shippable = (
        select(Order.id)
        .where(
            Order.status == OrderStatus.AWAITING_SHIPMENT,
            Order.fulfilment == Fulfilment.MFN,
            Order.carrier_code.is_not(None),
        )
        .order_by(Order.id)
        .limit(1)
    )
    order_id = _count(console, shippable)  # any order left awaiting shipment with its carrier
    assert order_id, "the sandbox's orders include MFN orders awaiting shipment"
    operator = as_user("operator")  # type: ignore[operator]
    operator.goto(f"/orders/{order_id}")
    operator.fill("#ship-form input[name=tracking]", "RM000111222GB")
    with operator.expect_navigation():
        operator.click("#ship-form button[type=submit]")
    # POST, then 303 back to the same URL: wait for the new page's text, not just a navigation
    playwright_api.expect(operator.locator("#order-status")).to_have_text("shipped")
    assert operator.locator(".error").count() == 0
    assert operator.locator("#ship-form").count() == 0
    row = operator.locator("#shipments tr:has(td)", has_text="RM000111222GB")
    assert row.count() == 1 and "pending (0 attempt(s))" in row.inner_text()  # the channel is told next
    shot(operator, "order-shipped")
