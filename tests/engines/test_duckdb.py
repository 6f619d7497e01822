"""DuckDB engine: each capability flag proved on the live engine, and the model compared with what DuckDB's
own catalog (information_schema, PRAGMA table_info, duckdb_tables counters) and its behaviour report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

import refint
from refint.direct import DriverError
from refint.engines.duckdb import DuckDB
from refint.model import Action, Match, Schema

CAPS = DuckDB.capabilities


# -- helpers ---------------------------------------------------------------------------------------


def inspect(db: Any, **kwargs: Any) -> Schema:
    with refint.connect(db.url, **kwargs) as rdb:
        assert rdb.name == "duckdb"
        return rdb.inspect()


def fails(db: Any, sql: str, exc: type[BaseException] = duckdb.Error) -> str:
    """Run ``sql`` on a fresh connection and return DuckDB's error message (the test fails if it works)."""
    conn = db.dbapi()
    with pytest.raises(exc) as info:
        conn.execute(sql)
    conn.close()
    db._conns.remove(conn)
    return str(info.value)


def fk_facts(db: Any) -> dict[str, tuple[str | None, str, tuple[str, ...], str, tuple[str, ...]]]:
    """Foreign keys as information_schema tells them (a different code path from duckdb_constraints):
    name -> (schema, child table, child columns, parent table, parent columns), columns lower-cased
    because information_schema keeps the DDL's spelling."""
    rows = db.query("""
        SELECT rc.constraint_name, k.table_schema, k.table_name, k.column_name, k.ordinal_position,
               pk.table_name, pk.column_name
        FROM information_schema.referential_constraints rc
        JOIN information_schema.key_column_usage k
          ON k.constraint_name = rc.constraint_name AND k.constraint_schema = rc.constraint_schema
        JOIN information_schema.key_column_usage pk
          ON pk.constraint_name = rc.unique_constraint_name AND pk.constraint_schema = rc.unique_constraint_schema
         AND pk.ordinal_position = k.position_in_unique_constraint
        ORDER BY 1, 5""")
    out: dict[str, Any] = {}
    for name, schema, table, col, _, ptable, pcol in rows:
        _, _, cols, _, pcols = out.get(name, (schema, table, (), ptable, ()))
        out[name] = (schema, table, cols + (col.lower(),), ptable, pcols + (pcol.lower(),))
    return out


def model_fks(schema: Schema) -> dict[str, tuple[str | None, str, tuple[str, ...], str, tuple[str, ...]]]:
    return {
        fk.name: (t.schema, t.name, tuple(c.lower() for c in fk.columns), fk.referred_table,
                  tuple(c.lower() for c in fk.referred_columns))
        for t, fk in schema.foreign_keys if fk.name
    }


def table_info(db: Any, table: str) -> list[tuple[Any, ...]]:
    """PRAGMA table_info: (cid, name, type, notnull, dflt_value, pk)."""
    quoted = '"' + table.replace('"', '""') + '"'
    rows: list[tuple[Any, ...]] = db.query(f"PRAGMA table_info('{quoted.replace(chr(39), chr(39) * 2)}')")
    return rows


# -- capabilities, each proved on the live engine ------------------------------------------------------


@pytest.mark.parametrize("action", ["CASCADE", "SET NULL", "SET DEFAULT"])
@pytest.mark.parametrize("event", ["DELETE", "UPDATE"])
def test_only_no_action_and_restrict_parse(make_db: Any, action: str, event: str) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY)")
    fails(db, f"CREATE TABLE c (x INTEGER REFERENCES p (id) ON {event} {action})", duckdb.ParserException)
    assert Action(action) not in (CAPS.on_delete if event == "DELETE" else CAPS.on_update)
    for ok in ("NO ACTION", "RESTRICT"):
        db.run(f"CREATE TABLE \"c {ok}\" (x INTEGER REFERENCES p (id) ON {event} {ok})")
    assert CAPS.on_delete == CAPS.on_update == {Action.NO_ACTION, Action.RESTRICT}


