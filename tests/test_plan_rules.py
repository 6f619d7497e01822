"""The engine rules of ``refint plan``, one by one, each compared with what the engine itself does."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import refint
from refint.errors import BadInput
from tests.test_plan_random import run_for_real
from tests.schemagen import ColSpec, FKSpec, SchemaSpec, TableSpec


def spec_of(*tables: tuple[str, list[str]]) -> SchemaSpec:
    """Just enough of a spec for run_for_real's snapshots (table and column names)."""
    return SchemaSpec([TableSpec(name, [ColSpec(c) for c in cols]) for name, cols in tables])


PC = spec_of(("p", ["id"]), ("c", ["id", "a", "b"]))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
@pytest.mark.parametrize("action", ["NO ACTION", "RESTRICT"])
def test_row_removed_by_a_cascade_of_the_same_statement(make_db: Any, engine: str, action: str) -> None:
    """SQLite counts NO ACTION at statement end (passes); RESTRICT there and PostgreSQL's trigger queue make
    the outcome depend on order: refint says so. InnoDB visits fk_a before fk_b (name order,
    tests/test_plan_innodb.py): the cascade removes the row first, for certain."""
    db = make_db(engine)
    db.run(f"""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER,
  CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id) ON DELETE CASCADE,
  CONSTRAINT fk_b FOREIGN KEY (b) REFERENCES p (id) ON DELETE {action});
INSERT INTO p VALUES (1), (2);
INSERT INTO c VALUES (1, 1, 1), (2, 2, 2);""")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "id = 1")
    accepted, error, deleted, _, _ = run_for_real(db, engine, PC, "DELETE FROM p WHERE id = 1")
    if (engine == "sqlite" and action == "NO ACTION") or engine == "mariadb":
        assert plan.certain and plan.ok and accepted
        assert plan.deleted == deleted == {"p": 1, "c": 1}
    else:
        assert not plan.certain and not plan.ok
        assert [b.constraint for b in plan.order_dependent] == ["fk_b"]
    # a referencing row that survives blocks on every engine, for certain
    db.run("INSERT INTO c VALUES (3, NULL, 2)")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "id = 2")
    accepted, *_ = run_for_real(db, engine, PC, "DELETE FROM p WHERE id = 2")
    assert plan.certain and not plan.ok and not accepted
    assert [(b.constraint, b.rows) for b in plan.blocked_by] == [("fk_b", 1)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_self_reference_deleted_by_the_statement_itself(make_db: Any, engine: str) -> None:
    """PostgreSQL deletes every row the statement names before any RI trigger fires: RESTRICT passes."""
    db = make_db(engine)
    db.run("""CREATE TABLE e (id INTEGER PRIMARY KEY, boss INTEGER,
  CONSTRAINT fk_boss FOREIGN KEY (boss) REFERENCES e (id) ON DELETE RESTRICT);
INSERT INTO e VALUES (1, NULL), (2, 1), (3, 2);""")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("e", "1 = 1")
    accepted, *_ = run_for_real(db, engine, spec_of(("e", ["id", "boss"])), "DELETE FROM e")
    if engine == "postgresql":
        assert plan.certain and plan.ok and accepted
    else:
        assert not plan.certain  # SQLite: RESTRICT fires as each row goes, in rowid order


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_set_default_needs_a_parent(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER DEFAULT 42,
  CONSTRAINT fk_c FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET DEFAULT);
INSERT INTO p VALUES (1), (2);
INSERT INTO c VALUES (1, 1), (2, 1), (3, 2);""")
    spec = spec_of(("p", ["id"]), ("c", ["id", "pid"]))
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "id = 1")
    accepted, *_ = run_for_real(db, engine, spec, "DELETE FROM p WHERE id = 1")
    assert not plan.ok and not accepted
    assert [b.constraint for b in plan.blocked_by] == ["fk_c"]
    db.run("INSERT INTO p VALUES (42)")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "id = 1")
    accepted, _, deleted, updated, _ = run_for_real(db, engine, spec, "DELETE FROM p WHERE id = 1")
    assert plan.ok and accepted
    assert plan.deleted == deleted and plan.updated == updated == {"c": 2}


def test_innodb_cascade_depth_limit(make_db: Any) -> None:
    """InnoDB refuses cascades nested deeper than 15 levels."""
    db = make_db("mariadb")
    rows = ", ".join(f"({i}, {'NULL' if i == 1 else i - 1})" for i in range(1, 21))
    db.run(f"""CREATE TABLE e (id INTEGER PRIMARY KEY, boss INTEGER) ENGINE=InnoDB;
ALTER TABLE e ADD CONSTRAINT fk_boss FOREIGN KEY (boss) REFERENCES e (id) ON DELETE CASCADE;
INSERT INTO e VALUES {rows};""")
    spec = spec_of(("e", ["id", "boss"]))
    for start in (1, 10):
        with refint.connect(db.url) as conn:
            plan = conn.plan_delete("e", f"id = {start}")
        accepted, error, deleted, _, _ = run_for_real(db, "mariadb", spec, f"DELETE FROM e WHERE id = {start}")
        assert plan.ok == accepted, error
        if accepted:
            assert plan.deleted == deleted == {"e": 21 - start}


def test_deferred_key_is_checked_at_commit(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1);""")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "id = 1")
    assert plan.ok and plan.certain
    assert [(b.table, b.at, b.rows) for b in plan.deferred_checks] == [("c", "commit", 1)]
    accepted, *_ = run_for_real(db, "postgresql", spec_of(("p", ["id"]), ("c", ["id", "pid"])),
                                "DELETE FROM p WHERE id = 1")
    assert accepted  # the statement runs; COMMIT would fail:
    conn2 = db.dbapi()
    conn2.autocommit = False
    conn2.execute("DELETE FROM p WHERE id = 1")
    with pytest.raises(Exception, match="foreign key"):
        conn2.execute("SET CONSTRAINTS ALL IMMEDIATE")
    conn2.rollback()


