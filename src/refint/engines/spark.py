"""Apache Spark: a ``SparkSession`` the caller holds (classic or Spark Connect), a Spark Connect URL
(``sc://host:15002``), or a local session refint starts for a folder of Parquet/CSV/JSON files.

Open-source Spark declares no keys, so the keys come from a relations file (``--relations``); the
catalog gives tables and columns. Every check is one Spark SQL query (a LEFT ANTI JOIN, a grouped
duplicate count) that runs on the cluster; what reaches the driver is one row per sampled key plus the
total, never anything proportional to the data (:meth:`Spark.sample_order`).

Queries run on a worker thread while the calling thread waits, so that Ctrl-C (a KeyboardInterrupt in
the main thread) can cancel the Spark jobs: a job group with ``interruptOnCancel`` on a classic session,
an operation tag on Spark Connect. The same wait reads Spark's status tracker for progress.

pyspark is imported only here and only when a Spark target is opened: ``pip install 'refint[spark]'``.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from refint.direct import _BIND, DirectConnection, DirectDialect, DriverError, Result, _Pooled, _Preparer
from refint.engines.base import Capabilities, Engine, filter_schemas
from refint.errors import BadInput, ConnectionFailed, InvalidTarget, NotSupported, QueryFailed, RefintError
from refint.model import Action, Column, Match, Schema, Table

if TYPE_CHECKING:
    from refint.relations import Relations
    from refint.target import Opened

INSTALL_HINT = "Spark needs the spark extra: pip install 'refint[spark]' (and Java 17 or later)"
#: the window total the checker writes into its grouped queries; Spark computes it another way
_WINDOW_TOTAL = re.compile(r",\s*sum\((?:count\(\*\)|g\.n)\)\s+OVER\s*\(\)\s+AS\s+total", re.IGNORECASE)
#: the mark of a grouped violation query whose top keys and total are wanted (Spark.sample_order)
_TOP = re.compile(r"/\* refint: top (\d+) \*/ ")
#: how often the waiting thread looks at the running query (Ctrl-C, deadline, progress)
POLL_SECONDS = 0.1


def is_session(obj: Any) -> bool:
    """A pyspark ``SparkSession``, classic or Spark Connect (without importing pyspark)."""
    cls = type(obj)
    return cls.__name__ == "SparkSession" and cls.__module__.startswith("pyspark.")


def is_connect(session: Any) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


class _Rows:
    """A DB-API cursor over the rows a bounded query returned (``refint.direct.Result`` reads it)."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = [tuple(r) for r in rows]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows


