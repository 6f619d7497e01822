"""Targets: a new SQLite or DuckDB file, or an empty PostgreSQL or MariaDB database.

Each writer creates the tables, loads batches in one transaction where the engine has transactional
DDL, and on any failure (Ctrl-C included) leaves nothing behind:

- a file is written under a temporary name next to the target and renamed at the end (removed on failure);
- PostgreSQL: bare tables, ``COPY`` of every table, then the keys (``ALTER TABLE ... ADD``), all in one
  transaction: a failure rolls it all back;
- MariaDB: ``CREATE TABLE`` with every key under ``FOREIGN_KEY_CHECKS = 0`` (DDL commits at once there),
  rows in one transaction; on failure the tables refint created are dropped;
- DuckDB checks keys row by row and cannot add one later: tables are created and loaded parents first,
  and a key that closes a cycle is left out (listed in the result).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput, InvalidTarget

if TYPE_CHECKING:
    from refint.check import CheckReport
    from refint.model import Table
    from refint.subset.schema_out import TargetSchema
    from refint.target import Opened

SERVER = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}


def target_kind(to: str) -> tuple[str, str]:
    """(dialect, path or URL) of a ``--to`` value; file URLs become paths."""
    if "://" in to:
        scheme = to.split("://", 1)[0].lower().split("+")[0]
        if scheme in ("sqlite", "duckdb"):
            path = to.split("://", 1)[1]
            path = path[1:] if path.startswith("/") else path
            if not path:
                raise InvalidTarget(f"no file in {to!r}")
            return scheme, path
        if scheme in SERVER:
            return SERVER[scheme], to
        raise InvalidTarget(f"unknown target scheme {scheme!r} (a path, sqlite://, duckdb://, postgresql://, "
                            "mariadb:// or mysql://)")
    return ("duckdb" if to.lower().endswith(".duckdb") else "sqlite"), to


class Writer:
    dialect: str = ""
    display: str = ""

    def create(self, ts: TargetSchema) -> None:
        raise NotImplementedError

    def load(self, t: Table, batches: Iterator[list[tuple[Any, ...]]]) -> int:
        raise NotImplementedError

    def load_copy(self, t: Table, blocks: Iterator[bytes]) -> int:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def check(self) -> CheckReport:
        raise NotImplementedError

    def _check_opened(self, opened: Opened) -> CheckReport:
        from refint.check import check
        from refint.engines import engine_for

        engine = engine_for(opened.conn)
        return check(engine, engine.read_schema())


def _insert(q: Any, t: Table, mark: str) -> str:
    cols = ", ".join(q(c.name) for c in t.columns)
    return f"INSERT INTO {q(t.name)} ({cols}) VALUES ({', '.join([mark] * len(t.columns))})"


def _dq(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _bq(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class FileWriter(Writer):
    """A new SQLite or DuckDB file, written under a temporary name and renamed when complete."""

    def __init__(self, dialect: str, path: str, force: bool) -> None:
        self.dialect, self.path = dialect, Path(path).expanduser()
        self.display = str(path)
        if self.path.is_dir():
            raise InvalidTarget(f"{path} is a directory, not a database file")
        if self.path.exists() and not force:
            raise BadInput(f"{path} exists (use --force to replace it)")
        if not self.path.parent.is_dir():
            raise InvalidTarget(f"no such directory: {self.path.parent}")
        suffix = ".duckdb" if dialect == "duckdb" else ".db"
        self.tmp = self.path.with_name(f".{self.path.name}.refint-{os.getpid()}{suffix}")
        self.conn: Any = None

    def create(self, ts: TargetSchema) -> None:
        if self.dialect == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(self.tmp, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")
            self.conn.execute("PRAGMA ignore_check_constraints = ON")  # rows are copied as they are
            self.conn.execute("BEGIN")
        else:
            import duckdb

            self.conn = duckdb.connect(str(self.tmp))
            self.conn.execute("BEGIN TRANSACTION")
        for sql in ts.create:
            self.conn.execute(sql)

    def load(self, t: Table, batches: Iterator[list[tuple[Any, ...]]]) -> int:
        sql = _insert(_dq, t, "?")
        n = 0
        for rows in batches:
            self.conn.executemany(sql, rows)
            n += len(rows)
        return n

    def finish(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()
        self.conn = None

    def check(self) -> CheckReport:
        from refint.target import open_target

        opened = open_target(str(self.tmp), readonly=True)
        try:
            return self._check_opened(opened)
        finally:
            opened.close()

    def commit_file(self) -> None:
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None
        for p in (self.tmp, Path(str(self.tmp) + ".wal"), Path(str(self.tmp) + "-journal")):
            try:
                p.unlink()
            except FileNotFoundError:
                pass


class ServerWriter(Writer):
    """An empty PostgreSQL or MariaDB database."""

    def __init__(self, dialect: str, url: str) -> None:
        from refint.engines import engine_for
        from refint.target import open_target

        self.dialect = dialect
        self.opened = open_target(url)
        self.display = self.opened.display
        self.created: list[str] = []
        try:
            self.engine = engine_for(self.opened.conn)
            conn: Any = self.opened.conn
            self.raw: Any = conn.connection.dbapi_connection
            if self.engine.name not in ("postgresql", "mysql", "mariadb"):
                raise InvalidTarget(f"{self.display} is not a PostgreSQL or MariaDB database")
            if dialect == "postgresql":
                sql = ("SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN "
                       "('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'")
            else:
                sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
            cur = self.raw.cursor()
            cur.execute(sql)
            n = int(cur.fetchone()[0])
            if dialect == "mysql":
                cur.execute("SELECT DATABASE()")
                if cur.fetchone()[0] is None:
                    raise BadInput(f"{self.display} names no database")
            cur.close()
            self.raw.rollback()
            if n:
                raise BadInput(f"{self.display} is not empty ({n} tables): subset loads into an empty database")
        except BaseException:
            self.opened.close()
            raise

    def create(self, ts: TargetSchema) -> None:
        self.ts = ts
        cur = self.raw.cursor()
        if self.dialect == "mysql":
            cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
            cur.execute("SET SESSION check_constraint_checks = 0")  # rows are copied as they are
            for sql, t in zip(ts.create, ts.tables):
                cur.execute(sql)
                self.created.append(t.name)
            cur.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
            cur.execute("START TRANSACTION")
        else:
            for sql in ts.create:
                cur.execute(sql)
        cur.close()

    def load(self, t: Table, batches: Iterator[list[tuple[Any, ...]]]) -> int:
        n = 0
        cur = self.raw.cursor()
        if self.dialect == "mysql":
            sql = _insert(_bq, t, "%s")
            for rows in batches:
                cur.executemany(sql, rows)
                n += len(rows)
        else:
            cols = ", ".join(_dq(c.name) for c in t.columns)
            with cur.copy(f"COPY {_dq(t.name)} ({cols}) FROM STDIN") as copy:
                for rows in batches:
                    for row in rows:
                        copy.write_row(row)
                    n += len(rows)
        cur.close()
        return n

    def load_copy(self, t: Table, blocks: Iterator[bytes]) -> int:
        cols = ", ".join(_dq(c.name) for c in t.columns)
        with self.raw.cursor() as cur:
            with cur.copy(f"COPY {_dq(t.name)} ({cols}) FROM STDIN") as copy:
                for block in blocks:
                    copy.write(block)
            return int(cur.rowcount)

    def finish(self) -> None:
        cur = self.raw.cursor()
        if self.dialect == "postgresql":
            for sql in self.ts.after:
                cur.execute(sql)
            for table, name in self.ts.validate:  # rows that break it stay, NOT VALID, for check to report
                cur.execute("SAVEPOINT refint_v")
                try:
                    cur.execute(f"ALTER TABLE {_dq(table)} VALIDATE CONSTRAINT {_dq(name)}")
                    cur.execute("RELEASE SAVEPOINT refint_v")
                except Exception:
                    cur.execute("ROLLBACK TO SAVEPOINT refint_v")
        self.raw.commit()
        if self.dialect == "mysql":
            cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 1")
            cur.execute("SET SESSION check_constraint_checks = 1")
        cur.close()

    def check(self) -> CheckReport:
        return self._check_opened(self.opened)

    def abort(self) -> None:
        try:
            self.raw.rollback()
        except Exception:
            pass
        if self.dialect == "mysql" and self.created:
            try:
                cur = self.raw.cursor()
                cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
                for name in self.created:
                    cur.execute(f"DROP TABLE IF EXISTS {_bq(name)}")
                cur.close()
            except Exception:
                pass
        self.close()

    def close(self) -> None:
        try:
            self.opened.close()
        except Exception:
            pass


def open_writer(to: str, force: bool) -> Writer:
    dialect, where = target_kind(to)
    if dialect in ("sqlite", "duckdb"):
        return FileWriter(dialect, where, force)
    return ServerWriter(dialect, where)
