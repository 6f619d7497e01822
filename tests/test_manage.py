"""add-fk, drop-fk, validate, index-fks, drop-table on the real engines, judged by what the engine does.

Every test builds its tables with the engine's own SQL, lets refint change them, and then asks the engine:
is the key there (inspect), does the engine now reject an orphan (the key is enforced), are the rows
exactly as before.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

import refint
from refint.errors import BadInput, NoSuchConstraint, NoSuchTable, NotSupported, UnsafeOperation
from refint.manage import parse_spec

CHANGE_ENGINES = ["sqlite", "postgresql", "mariadb"]

SETUP = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(20) UNIQUE);
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, note VARCHAR(20) DEFAULT 'n', CHECK (id > 0));
CREATE INDEX child_note ON child (note);
INSERT INTO parent VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO child VALUES (10, 1, 'x'), (11, 2, 'y'), (12, NULL, 'z');
"""
ORPHANS = "INSERT INTO child VALUES (13, 7, 'o'), (14, 8, 'p'), (15, 7, 'q');"


def snapshot(db: Any) -> tuple[str, list[Any]]:
    """The schema as refint reads it, and every row of both tables, normalised across databases."""
    with refint.connect(db.url) as conn:
        schema = json.dumps(conn.inspect().to_dict(), sort_keys=True).replace(db.name, "DB")
    rows = [db.query(f"SELECT * FROM {t} ORDER BY 1") for t in ("parent", "child")]
    return schema, rows


def fks(db: Any, table: str = "child") -> list[dict[str, Any]]:
    with refint.connect(db.url) as conn:
        return [fk.to_dict() for fk in conn.table(table).foreign_keys]


def insert_orphan_rejected(db: Any, sql: str = "INSERT INTO child VALUES (99, 42, 'o')") -> bool:
    """Does the engine itself refuse an orphan now? (SQLite: with PRAGMA foreign_keys on, as apps do.)"""
    conn = db.dbapi()
    try:
        if db.engine == "sqlite":
            conn.execute("PRAGMA foreign_keys = ON")
        cur = conn.cursor()
        cur.execute(sql)
        if db.engine == "postgresql":
            pass
        return False
    except Exception:
        return True
    finally:
        conn.close()
        db._conns.remove(conn)


def test_parse_spec() -> None:
    assert parse_spec("child(a, b)") == (None, "child", ("a", "b"))
    assert parse_spec('"line item"(order_id)') == (None, "line item", ("order_id",))
    assert parse_spec('sales."Order"("Customer Id",x)') == ("sales", "Order", ("Customer Id", "x"))
    assert parse_spec("parent") == (None, "parent", None)
    assert parse_spec('`we``ird`([학생 번호])') == (None, "we`ird", ("학생 번호",))
    for bad in ("child(a", "child a", "(a)", 'x("a)', "child(a,)"):
        with pytest.raises(BadInput):
            parse_spec(bad)


