"""Engine registry: a plain dict from SQLAlchemy dialect name to the module and class that handle it.

Modules are imported only when an engine is used, so ``refint --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.direct import DirectConnection

    from refint.engines.base import Engine

REGISTRY: dict[str, tuple[str, str]] = {
    "sqlite": ("refint.engines.sqlite", "SQLite"),
    "postgresql": ("refint.engines.postgres", "PostgreSQL"),
    "mysql": ("refint.engines.mysql", "MySQL"),
    "mariadb": ("refint.engines.mysql", "MariaDB"),
    "duckdb": ("refint.engines.duckdb", "DuckDB"),
    "spark": ("refint.engines.spark", "Spark"),
    "generic": ("refint.engines.generic", "Generic"),
}


def engine_class(name: str) -> type[Engine]:
    module_name, class_name = REGISTRY.get(name, REGISTRY["generic"])
    cls: type[Engine] = getattr(importlib.import_module(module_name), class_name)
    return cls


def engine_for(conn: sa.Connection | DirectConnection, *, borrowed: bool = False) -> Engine:
    """Pick the engine for a live SQLAlchemy connection by its dialect (MariaDB is told apart here)."""
    name = conn.dialect.name
    if name == "mysql" and getattr(conn.dialect, "is_mariadb", False):
        name = "mariadb"
    return engine_class(name)(conn, borrowed=borrowed)
