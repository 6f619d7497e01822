"""Faults an adversarial user finds (issue 12): exit codes under --debug, passwords that break URL
parsers, dropped connections, foreign error texts. Each test runs the real CLI against the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_cli import assert_one_line_error, refint

#: every character that ends a URL's userinfo early for some parser: @ : / % #
PASSWORD = "Zq@Xv:Wk/Pm%Jr#Ty"
FRAGMENTS = ("Xv", "Wk", "Pm", "Jr", "Ty", "Zq")


def test_debug_keeps_exit_code_2(tmp_path: Any) -> None:
    proc = refint("check", str(tmp_path / "nonexistent.db"), "--debug")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("refint: error: no such database file")


def _no_secret(proc: Any) -> None:
    out = proc.stdout + proc.stderr
    for fragment in FRAGMENTS:
        assert fragment not in out, out


def test_raw_password_postgres_connects_and_never_shows(make_db: Any) -> None:
    db = make_db("postgresql")  # trust authentication: the password is parsed, not checked
    db.run("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int)")
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/{db.name}"
    for args in (("inspect", url), ("check", url), ("lint", url), ("order", url),
                 ("plan", "delete", url, "p", "--where", "id = 1"),
                 ("add-fk", url, "c(p_id)", "p", "--dry-run"), ("index-fks", url, "--dry-run")):
        proc = refint(*args)
        assert proc.returncode in (0, 1), proc.stderr
        _no_secret(proc)
    assert "postgres:***@127.0.0.1:5432" in refint("inspect", url).stdout
    proc = refint("inspect", f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/{db.name}")
    assert_one_line_error(proc, "cannot connect")
    _no_secret(proc)


def test_raw_password_mariadb_connects_and_never_shows(make_db: Any) -> None:
    db = make_db("mariadb")
    user = db.name[-12:]
    db.run(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'; "
           f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{PASSWORD}'; "
           f"GRANT ALL ON `{db.name}`.* TO '{user}'@'%'; GRANT ALL ON `{db.name}`.* TO '{user}'@'localhost'")
    try:
        db.run("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int)")
        url = f"mariadb://{user}:{PASSWORD}@127.0.0.1:3306/{db.name}"
        for args in (("inspect", url), ("check", url), ("plan", "delete", url, "p", "--where", "id = 1"),
                     ("add-fk", url, "c(p_id)", "p", "--dry-run")):
            proc = refint(*args)
            assert proc.returncode in (0, 1), proc.stderr
            _no_secret(proc)
        wrong = f"mariadb://{user}:{PASSWORD}x@127.0.0.1:3306/{db.name}"
        for command in ("inspect", "add-fk"):
            extra = ("c(p_id)", "p") if command == "add-fk" else ()
            proc = refint(command, wrong, *extra)
            assert_one_line_error(proc, "Access denied")
            _no_secret(proc)
    finally:
        db.run(f"DROP USER '{user}'@'%'; DROP USER '{user}'@'localhost'")


# -- item 1: the server drops refint's connection in the middle of a statement ------------------------

KILL_SETUP = """
CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER);
INSERT INTO p VALUES (1), (2);
INSERT INTO c VALUES (1, 1), (2, 2), (3, 9);
"""

#: (engine, command line after TARGET, lock the blocker holds on c, what refint's waiting statement says)
KILL_CASES = [
    ("postgresql", ["validate"], "EXCLUSIVE", "VALIDATE"),
    ("postgresql", ["index-fks"], "EXCLUSIVE", "CREATE INDEX"),
    ("postgresql", ["drop-table", "p", "--cascade-constraints"], "EXCLUSIVE", "ALTER TABLE"),
    ("postgresql", ["add-fk", "c(p_id)", "p", "--repair", "delete", "--yes"], "EXCLUSIVE", "ALTER TABLE"),
    ("postgresql", ["add-fk", "c(p_id)", "p", "--repair", "delete", "--yes"], "ACCESS EXCLUSIVE", "SELECT"),
    ("mariadb", ["drop-table", "p", "--cascade-constraints"], "", "ALTER TABLE"),
    ("mariadb", ["add-fk", "c(p_id)", "p", "--repair", "delete", "--yes"], "", "INSERT INTO"),
]


def _killer_loop(db: Any, proc: Any, marker: str) -> bool:
    import time

    admin = db.dbapi()
    cur = admin.cursor()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db.engine == "postgresql":
                # this test's database only: other tests' refint sessions may wait on locks of their own
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                            "'refint' AND datname = current_database() AND wait_event_type = 'Lock' "
                            "AND query LIKE %s", (f"%{marker}%",))
            else:
                cur.execute("SELECT id FROM information_schema.processlist WHERE db = %s AND info LIKE %s "
                            "AND id <> CONNECTION_ID()", (db.name, f"{marker}%"))
                for (pid,) in cur.fetchall():
                    cur.execute(f"KILL {int(pid)}")
                    return True
            if db.engine == "postgresql" and cur.fetchall():
                return True
            time.sleep(0.05)
        return False
    finally:
        admin.close()
        db._conns.remove(admin)


@pytest.mark.parametrize(("engine", "args", "lock", "marker"), KILL_CASES,
                         ids=[f"{c[0]}-{c[1][0]}-{c[3]}" for c in KILL_CASES])
def test_a_dropped_connection_is_one_line(make_db: Any, engine: str, args: list[str], lock: str,
                                          marker: str) -> None:
    import subprocess
    import sys

    db = make_db(engine)
    db.run(KILL_SETUP)
    if args[0] in ("validate", "index-fks", "drop-table"):
        db.run("DELETE FROM c WHERE id = 3")
        not_valid = " NOT VALID" if args[0] == "validate" else ""
        db.run(f"ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id){not_valid}")
    holder = db.dbapi()
    if engine == "postgresql":
        holder.autocommit = False
        holder.execute(f"LOCK TABLE c IN {lock} MODE")
    else:  # a shared metadata lock and the row locks of an open transaction on every table
        holder.autocommit(False)
        cur = holder.cursor()
        for table in ("c", "p"):
            cur.execute(f"SELECT * FROM {table} FOR UPDATE")
    try:
        locks = [] if args[0] == "index-fks" else ["--lock-timeout", "30", "--retries", "0"]
        proc = subprocess.Popen([sys.executable, "-m", "refint", args[0], db.url, *args[1:], *locks],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = _killer_loop(db, proc, marker)
        out, err = proc.communicate(timeout=60)
        assert killed, f"refint never waited on the lock: {out} {err}"
    finally:
        holder.rollback()
    assert proc.returncode == 2, err
    # MariaDB's add-fk warns first that its steps commit one by one; then the error, one line
    errors = [line for line in err.splitlines() if line.startswith("refint: error: ")]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    assert "Traceback" not in err and "Exception during reset" not in err, err


# -- item 10: PostgreSQL escape strings in a predicate -----------------------------------------------

def test_postgres_escape_strings_in_where_and_set(make_db: Any) -> None:
    import json

    db = make_db("postgresql")
    db.run("CREATE TABLE p (id int PRIMARY KEY, name text); "
           "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE); "
           "INSERT INTO p VALUES (1, 'it''s'), (2, 'its'); INSERT INTO c VALUES (10, 1), (11, 1), (12, 2)")
    proc = refint("plan", "delete", db.url, "p", "--where", "name = E'it\\'s' OR name = e'x\\\\y'",
                  "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["deleted"] == {"p": 1, "c": 2}
    proc = refint("plan", "update", db.url, "p", "--set", "id = id + 100", "--where", "name <> E'it\\'s'",
                  "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["updated"] == {"p": 1, "c": 1}
    # an escape string does not hide a quote from the check: the second ' is still open
    assert_one_line_error(refint("plan", "delete", db.url, "p", "--where", "name = E'it\\'"), "unterminated")


# -- item 8: an error text from another engine --------------------------------------------------------

@pytest.mark.parametrize(("engine", "message", "family"), [
    ("mariadb", "FOREIGN KEY constraint failed", "SQLite"),
    ("mariadb", 'insert or update on table "c" violates foreign key constraint "c_p"', "PostgreSQL"),
    ("postgresql", "(1452) Cannot add or update a child row: a foreign key constraint fails (`x`.`c`, "
                   "CONSTRAINT `c_p` FOREIGN KEY (`p_id`) REFERENCES `p` (`id`))", "MySQL/MariaDB"),
    ("sqlite", 'update or delete on table "p" violates foreign key constraint "c_p" on table "c"', "PostgreSQL"),
])
def test_explain_recognises_another_engines_message(make_db: Any, engine: str, message: str, family: str) -> None:
    db = make_db(engine)
    db.run(KILL_SETUP)
    for statement in ((), ("--statement", "INSERT INTO c VALUES (4, 99)")):
        proc = refint("explain", db.url, "--error", message, *statement)
        assert_one_line_error(proc, f"a {family} error message", "the database that raised it")
    assert db.query("SELECT count(*) FROM c") == [(3,)]


# -- item 12: Oracle's integrity errors, explained against the model ---------------------------------

ORACLE_SETUP = """
CREATE SCHEMA hr;
CREATE TABLE hr.departments (department_id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE hr.employees (employee_id int PRIMARY KEY, last_name varchar(25) NOT NULL, department_id int,
  CONSTRAINT emp_dept_fk FOREIGN KEY (department_id) REFERENCES hr.departments (department_id));
CREATE TABLE hr.job_history (employee_id int, department_id int,
  CONSTRAINT jhist_dept_fk FOREIGN KEY (department_id) REFERENCES hr.departments (department_id));
"""
HELP = "\nHelp: https://docs.oracle.com/error-help/db/ora-{}/"


class _OracleError:
    """python-oracledb's _Error: what its exceptions carry in args[0]."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.full_code = message[:9]


class IntegrityError(Exception):  # stands for oracledb.IntegrityError (oracledb itself is not needed)
    __module__ = "oracledb.exceptions"


def test_oracle_errors_explained_against_the_model(make_db: Any) -> None:
    import json

    import refint as lib

    db = make_db("postgresql")
    db.run(ORACLE_SETUP)
    cases = {
        "ORA-02291: integrity constraint (HR.EMP_DEPT_FK) violated - parent key not found": "missing_parent",
        "ORA-02292: integrity constraint (HR.EMP_DEPT_FK) violated - child record found": "still_referenced",
    }
    for message, kind in cases.items():
        proc = refint("explain", db.url, "--error", message + HELP.format(message[4:9]), "--format", "json")
        assert proc.returncode == 0, proc.stderr
        got = json.loads(proc.stdout)
        assert (got["engine"], got["kind"], got["constraint"], got["schema"], got["table"], got["columns"],
                got["referred_table"], got["referred_columns"]) == (
            "oracle", kind, "emp_dept_fk", "hr", "employees", ["department_id"], "departments", ["department_id"])
        result = lib.explain_error(db.url, IntegrityError(_OracleError(message)))
        assert (result.kind, result.constraint) == (kind, "emp_dept_fk")
    proc = refint("explain", db.url, "--error", 'ORA-01400: cannot insert NULL into ("HR"."EMPLOYEES"."LAST_NAME")',
                  "--format", "json")
    got = json.loads(proc.stdout)
    assert (got["kind"], got["table"], got["columns"]) == ("not_null", "employees", ["last_name"])
    assert "hr.employees.last_name is NOT NULL" in got["notes"][0]
    proc = refint("explain", db.url, "--error", "ORA-02449: unique/primary keys in table referenced by foreign keys",
                  "--statement", "DROP TABLE HR.DEPARTMENTS", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["kind"] == "referenced_by_keys" and got["table"] == "departments"
    assert sorted((k["constraint"], k["table"]) for k in got["referencing_keys"]) == [
        ("emp_dept_fk", "hr.employees"), ("jhist_dept_fk", "hr.job_history")]
    assert got["suggestion"] == "refint drop-table TARGET departments --cascade-constraints"
    # the suggested command does what Oracle's DROP TABLE ... CASCADE CONSTRAINTS would
    proc = refint("drop-table", db.url, "hr.departments", "--cascade-constraints")
    assert proc.returncode == 0, proc.stderr
    assert db.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == [(0,)]
    proc = refint("explain", db.url, "--error", "ORA-02291: integrity constraint (HR.NO_SUCH_FK) violated - "
                  "parent key not found", "--format", "json")
    assert json.loads(proc.stdout)["table"] is None and "no foreign key HR.NO_SUCH_FK" in proc.stdout