def test_update_cascade_and_reprovided_key(make_db: Any) -> None:
    """ON UPDATE CASCADE carries new keys; NO ACTION and RESTRICT block a changed key still referred to."""
    db = make_db("postgresql")
    db.run("""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER CONSTRAINT fk_c REFERENCES p (id) ON UPDATE CASCADE);
CREATE TABLE n (id INTEGER PRIMARY KEY, pid INTEGER CONSTRAINT fk_n REFERENCES p (id));
CREATE TABLE r (id INTEGER PRIMARY KEY, pid INTEGER CONSTRAINT fk_r REFERENCES p (id) ON UPDATE RESTRICT);
INSERT INTO p VALUES (1), (2), (3); INSERT INTO c VALUES (1, 1), (2, 2); INSERT INTO n VALUES (1, 2);""")
    spec = spec_of(("p", ["id"]), ("c", ["id", "pid"]), ("n", ["id", "pid"]), ("r", ["id", "pid"]))
    cases = [("id = id + 10", "id = 1"), ("id = 7", "id = 3"), ("id = id + 10", "id = 2")]
    for sets, where in cases:
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("p", sets, where)
        accepted, error, _, updated, _ = run_for_real(db, "postgresql", spec, f"UPDATE p SET {sets} WHERE {where}")
        assert plan.ok == accepted, (sets, where, error, plan.to_dict())
        if accepted:
            assert {k: v for k, v in plan.updated.items() if k != "p"} == {k: v for k, v in updated.items()
                                                                           if k != "p"}
    db.run("INSERT INTO r VALUES (1, 3)")
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("p", "id = id + 20", "id = 3")
    accepted, *_ = run_for_real(db, "postgresql", spec, "UPDATE p SET id = id + 20 WHERE id = 3")
    assert not plan.ok and not accepted
    assert [b.constraint for b in plan.blocked_by] == ["fk_r"]


@pytest.mark.parametrize("where", ["id = 1; DROP TABLE p", "id IN (SELECT id FROM p) -- x",
                                   "id = 1 /* x */", "(DELETE FROM p) IS NULL", "id = 1)", ""])
