"""Settings from the environment (prefix ``CHANNELHUB_``), read once per process.

With nothing set, channelhub runs embedded: a SQLite file in the working directory and an
in-process broker. Setting ``CHANNELHUB_DATABASE_URL`` (PostgreSQL) and ``CHANNELHUB_REDIS_URL``
turns it into a service of many workers on many machines.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///channelhub.db"


class Settings(BaseSettings):
    """Every knob of a channelhub process. Field names map to ``CHANNELHUB_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CHANNELHUB_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; postgresql:// URLs use the psycopg 3 driver.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL; unset means embedded mode (in-process broker)."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key(s) encrypting credentials at rest, comma-separated, newest first. "
            "Required with a Redis URL; generated into key_file in embedded mode."
        ),
    )
    key_file: Path = Field(
        default=Path("channelhub.key"),
        description="Where embedded mode keeps its generated secret key.",
    )
    queue_namespace: str = Field(
        default="channelhub",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Prefix of the job queues in Redis; deployments sharing one Redis use different ones.",
    )
    worker_threads: int = Field(default=4, ge=1, le=64)
    job_log_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description=(
            "Finished job runs (the job log) are kept this many days; the scheduler deletes older "
            "ones once a day. A stream's cursor, lease and schedule are kept elsewhere and stay."
        ),
    )
    stream_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description=(
            "Work a worker claimed (a sync stream, a batch of notifications) is taken over when "
            "it stays silent this long: its worker died. Renewed every third of it while the "
            "work goes on (before CHANNELHUB_TIME_SCALE divides it)."
        ),
    )
    time_scale: float = Field(
        default=1.0,
        gt=0,
        description=(
            "Divides every time constant (lease, heartbeat, stream intervals, retry backoff) at "
            "once, so their ratios stay Amazon's; 1 in production, larger against a fast sandbox."
        ),
    )
    order_limit: int = Field(
        default=1000,
        ge=0,
        description=(
            "The subscription's monthly order limit (an MFN order counts 1, an FBA order 0.5), "
            "drawn on the console's Usage chart; 0 means no limit."
        ),
    )
    log_level: str = "INFO"
    log_json: bool = False

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, url: str) -> str:
        """Plain ``postgresql://`` would pick psycopg2, which we do not ship; empty is the default."""
        if not url.strip():
            return DEFAULT_DATABASE_URL
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @field_validator("redis_url")
    @classmethod
    def _empty_is_unset(cls, url: str | None) -> str | None:
        return url or None

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: one process, in-process broker."""
        return self.redis_url is None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings. Tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
