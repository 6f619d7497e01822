"""A connection without SQLAlchemy for read-only work on SQLite, DuckDB and MySQL/MariaDB (PyMySQL).

Importing SQLAlchemy (and duckdb_engine, which pulls in more) costs 0.15-0.35 s: most of a
``refint check`` of a file whose queries take half a second (benchmarks/RESULTS.md, issue 3). The
read-only verbs on a file or a folder therefore run on :class:`DirectConnection`, the small part of
``sqlalchemy.Connection`` that the engines use (``execute``/``exec_driver_sql`` with ``:name`` binds,
``begin``/``rollback``/``in_transaction``, the dialect's identifier quoting), straight on the driver.
The transaction rules are SQLAlchemy's own for these drivers: ``begin`` only marks a transaction on
sqlite3 (pysqlite starts one by itself before a write) and begins one on DuckDB.

Driver errors come out as :class:`DriverError` carrying the driver's exception as ``orig``, the shape of
SQLAlchemy's ``DBAPIError`` that the rest of refint reads. ``Database.conn`` still hands out a real
SQLAlchemy connection on request, built around the same driver connection (:meth:`as_sqlalchemy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

#: SQLAlchemy's own rule for ``:name`` binds in ``text()`` (not ``::type`` casts, not ``\\:``)
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class DriverError(Exception):
    """A driver error raised by a statement refint ran; ``orig`` is the driver's exception."""

    def __init__(self, orig: BaseException, statement: str) -> None:
        super().__init__(str(orig))
        self.orig = orig
        self.statement = statement


class _Preparer:
    def __init__(self, quote: str) -> None:
        self.q = quote

    def quote_identifier(self, ident: str) -> str:
        """SQLite and DuckDB quote with double quotes, MySQL with backticks; embedded ones doubled."""
        return self.q + ident.replace(self.q, self.q * 2) + self.q


class DirectDialect:
    """What refint reads of a SQLAlchemy dialect: its name, version and identifier quoting."""

    def __init__(self, name: str, version: tuple[int, ...] | None = None, *, is_mariadb: bool = False) -> None:
        self.name = name
        self.server_version_info = version
        self.is_mariadb = is_mariadb
        self.identifier_preparer = _Preparer("`" if name == "mysql" else '"')


class Result:
    """The part of ``CursorResult`` refint uses, over a DB-API cursor."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    all = fetchall

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchmany(self, size: int) -> list[Any]:
        return list(self._cursor.fetchmany(size))

    def first(self) -> Any:
        return self._cursor.fetchone()

    def scalar(self) -> Any:
        row = self._cursor.fetchone()
        return None if row is None else row[0]

    def __iter__(self) -> Iterator[Any]:
        while True:
            rows = self._cursor.fetchmany(1000)
            if not rows:
                return
            yield from rows


class _Pooled:
    """``Connection.connection``: SQLAlchemy's pool proxy, whose ``dbapi_connection`` is the driver's."""

    def __init__(self, raw: Any) -> None:
        self.dbapi_connection = raw


class ServerLink:
    """``Connection.engine`` for a server target: the URL's parts, and new connections like the first."""

    def __init__(self, connect: Any, host: str | None, port: int | None, username: str | None,
                 password: str | None, database: str | None) -> None:
        self._connect = connect
        self.url = self  # refint reads engine.url.host/.port/.username/.password
        self.host, self.port, self.username, self.password, self.database = host, port, username, password, database

    def raw_connection(self) -> Any:
        return self._connect()