def test_predicates_that_could_write_or_hide_are_refused(make_db: Any, where: str) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1);")
    with refint.connect(db.url) as conn, pytest.raises(BadInput):
        conn.plan_delete("p", where)
    assert db.query("SELECT count(*) FROM p") == [(1,)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_malformed_predicate_is_bad_input_and_cli_exit_codes(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, CONSTRAINT fk_c FOREIGN KEY (pid) REFERENCES p (id));
INSERT INTO p VALUES (1), (2); INSERT INTO c VALUES (1, 1);""")
    with refint.connect(db.url) as conn, pytest.raises(BadInput, match="malformed predicate"):
        conn.plan_delete("p", "no_such_column = 1")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "refint", "plan", *args], capture_output=True, text=True)

    assert cli("delete", db.url, "p", "--where", "id = 2").returncode == 0
    blocked = cli("delete", db.url, "p", "--where", "id = 1", "--format", "json")
    assert blocked.returncode == 1 and '"fk_c"' in blocked.stdout
    bad = cli("delete", db.url, "p", "--where", "nope(")
    assert bad.returncode == 2 and bad.stderr.startswith("refint: error:")
    assert db.query("SELECT count(*) FROM p") == [(2,)]


# -- PRIMARY KEY / UNIQUE / NOT NULL / CHECK on the new values --------------------------------------------
KEYS = spec_of(("t", ["id", "u", "v"]))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
@pytest.mark.parametrize(("sets", "where", "blocked"), [
    ("u = 1", "id > 1", [("uq_u", 2)]),            # two rows take the key row 1 keeps
    ("u = 7", "id > 1", [("uq_u", 2)]),            # two changed rows take the same new key
    ("u = 7", "id = 2", []),
    ("u = NULL", "1 = 1", []),                     # NULLs are distinct
    ("v = -1", "id = 1", [("ck_v", 1)]),
    ("v = NULL", "id = 1", [(None, 1)]),           # NOT NULL
    ("u = u + 10, v = v + 1", "1 = 1", []),
])
def test_update_new_values_keys_checks_not_null(make_db: Any, engine: str, sets: str, where: str,
                                                 blocked: list[tuple[str | None, int]]) -> None:
    db = make_db(engine)
    db.run("""CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER NOT NULL,
  CONSTRAINT uq_u UNIQUE (u), CONSTRAINT ck_v CHECK (v > 0));
INSERT INTO t VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3);""")
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("t", sets, where)
    accepted, error, *_ = run_for_real(db, engine, KEYS, f"UPDATE t SET {sets} WHERE {where}")
    assert plan.certain and plan.ok == accepted == (not blocked), (error, plan.to_dict())
    assert [(b.constraint, b.rows) for b in plan.blocked_by] == blocked
    assert "not predicted" not in " ".join(plan.notes)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_shifted_key_is_order_dependent(make_db: Any, engine: str) -> None:
    """Non-deferrable keys are checked row by row: ``id = id + 1`` over 1, 2, 3 fails in insertion order
    although the end state is unique; SQLite and PostgreSQL promise no order, so refint says
    order-dependent; InnoDB writes in primary key order (tests/test_plan_innodb.py): blocked for certain."""
    db = make_db(engine)
    db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER NOT NULL);"
           "INSERT INTO t VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3);")
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("t", "id = id + 1", "1 = 1")
        far = conn.plan_update("t", "id = id + 10", "1 = 1")
    accepted, error, *_ = run_for_real(db, engine, KEYS, "UPDATE t SET id = id + 1")
    assert not accepted and ("unique" in error.lower() or "duplicate" in error.lower())
    if engine == "mariadb":
        assert plan.certain and not plan.ok and [b.rows for b in plan.blocked_by] == [2]
    else:
        assert not plan.certain and not plan.ok and not plan.blocked_by
        assert [b.rows for b in plan.order_dependent] == [2]
    accepted, *_ = run_for_real(db, engine, KEYS, "UPDATE t SET id = id + 10")
    assert accepted and far.certain and far.ok


def test_deferrable_key_is_checked_on_the_end_state(make_db: Any) -> None:
    """PostgreSQL checks a DEFERRABLE key at the end of the statement (INITIALLY DEFERRED: at COMMIT)."""
    db = make_db("postgresql")
    db.run("""CREATE TABLE t (id INTEGER CONSTRAINT t_pk PRIMARY KEY DEFERRABLE, u INTEGER, v INTEGER,
  CONSTRAINT uq_u UNIQUE (u) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO t VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3);""")
    with refint.connect(db.url) as conn:
        shift = conn.plan_update("t", "id = id + 1", "1 = 1")
        dup = conn.plan_update("t", "id = 1", "id = 2")
        late = conn.plan_update("t", "u = 1", "id = 2")
    assert shift.certain and shift.ok and run_for_real(db, "postgresql", KEYS, "UPDATE t SET id = id + 1")[0]
    assert not dup.ok and [b.constraint for b in dup.blocked_by] == ["t_pk"]
    assert not run_for_real(db, "postgresql", KEYS, "UPDATE t SET id = 1 WHERE id = 2")[0]
    assert late.ok and [(b.constraint, b.at) for b in late.deferred_checks] == [("uq_u", "commit")]
    assert run_for_real(db, "postgresql", KEYS, "UPDATE t SET u = 1 WHERE id = 2")[0]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_cascaded_update_into_a_child_unique_column(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("""CREATE TABLE p (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, CONSTRAINT uq_ca UNIQUE (a),
  CONSTRAINT fk_c FOREIGN KEY (a, b) REFERENCES p (a, b) ON UPDATE CASCADE);
