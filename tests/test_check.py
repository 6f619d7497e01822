"""check: engine-specific paths, relations, folders of files, explain, the pytest helper, timeouts."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.errors import BadInput, NoSuchConstraint, QueryFailed
from refint.relations import parse_relation
from refint.testing import assert_integrity
from tests.conftest import ENGINES, SPARK_ENGINES
from tests.spark_db import as_files, duckdb_twin

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = ROOT / "examples" / "school.db"


def test_school_example_is_built_from_its_sql(tmp_path: Path) -> None:
    built = tmp_path / "school.db"
    conn = sqlite3.connect(built)
    conn.executescript((ROOT / "examples" / "school.sql").read_text())
    conn.close()
    shipped = sqlite3.connect(f"file:{SCHOOL}?mode=ro", uri=True)
    fresh = sqlite3.connect(built)
    assert list(shipped.iterdump()) == list(fresh.iterdump()), "examples/school.db is stale: rebuild it"


def test_school_example_findings_match_sqlite_itself() -> None:
    with refint.connect(SCHOOL) as db:
        report = db.check()
    fk = [(v.table, v.count) for v in report.violations if v.kind == "foreign_key"]
    raw = sqlite3.connect(f"file:{SCHOOL}?mode=ro", uri=True)
    pragma = raw.execute("PRAGMA foreign_key_check").fetchall()
    assert sum(n for _, n in fk) == len(pragma)
    assert {t for t, _ in fk} == {r[0] for r in pragma}
    checks = {v.constraint for v in report.violations if v.kind == "check"}
    assert checks == {"ck_course_credits", "ck_enrollment_grade"}


def test_check_leaves_sqlite_file_byte_identical(tmp_path: Path) -> None:
    copy = tmp_path / "school.db"
    copy.write_bytes(SCHOOL.read_bytes())
    before = copy.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "refint", "check", str(copy), "--format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["school.db"]  # no journal or WAL left behind


def test_filters_and_unknown_constraint() -> None:
    with refint.connect(SCHOOL) as db:
        only = db.check(constraints=["fk_student_advisor"])
        assert [v.constraint for v in only.violations] == ["fk_student_advisor"]
        assert sum(only.checked.values()) == 1
        by_table = db.check(tables=["course"], kinds=["check"])
        assert [v.constraint for v in by_table.violations] == ["ck_course_credits"]
        with pytest.raises(NoSuchConstraint):
            db.check(constraints=["nope"])
        with pytest.raises(BadInput):
            db.check(kinds=["bogus"])


def test_match_full_partly_null_on_postgres(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("""
        CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));
        CREATE TABLE c (id INT PRIMARY KEY, a INT, b INT);
        INSERT INTO p VALUES (1, 1);
        INSERT INTO c VALUES (1, 1, 1), (2, 1, NULL), (3, NULL, NULL), (4, 2, 2), (5, NULL, 7);
        ALTER TABLE c ADD CONSTRAINT c_full FOREIGN KEY (a, b) REFERENCES p MATCH FULL NOT VALID;
    """)
    with refint.connect(db.url) as conn:
        report = conn.check(kinds=["foreign_key"])
    by_message = {v.message.split()[0]: v.count for v in report.violations}
    assert by_message == {"Key": 1, "MATCH": 2}
    # PostgreSQL itself agrees that the constraint does not hold
    with pytest.raises(Exception, match="violates foreign key constraint"):
        db.run("ALTER TABLE c VALIDATE CONSTRAINT c_full")


def test_not_valid_check_and_counts_match_validate(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("""
        CREATE TABLE "order" (id INT PRIMARY KEY, qty INT);
        INSERT INTO "order" SELECT g, g - 5 FROM generate_series(1, 20) g;
        ALTER TABLE "order" ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID;
    """)
    with refint.connect(db.url) as conn:
        report = conn.check(kinds=["check"], sample=2)
    assert [(v.constraint, v.count) for v in report.violations] == [("qty_positive", 5)]
    assert len(report.violations[0].sample) == 2
    assert db.query('SELECT count(*) FROM "order" WHERE NOT (qty > 0)') == [(5,)]


def test_relation_specs_parse() -> None:
    rel = parse_relation('"line item"(order_id, "we""ird") -> sales.orders(id, x)')
    (child, parent, name, match), = rel.foreign_keys
    assert (child.name, child.columns) == ("line item", ("order_id", 'we"ird'))
    assert (parent.schema, parent.name, parent.columns) == ("sales", "orders", ("id", "x"))
    for bad in ["orders(id) parent(x)", "(a) -> p(x)", "c(a -> p(x)", "c() -> p(x)", "c -> p(x)"]:
        with pytest.raises(BadInput):
            parse_relation(bad)


@pytest.mark.parametrize("text, unknown", [
    ('[[relation]]\nrelation = "orders(customer_id) -> customers(id)"\n', "'relation'"),
    ('[[relations]]\nrelation = "orders(customer_id) -> customers(id)"\nmacth = "FULL"\n', "'macth'"),
    ('[tables.customers]\nprimary-key = ["id"]\n', "'primary-key'"),
])
def test_a_relations_file_with_an_unknown_key_is_refused(tmp_path: Path, text: str, unknown: str) -> None:
    """A misspelt section or key would silently leave a key out of the check: one line, exit 2."""
    rel = tmp_path / "rel.toml"
    rel.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "refint", "check", str(SCHOOL), "--relations", str(rel)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and f"unknown" in proc.stderr and unknown in proc.stderr


@pytest.mark.parametrize("engine", ENGINES + SPARK_ENGINES)
def test_undeclared_relations_and_keys(make_db: Any, engine: str, tmp_path: Path) -> None:
    db = make_db(engine)
    db.run("""
        CREATE TABLE customers (id INT, code VARCHAR(10));
        CREATE TABLE orders (id INT, customer_id INT);
        INSERT INTO customers VALUES (1, 'a'), (2, 'b'), (2, 'c'), (3, 'a');
        INSERT INTO orders VALUES (1, 1), (2, 9), (3, 9), (4, NULL), (5, 2);
    """)
    rel_file = tmp_path / "relations.toml"
    rel_file.write_text('[tables.customers]\nprimary_key = ["id"]\nunique = [["code"]]\n\n'
                        '[[relations]]\nrelation = "orders(customer_id) -> customers"\nname = "fk_orders"\n')
    with db.connect() as conn:
        assert conn.check().ok  # nothing declared: nothing to find
        report = conn.check(relations=refint.relations.load_relations_file(rel_file))
    got = {(v.kind, v.constraint): v.count for v in report.violations}
    assert got == {("foreign_key", "fk_orders"): 2, ("primary_key", "customers_pkey"): 2,
                   ("unique", "customers_code_key"): 2}
    # the orphan keys themselves, NULL skipped (MATCH SIMPLE): customer 9, on two orders
    fk = next(v for v in report.violations if v.kind == "foreign_key")
    assert fk.sample == ({"customer_id": 9},)
    if engine in SPARK_ENGINES:  # row for row what the DuckDB engine finds in the same files
        with duckdb_twin(db) as duck:
            want = duck.check(relations=refint.relations.load_relations_file(rel_file))
        assert as_files(report.to_dict()) == want.to_dict()


def test_folder_of_files(tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"COPY (SELECT i AS id FROM range(1, 6) t(i)) TO '{tmp_path}/customers.csv' (HEADER)")
    (tmp_path / "orders").mkdir()
    for part in (1, 2):
        con.execute(f"COPY (SELECT i AS id, i % 8 AS customer_id FROM range({part * 10}, {part * 10 + 10}) t(i)) "
                    f"TO '{tmp_path}/orders/part{part}.parquet'")
    expected = con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path}/orders/*.parquet') o "
                           f"WHERE customer_id NOT IN (SELECT id FROM read_csv_auto('{tmp_path}/customers.csv'))"
                           ).fetchone()[0]
    con.close()
    (tmp_path / "rel.toml").write_text('[[relations]]\nrelation = "orders(customer_id) -> customers(id)"\n')
    proc = subprocess.run([sys.executable, "-m", "refint", "check", str(tmp_path), "--relations",
                           str(tmp_path / "rel.toml"), "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    (v,) = json.loads(proc.stdout)["violations"]
    assert v["table"] == "orders" and v["count"] == expected > 0


FOLDER_REFUSED = {"add-fk": ["orders(customer_id)", "customers(id)"], "drop-fk": ["orders", "fk_x"],
                  "validate": [], "index-fks": [], "drop-table": ["customers"]}


def test_a_folder_of_files_refuses_the_changing_verbs(tmp_path: Path) -> None:
    """Files declare no keys and have no indexes: each changing verb is one line, exit 2, files untouched
    (before, add-fk said 'no such table' and validate and index-fks said all was well)."""
    from refint.errors import NotSupported

    folder = tmp_path / "lake"
    folder.mkdir()
    (folder / "customers.csv").write_text("id\n1\n2\n")
    (folder / "orders.csv").write_text("id,customer_id\n1,1\n2,9\n")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for verb, args in FOLDER_REFUSED.items():
        proc = subprocess.run([sys.executable, "-m", "refint", verb, str(folder), *args], capture_output=True,
                              text=True, cwd=tmp_path)
        assert proc.returncode == 2 and proc.stdout == "", (verb, proc.stderr)
        assert proc.stderr.startswith(f"refint: error: {verb} does not run on a folder of files: "), proc.stderr
        assert proc.stderr.count("\n") == 1
    with refint.connect(folder) as db:
        for call in (lambda: db.add_foreign_key("orders(customer_id)", "customers(id)"), db.validate,
                     db.index_foreign_keys, lambda: db.drop_foreign_key("orders", "fk_x"),
                     lambda: db.drop_table("customers")):
            with pytest.raises(NotSupported, match="a folder of files"):
                call()
        assert db.check(relations=parse_relation("orders(customer_id) -> customers(id)")).violations[0].count == 1
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"]


def test_assert_integrity_helper(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p_id INT REFERENCES p); "
           "INSERT INTO c VALUES (5);")
    with pytest.raises(AssertionError, match=r"foreign_key c .*Key \(p_id\)=\(5\)"):
        assert_integrity(db.url)
    db.run("INSERT INTO p VALUES (5)")
    assert assert_integrity(db.url).ok


def test_timeout_is_enforced_by_the_server(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("CREATE TABLE t (x INT, CONSTRAINT slow CHECK (x > 0)) ; INSERT INTO t VALUES (1)")
    db.run("CREATE FUNCTION slow_true(int) RETURNS bool LANGUAGE sql AS 'SELECT pg_sleep(3) IS NOT NULL'")
    db.run("ALTER TABLE t ADD CONSTRAINT slower CHECK (slow_true(x)) NOT VALID")
    with refint.connect(db.url) as conn:
        with pytest.raises(Exception, match="statement timeout|canceling statement"):
            conn.check(kinds=["check"], timeout=0.5)


# -- explain -----------------------------------------------------------------------------------------

def test_explain_sqlite_bare_error_with_statement(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); "
           "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INT CONSTRAINT fk_c_p REFERENCES p); INSERT INTO p VALUES (1)")
    raw = sqlite3.connect(db.path)
    raw.execute("PRAGMA foreign_keys = ON")
    stmt = "INSERT INTO c VALUES (1, 1), (2, 77)"
    with pytest.raises(sqlite3.IntegrityError) as info:
        raw.execute(stmt)
    result = refint.explain_error(raw, info.value, statement=stmt)
    assert (result.constraint, result.table, result.keys) == ("fk_c_p", "c", ({"p_id": 77},))
    assert raw.execute("SELECT count(*) FROM c").fetchone() == (0,)  # replay rolled back
    raw.close()


def test_explain_sqlite_deferred_failure_in_open_transaction(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, "
           "p_id INT CONSTRAINT fk_def REFERENCES p DEFERRABLE INITIALLY DEFERRED)")
    raw = sqlite3.connect(db.path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("BEGIN")
    raw.execute("INSERT INTO c VALUES (1, 5)")
    with pytest.raises(sqlite3.IntegrityError) as info:
        raw.execute("COMMIT")
    assert raw.in_transaction
    result = refint.explain_error(raw, info.value)
    assert (result.constraint, result.keys) == ("fk_def", ({"p_id": 5},))
    raw.execute("ROLLBACK")
    raw.close()


def test_explain_postgres(make_db: Any) -> None:
    import psycopg

    db = make_db("postgresql")
    db.run("CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (id INT PRIMARY KEY, p_id INT "
           "CONSTRAINT fk_c_p REFERENCES p); INSERT INTO p VALUES (1), (2); INSERT INTO c VALUES (1, 1), (2, 1)")
    raw = psycopg.connect(f"host=127.0.0.1 user=postgres dbname={db.name}", autocommit=True)
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
        raw.execute("INSERT INTO c VALUES (3, 42)")
    result = refint.explain_error(raw, info.value)
    assert (result.kind, result.constraint, result.table, result.keys) == (
        "missing_parent", "fk_c_p", "c", ({"p_id": "42"},))
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
        raw.execute("DELETE FROM p WHERE id = 1")
    result = refint.explain_error(raw, info.value)
    assert (result.kind, result.constraint, result.referencing_rows) == ("still_referenced", "fk_c_p", 2)
    raw.close()


def test_explain_mariadb_with_statement(make_db: Any) -> None:
    import pymysql

    db = make_db("mariadb")
    db.run("CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (id INT PRIMARY KEY, p_id INT, "
           "CONSTRAINT fk_c_p FOREIGN KEY (p_id) REFERENCES p (id)); INSERT INTO p VALUES (1); "
           "INSERT INTO c VALUES (1, 1)")
    raw = pymysql.connect(host="127.0.0.1", user="root", password="", database=db.name, autocommit=True)
    stmt = "DELETE FROM p WHERE id = 1"
    with pytest.raises(pymysql.err.IntegrityError) as info:
        raw.cursor().execute(stmt)
    result = refint.explain_error(raw, info.value, statement=stmt)
    assert (result.kind, result.constraint, result.keys) == ("still_referenced", "fk_c_p", ({"p_id": 1},))
    cur = raw.cursor()
    cur.execute("SELECT count(*) FROM p")
    assert cur.fetchone() == (1,)
    raw.close()


def test_explain_cli_rejects_other_errors() -> None:
    proc = subprocess.run([sys.executable, "-m", "refint", "explain", str(SCHOOL), "--error", "disk full"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "not a foreign-key error" in proc.stderr


def test_timeout_on_mariadb_and_reset_afterwards(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("CREATE TABLE t (x INT, CONSTRAINT slow CHECK (SHA2(SHA2(x, 512), 512) <> ''));"
           "INSERT INTO t SELECT seq FROM seq_1_to_500000")
    with refint.connect(db.url) as conn:
        with pytest.raises(Exception, match="max_statement_time|interrupted|exceeded"):
            conn.check(kinds=["check"], timeout=0.01)
        assert float(conn.engine.raw("SELECT @@SESSION.max_statement_time").scalar()) == 0.0


SLOW = {
    # a CHECK expensive enough to keep the engine busy for many seconds
    "sqlite": ("CREATE TABLE t (x INT CONSTRAINT slow CHECK (length(printf('%.200c', x)) > 0));"
               "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
               "INSERT INTO t SELECT i FROM n;"),
    "postgresql": ("CREATE FUNCTION slow_true(int) RETURNS bool LANGUAGE sql AS 'SELECT pg_sleep(30) IS NOT NULL';"
                   "CREATE TABLE t (x INT); INSERT INTO t VALUES (1);"
                   "ALTER TABLE t ADD CONSTRAINT slow CHECK (slow_true(x)) NOT VALID;"),
    "mariadb": ("CREATE TABLE t (x INT, CONSTRAINT slow CHECK (SHA2(SHA2(SHA2(x, 512), 512), 512) <> ''));"
                "INSERT INTO t SELECT seq FROM seq_1_to_3000000;"),
}


@pytest.mark.parametrize("engine", sorted(SLOW))
def test_ctrl_c_cancels_the_running_query(make_db: Any, engine: str) -> None:
    import signal

    db = make_db(engine)
    db.run(SLOW[engine])
    proc = subprocess.Popen([sys.executable, "-m", "refint", "check", db.url, "--kind", "check"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    if engine == "postgresql":
        time.sleep(0.5)
        running = db.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%slow_true%' "
                           "AND pid <> pg_backend_pid()")
        assert running == [(0,)]
    elif engine == "mariadb":
        time.sleep(0.5)
        running = db.query("SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SHA2%' "
                           "AND ID <> CONNECTION_ID()")
        assert running == [(0,)]


HASH_SCHEMAS = {
    "composite": """
        CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
        CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, CONSTRAINT fk_c FOREIGN KEY (a, b) REFERENCES p);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
        INSERT INTO p SELECT i, i % 7 FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
        INSERT INTO c SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 311 END, i % 7 FROM n;
    """,
    "single": """
        CREATE TABLE p (id INTEGER PRIMARY KEY);
        CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER CONSTRAINT fk_c REFERENCES p);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
        INSERT INTO p SELECT i * 2 FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
        INSERT INTO c SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 650 END FROM n;
    """,
}


@pytest.mark.parametrize("shape", sorted(HASH_SCHEMAS))
def test_sqlite_hash_path_agrees_with_the_engine(make_db: Any, monkeypatch: pytest.MonkeyPatch,
                                                 shape: str) -> None:
    """Without a child index, big SQLite keys are checked by hashing the parent keys in Python: the
    result must be exactly what SQLite's own PRAGMA foreign_key_check and the SQL anti-join find."""
    from refint.engines.sqlite import SQLite

    db = make_db("sqlite")
    db.run(HASH_SCHEMAS[shape])
    pragma = len(db.query("PRAGMA foreign_key_check(c)"))
    with refint.connect(db.url) as conn:
        sql_result = conn.check(kinds=["foreign_key"], sample=4).violations
        monkeypatch.setattr(SQLite, "HASH_MIN_ROWS", 10)
        used: list[bool] = []
        original = SQLite.find_orphans

        def spy(self: Any, *args: Any) -> Any:
            result = original(self, *args)
            used.append(result is not None)
            return result

        monkeypatch.setattr(SQLite, "find_orphans", spy)
        hash_result = conn.check(kinds=["foreign_key"], sample=4).violations
    assert used == [True]
    assert [v.to_dict() for v in hash_result] == [v.to_dict() for v in sql_result]
    assert sum(v.count for v in hash_result) == pragma > 0


