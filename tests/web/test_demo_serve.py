"""``channelhub demo --serve``: the demo, then the console on its data with a login printed once.

The README's screenshot (docs/console.png) is this test's picture of the demo's orders page,
written with the other screenshots to .ci/artifacts/screenshots/demo-orders.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.amazon.sandbox_support import free_port
from tests.web.test_browser import CHROMIUM, SCREENSHOTS

pytestmark = pytest.mark.slow

LOGIN = re.compile(r"user demo\s+password (\S+)")


@pytest.fixture
def demo_console(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(console URL, the printed password, the demo's output lines); stops the demo after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    port = free_port()
    command = ["demo", "--dir", str(tmp_path / "demo"), "--orders", "300", "--serve", "--port", str(port)]
    demo = subprocess.Popen(
        [sys.executable, "-m", "core", *command],
        env={**env, "COLUMNS": "100"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 150
        password = None
        assert demo.stdout is not None
        while password is None:
            line = demo.stdout.readline()
            if (not line and demo.poll() is not None) or time.monotonic() > deadline:
                raise AssertionError("demo --serve printed no login:\n" + "".join(lines[-40:]))
            lines.append(line)
            found = LOGIN.search(line)
            password = found.group(1) if found else None
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert demo.poll() is None and time.monotonic() < deadline, "".join(lines[-40:])
            time.sleep(0.2)
        yield base, password, lines
    finally:
        demo.terminate()
        demo.wait(timeout=30)


def test_demo_serve_prints_a_login_that_opens_the_demos_orders(
    demo_console: tuple[str, str, list[str]],
) -> None:
    base, password, lines = demo_console
    assert f"http://127.0.0.1:{base.rsplit(':', 1)[1]}/" in "".join(lines)
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        wrong = client.post("/login", data={"name": "demo", "password": "nope", "csrf_token": csrf.group(1)})
        assert wrong.status_code == 401
        logged = client.post(
            "/login",
            data={"name": "demo", "password": password, "csrf_token": csrf.group(1), "next": "/orders"},
        )
        assert logged.status_code == 200 and "amazon-" in logged.text  # the demo's integrations' orders
        pending = client.get("/orders?pending_review=1").text
        assert "pending_review" in pending and "no orders match" not in pending
    if not CHROMIUM.exists():
        return
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 800})
        page.goto("/login?next=/orders")
        page.fill("input[name=name]", "demo")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/orders")
        page.screenshot(path=str(SCREENSHOTS / "demo-orders.png"))
        browser.close()
