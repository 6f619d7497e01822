"""Acceptance on the public databases: ``refint order`` finds their cycles, and its ``--format sql``
scripts empty and then drop every table with the keys enforced (Sakila's store/staff cycle, NetBox's
four cycles). A ``refint plan delete`` on Sakila agrees with the engine. Skips without the corpus."""

from __future__ import annotations

from typing import Any

import pytest

import refint
from refint.order.sql import script
from tests import corpus as C

pytestmark = pytest.mark.corpus

CASES = [("sakila", "sqlite"), ("sakila", "mariadb"), ("sakila", "postgresql"), ("netbox", "postgresql")]


def _load(make_db: Any, corpus: Any, database: str, engine: str) -> Any:
    db = make_db(engine)
    try:
        C.load(database, db)
    except C.CorpusUnavailable as exc:
        pytest.skip(str(exc))
    return db


def _run_script(db: Any, sql: str) -> None:
    if db.engine == "sqlite":
        sql = "PRAGMA foreign_keys = ON;\n" + sql
    db.run(sql)


@pytest.mark.parametrize(("database", "engine"), CASES)
def test_corpus_delete_then_drop_in_order(make_db: Any, corpus: Any, database: str, engine: str) -> None:
    db = _load(make_db, corpus, database, engine)
    with refint.connect(db.url) as conn:
        schema = conn.inspect()
        load = conn.order("load")
        delete = conn.order("delete")
        delete_sql = script(delete, conn.engine)
    assert sorted(load.order) == sorted(delete.order)
    if database == "sakila":
        assert ("staff", "store") in load.cycles or ["staff", "store"] in [list(c) for c in load.cycles]
    else:
        assert len(load.cycles) >= 4
    assert len(load.order) == len(schema.tables)
    _run_script(db, delete_sql)
    with refint.connect(db.url) as conn:
        for t in conn.inspect().tables:
            n = conn.engine.exec(f"SELECT count(*) FROM {conn.engine.from_table(t)}").scalar()
            assert n == 0, t.qualified_name
        drop_sql = script(conn.order("drop"), conn.engine)
    if engine == "postgresql":  # views and rules are not foreign keys: refint orders tables only
        for (name,) in db.query("SELECT format('%I.%I', schemaname, viewname) FROM pg_views "
                                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"):
            db.run(f"DROP VIEW IF EXISTS {name} CASCADE")
        for name, table in db.query("SELECT quote_ident(rulename), format('%I.%I', schemaname, tablename) "
                                    "FROM pg_rules WHERE schemaname NOT IN ('pg_catalog')"):
            db.run(f"DROP RULE IF EXISTS {name} ON {table}")
        for (name,) in db.query("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
                                "ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', "
                                "'information_schema') AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 "
                                "FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"):
            db.run(f"DROP ROUTINE IF EXISTS {name} CASCADE")
    _run_script(db, drop_sql)
    with refint.connect(db.url) as conn:
        assert len(conn.inspect()) == 0


@pytest.mark.parametrize("engine", ["sqlite", "mariadb"])
def test_sakila_plan_delete_matches_the_engine(make_db: Any, corpus: Any, engine: str) -> None:
    from tests.schemagen import ColSpec, SchemaSpec, TableSpec
    from tests.test_plan_random import run_for_real

    db = _load(make_db, corpus, "sakila", engine)
    with refint.connect(db.url) as conn:
        schema = conn.inspect()
        spec = SchemaSpec([TableSpec(t.name, [ColSpec(c) for c in t.column_names()]) for t in schema.tables])
        plans = {w: conn.plan_delete("customer", w) for w in ("customer_id = 1", "customer_id > 1000")}
    for where, plan in plans.items():
        accepted, error, deleted, _, _ = run_for_real(db, engine, spec, f"DELETE FROM customer WHERE {where}")
        assert plan.ok == accepted, (where, error, plan.to_dict())
        if accepted:
            assert {k: v for k, v in plan.deleted.items() if v} == deleted
