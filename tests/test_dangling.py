"""Dangling keys: a foreign key whose referred table does not exist (issue 18, class 6).

SQLite accepts ``REFERENCES nosuch (id)``; MariaDB keeps a key whose parent was dropped or never created
under ``FOREIGN_KEY_CHECKS=0``. ``check`` reports every row that sets such a key and checks the rest; every
other verb answers. Each answer is compared with what the engine itself does.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import refint
from tests.test_plan_random import run_for_real
from tests.schemagen import ColSpec, SchemaSpec, TableSpec

SCHEMA = {
    "sqlite": """CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, q INTEGER, a INTEGER, b INTEGER,
  CONSTRAINT fk_c_nosuch FOREIGN KEY (pid) REFERENCES nosuch (id),
  CONSTRAINT fk_c_p FOREIGN KEY (q) REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT fk_c_full FOREIGN KEY (a, b) REFERENCES gone (x, y));
CREATE TABLE d (id INTEGER PRIMARY KEY, cid INTEGER CONSTRAINT fk_d_c REFERENCES c (id) ON DELETE CASCADE);
CREATE TABLE s (id INTEGER PRIMARY KEY, q INTEGER CONSTRAINT fk_s_p REFERENCES p (id) ON DELETE SET NULL);
""",
    "mariadb": """SET FOREIGN_KEY_CHECKS = 0;
CREATE TABLE p (id INTEGER PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE gone (x INTEGER, y INTEGER, PRIMARY KEY (x, y)) ENGINE=InnoDB;
CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, q INTEGER, a INTEGER, b INTEGER,
  CONSTRAINT fk_c_nosuch FOREIGN KEY (pid) REFERENCES nosuch (id),
  CONSTRAINT fk_c_p FOREIGN KEY (q) REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT fk_c_full FOREIGN KEY (a, b) REFERENCES gone (x, y)) ENGINE=InnoDB;
