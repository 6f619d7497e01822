"""Plans of schema changes, and the executor that applies them safely (DESIGN principle 3).

Why plans: every change refint makes to a schema first becomes a :class:`ChangePlan`, a list of
:class:`Step` s that ``--dry-run`` prints and :func:`apply` runs, so what runs is exactly what was shown.

How a plan runs. Steps that share a ``group`` number run in one transaction (BEGIN ... COMMIT) and roll
back together; a step whose group is ``None`` runs alone in autocommit (PostgreSQL's ``CREATE INDEX
CONCURRENTLY``, every MySQL DDL statement, SQLite's ``PRAGMA foreign_keys``). When a step fails, its
transaction is rolled back, and then the ``undo`` statements of the steps already committed are run in
reverse order, on a new connection if the old one died, so that the database ends in the old state or
(when everything committed) the new one, never in between. A group with a ``lock_timeout`` is retried
with exponential backoff, a bounded number of times, when the engine reports a lock timeout. ``restore``
statements (session settings) run at the end whatever happened.

``fault`` is a hook called before every step: tests use it to raise, or to kill the connection's
backend, at step k and then check that the database holds exactly the old or the new state.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refint.errors import QueryFailed, UnsafeOperation

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.engines.base import Capabilities, Engine
    from refint.model import Schema


class Live:
    """The engine a change runs on and its live schema: read fresh before a change is planned, and
    forgotten once it ran (the facade then reads it again on the next call).

    What the manage verbs take instead of the :class:`refint.Database` facade: the engine (which holds the
    connection), the schemas to read, and nothing else.
    """

    def __init__(self, engine: Engine, schemas: Sequence[str] | None = None,
                 schema: Schema | None = None) -> None:
        self.engine = engine
        self.schemas = list(schemas) if schemas else None
        self._schema = schema
        #: set once a change ran: the caller's cached schema is stale
        self.changed = False

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def capabilities(self) -> Capabilities:
        return self.engine.capabilities

    @property
    def conn(self) -> sa.Connection:
        """A SQLAlchemy connection on the engine's driver connection (they share the transaction)."""
        from refint.direct import DirectConnection

        conn: Any = self.engine.conn
        if isinstance(conn, DirectConnection):
            conn = conn.as_sqlalchemy()
        return conn  # type: ignore[no-any-return]

    def inspect(self) -> Schema:
        if self._schema is None:
            with self.engine.read_only():
                self._schema = self.engine.read_schema(self.schemas)
        return self._schema

    def refresh(self) -> Schema:
        self._schema = None
        return self.inspect()

    def invalidate(self) -> None:
        self._schema = None
        self.changed = True


@dataclass(frozen=True)
class Step:
    """One statement of a plan. ``group`` None: runs alone in autocommit and cannot be rolled back."""

    description: str
    sql: str
    group: int | None = 0
    #: the statement that reverses this step once it is committed (None: it cannot be undone)
    undo: str | None = None
    #: further statements of the undo, run after ``undo`` in the same transaction
    undo_more: tuple[str, ...] = ()
    #: also run ``undo`` when this (autocommit) step itself fails, e.g. an INVALID concurrent index
    undo_on_fail: bool = False
    #: a session setting to put back when the plan ends, whatever happened
    restore: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    #: a verification query: any row it returns fails the step (PRAGMA foreign_key_check)
    expect_empty: bool = False
    #: a verification query whose single value must be 'ok' (PRAGMA integrity_check)
    expect_ok: bool = False

    @property
    def transactional(self) -> bool:
        return self.group is not None

    def to_dict(self) -> dict[str, Any]:
        undo = "; ".join((self.undo, *self.undo_more)) if self.undo else None
        return {"description": self.description, "sql": self.sql, "transactional": self.transactional,
                "group": self.group, "undo": undo}


