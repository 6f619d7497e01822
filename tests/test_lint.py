"""``refint lint``: every rule fires on a schema built to trigger it and stays silent on one built not to, on
each engine where the rule applies; every fix it prints, when run, makes the finding disappear.

Where the finding predicts an engine behaviour (SET NULL on NOT NULL fails, SQLite's "foreign key
mismatch", a partly-NULL composite key slips through, a cycle cannot be loaded), the test makes the engine
do it, so the rule is checked against the engine and not against itself.
"""

from __future__ import annotations

from typing import Any

import pytest

import refint
from refint.errors import BadInput
from refint.lint import RULES, Finding, normalise_type, sqlite_affinity

ALL = ["sqlite", "postgresql", "mariadb", "duckdb"]


def q(engine: str, name: str) -> str:
    if engine == "mariadb":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def findings(db: Any, rule: str, **options: Any) -> list[Finding]:
    with refint.connect(db.url) as rdb:
        report = rdb.lint(only=[rule], **options)
    assert all(f.rule == rule for f in report.findings)
    return list(report.findings)


def apply_fixes(db: Any, found: list[Finding]) -> None:
    for f in found:
        assert f.fix, f
        db.run(f.fix)


def engine_rejects(db: Any, sql: str) -> bool:
    try:
        db.run(sql)
    except Exception:
        return True
    return False


INNODB = " ENGINE=InnoDB"


def suffix(engine: str) -> str:
    return INNODB if engine == "mariadb" else ""


