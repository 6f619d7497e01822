"""The statements of each change, per engine: the documented safe recipe, as a ChangePlan.

Why per engine here rather than in engines/: these recipes are about *changing* a schema safely, a
concern of the manage verb only; the engine modules stay about reading catalogs. Sources of each rule
are in docs/manage.md.

- PostgreSQL: ``ADD CONSTRAINT ... NOT VALID`` in one short transaction under ``lock_timeout`` (it takes
  SHARE ROW EXCLUSIVE on both tables, but only for an instant), then ``VALIDATE CONSTRAINT`` in another
  (SHARE UPDATE EXCLUSIVE on the child and ROW SHARE on the parent: writers are not blocked while it
  scans). A supporting index is built ``CONCURRENTLY`` first, outside any transaction.
- SQLite: the 12-step table rebuild (:mod:`refint.manage.sqlite_rebuild`) in one transaction.
- MySQL/MariaDB: one ``ALTER TABLE``; InnoDB copies the table to add a key while foreign_key_checks
  is on (in-place needs the checks off, which would skip them), and DDL commits at once.
- DuckDB: no ALTER TABLE for foreign keys at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from refint.manage.changeplan import ChangePlan, Step
from refint.errors import NotSupported
from refint.model import Action, ForeignKey, Match, Schema, Table

if TYPE_CHECKING:
    from refint.manage.changeplan import Live
    from refint.engines.base import Engine

MYSQL = ("mysql", "mariadb")


def fk_clause(engine: Engine, fk: ForeignKey, *, with_name: bool = True) -> str:
    q = engine.quote
    parts = []
    if with_name and fk.name:
        parts.append(f"CONSTRAINT {q(fk.name)}")
    parts.append(f"FOREIGN KEY ({', '.join(q(c) for c in fk.columns)}) "
                 f"REFERENCES {engine.table_ref(fk.referred_schema, fk.referred_table)} "
                 f"({', '.join(q(c) for c in fk.referred_columns)})")
    if fk.match is Match.FULL:
        parts.append("MATCH FULL")
    if fk.on_delete is not Action.NO_ACTION:
        parts.append(f"ON DELETE {fk.on_delete_clause(q)}")
    if fk.on_update is not Action.NO_ACTION:
        parts.append(f"ON UPDATE {fk.on_update.value}")
    if fk.deferrable:
        parts.append("DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred else "DEFERRABLE")
    return " ".join(parts)


def orphan_where(engine: Engine, child: Table, parent: Table, fk: ForeignKey) -> str:
    """Rows of the child (named by its full reference, for correlation) the key would reject."""
    ref = engine.table_ref(child.schema, child.name)
    q = engine.quote
    c_cols = [f"{ref}.{q(c)}" for c in fk.columns]
    on = " AND ".join(f"p.{q(pc)} = {cc}" for pc, cc in zip(fk.referred_columns, c_cols))
    missing = (" AND ".join(f"{c} IS NOT NULL" for c in c_cols)
               + f" AND NOT EXISTS (SELECT 1 FROM {engine.table_ref(parent.schema, parent.name)} p WHERE {on})")
    if fk.match is Match.FULL and len(c_cols) > 1:
        some_null = " OR ".join(f"{c} IS NULL" for c in c_cols)
        some_set = " OR ".join(f"{c} IS NOT NULL" for c in c_cols)
        return f"({missing}) OR (({some_null}) AND ({some_set}))"
    return missing


def repair_sql(engine: Engine, child: Table, parent: Table, fk: ForeignKey, repair: str) -> str:
    ref = engine.table_ref(child.schema, child.name)
    where = orphan_where(engine, child, parent, fk)
    if repair == "delete":
        return f"DELETE FROM {ref} WHERE {where}"
    sets = ", ".join(f"{engine.quote(c)} = NULL" for c in fk.columns)
    return f"UPDATE {ref} SET {sets} WHERE {where}"


def _index_name(table: Table, cols: Sequence[str], taken: set[str], limit: int = 63) -> str:
    base = f"{table.name}_{'_'.join(cols)}_idx"
    base = base if len(base) <= limit else base[:limit - 4]
    name, n = base, 0
    while name.lower() in taken:
        n += 1
        name = f"{base[:limit - 4]}_{n}"
    taken.add(name.lower())
    return name


def _taken_index_names(schema: Schema) -> set[str]:
    return {ix.name.lower() for t in schema.tables for ix in t.indexes} | {t.name.lower() for t in schema.tables}


def _index_step(db: Live, table: Table, cols: Sequence[str], name: str, group: int | None) -> Step:
    e = db.engine
    q = e.quote
    ref = e.table_ref(table.schema, table.name)
    col_list = ", ".join(q(c) for c in cols)
    what = f"create index {name} on {table.qualified_name}({', '.join(cols)})"
    if db.name == "postgresql":
        ix = e.table_ref(table.schema, name)
        return Step(what + " (CONCURRENTLY: writers are not blocked)",
                    f"CREATE INDEX CONCURRENTLY {q(name)} ON {ref} ({col_list})", None,
                    undo=f"DROP INDEX CONCURRENTLY IF EXISTS {ix}", undo_on_fail=True)
    if db.name in MYSQL:
        return Step(what, f"CREATE INDEX {q(name)} ON {ref} ({col_list})", None,
                    undo=f"DROP INDEX {q(name)} ON {ref}")
    return Step(what, f"CREATE INDEX {q(name)} ON {ref} ({col_list})", group)


def _sqlite_session(db: Live) -> tuple[list[Step], list[Step]]:
    """PRAGMA foreign_keys OFF (outside the transaction, where it takes effect) and legacy_alter_table ON."""
    cur = db.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        fk_on = bool(cur.execute("PRAGMA foreign_keys").fetchone()[0])
        legacy = bool(cur.execute("PRAGMA legacy_alter_table").fetchone()[0])
    finally:
        cur.close()
    before: list[Step] = []
    if fk_on:
        before.append(Step("turn foreign key enforcement off for the rebuild (restored afterwards)",
                           "PRAGMA foreign_keys = OFF", None, restore="PRAGMA foreign_keys = ON"))
    if not legacy:
        before.append(Step("rename without re-parsing views and triggers (restored afterwards)",
                           "PRAGMA legacy_alter_table = ON", None, restore="PRAGMA legacy_alter_table = OFF"))
    return before, []


def _sqlite_rebuild(db: Live, table: Table, transform: Any) -> list[Step]:
    """The in-transaction steps rebuilding ``table`` with ``transform(create_sql, tmp_name)``."""
    from refint.manage import sqlite_rebuild as sr

    cur = db.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        info = sr.read_table(cur, table.name)
        tmp = sr.temp_name(cur, info.name)
    finally:
        cur.close()
    new_sql = transform(info.sql, tmp)
    return [Step(d, s, 1, params=p) for d, s, p in sr.rebuild_statements(info, new_sql, tmp)]


def add_fk_plan(db: Live, child: Table, parent: Table, fk: ForeignKey, *, index: bool, repair: list[Step],
                lock_timeout: float, retries: int, rebuild: bool = False, cleanup: Sequence[Step] = ()) -> ChangePlan:
    """The plan adding ``fk``; ``repair``: the steps changing the orphans (run where the engine's recipe puts
    them); ``cleanup``: MySQL's steps after the ALTER (dropping the repair's backup table)."""
    e = db.engine
    ref = e.table_ref(child.schema, child.name)
    q = e.quote
    from refint.manage.operations import has_supporting_index

    need_index = index and not has_supporting_index(child, fk.columns)
    index_name = _index_name(child, fk.columns, _taken_index_names(db.inspect())) if need_index else ""
    if db.name == "postgresql" and child.kind == "partitioned":
        # PostgreSQL 15 refuses NOT VALID keys and CONCURRENTLY indexes on partitioned tables: the key is
        # added and validated in one transaction, holding its locks during the scan (said in the notes).
        steps: list[Step] = [Step(f"create index {index_name} on {child.qualified_name}({', '.join(fk.columns)})",
                      f"CREATE INDEX {q(index_name)} ON {ref} ({', '.join(q(c) for c in fk.columns)})", 1)
                 ] if need_index else []
        steps += [Step(s.description, s.sql, 1) for s in repair]
        steps.append(Step(f"add and validate {fk.name}", f"ALTER TABLE {ref} ADD {fk_clause(e, fk)}", 1))
        return ChangePlan("add-fk", db.name, tuple(steps), lock_timeout=lock_timeout, retries=retries, notes=(
            f"{child.qualified_name} is partitioned: PostgreSQL cannot add a NOT VALID key or build an index "
            "CONCURRENTLY on it, so writers to both tables wait while the key is validated",))
    if db.name == "postgresql":
        steps = []
        if need_index:
            steps.append(_index_step(db, child, fk.columns, index_name, None))
        steps.append(Step(f"add {fk.name} NOT VALID (new rows are checked from now on; a brief lock)",
                          f"ALTER TABLE {ref} ADD {fk_clause(e, fk)} NOT VALID", 1,
                          undo=f"ALTER TABLE {ref} DROP CONSTRAINT IF EXISTS {q(fk.name or '')}"))
        steps.extend(Step(s.description, s.sql, 2) for s in repair)
        steps.append(Step(f"validate {fk.name} against existing rows (writers are not blocked)",
                          f"ALTER TABLE {ref} VALIDATE CONSTRAINT {q(fk.name or '')}", 2))
        return ChangePlan("add-fk", db.name, tuple(steps), lock_timeout=lock_timeout, retries=retries, notes=(
            f"lock_timeout {lock_timeout:g}s per transaction, up to {retries} retries with backoff",))
    if db.name == "sqlite":
        from refint.manage import sqlite_rebuild as sr

        before, _after = _sqlite_session(db)
        clause = fk_clause(e, fk)
        steps = before + [Step(s.description, s.sql, 1) for s in repair]
        steps += _sqlite_rebuild(db, child, lambda sql, tmp: sr.splice_add(sql, tmp, clause))
        if need_index:
            steps.append(_index_step(db, child, fk.columns, index_name, 1))
        steps.append(Step(f"verify no row of {child.name} breaks {fk.name}",
                          "SELECT * FROM pragma_foreign_key_check(:table) WHERE fkid = 0", 1,
                          params={"table": child.name}, expect_empty=True))
        steps.append(Step(f"verify the integrity of {child.name}", f"PRAGMA integrity_check({q(child.name)})", 1,
                          expect_ok=True))
        return ChangePlan("add-fk", db.name, tuple(steps), notes=(
            "SQLite cannot add a foreign key in place: the table is rebuilt (copied) in one transaction",))
    if db.name in MYSQL:
        from refint.manage.repair_backup import drop_key_sql

        implicit = not has_supporting_index(child, fk.columns)
        steps = list(repair)  # built by refint.manage.repair_backup: the rows are kept before they change
        steps.append(Step(f"add {fk.name} (InnoDB copies {child.name}; writers wait for the copy)",
                          f"ALTER TABLE {ref} ADD {fk_clause(e, fk)}", None,
                          undo=drop_key_sql(db, child, fk.name or "", implicit)))
        steps += cleanup
        notes = ["InnoDB adds a foreign key with ALGORITHM=COPY while foreign_key_checks=1 (in-place needs the "
                 "checks off, which would skip them): the table is copied and writes to it wait",
                 "MySQL DDL commits at once: the ALTER TABLE cannot be rolled back, but it is atomic"]
        if repair:
            notes.append("the repaired rows are kept in a backup table until the key is in: if this run is "
                         "interrupted, running it again completes it and --undo restores the rows")
        if not has_supporting_index(child, fk.columns):
            notes.append(f"InnoDB creates an index on {child.name}({', '.join(fk.columns)}) for the key")
        return ChangePlan("add-fk", db.name, tuple(steps), tuple(notes), lock_timeout=lock_timeout, retries=retries)
    if db.name == "duckdb":
        if not rebuild:
            raise NotSupported("DuckDB cannot add a foreign key to an existing table (no ALTER TABLE ADD FOREIGN "
                               "KEY, and no referential actions but RESTRICT): add --rebuild to let refint "
                               "re-create the table with the key, in one transaction (see docs/manage.md)")
        from refint.manage import sqlite_rebuild as sr

        clause = fk_clause(e, fk)
        steps = [Step(s.description, s.sql, 1) for s in repair] + _duckdb_rebuild(
            db, child, lambda sql, tmp: sr.splice_add(sql, tmp, clause), " (DuckDB checks the new key on each)")
        if need_index:
            steps.append(_index_step(db, child, fk.columns, index_name, 1))
        return ChangePlan("add-fk", db.name, tuple(steps), (
            "DuckDB cannot add a foreign key in place: the table is re-created and its rows copied, in one "
            "transaction; DuckDB checks the key on every copied row",))
    raise NotSupported(f"refint has no add-fk recipe for {db.name}")


def _duckdb_rebuild(db: Live, table: Table, transform: Any, copy_note: str = "") -> list[Step]:
    """CREATE the table again from DuckDB's own CREATE TABLE text as ``transform(create_sql, tmp_name)``
    changes it, copy, drop, rename, re-create its indexes. DuckDB refuses to drop a table other keys refer
    to, so that is refused first."""
    from refint.manage import sqlite_rebuild as sr

    schema = db.inspect()
    incoming = [c for c, _fk in schema.referencing(table) if c.key != table.key]
    if incoming:
        verb = "refers" if len(incoming) == 1 else "refer"
        raise NotSupported(f"DuckDB cannot rebuild {table.name}: {', '.join(c.name for c in incoming)} {verb} to "
                           "it and DuckDB cannot drop a referenced table")
    e = db.engine
    ref = e.table_ref(table.schema, table.name)
    sql = e.raw("SELECT sql FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                (table.schema or "main", table.name)).scalar()
    indexes = [r[0] for r in e.raw("SELECT sql FROM duckdb_indexes() WHERE schema_name = ? AND table_name = ? "
                                   "AND sql IS NOT NULL", (table.schema or "main", table.name)).fetchall()]
    taken = {t.name.lower() for t in schema.tables}
    tmp = f"_refint_new_{table.name}"
    while tmp.lower() in taken:
        tmp += "_"
    create = transform(str(sql).rstrip().rstrip(";"), tmp)
    if table.schema:  # the splice writes the bare name: put the table's schema back in front
        create = create.replace(sr.quote(tmp), f"{e.quote(table.schema)}.{e.quote(tmp)}", 1)
    tmp_ref = e.table_ref(table.schema, tmp)
    cols = ", ".join(e.quote(c) for c in table.column_names())
    steps = [
        Step(f"create {tmp} with the new definition", create, 1),
        Step(f"copy every row of {table.name}{copy_note}",
             f"INSERT INTO {tmp_ref} ({cols}) SELECT {cols} FROM {ref}", 1),
        Step(f"drop the old {table.name}", f"DROP TABLE {ref}", 1),
        Step(f"rename {tmp} to {table.name}", f"ALTER TABLE {tmp_ref} RENAME TO {e.quote(table.name)}", 1),
    ]
    steps += [Step("re-create " + " ".join(str(ix).split()[:3]), str(ix), 1) for ix in indexes]
    return steps


def drop_fk_plan(db: Live, table: Table, fks: Sequence[ForeignKey], *, lock_timeout: float,
                 retries: int) -> ChangePlan:
    e = db.engine
    ref = e.table_ref(table.schema, table.name)
    q = e.quote
    if db.name == "postgresql":
        steps = [Step(f"drop {fk.name}", f"ALTER TABLE {ref} DROP CONSTRAINT {q(fk.name or '')}", 1) for fk in fks]
        return ChangePlan("drop-fk", db.name, tuple(steps), lock_timeout=lock_timeout, retries=retries)
    if db.name in MYSQL:
        steps = [Step(f"drop {fk.name}", f"ALTER TABLE {ref} DROP FOREIGN KEY {q(fk.name or '')}", None,
                      undo=f"ALTER TABLE {ref} ADD {fk_clause(e, fk)}") for fk in fks]
        return ChangePlan("drop-fk", db.name, tuple(steps), lock_timeout=lock_timeout, retries=retries)
    if db.name == "sqlite":
        before, _ = _sqlite_session(db)
        steps = before + _sqlite_rebuild(db, table, lambda sql, tmp: _drop_spans(sql, tmp, fks))
        steps.append(Step(f"verify the integrity of {table.name}", f"PRAGMA integrity_check({q(table.name)})", 1,
                          expect_ok=True))
        return ChangePlan("drop-fk", db.name, tuple(steps), notes=(
            "SQLite cannot drop a foreign key in place: the table is rebuilt (copied) in one transaction",))
    if db.name == "duckdb":
        steps = _duckdb_rebuild(db, table, lambda sql, tmp: _drop_spans(sql, tmp, fks))
        return ChangePlan("drop-fk", db.name, tuple(steps), notes=(
            "DuckDB cannot drop a foreign key in place (no ALTER TABLE DROP CONSTRAINT): the table is re-created "
            "without it and its rows copied, in one transaction",))
    raise NotSupported(f"{db.name} cannot drop a foreign key (no ALTER TABLE DROP CONSTRAINT for it)")


def _drop_spans(sql: str, tmp: str, fks: Sequence[ForeignKey]) -> str:
    from refint.manage import sqlite_rebuild as sr

    text = sql
    for fk in fks:
        span = sr.find_span(text, name=fk.name, columns=fk.columns, referred_table=fk.referred_table)
        text = text[:span.start] + text[span.end:]
    return sr.splice_drop(text, tmp, sr.FKSpan(None, (), "", 0, 0))


def validate_plan(db: Live, keys: Sequence[tuple[Table, ForeignKey]], *, lock_timeout: float,
                  retries: int) -> ChangePlan:
    e = db.engine
    steps = [Step(f"validate {fk.name} on {t.qualified_name} (writers are not blocked)",
                  f"ALTER TABLE {e.table_ref(t.schema, t.name)} VALIDATE CONSTRAINT {e.quote(fk.name or '')}", n + 1)
             for n, (t, fk) in enumerate(keys)]
    return ChangePlan("validate", db.name, tuple(steps), lock_timeout=lock_timeout, retries=retries)


def index_plan(db: Live, schema: Schema, wanted: Sequence[tuple[Table, tuple[str, ...]]]) -> ChangePlan:
    taken = _taken_index_names(schema)
    limit = 64 if db.name in MYSQL else 63
    steps = [_index_step(db, t, cols, _index_name(t, cols, taken, limit), 1) for t, cols in wanted]
    notes = ("PostgreSQL: each index is built CONCURRENTLY, outside a transaction; if one fails, the ones "
             "built before it are dropped again",) if db.name == "postgresql" else ()
    return ChangePlan("index-fks", db.name, tuple(steps), notes)


def drop_table_plan(db: Live, table: Table, incoming: Sequence[tuple[Table, ForeignKey]], *,
                    lock_timeout: float, retries: int) -> ChangePlan:
    e = db.engine
    ref = e.table_ref(table.schema, table.name)
    q = e.quote
    drop = f"drop table {table.qualified_name}"
    if db.name == "postgresql":
        steps = [Step(f"drop {fk.name} of {c.qualified_name}",
                      f"ALTER TABLE {e.table_ref(c.schema, c.name)} DROP CONSTRAINT {q(fk.name or '')}", 1)
                 for c, fk in incoming]
        steps.append(Step(drop, f"DROP TABLE {ref}", 1))
        return ChangePlan("drop-table", db.name, tuple(steps), lock_timeout=lock_timeout, retries=retries)
    if db.name in MYSQL:
        steps = [Step(f"drop {fk.name} of {c.qualified_name}",
                      f"ALTER TABLE {e.table_ref(c.schema, c.name)} DROP FOREIGN KEY {q(fk.name or '')}", None,
                      undo=f"ALTER TABLE {e.table_ref(c.schema, c.name)} ADD {fk_clause(e, fk)}")
                 for c, fk in incoming]
        steps.append(Step(drop, f"DROP TABLE {ref}", None))
        return ChangePlan("drop-table", db.name, tuple(steps), (
            "MySQL DDL commits statement by statement: if DROP TABLE fails, refint re-adds the dropped keys",),
            lock_timeout=lock_timeout, retries=retries)
    if db.name == "sqlite":
        before, _ = _sqlite_session(db)
        steps = list(before)
        by_child: dict[tuple[str | None, str], list[ForeignKey]] = {}
        children = {c.key: c for c, _fk in incoming}
        for c, fk in incoming:
            by_child.setdefault(c.key, []).append(fk)
        group = 1
        for key, fks in by_child.items():
            rebuilt = _sqlite_rebuild(db, children[key], lambda sql, tmp, fks=fks: _drop_spans(sql, tmp, fks))
            steps += [Step(s.description, s.sql, group, params=s.params) for s in rebuilt]
        steps.append(Step(drop, f"DROP TABLE {ref}", group))
        return ChangePlan("drop-table", db.name, tuple(steps))
    if db.name == "duckdb" and any(c.key != table.key for c, _fk in incoming):
        keys_of: dict[tuple[str | None, str], list[ForeignKey]] = {}
        referring = {c.key: c for c, _fk in incoming if c.key != table.key}
        for c, fk in incoming:
            if c.key != table.key:
                keys_of.setdefault(c.key, []).append(fk)
        rebuilds: list[Step] = []
        for key, fks in keys_of.items():
            rebuilds += _duckdb_rebuild(db, referring[key], lambda sql, tmp, fks=fks: _drop_spans(sql, tmp, fks))
        rebuilds.append(Step(drop, f"DROP TABLE {ref}", 1))
        return ChangePlan("drop-table", db.name, tuple(rebuilds), notes=(
            "DuckDB cannot drop a foreign key in place: each referring table is re-created without its keys to "
            f"{table.name} and its rows copied, then {table.name} is dropped, in one transaction",))
    if incoming and db.name != "duckdb":
        raise NotSupported(f"{db.name} cannot drop the foreign keys that refer to {table.name}")
    return ChangePlan("drop-table", db.name, (Step(drop, f"DROP TABLE {ref}", 1),))
