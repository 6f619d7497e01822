"""Property test: following ``refint order`` and its ``deferred`` advice loads, empties and drops every
table of random acyclic and cyclic schemas with the keys enforced, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import refint
from tests.schemagen import SchemaSpec, ddl, effective_nullable, fk_clause, quote, schemas
from tests.test_inspect_random import reset

EXAMPLES = int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "25"))


def usable(spec: SchemaSpec) -> bool:
    """FK columns apart from key columns and from each other, and a plain column to find each row by."""
    for t in spec.tables:
        fk_cols = [c for fk in t.fks for c in fk.columns]
        if len(fk_cols) != len(set(fk_cols)):
            return False
        keys = set(t.pk) | {c for _, u in t.uniques for c in u}
        if keys & set(fk_cols) or len(fk_cols) == len(t.columns):
            return False
    return True


@st.composite
def rows_for(draw: st.DrawFn, engine: str, spec: SchemaSpec) -> dict[str, list[dict[str, Any]]]:
    """Rows that satisfy every key at the end (cycles included): plain columns are i+1, keys copy a parent."""
    sizes = {t.name: draw(st.integers(1, 4)) for t in spec.tables}
    data: dict[str, list[dict[str, Any]]] = {}
    fk_cols = {t.name: {c for fk in t.fks for c in fk.columns} for t in spec.tables}
    for t in spec.tables:
        data[t.name] = [{c.name: i + 1 for c in t.columns if c.name not in fk_cols[t.name]}
                        for i in range(sizes[t.name])]
    for t in spec.tables:
        for row in data[t.name]:
            for fk in t.fks:
                nullable = all(effective_nullable(engine, t, c) for c in fk.columns)
                if nullable and draw(st.booleans()):
                    row.update({c: None for c in fk.columns})
                else:
                    j = draw(st.integers(0, sizes[fk.parent] - 1))
                    row.update({c: j + 1 for c in fk.columns})  # parent's referred columns are plain: j+1
    return data


class Runner:
    """Statements on one connection, in one transaction where the engine has transactional DDL."""

    def __init__(self, db: Any, engine: str) -> None:
        self.engine = engine
        if engine == "sqlite":
            self.conn: Any = sqlite3.connect(db.path, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("BEGIN")
        elif engine == "postgresql":
            import psycopg

            self.conn = psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={db.name}")
        else:
            import pymysql

            self.conn = pymysql.connect(host="127.0.0.1", user="root", password="", database=db.name,
                                        autocommit=True)

    def __call__(self, sql: str) -> None:
        self.conn.cursor().execute(sql)

    def commit(self) -> None:
        if self.engine == "sqlite":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()
        self.conn.close()


def key_of(t: Any, fk_cols: set[str]) -> str:
    return next(c.name for c in t.columns if c.name not in fk_cols)


def follow(db: Any, engine: str, spec: SchemaSpec, data: dict[str, list[dict[str, Any]]], purpose: str) -> None:
    q = lambda n: quote(engine, n)  # noqa: E731
    with refint.connect(db.url) as conn:
        plan = conn.order(purpose)
    assert sorted(plan.order) == sorted(t.name for t in spec.tables)
    run = Runner(db, engine)
    later: list[str] = []
    nulled: dict[str, set[str]] = {}
    for d in plan.deferred:
        t = spec.table(d.table)
        fk = next(f for f in t.fks if f.name == d.constraint)
        if d.method == "defer":
            run("PRAGMA defer_foreign_keys = ON" if engine == "sqlite" else f"SET CONSTRAINTS {q(fk.name)} DEFERRED")
        elif d.method == "drop-and-recreate":
            run(f"ALTER TABLE {q(t.name)} DROP {'FOREIGN KEY' if engine == 'mariadb' else 'CONSTRAINT'} "
                f"{q(fk.name)}")
            if purpose != "drop":
                later.append(f"ALTER TABLE {q(t.name)} ADD {fk_clause(engine, fk)}")
        elif d.method == "null-then-update":
            if purpose == "delete":
                run(f"UPDATE {q(t.name)} SET " + ", ".join(f"{q(c)} = NULL" for c in fk.columns))
            else:
                nulled.setdefault(t.name, set()).update(fk.columns)
        else:
            assert d.method == "delete-with-cascade" and purpose == "delete"
    for name in plan.order:
        t = spec.table(name)
        if purpose == "drop":
            run(f"DROP TABLE {q(name)}")
        elif purpose == "delete":
            run(f"DELETE FROM {q(name)}")
        else:
            for r in data[name]:
                vals = ", ".join("NULL" if v is None or c in nulled.get(name, ()) else str(v) for c, v in r.items())
                run(f"INSERT INTO {q(name)} ({', '.join(q(c) for c in r)}) VALUES ({vals})")
    for name, cols in nulled.items():
        t = spec.table(name)
        k = key_of(t, {c for fk in t.fks for c in fk.columns})
        for r in data[name]:
            sets = ", ".join(f"{q(c)} = {'NULL' if r[c] is None else r[c]}" for c in sorted(cols))
            run(f"UPDATE {q(name)} SET {sets} WHERE {q(k)} = {r[k]}")
    run.commit()
    for sql in later:  # PostgreSQL: not in the transaction that has pending trigger events
        db.run(sql)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_order_load_delete_drop(make_db: Any, engine: str) -> None:
    db = make_db(engine)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.filter_too_much])
    @given(data=st.data())
    def roundtrip(data: st.DataObject) -> None:
        spec = data.draw(schemas(engine))
        assume(usable(spec))
        rows = data.draw(rows_for(engine, spec))
        reset(db)
        db.run(";\n".join(ddl(engine, spec)) + ";")
        follow(db, engine, spec, rows, "load")
        for t in spec.tables:
            assert db.query(f"SELECT count(*) FROM {quote(engine, t.name)}")[0][0] == len(rows[t.name])
        follow(db, engine, spec, rows, "delete")
        for t in spec.tables:
            assert db.query(f"SELECT count(*) FROM {quote(engine, t.name)}")[0][0] == 0
        follow(db, engine, spec, rows, "load")
        follow(db, engine, spec, rows, "drop")
        with refint.connect(db.url) as conn:
            assert len(conn.refresh()) == 0

    roundtrip()