class DirectConnection:
    """A read-only driver connection (sqlite3, duckdb, PyMySQL) with the Connection API refint needs."""

    def __init__(self, raw: Any, kind: str, *, link: ServerLink | None = None) -> None:
        self.raw = raw
        self.kind = kind  # "sqlite", "duckdb", "mysql" or "postgresql"
        if kind == "mysql":
            info = str(raw.get_server_info())
            self.dialect = DirectDialect(kind, _version(info), is_mariadb="mariadb" in info.lower())
        elif kind == "postgresql":  # 150019 -> (15, 19), as SQLAlchemy reads it
            number = int(raw.info.server_version)
            self.dialect = DirectDialect(kind, (number // 10000, number % 10000))
        else:
            self.dialect = DirectDialect(kind, _sqlite_version() if kind == "sqlite" else None)
        self.connection = _Pooled(raw)
        self.engine = link
        #: a statement was interrupted (Ctrl-C): the driver's state is unknown, as SQLAlchemy
        #: invalidates its connection then; nothing more runs on it, rollback and close only let go
        self.invalidated = False
        self._in_tx = False
        self._sa: Any = None  # the SQLAlchemy engine of as_sqlalchemy(), built on request
        #: SQLite: true ends a wait for a writer's lock (Ctrl-C caught by the engine, --timeout)
        self.busy_stop: Any = None

    # -- transactions (SQLAlchemy's semantics for these two drivers) ------------------------------------
    def in_transaction(self) -> bool:
        """Ours, or one the SQLAlchemy connection of :meth:`as_sqlalchemy` began on the same driver
        connection (then refint reads inside it and leaves it open, as with a borrowed connection)."""
        return self._in_tx or (self._sa is not None and bool(self._sa.in_transaction()))

    def begin(self) -> None:
        if self.kind == "duckdb":  # duckdb_engine's do_begin; sqlite3 begins by itself before a write
            self._run(lambda: self.raw.begin(), "BEGIN")
        self._in_tx = True

    def _autobegin(self) -> None:
        if not self._in_tx:
            self.begin()

    def rollback(self) -> None:
        self._in_tx = False
        if self.invalidated:
            return
        try:
            self._run(lambda: self.raw.rollback(), "ROLLBACK")
        except DriverError as exc:  # as duckdb_engine's do_rollback: nothing to roll back is fine
            if "no transaction is active" not in str(exc):
                raise

    def commit(self) -> None:
        self._in_tx = False
        self._run(lambda: self.raw.commit(), "COMMIT")

    def close(self) -> None:
        self._in_tx = False
        try:
            self.raw.close()
        except Exception:
            if not self.invalidated:
                raise

    # -- statements ------------------------------------------------------------------------------------
    def exec_driver_sql(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        """Driver-level SQL: the driver's own placeholders, no translation."""
        self._autobegin()
        result: Result = self._run(lambda: self._execute(sql, params), sql)
        return result

    def execute(self, clause: Any, params: Mapping[str, Any] | None = None) -> Result:
        """SQL with ``:name`` binds, as SQLAlchemy's ``text()`` takes it (a ``TextClause`` works too)."""
        sql = clause if isinstance(clause, str) else str(getattr(clause, "text", clause))
        params = dict(params or {})
        if self.kind in ("mysql", "postgresql"):  # pyformat, as SQLAlchemy compiles text(): % doubled
            sql = _BIND.sub(lambda m: "%(" + m.group(1) + ")s", sql.replace("%", "%%"))
            self._autobegin()
            formatted: Result = self._run(lambda: self._execute(sql, params), sql)
            return formatted
        if self.kind == "duckdb":
            names = set(_BIND.findall(sql))
            sql = _BIND.sub(lambda m: "$" + m.group(1), sql)
            params = {k: v for k, v in params.items() if k in names}  # DuckDB refuses unused ones
        self._autobegin()
        result: Result = self._run(lambda: self._execute(sql, params or None), sql)
        return result

    def _execute(self, sql: str, params: Any) -> Result:
        if self.kind == "duckdb":
            # DuckDB's cursor() is a second connection outside this transaction: run on the connection
            cursor = self.raw.execute(sql, params) if params is not None else self.raw.execute(sql)
            return Result(cursor)
        cursor = self.raw.cursor()
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, params)
        return Result(cursor)

    def _run(self, fn: Any, sql: str) -> Any:
        if self.invalidated:
            raise DriverError(RuntimeError("the connection was invalidated by an interrupted statement"), sql)
        try:
            if self.kind == "sqlite":  # writers may hold the lock for a moment: wait for them
                from refint.engines.sqlite_locks import retry_busy

                return retry_busy(fn, stop=self.busy_stop)
            return fn()
        except KeyboardInterrupt:
            self.invalidated = True
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("sqlite3", "_sqlite3", "duckdb", "_duckdb", "pymysql", "psycopg"):
                if self.kind == "sqlite":
                    from refint.engines.sqlite_locks import hot_journal, main_file

                    stuck = hot_journal(exc, main_file(self.raw))
                    if stuck is not None:
                        raise stuck from None
                raise DriverError(exc, sql) from exc
            raise

    # -- a real SQLAlchemy connection, for callers of Database.conn ---------------------------------------
    def as_sqlalchemy(self) -> Any:
        """A ``sqlalchemy.Connection`` on the same driver connection (it shares the transaction).

        Like a borrowed connection (target.py): SQLAlchemy never rolls back or closes it by itself.
        """
        import sqlalchemy as sa

        if self._sa is None:
            raw = self.raw
            url = f"{self.kind}://"
            if self.kind == "duckdb":
                import duckdb_engine

                raw = duckdb_engine.ConnectionWrapper(raw)
            elif self.kind == "mysql":
                url = "mariadb+pymysql://" if self.dialect.is_mariadb else "mysql+pymysql://"
            elif self.kind == "postgresql":
                url = "postgresql+psycopg://"
            engine = sa.create_engine(url, creator=lambda: raw, poolclass=sa.pool.StaticPool,
                                      pool_reset_on_return=None)
            engine.dialect.do_rollback = lambda dbapi_connection: None  # type: ignore[method-assign]
            self._sa = engine.connect()
        return self._sa


def _version(info: str) -> tuple[int, ...]:
    """``10.11.19-MariaDB-0+deb12u1`` -> (10, 11, 19); MariaDB's old ``5.5.5-`` prefix skipped."""
    import re as _re

    info = _re.sub(r"^5\.5\.5-", "", info)
    return tuple(int(p) for p in _re.findall(r"\d+", info.split("-")[0])[:3])


def _sqlite_version() -> tuple[int, ...]:
    import sqlite3

    return sqlite3.sqlite_version_info


def open_sqlite(uri: str) -> DirectConnection:
    import sqlite3

    from refint.engines.sqlite_locks import BUSY_TIMEOUT_MS

    # a short busy timeout: DirectConnection retries a statement that met a writer's lock (sqlite_locks)
    raw = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    return DirectConnection(raw, "sqlite")


def open_duckdb(path: str, *, read_only: bool) -> DirectConnection:
    import duckdb

    return DirectConnection(duckdb.connect(path, read_only=read_only), "duckdb")


def wrap_duckdb(con: Any) -> DirectConnection:
    return DirectConnection(con, "duckdb")


def open_mysql(url: str) -> tuple[DirectConnection, str, str | None] | None:
    """A MySQL/MariaDB URL opened with PyMySQL itself: (connection, display, password), or None when the
    URL carries options refint leaves to SQLAlchemy (anything in the query string but ``charset``)."""
    from urllib.parse import parse_qs, unquote, urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    query = parse_qs(parts.query)
    if set(query) - {"charset"} or parts.fragment:
        return None
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    host = parts.hostname
    database = unquote(parts.path[1:]) if len(parts.path) > 1 else None
    if database is not None and "/" in database:
        return None
    charset = query.get("charset", ["utf8mb4"])[-1]
    netloc = parts.netloc.rsplit("@", 1)[-1]
    display = f"{parts.scheme}://" + (f"{user}:***@" if password is not None else f"{user}@" if user else "") \
        + netloc + parts.path

    def connect() -> Any:
        import pymysql

        return pymysql.connect(host=host or "localhost", port=port or 3306, user=user or "",
                               password=password or "", database=database, charset=charset,
                               connect_timeout=10)

    link = ServerLink(connect, host, port, user, password, database)
    return DirectConnection(connect(), "mysql", link=link), display, password


def open_postgres(url: str) -> tuple[DirectConnection, str, str | None] | None:
    """A PostgreSQL URL opened with psycopg 3 itself (libpq reads the URL, options included):
    (connection, display, password), or None for what refint leaves to SQLAlchemy."""
    from urllib.parse import unquote, urlsplit

    scheme, rest = url.split("://", 1)
    try:
        parts = urlsplit("postgresql://" + rest)
        parts.port  # noqa: B018  (a malformed port: let SQLAlchemy's parser say so)
    except ValueError:
        return None
    password = unquote(parts.password) if parts.password is not None else None
    user = unquote(parts.username) if parts.username is not None else None
    netloc = parts.netloc.rsplit("@", 1)[-1]
    display = f"{scheme}://" + (f"{user}:***@" if password is not None else f"{user}@" if user else "") \
        + netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    conninfo = "postgresql://" + rest

    def connect() -> Any:
        import psycopg

        return psycopg.connect(conninfo, connect_timeout=10, application_name="refint")

    link = ServerLink(connect, parts.hostname, parts.port, user, password, unquote(parts.path[1:]) or None)
    return DirectConnection(connect(), "postgresql", link=link), display, password
