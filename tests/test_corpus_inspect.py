"""Acceptance: refint inspects every public sample database with the counts the corpus README gives.

Each case loads one corpus database into a fresh test database with the real client (tests/corpus.py),
then checks, in this order:

1. the load went as the README says (the same number of client errors, each one explained there);
2. ``refint.connect(url).inspect()`` finds the README's number of tables and foreign keys;
3. refint's tables and foreign keys are exactly the engine's own, read here by a catalog query written
   independently of refint (``pg_constraint`` with ``conparentid = 0``, ``information_schema``,
   ``PRAGMA foreign_key_list``): table, constraint name, columns, referred table and columns, actions;
4. the rows loaded and the FK features the README names (self-references, composite keys, NOT VALID,
   DEFERRABLE, actions) are as it says;
5. ``python -m refint inspect URL --format json`` prints the same document as the library.

The corpus is not part of the repository: every case skips when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import refint
from tests import corpus as C

pytestmark = pytest.mark.corpus

CASES = sorted(C.EXPECTED)

FK = tuple[Any, ...]  # (schema, table, name, columns, referred schema, referred table, referred columns, extra)


def _case_id(case: tuple[str, str, str]) -> str:
    database, engine, variant = case
    return f"{database}-{engine}" + (f"-{variant}" if variant else "")


# ------------------------------------------------------------------------------------------------------
# the engines' own catalogs, queried without refint
# ------------------------------------------------------------------------------------------------------

PG_FKS = r"""
SELECT n.nspname::text, c.relname::text, con.conname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       fn.nspname::text, fc.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
       con.confdeltype::text, con.confupdtype::text, con.condeferrable, con.condeferred, con.convalidated
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class fc ON fc.oid = con.confrelid
JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype = 'f' AND con.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
"""

PG_TABLES = r"""
SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
"""

PG_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

MY_FKS = """
SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA,
       k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME
 AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""

MY_TABLES = """
SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
"""

SQLITE_TABLES = "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"

# ``CONSTRAINT name FOREIGN KEY (cols)`` in the CREATE TABLE text: SQLite keeps FK names nowhere else.
# Deliberately simple (enough for the corpus files), and independent of refint's own DDL parser.
_IDENT = r'(?:\[[^\]]+\]|"[^"]+"|`[^`]+`|\w+)'
SQLITE_NAMED_FK = re.compile(rf"CONSTRAINT\s+({_IDENT})\s+FOREIGN\s+KEY\s*\(([^)]*)\)", re.I)


def _unquote(ident: str) -> str:
    ident = ident.strip()
    if ident[:1] in '["`' and len(ident) > 1:
        return ident[1:-1]
    return ident


def catalog_tables(db: Any) -> set[tuple[str | None, str]]:
    if db.engine == "postgresql":
        return {(s, t) for s, t in db.query(PG_TABLES)}
    if db.engine == "mariadb":
        return {(s, t) for s, t in db.query(MY_TABLES)}
    return {(None, name) for name, _sql in db.query(SQLITE_TABLES)}


def catalog_fks(db: Any) -> set[FK]:
    """Every FK as the engine's catalog states it, in refint's normalised spelling."""
    out: set[FK] = set()
    if db.engine == "postgresql":
        for (schema, table, name, cols, fschema, ftable, fcols, dele, upd, deferrable, deferred,
             validated) in db.query(PG_FKS):
            out.add((schema, table, name, tuple(cols), fschema, ftable, tuple(fcols),
                     (PG_ACTIONS[dele], PG_ACTIONS[upd], deferrable, deferred, validated)))
    elif db.engine == "mariadb":
        grouped: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
        for schema, table, name, col, fschema, ftable, fcol, dele, upd in db.query(MY_FKS):
            grouped.setdefault((schema, table, name), []).append((col, fschema, ftable, fcol, dele, upd))
        for (schema, table, name), rows in grouped.items():
            # refint reports MariaDB's RESTRICT as NO ACTION, by design: InnoDB stores a declared RESTRICT,
            # an undeclared action and SET DEFAULT alike (see the docstring of refint/engines/mysql.py).
            dele, upd = (("NO ACTION" if a == "RESTRICT" else a) for a in rows[0][4:6])
            out.add((schema, table, name, tuple(r[0] for r in rows), rows[0][1], rows[0][2],
                     tuple(r[3] for r in rows), (dele, upd, False, False, None)))
    else:
        tables = db.query(SQLITE_TABLES)
        for table, sql in tables:
            names = {tuple(_unquote(c).lower() for c in cols.split(",")): _unquote(name)
                     for name, cols in SQLITE_NAMED_FK.findall(sql or "")}
            rows = db.query(f"SELECT * FROM pragma_foreign_key_list('{table}') ORDER BY id, seq")
            grouped_fk: dict[int, list[tuple[Any, ...]]] = {}
            for fid, _seq, parent, frm, to, on_update, on_delete, _match in rows:
                grouped_fk.setdefault(fid, []).append((parent, frm, to, on_update, on_delete))
            for fk_rows in grouped_fk.values():
                parent = fk_rows[0][0]
                cols = tuple(r[1] for r in fk_rows)
                to = tuple(r[2] for r in fk_rows)
                if any(c is None for c in to):  # REFERENCES parent, no column list: the parent's PK
                    pk = db.query(f"SELECT name FROM pragma_table_info('{parent}') WHERE pk > 0 ORDER BY pk")
                    to = tuple(r[0] for r in pk)
                name = names.get(tuple(c.lower() for c in cols))
                out.add((None, table, name, cols, None, parent, to,
                         (fk_rows[0][4], fk_rows[0][3], False, False, None)))
    return out


