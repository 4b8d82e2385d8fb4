"""``channelhub sandbox amazon serve`` starts a server that answers."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.amazon.sandbox_support import free_port


def test_serve_answers_then_stops() -> None:
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from core.cli.main import main; main()",
        "sandbox",
        "amazon",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--seed",
        "5",
        "--orders",
        "30",
        "--time-scale",
        "60",
        "--no-throttle",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90  # start-up, not speed: CI runs two suites side by side
        token = None
        while token is None:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the sandbox did not answer in time"
            try:
                token = httpx.post(
                    f"http://127.0.0.1:{port}/auth/o2/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": "Atzr|sandbox-refresh-token",
                        "client_id": "amzn1.application-oa2-client.sandbox",
                        "client_secret": "sandbox-client-secret",
                    },
                ).json()["access_token"]
            except httpx.TransportError:
                time.sleep(0.1)
        orders = httpx.get(
            f"http://127.0.0.1:{port}/orders/2026-01-01/orders",
            params={"createdAfter": "2000-01-01T00:00:00Z"},
            headers={"x-amz-access-token": token},
        )
        assert orders.status_code == 200 and len(orders.json()["orders"]) == 30
        assert orders.headers["x-amzn-RateLimit-Limit"] == "0.0056"
        assert orders.headers["x-channelhub-sandbox-time-scale"] == "60"
    finally:
        process.terminate()
        process.wait(timeout=10)
