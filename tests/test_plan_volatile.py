"""``plan`` refuses predicates and assignments that call functions the engine marks volatile (issue 12
item 3): a read-only transaction does not cover a connection a function opens itself (dblink)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import refint
from refint.errors import BadInput
from tests.test_cli import assert_one_line_error, refint as run_refint

SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, name varchar(20));
CREATE TABLE c (id int PRIMARY KEY, t_id int REFERENCES t (id) ON DELETE CASCADE);
INSERT INTO t VALUES (1, 'a');
INSERT INTO t VALUES (2, 'b');
INSERT INTO c VALUES (1, 1)
"""


def _refused(url: str, where: str, fragment: str, *, update: str | None = None) -> None:
    with refint.connect(url, readonly=True) as db:
        with pytest.raises(BadInput) as err:
            if update is None:
                db.plan_delete("t", where)
            else:
                db.plan_update("t", update, where)
    assert fragment.lower() in str(err.value).lower() and "volatile" in str(err.value)


def _allowed(url: str, where: str, deleted: int, *, update: str | None = None) -> None:
    with refint.connect(url, readonly=True) as db:
        plan = db.plan_delete("t", where) if update is None else db.plan_update("t", update, where)
    assert plan.to_dict()["deleted" if update is None else "updated"]["t"] == deleted


def test_postgres_dblink_write_is_refused_and_nothing_written(make_db: Any, tmp_path: Path) -> None:
    db = make_db("postgresql")
    if not db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'dblink'"):
        pytest.skip("the dblink extension is not installed on this server")
    db.run("CREATE EXTENSION dblink; CREATE TABLE audit (x int);" + SCHEMA)
    conninfo = f"host=127.0.0.1 dbname={db.name} user=postgres"
    write = f"dblink_exec('{conninfo}', 'INSERT INTO audit VALUES (42)') IS NOT NULL"
    proc = run_refint("plan", "delete", db.url, "t", "--where", write)
    assert_one_line_error(proc, "dblink_exec()", "volatile")
    proc = run_refint("plan", "update", db.url, "t", "--set", f"name = dblink_exec('{conninfo}', "
                      "'INSERT INTO audit VALUES (43)')", "--where", "id = 1")
    assert_one_line_error(proc, "dblink_exec()", "volatile")
    # subset's seeds are predicates too, read in a read-only snapshot of the source
    proc = run_refint("subset", db.url, "--to", str(tmp_path / "out.db"), "--where", f"t: {write}")
    assert_one_line_error(proc, "dblink_exec()", "volatile")
    assert not (tmp_path / "out.db").exists()
    assert db.query("SELECT count(*) FROM audit") == [(0,)]
    # the function is volatile by the engine's own catalog, which is what refint asked
    assert db.query("SELECT DISTINCT provolatile FROM pg_proc WHERE proname = 'dblink_exec'") == [("v",)]


