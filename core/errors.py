"""Exceptions with messages fit for a person: the CLI prints ``str(error)`` as one line.

Every error raised on purpose inside channelhub derives from :class:`ChannelhubError`; anything
else reaching the CLI is a bug and is reported as such.
"""

from __future__ import annotations


class ChannelhubError(Exception):
    """Base class. The message is one line that says what went wrong and what to do."""


class ConfigError(ChannelhubError):
    """Settings are missing or invalid (environment, key file, database URL)."""


class NotFoundError(ChannelhubError):
    """A named thing (integration, product, order, plugin) does not exist."""


class InputError(ChannelhubError):
    """Bad input from a person or a file; names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class PluginError(ChannelhubError):
    """A plugin cannot be loaded, is invalid, or conflicts with another plugin."""


class ChannelError(ChannelhubError):
    """A sales channel answered with an error. Connectors raise its subclasses."""

    def __init__(self, message: str, *, code: str | None = None, operation: str | None = None):
        super().__init__(message)
        self.code = code
        self.operation = operation


class ChannelAuthError(ChannelError):
    """The channel refused the credentials; the integration moves to Error with this reason."""


class ThrottledError(ChannelError):
    """The channel throttled a request (HTTP 429 or equivalent) and retries were exhausted.

    Connectors must raise this (not a generic error) so the engine retries later instead of
    recording a failure. ``retry_after`` is the connector's estimate, in seconds, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, code=code, operation=operation)
        self.retry_after = retry_after


class TransientChannelError(ChannelError):
    """A temporary channel failure (5xx, timeout): safe to retry the same call later."""
