"""``channelhub sandbox amazon ...`` commands."""

from __future__ import annotations

import typer

from plugins.amazon.sandbox.config import SandboxConfig
from plugins.amazon.sandbox.faults import FaultError, parse_flag
from plugins.amazon.sandbox.server import serve as serve_sandbox

app = typer.Typer(no_args_is_help=True, help="A local Selling Partner API sandbox.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8765, min=1, max=65535, help="TCP port."),
    seed: int = typer.Option(42, help="Seed of the generated data (same seed, same data)."),
    orders: int = typer.Option(1200, "--orders", min=0, help="Orders to seed."),
    time_scale: float = typer.Option(
        1.0,
        "--time-scale",
        min=0.001,
        help="Amazon seconds per real second (60: throttles and fulfilment run 60x faster).",
    ),
    no_throttle: bool = typer.Option(False, "--no-throttle", help="Do not enforce usage plans."),
    limit_header_omitted: float = typer.Option(
        0.5, "--limit-header-omitted", min=0.0, max=1.0, help="Share of 429s without x-amzn-RateLimit-Limit."
    ),
    public_url: str = typer.Option(
        "", "--public-url", help="URL clients reach the sandbox at (document URLs); default http://HOST:PORT."
    ),
    fault: list[str] = typer.Option(
        [],
        "--fault",
        metavar="OP:MODE[:ARG][:NAME=VALUE...]",
        help="Arm a fault at start and on each reset (repeatable); see docs/sandbox.md.",
    ),
) -> None:
    """Serve the SP-API sandbox (SP-API and LWA at the same base URL) until interrupted."""
    try:
        faults = tuple(parse_flag(flag) for flag in fault)
    except FaultError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fault") from None
    config = SandboxConfig(
        seed=seed,
        orders=orders,
        time_scale=time_scale,
        throttle=not no_throttle,
        limit_header_omitted=limit_header_omitted,
        faults=faults,
        public_url=public_url or None,
    )
    c = config.credentials
    typer.echo(f"Amazon SP-API sandbox on http://{host}:{port} (seed {seed}, {orders} orders)")
    typer.echo(f"  seller_id={c.seller_id} client_id={c.client_id}")
    typer.echo(f"  client_secret={c.client_secret} refresh_token={c.refresh_token}")
    typer.echo("  (sandbox credentials, accepted by this server only; Ctrl-C or `kill %1` stops it)")
    for armed in faults:
        typer.echo(f"  fault: {armed.operation} {armed.mode}")
    serve_sandbox(config, host, port)