def test_postgres_rules(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run(SCHEMA + """;
        CREATE TABLE audit (x int);
        CREATE FUNCTION writes(i int) RETURNS int LANGUAGE plpgsql AS
            'BEGIN INSERT INTO audit VALUES (i); RETURN i; END';
        CREATE FUNCTION pick(i int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT i';
        CREATE FUNCTION pick(i int, j int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT i';
        CREATE FUNCTION "Shout"(s text) RETURNS text LANGUAGE sql VOLATILE AS 'SELECT upper(s)';
        CREATE FUNCTION eq_volatile(a int, b int) RETURNS bool LANGUAGE sql VOLATILE AS 'SELECT a = b';
        CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = eq_volatile);
        CREATE VIEW noisy AS SELECT id, random() AS r FROM t;
        CREATE VIEW over_noisy AS SELECT id FROM noisy;
        CREATE VIEW quiet AS SELECT id, lower(name) AS l FROM t;
        CREATE TYPE boxed AS (v int);
        CREATE FUNCTION box_it(i int) RETURNS boxed LANGUAGE sql VOLATILE AS 'SELECT ROW(i)::boxed';
        CREATE CAST (int AS boxed) WITH FUNCTION box_it(int)
    """)
    _refused(db.url, "writes(id) = 1", "writes()")
    _refused(db.url, "public.writes(id) = 1", "writes()")
    _refused(db.url, "pick(id, 1) = 1", "pick()")  # the two-argument overload is the volatile one
    _refused(db.url, '"Shout"(name) = \'A\'', "Shout()")
    _refused(db.url, "id === 1", "operator ===")
    _refused(db.url, "EXISTS (SELECT 1 FROM over_noisy o WHERE o.id = t.id)", "random() (through view noisy)")
    _refused(db.url, "EXISTS (SELECT 1 FROM PUBLIC.Over_Noisy o WHERE o.id = t.id)", "random()")  # folded
    _refused(db.url, "id = 1", "random()", update="name = CAST(random() AS text)")
    _refused(db.url, "id = nextval('s')", "nextval()")
    _refused(db.url, "(id::boxed) IS NOT NULL", "box_it() (a cast to boxed)")
    _refused(db.url, "CAST(id AS public.boxed) IS NOT NULL", "box_it()")
    assert db.query("SELECT count(*) FROM audit") == [(0,)]
    # IMMUTABLE and STABLE functions (now() is STABLE) and views over them still plan
    _allowed(db.url, "lower(name) = 'a' AND now() > '2000-01-01' AND pick(id) = 1 AND id::text = '1'", 1)
    _allowed(db.url, "EXISTS (SELECT 1 FROM quiet q WHERE q.id = t.id AND q.l = 'b')", 1)
    _allowed(db.url, "id = 2", 1, update="name = upper(name) || to_char(now(), 'YYYY')")


def test_sqlite_rules_follow_function_list(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run(SCHEMA + "; CREATE VIEW noisy AS SELECT id, random() AS r FROM t")
    flags = dict(db.query("SELECT name, max(flags & 2048) FROM pragma_function_list GROUP BY name"))
    assert not flags["random"] and not flags["changes"] and flags["lower"] and flags["date"]
    _refused(db.url, "random() > 0", "random()")
    _refused(db.url, "changes() = 0", "changes()")
    _refused(db.url, "EXISTS (SELECT 1 FROM noisy n WHERE n.id = t.id)", "random() (through view noisy)")
    _allowed(db.url, "lower(name) = 'a' AND date('now') > '2000-01-01'", 1)


def test_duckdb_rules_follow_stability(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHEMA.replace(" ON DELETE CASCADE", "").replace("INSERT INTO c VALUES (1, 1)", "SELECT 1"))
    _refused(db.url, "random() < 2", "random()")
    _refused(db.url, "id = 1", "uuid()", update="name = CAST(uuid() AS VARCHAR)")
    _allowed(db.url, "lower(name) = 'a' AND now() > TIMESTAMP '2000-01-01'", 1)


def test_mariadb_rules(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run(SCHEMA + """;
        CREATE TABLE audit (x int);
        CREATE FUNCTION pure_f(x int) RETURNS int DETERMINISTIC READS SQL DATA RETURN x;
        CREATE FUNCTION plain_f(x int) RETURNS int RETURN x;
        CREATE FUNCTION writer_f(x int) RETURNS int DETERMINISTIC MODIFIES SQL DATA
            RETURN (SELECT count(*) FROM audit) + x
    """)
    _refused(db.url, "RAND() < 2", "rand()")
    _refused(db.url, "SLEEP(0) = 0", "sleep()")
    _refused(db.url, "GET_LOCK('k', 0) = 1", "get_lock()")
    _refused(db.url, "plain_f(id) = 1", "plain_f()")
    _refused(db.url, f"`{db.name}`.writer_f(id) = 1", "writer_f()")
    assert db.query("SELECT count(*) FROM audit") == [(0,)]
    _allowed(db.url, "pure_f(id) = 1 AND LOWER(name) = 'a' AND NOW() > '2000-01-01'", 1)
