"""SQLite under concurrent writers (issue 12 item 7): real writer processes in rollback-journal mode, a
lock held longer than SQLite's busy timeout, and a hot journal left by a writer killed with SIGKILL."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import refint
from tests.test_cli import assert_one_line_error, refint as run_refint

PARENTS = 2000


def _make(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.executescript("""
        CREATE TABLE parent (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id), v TEXT);
    """)
    conn.executemany("INSERT INTO parent VALUES (?, 'x')", [(i,) for i in range(PARENTS)])
    conn.executemany("INSERT INTO child (pid, v) VALUES (?, 'y')", [(i % PARENTS,) for i in range(5000)])
    conn.commit()
    conn.close()


#: a writer in a tight loop: short write transactions, each committed (an fsync each), for ``seconds``
WRITER = """
import sqlite3, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
conn = sqlite3.connect(path, timeout=60, isolation_level=None)
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO child (pid, v) VALUES (?, 'w')", (n % 1000,))
    conn.execute("UPDATE parent SET v = v || '' WHERE id = ?", (n % 1000,))
    conn.execute("COMMIT")
    n += 1
print(n)
"""


def test_check_waits_for_writers_in_a_tight_loop(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    _make(db)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), "2"], stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        time.sleep(0.3)
        runs = 0
        while any(w.poll() is None for w in writers):
            with refint.connect(db, readonly=True) as conn:
                report = conn.check()
            assert report.ok, report.to_dict()
            assert report.checked["foreign_key"] == 1
            runs += 1
    finally:
        for w in writers:
            w.wait(timeout=60)
    assert all(w.returncode == 0 for w in writers)
    assert all(int(w.stdout.read()) > 0 for w in writers if w.stdout)  # the writers did write meanwhile
    assert runs >= 1


#: holds the write lock (EXCLUSIVE: no reader may start) for ``seconds``, then commits
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO child (pid, v) VALUES (1, 'held')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


@pytest.mark.parametrize("how", ["cli", "api read-write"])
def test_check_waits_past_the_busy_timeout(tmp_path: Path, how: str) -> None:
    """The lock is held longer than sqlite3's default busy timeout (5 s): refint retries the read until
    the writer commits, on its read-only connection (the CLI) and on a read-write one (the API's
    default, through SQLAlchemy)."""
    db = tmp_path / "held.db"
    _make(db)
    conn = refint.connect(db) if how != "cli" else None  # opened (SQLAlchemy imported) before the lock
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "5.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        if conn is None:
            proc = run_refint("check", str(db), "--format", "json")
            assert proc.returncode == 0, proc.stderr
        else:
            assert conn.check().ok
        waited = time.monotonic() - start
    finally:
        holder.wait(timeout=60)
        if conn is not None:
            conn.close()
    assert waited >= 5  # it waited for the writer, past sqlite3's default busy timeout of 5 s
    with refint.connect(db) as conn:
        assert conn.conn.exec_driver_sql("SELECT count(*) FROM child WHERE v = 'held'").scalar() == 1


#: a writer that dies in the middle of a transaction whose changes spilled into the file
KILLED = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size = 1")  # the changed pages go to the file, the old ones to the journal
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE child SET v = 'half-written ' || v")
print("writing", flush=True)
time.sleep(60)
"""


def test_hot_journal_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    db = tmp_path / "hot.db"
    _make(db)
    writer = subprocess.Popen([sys.executable, "-c", KILLED, str(db)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    journal = db.with_name(db.name + "-journal")
    assert journal.stat().st_size > 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (("check", str(db)), ("inspect", str(db)), ("plan", "delete", str(db), "parent", "--where", "id = 1")):
        proc = run_refint(*args)
        assert_one_line_error(proc, "hot journal", str(journal), "read-write")
        assert "attempt to write a readonly database" not in proc.stderr
    # the read-only runs changed nothing: the file and its journal are as the killed writer left them
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before and journal.exists()
    # the way out the message gives: one read-write open rolls the transaction back
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    conn.close()
    proc = run_refint("check", str(db))
    assert proc.returncode == 0, proc.stderr
    with refint.connect(db) as conn:
        assert conn.conn.exec_driver_sql("SELECT count(*) FROM child WHERE v LIKE 'half%'").scalar() == 0


#: reads the schema, then checks when told to (the lock is taken in between), exit code 130 on Ctrl-C
CHECKER = """
import sys
import refint
db = refint.connect(sys.argv[1], readonly=True)
db.inspect()
print("ready", flush=True)
sys.stdin.readline()
try:
    db.check()
except KeyboardInterrupt:
    sys.exit(130)
sys.exit(0)
"""


def test_ctrl_c_ends_the_wait_for_writers(tmp_path: Path) -> None:
    """In the middle of a check (where refint catches SIGINT and lets the statement stop itself), a
    wait for a writer's lock ends on Ctrl-C too, not after the 60 s a statement may wait."""
    db = tmp_path / "ctrl.db"
    _make(db)
    checker = subprocess.Popen([sys.executable, "-c", CHECKER, str(db)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    holder = None
    try:
        assert checker.stdout is not None and checker.stdout.readline().strip() == "ready"
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "30"], stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert checker.stdin is not None
        checker.stdin.write("go\n")
        checker.stdin.flush()
        time.sleep(0.5)  # waiting for the lock by now
        assert checker.poll() is None
        checker.send_signal(signal.SIGINT)
        start = time.monotonic()
        assert checker.wait(timeout=20) == 130
        assert time.monotonic() - start < 2
    finally:
        checker.kill()
        if holder is not None:
            holder.kill()
            holder.wait()
