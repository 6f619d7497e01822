"""UPDATE of a child's own key columns is checked like an insert of the new key, on every engine (issue 18
class 1), and keys whose bytes change while the values compare equal (class 2)."""

from __future__ import annotations

from typing import Any

import pytest

import refint
from tests.test_plan_random import connect_enforced, run_for_real
from tests.test_plan_rules import spec_of

PC = spec_of(("p", ["a", "b"]), ("c", ["id", "a", "b"]))

CASES = [
    # (match, assignments, where): the engine decides, refint must agree
    ("FULL", "a = NULL", "id = 1"),        # PostgreSQL: 23503 MATCH FULL mixing; others parse MATCH and ignore it
    ("FULL", "a = NULL, b = NULL", "id = 1"),  # all NULL: passes
    ("SIMPLE", "a = NULL", "id = 1"),      # MATCH SIMPLE with a NULL: passes
    ("FULL", "a = 99", "id = 1"),          # no parent (99, 1): blocked
    ("SIMPLE", "b = 2", "id = 1"),         # (1, 2) exists
    ("SIMPLE", "b = b + 5", "1 = 1"),      # no parents for any row
    ("FULL", "b = NULL", "a = 2"),         # mixing on a row whose a is NULL already? (row 3 is (NULL, NULL))
]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb", "duckdb"])
def test_update_of_own_key_is_checked_like_an_insert(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    for match, sets, where in CASES:
        if engine == "duckdb" and match == "FULL":
            continue  # DuckDB's parser takes no MATCH clause: its keys are MATCH SIMPLE
        db.run("DROP TABLE IF EXISTS c; DROP TABLE IF EXISTS p;"
               "CREATE TABLE p (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b));"
               "CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER,"
               f" CONSTRAINT fk_c FOREIGN KEY (a, b) REFERENCES p (a, b){'' if engine == 'duckdb' else ' MATCH ' + match});"
               "INSERT INTO p VALUES (1, 1), (1, 2), (2, 1);"
               "INSERT INTO c VALUES (1, 1, 1), (2, 2, 1), (3, NULL, NULL)")
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("c", sets, where)
            (fk,) = conn.inspect().table("c").foreign_keys  # DuckDB keeps no key names: refint names it
        accepted, error, _, updated, _ = run_for_real(db, engine, PC, f"UPDATE c SET {sets} WHERE {where}")
        assert plan.certain, (match, sets, plan.to_dict())
        assert plan.ok is accepted, (engine, match, sets, error, plan.to_dict())
        if not accepted:
            assert [b.constraint for b in plan.blocked_by] == [fk.name] == ["fk_c" if engine != "duckdb" else fk.name]


def _texts(engine: str, cur: Any) -> list[str]:
    cast = {"sqlite": "'[' || pid || ']'", "postgresql": "'[' || pid::text || ']'",
            "mariadb": "concat('[', pid, ']')"}[engine]
    cur.execute(f"SELECT {cast} FROM c ORDER BY id")
    return [r[0] for r in cur.fetchall()]


def _run(db: Any, engine: str, sql: str) -> tuple[bool, int]:
    """Run ``sql`` with keys enforced, count child rows whose stored text changed, roll back."""
    conn = connect_enforced(db, engine)
    try:
        cur = conn.cursor()
        before = _texts(engine, cur)
        try:
            cur.execute(sql)
        except Exception:
            return False, 0
        return True, sum(a != b for a, b in zip(before, _texts(engine, cur)))
    finally:
        conn.rollback()
        conn.close()


# (engine, column type, old value, new value): keys whose bytes change while `=` says equal, or not
BYTES = [
    ("postgresql", "float8", "'-0'::float8", "0"),
    ("postgresql", "numeric", "1.0", "1.00"),
    ("postgresql", "citext", "'a'", "'A'"),
    ("postgresql", "text COLLATE refint_ci", "'a'", "'A'"),
    ("postgresql", "text", "'a'", "'a'"),
    ("mariadb", "VARCHAR(10) COLLATE utf8mb4_general_ci", "'a'", "'A'"),
    ("mariadb", "VARCHAR(10) COLLATE utf8mb4_general_ci", "'a'", "'a '"),
    ("mariadb", "CHAR(10) COLLATE utf8mb4_general_ci", "'a'", "'a '"),
    ("mariadb", "CHAR(10) COLLATE utf8mb4_general_ci", "'a'", "'A'"),
    ("mariadb", "DECIMAL(5, 2)", "1.0", "1.00"),
    ("sqlite", "TEXT COLLATE NOCASE", "'a'", "'A'"),
    ("sqlite", "TEXT COLLATE RTRIM", "'a'", "'a '"),
    ("sqlite", "REAL", "-0.0", "0.0"),
    ("sqlite", "NUMERIC", "'1.0'", "'1.00'"),
    ("sqlite", "TEXT", "'a'", "'A'"),
]


@pytest.mark.parametrize("engine,typ,old,new", BYTES)
def test_keys_whose_bytes_change(make_db: Any, engine: str, typ: str, old: str, new: str) -> None:
    """PostgreSQL fires ON UPDATE actions when the referenced key's binary image changes, InnoDB when the
    stored bytes change, SQLite when the column's collation says the value changed: refint follows each."""
    db = make_db(engine)
    if engine == "postgresql":
        db.run("CREATE EXTENSION IF NOT EXISTS citext; CREATE COLLATION refint_ci (provider = icu, "
               "locale = 'und-u-ks-level2', deterministic = false)")
    for action in ("CASCADE", "NO ACTION", "RESTRICT"):
        db.run(f"DROP TABLE IF EXISTS c; DROP TABLE IF EXISTS p; CREATE TABLE p (k {typ} PRIMARY KEY);"
               f"CREATE TABLE c (id INTEGER PRIMARY KEY, pid {typ}, CONSTRAINT fk_c FOREIGN KEY (pid) "
               f"REFERENCES p (k) ON UPDATE {action}); INSERT INTO p VALUES ({old}); INSERT INTO c VALUES (1, {old})")
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("p", f"k = {new}", "1 = 1")
        accepted, changed = _run(db, engine, f"UPDATE p SET k = {new}")
        assert plan.certain and plan.ok is accepted, (action, plan.to_dict())
        assert plan.updated.get("c", 0) == changed, (action, plan.to_dict())
