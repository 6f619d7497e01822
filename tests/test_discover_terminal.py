"""discover as people run it: Ctrl-C cancels the server's query (exit 130), a progress bar on a terminal
and silence in JSON mode and pipes.

The slow query is made by a lock, not by size: the test's own connection holds a lock on the table that
discover must read, so discover's query waits in the server until it is cancelled. That the query really is
waiting there is read from the server before the signal is sent."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

REFINT = [sys.executable, "-m", "refint"]

WAITING = {
    "postgresql": ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE '%%locked_t%%' AND pid <> pg_backend_pid()"),
    "mariadb": ("SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%%locked_t%%' "
                "AND ID <> CONNECTION_ID()"),
}


def _lock(db: Any) -> Any:
    """A connection of the test's own holding a lock that blocks every read of ``locked_t``."""
    conn = db.dbapi()
    cur = conn.cursor()
    if db.engine == "postgresql":
        cur.execute("BEGIN")
        cur.execute("LOCK TABLE locked_t IN ACCESS EXCLUSIVE MODE")
    else:
        cur.execute("LOCK TABLES locked_t WRITE")
    return conn


def _count(db: Any, sql: str) -> int:
    """A count read on a fresh connection of the test's (not the one holding the lock)."""
    conn = db.dbapi()
    try:
        cur = conn.cursor()
        cur.execute(sql.replace("%%", "%"))
        return int(cur.fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("engine", sorted(WAITING))
def test_ctrl_c_cancels_the_waiting_query_and_exits_130(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("CREATE TABLE locked_t (id INTEGER PRIMARY KEY, other_id INTEGER);\n"
           "INSERT INTO locked_t VALUES (1, 1), (2, 1), (3, 2);")
    holder = _lock(db)
    try:
        proc = subprocess.Popen(REFINT + ["discover", db.url, "--format", "json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while _count(db, WAITING[engine]) == 0:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "discover's query never reached the lock"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and out == ""
        time.sleep(0.5)
        assert _count(db, WAITING[engine]) == 0  # cancelled in the server, not only abandoned by the client
    finally:
        holder.close()


def _on_a_terminal(args: list[str], timeout: float = 60) -> tuple[int, str, str]:
    """Run refint with stderr on a pseudo-terminal and stdout on a pipe; returns (exit code, stdout, what
    the terminal received)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(REFINT + args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.wait(timeout=10)
    return proc.returncode, out, seen.decode(errors="replace")


def test_progress_on_a_terminal_and_silence_in_json_mode(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);\n"
           "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER);\n"
           "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 200) g;\n"
           "INSERT INTO orders SELECT g, 1 + g % 200 FROM generate_series(1, 2000) g;")
    code, out, terminal = _on_a_terminal(["discover", db.url])
    assert code == 0, terminal
    assert "orders" in out and "customer_id" in out  # the table itself goes to stdout
    assert "discovering" in terminal or "profiling" in terminal, terminal  # the bar went to the terminal
    code, out, terminal = _on_a_terminal(["discover", db.url, "--format", "json"])
    assert code == 0 and '"customer_id"' in out
    assert terminal == "", terminal  # JSON mode: nothing on the terminal
    piped = subprocess.run(REFINT + ["discover", db.url], capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""  # a pipe: no bar
