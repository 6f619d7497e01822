"""The fast paths of ``refint check`` (issue 3), each compared with what the engine itself reports.

- read-only file targets run on the driver itself (refint.direct): no SQLAlchemy import, same answers;
- SQLite with an index on the child's key splits the LEFT JOIN over threads by key ranges;
- MariaDB without an index on the child's key switches its hash join on for that one query.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.direct import DirectConnection, DriverError
from refint.engines.sqlite import SQLite
from refint.relations import parse_relation
from tests.conftest import ENGINES, SPARK_ENGINES


def _refint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True)


# -- refint.direct ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_read_only_check_of_a_file_does_not_import_sqlalchemy(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER);"
           "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1), (2, 7), (3, 7);")
    code = ("import sys, runpy; sys.argv = ['refint'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('refint', run_name='__main__')\n"
            "finally:\n    print([m for m in ('sqlalchemy', 'duckdb_engine') if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "check", str(db.path), "--relation", "c(pid) -> p(id)",
                           "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    (v,) = json.loads(proc.stdout)["violations"]
    # the engine's own count of the same orphans
    assert v["count"] == db.query("SELECT count(*) FROM c WHERE pid NOT IN (SELECT id FROM p)")[0][0] == 2


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_direct_connection_reads_what_sqlalchemy_reads(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run('CREATE TABLE "we""ird" (id INTEGER PRIMARY KEY, x INTEGER CHECK (x > 0));'
           'CREATE TABLE "학생" (id INTEGER PRIMARY KEY, w INTEGER REFERENCES "we""ird" (id));')
    with refint.connect(db.path) as slow:  # DuckDB: one configuration per file and process at a time
        assert not isinstance(slow._opened.conn, DirectConnection)
        through_sqlalchemy = slow.inspect().to_dict()
    with refint.connect(db.path, readonly=True) as fast:
        assert isinstance(fast._opened.conn, DirectConnection)
        assert fast.inspect().to_dict() == through_sqlalchemy
        # :name binds are bound (DuckDB's are rewritten to $name), never formatted in
        with fast.engine.read_only():
            row = fast.engine.exec("SELECT :a || 'x', :b + 1", {"a": "it's", "b": 41, "unused": 0}).fetchone()
        assert tuple(row) == ("it'sx", 42)
        # Database.conn is still a SQLAlchemy connection, on the same driver connection
        import sqlalchemy as sa

        assert isinstance(fast.conn, sa.Connection)
        assert fast.conn.execute(sa.text('SELECT count(*) FROM "학생"')).scalar() == 0
        # errors keep the driver's exception as .orig, as SQLAlchemy's do; nothing is written
        with fast.engine.read_only(), pytest.raises(DriverError) as info:
            fast.engine.raw('INSERT INTO "we""ird" VALUES (1, 1)')
        assert type(info.value.orig).__module__.split(".")[0] in ("sqlite3", "_sqlite3", "duckdb", "_duckdb")
    assert db.query('SELECT count(*) FROM "we""ird"') == [(0,)]


def test_a_malformed_predicate_is_one_line_on_a_direct_connection(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    proc = _refint("plan", "delete", str(db.path), "t", "--where", "id = = 1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("refint: error: malformed predicate") and proc.stderr.count("\n") == 1


# -- SQLite: the indexed join over key ranges in threads --------------------------------------------------

def _sqlite_child(path: Path, keys: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id));
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
        INSERT INTO parent SELECT i FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
        INSERT INTO child SELECT i, {keys} FROM n;
        CREATE INDEX ix_child_pid ON child (pid);
    """)
    conn.commit()
    conn.close()


