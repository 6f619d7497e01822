"""One exception root for everything refint raises on purpose.

The CLI turns any :class:`RefintError` into one line on stderr and exit code 2, so every message here
must name the object it is about and must never contain a password.
"""

from __future__ import annotations


class RefintError(Exception):
    """Root of refint's own errors: bad input, unreachable servers, unsupported operations."""


class InvalidTarget(RefintError):
    """The target is not a URL, path or connection refint understands."""


class ConnectionFailed(RefintError):
    """The database could not be reached or refused us (bad password, unknown database, ...)."""


class NoSuchTable(RefintError):
    """A table named by the user does not exist."""

    def __init__(self, name: str, schema: str | None = None) -> None:
        self.name = name
        self.schema = schema
        where = f"{schema}.{name}" if schema else name
        super().__init__(f"no such table: {where}")


class NoSuchSchema(RefintError):
    """A schema named by the user does not exist."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no such schema: {name}")


class NoSuchConstraint(RefintError):
    """A constraint named by the user does not exist."""


class BadInput(RefintError):
    """Arguments that cannot be used as given (a malformed predicate, a bad relation spec, ...)."""


class NotSupported(RefintError):
    """The engine cannot do what was asked; we say so rather than silently doing less."""


class UnsafeOperation(RefintError):
    """The operation would destroy data or block writers and was not explicitly allowed."""


class QueryFailed(RefintError):
    """A query refint issued failed in the engine (timeout, cancel, permission, ...)."""
