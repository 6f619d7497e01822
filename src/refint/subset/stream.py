"""Rows out of the source: one statement per table, read in large batches from a server-side cursor.

Values the target's driver cannot bind as they come (PostgreSQL's json, uuid, arrays, intervals; MariaDB's
decimals and times into SQLite) are cast to text in the SELECT itself, so no Python code touches a value
on the way: the batch goes from one driver's ``fetchmany`` to the other's ``executemany`` (or COPY).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.model import Column

BATCH = 20_000

#: PostgreSQL types every target's driver binds as they come
PG_PLAIN = ("smallint", "integer", "bigint", "real", "double precision", "text", "character varying", "character",
            "boolean", "bytea", "name", "\"char\"")
PG_TYPED = ("numeric", "date", "timestamp without time zone", "timestamp with time zone", "time without time zone")
MY_PLAIN = ("tinyint", "smallint", "mediumint", "int", "integer", "bigint", "float", "double", "real", "varchar",
            "char", "text", "tinytext", "mediumtext", "longtext", "blob", "tinyblob", "mediumblob", "longblob",
            "binary", "varbinary", "enum", "set", "json")
MY_TYPED = ("decimal", "numeric", "date", "datetime", "timestamp")


def _base(type_: str) -> str:
    base = type_.strip().lower().split("(")[0].strip()
    return base.replace(" unsigned", "").replace(" zerofill", "").strip()


def select_expr(engine: Engine, col: Column, dialect: str) -> str:
    """``t.col``, or ``t.col`` cast to text where the target's driver could not bind the value."""
    q = f"t.{engine.quote(col.name)}"
    base = _base(col.type)
    if engine.name == "postgresql":
        if base in PG_PLAIN or (dialect in ("postgresql", "mysql", "duckdb") and base in PG_TYPED):
            return q
        return f"CAST({q} AS text)"
    if engine.name in ("mysql", "mariadb"):
        if base in MY_PLAIN or (dialect in ("postgresql", "mysql", "duckdb") and base in MY_TYPED):
            return q
        return f"CAST({q} AS CHAR)"
    return q


def stream(engine: Engine, sql: str, batch: int = BATCH) -> Generator[list[tuple[Any, ...]], None, None]:
    """The rows of ``sql`` in batches, read with a server-side cursor (memory: one batch)."""
    raw = engine.dbapi_connection()
    module = type(raw).__module__.split(".")[0]
    if module == "psycopg":
        cur = raw.cursor(name="refint_subset")
        cur.itersize = batch
    elif module == "pymysql":
        import pymysql.cursors

        cur = raw.cursor(pymysql.cursors.SSCursor)
    else:
        cur = raw.cursor()
    try:
        cur.execute(sql)
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows if isinstance(rows, list) else list(rows)
    finally:
        cur.close()


def copy_out(engine: Engine, sql: str) -> Iterator[bytes]:
    """PostgreSQL: ``COPY (sql) TO STDOUT`` in blocks of text format (for a PostgreSQL target)."""
    raw = engine.dbapi_connection()
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT") as copy:
        for block in copy:
            yield bytes(block)