@dataclass(frozen=True)
class ChangePlan:
    """What a change command will do: its steps, and what the user must know before it runs."""

    operation: str
    engine: str
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    #: per group number: lock_timeout in seconds (PostgreSQL, MySQL) and retries on lock timeout
    lock_timeout: float | None = None
    retries: int = 0

    @property
    def irreversible(self) -> list[str]:
        """Steps that, once run, stay done even if a later step fails and nothing can undo them: autocommit
        steps without an undo, and steps of a transaction that commits before a later step runs."""
        last = self.steps[-1].group if self.steps else None
        out = []
        for i, s in enumerate(self.steps):
            if _needs_no_undo(s, self.steps):
                continue
            later = self.steps[i + 1:]
            if s.group is None and later:
                out.append(s.description)
            elif s.group is not None and (s.group != last or any(t.group is None for t in later)):
                out.append(s.description)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "engine": self.engine, "steps": [s.to_dict() for s in self.steps],
                "notes": list(self.notes), "irreversible": self.irreversible, "lock_timeout": self.lock_timeout}

    def script(self) -> str:
        """The plan as a SQL script a person can read (and run by hand)."""
        lines: list[str] = []
        current: int | None = None
        for step in self.steps:
            if step.group != current and current is not None:
                lines.append("COMMIT;")
            if step.group is not None and step.group != current:
                lines.append("BEGIN;")
            current = step.group
            lines.append(f"-- {step.description}")
            sql = step.sql
            for key, value in step.params.items():
                sql = sql.replace(f":{key}", repr(value))
            lines.append(sql.rstrip(";") + ";")
        if current is not None:
            lines.append("COMMIT;")
        return "\n".join(lines)


@dataclass(frozen=True)
class ChangeResult:
    """What a change command did (or would do, with ``dry_run``)."""

    operation: str
    ok: bool
    dry_run: bool
    applied: bool
    plan: ChangePlan
    done: tuple[str, ...] = ()
    message: str = ""
    orphans: tuple[Any, ...] = ()  # refint.check.Violation
    retries: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "operation": self.operation, "dry_run": self.dry_run, "applied": self.applied,
                "message": self.message, "done": list(self.done), "retries": self.retries,
                "orphans": [v.to_dict() for v in self.orphans], "plan": self.plan.to_dict(),
                **dict(self.details)}


FaultHook = Callable[[int, Step, "Runner"], None]


class Runner:
    """Runs SQL on the DB-API connection beneath the engine, with explicit transaction control.

    We use the driver directly, in autocommit with explicit BEGIN/COMMIT, because the plan must decide
    where transactions start and end (CREATE INDEX CONCURRENTLY cannot run inside one, SQLite's
    ``PRAGMA foreign_keys`` is ignored inside one) and SQLAlchemy's implicit begin would get in the way.
    """

    def __init__(self, db: Live, raw: Any | None = None, owner: Any | None = None) -> None:
        self.db = db
        #: the SQLAlchemy connection ``raw`` belongs to: told when the server dropped it (see close)
        self.owner: Any = owner if raw is not None else db.conn
        self.kind = db.engine.name
        engine = db.engine
        if raw is None:
            if engine.borrowed and engine._dbapi_in_transaction():
                raise UnsafeOperation("the connection handed to refint has a transaction open: commit or roll "
                                      "it back first, refint runs schema changes in transactions of its own")
            if db.conn.in_transaction():
                db.conn.rollback()
            raw = db.conn.connection.dbapi_connection
        raw_any: Any = raw
        self.raw: Any = getattr(raw_any, "_ConnectionWrapper__c", raw_any)  # duckdb_engine's wrapper
        self._saved: Any = None
        if self.kind == "sqlite":
            self._saved = self.raw.isolation_level
            self.raw.isolation_level = None
        elif self.kind == "postgresql":
            self._saved = self.raw.autocommit
            self.raw.autocommit = True
        elif self.kind in ("mysql", "mariadb"):
            self._saved = self.raw.get_autocommit()
            self.raw.autocommit(True)
        self.backend_id = self._backend_id()

    def _backend_id(self) -> Any:
        if self.kind == "postgresql":
            return self.query("SELECT pg_backend_pid()")[0][0]
        if self.kind in ("mysql", "mariadb"):
            return self.query("SELECT CONNECTION_ID()")[0][0]
        return None

    def close(self) -> None:
        if self.kind in ("postgresql", "mysql", "mariadb") and not self.alive():
            # The server dropped the connection (killed, restarted) under the driver, where SQLAlchemy
            # did not see it: its pool would try to roll it back when it is returned, fail, and log that
            # failure's traceback to stderr. Invalidated, the connection is discarded without a reset.
            invalidate = getattr(self.owner, "invalidate", None)
            if invalidate is not None:
                invalidate()
            self.db._schema = None
            return
        try:
            if self.kind == "sqlite":
                self.raw.isolation_level = self._saved
            elif self.kind == "postgresql" and not self.raw.closed:
                self.raw.autocommit = self._saved
            elif self.kind in ("mysql", "mariadb") and self.raw.open:
                self.raw.autocommit(self._saved)
        except Exception:  # a dead connection: nothing to restore
            pass
        self.db.invalidate()  # the schema changed: the next inspect() reads it again

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        if self.kind == "duckdb":  # a duckdb "cursor" is a second connection: use the connection itself
            res = self.raw.execute(sql, dict(params)) if params else self.raw.execute(sql)
            return [tuple(r) for r in res.fetchall()] if res.description else []
        cur = self.raw.cursor()
        try:
            if params:
                if self.kind in ("postgresql", "mysql", "mariadb"):
                    sql = _pyformat(sql, params)
                cur.execute(sql, dict(params))
            else:
                cur.execute(sql)
            try:
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
            except Exception:
                return []
        finally:
            cur.close()

    query = execute

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.execute("ROLLBACK")
        except Exception:
            pass

    def alive(self) -> bool:
        try:
            self.execute("SELECT 1")
            return True
        except Exception:
            return False

    def set_lock_timeout(self, seconds: float) -> None:
        if self.kind == "postgresql":
            self.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")
        elif self.kind in ("mysql", "mariadb"):
            self.execute(f"SET SESSION lock_wait_timeout = {max(1, int(round(seconds)))}")
            self.execute(f"SET SESSION innodb_lock_wait_timeout = {max(1, int(round(seconds)))}")


