"""MariaDB engine: refint's model compared with what the server itself reports and does.

Each test builds a fresh database with ``make_db("mariadb")``. Expected values come from the server
(``information_schema``, ``INNODB_SYS_FOREIGN``, error codes, the values it stores) or from the DDL the
test declared, never from the strings refint's own code produces.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa
from pymysql.constants import SERVER_STATUS

import refint
from refint.engines.base import Engine
from refint.engines.mysql import MariaDB, MySQL, quote_literal, upper_type
from refint.model import Action, Match, Schema, Table

ER_READ_ONLY_TRANSACTION = 1792
ER_ROW_IS_REFERENCED = 1451
ER_CHECK_CONSTRAINT_VIOLATED = 4025  # MariaDB's number (MySQL 8 uses 3819)


def inspect(url_or_conn: Any, **kwargs: Any) -> Schema:
    with refint.connect(url_or_conn, **kwargs) as db:
        return db.inspect()


def only(schema: Schema, name: str) -> Table:
    return schema.table(name)


def server_fks(db: Any, schemas: list[str] | None = None) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    """Every FK as the server reports it: (schema, table, name) -> (cols, ref schema, ref table, ref cols,
    DELETE_RULE, UPDATE_RULE)."""
    names = schemas or [db.name]
    inlist = ", ".join("'" + n.replace("'", "''") + "'" for n in names)
    cols: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for s, t, c, col, pos, rs, rt, rc in db.query(
        "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, "
        "REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
        f"FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA IN ({inlist}) "
        "AND REFERENCED_TABLE_NAME IS NOT NULL"
    ):
        cols.setdefault((s, t, c), []).append((pos, col, rs, rt, rc))
    rules = {
        (s, t, c): (d, u)
        for s, t, c, d, u in db.query(
            "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE "
            f"FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN ({inlist})"
        )
    }
    out = {}
    for key, rows in cols.items():
        rows.sort()
        out[key] = (
            tuple(r[1] for r in rows), rows[0][2], rows[0][3], tuple(r[4] for r in rows), *rules[key],
        )
    return out


def refint_fks(schema: Schema) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    return {
        (t.schema or "", t.name, fk.name or ""): (
            fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns, fk.on_delete.value,
            fk.on_update.value,
        )
        for t, fk in schema.foreign_keys
    }


def as_reported(rule: str) -> str:
    """MariaDB's flag-0 'RESTRICT' covers undeclared, RESTRICT and SET DEFAULT: refint reports NO ACTION."""
    return "NO ACTION" if rule == "RESTRICT" else rule


def assert_fks_match_server(db: Any, schema: Schema, schemas: list[str] | None = None) -> None:
    expected = {k: (*v[:4], as_reported(v[4]), as_reported(v[5])) for k, v in server_fks(db, schemas).items()}
    assert refint_fks(schema) == expected


# -- keys ------------------------------------------------------------------------------------------

def test_composite_self_and_multiple_foreign_keys(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE parent (a INT, b VARCHAR(10), label VARCHAR(20), PRIMARY KEY (a, b));
        -- child columns pair with the parent's crosswise: y -> a, x -> b
        CREATE TABLE child (id INT PRIMARY KEY, x VARCHAR(10), y INT,
            CONSTRAINT child_parent FOREIGN KEY (y, x) REFERENCES parent (a, b));
        CREATE TABLE emp (id INT PRIMARY KEY, manager_id INT,
            CONSTRAINT emp_manager FOREIGN KEY (manager_id) REFERENCES emp (id));
        CREATE TABLE language (language_id INT PRIMARY KEY, name CHAR(20) NOT NULL);
        CREATE TABLE film (film_id INT PRIMARY KEY, language_id INT NOT NULL, original_language_id INT,
            CONSTRAINT fk_film_language FOREIGN KEY (language_id) REFERENCES language (language_id),
            CONSTRAINT fk_film_language_original FOREIGN KEY (original_language_id)
                REFERENCES language (language_id));
    """)
    schema = inspect(db.url)
    assert_fks_match_server(db, schema)

    assert schema.engine == "mariadb"
    parent = only(schema, "parent")
    assert parent.primary_key is not None
    assert (parent.primary_key.name, parent.primary_key.columns) == ("PRIMARY", ("a", "b"))
    (fk,) = only(schema, "child").foreign_keys
    assert (fk.name, fk.columns, fk.referred_table, fk.referred_columns) == ("child_parent", ("y", "x"), "parent",
                                                                             ("a", "b"))
    assert (fk.referred_schema, fk.match, fk.deferrable, fk.validated, fk.enforced) == (
        db.name, Match.SIMPLE, False, None, None)
    (self_fk,) = only(schema, "emp").foreign_keys
    assert self_fk.referred == (db.name, "emp")
    film = only(schema, "film")
    assert [f.name for f in film.foreign_keys] == ["fk_film_language", "fk_film_language_original"]
    assert {f.referred_table for f in film.foreign_keys} == {"language"}
    assert len(schema.referencing(only(schema, "language"))) == 2


def test_innodb_creates_an_index_for_each_foreign_key(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));
        CREATE TABLE c (id INT PRIMARY KEY, x INT, y INT, CONSTRAINT c_p FOREIGN KEY (x, y) REFERENCES p (a, b));
    """)
    schema = inspect(db.url)
    assert MariaDB.capabilities.indexes_foreign_keys
    stats = db.query(f"SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
                     f"WHERE TABLE_SCHEMA = '{db.name}' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX")
    expected: dict[tuple[str, str], tuple[list[str], bool]] = {}
    for table, index, non_unique, column in stats:
        expected.setdefault((table, index), ([], non_unique == 0))[0].append(column)
    got = {(t.name, i.name): (list(i.columns), i.unique) for t in schema for i in t.indexes}
    assert got == expected
    # the index InnoDB made for the FK covers its columns in order
    c = only(schema, "c")
    assert any(i.columns[:2] == ("x", "y") for i in c.indexes if i.name != "PRIMARY")


