"""InnoDB's fixed orders, predicted: keys visited in ``database/name`` byte order; UPDATE rows in index order.

Every case runs the statement on MariaDB (in a transaction, rolled back) and compares with refint's plan.
"""

from __future__ import annotations

from typing import Any

import pytest

import refint
from tests.test_plan_random import run_for_real
from tests.test_plan_rules import spec_of

ABC = spec_of(("a", ["id"]), ("b", ["id", "a_id"]), ("c", ["id", "a_id", "b_id"]))


def _abc(db: Any, cascade: str, restrict: str, order: tuple[str, ...], action: str = "RESTRICT") -> None:
    """a; b(a_id) -> a CASCADE; c(a_id) -> a RESTRICT; c(b_id) -> b CASCADE; one row each, all linked."""
    keys = {"bc": f"ALTER TABLE b ADD CONSTRAINT `{cascade}` FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE",
            "cr": f"ALTER TABLE c ADD CONSTRAINT `{restrict}` FOREIGN KEY (a_id) REFERENCES a (id) "
                  f"ON DELETE {action}",
            "cb": "ALTER TABLE c ADD CONSTRAINT `m_cb` FOREIGN KEY (b_id) REFERENCES b (id) ON DELETE CASCADE"}
    db.run("CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER);"
           "CREATE TABLE c (id INTEGER PRIMARY KEY, a_id INTEGER, b_id INTEGER);"
           + ";".join(keys[k] for k in order)
           + "; INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1, 1), (2, 2); INSERT INTO c VALUES (1, 1, 1)")


# (cascade key name, restrict key name, restrict first in byte order)
NAMES = [("a_c", "z_r", False), ("z_c", "a_r", True), ("a_c", "B_r", True), ("B_c", "a_r", False),
         ("x1", "x_", False), ("x_", "x1", True), ("a-b", "a0", False), ("z", "é", False), ("é", "z", True),
         ("b_ibfk_1", "c_ibfk_1", False)]


def test_keys_are_visited_in_id_byte_order(make_db: Any) -> None:
    """Every name pair, on one database (tables rebuilt per case)."""
    db = make_db("mariadb")
    for i, (cascade, restrict, restrict_first) in enumerate(NAMES):
        # the creation order does not matter: both orders for the first two pairs and the default names
        orders = [("cr", "cb", "bc"), ("bc", "cr", "cb")][:2 if i < 2 or cascade == "b_ibfk_1" else 1]
        for order in orders:
            case = (cascade, restrict, order)
            db.run("DROP TABLE IF EXISTS c; DROP TABLE IF EXISTS b; DROP TABLE IF EXISTS a")
            _abc(db, cascade, restrict, order, "NO ACTION" if cascade == "x1" else "RESTRICT")
            with refint.connect(db.url) as conn:
                plan = conn.plan_delete("a", "id = 1")
            accepted, error, deleted, _, _ = run_for_real(db, "mariadb", ABC, "DELETE FROM a WHERE id = 1")
            assert accepted is (not restrict_first), (case, error)
            assert plan.certain and plan.ok is accepted, (case, plan.to_dict())
            if accepted:
                assert plan.deleted == deleted == {"a": 1, "b": 1, "c": 1}, case
            else:
                assert [(b.constraint, b.table, b.rows) for b in plan.blocked_by] == [(restrict, "c", 1)], case


def test_several_target_rows_stay_order_dependent(make_db: Any) -> None:
    """With two target rows InnoDB interleaves rows and keys (scan order): refint does not guess."""
    db = make_db("mariadb")
    _abc(db, "a_c", "z_r", ("bc", "cr", "cb"))
    db.run("INSERT INTO c VALUES (2, 2, 1)")  # c row 2 refers to a(2) but goes with b(1), a(1)'s cascade
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("a", "id IN (1, 2)")
    assert not plan.certain and not plan.ok
    assert [b.constraint for b in plan.order_dependent] == ["z_r"]


SCAN = [  # (assignment, predicate): InnoDB writes rows in primary key order for a full scan or a PK range
    ("k = k - 1", "1 = 1"),
    ("k = k + 1", "1 = 1"),
    ("k = k - 1", "k > 1"),
    ("k = k + 1", "k >= 2"),
    ("k = k + 10", "1 = 1"),
    ("k = 4 - k", "1 = 1"),      # a swap 1 <-> 3 around 2: fails when 1 meets 3
    ("u = u + 1", "1 = 1"),      # a unique column, rows visited by k: u 3, 2, 1 -> passes
    ("u = u - 1", "1 = 1"),      # 3 -> 2 meets row k = 2: fails
]


@pytest.mark.parametrize("engine", ["mariadb", "postgresql"])
def test_update_rows_in_clustered_order(make_db: Any, engine: str) -> None:
    """InnoDB: `SET k = k - 1` with ON UPDATE CASCADE children passes and `k + 1` fails, deterministically
    (certain); PostgreSQL's heap order is no promise: order-dependent there."""
    db = make_db(engine)
    db.run("CREATE TABLE p (k INTEGER PRIMARY KEY, u INTEGER NOT NULL UNIQUE);"
           "CREATE TABLE c (id INTEGER PRIMARY KEY, pk INTEGER, pu INTEGER,"
           " CONSTRAINT fk_k FOREIGN KEY (pk) REFERENCES p (k) ON UPDATE CASCADE,"
           " CONSTRAINT fk_u FOREIGN KEY (pu) REFERENCES p (u) ON UPDATE CASCADE);"
           "INSERT INTO p VALUES (1, 3), (2, 2), (3, 1); INSERT INTO c VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3)")
    spec = spec_of(("p", ["k", "u"]), ("c", ["id", "pk", "pu"]))
    uncertain = 0
    for sets, where in SCAN:
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("p", sets, where)
        accepted, error, _, updated, _ = run_for_real(db, engine, spec, f"UPDATE p SET {sets} WHERE {where}")
        if engine == "postgresql" and not plan.certain:
            assert not plan.ok
            uncertain += 1
            continue
        assert plan.certain and plan.ok is accepted, (sets, where, error, plan.to_dict())
        if accepted:
            assert plan.updated.get("c", 0) == updated.get("c", 0), (sets, where)
    if engine == "postgresql":  # every statement that moves a key onto another row's old key
        assert uncertain == 6
