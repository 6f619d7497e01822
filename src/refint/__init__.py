"""refint: referential integrity for relational databases.

Inspect every constraint into one engine-neutral model, check data against them, plan what a DELETE or
UPDATE would do, order tables for load/delete/drop, manage keys safely, lint and graph the design.

    >>> import refint
    >>> db = refint.connect("examples/school.db")
    >>> schema = db.inspect()

Heavy modules (SQLAlchemy, drivers) are imported lazily so that ``import refint`` and ``refint --help``
stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refint.errors import (
    BadInput,
    ConnectionFailed,
    InvalidTarget,
    NoSuchConstraint,
    NoSuchSchema,
    NoSuchTable,
    NotSupported,
    QueryFailed,
    RefintError,
    UnsafeOperation,
)

if TYPE_CHECKING:
    from refint.database import Database

__version__ = "0.1.0"

__all__ = [
    "BadInput",
    "ConnectionFailed",
    "Database",
    "InvalidTarget",
    "NoSuchConstraint",
    "NoSuchSchema",
    "NoSuchTable",
    "NotSupported",
    "QueryFailed",
    "RefintError",
    "UnsafeOperation",
    "__version__",
    "connect",
    "explain_error",
]


def connect(target: Any = None, **kwargs: Any) -> Database:
    """Open a URL, file path or existing connection; see :func:`refint.database.connect`."""
    from refint.database import connect as _connect

    return _connect(target, **kwargs)


def explain_error(conn: Any, error: BaseException | str, *, statement: str | None = None,
                  params: Any = None) -> Any:
    """Which key an IntegrityError broke: see :mod:`refint.explain`.

    ``conn`` is a Database, or anything :func:`connect` accepts (typically the connection that just
    raised ``error``; for SQLite, still inside its transaction).
    """
    from refint.database import Database, connect as _connect

    db = conn if isinstance(conn, Database) else _connect(conn)
    try:
        return db.explain(error, statement=statement, params=params)
    finally:
        if db is not conn:
            db.close()


def __getattr__(name: str) -> Any:
    if name == "Database":
        from refint.database import Database

        return Database
    raise AttributeError(name)
