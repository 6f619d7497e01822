"""SQLite's file locks as a reader meets them: busy writers and hot journals.

In rollback-journal mode a reader needs a SHARED lock, which a writer refuses for as long as it holds
PENDING or EXCLUSIVE (while it commits). Each of refint's read statements is its own read transaction
(sqlite3 begins none for a SELECT), so each takes the lock anew. SQLite's own busy handler sleeps up to
100 ms between tries; writers in a tight loop commit again within that time, and the reader lost every
try for the whole 5 s of sqlite3's default timeout (``database is locked``, issue 12). So the busy
timeout is short (SQLite's quick first tries, 10 ms) and the statement is retried from here with
jittered sleeps of 0.5-5 ms, for at most :data:`BUSY_WAIT` seconds per statement. A retry is safe: a statement
that got SQLITE_BUSY read nothing.

A writer killed in the middle of a transaction leaves a *hot journal* (``FILE-journal``) that the next
connection must play back into the file before it reads. A read-only connection cannot
(``SQLITE_READONLY_ROLLBACK``, ``attempt to write a readonly database``): refint says so in one line
and how to recover, instead of the bare message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from refint.errors import ConnectionFailed

T = TypeVar("T")

#: seconds one statement keeps retrying while writers hold the lock
BUSY_WAIT = 60.0
#: SQLite's own busy timeout per try (its first sleeps are 1, 2, 5 ms); then the jittered sleeps here
BUSY_TIMEOUT_MS = 10

SQLITE_BUSY = 5
SQLITE_READONLY_ROLLBACK = 776


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY or one of its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT)."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's exception
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == SQLITE_BUSY


def retry_busy(fn: Callable[[], T], *, wait: float | None = None,
               stop: Callable[[], int] | None = None) -> T:
    """``fn()``, again after a short sleep while SQLite says the database is locked, for at most
    ``wait`` seconds (default :data:`BUSY_WAIT`); ``stop()`` true (Ctrl-C, ``--timeout``) ends the wait."""
    limit = time.monotonic() + (BUSY_WAIT if wait is None else wait)
    pause = 0.001
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_busy(exc) or time.monotonic() >= limit or (stop is not None and stop()):
                raise
        time.sleep(random.uniform(pause / 2, pause))
        pause = min(pause * 2, 0.005)


def hot_journal(exc: BaseException, path: str | None) -> ConnectionFailed | None:
    """The one-line error for a read-only connection that met a hot journal, else None."""
    if getattr(getattr(exc, "orig", None) or exc, "sqlite_errorcode", None) != SQLITE_READONLY_ROLLBACK:
        return None
    name = path or "the database"
    return ConnectionFailed(
        f"{name} has a hot journal ({name}-journal): a writer stopped in the middle of a transaction and "
        f"its changes must be rolled back, which a read-only connection cannot do; open the file once "
        f"read-write to roll it back (e.g. sqlite3 {name} 'PRAGMA quick_check'), then run refint again")


def main_file(raw: Any) -> str | None:
    """The path of the main database of a sqlite3 connection (None: in memory)."""
    try:
        rows = raw.execute("PRAGMA database_list").fetchall()
    except Exception:
        return None
    return next((r[2] for r in rows if r[1] == "main" and r[2]), None)
