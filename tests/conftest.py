"""Shared fixtures: a fresh, real database per test on every engine.

PostgreSQL and MariaDB run on loopback (see README). Outside CI a test whose server is unreachable is
skipped with the reason; with CI=true it fails instead. Every database is created for the test and
dropped afterwards, so tests can run in any order.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PG_ADMIN = os.environ.get("REFINT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MY_ADMIN = os.environ.get("REFINT_TEST_MYSQL", "mariadb://root@127.0.0.1:3306/")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CORPUS = Path(os.environ.get("REFINT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

ENGINES = ["sqlite", "postgresql", "mariadb", "duckdb"]
#: Spark, twice: the test's tables as Parquet files in a folder (``refint.connect(folder, engine="spark")``)
#: and as managed tables of a database in the session's catalog (``refint.connect(session, schemas=[db])``).
#: Not in ENGINES: Spark declares no keys, so only the tests that bring theirs in a relations file take
#: these params, and those run with the session-wide ``spark`` fixture (tests/spark_db.py).
SPARK_ENGINES = ["spark-files", "spark-catalog"]


def unreachable(reason: str) -> None:
    """Skip outside CI, fail in CI (a missing server must never turn CI green)."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


JS_DIR = Path(__file__).resolve().parent / "js"
_js_installed: bool | None = None


def js_tools() -> Path:
    """tests/js/node_modules (the real Mermaid, the SARIF Multitool), installed on first use with
    ``npm ci`` from the committed lock file when it is missing or older than the lock, so the README's
    test command needs no extra step. Without npm the callers' ``unreachable`` says what is missing."""
    global _js_installed
    modules = JS_DIR / "node_modules"
    if _js_installed is None:
        hidden_lock = modules / ".package-lock.json"  # written by npm ci
        lock = JS_DIR / "package-lock.json"
        _js_installed = hidden_lock.is_file() and hidden_lock.stat().st_mtime >= lock.stat().st_mtime
        if not _js_installed and shutil.which("npm"):
            proc = subprocess.run(["npm", "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund",
                                   "--loglevel=error"], capture_output=True, text=True, timeout=900)
            _js_installed = proc.returncode == 0
            if not _js_installed:
                print(f"npm ci --prefix tests/js failed:\n{proc.stderr[-2000:]}")
    return modules


def _pg_admin() -> Any:
    import psycopg

    try:
        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True,
                               connect_timeout=5)
    except Exception as exc:  # pragma: no cover - depends on the machine
        unreachable(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
        raise


def _my_admin(database: str | None = None) -> Any:
    import pymysql

    try:
        return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=database,
                               autocommit=True, charset="utf8mb4", connect_timeout=5)
    except Exception as exc:  # pragma: no cover - depends on the machine
        unreachable(f"MariaDB on 127.0.0.1:3306 is not reachable: {exc}")
        raise


@dataclass
class TestDB:
    """One fresh database: its URL for refint, and raw DB-API access for the test's own setup.

    A Spark TestDB (``spark-files``, ``spark-catalog``) is set up through a DuckDB file, its staging
    copy: ``run`` executes the script there, then every table is written to Parquet files and, for the
    catalog, saved as a managed table (tests/spark_db.py); ``query`` reads the staging copy."""

    __test__ = False
    engine: str
    url: str
    name: str
    path: Path | None = None
    _conns: list[Any] = field(default_factory=list)
    #: Spark only: the folder of Parquet files, and the test run's SparkRun
    folder: Path | None = None
    spark: Any = None
    #: Spark only: the DuckDB file the test's SQL runs on (``path`` stays None: not a target)
    staging_path: Path | None = None

    @property
    def staging(self) -> str:
        """The engine the test's SQL runs on: a Spark TestDB stages its tables in DuckDB."""
        return "duckdb" if self.engine in SPARK_ENGINES else self.engine

    def connect(self, **kwargs: Any) -> Any:
        """``refint.connect`` on this database, in the form its engine takes."""
        import refint

        if self.engine == "spark-files":
            return refint.connect(self.folder, engine="spark", **kwargs)
        if self.engine == "spark-catalog":
            return refint.connect(self.spark.session, schemas=[self.name], **kwargs)
        return refint.connect(self.url, **kwargs)

    def cli_target(self) -> list[str]:
        """TARGET (and the options that say how to read it) for ``refint COMMAND``."""
        if self.engine == "spark-files":
            return [str(self.folder), "--engine", "spark"]
        if self.engine == "spark-catalog":  # the Connect server in the test run's JVM
            return [self.spark.connect_url, "--schema", self.name]
        return [str(self.path) if self.path else self.url]

    def dbapi(self, **kwargs: Any) -> Any:
        """A new raw connection (autocommit where the driver has it), closed at teardown."""
        if self.engine in SPARK_ENGINES:
            import duckdb

            conn: Any = duckdb.connect(str(self.staging_path), **kwargs)
        elif self.engine == "sqlite":
            assert self.path is not None
            conn = sqlite3.connect(self.path, isolation_level=None, **kwargs)
        elif self.engine == "postgresql":
            import psycopg

            conn = psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={self.name}", autocommit=True,
                                   **kwargs)
        elif self.engine == "mariadb":
            conn = _my_admin(self.name)
        elif self.engine == "duckdb":
            import duckdb

            conn = duckdb.connect(str(self.path), **kwargs)
        else:  # pragma: no cover
            raise ValueError(self.engine)
        self._conns.append(conn)
        return conn

    def run(self, sql: str) -> None:
        """Run a script of statements separated by ';' lines (DDL and data for the test)."""
        conn = self.dbapi()
        try:
            if self.engine == "sqlite":
                conn.executescript(sql)
            elif self.staging == "duckdb":
                conn.execute(sql)
            else:
                cur = conn.cursor()
                for stmt in split_sql(sql):
                    cur.execute(stmt)
                    if self.engine == "mariadb":
                        while cur.nextset():
                            pass
        finally:
            conn.close()
            self._conns.remove(conn)
        if self.engine in SPARK_ENGINES:
            from tests.spark_db import publish

            publish(self)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        conn = self.dbapi()
        try:
            cur = conn.cursor() if self.staging != "duckdb" else conn
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            conn.close()
            self._conns.remove(conn)

    def close_all(self) -> None:
        for conn in self._conns:
            try:
                conn.close()
            except Exception:
                pass
        self._conns.clear()


