"""An ``add-fk --repair`` that dies half-way is completed or undone by the next run (issue 12 item 2).

On MySQL/MariaDB the repair (DML) and the ALTER TABLE (DDL, which commits implicitly) cannot share a
transaction. refint keeps the rows it changes in a backup table written in the repair's transaction, so a
run that dies at any point leaves a state the next run recognises. Here refint *dies* at each point: its
connection is killed from a second connection (``KILL``) and nothing more runs in it (the in-process undo,
which ``tests/test_manage_faults.py`` checks, never gets a chance). Then the next run either completes the
change (``add-fk`` with the same key) or undoes it (``--undo``), and the schema as refint reads it plus
every row must equal the state after an uninterrupted run, or the state before, exactly.

The kill during the ALTER's table copy runs the real CLI on a 200k-row child, kills the process and its
connection once the server reports the copy under way, and checks the copy was really interrupted.

SQLite and PostgreSQL run the repair and the key in one transaction; a kill at every step leaves them
untouched (``tests/test_manage_faults.py``, kind "kill" on PostgreSQL). For SQLite a killed *process*
(a hot journal) is checked here too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

import refint
from refint.manage.changeplan import Runner, Step
from tests.test_cli import refint as cli
from tests.test_manage_faults import fresh, killer, snapshot


class Crash(BaseException):
    """refint's process dying: a BaseException, so no ``except Exception`` in refint runs an undo."""


def _add(conn: Any, repair: str, **kw: Any) -> Any:
    return conn.add_foreign_key("child(pid)", "parent", repair=repair, yes=True, retries=0, **kw)


def _crash_at(db: Any, repair: str, point: str) -> None:
    """Run add-fk and die (connection killed, process gone) just before the step starting with ``point``."""
    def fault(k: int, step: Step, runner: Runner) -> None:
        if step.description.startswith(point):
            killer(db)(runner)
            raise Crash(point)

    conn = refint.connect(db.url)
    try:
        with pytest.raises(Crash):
            _add(conn, repair, fault=fault)
    finally:
        try:
            conn.close()
        except Exception:
            pass


_STATES: dict[str, tuple[str, str]] = {}


def _states(make_db: Any, repair: str) -> tuple[str, str]:
    """The state before, and after an uninterrupted run (database names masked: the same for every case)."""
    if repair not in _STATES:
        twin = fresh(make_db, "mariadb")
        old = snapshot(twin)
        with refint.connect(twin.url) as conn:
            assert _add(conn, repair).applied
        _STATES[repair] = (old, snapshot(twin))
    return _STATES[repair]


#: (where refint dies, rows the backup then holds): after creating the backup (before the repair
#: committed), after the repair committed (before the ALTER), after the ALTER (before dropping the backup)
POINTS = [("copy those rows", 0), ("add child_pid_fkey", 1), ("drop refint_repair", 1)]
# set-null differs from delete in how the rows are put back (an UPDATE joined on the primary key): undo
CASES = [("delete", p, n, how) for p, n in POINTS for how in ("complete", "undo")] + [
    ("set-null", "add child_pid_fkey", 1, "undo")]


@pytest.mark.parametrize(("repair", "point", "kept", "how"), CASES,
                         ids=[f"{c[0]}-{c[1].split()[0]}-{c[1].split()[1][:5]}-{c[3]}" for c in CASES])
def test_a_run_killed_at_any_step_is_completed_or_undone(make_db: Any, repair: str, point: str, kept: int,
                                                         how: str) -> None:
    old, new = _states(make_db, repair)
    db = fresh(make_db, "mariadb")
    _crash_at(db, repair, point)
    left = snapshot(db)
    assert left not in (old, new)  # the backup table is there: neither state until the next run
    with refint.connect(db.url) as conn:
        pending = conn.validate().to_dict()["interrupted_repairs"]
    assert [(p["table"], p["constraint"], p["repair"], p["rows"]) for p in pending] == [
        ("refint_repair_child_pid_fkey", "child_pid_fkey", repair, kept)]
    assert pending[0]["complete"].startswith("refint add-fk TARGET 'child(pid)' 'parent(id)' --name child_pid_fkey")
    if point.startswith("add"):  # the repair committed, the key is missing: the orphans are in the backup
        assert db.query("SELECT id, pid, note FROM refint_repair_child_pid_fkey") == [(13, 7, "orphan")]
    with refint.connect(db.url) as conn:
        if how == "complete":
            result = _add(conn, repair)
        else:
            result = conn.add_foreign_key("child(pid)", "parent", undo=True)
    assert result.applied, result
    assert snapshot(db) == (new if how == "complete" else old)