def test_postgres_partitions_are_checked_once(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("""
        CREATE TABLE parent (id INT PRIMARY KEY);
        CREATE TABLE log (id INT NOT NULL, at DATE NOT NULL, parent_id INT, qty INT,
                          CONSTRAINT qty_ok CHECK (qty >= 0)) PARTITION BY RANGE (at);
        CREATE TABLE log_2026 PARTITION OF log FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE TABLE log_2027 PARTITION OF log FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
        INSERT INTO parent VALUES (1);
        INSERT INTO log VALUES (1, '2026-05-01', 1, 1), (2, '2027-05-01', 7, 2), (3, '2026-06-01', 8, 3);
        ALTER TABLE log_2026 ADD CONSTRAINT log_2026_parent FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;
        ALTER TABLE log_2027 ADD CONSTRAINT log_2027_parent FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;
    """)
    with refint.connect(db.url) as conn:
        report = conn.check()
    assert sorted((v.table, v.count) for v in report.violations) == [("log_2026", 1), ("log_2027", 1)]
    # the inherited CHECK and NOT NULLs are counted on the partitioned table only
    assert report.checked["check"] == 1
    assert report.checked["not_null"] == 2 + 1  # log (id, at) and parent (id)


@pytest.mark.parametrize("indexed", [False, True])
def test_postgres_formulations_agree_with_a_direct_count(make_db: Any, indexed: bool) -> None:
    """PostgreSQL groups the child's keys first when an index leads with them, else anti-joins."""
    db = make_db("postgresql")
    db.run("""
        CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));
        CREATE TABLE c (id INT PRIMARY KEY, a INT, b INT);
        INSERT INTO p SELECT g, g % 5 FROM generate_series(1, 500) g;
        INSERT INTO c SELECT g, CASE WHEN g % 17 = 0 THEN NULL ELSE g % 530 END, g % 5 FROM generate_series(1, 5000) g;
        ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (a, b) REFERENCES p NOT VALID;
    """ + ("CREATE INDEX c_ab ON c (a, b);" if indexed else ""))
    want = db.query("SELECT count(*), count(DISTINCT (a, b)) FROM c WHERE a IS NOT NULL AND b IS NOT NULL "
                    "AND NOT EXISTS (SELECT 1 FROM p WHERE p.a = c.a AND p.b = c.b)")[0]
    smallest = db.query("SELECT DISTINCT a, b FROM c WHERE a IS NOT NULL AND b IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM p WHERE p.a = c.a AND p.b = c.b) ORDER BY a, b LIMIT 3")
    with refint.connect(db.url) as conn:
        (v,) = conn.check(kinds=["foreign_key"], sample=3).violations
    assert v.count == want[0] > 0
    assert [(s["a"], s["b"]) for s in v.sample] == smallest