def refint_fks(schema: Any) -> set[FK]:
    return {(t.schema, t.name, fk.name, fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns,
             (fk.on_delete.value, fk.on_update.value, fk.deferrable, fk.initially_deferred, fk.validated))
            for t, fk in schema.foreign_keys}


def _diff(label: str, ours: set[Any], theirs: set[Any]) -> str:
    only_ours = sorted(ours - theirs, key=repr)[:10]
    only_theirs = sorted(theirs - ours, key=repr)[:10]
    return f"{label}: only in refint {only_ours}; only in the catalog {only_theirs}"


# ------------------------------------------------------------------------------------------------------
# the test
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_corpus_inspect(case: tuple[str, str, str], corpus: Path, make_db: Any) -> None:
    database, engine, variant = case
    db = make_db(engine)
    expected = C.expected_for(case, db)
    try:
        report = C.load(database, db, root=corpus, **C.VARIANTS.get((database, variant), {}))
    except C.CorpusUnavailable as exc:
        pytest.skip(str(exc))
    print(f"load {_case_id(case)}: {report.seconds:.2f} s, {len(report.errors)} client errors")

    # 1. the load itself
    assert len(report.errors) == expected.load_errors, "\n".join(report.errors)

    # 2. refint's counts
    with refint.connect(db.url) as rdb:
        schema = rdb.inspect()
    n_fks = len(schema.foreign_keys)
    assert (len(schema.tables), n_fks) == (expected.tables, expected.foreign_keys), (
        f"{_case_id(case)}: refint found {len(schema.tables)} tables / {n_fks} FKs, "
        f"README says {expected.tables} / {expected.foreign_keys}")

    # 3. the engine's own catalog
    ours_tables = {t.key for t in schema.tables}
    assert ours_tables == catalog_tables(db), _diff("tables", ours_tables, catalog_tables(db))
    ours, theirs = refint_fks(schema), catalog_fks(db)
    assert len(ours) == n_fks, "two foreign keys with identical descriptions"
    assert ours == theirs, _diff("foreign keys", ours, theirs)

    # 4. rows loaded and the README's FK features
    if expected.rows is not None:
        assert C.count_rows(db, [t.key for t in schema.tables]) == expected.rows
    features = C.fk_features(schema)
    assert {k: features.get(k, 0) for k in expected.features} == expected.features

    # 5. the data checks clean (the README found no orphan in any of them), except the employees
    #    variant loaded with its optional file of 24 orphans
    with refint.connect(db.url) as rdb:
        report = rdb.check()
    if variant == "orphans":
        assert [(v.kind, v.table, v.count) for v in report.violations] == [("foreign_key", "dept_manager", 24)]
    else:
        assert report.ok, [v.to_dict() for v in report.violations][:5]
    # the same report when every one-column integer key of any size may take the range path
    # (refint.check: a filter on the parent's key range instead of the join)
    from refint.engines.base import Engine

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Engine, "RANGE_MIN_ROWS", 0)
        with refint.connect(db.url) as rdb:
            assert rdb.check().to_dict() == report.to_dict()

    # 6. the CLI prints the same document
    proc = subprocess.run([sys.executable, "-m", "refint", "inspect", db.url, "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["tables"]) == expected.tables
    assert sum(len(t["foreign_keys"]) for t in data["tables"]) == expected.foreign_keys
    assert data == json.loads(json.dumps(schema.to_dict()))


def test_employees_orphans_are_the_24_managers(corpus: Path, make_db: Any) -> None:
    """``with_orphans=True`` leaves exactly the README's 24 dept_manager rows without an employee."""
    db = make_db("mariadb")
    C.load_employees(db, root=corpus, with_orphans=True)
    orphans = db.query("SELECT count(*) FROM dept_manager m LEFT JOIN employees e ON e.emp_no = m.emp_no "
                       "WHERE e.emp_no IS NULL")
    assert orphans == [(24,)]
    assert db.query("SELECT count(*) FROM dept_manager m LEFT JOIN departments d ON d.dept_no = m.dept_no "
                    "WHERE d.dept_no IS NULL") == [(0,)]


@pytest.mark.parametrize(("engine", "path"), [
    ("postgresql", "chinook/postgresql/Chinook_PostgreSql.sql"),
    ("mariadb", "chinook/mysql/Chinook_MySql.sql"),
    ("mariadb", "sakila/mysql/sakila-mv-schema.sql"),
    ("mariadb", "employees/mysql/employees.sql"),
])
def test_loaders_refuse_scripts_that_name_another_database(corpus: Path, engine: str, path: str) -> None:
    """Unstripped upstream files drop, create or switch databases: the client is never even started."""
    class NoDB:
        name = "must_not_be_used"

    run = C.psql if engine == "postgresql" else C.mariadb
    with pytest.raises(C.LoadFailed, match="names a database"):
        run(NoDB(), (corpus / path).read_text(encoding="utf-8"))