def split_sql(script: str) -> list[str]:
    """Split on semicolons outside quotes and comments (enough for test fixtures)."""
    out, buf, quote, i = [], [], "", 0
    while i < len(script):
        ch = script[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            buf.append(ch)
        elif script.startswith("--", i):
            j = script.find("\n", i)
            i = len(script) if j < 0 else j
            continue
        elif ch == ";":
            stmt = "".join(buf).strip()
            if stmt:
                out.append(stmt)
            buf = []
        else:
            buf.append(ch)
        i += 1
    stmt = "".join(buf).strip()
    if stmt:
        out.append(stmt)
    return out


def _new_name() -> str:
    return "refint_t_" + uuid.uuid4().hex[:10]


@pytest.fixture
def make_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Factory: ``make_db("postgresql")`` -> a fresh TestDB, dropped at teardown."""
    created: list[TestDB] = []

    def factory(engine: str) -> TestDB:
        name = _new_name()
        if engine in SPARK_ENGINES:
            from tests.spark_db import new_spark_db

            db = new_spark_db(engine, name, tmp_path, request.getfixturevalue("spark"))
        elif engine == "sqlite":
            path = tmp_path / f"{name}.db"
            sqlite3.connect(path).close()
            db = TestDB(engine, f"sqlite:///{path}", name, path)
        elif engine == "duckdb":
            import duckdb

            path = tmp_path / f"{name}.duckdb"
            duckdb.connect(str(path)).close()
            db = TestDB(engine, f"duckdb:///{path}", name, path)
        elif engine == "postgresql":
            admin = _pg_admin()
            with admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            db = TestDB(engine, f"postgresql://postgres@127.0.0.1:5432/{name}", name)
        elif engine == "mariadb":
            admin = _my_admin()
            try:
                admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            finally:
                admin.close()
            db = TestDB(engine, f"mariadb://root@127.0.0.1:3306/{name}", name)
        else:
            raise ValueError(engine)
        created.append(db)
        return db

    yield factory
    for db in created:
        db.close_all()
        if db.engine == "spark-catalog":
            db.spark.session.sql(f"DROP DATABASE IF EXISTS `{db.name}` CASCADE")
        elif db.engine == "postgresql":
            admin = _pg_admin()
            with admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        elif db.engine == "mariadb":
            admin = _my_admin()
            try:
                admin.cursor().execute(f"DROP DATABASE IF EXISTS `{db.name}`")
            finally:
                admin.close()


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(make_db: Any, engine_name: str) -> TestDB:
    """A fresh database on each engine in turn."""
    result: TestDB = make_db(engine_name)
    return result


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent")
    return CORPUS


# -- Spark: one local[2] session per test run, with a Spark Connect server in the same JVM -----------------

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SparkRun:
    """The test run's Spark: a classic session and the ``sc://`` URL of the Connect server beside it."""

    __test__ = False
    session: Any
    connect_url: str | None


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkRun]:
    """A classic ``local[2]`` session for the whole run (a JVM start costs seconds), stopped at the end.

    The Spark Connect server runs as a plugin of the same application (pyspark's wheel carries it since
    4.0), so Connect clients in subprocesses see the same Spark context, its global temporary views and
    its jobs. The test process itself never opens ``sc://``: pyspark would switch it to Connect mode.
    """
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        unreachable("pyspark is not installed (pip install -e '.[test,spark]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        unreachable("Spark needs Java 17 or later: none on PATH or in JAVA_HOME")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    port = _free_port()
    builder = (SparkSession.builder.master("local[2]").appName("refint-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
               .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
               .config("spark.connect.grpc.binding.address", "127.0.0.1")
               .config("spark.connect.grpc.binding.port", str(port)))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pragma: no cover - depends on the machine
        unreachable(f"cannot start a local Spark session: {exc}")
        raise
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield SparkRun(session, f"sc://127.0.0.1:{port}")
    finally:
        session.stop()
