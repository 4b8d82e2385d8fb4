"""``channelhub users ...`` and ``channelhub tokens ...``: who may use the console and the API."""

from __future__ import annotations

import sys

import typer

from core.cli import validate
from core.cli.output import console, print_json, print_table
from core.db.models import User
from core.db.session import session_scope
from core.errors import InputError
from core.json_convention import timestamp
from core.services import records, users

users_app = typer.Typer(no_args_is_help=True)
tokens_app = typer.Typer(no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _read_password(from_stdin: bool) -> str:
    """From a hidden prompt on a terminal; the first line of standard input otherwise."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("password", "standard input held no password line")
        return password
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help="host, admin, operator or owner."),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the password from the first line of stdin (the default when stdin is no terminal).",
    ),
    as_json: bool = JSON,
) -> None:
    """Add a console user (the password is asked for, and stored as an argon2 hash)."""
    chosen = users.parse_role(role)
    password = _read_password(password_stdin)
    with session_scope() as session:
        data = records.user_record(users.add_user(session, name, chosen, password))
    if as_json:
        print_json(data)
        return
    console.print(f"user {data['name']} added with role {data['role']}", highlight=False)


@users_app.command("list")
def users_list(as_json: bool = JSON) -> None:
    """Console users and their roles."""
    with session_scope() as session:
        rows = [records.user_record(u) for u in users.list_users(session)]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Users",
        ["id", "name", "role", "last login"],
        [(r["id"], r["name"], r["role"], r["last_login_at"]) for r in rows],
    )


@tokens_app.command("create")
def tokens_create(
    name: str = typer.Argument(..., help="What the token is for, e.g. nightly-export."),
    user: str = typer.Option(..., "--user", help="The user the token acts as (it has their role)."),
    as_json: bool = JSON,
) -> None:
    """Create an API token; it is printed once and only its hash is stored."""
    with session_scope() as session:
        made = users.create_token(session, user, name)
    data = {
        "id": made.id,
        "name": made.name,
        "user": made.user,
        "token": made.token,
        "created_at": timestamp(made.created_at),
    }
    if as_json:
        print_json(data)
        return
    console.print(
        f"token {made.id} ({made.name}) for {made.user}; shown once, keep it safe:\n{made.token}",
        highlight=False,
        soft_wrap=True,
    )


@tokens_app.command("list")
def tokens_list(as_json: bool = JSON) -> None:
    """API tokens (names and first characters only), revoked ones too."""
    with session_scope() as session:
        rows = [records.token_record(t, u) for t, u in users.list_tokens(session)]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Tokens",
        ["id", "name", "user", "prefix", "last used", "revoked"],
        [(r["id"], r["name"], r["user"], r["prefix"], r["last_used_at"], r["revoked_at"]) for r in rows],
    )


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: int = typer.Argument(..., help="Token id (from `tokens list`).", callback=validate.db_id),
    as_json: bool = JSON,
) -> None:
    """Revoke a token: requests carrying it get 401 from now on."""
    with session_scope() as session:
        row = users.revoke_token(session, token_id)
        owner = session.get(User, row.user_id)
        data = records.token_record(row, owner.name if owner else "")
    if as_json:
        print_json(data)
        return
    console.print(f"token {data['id']} ({data['name']}) revoked", highlight=False)
