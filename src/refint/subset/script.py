"""``refint subset --format sql``: the subset as one self-contained script on stdout.

The script creates the tables and inserts the rows in load order, for ``| sqlite3 x.db``, ``| psql``,
``| mysql`` or ``| duckdb``: SQLite loads with foreign keys off (the keys are in CREATE TABLE), MySQL and
MariaDB under ``FOREIGN_KEY_CHECKS = 0``, PostgreSQL adds the keys after the rows in the same
transaction, DuckDB creates and fills parents first (the keys that close cycles are left out). The source
is read exactly as for a target (one read-only snapshot, set-based closure); values are written as
literals of the script's dialect.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from contextlib import closing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from refint.errors import BadInput
from refint.model import Schema

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.relations import Relations

DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql",
            "mariadb": "mysql", "duckdb": "duckdb"}
ROWS_PER_INSERT = 500


def script_dialect(to: str | None) -> str:
    if not to:
        return "sqlite"
    if to.lower() in DIALECTS:
        return DIALECTS[to.lower()]
    from refint.subset.writers import target_kind

    return target_kind(to)[0]


def literal(value: Any, dialect: str) -> str:
    """``value`` as a SQL literal of ``dialect``."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("1" if value else "0") if dialect == "sqlite" else ("TRUE" if value else "FALSE")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NULL" if dialect in ("sqlite", "mysql") else f"'{value}'"
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value) if value.is_finite() else "NULL"
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value).hex()
        if dialect == "postgresql":
            return f"'\\x{data}'::bytea"
        if dialect == "duckdb":
            return f"unhex('{data}')"
        return f"X'{data}'"
    if isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, (datetime.date, datetime.time)):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.replace("'", "''")
    if dialect == "mysql":
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


def write_script(engine: Engine, schema: Schema, out: TextIO, *, to: str | None = None, where: Sequence[str] = (),
                 percent: Sequence[str] = (), limit: Sequence[str] = (), children: str = "down",
                 depth: int | None = None, relations: Relations | None = None, exclude: Sequence[str] = (),
                 random_seed: int = 0) -> None:
    """Write the script; nothing goes to ``out`` before the options and the seeds are checked."""
    from refint.order import order
    from refint.subset import schema_out
    from refint.subset.run import invalidate, prepare

    dialect = script_dialect(to)
    if dialect not in ("sqlite", "postgresql", "mysql", "duckdb"):
        raise BadInput(f"--format sql writes sqlite, postgresql, mysql or duckdb, not {dialect}")
    closure, _, tables, declared, seeds = prepare(
        engine, schema, where=where, percent=percent, limit=limit, children=children, depth=depth,
        relations=relations, exclude=exclude, random_seed=random_seed)
    load = order(Schema(schema.engine, tuple(tables)), "load")
    out_tables = [replace(t, foreign_keys=tuple(fk for fk in t.foreign_keys if id(fk) in declared))
                  for t in load.tables]
    ts = schema_out.build(schema, out_tables, engine.name, dialect)
    source = {t.name: t for t in load.tables}
    with engine.read_only(), engine.cancel_on_interrupt():
        try:
            _write(engine, closure, ts, source, seeds, out, dialect, children)
        except KeyboardInterrupt:
            invalidate(engine)
            raise


def _write(engine: Engine, closure: Any, ts: Any, source: dict[str, Any], seeds: Sequence[Any], out: TextIO,
           dialect: str, children: str) -> None:
    from refint.subset.run import _begin_snapshot
    from refint.subset.seeds import check_seed
    from refint.subset.stream import select_expr, stream
    from refint.subset.writers import _bq, _dq

    q = _bq if dialect == "mysql" else _dq
    _begin_snapshot(engine)
    for s in seeds:
        check_seed(engine, s)
    head = {"sqlite": ["PRAGMA foreign_keys = OFF;", "BEGIN;"],
            "postgresql": ["BEGIN;"],
            "mysql": ["SET FOREIGN_KEY_CHECKS = 0;", "SET NAMES utf8mb4;", "START TRANSACTION;"],
            "duckdb": ["BEGIN TRANSACTION;"]}[dialect]
    out.write(f"-- refint subset of {len(ts.tables)} tables (children: {children})\n")
    for u in ts.untranslated:
        out.write(f"-- untranslated: {u.table}: {u.clause}: {u.message}\n".replace("\n", " ").rstrip() + "\n")
    out.write("\n".join(head) + "\n")
    for sql in ts.create:
        out.write(sql + ";\n")
    for t in ts.tables:
        src = source[t.name]
        if not closure.reachable(src):
            continue
        cols = ", ".join(q(c.name) for c in t.columns)
        sql = closure.select(src, [select_expr(engine, c, dialect) for c in src.columns])
        with closing(stream(engine, sql)) as batches:
            for rows in batches:
                for i in range(0, len(rows), ROWS_PER_INSERT):
                    values = ",\n  ".join("(" + ", ".join(literal(v, dialect) for v in row) + ")"
                                          for row in rows[i:i + ROWS_PER_INSERT])
                    out.write(f"INSERT INTO {q(t.name)} ({cols}) VALUES\n  {values};\n")
    for sql in ts.after:
        out.write(sql + ";\n")
    for table, name in ts.validate:
        out.write(_validate_or_warn(q(table), q(name), table, name))
    out.write("COMMIT;\n")
    if dialect == "mysql":
        out.write("SET FOREIGN_KEY_CHECKS = 1;\n")


def _validate_or_warn(table_sql: str, name_sql: str, table: str, name: str) -> str:
    """PostgreSQL: VALIDATE a key added NOT VALID, or, when copied rows break it (a source with orphans),
    warn and leave it NOT VALID for ``refint check`` to report, as the direct copy does, instead of
    stopping the script (psql's ON_ERROR_STOP) half-way through its keys."""
    stmt = f"ALTER TABLE {table_sql} VALIDATE CONSTRAINT {name_sql};"
    tag, n = "$refint$", 0
    while tag in stmt:  # a dollar-quote tag that no identifier contains
        n += 1
        tag = f"$refint{n}$"
    why = literal(f"refint: key {name} on {table} stays NOT VALID: copied rows break it (refint check lists them)",
                  "postgresql").replace("%", "%%")
    return (f"DO {tag} BEGIN\n  {stmt}\nEXCEPTION WHEN foreign_key_violation THEN\n"
            f"  RAISE WARNING {why};\nEND {tag};\n")
