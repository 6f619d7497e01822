"""``refint subset``: compute the closure in the source, stream the rows into a new target, check it.

The source is read in one read-only transaction (PostgreSQL REPEATABLE READ READ ONLY, MariaDB a
read-only transaction whose first read fixes the snapshot, SQLite one read transaction) and never
written. Each table's rows are one statement (:mod:`refint.subset.closure`) read in batches
(:mod:`refint.subset.stream`) into the target (:mod:`refint.subset.writers`); then ``check`` runs on
the target and its report is the command's verdict.
"""

from __future__ import annotations

import time
from contextlib import closing
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput, QueryFailed
from refint.model import Schema, Table
from refint.subset.closure import Closure, Edge
from refint.subset.result import CutKey, SubsetResult, TableSubset, Via
from refint.subset.seeds import Seed, check_seed, install_sqlite_hash, parse_seeds, seed_predicate

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.relations import Relations
    from refint.subset.writers import Writer

CHILDREN = ("none", "down", "all")
#: --children all warns when it selects more than this share of a table (of at least WARN_ROWS rows)
WARN_SHARE = 0.5
WARN_ROWS = 100
Progress = Callable[[str, int, int, str], None]


def _label(t: Table, schema: Schema) -> str:
    same = [x for x in schema.tables if x.name == t.name]
    return t.name if len(same) <= 1 else t.qualified_name


def prepare(engine: Engine, schema: Schema, *, where: Sequence[str], percent: Sequence[str],
            limit: Sequence[str], children: str, depth: int | None, relations: Relations | None,
            exclude: Sequence[str], random_seed: int) -> tuple[Closure, SubsetResult, list[Table], set[int], list[Seed]]:
    """Validate the options and build the closure's SQL (nothing runs yet); for a copy and a script alike."""
    engine.refuse("subset")
    if children not in CHILDREN:
        raise BadInput(f"unknown --children {children!r} (choose from none, down, all)")
    if depth is not None and depth < 0:
        raise BadInput("--depth must be 0 or more")
    declared = {id(fk) for t in schema.tables for fk in t.foreign_keys}
    if relations is not None:
        from refint.relations import apply_relations

        schema, _ = apply_relations(schema, relations)
    declared_now = {id(fk) for t in schema.tables for fk in t.foreign_keys if id(fk) in declared}
    excluded = {schema.table(name).key for name in exclude}
    seeds = parse_seeds(schema, engine.name, where, percent, limit, excluded)
    if not seeds:
        raise BadInput("no seed: give at least one --where, --percent or --limit ('TABLE: ...')")
    tables = [t for t in schema.tables if t.kind in ("table", "partitioned", "file") and t.key not in excluded]
    keys = {t.key for t in tables}
    result = SubsetResult(source="", target=None, dialect=None, dry_run=False, children=children, depth=depth,
                          seeds=[s.to_dict() for s in seeds.values()])
    result.excluded = [_label(x, schema) for x in schema.tables if x.key in excluded]
    edges: list[Edge] = []
    for t in tables:
        for fk in t.foreign_keys:
            parent = schema.get(fk.referred)
            if parent is None or parent.key not in keys:
                if parent is not None and parent.key in excluded:
                    result.cut_keys.append(CutKey(_label(t, schema), fk.name, _label(parent, schema),
                                                  "--exclude"))
                elif parent is None:
                    result.warnings.append(f"key {fk.name or fk.columns} of {t.qualified_name} refers to "
                                           f"{fk.referred_table}, " + ("which does not exist" if fk.parent_missing
                                                                        else "outside the schemas read")
                                           + ": not followed")
                continue
            edges.append(Edge(t, parent, fk))
    for t in schema.tables:  # keys of excluded tables to kept ones
        if t.key in excluded:
            for fk in t.foreign_keys:
                parent = schema.get(fk.referred)
                if parent is not None and parent.key in keys:
                    result.cut_keys.append(CutKey(_label(t, schema), fk.name, _label(parent, schema), "--exclude"))
    preds = {k: seed_predicate(engine, s, random_seed) for k, s in seeds.items()}
    closure = Closure(engine, schema, tables, edges, preds, children, depth)
    return closure, result, tables, declared_now, list(seeds.values())