def test_unique_key_and_foreign_key_sharing_a_name(make_db: Any) -> None:
    """InnoDB lets a FK use the unique index of the same name: both constraints must survive."""
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY);
        CREATE TABLE c (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY same (a, b),
            CONSTRAINT same FOREIGN KEY (a) REFERENCES p (id));
    """)
    assert sorted(db.query(f"SELECT CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS "
                           f"WHERE TABLE_SCHEMA = '{db.name}' AND CONSTRAINT_NAME = 'same'")) == [
        ("FOREIGN KEY",), ("UNIQUE",)]
    schema = inspect(db.url)
    c = only(schema, "c")
    assert [(u.name, u.columns) for u in c.unique] == [("same", ("a", "b"))]
    assert [(f.name, f.columns, f.referred_columns) for f in c.foreign_keys] == [("same", ("a",), ("id",))]
    assert_fks_match_server(db, schema)


def test_system_versioned_tables_are_tables(make_db: Any) -> None:
    """MariaDB's TABLE_TYPE 'SYSTEM VERSIONED' tables hold rows, keys and FKs like any other."""
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY);
        CREATE TABLE h (id INT PRIMARY KEY, code INT, pid INT, UNIQUE KEY h_code (code),
            CONSTRAINT h_p FOREIGN KEY (pid) REFERENCES p (id)) WITH SYSTEM VERSIONING;
    """)
    assert db.query(f"SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.name}' "
                    "AND TABLE_NAME = 'h'") == [("SYSTEM VERSIONED",)]
    # the server adds its hidden row_end column to the keys, a column no SELECT * shows
    assert ("row_end",) in db.query(f"SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
                                    f"WHERE TABLE_SCHEMA = '{db.name}' AND TABLE_NAME = 'h'")
    h = only(inspect(db.url), "h")
    assert h.column_names() == ("id", "code", "pid")
    assert h.primary_key is not None and h.primary_key.columns == ("id",)
    assert [u.columns for u in h.unique] == [("code",)]
    assert [f.name for f in h.foreign_keys] == ["h_p"]


# -- referential actions ---------------------------------------------------------------------------

DECLARABLE = [None, "NO ACTION", "RESTRICT", "CASCADE", "SET NULL"]


def test_every_action_on_delete_and_update(make_db: Any) -> None:
    db = make_db("mariadb")
    stmts = ["CREATE TABLE p (id INT PRIMARY KEY)"]
    declared = {}
    for i, (on_delete, on_update) in enumerate(itertools.product(DECLARABLE, DECLARABLE)):
        clause = (f" ON DELETE {on_delete}" if on_delete else "") + (f" ON UPDATE {on_update}" if on_update else "")
        stmts.append(f"CREATE TABLE c{i} (id INT PRIMARY KEY, pid INT, "
                     f"CONSTRAINT fk{i} FOREIGN KEY (pid) REFERENCES p (id){clause})")
        declared[f"fk{i}"] = (on_delete, on_update)
    db.run(";\n".join(stmts))
    schema = inspect(db.url)
    assert_fks_match_server(db, schema)

    def expected(action: str | None) -> Action:
        # undeclared and RESTRICT are one InnoDB flag (see test below): both read as NO ACTION
        return Action.NO_ACTION if action in (None, "RESTRICT") else Action(action)

    for _, fk in schema.foreign_keys:
        on_delete, on_update = declared[fk.name or ""]
        assert (fk.on_delete, fk.on_update) == (expected(on_delete), expected(on_update)), fk.name
        assert fk.on_delete in MariaDB.capabilities.on_delete and fk.on_update in MariaDB.capabilities.on_update


def test_undeclared_and_restrict_are_indistinguishable_on_the_server(make_db: Any) -> None:
    """Why MariaDB's RESTRICT is reported as NO ACTION: nothing on the server tells them apart."""
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY);
        CREATE TABLE c_undeclared (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_u FOREIGN KEY (pid) REFERENCES p (id));
        CREATE TABLE c_restrict (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_r FOREIGN KEY (pid) REFERENCES p (id)
            ON DELETE RESTRICT ON UPDATE RESTRICT);
        CREATE TABLE c_no_action (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_n FOREIGN KEY (pid) REFERENCES p (id)
            ON DELETE NO ACTION ON UPDATE NO ACTION);
        INSERT INTO p VALUES (1), (2), (3);
        INSERT INTO c_undeclared VALUES (1, 1);
        INSERT INTO c_restrict VALUES (1, 2);
        INSERT INTO c_no_action VALUES (1, 3);
    """)
    types = dict(db.query(f"SELECT SUBSTRING_INDEX(ID, '/', -1), TYPE FROM information_schema.INNODB_SYS_FOREIGN "
                          f"WHERE ID LIKE '{db.name}/%'"))
    assert types["fk_u"] == types["fk_r"] == 0
    assert types["fk_n"] != 0

    def fk_clause(table: str) -> str:
        ddl = db.query(f"SHOW CREATE TABLE `{table}`")[0][1]
        line = next(ln for ln in ddl.splitlines() if "FOREIGN KEY" in ln)
        return re.sub(r"CONSTRAINT `\w+`", "", line)

    assert fk_clause("c_undeclared") == fk_clause("c_restrict")
    assert "NO ACTION" in fk_clause("c_no_action")
    # and they behave alike: every delete of a referenced parent is refused at once
    for pid in (1, 2, 3):
        with pytest.raises(pymysql.err.IntegrityError) as err:
            db.run(f"DELETE FROM p WHERE id = {pid}")
        assert err.value.args[0] == ER_ROW_IS_REFERENCED

    fks = {fk.name: fk for _, fk in inspect(db.url).foreign_keys}
    assert {(fk.on_delete, fk.on_update) for fk in fks.values()} == {(Action.NO_ACTION, Action.NO_ACTION)}
    assert MariaDB.capabilities.extra["restrict_reported_as_no_action"] is True


def test_set_default_is_accepted_but_does_not_work(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY);
        CREATE TABLE c (id INT PRIMARY KEY, pid INT DEFAULT 1,
            CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET DEFAULT ON UPDATE SET DEFAULT);
        INSERT INTO p VALUES (1), (2);
        INSERT INTO c VALUES (1, 2);
    """)
    with pytest.raises(pymysql.err.IntegrityError) as err:
        db.run("DELETE FROM p WHERE id = 2")
    assert err.value.args[0] == ER_ROW_IS_REFERENCED
    assert db.query("SELECT pid FROM c") == [(2,)]
    assert not MariaDB.capabilities.set_default_works
    assert Action.SET_DEFAULT not in MariaDB.capabilities.on_delete
    (fk,) = only(inspect(db.url), "c").foreign_keys
    assert (fk.on_delete, fk.on_update) == (Action.NO_ACTION, Action.NO_ACTION)