def test_postgres_killed_before_validate_the_next_run_validates(make_db: Any, repair: str = "delete") -> None:
    """PostgreSQL commits ADD ... NOT VALID before the repair and VALIDATE (one transaction): refint dying
    in between leaves the rows untouched and the key NOT VALID, which the next add-fk validates."""
    twin = fresh(make_db, "postgresql")
    old = snapshot(twin)
    with refint.connect(twin.url) as conn:
        assert _add(conn, repair).applied
    new = snapshot(twin)
    db = fresh(make_db, "postgresql")
    _crash_at(db, repair, "--repair")
    assert db.query("SELECT id, pid FROM child WHERE id = 13") == [(13, 7)]  # the repair was rolled back
    assert db.query("SELECT convalidated FROM pg_constraint WHERE conname = 'child_pid_fkey'") == [(False,)]
    assert snapshot(db) not in (old, new)
    with refint.connect(db.url) as conn:
        assert not conn.add_foreign_key("child(pid)", "parent").ok  # without --repair: the orphan is listed
        assert _add(conn, repair).applied
    assert snapshot(db) == new


def test_undo_and_complete_refuse_what_is_not_theirs(make_db: Any) -> None:
    from tests.test_cli import assert_one_line_error

    db = fresh(make_db, "mariadb")
    assert_one_line_error(cli("add-fk", db.url, "child(pid)", "parent", "--undo"),
                          "no interrupted repair of child_pid_fkey")
    _crash_at(db, "delete", "add child_pid_fkey")
    db.run("INSERT INTO child VALUES (14, 8, 'new orphan')")
    kept = snapshot(db)
    # the same name for another key: refused, naming the commands that complete or undo the interrupted one
    assert_one_line_error(cli("add-fk", db.url, "child(pid)", "parent", "--on-delete", "cascade"),
                          "refint_repair_child_pid_fkey belongs to another definition", "--undo")
    # a new orphan, repaired another way than the kept rows were: refused (the backup could not restore both)
    assert_one_line_error(cli("add-fk", db.url, "child(pid)", "parent", "--repair", "set-null", "--yes"),
                          "the interrupted run kept rows for --repair delete")
    # without --repair: the new orphan is listed, nothing changes
    assert cli("add-fk", db.url, "child(pid)", "parent").returncode == 1
    assert snapshot(db) == kept
    proc = cli("validate", db.url)
    assert "an interrupted add-fk --repair delete of child_pid_fkey" in " ".join(proc.stdout.split()), proc.stdout


# -- killed during the ALTER's table copy ------------------------------------------------------------

ROWS = 200_000
ORPHANS = ROWS // 50_000  # child rows whose pid (5001, 5002, ...) has no parent
BIG = f"""
CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(20));
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, note VARCHAR(20));
INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_1000;
INSERT INTO child SELECT seq, CASE WHEN seq % 50000 = 0 THEN 5000 + seq / 50000 ELSE 1 + seq % 1000 END,
  CONCAT('n', seq) FROM seq_1_to_{ROWS};
"""
#: the child's rows, summed independently of refint: (count, checksum) of all of them, and of the ones
#: that have a parent (what --repair delete keeps)
DIGEST = ("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', c.id, COALESCE(c.pid, 'null'), c.note))) FROM child c")
KEPT = DIGEST + " WHERE c.pid IS NULL OR EXISTS (SELECT 1 FROM parent p WHERE p.id = c.pid)"


def _big(make_db: Any) -> Any:
    db = make_db("mariadb")
    db.run(BIG)
    return db


def _keys(db: Any) -> list[tuple[Any, ...]]:
    return db.query("SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
                    f"WHERE CONSTRAINT_SCHEMA = '{db.name}'")


def _kill_mid_copy(db: Any, proc: Any, also_process: bool, ctrl_c: bool = False) -> float:
    """Wait until the server copies the child for the ALTER, then kill refint (process and/or connection,
    or press Ctrl-C: SIGINT, and refint stops the query itself); returns the copy's progress (percent)."""
    admin = db.dbapi()
    cur = admin.cursor()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            cur.execute("SELECT ID, PROGRESS FROM information_schema.PROCESSLIST WHERE DB = %s AND "
                        "INFO LIKE 'ALTER TABLE%%' AND STATE = 'copy to tmp table' AND PROGRESS > 0", (db.name,))
            row = cur.fetchone()
            if row is not None:
                if ctrl_c:
                    os.kill(proc.pid, signal.SIGINT)
                    return float(row[1])
                if also_process:
                    os.kill(proc.pid, signal.SIGKILL)
                cur.execute(f"KILL {int(row[0])}")
                return float(row[1])
            time.sleep(0.02)
        pytest.fail(f"the ALTER's copy was never seen: {proc.communicate()}")
    finally:
        admin.close()
        db._conns.remove(admin)