def _via(closure: Closure, t: Table, schema: Schema, counts: list[int] | None) -> tuple[Via, ...]:
    out = []
    for i, term in enumerate(closure.terms(closure.final, t)):
        rows = counts[i] if counts is not None else None
        if term.edge is None:
            out.append(Via("seed", rows=rows))
        elif term.kind == "parent":
            out.append(Via("parent", term.edge.fk.name, _label(term.edge.parent, schema), term.edge.fk.columns, rows))
        else:
            out.append(Via("child", term.edge.fk.name, _label(term.edge.child, schema), term.edge.fk.columns, rows))
    return tuple(out)


def _fail(what: str, exc: BaseException) -> QueryFailed:
    orig: Any = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return QueryFailed(f"{what}: {first}")


def subset(engine: Engine, schema: Schema, *, display: str, to: str | None = None, where: Sequence[str] = (),
           percent: Sequence[str] = (), limit: Sequence[str] = (), children: str = "down",
           depth: int | None = None, relations: Relations | None = None, exclude: Sequence[str] = (),
           dry_run: bool = False, force: bool = False, random_seed: int = 0,
           progress: Progress | None = None) -> SubsetResult:
    """See :meth:`refint.database.Database.subset`."""
    started = time.monotonic()
    closure, result, tables, declared, seeds = prepare(
        engine, schema, where=where, percent=percent, limit=limit, children=children, depth=depth,
        relations=relations, exclude=exclude, random_seed=random_seed)
    result.source = display
    result.dry_run = dry_run
    from refint.order import order

    load = order(Schema(schema.engine, tuple(tables)), "load")
    result.order = list(load.order)
    writer: Writer | None = None
    target_schema = None
    if not dry_run:
        if not to:
            raise BadInput("no --to: give a target path or URL (or --dry-run)")
        from refint.subset import schema_out
        from refint.subset.writers import open_writer, target_kind

        dialect, _ = target_kind(to)
        out_tables = [replace(t, foreign_keys=tuple(fk for fk in t.foreign_keys if id(fk) in declared))
                      for t in load.tables]
        target_schema = schema_out.build(schema, out_tables, engine.name, dialect)
        result.untranslated = list(target_schema.untranslated)
        for t, fk in target_schema.omitted:
            result.cut_keys.append(CutKey(t.name, fk.name, fk.referred_table,
                                          "DuckDB cannot add it after the rows (a cycle or a self-reference)"))
        writer = open_writer(to, force)
        result.target = writer.display
        result.dialect = writer.dialect
    try:
        with engine.read_only(), engine.cancel_on_interrupt():
            try:
                _begin_snapshot(engine)
                for s in seeds:
                    check_seed(engine, s)
                if dry_run:
                    _count(closure, result, load.tables, schema, progress)
                else:
                    assert writer is not None and target_schema is not None
                    _copy(closure, result, writer, target_schema, load.tables, schema, progress)
            except KeyboardInterrupt:
                invalidate(engine)
                raise
        if writer is not None:
            writer.finish()
            if progress:
                progress("check", 0, 1, "check")
            result.check = writer.check()
            if progress:
                progress("check", 1, 1, "check")
            _commit(writer)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        if writer is not None and hasattr(writer, "close"):
            writer.close()
    if children == "all":
        for ts in result.tables:
            if ts.total and ts.total >= WARN_ROWS and ts.rows > WARN_SHARE * ts.total:
                result.warnings.append(f"--children all reached {ts.rows} of the {ts.total} rows of {ts.name}")
    result.seconds = time.monotonic() - started
    return result


