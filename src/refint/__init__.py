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

from collections.abc import Sequence
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
    from refint.explain import Explanation
    from refint.relations import Relations

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


def connect(target: Any = None, *, schemas: Sequence[str] | None = None, readonly: bool = False,
            relations: Relations | None = None, engine: str | None = None) -> Database:
    """Open a URL, a file path, a folder of Parquet/CSV/JSON files, a connection or a SparkSession you hold, as a
    [Database][refint.database.Database].

    The same function as [refint.database.connect][], imported on first call so that `import refint`
    stays light; its signature is repeated here so that help(), IDEs and mypy see the real parameters
    (`tests/test_api_twins.py` checks that both agree).
    """
    from refint.database import connect as _connect

    return _connect(target, schemas=schemas, readonly=readonly, relations=relations, engine=engine)


def explain_error(conn: Any, error: BaseException | str, *, statement: str | None = None,
                  params: Any = None) -> Explanation:
    """Which constraint and key an IntegrityError broke (`refint explain`).

    Args:
        conn: a [Database][refint.database.Database], or anything [connect][refint.connect] accepts
            (typically the connection that just raised `error`; for SQLite, still inside its transaction).
        error: the exception the driver raised, or its message text.
        statement: the statement that failed, replayed in a savepoint that is always rolled back.
        params: the statement's bound parameters.

    Returns:
        An [Explanation][refint.explain.Explanation].

    Raises:
        refint.errors.BadInput: the statement cannot be replayed.
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