INSERT INTO p VALUES (1, 1), (2, 2); INSERT INTO c VALUES (1, 1, 1), (2, 2, 2);""")
    spec = spec_of(("p", ["a", "b"]), ("c", ["id", "a", "b"]))
    for sets, where, blocked in [("a = 2", "a = 1", [("uq_ca", "c", 1)]), ("a = 5", "a = 1", [])]:
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("p", sets, where)
        accepted, error, _, updated, _ = run_for_real(db, engine, spec, f"UPDATE p SET {sets} WHERE {where}")
        assert plan.certain and plan.ok == accepted == (not blocked), (error, plan.to_dict())
        assert [(b.constraint, b.table, b.rows) for b in plan.blocked_by] == blocked
        if accepted:
            assert plan.updated["c"] == updated["c"] == 1


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_delete_set_default_into_a_unique_column(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER DEFAULT 0, CONSTRAINT uq_pid UNIQUE (pid),
  CONSTRAINT fk_c FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET DEFAULT);
INSERT INTO p VALUES (0), (1), (2); INSERT INTO c VALUES (1, 1), (2, 2);""")
    spec = spec_of(("p", ["id"]), ("c", ["id", "pid"]))
    for where, ok in [("id IN (1, 2)", False), ("id = 1", True)]:
        with refint.connect(db.url) as conn:
            plan = conn.plan_delete("p", where)
        accepted, error, *_ = run_for_real(db, engine, spec, f"DELETE FROM p WHERE {where}")
        assert plan.certain and plan.ok == accepted == ok, (error, plan.to_dict())
        if not ok:
            assert [(b.constraint, b.rows) for b in plan.blocked_by] == [("uq_pid", 2)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_set_null_into_not_null_of_rows_a_cascade_removes(make_db: Any, engine: str) -> None:
    """Found by test_plan_random: a cascade removes every row SET DEFAULT would null; whether the action
    reaches a row first (NOT NULL fails) depends on trigger/row order, so refint says order-dependent."""
    db = make_db(engine)
    db.run("""CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (x INTEGER NOT NULL, pid INTEGER NOT NULL,
  CONSTRAINT fk_a FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE,
  CONSTRAINT fk_b FOREIGN KEY (x) REFERENCES p (id) ON DELETE SET DEFAULT);
INSERT INTO p VALUES (0), (1); INSERT INTO c VALUES (0, 0), (0, 1);""")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "1 = 1")
    accepted, error, *_ = run_for_real(db, engine, spec_of(("p", ["id"]), ("c", ["x", "pid"])), "DELETE FROM p")
    assert not plan.certain and not plan.ok, (accepted, error)
    assert [b.constraint for b in plan.order_dependent] == ["fk_b"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_set_null_into_a_unique_column_next_to_a_cascade(make_db: Any, engine: str) -> None:
    """Found by test_plan_random on MariaDB: the rows left alone by SET NULL must be described with the
    SET NULL child's own predicate, not with another child's."""
    db = make_db(engine)
    db.run("""CREATE TABLE a (a INTEGER PRIMARY KEY);
CREATE TABLE b (id INTEGER PRIMARY KEY, x INTEGER, CONSTRAINT uq_x UNIQUE (x),
  CONSTRAINT fk_b FOREIGN KEY (x) REFERENCES a (a) ON DELETE SET NULL);
CREATE TABLE c (id INTEGER PRIMARY KEY, y INTEGER,
  CONSTRAINT fk_c FOREIGN KEY (y) REFERENCES a (a) ON DELETE CASCADE);
INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1, 1), (2, 2); INSERT INTO c VALUES (1, 1);""")
    spec = spec_of(("a", ["a"]), ("b", ["id", "x"]), ("c", ["id", "y"]))
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("a", "1 = 1")
    accepted, error, deleted, updated, _ = run_for_real(db, engine, spec, "DELETE FROM a")
    assert plan.certain and plan.ok and accepted, error
    assert plan.deleted == deleted == {"a": 2, "c": 1} and plan.updated == updated == {"b": 2}


# -- UPDATE ripples: ON UPDATE actions below the first level, self-references, cycles ----------------------
GEO = """CREATE TABLE country (code INTEGER PRIMARY KEY){e};
CREATE TABLE region (cc INTEGER NOT NULL, code INTEGER NOT NULL, PRIMARY KEY (cc, code),
  CONSTRAINT fk_region FOREIGN KEY (cc) REFERENCES country (code) ON UPDATE CASCADE){e};
CREATE TABLE city (id INTEGER PRIMARY KEY, cc INTEGER, rc INTEGER,
  CONSTRAINT fk_city FOREIGN KEY (cc, rc) REFERENCES region (cc, code) ON UPDATE {action}){e};
INSERT INTO country VALUES (1), (2); INSERT INTO region VALUES (1, 1), (1, 2), (2, 1);
INSERT INTO city VALUES (1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 1, 1);"""
GEO_SPEC = spec_of(("country", ["code"]), ("region", ["cc", "code"]), ("city", ["id", "cc", "rc"]))


def _innodb(engine: str) -> str:
    return " ENGINE=InnoDB" if engine == "mariadb" else ""


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_update_cascade_through_a_natural_key_chain(make_db: Any, engine: str) -> None:
    """country(code) <- region(cc, code) <- city(cc, rc): the new country code reaches city through region."""
    db = make_db(engine)
    db.run(GEO.format(e=_innodb(engine), action="CASCADE"))
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("country", "code = 7", "code = 1")
    accepted, error, _, updated, _ = run_for_real(db, engine, GEO_SPEC, "UPDATE country SET code = 7 WHERE code = 1")
    assert accepted and plan.certain and plan.ok, (error, plan.to_dict())
    assert plan.updated == updated == {"country": 1, "region": 2, "city": 3}
    assert [(s.table, s.constraint, s.parent, s.rows) for s in plan.steps] == [
        ("region", "fk_region", "country", 2), ("city", "fk_city", "region", 3)]
    assert not plan.notes or all(not n.startswith("not followed") for n in plan.notes)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
@pytest.mark.parametrize("action", ["NO ACTION", "RESTRICT"])
def test_update_cascade_chain_blocked_below(make_db: Any, engine: str, action: str) -> None:
    db = make_db(engine)
    db.run(GEO.format(e=_innodb(engine), action=action))
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("country", "code = 7", "code = 1")
        free = conn.plan_update("country", "code = 8", "code = 2")
    accepted, error, *_ = run_for_real(db, engine, GEO_SPEC, "UPDATE country SET code = 7 WHERE code = 1")
    assert not accepted and plan.certain and not plan.ok, (error, plan.to_dict())
    assert [(b.constraint, b.table, b.rows) for b in plan.blocked_by] == [("fk_city", "city", 3)]
    db.run("DELETE FROM city WHERE id = 3")
    with refint.connect(db.url) as conn:
        free = conn.plan_update("country", "code = 8", "code = 2")
    accepted, error, _, updated, _ = run_for_real(db, engine, GEO_SPEC, "UPDATE country SET code = 8 WHERE code = 2")
    assert accepted and free.certain and free.ok, (error, free.to_dict())
    assert free.updated == updated == {"country": 1, "region": 1}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_update_set_null_in_the_middle_then_cascade(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    e = _innodb(engine)
    db.run(f"""CREATE TABLE a (id INTEGER PRIMARY KEY){e};
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, k INTEGER, CONSTRAINT uq_b UNIQUE (a_id, k),
  CONSTRAINT fk_b FOREIGN KEY (a_id) REFERENCES a (id) ON UPDATE SET NULL){e};
CREATE TABLE c (id INTEGER PRIMARY KEY, a_id INTEGER, k INTEGER,
  CONSTRAINT fk_c FOREIGN KEY (a_id, k) REFERENCES b (a_id, k) ON UPDATE CASCADE){e};
INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1, 1, 1), (2, 1, 2), (3, 2, 1);
INSERT INTO c VALUES (1, 1, 1), (2, 1, 1), (3, 1, 2), (4, 2, 1), (5, NULL, 1);""")
    spec = spec_of(("a", ["id"]), ("b", ["id", "a_id", "k"]), ("c", ["id", "a_id", "k"]))
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("a", "id = 5", "id = 1")
    accepted, error, _, updated, _ = run_for_real(db, engine, spec, "UPDATE a SET id = 5 WHERE id = 1")
    assert accepted and plan.certain and plan.ok, (error, plan.to_dict())
    assert plan.updated == updated == {"a": 1, "b": 2, "c": 3}
    assert [(s.table, s.action, s.rows) for s in plan.steps] == [("b", "SET NULL", 2), ("c", "CASCADE", 3)]


TREE = spec_of(("e", ["id", "boss"]))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_update_self_referencing_tree(make_db: Any, engine: str) -> None:
    """SQLite and PostgreSQL cascade a node's new id to its children; InnoDB refuses a cascade into the
    table it is updating (error 1451) as soon as a child row refers to the changed id."""
    db = make_db(engine)
    db.run(f"""CREATE TABLE e (id INTEGER PRIMARY KEY, boss INTEGER){_innodb(engine)};
ALTER TABLE e ADD CONSTRAINT fk_boss FOREIGN KEY (boss) REFERENCES e (id) ON UPDATE CASCADE;
INSERT INTO e VALUES (1, NULL), (2, 1), (3, 2), (4, 2), (5, 4);""" if engine != "sqlite" else
           """CREATE TABLE e (id INTEGER PRIMARY KEY, boss INTEGER,
  CONSTRAINT fk_boss FOREIGN KEY (boss) REFERENCES e (id) ON UPDATE CASCADE);
INSERT INTO e VALUES (1, NULL), (2, 1), (3, 2), (4, 2), (5, 4);""")
    for sets, where, rows in [("id = 20", "id = 2", 3), ("id = id + 100", "1 = 1", 5), ("id = 50", "id = 5", 1)]:
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("e", sets, where)
        accepted, error, _, updated, _ = run_for_real(db, engine, TREE, f"UPDATE e SET {sets} WHERE {where}")
        assert plan.certain and plan.ok == accepted, (sets, error, plan.to_dict())
        if engine == "mariadb" and rows > 1:
            assert "1451" in error and [b.constraint for b in plan.blocked_by] == ["fk_boss"]
        else:
            assert accepted and plan.updated == updated == {"e": rows}, (sets, plan.to_dict(), updated)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_update_cascade_around_a_two_table_cycle(make_db: Any, engine: str) -> None:
    """a.id -> b.a (CASCADE) is b's unique key, b.a -> a.b (CASCADE): the change comes back into a.
    InnoDB refuses the cascade back into a (error 1451)."""
    db = make_db(engine)
    e = _innodb(engine)
    fk_ab = "CONSTRAINT fk_ab FOREIGN KEY (b) REFERENCES b (a) ON UPDATE CASCADE"
    if engine == "sqlite":
        db.run(f"""CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER, {fk_ab});
CREATE TABLE b (id INTEGER PRIMARY KEY, a INTEGER UNIQUE, CONSTRAINT fk_ba FOREIGN KEY (a) REFERENCES a (id)
  ON UPDATE CASCADE);""")
    else:
        db.run(f"""CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER){e};
CREATE TABLE b (id INTEGER PRIMARY KEY, a INTEGER UNIQUE, CONSTRAINT fk_ba FOREIGN KEY (a) REFERENCES a (id)
  ON UPDATE CASCADE){e};
ALTER TABLE a ADD {fk_ab};""")
    db.run("INSERT INTO a VALUES (1, NULL), (2, NULL), (3, NULL); INSERT INTO b VALUES (1, 1), (2, 2);"
           "UPDATE a SET b = 1 WHERE id = 2;")
    spec = spec_of(("a", ["id", "b"]), ("b", ["id", "a"]))
    for where, ok_everywhere, want in [("id = 1", False, {"a": 2, "b": 1}), ("id = 3", True, {"a": 1})]:
        with refint.connect(db.url) as conn:
            plan = conn.plan_update("a", "id = 9", where)
        accepted, error, _, updated, _ = run_for_real(db, engine, spec, f"UPDATE a SET id = 9 WHERE {where}")
        assert plan.certain and plan.ok == accepted, (where, error, plan.to_dict())
        if engine == "mariadb" and not ok_everywhere:
            assert "1451" in error and [b.constraint for b in plan.blocked_by] == ["fk_ab"]
        else:
            assert accepted and plan.updated == updated == want, (plan.to_dict(), updated)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_update_cascade_reaching_a_row_by_two_keys(make_db: Any, engine: str) -> None:
    """city refers to country directly and through region, sharing column cc: both cascades write the same
    value. SQLite and PostgreSQL accept it (whatever the constraint order); InnoDB rewrites the row once per
    key and checks the other key in between: error 1452 in every order tried, refint says order-dependent."""
    db = make_db(engine)
    e = _innodb(engine)
    db.run(f"""CREATE TABLE country (code INTEGER PRIMARY KEY){e};
CREATE TABLE region (cc INTEGER NOT NULL, code INTEGER NOT NULL, PRIMARY KEY (cc, code),
  CONSTRAINT fk_region FOREIGN KEY (cc) REFERENCES country (code) ON UPDATE CASCADE){e};
CREATE TABLE city (id INTEGER PRIMARY KEY, cc INTEGER, rc INTEGER,
  CONSTRAINT fk_city FOREIGN KEY (cc, rc) REFERENCES region (cc, code) ON UPDATE CASCADE,
  CONSTRAINT fk_city_country FOREIGN KEY (cc) REFERENCES country (code) ON UPDATE CASCADE){e};
INSERT INTO country VALUES (1), (2); INSERT INTO region VALUES (1, 1), (1, 2), (2, 1);
INSERT INTO city VALUES (1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 1, 1);""")
    with refint.connect(db.url) as conn:
        plan = conn.plan_update("country", "code = 7", "code = 1")
    accepted, error, _, updated, _ = run_for_real(db, engine, GEO_SPEC, "UPDATE country SET code = 7 WHERE code = 1")
    if engine == "mariadb":
        assert not accepted and "1452" in error
        assert not plan.certain and not plan.ok and not plan.blocked_by
    else:
        assert accepted and plan.certain and plan.ok, (error, plan.to_dict())
        assert plan.updated == updated == {"country": 1, "region": 2, "city": 3}