def invalidate(engine: Engine) -> None:
    """After Ctrl-C in the middle of a read the driver's state is unknown: nothing more runs on it (the
    server cancelled the statement; closing the connection ends the transaction)."""
    conn: Any = engine.conn
    if hasattr(conn, "invalidated") and not hasattr(conn, "invalidate"):
        conn.invalidated = True
    else:
        conn.invalidate()


def _commit(writer: Writer) -> None:
    from refint.subset.writers import FileWriter

    if isinstance(writer, FileWriter):
        writer.commit_file()


def _begin_snapshot(engine: Engine) -> None:
    """SQLite reads each statement in its own snapshot unless a transaction is open: open one."""
    if engine.name != "sqlite":
        return
    raw = engine.dbapi_connection()
    install_sqlite_hash(raw)
    if not raw.in_transaction:
        raw.execute("BEGIN")


def _count(closure: Closure, result: SubsetResult, tables: Sequence[Table], schema: Schema,
           progress: Progress | None) -> None:
    for i, t in enumerate(tables):
        if progress:
            progress("closure", i, len(tables), t.name)
        if not closure.reachable(t):
            result.tables.append(TableSubset(t.schema, _label(t, schema), 0, ()))
            continue
        sql, _ = closure.counts(t)
        try:
            row = closure.engine.exec(sql).fetchone()
        except Exception as exc:
            if not hasattr(exc, "orig"):
                raise
            raise _fail(f"selecting rows of {t.qualified_name}", exc) from None
        counts = [int(v or 0) for v in (row or ())]
        total = int(closure.engine.exec(f"SELECT count(*) FROM {closure.src(t)}").scalar() or 0)
        result.tables.append(TableSubset(t.schema, _label(t, schema), counts[0],
                                         _via(closure, t, schema, counts[1:]), total))
    if progress:
        progress("closure", len(tables), len(tables), "done")


def _copy(closure: Closure, result: SubsetResult, writer: Writer, target_schema: Any, tables: Sequence[Table],
          schema: Schema, progress: Progress | None) -> None:
    from refint.subset.stream import copy_out, select_expr, stream

    engine = closure.engine
    try:
        writer.create(target_schema)
    except Exception as exc:
        if not hasattr(exc, "orig") and not type(exc).__module__.startswith(
                ("sqlite3", "psycopg", "pymysql", "duckdb", "_duckdb")):
            raise
        raise _fail("creating the tables in the target", exc) from None
    by_name = {t.name: t for t in target_schema.tables}
    if writer.dialect == "duckdb":  # rows in creation order: DuckDB checks each key as rows arrive
        source = {t.name: t for t in tables}
        tables = [source[t.name] for t in target_schema.tables]
    for i, t in enumerate(tables):
        if progress:
            progress("copy", i, len(tables), t.name)
        out = by_name[t.name]
        n = 0
        if closure.reachable(t):
            cols = [select_expr(engine, c, writer.dialect) for c in t.columns]
            sql = closure.select(t, cols)
            try:
                if engine.name == "postgresql" and writer.dialect == "postgresql":
                    n = writer.load_copy(out, copy_out(engine, sql))
                else:
                    with closing(stream(engine, sql)) as batches:
                        n = writer.load(out, batches)
            except Exception as exc:
                if not hasattr(exc, "orig") and not type(exc).__module__.startswith(
                        ("sqlite3", "psycopg", "pymysql", "duckdb", "_duckdb")):
                    raise
                raise _fail(f"copying {t.qualified_name}", exc) from None
        total = None
        if closure.children == "all" and closure.reachable(t):
            total = int(engine.exec(f"SELECT count(*) FROM {closure.src(t)}").scalar() or 0)
        result.tables.append(TableSubset(t.schema, _label(t, schema), n, _via(closure, t, schema, None), total))
    if progress:
        progress("copy", len(tables), len(tables), "done")