def test_match_full_is_parsed_and_ignored(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));
        CREATE TABLE c (id INT PRIMARY KEY, x INT, y INT,
            CONSTRAINT c_p FOREIGN KEY (x, y) REFERENCES p (a, b) MATCH FULL);
        INSERT INTO c VALUES (1, 1, NULL);  -- MATCH FULL would reject a half-NULL key
    """)
    assert db.query(f"SELECT MATCH_OPTION FROM information_schema.REFERENTIAL_CONSTRAINTS "
                    f"WHERE CONSTRAINT_SCHEMA = '{db.name}'") == [("NONE",)]
    (fk,) = only(inspect(db.url), "c").foreign_keys
    assert fk.match is Match.SIMPLE
    assert MariaDB.capabilities.match == frozenset({Match.SIMPLE})


def test_foreign_keys_are_checked_row_by_row(make_db: Any) -> None:
    """A statement that is valid as a whole fails when a row in the middle breaks a key (InnoDB)."""
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE emp (id INT PRIMARY KEY, manager_id INT, FOREIGN KEY (manager_id) REFERENCES emp (id));
        INSERT INTO emp VALUES (1, NULL), (2, 1), (3, 2);
    """)
    with pytest.raises(pymysql.err.IntegrityError) as err:
        db.run("DELETE FROM emp ORDER BY id")
    assert err.value.args[0] == ER_ROW_IS_REFERENCED
    assert db.query("SELECT COUNT(*) FROM emp") == [(3,)]
    caps = MariaDB.capabilities
    assert caps.row_by_row_checks and not caps.restrict_is_immediate and not caps.deferrable


