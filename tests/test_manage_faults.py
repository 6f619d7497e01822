"""Faults at every step of a change leave the old state or the new one, never something in between.

For each operation we first run it without faults on a twin database (the "new" state) and count the
points where the executor calls its fault hook (before every statement and before every COMMIT). Then,
for every point k, a fresh database gets the same change with a fault at k: a Python exception, or the
server killing our connection (``pg_terminate_backend`` / MariaDB ``KILL``) just before the statement. The
schema as refint reads it and every row must then equal the old state or the new one exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import refint
from refint.manage.changeplan import Runner, Step
from refint.errors import QueryFailed

SETUP = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(20));
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, note VARCHAR(20));
CREATE TABLE other (id INTEGER PRIMARY KEY, pid INTEGER, CONSTRAINT other_fk FOREIGN KEY (pid) REFERENCES parent (id));
CREATE INDEX child_note ON child (note);
INSERT INTO parent VALUES (1, 'a'), (2, 'b');
INSERT INTO child VALUES (10, 1, 'x'), (11, 2, 'y'), (12, NULL, 'z'), (13, 7, 'orphan');
INSERT INTO other VALUES (1, 1), (2, 2);
"""

Op = Callable[[Any, Any], Any]

OPERATIONS: dict[str, Op] = {
    "add-fk-repair": lambda conn, fault: conn.add_foreign_key(
        "child(pid)", "parent", repair="delete", yes=True, index=True, fault=fault, retries=0),
    "add-fk-set-null": lambda conn, fault: conn.add_foreign_key(
        "child(pid)", "parent", repair="set-null", yes=True, fault=fault, retries=0),
    "drop-fk": lambda conn, fault: conn.drop_foreign_key("other", "other_fk", fault=fault, retries=0),
    "drop-table": lambda conn, fault: conn.drop_table("parent", cascade_constraints=True, fault=fault, retries=0),
}

# MySQL commits DDL statement by statement: the repair (DML) commits before the ALTER, together with a copy
# of the rows it changes in a backup table, from which the executor restores them when a later step fails.
CASES = [(e, op) for e in ("sqlite", "postgresql", "mariadb") for op in OPERATIONS] + [
    ("mariadb", "add-fk-clean"), ("duckdb", "add-fk-rebuild")]
OPERATIONS["add-fk-clean"] = lambda conn, fault: conn.add_foreign_key("other(id)", "parent", fault=fault, retries=0)
OPERATIONS["add-fk-rebuild"] = lambda conn, fault: conn.add_foreign_key(
    "child(pid)", "parent", rebuild=True, repair="delete", yes=True, index=True, fault=fault)


def snapshot(db: Any) -> str:
    with refint.connect(db.url) as conn:
        schema = conn.inspect().to_dict()
    rows = {t: db.query(f"SELECT * FROM {t} ORDER BY 1") for t in ("parent", "child", "other")
            if any(x["name"] == t for x in schema["tables"])}
    return json.dumps({"schema": schema, "rows": rows}, sort_keys=True, default=str).replace(db.name, "DB")


def fresh(make_db: Any, engine: str) -> Any:
    db = make_db(engine)
    db.run(SETUP)
    return db


def killer(db: Any) -> Callable[[Runner], None]:
    def kill(runner: Runner) -> None:
        admin = db.dbapi()
        try:
            if db.engine == "postgresql":
                admin.execute("SELECT pg_terminate_backend(%s)", (runner.backend_id,))
            else:
                admin.cursor().execute(f"KILL {int(runner.backend_id)}")
        finally:
            admin.close()
            db._conns.remove(admin)
    return kill


class Boom(Exception):
    pass


@pytest.mark.parametrize(("engine", "op"), CASES)
def test_a_fault_at_any_step_leaves_the_old_or_the_new_state(make_db: Any, engine: str, op: str) -> None:
    twin = fresh(make_db, engine)
    old = snapshot(twin)
    calls: list[str] = []

    def count(k: int, step: Step, runner: Runner) -> None:
        calls.append(step.description)

    with refint.connect(twin.url) as conn:
        result = OPERATIONS[op](conn, count)
    assert result.applied
    new = snapshot(twin)
    assert new != old
    kinds = ["raise"] + (["kill"] if engine in ("postgresql", "mariadb") else [])
    for kind in kinds:
        for k in range(len(calls)):
            db = fresh(make_db, engine)
            seen = [0]

            def fault(index: int, step: Step, runner: Runner, k: int = k, db: Any = db, kind: str = kind) -> None:
                seen[0] += 1
                if seen[0] - 1 == k:
                    if kind == "raise":
                        raise Boom(f"injected at {step.description}")
                    killer(db)(runner)

            conn = refint.connect(db.url)
            try:
                with pytest.raises(QueryFailed) as info:
                    OPERATIONS[op](conn, fault)
            finally:
                try:
                    conn.close()
                except Exception:
                    pass
            after = snapshot(db)
            where = f"{kind} at call {k} ({calls[k]}): {info.value}"
            assert after in (old, new), where
            if after == new:  # only a fault at the very last point may find the change complete
                pytest.fail(f"the change completed although it reported a failure: {where}")
            assert "NOT undone" not in str(info.value), where
