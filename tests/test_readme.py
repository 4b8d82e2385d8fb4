"""The README's commands, run as a newcomer would type them (placeholders filled in).

Every ``channelhub ...`` line of the README's bash blocks is executed in a fresh folder, in
order, against a sandbox the test starts where the README starts one. Lines that install
software, start system services or run until Ctrl-C are exercised elsewhere: installation
and services by ``.ci/run``, ``channelhub worker``/``scheduler`` by the reliability tests, and
``channelhub run`` here with ``--duration``. A README command that fails fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.amazon.sandbox_support import free_port

README = Path(__file__).resolve().parents[1] / "README.md"

NOT_RUN_HERE = {
    "channelhub worker": "needs Redis; run by tests/reliability with real worker processes",
    "channelhub scheduler": "needs Redis; tested in tests/core/test_sync.py and test_errors_people_meet.py",
    "channelhub --debug ...": "a pattern, not a command",
    "channelhub db upgrade": "run first by this test for every walkthrough",
}


def readme_commands() -> list[str]:
    """``channelhub`` command lines of the README's bash blocks, continuations joined."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S):
        text = block.replace("\\\n", " ")
        for raw in text.splitlines():
            line = re.sub(r"\s+#.*$", "", raw).strip()
            line = line.removeprefix(".venv/bin/")
            if line.startswith("channelhub"):
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def test_every_readme_command_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    env["COLUMNS"] = "200"
    channelhub = [sys.executable, "-m", "core"]

    def run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            channelhub + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
        )

    assert run(["db", "upgrade"]).returncode == 0
    port = free_port()
    sandbox: subprocess.Popen[bytes] | None = None
    placeholders: dict[str, str] = {}
    ran: list[str] = []
    try:
        for command in readme_commands():
            if command in NOT_RUN_HERE or command.split(" [")[0] in NOT_RUN_HERE:
                continue
            for part in command.split(" && "):
                args = shlex.split(re.sub(r"\[(--[a-z-]+)\]", r"\1", part))[1:]
                args = [placeholders.get(a, a).replace("8765", str(port)) for a in args]
                args = [str(README.parent / a) if a.startswith("examples/") else a for a in args]
                if args[:3] == ["sandbox", "amazon", "serve"]:
                    serve = channelhub + [a for a in args if a != "&"]
                    sandbox = subprocess.Popen(serve, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)
                    _wait_for(f"http://127.0.0.1:{port}/_sandbox/stats")
                    ran.append(part)
                    continue
                if args == ["run"]:
                    args = ["run", "--duration", "3", "--every", "1"]
                if args[:1] == ["demo"]:
                    args = [*args, "--dir", str(tmp_path / "demo")]
                result = run(args)
                assert result.returncode == 0, (
                    f"README command failed: {part}\n{result.stdout}\n{result.stderr}"
                )
                ran.append(part)
                if args[:2] == ["sync", "run"] and "SKU" not in placeholders:
                    placeholders.update(_fill_placeholders(run))
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(timeout=30)
    assert any(c.startswith("channelhub demo") for c in ran)
    assert any(c.startswith("channelhub shipments notify") for c in ran)


def _fill_placeholders(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A real SKU and an order ready to ship, where the README says SKU and ORDER_ID."""
    products = json.loads(run(["products", "list", "--json"]).stdout)
    orders = json.loads(run(["orders", "list", "--json", "--status", "awaiting_shipment"]).stdout)
    sku = next(p["sku"] for p in products if p["listed_on"])
    order = next(o for o in orders if o["carrier"])
    return {"SKU": sku, "ORDER_ID": order["channel_order_id"]}


def _wait_for(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} never answered")