def _pragma_orphans(path: Path) -> tuple[int, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        rowids = [r[1] for r in conn.execute("PRAGMA foreign_key_check(child)")]
        keys = sorted({conn.execute("SELECT pid FROM child WHERE rowid = ?", (r,)).fetchone()[0] for r in rowids},
                      key=lambda k: (0, k, "") if isinstance(k, (int, float)) else (1, 0, str(k)))
        return len(rowids), keys
    finally:
        conn.close()


@pytest.mark.parametrize("keys", [
    # scattered orphans and NULLs
    "CASE WHEN i % 50 = 0 THEN NULL WHEN i % 97 = 1 THEN 5000 + i ELSE i % 2000 + 1 END",
    # skewed: almost every row on one key, orphans only far above it (value ranges would not split it)
    "CASE WHEN i % 1000 = 7 THEN 100000 + i ELSE 3 END",
    # INTEGER affinity still stores text and reals: they are orphans too
    "CASE WHEN i % 777 = 0 THEN 'abc' WHEN i % 555 = 0 THEN 1.5 WHEN i % 333 = 0 THEN -i ELSE i % 2000 + 1 END",
])
def test_sqlite_parallel_ranges_equal_the_pragma(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    path = tmp_path / "ranges.db"
    _sqlite_child(path, keys)
    monkeypatch.setattr(SQLite, "HASH_MIN_ROWS", 1000)
    monkeypatch.setattr(SQLite, "PARALLEL_MIN_ROWS", 1000)
    used: list[Any] = []
    original = SQLite._parallel_orphans

    def spy(self: SQLite, *args: Any) -> Any:
        result = original(self, *args)
        used.append(result)
        return result

    monkeypatch.setattr(SQLite, "_parallel_orphans", spy)
    total, keys_expected = _pragma_orphans(path)
    with refint.connect(path, readonly=True) as db:
        report = db.check(kinds=["foreign_key"], sample=1000)
    (v,) = report.violations
    assert v.count == total > 0
    assert [s["pid"] for s in v.sample] == keys_expected[:1000]
    if "'abc'" not in keys:
        assert used and used[0] is not None  # the ranges ran (not the single statement)
    # a connection the caller holds is never split: same answer from the single statement
    used.clear()
    conn = sqlite3.connect(path)
    with refint.connect(conn) as db:
        again = db.check(kinds=["foreign_key"], sample=1000)
    conn.close()
    assert used == [None]
    assert again.to_dict()["violations"] == report.to_dict()["violations"]
    # nor is a transaction the caller has open on refint's own connection: it sees the uncommitted row
    used.clear()
    with refint.connect(path) as db:
        db.conn.exec_driver_sql("INSERT INTO child (pid) VALUES (99999999)")
        pending = db.check(kinds=["foreign_key"], sample=0)
        db.conn.rollback()
    assert used == [None]
    assert pending.violations[0].count == total + 1


# -- MariaDB: the hash join without an index --------------------------------------------------------------

def test_mariadb_hash_join_without_an_index_and_settings_put_back(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE parent (id INT PRIMARY KEY);
        CREATE TABLE child (id INT PRIMARY KEY, pid INT, pid2 INT);
        INSERT INTO parent SELECT seq FROM seq_1_to_3000;
        INSERT INTO child SELECT seq, CASE WHEN seq % 41 = 0 THEN NULL WHEN seq % 89 = 0 THEN 9000 + seq % 7
                                   ELSE seq % 3000 + 1 END, NULL FROM seq_1_to_20000;
    """)
    expected = db.query("SELECT pid, count(*) FROM child c WHERE pid IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM parent p WHERE p.id = c.pid) GROUP BY pid ORDER BY pid")
    with refint.connect(db.url) as rdb:
        before = rdb.engine.raw("SELECT @@SESSION.join_cache_level, @@SESSION.join_buffer_size").fetchone()
        report = rdb.check(kinds=["foreign_key"], relations=parse_relation("child(pid) -> parent(id)"),
                           sample=100)
        after = rdb.engine.raw("SELECT @@SESSION.join_cache_level, @@SESSION.join_buffer_size").fetchone()
        # the plan MariaDB chooses with refint's settings is its hash join
        rdb.engine.prepare_orphan_query(child_indexed=False)
        plan = rdb.engine.raw("EXPLAIN SELECT c.pid FROM child c LEFT JOIN parent p ON p.id = c.pid "
                              "WHERE c.pid IS NOT NULL AND p.id IS NULL").fetchall()
        rdb.engine.prepare_check()
        assert tuple(rdb.engine.raw("SELECT @@SESSION.join_cache_level, @@SESSION.join_buffer_size").fetchone()) \
            == tuple(before)
    assert any("BNLH" in str(row) for row in plan), plan
    assert tuple(after) == tuple(before)
    (v,) = report.violations
    assert v.count == sum(n for _, n in expected)
    assert [s["pid"] for s in v.sample] == [k for k, _ in expected]


# -- MariaDB: the indexed join over key ranges on several connections --------------------------------------

@pytest.mark.parametrize("form", ["join", "grouped"])
@pytest.mark.parametrize("keys", [
    "CASE WHEN seq % 41 = 0 THEN NULL WHEN seq % 89 = 0 THEN 9000 + seq % 7 ELSE seq % 3000 + 1 END",
    "CASE WHEN seq % 500 = 3 THEN 100000 + seq ELSE 5 END",  # skewed: one key holds almost every row
])
def test_mariadb_parallel_ranges_equal_the_engine(make_db: Any, monkeypatch: pytest.MonkeyPatch, keys: str,
                                                  form: str) -> None:
    """Both forms of a range: the per-row LEFT JOIN, and the keys counted first then probed once each."""
    from refint.engines.mysql import MariaDB

    db = make_db("mariadb")
    db.run(f"""
        CREATE TABLE parent (id INT PRIMARY KEY);
        CREATE TABLE child (id INT PRIMARY KEY, pid INT, KEY ix_pid (pid));
        INSERT INTO parent SELECT seq FROM seq_1_to_3000;
        INSERT INTO child SELECT seq, {keys} FROM seq_1_to_20000;
        ANALYZE TABLE parent, child;
    """)
    expected = db.query("SELECT pid, count(*) FROM child c WHERE pid IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM parent p WHERE p.id = c.pid) GROUP BY pid ORDER BY pid")
    monkeypatch.setattr(MariaDB, "PARALLEL_MIN_ROWS", 1000)
    with refint.connect(db.url) as rdb, rdb.engine.read_only():
        # the choice: 20,000 child rows are at least four per parent row and 3,000 keys fit in memory
        parent = rdb.inspect().table("parent")
        assert rdb.engine._group_first(20_000, parent, 4)  # type: ignore[attr-defined]
        assert not rdb.engine._group_first(11_000, parent, 4)  # type: ignore[attr-defined]
    monkeypatch.setattr(MariaDB, "_group_first", lambda self, *args: form == "grouped")
    runs: list[Any] = []
    original = MariaDB._run_parallel

    def spy(self: MariaDB, statements: Any, sample: int) -> Any:
        runs.append(len(statements))
        assert all(("SELECT g.k" in sql) == (form == "grouped") for sql, _ in statements)
        return original(self, statements, sample)

    monkeypatch.setattr(MariaDB, "_run_parallel", spy)
    rel = parse_relation("child(pid) -> parent(id)")
    with refint.connect(db.url) as rdb:
        report = rdb.check(kinds=["foreign_key"], relations=rel, sample=1000)
        threads = rdb.engine.raw("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = %s",
                                 (db.name,)).scalar()
    assert len(runs) == 1 and 2 <= runs[0] <= MariaDB.PARALLEL_WORKERS  # (equal quantiles merge)
    assert threads == 1  # the range connections are closed again
    (v,) = report.violations
    assert v.count == sum(n for _, n in expected)
    assert [s["pid"] for s in v.sample] == [k for k, _ in expected]
    # a connection the caller holds is never split: the single statement gives the same answer
    runs.clear()
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", password="", database=db.name)
    try:
        with refint.connect(conn) as rdb:
            again = rdb.check(kinds=["foreign_key"], relations=rel, sample=1000)
    finally:
        conn.close()
    assert runs == []
    assert again.to_dict()["violations"] == report.to_dict()["violations"]
    # nor is a transaction the caller has open on refint's own connection: it sees the uncommitted row
    with refint.connect(db.url) as rdb:
        rdb.conn.exec_driver_sql("INSERT INTO child VALUES (99999, 99999999)")
        pending = rdb.check(kinds=["foreign_key"], relations=rel, sample=0)
        rdb.conn.rollback()
    assert runs == []
    assert pending.violations[0].count == v.count + 1


@pytest.mark.parametrize("engine", ENGINES + SPARK_ENGINES)
def test_sample_zero_still_names_the_key(make_db: Any, engine: str) -> None:
    """--sample 0 used to fail with an IndexError: the message needs the first key anyway."""
    db = make_db(engine)
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER);"
           "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1), (2, 7), (3, 8), (4, 7);")
    runs = {n: _refint("check", *db.cli_target(), "--relation", "c(pid) -> p(id)", "--sample", str(n),
                       "--format", "json")
            for n in (0, 5)}
    assert [r.returncode for r in runs.values()] == [1, 1], runs[0].stderr
    none, five = (json.loads(runs[n].stdout)["violations"] for n in (0, 5))
    assert [v["sample"] for v in none] == [[]]
    assert [v["sample"] for v in five] == [[{"pid": 7}, {"pid": 8}]]
    assert none[0]["count"] == five[0]["count"] == 3
    assert none[0]["message"] == five[0]["message"] == 'Key (pid)=(7) is not present in table "p".'


# -- MySQL/MariaDB read-only on PyMySQL itself --------------------------------------------------------------

def test_mariadb_read_only_runs_on_pymysql_itself(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("CREATE TABLE `we``ird` (id INT PRIMARY KEY); CREATE TABLE `학생` (id INT PRIMARY KEY, w INT,"
           " CONSTRAINT fk_w FOREIGN KEY (w) REFERENCES `we``ird` (id));"
           "SET FOREIGN_KEY_CHECKS = 0; INSERT INTO `학생` VALUES (1, 10), (2, 11), (3, 10);")
    code = ("import sys, runpy; sys.argv = ['refint'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('refint', run_name='__main__')\n"
            "finally:\n    print([m for m in ('sqlalchemy',) if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "check", db.url, "--format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    (v,) = json.loads(proc.stdout)["violations"]
    assert (v["constraint"], v["count"], v["sample"]) == ("fk_w", 3, [{"w": 10}, {"w": 11}])
    # a URL option refint does not handle itself still works, through SQLAlchemy
    proc = _refint("check", db.url + "?connect_timeout=5", "--format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["violations"][0]["count"] == 3
    # the same schema through SQLAlchemy (read-write open) and through PyMySQL (read-only)
    with refint.connect(db.url) as slow:
        through_sqlalchemy = slow.inspect().to_dict()
    with refint.connect(db.url, readonly=True) as fast:
        assert isinstance(fast._opened.conn, DirectConnection)
        assert fast.inspect().to_dict() == through_sqlalchemy
        assert fast.display == db.url
        with fast.engine.read_only():
            # :name binds are bound; a literal % survives (pyformat doubles it, as SQLAlchemy does)
            row = fast.engine.exec("SELECT CONCAT(:a, '%'), 7 % 4, :b + 1", {"a": "it's", "b": 41}).fetchone()
            assert tuple(row) == ("it's%", 3, 42)
            with pytest.raises(DriverError) as info:
                fast.engine.raw("INSERT INTO `we``ird` VALUES (5)")
            assert info.value.orig.args[0] == 1792  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
        import sqlalchemy as sa

        assert fast.conn.execute(sa.text("SELECT count(*) FROM `학생`")).scalar() == 3
    assert db.query("SELECT count(*) FROM `we``ird`") == [(0,)]


def test_mariadb_direct_url_errors_are_one_line_without_the_password(make_db: Any) -> None:
    db = make_db("mariadb")
    for url, expected in [
        ("mariadb://root:s3cr%40t@127.0.0.1:3306/" + db.name, "Access denied"),
        ("mariadb://root@127.0.0.1:3399/" + db.name, "Can't connect"),
        ("mariadb://root@127.0.0.1:3306/refint_no_such_db", "Unknown database"),
        ("mariadb://root@127.0.0.1:notaport/x", ""),
    ]:
        proc = _refint("inspect", url)
        assert proc.returncode == 2, (url, proc.stdout)
        assert proc.stderr.startswith("refint: error: ") and proc.stderr.count("\n") == 1, proc.stderr
        assert expected in proc.stderr
        assert "s3cr" not in proc.stderr + proc.stdout


# -- PostgreSQL read-only on psycopg itself ----------------------------------------------------------------

def test_postgresql_read_only_runs_on_psycopg_itself(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run('CREATE TABLE "we""ird" (id int PRIMARY KEY); CREATE TABLE "학생" (id int PRIMARY KEY, w int);'
           'INSERT INTO "학생" VALUES (1, 10), (2, 11), (3, 10);'
           'ALTER TABLE "학생" ADD CONSTRAINT fk_w FOREIGN KEY (w) REFERENCES "we""ird" (id) NOT VALID;')
    code = ("import sys, runpy; sys.argv = ['refint'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('refint', run_name='__main__')\n"
            "finally:\n    print([m for m in ('sqlalchemy',) if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "check", db.url, "--format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    (v,) = json.loads(proc.stdout)["violations"]
    assert (v["constraint"], v["count"], v["sample"]) == ("fk_w", 3, [{"w": 10}, {"w": 11}])
    # libpq reads URL options itself
    proc = _refint("check", db.url + "?sslmode=disable&application_name=x", "--format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["violations"][0]["count"] == 3
    with refint.connect(db.url) as slow:
        through_sqlalchemy = slow.inspect().to_dict()
        version = slow.engine.server_version()
    with refint.connect(db.url, readonly=True) as fast:
        assert isinstance(fast._opened.conn, DirectConnection)
        assert fast.inspect().to_dict() == through_sqlalchemy
        assert fast.engine.server_version() == version
        with fast.engine.read_only():
            row = fast.engine.exec("SELECT :a || '%', 7 % 4, CAST(:b AS int) + 1", {"a": "it's", "b": 41}).fetchone()
            assert tuple(row) == ("it's%", 3, 42)
            with pytest.raises(DriverError) as info:
                fast.engine.raw('INSERT INTO "we""ird" VALUES (5)')
            assert info.value.orig.sqlstate == "25006"  # read_only_sql_transaction
    assert db.query('SELECT count(*) FROM "we""ird"') == [(0,)]


def test_mariadb_ctrl_c_kills_every_range_query(make_db: Any) -> None:
    """Ctrl-C while the range connections run: every one of their queries is killed on the server
    (including one whose connection is still being opened), and the interrupt propagates."""
    import os
    import signal
    import threading
    import time

    db = make_db("mariadb")
    with refint.connect(db.url) as rdb, rdb.engine.read_only():
        timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            rdb.engine._run_parallel([("SELECT SLEEP(%s), 1", (30,))] * 4, 5)  # type: ignore[attr-defined]
        elapsed = time.monotonic() - start
        time.sleep(0.3)
        running = rdb.engine.raw("SELECT count(*) FROM information_schema.PROCESSLIST "
                                 "WHERE INFO LIKE 'SELECT SLEEP%%'").scalar()
    assert elapsed < 10
    assert running == 0