# ------------------------------------------------------------------------------------------------------
# fk-unindexed
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ALL)
def test_fk_unindexed(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    t, c = q(engine, "line item"), q(engine, "학생 id")
    partial = engine in ("sqlite", "postgresql")
    db.run(f"""
        CREATE TABLE p (id INT PRIMARY KEY, k INT NOT NULL, UNIQUE (id, k)){suffix(engine)};
        CREATE TABLE {t} (id INT PRIMARY KEY, {c} INT, other INT, k INT,
            CONSTRAINT li_p FOREIGN KEY ({c}) REFERENCES p (id),
            CONSTRAINT li_pk FOREIGN KEY ({c}, k) REFERENCES p (id, k)){suffix(engine)};
        CREATE INDEX wrong_order ON {t} (k, {c});
        {f"CREATE INDEX part ON {t} ({c}) WHERE {c} > 0;" if partial else ""}
        CREATE TABLE ok_child (p_id INT, x INT, CONSTRAINT ok_fk FOREIGN KEY (p_id) REFERENCES p (id)){suffix(engine)};
        CREATE INDEX ok_ix ON ok_child (p_id, x);
        CREATE TABLE pk_child (p_id INT PRIMARY KEY, CONSTRAINT pk_fk FOREIGN KEY (p_id) REFERENCES p (id)){suffix(engine)};
    """)
    found = findings(db, "fk-unindexed")
    with refint.connect(db.url) as rdb:
        if rdb.capabilities.indexes_foreign_keys:  # InnoDB and DuckDB index every key themselves
            assert found == []
            assert "fk-unindexed" in rdb.lint().not_applicable
            return
    assert sorted(f.columns for f in found) == [("학생 id",), ("학생 id", "k")]
    assert {f.table for f in found} == {"line item"}
    assert all(f.severity == "warning" and f.fix and f.fix.startswith("CREATE INDEX") for f in found)
    apply_fixes(db, found)
    assert findings(db, "fk-unindexed") == []


# ------------------------------------------------------------------------------------------------------
# fk-type-mismatch
# ------------------------------------------------------------------------------------------------------

def test_normalise_type() -> None:
    assert normalise_type("int(11)") == normalise_type("INTEGER") == ("INTEGER", "")
    assert normalise_type("character varying(20)") == ("VARCHAR", "20")
    assert normalise_type("INT(10) UNSIGNED") == ("INTEGER UNSIGNED", "")
    assert normalise_type("numeric(10, 2)") == ("NUMERIC", "10,2")
    assert normalise_type("int8") == normalise_type("BIGINT")
    assert sqlite_affinity("BIGINT") == sqlite_affinity("int") == "INTEGER"
    assert sqlite_affinity("VARCHAR(3)") == "TEXT" and sqlite_affinity("") == "BLOB"


def test_fk_type_mismatch_postgresql(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(10) UNIQUE, n NUMERIC(10,2) UNIQUE);
        CREATE TABLE c (a BIGINT REFERENCES p (id), code VARCHAR(20) REFERENCES p (code),
                        n NUMERIC(10,2) REFERENCES p (n));
        CREATE TABLE same (a INTEGER REFERENCES p (id), code CHARACTER VARYING(10) REFERENCES p (code));
    """)
    found = findings(db, "fk-type-mismatch")
    assert {(f.table, f.columns, f.details["mismatch"], f.severity) for f in found} == {
        ("c", ("a",), "type", "warning"), ("c", ("code",), "length", "info")}
    apply_fixes(db, found)
    assert findings(db, "fk-type-mismatch") == []


VIEWS_SCHEMA = """
    CREATE TABLE p (id INT PRIMARY KEY, name TEXT);
    CREATE TABLE q (id INT PRIMARY KEY);
    CREATE TABLE c (id INT PRIMARY KEY, p_id SMALLINT CONSTRAINT c_p REFERENCES p (id),
                    q_id SMALLINT CONSTRAINT c_q REFERENCES q (id), note TEXT);
    INSERT INTO p VALUES (1, 'a'), (2, 'b');
    INSERT INTO q VALUES (7), (8);
    INSERT INTO c VALUES (1, 1, 7, 'x'), (2, 2, 8, 'y'), (3, 1, 8, 'it''s');
    CREATE VIEW "v one" AS SELECT c.id, c.p_id, c.q_id, p.name FROM c JOIN p ON p.id = c.p_id;
    CREATE VIEW v2 (key, n) AS SELECT p_id, count(*) FROM "v one" GROUP BY p_id;
    CREATE MATERIALIZED VIEW mv AS SELECT key, n FROM v2;
    CREATE UNIQUE INDEX mv_key ON mv (key);
    CREATE MATERIALIZED VIEW mv_empty AS SELECT q_id FROM c WITH NO DATA;
    CREATE VIEW v_secure WITH (security_barrier, security_invoker) AS SELECT id, p_id FROM c WHERE p_id > 0
        WITH CASCADED CHECK OPTION;
    COMMENT ON VIEW v_secure IS 'it''s secure';
    COMMENT ON COLUMN v_secure.p_id IS 'the key';
    GRANT SELECT ON v_secure TO PUBLIC;
    GRANT SELECT, UPDATE ON v_secure TO pg_monitor WITH GRANT OPTION;
    GRANT SELECT (q_id) ON "v one" TO pg_monitor;
    CREATE FUNCTION moved(k SMALLINT) RETURNS INT LANGUAGE sql AS 'SELECT 1';
    CREATE RULE c_rekey AS ON UPDATE TO c WHERE new.id <> old.id DO INSTEAD SELECT moved(new.q_id);
"""

VIEWS_STATE = """
    SELECT c.relname, c.relkind, pg_get_viewdef(c.oid, true), c.reloptions, c.relispopulated,
           pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class'),
           (SELECT array_agg(format('%s %s %s %s', a.attname, e.grantee::regrole, e.privilege_type, e.is_grantable)
                             ORDER BY 1) FROM pg_attribute a, aclexplode(a.attacl) e WHERE a.attrelid = c.oid),
           (SELECT array_agg(format('%s %s %s', e.grantee, e.privilege_type, e.is_grantable) ORDER BY 1)
            FROM aclexplode(c.relacl) e),
           (SELECT array_agg(col_description(c.oid, a.attnum) ORDER BY a.attnum) FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attnum > 0),
           (SELECT array_agg(pg_get_indexdef(i.indexrelid)) FROM pg_index i WHERE i.indrelid = c.oid)
    FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace ORDER BY 1
"""


def _views_state(db: Any) -> tuple[list[Any], dict[str, list[Any]]]:
    state = db.query(VIEWS_STATE)
    data = {name: db.query(f'SELECT * FROM "{name}" ORDER BY 1, 2') for name, *_ in state
            if name != "mv_empty"}
    return state, data


def test_fk_type_mismatch_postgresql_views(make_db: Any) -> None:
    """Retyping a column a view uses: the fix drops the views on it (and on them), retypes, and re-creates
    them as they were (definition, options, grants, comments, data, indexes, WITH NO DATA), and the rule on
    the table keeps calling its SMALLINT function. Each of two fixes sharing views runs alone too."""
    first, second = make_db("postgresql"), make_db("postgresql")
    for db in (first, second):
        db.run(VIEWS_SCHEMA)
    before = _views_state(first)
    found = {f.constraint: f for f in findings(first, "fk-type-mismatch")}
    assert set(found) == {"c_p", "c_q"}
    assert found["c_p"].details["views"] == ["public.v one", "public.v_secure", "public.v2", "public.mv"]
    assert set(found["c_q"].details["views"]) == {"public.v one", "public.mv_empty", "public.v2", "public.mv"}
    for f in found.values():
        assert f.fix is not None and f.fix.startswith("-- ") and "BEGIN;" in f.fix and f.fix.endswith("COMMIT;")
    # the rule uses q_id only; re-created, it reads q_id as the SMALLINT its function takes
    assert 'DROP RULE "c_rekey" ON "public"."c";' in found["c_q"].fix
    assert "DROP RULE" not in found["c_p"].fix and "moved((new.q_id)::smallint)" in found["c_q"].fix
    # PostgreSQL refuses the bare ALTER: this is what the wrapping is for
    assert engine_rejects(first, 'ALTER TABLE c ALTER COLUMN p_id TYPE INTEGER')

    apply_fixes(first, [found["c_p"], found["c_q"]])
    assert findings(first, "fk-type-mismatch") == []
    assert _views_state(first) == before
    assert first.query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                       "WHERE attrelid = '\"v one\"'::regclass AND attname IN ('p_id', 'q_id')") == [
        ("integer",), ("integer",)]
    # the re-created rule still matches moved(SMALLINT) and still turns a re-key into a no-op
    first.run("UPDATE c SET id = 10 WHERE id = 1")
    assert first.query("SELECT id FROM c ORDER BY id") == [(1,), (2,), (3,)]

    # the second fix alone (the first never ran), then the first: same end state
    apply_fixes(second, [found["c_q"]])
    left = findings(second, "fk-type-mismatch")
    assert [f.constraint for f in left] == ["c_p"]
    assert _views_state(second) == before
    apply_fixes(second, [found["c_p"]])
    assert findings(second, "fk-type-mismatch") == []
    assert _views_state(second) == before


def test_fk_type_mismatch_mariadb(make_db: Any) -> None:
    db = make_db("mariadb")
    db.run("CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(10) UNIQUE) ENGINE=InnoDB")
    # InnoDB itself refuses INT -> BIGINT, so only a length mismatch can exist there
    assert engine_rejects(db, "CREATE TABLE bad (a BIGINT, FOREIGN KEY (a) REFERENCES p (id)) ENGINE=InnoDB")
    db.run("""CREATE TABLE c (a INT, code VARCHAR(20), FOREIGN KEY (a) REFERENCES p (id),
                              FOREIGN KEY (code) REFERENCES p (code)) ENGINE=InnoDB""")
    found = findings(db, "fk-type-mismatch")
    assert [(f.columns, f.details["mismatch"]) for f in found] == [(("code",), "length")]
    apply_fixes(db, found)
    assert findings(db, "fk-type-mismatch") == []


def test_fk_type_mismatch_sqlite_uses_affinity(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("""
        CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
        CREATE TABLE c (a BIGINT REFERENCES p (id), b INT REFERENCES p (code), code VARCHAR(3) REFERENCES p (code));
        INSERT INTO p VALUES (1, '007');
    """)
    found = findings(db, "fk-type-mismatch")
    assert [(f.columns, f.fix) for f in found] == [(("b",), None)]
    # the engine agrees: '007' stored with INTEGER affinity becomes 7 and never matches the TEXT key '007'
    conn = db.dbapi()
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO c (a, code) VALUES ('01', '007')")  # same affinities: both match
    with pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute("INSERT INTO c (b) VALUES ('007')")


def test_fk_type_mismatch_cannot_exist_on_duckdb(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE p (id BIGINT PRIMARY KEY, code VARCHAR(10) UNIQUE)")
    assert engine_rejects(db, "CREATE TABLE bad (a INT REFERENCES p (id))")  # DuckDB refuses other types
    db.run("CREATE TABLE c (a BIGINT REFERENCES p (id), code VARCHAR(20) REFERENCES p (code))")
    assert findings(db, "fk-type-mismatch") == []  # DuckDB's VARCHAR has no length: nothing differs


# ------------------------------------------------------------------------------------------------------
# fk-target-not-unique
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ALL)
def test_fk_target_not_unique(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(f"CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL){suffix(engine)};"
           + ("CREATE INDEX p_code ON p (code);" if engine == "mariadb" else ""))
    sql = f"CREATE TABLE c (code VARCHAR(10), CONSTRAINT c_code FOREIGN KEY (code) REFERENCES p (code)){suffix(engine)}"
    if engine in ("postgresql", "duckdb"):
        assert engine_rejects(db, sql)  # these engines never let such a key exist
        assert findings(db, "fk-target-not-unique") == []
        return
    db.run(sql)
    db.run("CREATE TABLE ok (p_id INT REFERENCES p (id))" + suffix(engine))
    found = findings(db, "fk-target-not-unique")
    assert [(f.table, f.columns, f.severity) for f in found] == [("c", ("code",), "error")]
    if engine == "sqlite":
        conn = db.dbapi()
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(Exception, match="foreign key mismatch"):
            conn.execute("INSERT INTO c VALUES (NULL)")
    apply_fixes(db, found)
    assert findings(db, "fk-target-not-unique") == []
    if engine == "sqlite":
        conn = db.dbapi()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("INSERT INTO c VALUES (NULL)")


# ------------------------------------------------------------------------------------------------------
# fk-duplicate
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ALL)
def test_fk_duplicate(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(f"""
        CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b)){suffix(engine)};
        CREATE TABLE c (x INT, y INT,
            CONSTRAINT fk1 FOREIGN KEY (x, y) REFERENCES p (a, b),
            CONSTRAINT fk2 FOREIGN KEY {"(x, y) REFERENCES p (a, b)" if engine in ("mariadb", "duckdb") else
                                        "(y, x) REFERENCES p (b, a)"} {"" if engine == "duckdb" else "ON DELETE CASCADE"},
            CONSTRAINT fk3 FOREIGN KEY (y, x) REFERENCES p (a, b)){suffix(engine)};
    """)
    found = findings(db, "fk-duplicate")
    if engine == "duckdb":  # DuckDB keeps no constraint names: refint names keys by their columns
        assert [(f.table, f.columns) for f in found] == [("c", ("x", "y"))]
    else:
        assert [(f.constraint, f.details["duplicate_of"]) for f in found] == [("fk2", "fk1")]
    assert ("actions differ" in found[0].message) == (engine != "duckdb")
    if engine in ("sqlite", "duckdb"):
        assert found[0].fix is None  # no ALTER TABLE ... DROP CONSTRAINT for foreign keys there
        return
    apply_fixes(db, found)
    assert findings(db, "fk-duplicate") == []


# ------------------------------------------------------------------------------------------------------
# fk-set-null-not-nullable
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_fk_set_null_not_nullable(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(f"CREATE TABLE p (id INT PRIMARY KEY){suffix(engine)}; INSERT INTO p VALUES (1), (2);")
    sql = (f"CREATE TABLE c (id INT PRIMARY KEY, p_id INT NOT NULL, CONSTRAINT c_p FOREIGN KEY (p_id) "
           f"REFERENCES p (id) ON DELETE SET NULL){suffix(engine)}")
    if engine == "mariadb":
        assert engine_rejects(db, sql)  # InnoDB refuses to create it
        return
    db.run(sql + ";" + f"CREATE TABLE ok (p_id INT, FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE SET NULL);"
           "INSERT INTO c VALUES (1, 1);")
    found = findings(db, "fk-set-null-not-nullable")
    assert [(f.table, f.columns) for f in found] == [("c", ("p_id",))]
    conn = db.dbapi()
    if engine == "sqlite":
        conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(Exception, match="(?i)not.null"):  # the engine fails exactly as predicted
        conn.execute("DELETE FROM p WHERE id = 1")
    if engine == "sqlite":
        assert found[0].fix is None
        return
    apply_fixes(db, found)
    assert findings(db, "fk-set-null-not-nullable") == []
    conn.execute("DELETE FROM p WHERE id = 1")


# ------------------------------------------------------------------------------------------------------
# fk-set-default-invalid
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_fk_set_default_invalid(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(5) UNIQUE);
        INSERT INTO p VALUES (1, 'a'), (2, 'b');
        CREATE TABLE c (id INT PRIMARY KEY, p_id INT DEFAULT 0 REFERENCES p (id) ON DELETE SET DEFAULT,
                        code VARCHAR(5) DEFAULT 'b' REFERENCES p (code) ON DELETE SET DEFAULT,
                        n INT NOT NULL REFERENCES p (id) ON UPDATE SET DEFAULT);
        INSERT INTO c VALUES (1, 1, 'a', 2);
    """)
    found = findings(db, "fk-set-default-invalid")
    assert sorted(f.columns for f in found) == [("n",), ("p_id",)]
    conn = db.dbapi()
    if engine == "sqlite":
        conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(Exception, match="(?i)foreign key"):  # default 0 has no parent: the engine refuses
        conn.execute("DELETE FROM p WHERE id = 1")
    db.run("INSERT INTO p VALUES (0, 'z')")
    assert [f.columns for f in findings(db, "fk-set-default-invalid")] == [("n",)]
    conn.execute("DELETE FROM p WHERE id = 1")


