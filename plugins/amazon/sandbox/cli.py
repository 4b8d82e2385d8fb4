"""``channelhub sandbox amazon ...`` commands."""

from __future__ import annotations

import typer

from plugins.amazon.sandbox.config import SandboxConfig
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
) -> None:
    """Serve the SP-API sandbox (SP-API and LWA at the same base URL) until interrupted."""
    config = SandboxConfig(seed=seed, orders=orders, time_scale=time_scale, throttle=not no_throttle)
    c = config.credentials
    typer.echo(f"Amazon SP-API sandbox on http://{host}:{port} (seed {seed}, {orders} orders)")
    typer.echo(f"  seller_id={c.seller_id} client_id={c.client_id}")
    typer.echo(f"  client_secret={c.client_secret} refresh_token={c.refresh_token}")
    typer.echo("  (sandbox credentials, accepted by this server only; Ctrl-C or `kill %1` stops it)")
    serve_sandbox(config, host, port)