class SparkConnection(DirectConnection):
    """A SparkSession with the Connection API refint needs: ``:name`` binds become Spark's own named
    parameters (``spark.sql(text, args)``); there are no transactions. ``close`` stops the session only
    when refint started it."""

    def __init__(self, session: Any, *, owned: bool, views: Sequence[str] = ()) -> None:
        self.raw = session
        self.kind = "spark"
        self.dialect = DirectDialect("spark", _version(str(session.version)))
        self.dialect.identifier_preparer = _Preparer("`")
        self.connection = _Pooled(session)
        self.engine = None
        self.invalidated = False
        self._in_tx = False
        self._sa = None
        self.owned = owned
        self.connect = is_connect(session)
        #: temporary views refint registered (a folder's files) and drops again on close
        self.views = list(views)
        #: called with a short text while a query runs (the job's stage and tasks), set by the engine
        self.activity: Callable[[str], None] | None = None
        #: seconds before a running query is cancelled (--timeout), None for no limit
        self.timeout: float | None = None
        self.cancelled = False
        self._pool: Any = None
        #: (tasks done, tasks) of the running Spark Connect operation, from its progress handler
        self._connect_tasks = (0, 0)

    def begin(self) -> None:
        """Spark has no transactions: nothing to begin."""

    def rollback(self) -> None:
        """Nothing to roll back: refint only ever reads from Spark."""

    def commit(self) -> None:
        """Nothing to commit."""

    def in_transaction(self) -> bool:
        return False

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        if self.owned:
            self.raw.stop()
            return
        for view in self.views:  # a borrowed session (or a new one on a shared context) stays as it was
            try:
                self.raw.catalog.dropTempView(view)
            except Exception:
                pass

    def exec_driver_sql(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        return self.execute(sql, params if isinstance(params, Mapping) else None)

    def execute(self, clause: Any, params: Mapping[str, Any] | None = None) -> Result:
        """Run one bounded query (every query refint sends to Spark returns a few rows) with ``:name``
        binds passed to Spark as named parameters."""
        sql = clause if isinstance(clause, str) else str(getattr(clause, "text", clause))
        names = set(_BIND.findall(sql))
        args = {k: v for k, v in dict(params or {}).items() if k in names}
        top = _TOP.match(sql)
        if top is not None:
            keys, sample = int(top.group(1)), int(dict(params or {})["sample"])
            return Result(_Rows(self.run(lambda: self._top(sql[top.end():], keys, sample, args), sql)))
        return Result(_Rows(self.run(lambda: self.raw.sql(sql, args=args or None).collect(), sql)))

    def _top(self, grouped: str, keys: int, sample: int, args: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The ``sample`` smallest keys of a grouped query (columns: the keys, ``n``), NULLs last, each
        with the sum of ``n`` over all groups; no row when there is no group."""
        import importlib

        # a Connect session takes Connect's columns and observations (this process is not in Connect mode)
        package = "pyspark.sql.connect." if self.connect else "pyspark.sql."
        functions: Any = importlib.import_module(package + ("functions.builtin" if self.connect else "functions"))
        observation: Any = importlib.import_module(package + "observation")
        df = self.raw.sql(grouped, args=args or None)
        observed = observation.Observation("refint_" + uuid.uuid4().hex[:12])
        order = [df[c].asc_nulls_last() for c in df.columns[:keys]]
        rows = df.observe(observed, functions.sum("n").alias("total")).orderBy(*order).limit(sample).collect()
        if not rows:
            return []
        total = observed.get["total"]
        return [(*tuple(r), total) for r in rows]

    def as_sqlalchemy(self) -> Any:
        raise NotSupported("a Spark session has no SQLAlchemy connection: use Database.engine.conn.raw (the session)")

    # -- running a query where Ctrl-C can cancel it ---------------------------------------------------------
    def run(self, fn: Callable[[], Any], sql: str) -> Any:
        """Run ``fn`` (which starts Spark jobs) on a worker thread, tagged so that it can be cancelled; the
        calling thread waits, reports progress, enforces the timeout and turns Ctrl-C into a cancel."""
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refint-spark")
        tag = "refint-" + uuid.uuid4().hex[:12]
        watch = self.connect and self.activity is not None
        if watch:  # Spark Connect streams each operation's stages to the client
            self.raw.registerProgressHandler(self._on_connect_progress)
        self._connect_tasks = (0, 0)
        future = self._pool.submit(self._tagged, tag, fn)
        started = time.monotonic()
        interrupted: list[int] = []
        previous = _on_sigint(lambda signum, frame: interrupted.append(signum))
        try:
            while True:
                try:
                    return future.result(timeout=POLL_SECONDS)
                except TimeoutError:
                    pass
                if interrupted:
                    raise KeyboardInterrupt
                if self.timeout is not None and time.monotonic() - started > self.timeout:
                    self._cancel(tag, future)
                    raise QueryFailed(f"the query ran longer than the timeout of {self.timeout:g} s and was "
                                      "cancelled") from None
                if self.activity is not None:
                    self._report(tag)
        except KeyboardInterrupt:
            self.cancelled = True
            self._cancel(tag, future)
            raise
        except (RefintError, TimeoutError):
            raise
        except Exception as exc:
            raise DriverError(exc, sql) from exc
        finally:
            if previous is not None:
                import signal

                signal.signal(signal.SIGINT, previous)
            if watch:
                self.raw.removeProgressHandler(self._on_connect_progress)

    def _on_connect_progress(self, stages: Any, inflight_tasks: int, operation_id: Any, done: bool) -> None:
        """Spark Connect's progress handler (called on the worker thread): tasks done of the stages."""
        stages = list(stages or ())
        self._connect_tasks = (sum(s.num_completed_tasks for s in stages), sum(s.num_tasks for s in stages))

    def _tagged(self, tag: str, fn: Callable[[], Any]) -> Any:
        session = self.raw
        if self.connect:
            session.addTag(tag)
            try:
                return fn()
            finally:
                session.removeTag(tag)
        sc = session.sparkContext
        # a job group and a job tag on this (worker) thread: every job the query starts belongs to
        # them, and cancelling interrupts the running tasks' threads (interruptOnCancel)
        sc.setJobGroup(tag, "refint check", interruptOnCancel=True)
        sc.addJobTag(tag)
        try:
            return fn()
        finally:
            sc.removeJobTag(tag)
            sc.setLocalProperty("spark.jobGroup.id", None)
            sc.setLocalProperty("spark.job.description", None)
            sc.setLocalProperty("spark.job.interruptOnCancel", None)

    def _cancel(self, tag: str, future: Any, wait: float = 30.0) -> None:
        """Cancel every job of the query and wait (bounded) until none of them runs any more.

        The cancel is sent again on every look: a query is several jobs (adaptive execution submits
        each stage when the one before it ends), and one may start just after a cancel."""
        session = self.raw
        deadline = time.monotonic() + wait
        lingering = False  # killed tasks are waited for 5 s at most once every job has ended
        while time.monotonic() < deadline:
            try:
                if self.connect:
                    session.interruptTag(tag)
                else:
                    session.sparkContext.cancelJobGroup(tag)
                    session.sparkContext.cancelJobsWithTag(tag)
            except Exception:
                pass
            try:
                future.result(timeout=POLL_SECONDS)
            except BaseException:
                pass
            if future.done():
                running = self.running_jobs(tag)
                if not running:
                    return
                if running == [-1] and not lingering:  # only killed tasks still run (_orphaned_tasks)
                    deadline, lingering = min(deadline, time.monotonic() + 5.0), True

    def running_jobs(self, tag: str) -> list[int]:
        """Jobs of the query's group still running or with tasks still running (a cancelled job ends at
        once; its tasks stop when their threads see the interrupt). Classic sessions only: Spark Connect
        cancels on the server, which the client cannot watch."""
        if self.connect:
            return []
        tracker = self.raw.sparkContext.statusTracker()
        out = []
        for job in tracker.getJobIdsForGroup(tag):
            info = tracker.getJobInfo(job)
            if info is None:
                continue
            stages = [tracker.getStageInfo(s) for s in info.stageIds]
            if str(info.status) == "RUNNING" or any(s is not None and s.numActiveTasks for s in stages):
                out.append(int(job))
        if not out and self._orphaned_tasks(tracker):
            out.append(-1)
        return out

    def _orphaned_tasks(self, tracker: Any) -> int:
        """Tasks still running on the executors beyond those of the active stages: the killed tasks of a
        cancelled stage, until their threads see the interrupt (the executors' counts, Scala API)."""
        try:
            executors = self.raw.sparkContext._jsc.sc().statusTracker().getExecutorInfos()
            running = sum(int(e.numRunningTasks()) for e in executors)
            active = 0
            for stage in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage)
                active += info.numActiveTasks if info is not None else 0
        except Exception:
            return 0
        return max(running - active, 0)

    def _report(self, tag: str) -> None:
        """Tasks done of the running stages, from the status tracker (classic sessions)."""
        assert self.activity is not None
        if self.connect:
            done, total = self._connect_tasks
            if total:
                self.activity(f"{done}/{total} tasks")
            return
        try:
            tracker = self.raw.sparkContext.statusTracker()
            done = total = 0
            for job in tracker.getJobIdsForGroup(tag):
                info = tracker.getJobInfo(job)
                if info is None or str(info.status) != "RUNNING":
                    continue
                for stage in info.stageIds:
                    s = tracker.getStageInfo(stage)
                    if s is not None:
                        done += s.numCompletedTasks
                        total += s.numTasks
        except Exception:
            return
        if total:
            self.activity(f"{done}/{total} tasks")


def _on_sigint(handler: Callable[[int, Any], None]) -> Any:
    """On the main thread, make Ctrl-C only record itself while refint waits for Spark: raised as a
    KeyboardInterrupt in the middle of a py4j call (reading the status tracker), it would break the
    gateway connection, and pyspark's own handler cancels every job of the context, other users' too.
    Returns the handler to restore, or None where signals cannot be handled (other threads)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, handler)
    return previous


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


class Spark(Engine):
    """Spark SQL over a session: catalog tables and temporary views, queried with anti-joins."""

    name = "spark"
    capabilities = Capabilities(
        on_delete=frozenset({Action.NO_ACTION}), on_update=frozenset({Action.NO_ACTION}),
        match=frozenset({Match.SIMPLE, Match.FULL}),
        alter_add_foreign_key=False, alter_drop_foreign_key=False, check_constraints=False,
        schemas=True, statement_timeout=True,
        extra={"enforces_keys": False, "distributed": True},
    )
    system_schemas: ClassVar[frozenset[str]] = frozenset({"global_temp"})
    refused_verbs: Mapping[str, str] = {
        **dict.fromkeys(("add-fk", "drop-fk"), "Spark enforces no keys, so there are none to add or drop (declare "
                                               "them in a relations file and run refint check --relations FILE)"),
        "validate": "Spark has no declared keys to validate (run refint check --relations FILE)",
        "index-fks": "Spark tables have no indexes",
        "drop-table": "refint only reads from Spark (drop the table with Spark SQL)",
        "subset": "a subset streams every copied row through one connection, here the Spark driver: not "
                  "supported (subset from a database, or from the folder read by DuckDB)",
    }

    def __init__(self, conn: Any, *, borrowed: bool = False) -> None:
        super().__init__(conn, borrowed=borrowed)
        self.spark: SparkConnection = conn

    @property
    def session(self) -> Any:
        """The SparkSession itself."""
        return self.spark.raw

    def server_version(self) -> str:
        return str(self.session.version)

    # -- transactions: none; every query refint sends is a SELECT --------------------------------------
    @contextmanager
    def read_only(self) -> Iterator[None]:
        yield

    @contextmanager
    def cancel_on_interrupt(self) -> Iterator[None]:
        self.spark.cancelled = False
        try:
            yield
        finally:
            self.spark.timeout = None
            self.spark.activity = None

    def was_cancelled(self) -> bool:
        return self.spark.cancelled

    def set_statement_timeout(self, seconds: float) -> None:
        """Each following query is cancelled (its jobs too) once it has run ``seconds``."""
        self.spark.timeout = seconds

    def set_activity(self, report: Callable[[str], None] | None) -> None:
        self.spark.activity = report

    # -- check SQL ---------------------------------------------------------------------------------
    def orphan_sql(self, *, child: str, parent: str, child_columns: Sequence[str],
                   parent_columns: Sequence[str], child_indexed: bool = False) -> str:
        """Spark's LEFT ANTI JOIN (a shuffled hash or sort-merge join, or a broadcast of a small parent),
        the orphans grouped by key."""
        c_cols = [f"c.{c}" for c in child_columns]
        keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(c_cols))
        on = " AND ".join(f"{c} = p.{p}" for p, c in zip(parent_columns, c_cols))
        not_null = " AND ".join(f"{c} IS NOT NULL" for c in c_cols)
        return self.sample_order(
            f"SELECT {keys}, count(*) AS n, sum(count(*)) OVER () AS total FROM {child} c "
            f"LEFT ANTI JOIN {parent} p ON {on} WHERE {not_null} GROUP BY {', '.join(c_cols)}", len(c_cols))

    def sample_order(self, grouped: str, keys: int) -> str:
        """The first ``:sample`` groups and the total, in one pass over the data.

        ``sum(...) OVER ()`` would move every group into one task, and a second branch over the same
        grouped result for the sum is planned by Spark as a second anti-join (its optimizer turns the sum
        of grouped counts into a count of the join). So the grouped query is marked here, and
        :meth:`SparkConnection.execute` runs it as a DataFrame whose total is an observed metric (counted
        as the rows stream through) below a top-k of the keys (bounded per partition)."""
        base, found = _WINDOW_TOTAL.subn("", grouped)
        if found != 1:
            raise AssertionError(f"not a grouped violation query: {grouped}")
        return f"/* refint: top {keys} */ {base}"

    # -- introspection -----------------------------------------------------------------------------
    def list_schemas(self) -> list[str]:
        return [d.name for d in self.session.catalog.listDatabases()]

    def default_schema(self) -> str | None:
        return str(self.session.catalog.currentDatabase())

    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        """Tables and columns of the current database (or of ``schemas``), and the session's temporary
        views when no database is named. Open-source Spark's catalog holds no keys: they come from a
        relations file."""
        # pyspark's listTables runs a Spark job: on the worker thread, where Ctrl-C can cancel it
        schema: Schema = self.spark.run(lambda: self._read_schema(schemas), "catalog")
        return schema

    def _read_schema(self, schemas: Sequence[str] | None) -> Schema:
        catalog = self.session.catalog
        wanted = filter_schemas(self.list_schemas() + ["global_temp"], schemas) if schemas \
            else [self.default_schema()]
        tables: list[Table] = []
        seen: set[tuple[str | None, str]] = set()
        for db in wanted:
            for t in catalog.listTables(db):
                temp = bool(t.isTemporary) and (t.namespace is None or not t.namespace or db != "global_temp")
                schema = None if temp else db
                if temp and schemas:
                    continue  # a named database: its own tables only
                if (schema, t.name) in seen:
                    continue
                seen.add((schema, t.name))
                tables.append(self._table(schema, str(t.name), "view" if temp else "table"))
        return Schema(self.name, tuple(sorted(tables, key=lambda x: (x.schema or "", x.name))))

    def _table(self, schema: str | None, name: str, kind: str) -> Table:
        fields = self.session.table(self.table_ref(schema, name)).schema.fields
        columns = tuple(Column(f.name, f.dataType.simpleString().upper(), bool(f.nullable) or kind != "table")
                        for f in fields)
        return Table(schema, name, columns, kind=kind)


# -- opening targets --------------------------------------------------------------------------------------

def _pyspark() -> Any:
    try:
        import pyspark
    except ImportError:
        raise InvalidTarget(INSTALL_HINT) from None
    return pyspark


def borrow(session: Any) -> Opened:
    """A session the caller holds: used as it is, never stopped."""
    from refint.target import Opened

    conn = SparkConnection(session, owned=False)
    kind = "spark connect" if conn.connect else "spark"
    return Opened(conn, None, False, f"<{kind} session {session.version}>", borrowed=True)


def connect_url(url: str) -> Opened:
    """A Spark Connect URL, ``sc://host:15002[/;token=...;user_id=...]`` (Spark's own form).

    The Connect session is built directly, not through ``SparkSession.builder.remote``, which also
    switches the whole Python process to Connect mode (pyspark's global ``is_remote()``): a classic
    session the process holds keeps working."""
    from refint.target import Opened, redact

    _pyspark()
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # gRPC's own log lines on stderr (TLS handshakes)
    display = re.sub(r"(token=)[^;]*", r"\1***", url)
    token = re.search(r"token=([^;]*)", url)
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError as exc:  # pandas, pyarrow or grpcio missing
        raise InvalidTarget(f"Spark Connect needs pyspark[connect] ({exc}): pip install 'refint[spark]'") from None
    secret = token.group(1) if token else None
    hostport = re.match(r"sc://([^/:;]+|\[[^\]]+\])(?::(\d+))?", url)
    if hostport is None:
        raise InvalidTarget(f"malformed Spark Connect URL: {display} (expected sc://host:port)")
    import socket

    try:  # fail fast: the Connect client retries an unreachable server for ten minutes
        socket.create_connection((hostport.group(1).strip("[]"), int(hostport.group(2) or 15002)), timeout=10).close()
    except OSError as exc:
        raise ConnectionFailed(f"cannot connect to {display}: {exc.strerror or exc}") from None
    import warnings

    from pyspark.sql.connect.client.retries import DefaultPolicy

    session: Any = None
    try:
        # RETRIES_EXCEEDED is said in the one line below (warned from the client's threads, later)
        warnings.filterwarnings("ignore", message=r"\[RETRIES_EXCEEDED\]")
        session = ConnectSession.builder.remote(url).create()
        client = session.client
        policies = client.get_retry_policies()
        client.set_retry_policies([DefaultPolicy(max_retries=3, max_backoff=2000)])
        try:
            session.sql("SELECT 1").collect()  # the server answers (create() connects lazily)
        finally:
            client.set_retry_policies(policies)  # the work itself keeps Spark's patient retries
    except Exception as exc:
        if session is not None:
            try:
                session.client.close()  # its channel's threads would keep the process alive
            except Exception:
                pass
        text = " ".join(str(exc).split())
        details = re.search(r'details = "([^"]*)"', text)  # a gRPC status: its details say it all
        text = (details.group(1) if details else text)[:300]
        raise ConnectionFailed(redact(f"cannot connect to {display}: {text}", secret)) from None
    return Opened(SparkConnection(session, owned=True), None, True, display)


FORMATS = {".parquet": "parquet", ".parq": "parquet", ".csv": "csv", ".tsv": "csv", ".csv.gz": "csv",
           ".tsv.gz": "csv", ".txt": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}


def _format(path: str) -> str:
    lower = path.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if lower.endswith(suffix):
            return FORMATS[suffix]
    raise BadInput(f"cannot tell the format of {path} (expected .parquet, .csv, .tsv or .json)")


def local_session() -> tuple[Any, bool]:
    """A session for a folder: a new session on the process's running Spark context when there is one
    (own temporary views, the context left running), else a local one refint starts and stops.

    ``REFINT_SPARK_MASTER`` picks the master (default ``local[*]``); ``PYSPARK_SUBMIT_ARGS`` passes
    driver options (``--driver-memory 8g pyspark-shell``) as for any pyspark program."""
    _pyspark()
    from pyspark.sql import SparkSession

    from pyspark import SparkContext

    active = SparkSession.getActiveSession()
    if active is not None and not is_connect(active):
        return active.newSession(), False
    if SparkContext._active_spark_context is not None:  # a context started on another thread
        return SparkSession(SparkContext._active_spark_context).newSession(), False
    import shutil
    import tempfile

    if not os.environ.get("JAVA_HOME") and not shutil.which("java"):
        raise InvalidTarget("Spark needs Java 17 or later: none found on PATH or in JAVA_HOME")

    builder = (SparkSession.builder.master(os.environ.get("REFINT_SPARK_MASTER", "local[*]"))
               .appName("refint").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    # the JVM's own start-up chatter (log4j's profile, hostname and native-library warnings) would break
    # the one-line-on-stderr rule of the CLI: the JVM gets a temporary file as its stderr instead, read
    # back only when it fails to start
    with tempfile.TemporaryFile() as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            session = builder.getOrCreate()
        except Exception as exc:
            os.dup2(saved, 2)
            log.seek(0)
            lines = [ln for ln in log.read().decode(errors="replace").splitlines() if ln.strip()]
            why = lines[-1] if lines else " ".join(str(exc).split())
            raise ConnectionFailed(f"cannot start a local Spark session: {why[:300]}") from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def open_folder(folder: str | Path, relations: Relations | None = None) -> tuple[Opened, Schema]:
    """A Spark session with one temporary view per table file of the folder (the layout rules of
    ``refint.files``: ``name.parquet``, ``name.csv``, ``name.json``, a sub-folder ``name/``)."""
    from refint.files import folder_tables
    from refint.target import Opened

    tables = folder_tables(folder, relations)
    formats = {name: _format(path) for name, path in tables.items()}
    session, owned = local_session()
    conn = SparkConnection(session, owned=owned)
    quote = conn.dialect.identifier_preparer.quote_identifier
    engine = Spark(conn)
    model = []
    def register(name: str, path: str) -> None:
        reader = session.read
        if formats[name] == "csv":
            sep = "\t" if path.lower().endswith((".tsv", ".tsv.gz")) else ","
            reader = reader.option("header", "true").option("inferSchema", "true").option("sep", sep)
        reader.format(formats[name]).load(path).createOrReplaceTempView(quote(name))
        conn.views.append(quote(name))
        model.append(engine._table(None, name, "file"))

    try:
        for name, path in sorted(tables.items()):  # schema inference runs jobs: where Ctrl-C cancels them
            conn.run(partial(register, name, path), f"reading {path}")
    except BadInput:
        conn.close()
        raise
    except Exception as exc:
        conn.close()
        raise InvalidTarget(f"cannot read {folder}: {' '.join(str(exc).split())[:300]}") from None
    return Opened(conn, None, True, str(Path(folder))), Schema("spark", tuple(model))