def _pyformat(sql: str, params: Mapping[str, Any]) -> str:
    sql = sql.replace("%", "%%")  # a literal % (in a quoted name) must survive the driver's formatting
    for key in params:
        sql = sql.replace(f":{key}", f"%({key})s")
    return sql


def is_lock_timeout(exc: BaseException) -> bool:
    code = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "diag", None), "sqlstate", None)
    if code == "55P03":  # PostgreSQL lock_not_available
        return True
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    return bool(args) and args[0] in (1205,)  # MySQL/MariaDB lock wait timeout


def backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...) after a lock timeout: exponential, capped at 5 s,
    with jitter so that two waiting sessions do not retry in step."""
    return float(min(5.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))


def lock_timeout_note(exc: BaseException, attempts: int) -> str:
    """How a lock timeout ended a step: the engine's own line and how many times it was tried."""
    tried = f" (timed out on each of {attempts} attempts)" if attempts > 1 else ""
    return _first_line(exc) + tried


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


@contextmanager
def _fresh_runner(db: Live, runner: Runner) -> Iterator[Runner]:
    """The same runner when its connection still works, else a new connection to the same database."""
    if runner.alive():
        yield runner
        return
    conn = db.conn.engine.connect()
    try:
        raw = conn.connection.dbapi_connection
        fresh = Runner(db, raw, owner=conn)
        try:
            _wait_gone(fresh, runner.backend_id)
            yield fresh
        finally:
            fresh.close()
    finally:
        conn.close()


#: the server's list of sessions, to see a killed one go (it keeps its locks until it has rolled back)
_SESSION = {"postgresql": "SELECT 1 FROM pg_stat_activity WHERE pid = :id",
            "mysql": "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = :id",
            "mariadb": "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = :id"}
GONE_WAIT = 10.0  # seconds


def _wait_gone(fresh: Runner, dead: Any) -> None:
    """Wait (at most GONE_WAIT) until the server has ended the session that died under us.

    Killing a session (``pg_terminate_backend``, ``KILL``) only asks it to end: it rolls back its open
    transaction and releases its locks afterwards, on a busy server some time later. An undo started
    before that waits for those locks and, under lock_timeout, fails; so it waits for the session first.
    """
    sql = _SESSION.get(fresh.kind)
    if sql is None or dead is None:
        return
    deadline = time.monotonic() + GONE_WAIT
    while time.monotonic() < deadline and fresh.query(sql, {"id": dead}):
        time.sleep(0.02)


def apply(db: Live, plan: ChangePlan, *, fault: FaultHook | None = None) -> tuple[list[str], int]:
    """Run ``plan``; returns (descriptions of the steps done, lock-timeout retries).

    On failure: the failing transaction is rolled back, the committed steps are undone in reverse order,
    and QueryFailed says what failed and what state the database was left in.
    """
    runner = Runner(db)
    done: list[str] = []
    committed: list[Step] = []
    restores: list[str] = []
    retries = 0
    index = 0
    groups = _groups(plan.steps)
    try:
        for steps in groups:
            attempt = 0
            while True:
                try:
                    start = index
                    _run_group(runner, plan, steps, start, fault, restores)
                    break
                except Exception as exc:
                    if steps[0].group is not None:
                        runner.rollback()
                    if is_lock_timeout(exc) and attempt < plan.retries:
                        attempt += 1
                        retries += 1
                        time.sleep(backoff(attempt))
                        continue
                    failed = steps[0] if steps[0].group is None else None
                    undone = _undo(db, runner, plan, committed, failed)
                    raise QueryFailed(_failure(exc, steps, undone, committed, attempt + 1)) from exc
            index += len(steps)
            committed.extend(steps)
            done.extend(s.description for s in steps)
    finally:
        for sql in reversed(restores):
            try:
                runner.execute(sql)
            except Exception:
                pass
        runner.close()
    return done, retries


