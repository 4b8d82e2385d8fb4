"""``db downgrade`` asks before it drops a whole branch's tables (data included)."""

from __future__ import annotations

import io
import json

import pytest

from core.cli.main import main
from core.settings import Settings


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def current(capsys: pytest.CaptureFixture[str]) -> dict[str, str | None]:
    code, out, _ = cli(capsys, "db", "current", "--json")
    assert code == 0
    return {b["branch"]: b["current"] for b in json.loads(out)}


class Typed(io.StringIO):
    """A terminal's stdin with the given answer typed in."""

    def isatty(self) -> bool:
        return True


def test_without_a_terminal_it_refuses_in_one_line_and_drops_nothing(
    migrated: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = current(capsys)
    code, out, err = cli(capsys, "db", "downgrade", "base")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: downgrade base would drop every table of bigbuy_mip, core, shipstation_like, "
        "and the data in them: add --yes to confirm"
    ]
    assert current(capsys) == before and None not in before.values()


@pytest.mark.parametrize(("answer", "dropped"), [("n\n", False), ("y\n", True)])
def test_on_a_terminal_it_asks(
    migrated: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    dropped: bool,
) -> None:
    monkeypatch.setattr("sys.stdin", Typed(answer))
    code, out, _ = cli(capsys, "db", "downgrade", "shipstation_like@base")
    assert "drops every table of shipstation_like" in out
    assert (code == 0) is dropped
    states = current(capsys)
    assert (states["shipstation_like"] is None) is dropped
    assert states["core"] is not None and states["bigbuy_mip"] is not None


def test_yes_skips_the_question(migrated: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "db", "downgrade", "base", "--yes")
    assert code == 0, err
    assert set(current(capsys).values()) == {None}
