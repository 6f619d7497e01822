"""refint.connect() takes URLs, paths and the connections users already hold, and never closes those."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

import refint
from refint.errors import InvalidTarget

BASE = """
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER{inline});
INSERT INTO parent VALUES (1);
INSERT INTO child VALUES (1, 1), (2, 42);
"""
ADD_FK = {  # an orphan (42) planted the way users get one on each engine
    "sqlite": "",
    "postgresql": "ALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;",
    "mariadb": "SET FOREIGN_KEY_CHECKS = 0; ALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent (id);",
}


def schema(engine: str) -> str:
    inline = " REFERENCES parent (id)" if engine == "sqlite" else ""
    return BASE.format(inline=inline) + ADD_FK[engine]


def fk_summary(db: refint.Database) -> list[tuple[str, tuple[str, ...], str]]:
    return [(t.name, fk.columns, fk.referred_table) for t, fk in db.inspect().foreign_keys]


def check_counts(db: refint.Database) -> int:
    return sum(v.count for v in db.check(kinds=["foreign_key"]).violations)


def test_sqlite3_connection_stays_open_and_in_its_transaction(make_db: Any) -> None:
    tdb = make_db("sqlite")
    tdb.run(schema("sqlite"))
    raw = sqlite3.connect(tdb.path)
    raw.execute("INSERT INTO child VALUES (3, 43)")  # opens a transaction the caller owns
    assert raw.in_transaction
    with refint.connect(raw) as db:
        assert db.name == "sqlite"
        assert fk_summary(db) == [("child", ("parent_id",), "parent")]
        assert check_counts(db) == 2  # sees the caller's uncommitted row
    assert raw.in_transaction, "refint must not end the caller's transaction"
    raw.rollback()
    assert raw.execute("SELECT count(*) FROM child").fetchone() == (2,)
    raw.close()


@pytest.mark.parametrize("module", ["psycopg", "psycopg2"])
def test_postgres_connections(make_db: Any, module: str) -> None:
    tdb = make_db("postgresql")
    tdb.run(schema("postgresql"))
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={tdb.name}"
    if module == "psycopg":
        import psycopg

        raw: Any = psycopg.connect(dsn)
    else:
        import psycopg2

        raw = psycopg2.connect(dsn)
    with refint.connect(raw) as db:  # idle connection: refint runs and ends its own read-only transaction
        assert db.name == "postgresql"
        assert fk_summary(db) == [("child", ("parent_id",), "parent")]
        assert check_counts(db) == 1
    cur = raw.cursor()
    cur.execute("INSERT INTO parent VALUES (2)")  # the caller's own open transaction
    cur.execute("UPDATE child SET parent_id = 2 WHERE id = 2")
    with refint.connect(raw) as db:
        assert check_counts(db) == 0  # sees the caller's uncommitted fix
    cur.execute("SELECT count(*) FROM parent")
    assert cur.fetchone()[0] == 2, "the caller's transaction must survive"
    raw.rollback()
    assert not raw.closed
    cur = raw.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone()[0] == 1
    raw.close()


def test_psycopg2_url(make_db: Any) -> None:
    tdb = make_db("postgresql")
    tdb.run(schema("postgresql"))
    with refint.connect(tdb.url.replace("postgresql://", "postgresql+psycopg2://")) as db:
        assert db.conn.dialect.driver == "psycopg2"
        assert fk_summary(db) == [("child", ("parent_id",), "parent")]


def test_pymysql_connection(make_db: Any) -> None:
    import pymysql

    tdb = make_db("mariadb")
    tdb.run(schema("mariadb"))
    raw = pymysql.connect(host="127.0.0.1", user="root", password="", database=tdb.name)
    with refint.connect(raw) as db:
        assert db.name == "mariadb"
        assert fk_summary(db) == [("child", ("parent_id",), "parent")]
    assert raw.open
    raw.close()


def test_duckdb_connection(make_db: Any) -> None:
    import duckdb

    tdb = make_db("duckdb")
    tdb.run("CREATE TABLE parent (id INTEGER PRIMARY KEY); "
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));")
    raw = duckdb.connect(str(tdb.path))
    with refint.connect(raw) as db:
        assert db.name == "duckdb"
        assert [(t, c, p) for t, c, p in fk_summary(db)] == [("child", ("parent_id",), "parent")]
    assert raw.execute("SELECT 42").fetchone() == (42,)
    raw.close()


def test_sqlalchemy_engine_and_connection(make_db: Any) -> None:
    tdb = make_db("sqlite")
    tdb.run(schema("sqlite"))
    engine = sa.create_engine(f"sqlite:///{tdb.path}")
    with refint.connect(engine) as db:
        assert fk_summary(db) == [("child", ("parent_id",), "parent")]
    with engine.connect() as conn:
        with refint.connect(conn) as db:
            assert check_counts(db) == 1
        assert not conn.closed
        assert conn.execute(sa.text("SELECT count(*) FROM parent")).scalar() == 1
    engine.dispose()


def test_unknown_object() -> None:
    with pytest.raises(InvalidTarget):
        refint.connect(object())


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_read_only_transaction_refuses_writes(make_db: Any, engine: str) -> None:
    tdb = make_db(engine)
    tdb.run(schema(engine))
    with refint.connect(tdb.url) as db:
        with db.engine.read_only():
            with pytest.raises(sa.exc.DBAPIError):
                db.engine.exec("INSERT INTO parent (id) VALUES (7)")
    assert tdb.query("SELECT count(*) FROM parent") == [(1,)]
