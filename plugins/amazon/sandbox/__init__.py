"""A local Selling Partner API sandbox: the SP-API paths channelhub uses, the LWA token
endpoint and admin endpoints, seeded deterministically and enforcing usage plans.

    from plugins.amazon.sandbox import SandboxConfig, running_sandbox

    with running_sandbox(SandboxConfig(seed=42, orders=1200, time_scale=60.0)) as sb:
        ...  # sb.base_url, sb.credentials, sb.state, sb.stats()
"""

from plugins.amazon.sandbox.app import create_app
from plugins.amazon.sandbox.config import SandboxConfig, SandboxCredentials
from plugins.amazon.sandbox.server import RunningSandbox, SandboxProcess, running_sandbox, sandbox_process

__all__ = [
    "RunningSandbox",
    "SandboxConfig",
    "SandboxCredentials",
    "SandboxProcess",
    "create_app",
    "running_sandbox",
    "sandbox_process",
]