CREATE TABLE d (id INTEGER PRIMARY KEY, cid INTEGER,
  CONSTRAINT fk_d_c FOREIGN KEY (cid) REFERENCES c (id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE s (id INTEGER PRIMARY KEY, q INTEGER,
  CONSTRAINT fk_s_p FOREIGN KEY (q) REFERENCES p (id) ON DELETE SET NULL) ENGINE=InnoDB;
DROP TABLE gone;
""",
}
# c: rows 1, 3 and 4 set pid (no parent can exist); row 3 also has an ordinary orphan q = 9; (a, b) is set
# on row 1 and half-set on row 2 (MATCH SIMPLE: not a violation)
DATA = """INSERT INTO p VALUES (1), (2);
INSERT INTO c VALUES (1, 5, 1, 1, 1), (2, NULL, 1, 1, NULL), (3, 7, 9, NULL, NULL), (4, 5, 2, NULL, NULL);
INSERT INTO d VALUES (1, 1), (2, 4);
INSERT INTO s VALUES (1, 1), (2, 2);
"""
SPEC = SchemaSpec([TableSpec(n, [ColSpec(c) for c in cols]) for n, cols in
                   (("p", ["id"]), ("c", ["id", "pid", "q", "a", "b"]), ("d", ["id", "cid"]), ("s", ["id", "q"]))])


def _make(make_db: Any, engine: str) -> Any:
    db = make_db(engine)
    db.run(SCHEMA[engine] + DATA + ("SET FOREIGN_KEY_CHECKS = 1;" if engine == "mariadb" else ""))
    return db


def _set_rows(db: Any, cols: list[str]) -> Counter[tuple[Any, ...]]:
    """The independent answer: every row of c whose key columns are all set, grouped by key."""
    sel = ", ".join(cols)
    where = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    return Counter({tuple(r[:-1]): r[-1] for r in db.query(f"SELECT {sel}, count(*) FROM c WHERE {where} GROUP BY {sel}")})


@pytest.mark.parametrize("engine", ["sqlite", "mariadb"])
def test_check_reports_every_row_that_sets_a_dangling_key(make_db: Any, engine: str) -> None:
    db = _make(make_db, engine)
    with refint.connect(db.url) as conn:
        report = conn.check(sample=10)
    by = {(v.constraint, v.message.startswith("MATCH FULL")): v for v in report.violations}
    missing = by[("fk_c_nosuch", False)]
    assert missing.parent_missing and missing.to_dict()["parent_missing"] is True
    assert "nosuch" in missing.message and "does not exist" in missing.message
    expected = _set_rows(db, ["pid"])
    assert missing.count == sum(expected.values()) == 3
    assert {(s["pid"],) for s in missing.sample} == set(expected)
    two = by[("fk_c_full", False)]
    assert two.parent_missing and two.count == sum(_set_rows(db, ["a", "b"]).values()) == 1
    # the rest is still checked: the ordinary orphan of fk_c_p, and nothing else
    assert by[("fk_c_p", False)].count == 1 and not by[("fk_c_p", False)].parent_missing
    assert report.checked["foreign_key"] == 5
    if engine == "sqlite":  # SQLite's own check lists the same rows (rowids of c per key)
        raw = sqlite3.connect(db.path)
        pragma = Counter(r[2] for r in raw.execute("PRAGMA foreign_key_check(c)"))
        raw.close()
        assert pragma["nosuch"] == missing.count and pragma["gone"] == two.count
    out = subprocess.run([sys.executable, "-m", "refint", "check", db.url, "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    assert any(v.get("parent_missing") for v in json.loads(out.stdout)["violations"])


# statements on the schema above, each run for real (keys on) and planned
STATEMENTS = [
    ("delete", "p", None, "id = 2"),      # cascades into c (SQLite: refused at prepare) and SET NULL on s
    ("delete", "c", None, "1 = 0"),       # SQLite refuses even when no row matches
    ("delete", "d", None, "1 = 1"),       # d has no dangling key
    ("update", "c", "pid = 3", "id = 2"),  # a new key without parent (InnoDB 1452; SQLite: prepare)
    ("update", "c", "pid = NULL", "id = 1"),
    ("update", "c", "q = 1", "id = 3"),   # other columns: passes on both
    ("update", "p", "id = 7", "id = 2"),  # ON UPDATE CASCADE writes c.q, not the dangling columns
]


@pytest.mark.parametrize("engine", ["sqlite", "mariadb"])
def test_plan_predicts_what_the_engine_does(make_db: Any, engine: str) -> None:
    db = _make(make_db, engine)
    for op, table, sets, where in STATEMENTS:
        with refint.connect(db.url) as conn:
            plan = conn.plan_delete(table, where) if sets is None else conn.plan_update(table, sets, where)
        sql = f"DELETE FROM {table} WHERE {where}" if sets is None else f"UPDATE {table} SET {sets} WHERE {where}"
        accepted, error, deleted, updated, _ = run_for_real(db, engine, SPEC, sql)
        assert plan.certain, (sql, plan.notes)
        assert plan.ok == accepted, (sql, error, plan.to_dict())
        if accepted:
            assert {k: v for k, v in plan.deleted.items() if v} == deleted or op == "update", sql
        # SQLite's refusal to prepare is predicted as such, and only then
        assert ("no such table" in error) == any("no such table" in b.reason for b in plan.blocked_by), sql


@pytest.mark.parametrize("engine", ["sqlite", "mariadb"])
def test_every_verb_answers(make_db: Any, engine: str, tmp_path: Path) -> None:
    db = _make(make_db, engine)
    with refint.connect(db.url) as conn:
        c = conn.table("c")
        assert {fk.name for fk in c.foreign_keys if fk.parent_missing} == {"fk_c_nosuch", "fk_c_full"}
        found = [f for f in conn.lint().findings if f.details.get("missing_parent")]
        assert {f.constraint for f in found} == {"fk_c_nosuch", "fk_c_full"}
        ddl = conn.ddl("postgresql")
        assert not any("nosuch" in s for s in ddl.statements)
        assert {u.constraint for u in ddl.untranslated} >= {"fk_c_nosuch", "fk_c_full"}
        graph = conn.graph()
        assert graph.to_dict()["edges"]
        for purpose in ("load", "delete", "drop"):
            assert set(conn.order(purpose).order) == {"p", "c", "d", "s"}
    for args in (["inspect"], ["graph", "--format", "json"], ["order", "--for", "delete", "--format", "sql"],
                 ["report", "-o", str(tmp_path / "r.html")]):
        out = subprocess.run([sys.executable, "-m", "refint", args[0], db.url, *args[1:]], capture_output=True,
                             text=True)
        assert out.returncode == 0, (args, out.stderr)
        assert "error" not in out.stderr, out.stderr
    out = subprocess.run([sys.executable, "-m", "refint", "subset", db.url, "--to", str(tmp_path / "s.db"),
                          "--where", "c: id = 1", "--dry-run"], capture_output=True, text=True)
    said = " ".join((out.stdout + out.stderr).split())  # Rich wraps lines
    assert out.returncode == 0 and "nosuch, which does not exist: not followed" in said, out


def test_sqlite_delete_script_empties_every_table(make_db: Any) -> None:
    """SQLite refuses DELETE FROM c while foreign_keys=ON: the script says why and turns the checks off
    (children go first anyway)."""
    db = _make(make_db, "sqlite")
    with refint.connect(db.url) as conn:
        from refint.order.sql import script

        text = script(conn.order("delete"), conn.engine)
    assert "nosuch" in text.split("BEGIN;")[0]
    raw = sqlite3.connect(db.path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.executescript(text)
    assert [raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in "pcds"] == [0, 0, 0, 0]
    raw.close()
