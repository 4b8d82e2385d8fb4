"""``channelhub plugins new channel NAME``: a plugin package that passes the suite from day one."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import typer

from core.cli.output import console
from core.cli.scaffold_templates import CHANNEL_FILES
from core.errors import InputError

app = typer.Typer(help="Create a new plugin package from a template.", no_args_is_help=True)

NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")


def render_channel(name: str, directory: Path) -> Path:
    """Write the package ``channelhub-<name>`` under ``directory``; refuse to overwrite anything."""
    if not NAME.fullmatch(name):
        raise InputError(
            "name", f"must be 2-31 lower-case letters, digits or _ starting with a letter, got {name!r}"
        )
    root = directory / f"channelhub-{name.replace('_', '-')}"
    if root.exists():
        raise InputError("dir", f"{root} already exists; choose another --dir or name")
    values = {"name": name, "Title": "".join(part.capitalize() for part in name.split("_"))}
    for relative, text in CHANNEL_FILES.items():
        target = root / Template(relative).substitute(values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(text).substitute(values))
    return root


@app.command("channel")
def new_channel(
    name: str = typer.Argument(..., help="Channel key, e.g. myshop (also the package name)."),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to create the package."),
) -> None:
    """Scaffold a channel plugin: entry point, hooks, connector, fake shop and conformance tests."""
    root = render_channel(name, directory)
    console.print(f"created {root}")
    console.print(f"next: pip install -e {root} && pytest {root}", soft_wrap=True)
