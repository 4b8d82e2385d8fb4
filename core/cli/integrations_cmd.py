"""``channelhub integrations ...``: add (one command per installed channel type), list, show,
update, disable, enable, remove, retry. Every use case is a call to
:mod:`core.services.integrations`, which the web console calls too.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import typer
from sqlalchemy import select

from core.cli import validate
from core.cli.output import console, print_json, print_table
from core.db.models import Integration, SyncCursor
from core.db.session import session_scope
from core.errors import ConfigError, InputError
from core.plugins import PluginManager, get_plugin_manager
from core.services import integrations, records
from core.services.integrations import SettingField
from core.types import ChannelType

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every integration with its status, open errors and failed notifications."""
    with session_scope() as session:
        counts = records.attention(session)
        rows = [
            records.with_counts(records.integration_record(i), counts)
            for i in session.scalars(select(Integration).order_by(Integration.alias))
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Integrations",
        ["alias", "channel", "marketplace", "status", "errors", "failed notifications", "reason"],
        [
            (
                r["alias"],
                r["channel"],
                r["marketplace"],
                _state(r),
                r["errors"],
                r["failed_notifications"],
                r["reason"],
            )
            for r in rows
        ],
    )


def _state(info: dict[str, object]) -> object:
    """The status a person reads: removed and disabled win over the channel's verdict."""
    if info["removed_at"]:
        return "removed"
    if info["disabled_at"]:
        return f"disabled ({info['status']})"
    return info["status"]