def _groups(steps: tuple[Step, ...]) -> list[list[Step]]:
    out: list[list[Step]] = []
    for step in steps:
        if out and step.group is not None and out[-1][0].group == step.group:
            out[-1].append(step)
        else:
            out.append([step])
    return out


def _run_group(runner: Runner, plan: ChangePlan, steps: list[Step], start: int, fault: FaultHook | None,
               restores: list[str]) -> None:
    in_txn = steps[0].group is not None
    if in_txn:
        runner.begin()
        if plan.lock_timeout is not None:
            runner.set_lock_timeout(plan.lock_timeout)
    elif plan.lock_timeout is not None and runner.kind in ("mysql", "mariadb"):
        runner.set_lock_timeout(plan.lock_timeout)
    for offset, step in enumerate(steps):
        if fault is not None:
            fault(start + offset, step, runner)
        rows = runner.execute(step.sql, step.params)
        if step.restore is not None:
            restores.append(step.restore)
        if step.expect_empty and rows:
            raise QueryFailed(f"{step.description}: {len(rows)} rows, first {rows[0]}")
        if step.expect_ok and [r[0] for r in rows] != ["ok"]:
            raise QueryFailed(f"{step.description}: {rows[:3]}")
    if in_txn:
        if fault is not None:
            fault(start + len(steps), Step("COMMIT", "COMMIT", steps[0].group), runner)
        runner.commit()


def _undo(db: Live, runner: Runner, plan: ChangePlan, committed: list[Step], failed: Step | None) -> list[str]:
    """Reverse what committed; returns what could not be undone (empty: back to the old state)."""
    todo = [s for s in reversed(committed) if s.undo]
    if failed is not None and failed.undo_on_fail and failed.undo:
        todo.insert(0, failed)
    left = [s.description for s in committed if not _needs_no_undo(s, committed)]
    if not todo:
        return left
    try:
        with _fresh_runner(db, runner) as r:
            for step in todo:
                for attempt in range(max(plan.retries, 3) + 1):
                    try:
                        statements = (step.undo or "", *step.undo_more)
                        if step.undo_more or (runner.kind == "postgresql" and "CONCURRENTLY" not in statements[0]):
                            r.begin()
                            if plan.lock_timeout is not None:
                                r.set_lock_timeout(plan.lock_timeout)
                            for sql in statements:
                                r.execute(sql)
                            r.commit()
                        else:
                            r.execute(statements[0])
                        break
                    except Exception as exc:
                        r.rollback()
                        if not is_lock_timeout(exc) or attempt == max(plan.retries, 3):
                            raise
                        time.sleep(0.05 * 2 ** attempt)
    except Exception as exc:
        left.extend(f"{s.description} (undo failed: {_first_line(exc)}; run by hand: "
                f"{'; '.join((s.undo or '', *s.undo_more))})" for s in todo)
    return left


def _needs_no_undo(step: Step, steps: Sequence[Step]) -> bool:
    """A step that leaves nothing to undo once committed: it has an undo, or one step of its transaction
    has (an undo that reverses the whole transaction), or it is a setting or a verification."""
    if step.undo is not None or step.restore is not None or step.expect_empty or step.expect_ok:
        return True
    return step.group is not None and any(s.undo is not None and s.group == step.group for s in steps)


def _failure(exc: BaseException, steps: list[Step], left: list[str], committed: list[Step],
             attempts: int = 1) -> str:
    what = steps[0].description if len(steps) == 1 else f"{steps[0].description} ... ({len(steps)} steps)"
    state = ("nothing was changed" if not committed and not left else
             "the database is back in its old state" if not left else
             "NOT undone: " + "; ".join(left))
    why = lock_timeout_note(exc, attempts) if is_lock_timeout(exc) else _first_line(exc)
    return f"failed at '{what}': {why}; {state}"
