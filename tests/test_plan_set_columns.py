"""PostgreSQL 15's ``ON DELETE SET NULL (cols)`` / ``SET DEFAULT (cols)``: inspect, plan, ddl and lint follow
the column list exactly (issue 18 class 5); every plan compared with what PostgreSQL does."""

from __future__ import annotations

from typing import Any

import refint
from tests.test_plan_random import run_for_real
from tests.test_plan_rules import spec_of

PC = spec_of(("p", ["a", "b"]), ("c", ["id", "a", "b"]))


def _schema(db: Any, action: str, *, a_null: bool = True, match: str = "SIMPLE", b_default: str = "2") -> None:
    db.run("DROP TABLE IF EXISTS c; DROP TABLE IF EXISTS p;"
           "CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));"
           f"CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER {'' if a_null else 'NOT NULL'}, "
           f"b INTEGER DEFAULT {b_default}, CONSTRAINT fk_c FOREIGN KEY (a, b) REFERENCES p (a, b) MATCH {match} "
           f"ON DELETE {action});"
           "INSERT INTO p VALUES (1, 1), (1, 2), (2, 1);"
           "INSERT INTO c VALUES (1, 1, 1), (2, 1, 1), (3, 2, 1)")


CASES = [  # (action, a nullable, match, b's default, the DELETE's predicate)
    ("SET NULL (b)", False, "SIMPLE", "2", "a = 1 AND b = 1"),   # a NOT NULL, only b nulled: passes
    ("SET NULL (a)", False, "SIMPLE", "2", "a = 1 AND b = 1"),   # NULL into NOT NULL a: blocked
    ("SET NULL", False, "SIMPLE", "2", "a = 1 AND b = 1"),       # every column: blocked
    ("SET NULL (b)", True, "FULL", "2", "a = 1 AND b = 1"),      # MATCH FULL mixing after the action
    ("SET DEFAULT (b)", True, "SIMPLE", "2", "a = 1 AND b = 1"),  # (1, 2) exists: passes
    ("SET DEFAULT (b)", True, "SIMPLE", "3", "a = 1 AND b = 1"),  # (1, 3) does not: blocked
    ("SET DEFAULT (b)", True, "SIMPLE", "1", "a = 2 AND b = 1"),  # lands on (2, 1), the row being deleted
    ("SET DEFAULT (b)", True, "SIMPLE", "NULL", "a = 1 AND b = 1"),  # a NULL in the key: passes
]


def test_set_columns_planned_as_postgresql_does(make_db: Any) -> None:
    db = make_db("postgresql")
    for action, a_null, match, b_default, where in CASES:
        case = (action, a_null, match, b_default)
        _schema(db, action, a_null=a_null, match=match, b_default=b_default)
        with refint.connect(db.url) as conn:
            fk = conn.inspect().table("c").foreign_keys[0]
            plan = conn.plan_delete("p", where)
        listed = action.partition("(")[2].rstrip(")")
        assert fk.to_dict()["on_delete_columns"] == ([listed] if listed else None)
        accepted, error, deleted, updated, _ = run_for_real(db, "postgresql", PC, f"DELETE FROM p WHERE {where}")
        assert plan.certain and plan.ok is accepted, (case, error, plan.to_dict())
        if accepted:
            assert plan.deleted == deleted and plan.updated == updated, (case, plan.to_dict())
        else:
            assert [b.constraint for b in plan.blocked_by] == ["fk_c"], (case, plan.to_dict())


def test_set_columns_in_ddl_and_lint(make_db: Any) -> None:
    db = make_db("postgresql")
    _schema(db, "SET NULL (b)", a_null=False)
    with refint.connect(db.url) as conn:
        pg = conn.ddl("postgresql")
        my = conn.ddl("mysql")
        lint = conn.lint(only=["fk-set-null-not-nullable"])
    assert 'ON DELETE SET NULL ("b")' in pg.text() and pg.ok
    assert [u.clause for u in my.untranslated] == ["ON DELETE SET NULL (`b`)"]
    assert not lint.findings  # a is NOT NULL but the action only writes b
    # the DDL round-trips: the key read back lists the same column
    other = make_db("postgresql")
    other.run("CREATE TABLE p (a INTEGER, b INTEGER); CREATE TABLE c (id INTEGER, a INTEGER NOT NULL, "
              "b INTEGER DEFAULT 2);" + pg.text())
    with refint.connect(other.url) as conn:
        assert conn.inspect().table("c").foreign_keys[0].on_delete_columns == ("b",)
    db.run("ALTER TABLE c DROP CONSTRAINT fk_c; ALTER TABLE c ADD CONSTRAINT fk_c FOREIGN KEY (a, b) "
           "REFERENCES p (a, b) ON DELETE SET NULL (a)")
    with refint.connect(db.url) as conn:
        lint = conn.lint(only=["fk-set-null-not-nullable"])
    assert [list(f.columns) for f in lint.findings] == [["a"]]