@pytest.mark.parametrize("engine", CHANGE_ENGINES)
def test_add_fk_to_a_clean_table_is_then_enforced_by_the_engine(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(SETUP)
    _schema, rows_before = snapshot(db)
    with refint.connect(db.url) as conn:
        result = conn.add_foreign_key("child(pid)", "parent", on_delete="CASCADE")
    assert result.ok and result.applied and result.done
    [fk] = fks(db)
    assert (fk["columns"], fk["referred_table"], fk["referred_columns"], fk["on_delete"]) == \
        (["pid"], "parent", ["id"], "CASCADE")
    if engine == "postgresql":
        assert fk["validated"] is True
    assert snapshot(db)[1] == rows_before
    assert insert_orphan_rejected(db)
    assert not insert_orphan_rejected(db, "INSERT INTO child VALUES (98, 3, 'ok')")
    # adding the same key again is a no-op, not an error
    with refint.connect(db.url) as conn:
        again = conn.add_foreign_key("child(pid)", "parent", on_delete="CASCADE")
    assert again.ok and not again.applied


@pytest.mark.parametrize("engine", CHANGE_ENGINES)
def test_add_fk_over_orphans_changes_nothing_and_lists_them(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(SETUP + ORPHANS)
    before = snapshot(db)
    with refint.connect(db.url) as conn:
        result = conn.add_foreign_key("child(pid)", "parent(id)")
    assert not result.ok and not result.applied
    [v] = result.orphans
    # the engine's own count of rows without a parent
    expected = db.query("SELECT count(*) FROM child c WHERE c.pid IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM parent p WHERE p.id = c.pid)")[0][0]
    assert v.count == expected == 3
    assert sorted(s["pid"] for s in v.sample) == [7, 8]
    assert snapshot(db) == before
    # --dry-run with a repair prints the plan and still changes nothing
    with refint.connect(db.url) as conn:
        dry = conn.add_foreign_key("child(pid)", "parent(id)", repair="delete", dry_run=True)
    assert dry.dry_run and not dry.applied and "DELETE FROM" in dry.plan.script()
    assert snapshot(db) == before
    with refint.connect(db.url) as conn, pytest.raises(UnsafeOperation, match="--yes"):
        conn.add_foreign_key("child(pid)", "parent(id)", repair="delete")
    assert snapshot(db) == before


@pytest.mark.parametrize("engine", CHANGE_ENGINES)
@pytest.mark.parametrize("repair", ["delete", "set-null"])
def test_repair_leaves_a_clean_validated_key(make_db: Any, engine: str, repair: str) -> None:
    db = make_db(engine)
    db.run(SETUP + ORPHANS)
    with refint.connect(db.url) as conn:
        result = conn.add_foreign_key("child(pid)", "parent", repair=repair, yes=True)
    assert result.ok and result.applied
    ids = [r[0] for r in db.query("SELECT id FROM child ORDER BY id")]
    if repair == "delete":
        assert ids == [10, 11, 12]
    else:
        assert ids == [10, 11, 12, 13, 14, 15]
        assert db.query("SELECT count(*) FROM child WHERE pid IS NULL")[0][0] == 4
    [fk] = fks(db)
    assert fk["validated"] in (True, None)
    with refint.connect(db.url) as conn:
        assert conn.check(kinds=("foreign_key",)).ok
    assert insert_orphan_rejected(db)


def test_mariadb_refuses_set_default(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run(SETUP)
    with refint.connect(db.url) as conn, pytest.raises(NotSupported, match="SET DEFAULT"):
        conn.add_foreign_key("child(pid)", "parent", on_delete="SET DEFAULT")


def test_duckdb_says_what_it_cannot_do(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER, pid INTEGER);")
    with refint.connect(db.url) as conn, pytest.raises(NotSupported, match="ALTER TABLE ADD FOREIGN KEY"):
        conn.add_foreign_key("child(pid)", "parent")


@pytest.mark.parametrize("engine", CHANGE_ENGINES)
def test_bad_input_names_the_object(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(SETUP)
    with refint.connect(db.url) as conn:
        with pytest.raises(BadInput, match="nope"):
            conn.add_foreign_key("child(nope)", "parent")
        with pytest.raises(NoSuchTable, match="nowhere"):
            conn.add_foreign_key("nowhere(pid)", "parent")
        with pytest.raises(BadInput, match="neither a primary key nor unique"):
            conn.add_foreign_key("child(pid)", "child(note)")


@pytest.mark.parametrize("engine", [*CHANGE_ENGINES, "duckdb"])
def test_drop_fk_and_if_exists(make_db: Any, engine: str) -> None:
    """DuckDB has no ALTER TABLE DROP CONSTRAINT: there the table is re-created without the key."""
    db = make_db(engine)
    db.run(SETUP.replace("CHECK (id > 0)", "CHECK (id > 0), CONSTRAINT child_pid_fk FOREIGN KEY (pid) REFERENCES parent (id)"))
    before_schema, before_rows = snapshot(db)
    [fk] = fks(db)
    name = fk["name"]  # DuckDB names its keys itself (child_pid_id_fkey)
    assert fk["columns"] == ["pid"] and (name == "child_pid_fk" or engine == "duckdb")
    assert insert_orphan_rejected(db)
    with refint.connect(db.url) as conn:
        result = conn.drop_foreign_key("child", name)
    assert result.applied and fks(db) == []
    assert not insert_orphan_rejected(db)  # the engine no longer enforces it
    after_schema, after_rows = snapshot(db)
    assert after_rows[0] == before_rows[0] and after_rows[1][:3] == before_rows[1]  # + the orphan inserted above
    # everything else about the table is as it was (MariaDB keeps the key's implicit index)
    strip = json.loads(before_schema)
    for t in strip["tables"]:
        t["foreign_keys"] = []
    if engine != "mariadb":
        assert json.loads(after_schema) == strip
    with refint.connect(db.url) as conn:
        assert not conn.drop_foreign_key("child", name, if_exists=True).applied
        with pytest.raises(NoSuchConstraint, match=name):
            conn.drop_foreign_key("child", name)


@pytest.mark.parametrize("engine", [*CHANGE_ENGINES, "duckdb"])
def test_drop_table_cascade_constraints(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(SETUP.replace("pid INTEGER,", "pid INTEGER REFERENCES parent (id),")
           + "CREATE TABLE other (id INTEGER PRIMARY KEY, pid INTEGER, "
             "CONSTRAINT other_fk FOREIGN KEY (pid) REFERENCES parent (id));"
           + "INSERT INTO other VALUES (1, 1);")
    child_rows = db.query("SELECT * FROM child ORDER BY 1")
    with refint.connect(db.url) as conn, pytest.raises(UnsafeOperation, match="cascade-constraints"):
        conn.drop_table("parent")
    with refint.connect(db.url) as conn:
        dry = conn.drop_table("parent", cascade_constraints=True, dry_run=True)
        assert not dry.applied and "DROP TABLE" in dry.plan.script()
        assert "parent" in [t.name for t in conn.refresh().tables]
        result = conn.drop_table("parent", cascade_constraints=True)
        assert result.applied
        schema = conn.refresh()
    assert [t.name for t in schema.tables] == ["child", "other"]
    assert all(not t.foreign_keys for t in schema.tables)
    assert db.query("SELECT * FROM child ORDER BY 1") == child_rows
    assert db.query("SELECT * FROM other") == [(1, 1)]
    with refint.connect(db.url) as conn:
        assert not conn.drop_table("parent", cascade_constraints=True, if_exists=True).applied
        with pytest.raises(NoSuchTable):
            conn.drop_table("parent")


@pytest.mark.parametrize("engine", CHANGE_ENGINES)
def test_index_fks_creates_exactly_the_missing_indexes(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(SETUP.replace("pid INTEGER,", "pid INTEGER, p2 INTEGER,")
           .replace("CHECK (id > 0)", "CHECK (id > 0), FOREIGN KEY (pid) REFERENCES parent (id), "
                                      "FOREIGN KEY (p2) REFERENCES parent (id)")
           .replace("CREATE INDEX child_note ON child (note);", "CREATE INDEX child_p2 ON child (p2, note);")
           .replace("(10, 1, 'x'), (11, 2, 'y'), (12, NULL, 'z')", "(10, 1, 1, 'x')"))
    with refint.connect(db.url) as conn:
        result = conn.index_foreign_keys()
        if engine == "mariadb":  # InnoDB indexes every foreign key by itself
            assert not result.plan.steps
        else:
            assert [s.description.split(" (")[0] for s in result.plan.steps] == \
                ["create index child_pid_idx on " + ("public." if engine == "postgresql" else "") + "child(pid)"]
        from refint.manage import has_supporting_index

        schema = conn.refresh()
        child = schema.table("child")
        assert all(has_supporting_index(child, fk.columns) for fk in child.foreign_keys)
        assert not conn.index_foreign_keys().plan.steps  # idempotent


def test_partial_index_does_not_count(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, pid int REFERENCES parent);"
           "CREATE INDEX child_part ON child (pid) WHERE pid > 0; CREATE INDEX child_wrong ON child (id, pid);")
    with refint.connect(db.url) as conn:
        assert len(conn.index_foreign_keys(dry_run=True).plan.steps) == 1


def test_validate_postgres_not_valid_keys(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run(SETUP + ORPHANS + "ALTER TABLE child ADD CONSTRAINT child_fk FOREIGN KEY (pid) REFERENCES parent NOT VALID;"
           "CREATE TABLE t2 (id int PRIMARY KEY, pid int); INSERT INTO t2 VALUES (1, 1);"
           "ALTER TABLE t2 ADD CONSTRAINT t2_fk FOREIGN KEY (pid) REFERENCES parent NOT VALID;")
    with refint.connect(db.url) as conn:
        result = conn.validate()
    assert not result.ok and [v.constraint for v in result.orphans] == ["child_fk"]
    assert result.details["validated"] == ["t2_fk"]
    by_name = {fk["name"]: fk["validated"] for t in ("child", "t2") for fk in fks(db, t)}
    assert by_name == {"child_fk": False, "t2_fk": True}
    db.run("DELETE FROM child WHERE id >= 13")
    with refint.connect(db.url) as conn:
        assert conn.validate(constraint="child_fk").ok
    assert fks(db)[0]["validated"] is True


def test_validate_elsewhere_is_a_check(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run(SETUP.replace("pid INTEGER,", "pid INTEGER REFERENCES parent (id),") + ORPHANS)
    with refint.connect(db.url) as conn:
        result = conn.validate()
    assert not result.ok and result.orphans[0].count == 3 and not result.applied


def test_sqlite_rebuild_keeps_everything_else(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("""
        CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, "we""ird" TEXT COLLATE NOCASE);
        CREATE TABLE "line item" ( -- a comment with ( parens
            a INTEGER NOT NULL DEFAULT (1 + 1), b TEXT CHECK (b <> ')'), pid INTEGER,
            g INTEGER GENERATED ALWAYS AS (a * 2) STORED, UNIQUE (a, b)
        ) STRICT;
        CREATE INDEX li_b ON "line item" (b) WHERE b IS NOT NULL;
        CREATE TRIGGER li_t AFTER INSERT ON "line item" BEGIN UPDATE parent SET "we""ird" = 'x' WHERE 0; END;
        CREATE VIEW li_v AS SELECT a, pid FROM "line item";
        INSERT INTO parent ("we""ird") VALUES ('a'), ('b'), ('c');
        DELETE FROM parent WHERE id = 3;
        INSERT INTO "line item" (a, b, pid) VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', NULL);
        DELETE FROM "line item" WHERE a = 2;
    """)
    q_rows = 'SELECT rowid, * FROM "line item" ORDER BY rowid'
    rows = db.query(q_rows)
    seq = db.query("SELECT * FROM sqlite_sequence")
    others = db.query("SELECT type, name, sql FROM sqlite_schema WHERE name <> 'line item' ORDER BY name")
    with refint.connect(db.url) as conn:
        before = conn.inspect().table("line item").to_dict()
        result = conn.add_foreign_key('"line item"(pid)', "parent", on_delete="SET NULL")
        assert result.applied
        after = conn.refresh().table("line item").to_dict()
    added = after.pop("foreign_keys")
    before.pop("foreign_keys")
    assert after == before and len(added) == 1
    assert db.query(q_rows) == rows
    assert db.query("SELECT * FROM sqlite_sequence") == seq
    assert db.query("SELECT type, name, sql FROM sqlite_schema WHERE name <> 'line item' ORDER BY name") == others
    assert db.query("SELECT * FROM li_v ORDER BY a") == [(1, 1), (3, None)]
    assert db.query("PRAGMA integrity_check") == [("ok",)]
    conn2 = sqlite3.connect(db.path)
    assert conn2.execute("PRAGMA foreign_keys").fetchone() == (0,)  # the file holds no state of ours
    conn2.close()


def test_duckdb_rebuild_adds_an_enforced_key_and_keeps_the_rest(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR UNIQUE);"
           "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, note VARCHAR DEFAULT 'n' CHECK (note <> ''),"
           " tags VARCHAR[]);"
           "CREATE INDEX child_note ON child (note);"
           "INSERT INTO parent VALUES (1, 'a'), (2, 'b');"
           "INSERT INTO child VALUES (10, 1, 'x', ['a']), (11, NULL, 'y', NULL), (12, 9, 'z', []);")
    with refint.connect(db.url) as conn:
        before = conn.inspect().table("child").to_dict()
        orphaned = conn.add_foreign_key("child(pid)", "parent", rebuild=True)
        assert not orphaned.ok and orphaned.orphans[0].count == 1
        result = conn.add_foreign_key("child(pid)", "parent", rebuild=True, repair="delete", yes=True)
        assert result.applied
        after = conn.refresh().table("child").to_dict()
    [fk] = after.pop("foreign_keys")
    before.pop("foreign_keys")
    assert after == before and fk["referred_table"] == "parent"
    assert db.query("SELECT id, pid, note, tags FROM child ORDER BY id") == [(10, 1, "x", ["a"]), (11, None, "y", None)]
    assert insert_orphan_rejected(db, "INSERT INTO child VALUES (99, 42, 'o', NULL)")
    db.run("CREATE TABLE gp (id INTEGER PRIMARY KEY); INSERT INTO gp VALUES (1), (2);")
    with refint.connect(db.url) as conn, pytest.raises(NotSupported, match="refers to it"):
        conn.add_foreign_key("parent(id)", "gp", rebuild=True)  # child refers to parent: no DROP TABLE


def test_postgres_partitioned_child_falls_back_to_a_validating_add(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1), (2);"
           "CREATE TABLE m (id int, pid int) PARTITION BY RANGE (id);"
           "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100);"
           "INSERT INTO m VALUES (1, 1), (2, 2), (3, NULL);")
    with refint.connect(db.url) as conn:
        result = conn.add_foreign_key("m(pid)", "parent", index=True)
    assert result.applied and "partitioned" in result.plan.notes[0]
    assert db.query("SELECT convalidated FROM pg_constraint WHERE conname = 'm_pid_fkey' AND conparentid = 0") == [(True,)]
    assert insert_orphan_rejected(db, "INSERT INTO m VALUES (5, 42)")


SHARED_COLUMNS = {
    "same parent key twice": """
        CREATE TABLE p (id INTEGER PRIMARY KEY, k INTEGER UNIQUE);
        CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER,
            CONSTRAINT fa FOREIGN KEY (pid) REFERENCES p (id),
            CONSTRAINT fb FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE)""",
    "two parents": """
        CREATE TABLE p (id INTEGER PRIMARY KEY, k INTEGER UNIQUE);
        CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER,
            CONSTRAINT fa FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL,
            CONSTRAINT fb FOREIGN KEY (pid) REFERENCES p (k) ON UPDATE CASCADE)""",
    "composite and its prefix": """
        CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
        CREATE TABLE q (a INTEGER PRIMARY KEY);
        CREATE TABLE c (id INTEGER PRIMARY KEY, x INTEGER, y INTEGER,
            CONSTRAINT fa FOREIGN KEY (x, y) REFERENCES p (a, b),
            CONSTRAINT fb FOREIGN KEY (x) REFERENCES q (a),
            CONSTRAINT fc FOREIGN KEY (x, y) REFERENCES p (a, b) ON UPDATE CASCADE)""",
    "self-reference twice": """
        CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER,
            CONSTRAINT fa FOREIGN KEY (pid) REFERENCES c (id),
            CONSTRAINT fb FOREIGN KEY (pid) REFERENCES c (id))""",
}


@pytest.mark.parametrize("engine", CHANGE_ENGINES)
@pytest.mark.parametrize("case", sorted(SHARED_COLUMNS))
@pytest.mark.parametrize("order", ["same", "reversed"])
def test_keys_sharing_columns_drop_and_re_add(make_db: Any, engine: str, case: str, order: str) -> None:
    """Keys on the same child columns (InnoDB backs them with one implicit index, named after one of them):
    dropping all of them and re-adding them in either order gives back the same keys, enforced."""
    db = make_db(engine)
    db.run(SHARED_COLUMNS[case])
    from tests.test_manage_random import drop_and_re_add

    with refint.connect(db.url) as conn:
        keys = conn.inspect().foreign_keys
        after = drop_and_re_add(conn, keys if order == "same" else list(reversed(keys)))
    assert sorted(json.dumps(fk.to_dict(), sort_keys=True) for _, fk in after.foreign_keys) == \
        sorted(json.dumps(fk.to_dict(), sort_keys=True) for _, fk in keys)
    orphan = "INSERT INTO c (id, pid) VALUES (99, 42)" if "pid" in SHARED_COLUMNS[case] else \
        "INSERT INTO c (id, x, y) VALUES (99, 42, 43)"
    assert insert_orphan_rejected(db, orphan)
