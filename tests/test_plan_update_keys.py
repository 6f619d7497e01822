"""UPDATE of a child's own key columns is checked like an insert of the new key, on every engine (issue 18
class 1), and keys whose bytes change while the values compare equal (class 2)."""

from __future__ import annotations

from typing import Any

import pytest

import refint
from tests.test_plan_random import run_for_real
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


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_update_of_own_key_is_checked_like_an_insert(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    for match, sets, where in CASES:
        db.run("DROP TABLE IF EXISTS c; DROP TABLE IF EXISTS p;"
               "CREATE TABLE p (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b));"
               "CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER,"
               f" CONSTRAINT fk_c FOREIGN KEY (a, b) REFERENCES p (a, b) MATCH {match});"
               "INSERT INTO p VALUES (1, 1), (1, 2), (2, 1);"
               "INSERT INTO c VALUES (1, 1, 1), (2, 2, 1), (3, NULL, NULL)")
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("c", sets, where)
        accepted, error, _, updated, _ = run_for_real(db, engine, PC, f"UPDATE c SET {sets} WHERE {where}")
        assert plan.certain, (match, sets, plan.to_dict())
        assert plan.ok is accepted, (engine, match, sets, error, plan.to_dict())
        if not accepted:
            assert [b.constraint for b in plan.blocked_by] == ["fk_c"], plan.to_dict()