@app.command()
def show(name: str, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """One integration: settings, stored credential names, and where each stream stands."""
    with session_scope() as session:
        integration = integrations.find(session, name)
        info = records.with_counts(records.integration_record(integration), records.attention(session))
        info["streams"] = [
            {
                "stream": c.stream,
                "cursor": c.cursor,
                "last_success_at": c.last_success_at,
                "next_run_at": c.next_run_at,
                "failures": c.consecutive_failures,
                "last_error": c.last_error,
            }
            for c in session.scalars(select(SyncCursor).where(SyncCursor.integration_id == integration.id))
        ]
    if as_json:
        print_json(info)
        return
    keys = ("alias", "channel", "marketplace", "status", "reason", "settings", "credentials")
    for key in (*keys, "errors", "failed_notifications"):
        console.print(f"[bold]{key}[/bold]: {info[key]}", highlight=False)
    streams = info["streams"]
    assert isinstance(streams, list)
    print_table(
        "Streams",
        ["stream", "last success", "next run", "failures", "last error"],
        [
            (s["stream"], s["last_success_at"], s["next_run_at"], s["failures"], s["last_error"])
            for s in streams
        ],
    )


JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _report(integration: Integration, as_json: bool, text: str) -> None:
    if as_json:
        print_json(records.integration_record(integration))
    else:
        console.print(text, highlight=False, soft_wrap=True)


def _status_line(integration: Integration) -> str:
    reason = f" ({integration.status_reason})" if integration.status_reason else ""
    return f"{integration.alias}: {integration.status.value}{reason}"


@app.command()
def retry(name: str = typer.Argument(..., help="Alias or id."), as_json: bool = JSON) -> None:
    """Check the credentials again: Live if the channel accepts them, Error with the reason if not
    (exit 1)."""
    with session_scope() as session:
        integration = integrations.verify(session, integrations.find(session, name).id, get_plugin_manager())
        _report(integration, as_json, _status_line(integration))
        refused = integration.status_reason is not None
    if refused:
        raise typer.Exit(1)


@app.command()
def update(
    name: str = typer.Argument(..., help="Alias or id."),
    set_: list[str] = typer.Option(
        [], "--set", help="A setting as key=value (repeatable); see `integrations add CHANNEL --help`."
    ),
    credential: list[str] = typer.Option(
        [], "--credential", help="A credential as key=value, or key alone to be asked for it (repeatable)."
    ),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check with the channel first."),
    as_json: bool = JSON,
) -> None:
    """Change settings or credentials; nothing is kept if the channel refuses them."""
    plugins = get_plugin_manager()
    with session_scope() as session:
        integration = integrations.find(session, name)
        channel = integrations.describe_channel(plugins.channel_type(integration.channel_key))
        fields = {f.name: f for f in channel.settings_fields}
        settings = {}
        for key, text in (_pair(item, "--set") for item in set_):
            if key not in fields:
                known = ", ".join(sorted(fields))
                raise InputError("--set", f"{key!r} is not a setting of this channel ({known})")
            settings[key] = integrations.parse_setting(fields[key], text)
        credentials = dict(_credential(item) for item in credential)
        if not settings and not credentials:
            raise InputError("--set", "give at least one --set or --credential to change")
        integration = integrations.update(
            session, plugins, name, settings=settings, credentials=credentials, verify=verify
        )
        _report(integration, as_json, f"{_status_line(integration)}: updated")


@app.command()
def disable(name: str = typer.Argument(..., help="Alias or id."), as_json: bool = JSON) -> None:
    """Stop syncing it (and its schedule) until `integrations enable`; its data stays."""
    with session_scope() as session:
        integration = integrations.disable(session, name)
        _report(integration, as_json, f"{integration.alias}: disabled")


@app.command()
def enable(
    name: str = typer.Argument(..., help="Alias or id."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check the credentials first."),
    as_json: bool = JSON,
) -> None:
    """Sync it again, once the channel still accepts its credentials."""
    with session_scope() as session:
        integration = integrations.enable(session, get_plugin_manager(), name, verify=verify)
        _report(integration, as_json, f"{_status_line(integration)}: enabled")


@app.command()
def remove(
    name: str = typer.Argument(..., help="Alias or id."),
    delete_orders: bool = typer.Option(
        False, "--delete-orders", help="Delete its orders too (default: keep them, archiving it)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = JSON,
) -> None:
    """Remove an integration. Its orders are kept (it is archived) unless --delete-orders."""
    with session_scope() as session:
        alias = integrations.find(session, name).alias
        if not yes:
            what = "its orders too" if delete_orders else "its listings, queued pushes and sync state"
            if not sys.stdin.isatty():
                raise ConfigError(f"removing {alias} deletes {what}: add --yes to confirm")
            typer.confirm(f"Remove {alias}? This deletes {what}.", abort=True)
        removal = integrations.remove(session, name, keep_orders=not delete_orders)
    if as_json:
        print_json(
            {
                "integration": removal.alias,
                "integration_id": removal.integration_id,
                "archived": removal.archived,
                "orders_kept": removal.orders_kept,
                "orders_deleted": removal.orders_deleted,
            }
        )
        return
    if removal.archived:
        console.print(
            f"{removal.alias}: removed; archived with its {removal.orders_kept} orders kept", highlight=False
        )
    else:
        console.print(f"{removal.alias}: removed, {removal.orders_deleted} orders deleted", highlight=False)


def _pair(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InputError(option, f"use key=value, got {item.split('=')[0][:40]!r}")
    return key.strip(), value


def _credential(item: str) -> tuple[str, str]:
    """``key=value``, or ``key`` alone: asked for without echo (never taken from a pipe)."""
    if "=" in item:
        key, value = _pair(item, "--credential")
    else:
        key = item.strip()
        if not sys.stdin.isatty():
            raise InputError("--credential", f"give {key}=VALUE (no terminal to ask for it on)")
        value = typer.prompt(key, hide_input=True)
    return key, validate.check_secret(value, f"--credential {key}")


# ---------------------------------------------------------------------- add CHANNEL

_RESERVED = {"--marketplace", "--alias", "--verify", "--no-verify", "--json", "--help"}


def add_app(plugins: PluginManager) -> typer.Typer:
    """``integrations add CHANNEL``: one command per installed channel type, its options read
    from the channel's settings model and credential names, so a newly installed channel
    (a scaffolded one too) can be connected the day it is installed."""
    app_ = typer.Typer(no_args_is_help=True)
    for key, channel in sorted(plugins.channel_types().items()):
        app_.command(key)(_add_command(channel))
    return app_


def _option_name(name: str) -> str:
    option = "--" + name.replace("_", "-")
    return f"--setting-{option[2:]}" if option in _RESERVED else option


def _add_command(channel: ChannelType) -> Callable[..., None]:
    info = integrations.describe_channel(channel)
    codes = ", ".join(m.code for m in info.marketplaces)
    single = len(info.marketplaces) == 1
    params = [
        inspect.Parameter(
            "marketplace",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=str,
            default=typer.Option(
                info.marketplaces[0].code if single else ...,
                "--marketplace",
                "-m",
                help=f"Marketplace: {codes}.",
                callback=validate.code,
            ),
        ),
        inspect.Parameter(
            "alias",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=str,
            default=typer.Option(
                ..., help=f"A name for this integration, e.g. {channel.key}-uk.", callback=validate.alias
            ),
        ),
    ]
    settings = {f"setting_{f.name}": f for f in info.settings_fields}
    for param_name, field in settings.items():
        params.append(_setting_parameter(param_name, field))
    credentials: dict[str, tuple[str, bool]] = {}
    for name, required in [
        *((c, True) for c in info.credential_fields),
        *((c, False) for c in info.optional_credentials),
    ]:
        param_name = f"credential_{name}"
        credentials[param_name] = (name, required)
        params.append(
            inspect.Parameter(
                param_name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str | None,
                default=typer.Option(
                    None,
                    _option_name(name),
                    envvar=f"{channel.key}_{name}".upper(),
                    help=("Credential" if required else "Optional credential")
                    + ", stored encrypted."
                    + (" Asked for when missing." if required else ""),
                    callback=validate.secret,
                    show_envvar=True,
                ),
            )
        )
    params += [
        inspect.Parameter(
            "verify",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=bool,
            default=typer.Option(True, "--verify/--no-verify", help="Check the credentials now."),
        ),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=JSON),
    ]

    def command(**values: Any) -> None:
        typed = {
            field.name: _setting_value(field, values[param_name])
            for param_name, field in settings.items()
            if values[param_name] is not None
        }
        secrets = {}
        for param_name, (name, required) in credentials.items():
            value = values[param_name]
            if value is None and required:
                if not sys.stdin.isatty():
                    raise InputError(_option_name(name), "is required")
                value = validate.check_secret(typer.prompt(name, hide_input=True), _option_name(name))
            if value:
                secrets[name] = value
        with session_scope() as session:
            integration = integrations.add(
                session,
                get_plugin_manager(),
                channel.key,
                values["alias"],
                typed,
                secrets,
                marketplace=values["marketplace"],
                verify=values["verify"],
            )
            alias = integration.alias
            text = (
                _status_line(integration)
                if values["verify"]
                else f"{alias}: added, incomplete (run `channelhub integrations retry {alias}`)"
            )
            _report(integration, values["as_json"], text)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = (
        f"Connect {channel.display_name}: Live once it accepts the credentials, nothing stored if "
        "it refuses them (unless --no-verify)."
    )
    return command


def _setting_parameter(param_name: str, field: SettingField) -> inspect.Parameter:
    """A settings field as an option: omitted means the settings model's default."""
    described = (field.description or field.name.replace("_", " ").capitalize()).rstrip(".")
    extra = {
        "choice": f" One of {', '.join(field.choices)}.",
        "list": f" Comma-separated ({', '.join(field.choices) or 'values'}); none for empty.",
        "json": " A JSON document.",
    }.get(field.kind, "")
    shown = not field.required and field.default not in (None, [], {})
    default = f" Default: {_shown(field.default)}." if shown else ""
    help_text = f"{described}.{extra}{default}" + (" Required." if field.required else "")
    annotation: Any = {"integer": int | None, "number": float | None}.get(field.kind, str | None)
    decls = [_option_name(field.name)]
    if field.kind == "boolean":
        annotation = bool | None
        decls = [f"{decls[0]}/--no-{decls[0][2:]}"]
    return inspect.Parameter(
        param_name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=annotation,
        default=typer.Option(None, *decls, help=help_text, show_default=False),
    )


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _setting_value(field: SettingField, value: Any) -> Any:
    """Text options through the service's parser (lists, JSON), checked for invisible characters."""
    if not isinstance(value, str):
        return value
    validate.check_text(value, _option_name(field.name), max_length=2000, blank=True)
    return integrations.parse_setting(field, value)