def test_match_and_deferrable_are_syntax_errors(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY)")
    fails(db, "CREATE TABLE c (x INTEGER REFERENCES p (id) MATCH FULL)", duckdb.ParserException)
    fails(db, "CREATE TABLE c (x INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)", duckdb.ParserException)
    assert CAPS.match == {Match.SIMPLE} and CAPS.deferrable is False


def test_foreign_keys_only_inside_create_table(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (x INTEGER, y INTEGER REFERENCES p (id))")
    fails(db, "ALTER TABLE c ADD FOREIGN KEY (x) REFERENCES p (id)", duckdb.NotImplementedException)
    fails(db, "ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES p (id)", duckdb.NotImplementedException)
    fails(db, "ALTER TABLE c DROP CONSTRAINT c_y_id_fkey", duckdb.NotImplementedException)
    assert not CAPS.alter_add_foreign_key and not CAPS.alter_drop_foreign_key and not CAPS.not_valid


def test_ddl_is_transactional(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("BEGIN; CREATE TABLE p (id INTEGER PRIMARY KEY); ROLLBACK")
    assert db.query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'p'") == [(0,)]
    assert CAPS.transactional_ddl


def test_restrict_is_neither_recorded_nor_different(make_db: Any) -> None:
    """RESTRICT parses, but no catalog keeps it and it blocks exactly what NO ACTION blocks."""
    db = make_db("duckdb")
    db.run("""
        CREATE TABLE p (id INTEGER PRIMARY KEY, z INTEGER);
        CREATE TABLE c_na (x INTEGER REFERENCES p (id) ON DELETE NO ACTION ON UPDATE NO ACTION);
        CREATE TABLE c_r (x INTEGER REFERENCES p (id) ON DELETE RESTRICT ON UPDATE RESTRICT);
        CREATE TABLE s_na (id INTEGER PRIMARY KEY, up INTEGER REFERENCES s_na (id) ON DELETE NO ACTION);
        CREATE TABLE s_r (id INTEGER PRIMARY KEY, up INTEGER REFERENCES s_r (id) ON DELETE RESTRICT);
        INSERT INTO p VALUES (1, 0), (2, 0);
        INSERT INTO c_na VALUES (1); INSERT INTO c_r VALUES (2);
        INSERT INTO s_na VALUES (1, NULL); INSERT INTO s_na VALUES (2, 1);
        INSERT INTO s_r VALUES (1, NULL); INSERT INTO s_r VALUES (2, 1);
    """)
    assert "RESTRICT" not in " ".join(r[0] for r in db.query("SELECT constraint_text FROM duckdb_constraints()"))
    assert "RESTRICT" not in " ".join(r[0] for r in db.query("SELECT sql FROM duckdb_tables()"))
    rules = db.query("SELECT DISTINCT update_rule, delete_rule FROM information_schema.referential_constraints")
    assert rules == [("NO ACTION", "NO ACTION")]
    for p_id in (1, 2):  # 1 is held by NO ACTION, 2 by RESTRICT: same refusal
        fails(db, f"DELETE FROM p WHERE id = {p_id}", duckdb.ConstraintException)
        fails(db, f"UPDATE p SET id = 9 WHERE id = {p_id}", duckdb.ConstraintException)
    for table in ("s_na", "s_r"):  # one statement deleting parent and child: refused under both
        fails(db, f"DELETE FROM {table}", duckdb.ConstraintException)
    schema = inspect(db)
    assert {(fk.on_delete, fk.on_update) for _, fk in schema.foreign_keys} == {(Action.NO_ACTION, Action.NO_ACTION)}
    assert CAPS.restrict_is_immediate and CAPS.extra["restrict_recorded"] is False


def test_checks_are_eager(make_db: Any) -> None:
    """Stricter than statement-end checking: the reason for row_by_row_checks and the extra flags."""
    db = make_db("duckdb")
    db.run("""
        CREATE TABLE p (id INTEGER PRIMARY KEY, u INTEGER UNIQUE, z INTEGER);
        CREATE TABLE c (x INTEGER REFERENCES p (id));
        CREATE TABLE s (id INTEGER PRIMARY KEY, up INTEGER REFERENCES s (id));
        INSERT INTO p VALUES (1, 1, 0); INSERT INTO c VALUES (1);
    """)
    fails(db, "INSERT INTO s VALUES (1, NULL), (2, 1)", duckdb.ConstraintException)
    assert CAPS.extra["fk_sees_rows_of_same_statement"] is False
    fails(db, "BEGIN; DELETE FROM c; DELETE FROM p WHERE id = 1", duckdb.ConstraintException)
    assert CAPS.extra["fk_sees_own_transaction_deletes"] is False
    fails(db, "UPDATE p SET u = 5 WHERE id = 1", duckdb.ConstraintException)  # u is not even the key
    assert CAPS.extra["referenced_rows_indexed_columns_updatable"] is False
    db.run("UPDATE p SET z = 5 WHERE id = 1; DELETE FROM c; DELETE FROM p WHERE id = 1")  # committed in between
    assert CAPS.row_by_row_checks


def test_unique_treats_nulls_as_distinct(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE u (a INTEGER UNIQUE, b INTEGER, UNIQUE (a, b)); "
           "INSERT INTO u VALUES (NULL, NULL), (NULL, NULL), (NULL, 1), (NULL, 1)")
    assert db.query("SELECT count(*) FROM u") == [(4,)]
    fails(db, "CREATE TABLE v (a INTEGER UNIQUE NULLS NOT DISTINCT)", duckdb.ParserException)
    assert CAPS.unique_nulls_distinct and not CAPS.nulls_not_distinct
    assert all(u.nulls_distinct for u in inspect(db).table("u").unique)


def test_unique_index_cannot_back_a_foreign_key(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY, w INTEGER); CREATE UNIQUE INDEX pw ON p (w)")
    fails(db, "CREATE TABLE c (x INTEGER REFERENCES p (w))", duckdb.BinderException)
    p = inspect(db).table("p")
    assert p.unique == ()  # so it is not offered as a key target ...
    assert [(i.name, i.columns, i.unique) for i in p.indexes] == [("pw", ("w",), True)]  # ... but it is listed
    assert CAPS.extra["unique_index_as_foreign_key_target"] is False


def test_foreign_keys_stay_inside_their_schema(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("""
        CREATE TABLE p (id INTEGER PRIMARY KEY);
        CREATE SCHEMA s2;
        CREATE TABLE s2.p (id INTEGER PRIMARY KEY, v INTEGER UNIQUE);
        CREATE TABLE s2.c (x INTEGER REFERENCES p (id), y INTEGER REFERENCES s2.p (v));
    """)
    assert "across different schemas" in fails(db, "CREATE TABLE s2.d (x INTEGER REFERENCES main.p (id))")
    schema = inspect(db)
    assert {(fk.columns, fk.referred) for fk in schema.table("c", "s2").foreign_keys} == {
        (("x",), ("s2", "p")), (("y",), ("s2", "p"))}  # DuckDB resolved the bare ``p`` in the child's schema
    assert {k: v[0] for k, v in fk_facts(db).items()} == {"c_x_id_fkey": "s2", "c_y_v_fkey": "s2"}
    assert CAPS.schemas and CAPS.extra["cross_schema_foreign_keys"] is False


def test_every_foreign_key_gets_an_index(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (x INTEGER REFERENCES p, y INTEGER REFERENCES p)")
    assert db.query("SELECT index_count FROM duckdb_tables() WHERE table_name = 'c'") == [(2,)]
    assert db.query("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'c'") == [(0,)]  # implicit ones
    assert CAPS.indexes_foreign_keys


def test_read_only_transaction(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE t (x INTEGER)")
    with refint.connect(db.url) as rdb:
        with rdb.engine.read_only():
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                rdb.engine.raw("INSERT INTO t VALUES (1)")
        assert not rdb.conn.in_transaction()
        rdb.engine.raw("INSERT INTO t VALUES (1)")  # the connection is writable again afterwards
        rdb.conn.commit()
        rdb.inspect()
    assert db.query("SELECT count(*) FROM t") == [(1,)]
    assert CAPS.read_only_transactions


def test_read_only_connection(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    with refint.connect(db.url, readonly=True) as rdb:
        assert [t.name for t in rdb.inspect()] == ["t"]
        assert rdb.engine.raw("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
                              ).scalar() is True
        # read-only, a file opens on the driver itself (refint.direct): its errors carry the driver's as .orig
        with pytest.raises(DriverError, match="read-only") as info:
            rdb.engine.raw("INSERT INTO t VALUES (1)")
        assert type(info.value.orig).__module__.split(".")[0] in ("duckdb", "_duckdb")


# -- the model ---------------------------------------------------------------------------------------

SCHOOL = """
CREATE TABLE std (hak INTEGER, ban INTEGER, name VARCHAR NOT NULL, PRIMARY KEY (hak, ban));
CREATE TABLE subject (code VARCHAR PRIMARY KEY, title VARCHAR UNIQUE);
CREATE TABLE std_score (
    hak INTEGER, ban INTEGER, code VARCHAR, score INTEGER DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    graded_by INTEGER, graded_ban INTEGER,
    PRIMARY KEY (hak, ban, code),
    FOREIGN KEY (ban, hak) REFERENCES std (hak, ban),
    FOREIGN KEY (code) REFERENCES subject,
    FOREIGN KEY (graded_by, graded_ban) REFERENCES std,
    CHECK (graded_by IS NULL OR graded_ban IS NOT NULL));
CREATE TABLE emp (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES emp (id), mentor INTEGER REFERENCES emp);
"""


def test_composite_keys_pair_up_position_by_position(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHOOL)
    schema = inspect(db)
    assert model_fks(schema) == fk_facts(db)
    score = schema.table("std_score")
    assert score.primary_key is not None and score.primary_key.columns == ("hak", "ban", "code")
    pairs = {fk.columns: fk.referred_columns for fk in score.foreign_keys}
    assert pairs[("ban", "hak")] == ("hak", "ban")  # child's ban holds the parent's hak
    # the pairing is DuckDB's, not a guess: std has (hak=1, ban=2) only
    db.run("INSERT INTO std VALUES (1, 2, 'a'); INSERT INTO subject VALUES ('m', 'math')")
    db.run("INSERT INTO std_score (hak, ban, code) VALUES (2, 1, 'm')")
    fails(db, "INSERT INTO std_score (hak, ban, code) VALUES (1, 2, 'm')", duckdb.ConstraintException)


def test_referenced_columns_must_follow_the_key_order(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b))")
    fails(db, "CREATE TABLE c (x INTEGER, y INTEGER, FOREIGN KEY (x, y) REFERENCES p (b, a))", duckdb.BinderException)
    assert CAPS.extra["fk_target_columns_in_key_order"] is True


def test_references_without_columns_mean_the_primary_key(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHOOL)
    score = inspect(db).table("std_score")
    by_cols = {fk.columns: fk for fk in score.foreign_keys}
    assert by_cols[("code",)].referred_columns == ("code",)
    assert by_cols[("graded_by", "graded_ban")].referred_columns == ("hak", "ban")
    assert by_cols[("graded_by", "graded_ban")].referred == ("main", "std")


def test_self_reference_and_several_keys_to_one_parent(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHOOL)
    schema = inspect(db)
    emp = schema.table("emp")
    assert sorted((fk.columns, fk.referred, fk.referred_columns) for fk in emp.foreign_keys) == [
        (("boss",), ("main", "emp"), ("id",)), (("mentor",), ("main", "emp"), ("id",))]
    to_std = [fk for t, fk in schema.referencing(schema.table("std"))]
    assert len(to_std) == 2


def test_a_foreign_key_is_listed_once_on_the_child(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHOOL)
    schema = inspect(db)
    assert schema.table("std").foreign_keys == () and schema.table("subject").foreign_keys == ()
    rows = db.query("SELECT table_name, count(*) FROM duckdb_constraints() "
                    "WHERE constraint_type = 'FOREIGN KEY' GROUP BY ALL ORDER BY 1")
    assert rows == [("emp", 2), ("std_score", 3)]  # DuckDB 2.0 has no mirror row on the parent
    assert len(schema.foreign_keys) == len(fk_facts(db)) == 5
    for fk in (fk for _, fk in schema.foreign_keys):
        assert (fk.match, fk.deferrable, fk.initially_deferred, fk.validated) == (Match.SIMPLE, False, False, None)


def test_checks_uniques_not_null_and_defaults(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHOOL + "CREATE TABLE g (a INTEGER, v INTEGER GENERATED ALWAYS AS (a + 1) VIRTUAL, "
                    "t VARCHAR DEFAULT 'it''s', ts TIMESTAMP DEFAULT current_timestamp)")
    schema = inspect(db)
    score = schema.table("std_score")
    counted = dict(db.query("SELECT table_name, check_constraint_count FROM duckdb_tables()"))
    assert {t.name: len(t.checks) for t in schema} == counted  # NOT NULL rows are not checks
    catalog_checks = db.query("SELECT constraint_name, expression FROM duckdb_constraints() "
                              "WHERE table_name = 'std_score' AND constraint_type = 'CHECK' ORDER BY 1")
    assert [(c.name, c.expression) for c in score.checks] == catalog_checks
    fails(db, "INSERT INTO std_score (hak, ban, code, score) VALUES (1, 1, 'x', 101)", duckdb.ConstraintException)
    assert [u.columns for u in schema.table("subject").unique] == [("title",)]
    for table in schema:
        info = table_info(db, table.name)
        assert [(c.name, c.type, not c.nullable) for c in table.columns] == [(r[1], r[2], r[3]) for r in info]
    assert [c.default for c in score.columns] == [None, None, None, "0", None, None]
    g = schema.table("g")
    assert [c.default for c in g.columns] == [None, None, "'it''s'", "current_timestamp"]  # generated: no default


def test_identifiers_that_bite(make_db: Any) -> None:
    long_t = "t" * 63
    long_c = "c" * 63
    db = make_db("duckdb")
    db.run(f"""
        CREATE SCHEMA "my schema";
        CREATE TABLE "my schema"."Order Lines" ("we""ird" INTEGER PRIMARY KEY, "select" VARCHAR UNIQUE,
            "MixedCase" INTEGER, 학생 VARCHAR, "x'y" INTEGER);
        CREATE TABLE "my schema".{long_t} ({long_c} INTEGER REFERENCES "Order Lines" ("we""ird"),
            "group" VARCHAR REFERENCES "Order Lines" ("select"), 학생 VARCHAR, "a, b" INTEGER,
            CHECK ("group" <> ''));
        CREATE INDEX "idx 학생" ON "my schema".{long_t} (학생, "a, b", (lower("group")));
        CREATE INDEX "MixedIdx" ON "my schema"."Order Lines" ("MixedCase", "x'y");
    """)
    schema = inspect(db)
    catalog = sorted(db.query("SELECT schema_name, table_name FROM duckdb_tables()"))
    assert [t.key for t in schema] == catalog == [("my schema", "Order Lines"), ("my schema", long_t)]
    lines, child = schema.table("Order Lines", "my schema"), schema.table(long_t, "my schema")
    assert lines.column_names() == ('we"ird', "select", "MixedCase", "학생", "x'y")
    assert lines.primary_key is not None and lines.primary_key.columns == ('we"ird',)
    assert [u.columns for u in lines.unique] == [("select",)]
    assert sorted((fk.columns, fk.referred, fk.referred_columns) for fk in child.foreign_keys) == [
        ((long_c,), ("my schema", "Order Lines"), ('we"ird',)),
        (("group",), ("my schema", "Order Lines"), ("select",))]
    assert model_fks(schema) == fk_facts(db)
    assert [(i.name, i.columns) for i in child.indexes] == [("idx 학생", ("학생", "a, b", None))]
    assert [(i.name, i.columns) for i in lines.indexes] == [("MixedIdx", ("MixedCase", "x'y"))]
    json.dumps(schema.to_dict(), ensure_ascii=False)


def test_names_are_the_catalogs_not_the_ddls(make_db: Any) -> None:
    """Constraint rows keep the DDL's spelling (``PAR``, ``ID``); the model uses the catalog's."""
    db = make_db("duckdb")
    db.run("""
        CREATE TABLE "Par" ("Id" INTEGER, "Code" VARCHAR, PRIMARY KEY (ID, code), UNIQUE (CODE));
        CREATE TABLE ch (X INTEGER, Y VARCHAR, Z INTEGER, W VARCHAR,
            FOREIGN KEY (x, y) REFERENCES par (id, CODE), FOREIGN KEY (z, w) REFERENCES PAR);
        CREATE INDEX ix ON ch (x, "y");
        CREATE TABLE r (a INTEGER PRIMARY KEY, u INTEGER UNIQUE);
        ALTER TABLE r RENAME COLUMN a TO aa;
    """)
    assert ("PAR", ["ID", "code"]) in [(r[0], r[1]) for r in db.query(
        "SELECT referenced_table, referenced_column_names FROM duckdb_constraints() WHERE table_name = 'ch'")]
    schema = inspect(db)
    par, ch = schema.table("Par"), schema.table("ch")
    assert par.primary_key is not None and par.primary_key.columns == ("Id", "Code")
    assert [u.columns for u in par.unique] == [("Code",)]
    assert sorted((fk.columns, fk.referred_table, fk.referred_columns) for fk in ch.foreign_keys) == [
        (("X", "Y"), "Par", ("Id", "Code")), (("Z", "W"), "Par", ("Id", "Code"))]
    assert [i.columns for i in ch.indexes] == [("X", "Y")]
    r = schema.table("r")
    assert r.primary_key is not None and r.primary_key.columns == ("aa",)


def test_views_temp_tables_and_schema_filter(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE a (x INTEGER PRIMARY KEY); CREATE VIEW v AS SELECT * FROM a; "
           "CREATE SCHEMA s2; CREATE TABLE s2.b (y INTEGER)")
    conn = duckdb.connect(str(db.path))
    conn.execute("CREATE TEMP TABLE tmp (z INTEGER); ATTACH ':memory:' AS other; CREATE TABLE other.o (w INTEGER)")
    with refint.connect(conn) as rdb:
        assert [t.key for t in rdb.inspect()] == [("main", "a"), ("s2", "b")]
    with refint.connect(conn, schemas=["S2"]) as rdb:
        assert [t.key for t in rdb.inspect()] == [("s2", "b")]
    with refint.connect(conn, schemas=["nope"]) as rdb, pytest.raises(refint.NoSuchSchema, match="nope"):
        rdb.inspect()
    conn.close()
    with refint.connect(db.url) as rdb:
        assert rdb.engine.list_schemas() == ["main", "s2"]
        assert rdb.engine.default_schema() == "main"
        assert rdb.engine.server_version() == duckdb.__version__


def test_whole_database_queries_not_one_per_table(make_db: Any) -> None:
    def statements(n_tables: int) -> int:
        db = make_db("duckdb")
        db.run("CREATE TABLE p (id INTEGER PRIMARY KEY);" + "".join(
            f"CREATE TABLE c{i} (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p, v INTEGER CHECK (v > 0));"
            f"CREATE INDEX i{i} ON c{i} (v);" for i in range(n_tables)))
        seen: list[str] = []
        with refint.connect(db.url) as rdb:
            sa.event.listen(rdb.conn, "before_cursor_execute", lambda *a: seen.append(a[2]))
            assert len(rdb.inspect()) == n_tables + 1
        return len(seen)

    few, many = statements(2), statements(40)
    assert 0 < few == many <= 8


def test_a_connection_passed_in_stays_open(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run(SCHOOL)
    conn = duckdb.connect(str(db.path))
    with refint.connect(conn) as rdb:
        assert rdb.name == "duckdb"
        assert model_fks(rdb.inspect()) == fk_facts_for(conn)
    assert conn.execute("SELECT count(*) FROM emp").fetchall() == [(0,)]
    conn.execute("INSERT INTO emp VALUES (1, NULL, NULL)")  # and still writable
    conn.close()


def fk_facts_for(conn: Any) -> dict[str, Any]:
    class Via:
        def query(self, sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    return fk_facts(Via())


def test_missing_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    for target in (tmp_path / "x.duckdb", f"duckdb:///{tmp_path / 'y.duckdb'}", str(tmp_path / "z.duckdb")):
        with pytest.raises(refint.InvalidTarget):
            refint.connect(target)
    assert list(tmp_path.iterdir()) == []