def _run_cli(db: Any) -> Any:
    return subprocess.Popen([sys.executable, "-m", "refint", "add-fk", db.url, "child(pid)", "parent", "--repair",
                             "delete", "--yes", "--retries", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_killed_during_the_copy_the_next_run_undoes(make_db: Any) -> None:
    db = _big(make_db)
    before, after = db.query(DIGEST), db.query(KEPT)
    assert before[0][0] == ROWS and after[0][0] == ROWS - ORPHANS
    proc = _run_cli(db)
    progress = _kill_mid_copy(db, proc, also_process=True)
    proc.communicate(timeout=60)
    assert 0 < progress < 100
    # the copy was interrupted: no key, the orphans deleted and kept in the backup
    assert _keys(db) == [] and db.query(DIGEST) == after
    assert db.query("SELECT COUNT(*) FROM refint_repair_child_pid_fkey") == [(ORPHANS,)]
    proc2 = cli("validate", db.url, "--format", "json")
    assert [r["rows"] for r in json.loads(proc2.stdout)["interrupted_repairs"]] == [ORPHANS], proc2.stderr
    done = cli("add-fk", db.url, "child(pid)", "parent", "--undo", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert db.query(DIGEST) == before and _keys(db) == []
    assert db.query(f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.name}'") == [(2,)]


def test_ctrl_c_during_the_copy_stops_it_and_the_next_run_completes(make_db: Any) -> None:
    """Ctrl-C: refint KILLs its own query (the server would otherwise finish the copy after refint exited)
    and exits 130 without undoing; the next add-fk completes the change."""
    db = _big(make_db)
    after = db.query(KEPT)
    proc = _run_cli(db)
    progress = _kill_mid_copy(db, proc, also_process=False, ctrl_c=True)
    _out, err = proc.communicate(timeout=60)
    assert 0 < progress < 100 and proc.returncode == 130, err
    admin = db.dbapi()  # let the server end whatever still runs there, then look
    cur = admin.cursor()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s AND INFO LIKE 'ALTER%%'",
                    (db.name,))
        if cur.fetchone()[0] == 0:
            break
        time.sleep(0.05)
    assert _keys(db) == [] and db.query(DIGEST) == after  # the copy was stopped, the rows kept
    assert db.query("SELECT COUNT(*) FROM refint_repair_child_pid_fkey") == [(ORPHANS,)]
    done = cli("add-fk", db.url, "child(pid)", "parent", "--repair", "delete", "--yes")
    assert done.returncode == 0, done.stderr
    assert db.query(DIGEST) == after and _keys(db) == [("child_pid_fkey",)]
    assert db.query(f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.name}'") == [(2,)]


def test_killed_during_the_copy_refint_itself_restores(make_db: Any) -> None:
    """Only the connection killed: refint is still alive, and restores the rows from the backup itself."""
    db = _big(make_db)
    before = db.query(DIGEST)
    proc = _run_cli(db)
    progress = _kill_mid_copy(db, proc, also_process=False)
    out, err = proc.communicate(timeout=120)
    assert 0 < progress < 100
    assert proc.returncode == 2, err
    assert err.strip().splitlines()[-1].startswith("refint: error: failed at 'add child_pid_fkey"), err
    assert "the database is back in its old state" in err, err
    assert db.query(DIGEST) == before and _keys(db) == []
    assert db.query(f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.name}'") == [(2,)]


# -- SQLite: the process killed in the middle of the rebuild -----------------------------------------

def test_sqlite_process_killed_mid_rebuild_leaves_the_old_state(make_db: Any) -> None:
    import sqlite3

    db = make_db("sqlite")
    conn = sqlite3.connect(db.path)
    conn.executescript("CREATE TABLE parent (id INTEGER PRIMARY KEY); "
                       "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, note TEXT);")
    conn.executemany("INSERT INTO parent VALUES (?)", [(i,) for i in range(1, 1001)])
    conn.executemany("INSERT INTO child VALUES (?, ?, ?)",
                     [(i, 5000 if i % 50000 == 0 else 1 + i % 1000, f"n{i}") for i in range(1, ROWS + 1)])
    conn.commit()
    conn.close()
    old = snapshot(db)
    original = db.path.read_bytes()
    journal = f"{db.path}-journal"
    proc = subprocess.Popen([sys.executable, "-m", "refint", "add-fk", db.url, "child(pid)", "parent", "--repair",
                             "delete", "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # wait until the transaction has written pages of its own into the file (the page cache spilled)
    while proc.poll() is None and time.monotonic() < deadline and (
            not os.path.exists(journal) or db.path.read_bytes() == original):
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()  # still inside the transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert os.path.exists(journal) and db.path.read_bytes() != original  # a hot journal, a half-written file
    assert db.query("SELECT COUNT(*) FROM child") == [(ROWS,)]  # the first reader rolls it back
    assert db.path.read_bytes() == original
    assert snapshot(db) == old
