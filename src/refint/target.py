"""Turn whatever the user hands us (URL, file path, open connection) into a SQLAlchemy connection.

Rules (CONTRACT.md): bare ``postgresql://`` uses psycopg 3, ``mysql://`` and ``mariadb://`` use PyMySQL,
a path ending in ``.duckdb`` opens with DuckDB and any other existing file with SQLite. A path that does
not exist is an error: we never create an empty SQLite file by accident. A connection the user already
holds is wrapped, never closed, and its transaction is never rolled back behind the user's back.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refint.errors import ConnectionFailed, InvalidTarget

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.direct import DirectConnection

DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
SQLITE_SUFFIXES = {".db", ".sqlite", ".sqlite3", ".db3"}
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class Opened:
    """A live connection plus what we must (and must not) clean up."""

    conn: sa.Connection | DirectConnection
    engine: sa.Engine | None  # an engine we created and must dispose
    close_conn: bool  # whether closing ``conn`` is ours to do
    display: str  # the target, password hidden
    borrowed: bool = False  # the DB-API connection is the caller's

    def close(self) -> None:
        if self.close_conn:
            self.conn.close()
        if self.engine is not None:
            self.engine.dispose()


#: passwords of the targets this process opened: every message refint prints is scrubbed of them
_SECRETS: set[str] = set()


def redact(text: str, secret: str | None) -> str:
    """Remove a password from any text we might print (driver messages sometimes echo the DSN).

    Besides ``secret``, every password of a target opened in this process is removed, raw and
    percent-encoded; and any ``scheme://user:...@`` left is masked up to the *last* ``@`` of the URL
    (a raw ``@`` in a password must not leak its tail), as is a ``password=`` option.
    """
    from urllib.parse import quote

    for s in sorted(({secret} if secret else set()) | _SECRETS, key=len, reverse=True):
        for form in {s, quote(s, safe="")}:
            text = text.replace(form, "***")
    text = re.sub(r"(://[^:/@\s]*:)\S*@", r"\1***@", text)
    return re.sub(r"(\bpassword=)[^&\s]*", r"\1***", text, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Credentials:
    """A server URL read with the userinfo ending at its *last* ``@`` (before any ``?query``)."""

    url: str  # user and password percent-encoded: what drivers and SQLAlchemy parse unambiguously
    display: str  # the URL with the password as ``***``
    password: str | None


def split_credentials(target: str) -> Credentials:
    """Read ``scheme://user:password@host...`` the way a person wrote it.

    Passwords are often pasted raw: ``p@ss:w/rd#9``. A URL parser (urllib, libpq, SQLAlchemy) ends the
    userinfo at the first ``@``, ``/`` or ``#`` and so reads part of the password as the host, the
    database or a fragment, and echoes that part in its messages. refint takes the userinfo as
    everything before the last ``@`` (a user name holds no ``:`` or ``/``; the first ``:`` ends it),
    percent-decodes it (a valid ``%XX`` is an escape, URL rules; any other ``%`` is kept) and hands the
    driver a URL with both parts re-encoded. File URLs (SQLite, DuckDB) carry no credentials.
    """
    from urllib.parse import quote, unquote

    scheme, rest = target.split("://", 1)
    if scheme.lower().startswith(("sqlite", "duckdb")):
        return Credentials(target, target, None)
    at = rest.split("?", 1)[0].rfind("@")
    userinfo, after = rest[:at], rest[at + 1:]
    if at < 0 or (":" not in userinfo and "/" in userinfo):  # no userinfo; an '@' in the path
        return Credentials(target, redact(target, None), None)
    user, sep, raw_password = userinfo.partition(":")
    user = unquote(user)
    password = unquote(raw_password) if sep else None
    if password:
        _SECRETS.add(password)
    encoded = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "")
    shown = quote(user, safe="") + (":***" if password is not None else "")
    return Credentials(f"{scheme}://{encoded}@{after}", redact(f"{scheme}://{shown}@{after}", None), password)


def open_target(target: Any, *, readonly: bool = False) -> Opened:
    """Open a URL, path, DB-API connection, SQLAlchemy Engine or Connection."""
    if target is None:
        target = os.environ.get("REFINT_URL")
        if not target:
            raise InvalidTarget("no target given and REFINT_URL is not set")
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, str):
        return _open_string(target, readonly=readonly)
    return _open_object(target)


def _open_string(target: str, *, readonly: bool) -> Opened:
    if "://" not in target:
        return _open_path(target, readonly=readonly)
    if target.startswith("sc://"):  # Spark Connect (docs/spark.md)
        from refint.engines.spark import connect_url

        return connect_url(target)
    creds = split_credentials(target)
    target, shown = creds.url, creds.display
    scheme = target.split("://", 1)[0].lower()
    if readonly and scheme in ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql"):
        # read-only work on MySQL/MariaDB runs on PyMySQL itself: no SQLAlchemy import (refint.direct)
        from refint.direct import open_mysql

        password = None
        try:
            opened = open_mysql(target)
        except Exception as exc:
            from urllib.parse import unquote, urlsplit

            try:
                password = unquote(urlsplit(target).password or "") or None
            except ValueError:
                password = None
            raise ConnectionFailed(redact(_connection_message(exc), password)) from None
        if opened is not None:
            return Opened(opened[0], None, True, shown)
    if readonly and scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        from refint.direct import open_postgres

        try:
            found = open_postgres(target)
        except Exception as exc:
            from urllib.parse import unquote, urlsplit

            try:
                secret = unquote(urlsplit(target).password or "") or None
            except ValueError:
                secret = None
            raise ConnectionFailed(redact(_connection_message(exc), secret)) from None
        if found is not None:
            return Opened(found[0], None, True, shown)
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    try:
        url = make_url(target)
    except Exception:
        raise InvalidTarget(f"malformed database URL: {shown}") from None
    display = shown
    scheme = url.drivername
    if scheme in DEFAULT_DRIVERS:
        url = url.set(drivername=DEFAULT_DRIVERS[scheme])
    backend = url.get_backend_name()
    if backend == "sqlite":
        db = url.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            return _open_path(db, readonly=readonly, display=display)
    if backend == "duckdb":
        db = url.database or ""
        if db and db != ":memory:":
            return _open_path(db, readonly=readonly, display=display, force="duckdb")
    try:
        url.get_dialect()
    except Exception as exc:
        raise InvalidTarget(f"unknown database scheme or missing driver in {display!r}: {_first_line(exc)}") from None
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["connect_timeout"] = 10
        connect_args["application_name"] = "refint"
    elif backend in ("mysql", "mariadb"):
        connect_args["connect_timeout"] = 10
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
    try:
        engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
    except ImportError as exc:
        raise InvalidTarget(f"missing driver for {display!r}: {exc}") from None
    return Opened(_connect(engine, url.password), engine, True, display)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(orig).__name__


def _connect(engine: sa.Engine, password: str | None) -> sa.Connection:
    try:
        return engine.connect()
    except Exception as exc:
        msg = _connection_message(exc)
        raise ConnectionFailed(redact(msg, password)) from None


def _connection_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    # psycopg: 'connection failed: connection to server at "127.0.0.1", port 5439 failed: Connection refused ...'
    text = re.sub(r"\s*Is the server running on that host and accepting TCP/IP connections\?", "", text)
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = f"({args[0]}) {args[1]}"  # PyMySQL: (1045, "Access denied for user ...")
    return f"cannot connect: {text}" if text else f"cannot connect: {type(orig).__name__}"


def _sniff(path: Path) -> str:
    if path.suffix.lower() == ".duckdb":
        return "duckdb"
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InvalidTarget(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC) or (not head and path.suffix.lower() in SQLITE_SUFFIXES):
        return "sqlite"
    if len(head) >= 12 and head[8:12] == b"DUCK":
        return "duckdb"
    raise InvalidTarget(f"{path} is neither a SQLite nor a DuckDB database file")


def _open_path(target: str, *, readonly: bool, display: str | None = None, force: str | None = None) -> Opened:
    """A database file. Read-only, it opens on the driver itself (refint.direct: no SQLAlchemy import,
    0.15-0.35 s of a short check); to write, through SQLAlchemy like every other target."""
    path = Path(target).expanduser()
    if not path.exists():
        raise InvalidTarget(f"no such database file: {target}")
    if path.is_dir():
        raise InvalidTarget(f"{target} is a directory, not a database file")
    kind = force or _sniff(path)
    display = display or str(path)
    if kind == "duckdb":
        if readonly:
            from refint.direct import open_duckdb

            try:
                return Opened(open_duckdb(str(path.resolve()), read_only=True), None, True, display)
            except Exception as exc:
                raise ConnectionFailed(_connection_message(exc)) from None
        import sqlalchemy as sa

        engine = sa.create_engine(
            "duckdb:///" + str(path.resolve()),
            connect_args={"read_only": readonly},
            poolclass=sa.pool.NullPool,
        )
        return Opened(_connect(engine, None), engine, True, display)
    import sqlite3
    from urllib.parse import quote

    mode = "ro" if readonly else "rw"
    uri = f"file:{quote(str(path.resolve()))}?mode={mode}"
    if readonly:
        from refint.direct import open_sqlite

        try:
            return Opened(open_sqlite(uri), None, True, display)
        except sqlite3.Error as exc:
            raise ConnectionFailed(_connection_message(exc)) from None
    import sqlalchemy as sa

    def creator() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    engine = sa.create_engine("sqlite://", creator=creator, poolclass=sa.pool.NullPool)
    return Opened(_connect(engine, None), engine, True, display)


def _open_object(obj: Any) -> Opened:
    """Wrap a connection the user already holds. We never close it nor reset its transaction."""
    from refint.engines.spark import is_session

    if is_session(obj):  # a SparkSession, classic or Spark Connect: never stopped by refint
        from refint.engines.spark import borrow

        return borrow(obj)
    import sqlalchemy as sa

    if isinstance(obj, sa.Connection):
        return Opened(obj, None, False, obj.engine.url.render_as_string(hide_password=True), borrowed=True)
    if isinstance(obj, sa.Engine):
        return Opened(_connect(obj, obj.url.password), None, True, obj.url.render_as_string(hide_password=True))
    module = type(obj).__module__.split(".")[0]
    url = _dbapi_url(obj, module)
    raw = obj
    if url == "duckdb://":
        import duckdb_engine  # its dialect expects its own wrapper around the duckdb connection

        raw = duckdb_engine.ConnectionWrapper(obj)
    engine = sa.create_engine(
        url,
        creator=lambda: raw,
        poolclass=sa.pool.StaticPool,
        pool_reset_on_return=None,
    )
    # SQLAlchemy rolls back after its first-connect checks and when a Connection closes; on a borrowed
    # connection either would end the caller's transaction. So this engine never rolls back by itself:
    # Engine.read_only() ends the transactions refint began with an explicit DB-API rollback.
    engine.dialect.do_rollback = lambda dbapi_connection: None  # type: ignore[method-assign]
    conn = _connect(engine, None)
    # The pool must never close the user's DB-API connection: we drop our engine without disposing it.
    return Opened(conn, None, True, f"<{module} connection>", borrowed=True)


def _dbapi_url(obj: Any, module: str) -> str:
    if module in ("sqlite3", "_sqlite3"):
        return "sqlite://"
    if module == "psycopg":
        return "postgresql+psycopg://"
    if module == "psycopg2":
        return "postgresql+psycopg2://"
    if module == "pymysql":
        version = getattr(obj, "server_version", "") or ""
        return "mariadb+pymysql://" if "mariadb" in str(version).lower() else "mysql+pymysql://"
    if module in ("duckdb", "_duckdb"):
        return "duckdb://"
    raise InvalidTarget(
        f"unsupported connection object {type(obj).__module__}.{type(obj).__name__}: "
        "pass a URL, a file path, a DB-API connection (sqlite3, psycopg, psycopg2, PyMySQL, duckdb) "
        "or a SQLAlchemy Engine/Connection"
    )
