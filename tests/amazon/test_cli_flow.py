"""The connect-and-sync flow from the command line, against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.cli.main import main
from core.settings import Settings
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=9, orders=300, time_scale=600)) as sb:
        yield sb


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def add_args(sb: RunningSandbox, *extra: str) -> list[str]:
    c = sb.credentials
    return [
        "integrations", "add", "amazon", "--marketplace", "UK", "--alias", "amazon-uk",
        "--seller-id", c.seller_id, "--refresh-token", c.refresh_token, "--client-id", c.client_id,
        "--client-secret", c.client_secret, "--endpoint", sb.base_url, *extra,
    ]  # fmt: skip


def test_connect_sync_and_inspect(
    migrated: Settings, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, *add_args(sandbox))
    assert code == 0 and "amazon-uk: live" in out

    code, out, _ = cli(capsys, "integrations", "list", "--json")
    listed = json.loads(out)
    assert [(i["alias"], i["status"]) for i in listed] == [("amazon-uk", "live")]
    assert sandbox.credentials.refresh_token not in out  # credentials are named, never shown

    code, out, err = cli(
        capsys, "sync", "run", "--integration", "amazon-uk", "--stream", "orders", "--stream", "products"
    )
    assert code == 0, err
    code, out, _ = cli(capsys, "orders", "list", "--json", "--limit", "1000")
    orders = json.loads(out)
    assert orders and {o["integration"] for o in orders} == {"amazon-uk"}

    code, out, _ = cli(capsys, "products", "list", "--json")
    sku = next(
        p["sku"] for p in json.loads(out) if [i["integration"] for i in p["listed_on"]] == ["amazon-uk"]
    )
    assert cli(capsys, "stock", "set", sku, "12")[0] == 0
    assert cli(capsys, "price", "set", sku, "19.99")[0] == 0
    code, out, err = cli(capsys, "sync", "run", "--stream", "outbound")
    assert code == 0, err
    assert (
        sandbox.state.listings[sku].prices["A1F83G8C2ARO7P"] == 19.99
        or str(sandbox.state.listings[sku].prices["A1F83G8C2ARO7P"]) == "19.99"
    )

    code, out, _ = cli(
        capsys, "usage", "--month", orders[0]["ship_by"][:7] if orders[0]["ship_by"] else "2026-11"
    )
    assert code == 0

    code, out, _ = cli(capsys, "integrations", "show", "amazon-uk", "--json")
    streams = {s["stream"]: s for s in json.loads(out)["streams"]}
    assert streams["orders"]["last_success_at"] and streams["outbound"]["failures"] == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--history-days", "31"], "error: history-days: Input should be less than or equal to 30"),
        (["--orders", "afn"], "error: orders: use one or more of mfn, fba separated by commas"),
        (["--inventory", "none", "--orders", "none"], "error: orders: List should have at least 1 item"),
    ],
)
def test_bad_connect_options_are_one_line_errors_and_store_nothing(
    migrated: Settings,
    sandbox: RunningSandbox,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    code, _, err = cli(capsys, *add_args(sandbox, *extra))
    assert code == 2 and err.strip().startswith(message) and len(err.strip().splitlines()) == 1
    code, out, _ = cli(capsys, "integrations", "list", "--json")
    assert json.loads(out) == []


def test_a_bad_marketplace_code_names_the_valid_ones(
    migrated: Settings, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    args = add_args(sandbox)
    args[args.index("UK")] = "XX"
    code, _, err = cli(capsys, *args)
    assert code == 2 and "marketplace: 'XX' is not a Amazon marketplace" in err


def test_an_expired_refresh_token_says_what_to_do_and_stores_nothing(
    migrated: Settings, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    args = add_args(sandbox)
    args[args.index(sandbox.credentials.refresh_token)] = "Atzr|expired-long-ago"
    code, out, err = cli(capsys, *args)
    assert code == 1 and "Traceback" not in out + err
    assert "amazon-uk: the channel refused the credentials (Login with Amazon refused" in err
    assert "re-authorise the app in Seller Central and update the refresh token" in err
    assert "nothing was changed" in err and "Atzr|expired-long-ago" not in out + err
    code, out, _ = cli(capsys, "integrations", "list", "--json")
    assert json.loads(out) == []  # the alias is still free: the corrected add goes through
    code, out, _ = cli(capsys, *add_args(sandbox))
    assert code == 0 and "amazon-uk: live" in out


def test_unverified_add_is_stored_incomplete(
    migrated: Settings, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    args = add_args(sandbox, "--no-verify")
    args[args.index(sandbox.credentials.refresh_token)] = "Atzr|expired-long-ago"
    code, out, _ = cli(capsys, *args)
    assert code == 0 and "amazon-uk: added, incomplete" in out
    code, out, _ = cli(capsys, "integrations", "retry", "amazon-uk")
    assert code == 1 and "amazon-uk: error (Login with Amazon refused the credentials" in out


def test_the_same_seller_and_marketplace_cannot_be_added_twice(
    migrated: Settings, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, *add_args(sandbox))[0] == 0
    args = add_args(sandbox)
    args[args.index("amazon-uk")] = "amazon-uk-again"
    code, _, err = cli(capsys, *args)
    assert code == 2 and "error: seller-id: integration 'amazon-uk' already connects this account" in err
    code, _, err = cli(capsys, *add_args(sandbox))
    assert code == 2 and "error: alias: 'amazon-uk' is already used" in err
    args[args.index("UK")] = "DE"  # the same seller on another marketplace is another integration
    assert cli(capsys, *args)[0] == 0
    code, out, _ = cli(capsys, "integrations", "list", "--json")
    assert sorted(i["alias"] for i in json.loads(out)) == ["amazon-uk", "amazon-uk-again"]
