"""The README's commands, run as a newcomer would type them.

The sandbox walkthrough ("Try it against the Amazon sandbox") runs as one bash script, line
for line, in a fresh folder: its shell variables, its ``&`` and its ``kill %1`` included. The
only changes are the ones a test needs: the virtual environment's bin directory instead of
``source .venv/bin/activate``, a free port instead of 8765, a wait for the sandbox to answer,
and ``channelhub run`` bounded with ``--duration``. Every other ``channelhub ...`` line of the
README runs in order in another fresh folder. Lines that install software, start system
services or run until Ctrl-C are exercised elsewhere: installation and services by
``.ci/run``, ``channelhub worker``/``scheduler`` by the reliability tests. A README command
that fails fails the test.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.amazon.sandbox_support import free_port

README = Path(__file__).resolve().parents[1] / "README.md"
WALKTHROUGH = "## Try it against the Amazon sandbox"

NOT_RUN_HERE = {
    "channelhub worker": "needs Redis; run by tests/reliability with real worker processes",
    "channelhub scheduler": "needs Redis; tested in tests/core/test_sync.py and test_errors_people_meet.py",
    "channelhub --debug ...": "a pattern, not a command",
    "channelhub db upgrade": "run first by this test",
    "channelhub serve": "serves until Ctrl-C; tests/web/test_browser.py runs it as a subprocess",
    "channelhub demo --serve": "serves until Ctrl-C; tests/web/test_demo_serve.py runs it as a subprocess",
    "channelhub users add ada --role owner": "prompts for a password; tests/web pipe one in",
    "channelhub tokens create nightly-export --user ada": "needs the user above; tested in tests/web",
}


def section(heading: str) -> str:
    """The README's text from ``heading`` to the next heading of the same level."""
    text = README.read_text()
    begin = text.index(heading)
    end = text.find("\n## ", begin + len(heading))
    return text[begin : end if end != -1 else len(text)]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def readme_commands() -> list[str]:
    """``channelhub`` command lines of the README's bash blocks outside the walkthrough."""
    text = README.read_text().replace(section(WALKTHROUGH), "")
    commands: list[str] = []
    for block in bash_blocks(text):
        text = block.replace("\\\n", " ")
        for raw in text.splitlines():
            line = re.sub(r"\s+#.*$", "", raw).strip()
            line = line.removeprefix(".venv/bin/")
            if line.startswith("channelhub"):
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def walkthrough_script(port: int) -> str:
    """The walkthrough's bash blocks as one script, with only a test's changes (see above)."""
    bin_dir = Path(sys.executable).parent
    wait = (
        f"{shlex.quote(sys.executable)} -c 'import socket,time\n"
        f"for _ in range(300):\n"
        f'    try: socket.create_connection(("127.0.0.1", {port}), 1).close(); break\n'
        f"    except OSError: time.sleep(0.1)'"
    )
    lines = ["set -euxo pipefail"]
    for raw in "\n".join(bash_blocks(section(WALKTHROUGH))).splitlines():
        line = raw.replace("8765", str(port)).replace("../examples/", f"{README.parent / 'examples'}/")
        if line.strip() == "source .venv/bin/activate" or line.startswith("source .venv/bin/activate "):
            line = f'export PATH={shlex.quote(str(bin_dir))}:"$PATH"'
        if re.match(r"^channelhub run(\s+#.*)?$", line):
            line = "channelhub run --duration 5 --every 1"
        lines.append(line)
        if "sandbox amazon serve" in line:
            lines.append(wait)
    return "\n".join(lines) + "\n"


def fresh_env() -> dict[str, str]:
    """A newcomer's environment: no CHANNELHUB_ settings at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    env["COLUMNS"] = "200"
    return env


def test_the_sandbox_walkthrough_runs_top_to_bottom(tmp_path: Path) -> None:
    port = free_port()
    script = walkthrough_script(port)
    assert "channelhub db upgrade" in script and "kill %1" in script
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=fresh_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the sandbox it starts with & is in this group
    )
    try:
        out, err = shell.communicate(timeout=300)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
    assert shell.returncode == 0, f"the walkthrough failed:\n{out[-3000:]}\n{err[-3000:]}"
    assert "client_secret=sandbox-client-secret" in out  # serve prints every credential add needs
    assert "notified 1 order(s)" in out and "no notification due" not in out
    assert "stopped:" in out  # channelhub run said it stopped
    assert (tmp_path / "try-channelhub" / "channelhub.db").exists()
    with pytest.raises(OSError):  # kill %1 stopped the sandbox
        socket.create_connection(("127.0.0.1", port), 1).close()


def test_every_other_readme_command_runs(tmp_path: Path) -> None:
    env = fresh_env()
    channelhub = [sys.executable, "-m", "core"]

    def run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            channelhub + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
        )

    assert run(["db", "upgrade"]).returncode == 0
    ran: list[str] = []
    for command in readme_commands():
        if command in NOT_RUN_HERE or command.split(" [")[0] in NOT_RUN_HERE:
            continue
        args = shlex.split(re.sub(r"\[(--[a-z-]+)\]", r"\1", command))[1:]
        if args[:1] == ["demo"]:
            args = [*args, "--dir", str(tmp_path / "demo")]
        result = run(args)
        assert result.returncode == 0, f"README command failed: {command}\n{result.stdout}\n{result.stderr}"
        ran.append(command)
    assert any(c.startswith("channelhub demo") for c in ran)