def test_literal_default() -> None:
    from refint.lint import literal_default

    assert literal_default("5") == (True, 5)
    assert literal_default("'it''s'::character varying") == (True, "it's")
    assert literal_default("nextval('s'::regclass)")[0] is False
    assert literal_default(None) == (True, None)


# ------------------------------------------------------------------------------------------------------
# fk-composite-partly-nullable
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ALL)
def test_fk_composite_partly_nullable(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(f"""
        CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b)){suffix(engine)};
        CREATE TABLE c (x INT, y INT, CONSTRAINT c_p FOREIGN KEY (x, y) REFERENCES p (a, b)){suffix(engine)};
        CREATE TABLE ok (x INT NOT NULL, y INT NOT NULL, CONSTRAINT ok_p FOREIGN KEY (x, y) REFERENCES p (a, b)){suffix(engine)};
    """)
    found = findings(db, "fk-composite-partly-nullable")
    assert [(f.table, f.columns) for f in found] == [("c", ("x", "y"))]
    conn = db.dbapi()
    if engine == "sqlite":
        conn.execute("PRAGMA foreign_keys = ON")
    conn.cursor().execute("INSERT INTO c VALUES (42, NULL)")  # no parent (42, ...) and the engine accepts it
    if engine in ("sqlite", "duckdb"):
        assert found[0].fix is None
        return
    db.run("DELETE FROM c")
    apply_fixes(db, found)
    assert findings(db, "fk-composite-partly-nullable") == []


# ------------------------------------------------------------------------------------------------------
# fk-not-validated
# ------------------------------------------------------------------------------------------------------

def test_fk_not_validated(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("""
        CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (p_id INT); CREATE TABLE ok (p_id INT REFERENCES p);
        ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID;
    """)
    found = findings(db, "fk-not-validated")
    assert [f.constraint for f in found] == ["c_p"]
    apply_fixes(db, found)
    assert findings(db, "fk-not-validated") == []


@pytest.mark.parametrize("engine", ["sqlite", "mariadb", "duckdb"])
def test_fk_not_validated_not_applicable(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run("CREATE TABLE p (id INT PRIMARY KEY)")
    with refint.connect(db.url) as rdb:
        assert "fk-not-validated" in rdb.lint().not_applicable


# ------------------------------------------------------------------------------------------------------
# fk-cycle
# ------------------------------------------------------------------------------------------------------

CYCLE = {
    "sqlite": """
        CREATE TABLE store (id INT PRIMARY KEY, manager INT NOT NULL CONSTRAINT store_mgr REFERENCES staff (id));
        CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL CONSTRAINT staff_store REFERENCES store (id));
        CREATE TABLE emp (id INT PRIMARY KEY, boss INT REFERENCES emp (id));
        CREATE TABLE node (id INT PRIMARY KEY, parent INT NOT NULL REFERENCES node (id));
        CREATE TABLE x (id INT PRIMARY KEY, y_id INT REFERENCES y (id));
        CREATE TABLE y (id INT PRIMARY KEY, x_id INT NOT NULL REFERENCES x (id));
    """,
    "postgresql": """
        CREATE TABLE store (id INT PRIMARY KEY, manager INT NOT NULL);
        CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL REFERENCES store (id));
        ALTER TABLE store ADD CONSTRAINT store_mgr FOREIGN KEY (manager) REFERENCES staff (id);
        CREATE TABLE emp (id INT PRIMARY KEY, boss INT REFERENCES emp (id));
        CREATE TABLE node (id INT PRIMARY KEY, parent INT NOT NULL REFERENCES node (id));
        CREATE TABLE x (id INT PRIMARY KEY, y_id INT);
        CREATE TABLE y (id INT PRIMARY KEY, x_id INT NOT NULL REFERENCES x (id));
        ALTER TABLE x ADD FOREIGN KEY (y_id) REFERENCES y (id);
    """,
}
CYCLE["mariadb"] = CYCLE["postgresql"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_fk_cycle(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(CYCLE[engine])
    found = findings(db, "fk-cycle")
    summary = sorted((tuple(f.details["tables"]), f.details["loadable"], f.severity) for f in found)
    assert summary == [(("staff", "store"), False, "warning"),
                       (("x", "y"), True, "info")]
    # the engine agrees that store <-> staff cannot be loaded with checks on, in any order
    conn = db.dbapi()
    if engine == "sqlite":
        conn.execute("PRAGMA foreign_keys = ON")
    cur = conn.cursor()
    for first, second in (("INSERT INTO store VALUES (1, 1)", "INSERT INTO staff VALUES (1, 1)"),
                          ("INSERT INTO staff VALUES (1, 1)", "INSERT INTO store VALUES (1, 1)")):
        with pytest.raises(Exception, match="(?i)foreign key"):
            cur.execute(first)
            cur.execute(second)
    if engine != "postgresql":
        assert all(f.fix is None for f in found)
        return
    apply_fixes(db, [f for f in found if not f.details["loadable"]])
    after = findings(db, "fk-cycle")
    assert all(f.details["loadable"] and f.severity == "info" for f in after)
    assert sorted(tuple(f.details["tables"]) for f in after) == [("staff", "store"), ("x", "y")]
    deferred = [f.table for f in found if not f.details["loadable"] and f.table in ("store", "staff")]
    order = deferred + [t for t in ("store", "staff") if t not in deferred]
    conn.execute("BEGIN")  # now loadable: the deferred key's table first, checked at commit
    for t in order:
        conn.execute(f"INSERT INTO {t} VALUES (1, 1)")
    conn.execute("COMMIT")
    assert db.query("SELECT count(*) FROM store")[0][0] == 1


# ------------------------------------------------------------------------------------------------------
# fk-cascade-depth
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_fk_cascade_depth(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    s = suffix(engine)
    db.run(f"""
        CREATE TABLE root (id INT PRIMARY KEY){s};
        CREATE TABLE c1 (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES root (id) ON DELETE CASCADE){s};
        CREATE TABLE c2 (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES c1 (id) ON DELETE CASCADE){s};
        CREATE TABLE c3 (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES c2 (id) ON DELETE CASCADE){s};
        CREATE TABLE c4 (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES c3 (id) ON DELETE CASCADE){s};
        CREATE TABLE side (id INT PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES c3 (id)){s};
        INSERT INTO root VALUES (1); INSERT INTO c1 VALUES (1, 1); INSERT INTO c2 VALUES (1, 1);
        INSERT INTO c3 VALUES (1, 1); INSERT INTO c4 VALUES (1, 1);
    """)
    found = findings(db, "fk-cascade-depth")
    assert [(f.table, f.details["reached"], f.details["depth"]) for f in found] == [
        ("root", ["c1", "c2", "c3", "c4"], 4)]
    assert findings(db, "fk-cascade-depth", cascade_depth=4) == []
    assert [f.table for f in findings(db, "fk-cascade-depth", cascade_depth=2)] == ["c1", "root"]
    # the engine agrees: one DELETE on root empties every table the finding names
    conn = db.dbapi()
    if engine == "sqlite":
        conn.execute("PRAGMA foreign_keys = ON")
    conn.cursor().execute("DELETE FROM root")
    assert [db.query(f"SELECT count(*) FROM {t}")[0][0] for t in ("c1", "c2", "c3", "c4")] == [0, 0, 0, 0]


# ------------------------------------------------------------------------------------------------------
# fk-missing
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ALL)
def test_fk_missing(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    s = suffix(engine)
    db.run(f"""
        CREATE TABLE teams (id INT PRIMARY KEY){s};
        CREATE TABLE category (category_id INT PRIMARY KEY){s};
        CREATE TABLE users (id INT PRIMARY KEY, team_id INT, category_id INT, session_id INT,
                            FOREIGN KEY (category_id) REFERENCES category (category_id)){s};
    """)
    found = findings(db, "fk-missing")
    assert [(f.table, f.columns, f.severity) for f in found] == [("users", ("team_id",), "info")]
    with refint.connect(db.url) as rdb:
        assert [f.rule for f in rdb.lint(disable=["fk-missing"]).findings if f.rule == "fk-missing"] == []
    if not found[0].fix:
        assert engine in ("sqlite", "duckdb")  # no ALTER TABLE ADD FOREIGN KEY there
        return
    apply_fixes(db, found)
    assert findings(db, "fk-missing") == []


# ------------------------------------------------------------------------------------------------------
# options, configuration, suppression
# ------------------------------------------------------------------------------------------------------

def test_every_rule_has_a_docs_page() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "lint"
    for rid in RULES:
        page = (docs / f"{rid}.md").read_text(encoding="utf-8")
        assert rid in page and "## Fix" in page and "## Why" in page


def test_ignore_and_config(make_db: Any, tmp_path: Any, monkeypatch: Any) -> None:
    from refint.lint import load_config

    db = make_db("postgresql")
    db.run("""CREATE TABLE p (id INT PRIMARY KEY);
              CREATE TABLE c (a INT CONSTRAINT c_a REFERENCES p, b INT CONSTRAINT c_b REFERENCES p, p_id INT);""")
    with refint.connect(db.url) as rdb:
        every = rdb.lint()
        assert {f.constraint for f in every.findings if f.rule == "fk-unindexed"} == {"c_a", "c_b"}
        some = rdb.lint(ignore=["c.c_a", "fk-unindexed:c_b", "c.p_id"])
        assert [f.rule for f in some.findings] == [] and some.suppressed == 3
        assert rdb.lint(ignore=["fk-missing:c_b"]).suppressed == 0  # rule prefix must match
    (tmp_path / "pyproject.toml").write_text('[tool.refint]\ndisable = ["fk-missing"]\nignore = ["c_b"]\n'
                                             'fail-on = "error"\ncascade-depth = 5\n')
    sub = tmp_path / "deeper"
    sub.mkdir()
    config = load_config(sub)
    assert config.disable == ("fk-missing",) and config.fail_on == "error" and config.cascade_depth == 5
    with refint.connect(db.url) as rdb:
        report = rdb.lint(config=config)
    assert [(f.rule, f.constraint) for f in report.findings] == [("fk-unindexed", "c_a")]
    assert "fk-missing" not in report.rules
    with pytest.raises(BadInput, match="no-such-rule"):
        with refint.connect(db.url) as rdb:
            rdb.lint(disable=["no-such-rule"])