# -- schemas ---------------------------------------------------------------------------------------

def test_cross_database_foreign_key(make_db: Any) -> None:
    a, b = make_db("mariadb"), make_db("mariadb")
    b.run("CREATE TABLE parent (id INT PRIMARY KEY)")
    a.run(f"CREATE TABLE child (id INT PRIMARY KEY, pid INT, "
          f"CONSTRAINT child_remote FOREIGN KEY (pid) REFERENCES `{b.name}`.parent (id) ON DELETE CASCADE)")

    both = inspect(a.url, schemas=[a.name, b.name])
    assert [(t.schema, t.name) for t in both] == sorted([(a.name, "child"), (b.name, "parent")])
    assert_fks_match_server(a, both, [a.name, b.name])
    (child, fk), = both.foreign_keys
    assert fk.referred == (b.name, "parent")
    assert both.get(fk.referred) is not None
    assert both.referencing(both.table("parent", b.name)) == [(child, fk)]

    current = inspect(a.url)  # only the URL's database, the FK still names the other one
    assert [t.name for t in current] == ["child"]
    assert current.foreign_keys[0][1].referred_schema == b.name


def test_schema_selection(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("CREATE TABLE t (id INT PRIMARY KEY)")
    with refint.connect(db.url) as rdb:
        assert rdb.engine.default_schema() == db.name
        listed = rdb.engine.list_schemas()
        assert db.name in listed
        assert not {"mysql", "information_schema", "performance_schema", "sys"} & set(listed)
        assert listed == sorted(listed)
    with pytest.raises(refint.NoSuchSchema, match="refint_no_such_db"):
        inspect(db.url, schemas=["refint_no_such_db"])
    server_url = db.url.rsplit("/", 1)[0] + "/"
    with pytest.raises(refint.InvalidTarget, match="names no database"):
        inspect(server_url)
    assert [t.name for t in inspect(server_url, schemas=[db.name])] == ["t"]
    # views are not tables
    db.run("CREATE VIEW v AS SELECT id FROM t")
    assert [t.name for t in inspect(db.url)] == ["t"]


# -- checks, uniques, columns ----------------------------------------------------------------------

def test_check_constraints(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE a (x INT CHECK (x > 1), y INT, doc JSON,
            CONSTRAINT y_small CHECK (y < 100), CHECK (x <> y), CONSTRAINT `we"ird ``name` CHECK (y IN (1, 2)));
        CREATE TABLE b (x INT CHECK (x > 2));
    """)
    schema = inspect(db.url)
    reported = {
        (t, n): clause
        for t, n, clause in db.query("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
                                     f"information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '{db.name}'")
    }
    got = {(t.name, c.name): c.expression for t in schema for c in t.checks}
    assert got == reported
    # column-level checks are named after the column, so the same name lives on two tables
    assert got[("a", "x")] != got[("b", "x")]
    # MariaDB's JSON type is a LONGTEXT plus a json_valid() check: kept, it is enforced
    assert ("a", "doc") in got
    with pytest.raises(pymysql.err.OperationalError) as err:
        db.run("INSERT INTO a (x, y) VALUES (5, 500)")
    assert err.value.args[0] == ER_CHECK_CONSTRAINT_VIOLATED
    assert "y_small" in str(err.value)


def test_unique_sets(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("""
        CREATE TABLE u (id INT PRIMARY KEY, a INT, b VARCHAR(10), c TEXT, d INT,
            UNIQUE KEY u_ba (b, a), UNIQUE (a), CONSTRAINT u_c UNIQUE (c) USING HASH, KEY plain (d));
    """)
    t = only(inspect(db.url), "u")
    rows = db.query(
        "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.TABLE_CONSTRAINTS c ON c.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
        "AND c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME "
        f"WHERE k.TABLE_SCHEMA = '{db.name}' AND c.CONSTRAINT_TYPE = 'UNIQUE' ORDER BY k.ORDINAL_POSITION")
    expected: dict[str, list[str]] = {}
    for name, col in rows:
        expected.setdefault(name, []).append(col)
    assert {u.name: list(u.columns) for u in t.unique} == expected == {"u_ba": ["b", "a"], "a": ["a"], "u_c": ["c"]}
    assert all(not u.index and u.nulls_distinct for u in t.unique)
    # NULLs are distinct in a MariaDB unique key, as the model says
    db.run("INSERT INTO u (id, a) VALUES (1, NULL), (2, NULL)")
    assert t.unique_sets()[0] == ("id",)
    assert {i.name: i.unique for i in t.indexes} == {"PRIMARY": True, "u_ba": True, "a": True, "u_c": True,
                                                     "plain": False}


def test_columns_not_null_types_and_defaults(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run(r"""
        CREATE TABLE d (
            id INT PRIMARY KEY AUTO_INCREMENT,
            n_plain INT,
            n_not_null INT NOT NULL,
            s VARCHAR(30) DEFAULT 'it''s',
            s_null VARCHAR(10) DEFAULT NULL,
            s_word VARCHAR(10) DEFAULT 'NULL',
            s_empty VARCHAR(10) NOT NULL DEFAULT '',
            s_backslash VARCHAR(10) DEFAULT 'a\\b',
            dt DATE DEFAULT '2020-01-31',
            dec_ DECIMAL(10,2) DEFAULT 1.50,
            neg INT DEFAULT -7,
            e ENUM('a','B','it''s') NOT NULL DEFAULT 'B',
            st SET('x','Y') DEFAULT 'x,Y',
            bits BIT(3) DEFAULT b'101',
            expr INT DEFAULT (1 + 2),
            ts TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
            u INT UNSIGNED ZEROFILL DEFAULT 7
        );
        INSERT INTO d (n_not_null) VALUES (0);
    """)
    t = only(inspect(db.url), "d")
    server = {name: (ctype, nullable == "YES")
              for name, ctype, nullable in db.query("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM "
                                                    f"information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db.name}' "
                                                    "ORDER BY ORDINAL_POSITION")}
    assert list(t.column_names()) == list(server)
    for col in t.columns:
        ctype, nullable = server[col.name]
        assert col.nullable == nullable, col.name
        assert col.type.upper() == ctype.upper(), col.name
    assert t.column("n_not_null").nullable is False and t.column("n_plain").nullable is True
    assert t.column("dec_").type == "DECIMAL(10,2)"
    assert t.column("e").type == "ENUM('a','B','it''s')"
    assert t.column("u").type == "INT(10) UNSIGNED ZEROFILL"

    # no default, a NULL default and AUTO_INCREMENT all read as None; the text 'NULL' is a real default
    for name in ("id", "n_plain", "n_not_null", "s_null"):
        assert t.column(name).default is None, name
    assert t.column("s_word").default == "'NULL'"
    assert (t.column("ts").default or "").lower() == "current_timestamp()"
    # every other default is SQL text: the server evaluates it to exactly the value it stored
    row = dict(zip(t.column_names(), db.query("SELECT * FROM d")[0], strict=True))
    for name in ("s", "s_word", "s_empty", "s_backslash", "dt", "dec_", "neg", "e", "st", "bits", "expr", "u"):
        default = t.column(name).default
        assert default is not None, name
        (value,), = db.query(f"SELECT CAST({default} AS {cast_for(t.column(name).type)})")
        stored = int.from_bytes(row[name], "big") if name == "bits" else row[name]
        assert str(value) == str(stored), (name, default, value, stored)


def cast_for(sql_type: str) -> str:
    t = sql_type.upper()
    if t.startswith(("DECIMAL",)):
        return t
    if t.startswith(("INT", "BIT")):
        return "SIGNED"
    if t.startswith("DATE"):
        return "DATE"
    return "CHAR"


def test_type_and_default_helpers() -> None:
    assert upper_type("enum('a','B','it''s')") == "ENUM('a','B','it''s')"
    assert upper_type("set('x','Y')") == "SET('x','Y')"
    assert upper_type("varchar(30)") == "VARCHAR(30)"
    assert upper_type("enum('a\\\\b','x''y')") == "ENUM('a\\\\b','x''y')"
    # MySQL 8 prints literal defaults raw; the MySQL branch quotes them like MariaDB prints them
    assert MySQL._default(None, "varchar", "") is None
    assert MySQL._default("it's", "varchar", "") == "'it''s'"
    assert MySQL._default("a\\b", "varchar", "") == "'a\\\\b'"
    assert MySQL._default("2020-01-31", "date", "") == "'2020-01-31'"
    assert MySQL._default("1.50", "decimal", "") == "1.50"
    assert MySQL._default("b'101'", "bit", "") == "b'101'"
    assert MySQL._default("CURRENT_TIMESTAMP", "timestamp", "DEFAULT_GENERATED") == "CURRENT_TIMESTAMP"
    assert MariaDB._default("NULL", "varchar", "") is None
    assert MariaDB._default("'NULL'", "varchar", "") == "'NULL'"
    assert quote_literal("x") == "'x'"


def test_mysql8_quoting_matches_what_mariadb_prints(make_db: Any) -> None:
    db = make_db("mariadb")
    values = {"s1": "plain", "s2": "it's", "s3": "a\\b", "s4": ""}
    cols = ", ".join(f"{k} VARCHAR(20) DEFAULT {db_literal(v)}" for k, v in values.items())
    db.run(f"CREATE TABLE q ({cols})")
    printed = dict(db.query("SELECT COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS "
                            f"WHERE TABLE_SCHEMA = '{db.name}'"))
    for k, raw in values.items():
        assert MySQL._default(raw, "varchar", "") == printed[k]


def db_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- identifiers that bite ---------------------------------------------------------------------------

LONG = "t" * 64
WEIRD_TABLES = ["line item", "we`ird", 'we"ird', "order", "key", "MixedCase", "mixedcase", "학생", LONG]


def q(ident: str) -> str:
    return "`" + ident.replace("`", "``") + "`"


def test_identifiers_that_bite(make_db: Any) -> None:
    db = make_db("mariadb")
    long_col, long_fk = "c" * 64, "f" * 64
    stmts = [f"CREATE TABLE {q('학생')} ({q('학번')} INT PRIMARY KEY, {q('이름')} VARCHAR(20) NOT NULL)"]
    for i, name in enumerate(WEIRD_TABLES):
        if name == "학생":
            continue
        # FK names are case-insensitive per database (InnoDB): number them so MixedCase/mixedcase differ
        stmts.append(
            f"CREATE TABLE {q(name)} ({q('select')} INT PRIMARY KEY, {q('a b')} INT, {q(long_col)} INT, "
            f"{q('Mixed')} INT, UNIQUE KEY {q('u ' + name[:50])} ({q('a b')}), "
            f"CONSTRAINT {q(f'fk{i} {name}'[:64])} FOREIGN KEY ({q(long_col)}) REFERENCES {q('학생')} ({q('학번')}), "
            f"CONSTRAINT {q(('ck ' + name)[:64])} CHECK ({q('a b')} > 0))")
    db.run(";\n".join(stmts))
    # a composite FK to a UNIQUE, with a 64-character name
    db.run(f"ALTER TABLE {q('order')} ADD UNIQUE KEY {q('sel_ab')} ({q('select')}, {q('a b')});\n"
           f"CREATE TABLE {q('order line')} ({q('key')} INT, {q('order')} INT, "
           f"CONSTRAINT {q(long_fk)} FOREIGN KEY ({q('order')}, {q('key')}) "
           f"REFERENCES {q('order')} ({q('select')}, {q('a b')}))")

    schema = inspect(db.url)
    server_tables = {r[0] for r in db.query("SELECT TABLE_NAME FROM information_schema.TABLES "
                                            f"WHERE TABLE_SCHEMA = '{db.name}'")}
    assert {t.name for t in schema} == server_tables == set(WEIRD_TABLES) | {"order line"}
    assert_fks_match_server(db, schema)
    assert only(schema, "학생").column_names() == ("학번", "이름")
    assert only(schema, "MixedCase") is not only(schema, "mixedcase")
    (fk,) = schema.table("order line").foreign_keys
    assert (fk.name, fk.columns, fk.referred_columns) == (long_fk, ("order", "key"), ("select", "a b"))
    for name in WEIRD_TABLES:
        if name != "학생":
            t = schema.table(name)
            assert t.checks[0].name == ("ck " + name)[:64]
            assert ("a b",) in [u.columns for u in t.unique]

    # refint's quoting reaches every table and column it reported
    with refint.connect(db.url) as rdb:
        eng = rdb.engine
        for t in rdb.inspect():
            cols = ", ".join(eng.quote(c) for c in t.column_names())
            assert eng.raw(f"SELECT {cols} FROM {eng.table_ref(t.schema, t.name)}").all() == []


def test_database_name_that_bites(make_db: Any) -> None:
    """A schema name with a space and Hangul goes through the IN (...) filter as a bound value."""
    db = make_db("mariadb")
    other = "refint t 학교 " + db.name[-6:]
    admin = db.dbapi()
    admin.cursor().execute(f"CREATE DATABASE {q(other)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        admin.cursor().execute(f"CREATE TABLE {q(other)}.{q('부모')} (id INT PRIMARY KEY)")
        db.run(f"CREATE TABLE kid (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES {q(other)}.{q('부모')} (id))")
        schema = inspect(db.url, schemas=[db.name, other])
        assert {t.key for t in schema} == {(db.name, "kid"), (other, "부모")}
        assert schema.foreign_keys[0][1].referred == (other, "부모")
    finally:
        admin.cursor().execute(f"DROP TABLE IF EXISTS {q(db.name)}.kid")
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {q(other)}")


# -- connections and transactions -------------------------------------------------------------------

def _in_trans(conn: Any) -> bool:
    return bool(conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS)


def test_pymysql_connection_is_used_and_left_open(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (pid INT, FOREIGN KEY (pid) REFERENCES p (id))")
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=db.name,
                           charset="utf8mb4")
    try:
        rdb = refint.connect(conn)
        assert rdb.name == "mariadb"
        schema = rdb.inspect()
        assert [t.name for t in schema] == ["c", "p"]
        assert_fks_match_server(db, schema)
        # the caller writes without committing; a fresh inspect must neither commit nor roll that back
        cur = conn.cursor()
        cur.execute("INSERT INTO p VALUES (42)")
        assert _in_trans(conn)
        rdb.refresh()
        cur.execute("SELECT COUNT(*) FROM p")
        assert cur.fetchone() == (1,)
        assert db.query("SELECT COUNT(*) FROM p") == [(0,)]  # still uncommitted: not committed by refint
        conn.rollback()
        rdb.close()
        assert conn.open
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    finally:
        conn.close()


def test_mysql_url_to_a_mariadb_server_gets_the_mariadb_engine(make_db: Any) -> None:
    db = make_db("mariadb")
    with refint.connect(db.url.replace("mariadb://", "mysql://", 1)) as rdb:
        assert isinstance(rdb.engine, MariaDB) and rdb.name == "mariadb"
        assert "MariaDB" in db.query("SELECT VERSION()")[0][0]
        assert rdb.inspect().engine == "mariadb"


def test_read_only_transaction_is_read_only(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 10)")
    with refint.connect(db.url) as rdb:
        eng: Engine = rdb.engine
        assert eng.capabilities.read_only_transactions
        for stmt in ("INSERT INTO t VALUES (2, 20)", "UPDATE t SET v = 11", "DELETE FROM t"):
            with eng.read_only():
                assert eng.raw("SELECT @@in_transaction").scalar() == 1
                with pytest.raises(sa.exc.OperationalError) as err:
                    eng.raw(stmt)
                assert err.value.orig.args[0] == ER_READ_ONLY_TRANSACTION  # type: ignore[union-attr]
            assert not rdb.conn.in_transaction()
        rdb.inspect()
        raw = rdb.conn.connection.dbapi_connection
        assert not _in_trans(raw)  # inspect left no transaction open
    assert db.query("SELECT id, v FROM t") == [(1, 10)]


def test_statement_count_does_not_grow_with_tables(make_db: Any) -> None:
    """Whole-schema introspection: a fixed handful of queries, never one per table."""
    def count(n: int) -> int:
        db = make_db("mariadb")
        db.run(";\n".join(["CREATE TABLE t0 (id INT PRIMARY KEY)"] + [
            f"CREATE TABLE t{i} (id INT PRIMARY KEY, p INT, CHECK (p > 0), FOREIGN KEY (p) REFERENCES t{i - 1} (id))"
            for i in range(1, n)]))
        statements: list[str] = []
        with refint.connect(db.url) as rdb:
            sa.event.listen(rdb.conn, "before_cursor_execute",
                            lambda *args: statements.append(args[2]))
            assert len(rdb.inspect()) == n
        return len(statements)

    assert count(2) == count(40) <= 10


# -- corpus ----------------------------------------------------------------------------------------

def load(db: Any, sql: str) -> list[str]:
    """Feed a script to the mariadb client (it knows DELIMITER); return the ERROR lines it printed."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        pytest.skip("the mariadb command-line client is not installed")
    done = subprocess.run([client, "-h127.0.0.1", "-P3306", "-uroot", "--force", "--default-character-set=utf8mb4",
                           db.name], input=sql.encode(), check=False, capture_output=True, timeout=600)
    return [ln for ln in done.stderr.decode(errors="replace").splitlines() if ln.startswith("ERROR")]


def fk_actions(schema: Schema) -> list[tuple[str, str]]:
    return sorted((fk.on_delete.value, fk.on_update.value) for _, fk in schema.foreign_keys)


@pytest.mark.corpus
def test_corpus_sakila(make_db: Any, corpus: Path) -> None:
    db = make_db("mariadb")
    strip = re.compile(r"^(DROP SCHEMA IF EXISTS sakila|CREATE SCHEMA sakila|USE sakila);\s*$", re.M)
    errors = []
    for name in ("sakila-mv-schema.sql", "sakila-mv-data.sql"):
        errors += load(db, strip.sub("", (corpus / "sakila" / "mysql" / name).read_text(encoding="utf-8")))
    # the README's one expected error: view actor_info names the database `sakila` explicitly
    assert len(errors) == 1 and "sakila.actor" in errors[0], errors
    assert db.query("SELECT COUNT(*) FROM rental") == [(16044,)]
    schema = inspect(db.url)
    assert (len(schema), len(schema.foreign_keys)) == (16, 22)
    assert_fks_match_server(db, schema)
    store, staff = schema.table("store"), schema.table("staff")
    assert any(fk.referred_table == "staff" for fk in store.foreign_keys)
    assert any(fk.referred_table == "store" for fk in staff.foreign_keys)
    # declared ON DELETE RESTRICT x21 / SET NULL x1, ON UPDATE CASCADE x22; RESTRICT reads as NO ACTION
    assert fk_actions(schema) == sorted([("NO ACTION", "CASCADE")] * 21 + [("SET NULL", "CASCADE")])


@pytest.mark.corpus
def test_corpus_chinook(make_db: Any, corpus: Path) -> None:
    db = make_db("mariadb")
    lines = (corpus / "chinook" / "mysql" / "Chinook_MySql.sql").read_text(encoding="utf-8").splitlines(True)
    assert load(db, "".join(lines[28:])) == []
    assert db.query("SELECT COUNT(*) FROM Track") == [(3503,)]
    schema = inspect(db.url)
    assert (len(schema), len(schema.foreign_keys)) == (11, 11)
    assert_fks_match_server(db, schema)
    assert schema.table("PlaylistTrack").primary_key.columns == ("PlaylistId", "TrackId")  # type: ignore[union-attr]
    assert any(fk.referred_table == "Employee" for fk in schema.table("Employee").foreign_keys)
    assert set(fk_actions(schema)) == {("NO ACTION", "NO ACTION")}


@pytest.mark.corpus
def test_corpus_employees(make_db: Any, corpus: Path) -> None:
    db = make_db("mariadb")
    base = corpus / "employees" / "mysql"
    files = [base / "employees-schema.sql", base / "load_departments.dump"] + [
        base / "subset-10001-11000" / f"load_{n}.dump" for n in ("employees", "dept_emp", "titles", "salaries")]
    for path in files:
        assert load(db, path.read_text(encoding="utf-8")) == [], path.name
    schema = inspect(db.url)
    assert (len(schema), len(schema.foreign_keys)) == (6, 6)
    assert_fks_match_server(db, schema)
    # ON DELETE CASCADE everywhere; ON UPDATE undeclared, which MariaDB calls RESTRICT
    assert {r[0] for r in db.query("SELECT UPDATE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS "
                                   f"WHERE CONSTRAINT_SCHEMA = '{db.name}'")} == {"RESTRICT"}
    assert set(fk_actions(schema)) == {("CASCADE", "NO ACTION")}
    assert db.query("SELECT COUNT(*) FROM salaries") == [(9488,)]
