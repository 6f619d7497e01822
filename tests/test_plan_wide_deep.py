"""Wide and deep key graphs (issue 18, class 4): no query of ``plan`` exceeds an engine's limits.

- 500 tables referring to one table, each ON UPDATE CASCADE / ON DELETE CASCADE (MariaDB refused the
  plan's single WITH of 120 elements: error 4003): the plan equals what the engine does.
- A self-referencing ON DELETE CASCADE chain: InnoDB refuses a cascade 15 levels deep (measured here:
  15 rows delete, 16 fail); SQLite's FK actions nest at most 1000 trigger levels (1000 rows delete, 1001
  fail with "too many levels of trigger recursion"); PostgreSQL follows 10,000 levels. The plan predicts
  each, within ``--timeout``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from typing import Any

import pytest

import refint

WIDE = 500


def _wide(db: Any) -> None:
    innodb = " ENGINE=InnoDB" if db.engine == "mariadb" else ""
    stmts = [f"CREATE TABLE p (id INTEGER PRIMARY KEY){innodb}"]
    stmts += [f"CREATE TABLE c{i} (id INTEGER PRIMARY KEY, pid INTEGER, CONSTRAINT fk_c{i} FOREIGN KEY (pid) "
              f"REFERENCES p (id) ON UPDATE CASCADE ON DELETE CASCADE){innodb}" for i in range(WIDE)]
    stmts += ["INSERT INTO p VALUES (1), (2), (3)"]
    # child i refers to 1 or 2; every seventh child has a second row referring to 3
    stmts += [f"INSERT INTO c{i} VALUES (1, {1 + i % 2})" + (", (2, 3)" if i % 7 == 0 else "") for i in range(WIDE)]
    conn = db.dbapi()
    if db.engine == "postgresql":
        conn.execute(";".join(stmts))
    else:
        cur = conn.cursor()
        for s in stmts:
            cur.execute(s)


def _engine_counts(db: Any, sql: str) -> tuple[bool, int]:
    """Run ``sql`` with keys enforced and roll back: accepted, and the child rows it touched (deleted or
    whose pid changed), counted from the tables themselves."""
    conn = db.dbapi()
    cur = conn.cursor()
    union = " UNION ALL ".join(f"SELECT pid FROM c{i}" for i in range(WIDE))
    before = sorted(r[0] for r in _q(cur, union))
    cur.execute("BEGIN")
    try:
        cur.execute(sql)
    except Exception:
        cur.execute("ROLLBACK")
        return False, 0
    after = sorted(r[0] for r in _q(cur, union))
    cur.execute("ROLLBACK")
    gone = len(before) - len(after)
    changed = sum(1 for v in after if v not in before)
    return True, gone + changed


def _q(cur: Any, sql: str) -> list[Any]:
    cur.execute(sql)
    return list(cur.fetchall())


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
def test_five_hundred_referencing_tables(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    _wide(db)
    with refint.connect(db.url) as conn:
        up = conn.plan_update("p", "id = id + 10", "id IN (1, 3)", timeout=60)
        de = conn.plan_delete("p", "id = 2", timeout=60)
    ok, touched = _engine_counts(db, "UPDATE p SET id = id + 10 WHERE id IN (1, 3)")
    assert up.ok and up.certain and ok
    assert sum(v for k, v in up.updated.items() if k != "p") == touched == WIDE // 2 + WIDE // 7 + 1
    ok, touched = _engine_counts(db, "DELETE FROM p WHERE id = 2")
    assert de.ok and de.certain and ok
    assert sum(v for k, v in de.deleted.items() if k != "p") == touched == WIDE // 2


def _chain(db: Any, rows: int, index: bool = True) -> None:
    """t(id, up): row i refers to row i - 1, ON DELETE CASCADE; deleting row 1 reaches row i at level i-1."""
    if db.engine == "sqlite":
        raw = sqlite3.connect(db.path)
        raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, up INTEGER REFERENCES t (id) ON DELETE CASCADE)")
        raw.executemany("INSERT INTO t VALUES (?, ?)", [(i, i - 1 if i > 1 else None) for i in range(1, rows + 1)])
        raw.commit()
        raw.close()
    elif db.engine == "postgresql":
        db.run(f"""CREATE TABLE t (id INTEGER PRIMARY KEY, up INTEGER REFERENCES t (id) ON DELETE CASCADE);
INSERT INTO t SELECT g, NULLIF(g - 1, 0) FROM generate_series(1, {rows}) g;
{'CREATE INDEX ON t (up);' if index else ''} ANALYZE t;""")
    else:
        db.run(f"""CREATE TABLE t (id INTEGER PRIMARY KEY, up INTEGER,
  CONSTRAINT fk_up FOREIGN KEY (up) REFERENCES t (id) ON DELETE CASCADE) ENGINE=InnoDB;
INSERT INTO t SELECT seq, NULLIF(seq - 1, 0) FROM seq_1_to_{rows};""")


def _delete_root(db: Any) -> tuple[bool, str]:
    if db.engine == "sqlite":
        conn: Any = sqlite3.connect(db.path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
    else:
        conn = db.dbapi()
    cur = conn.cursor()
    cur.execute("BEGIN")
    try:
        cur.execute("DELETE FROM t WHERE id = 1")
        return True, ""
    except Exception as exc:
        return False, str(exc)
    finally:
        cur.execute("ROLLBACK")


@pytest.mark.parametrize(("engine", "rows"), [("mariadb", 15), ("mariadb", 16), ("mariadb", 10_000),
                                              ("sqlite", 1000), ("sqlite", 1001), ("sqlite", 10_000),
                                              ("postgresql", 10_000)])
def test_self_referencing_chain(make_db: Any, engine: str, rows: int) -> None:
    db = make_db(engine)
    _chain(db, rows)
    out = subprocess.run([sys.executable, "-m", "refint", "plan", "delete", db.url, "t", "--where", "id = 1",
                          "--timeout", "120", "--format", "json"], capture_output=True, text=True)
    accepted, error = _delete_root(db)
    assert out.returncode == (0 if accepted else 1), (out.stderr, error)
    plan = json.loads(out.stdout)
    assert plan["certain"] and plan["ok"] == accepted
    if accepted:
        assert plan["deleted"] == {"t": rows}
    elif engine == "mariadb":
        assert "193" in error and "InnoDB" in plan["blocked_by"][0]["reason"]
    else:
        assert "too many levels of trigger recursion" in error
        assert "too many levels of trigger recursion" in plan["blocked_by"][0]["reason"]


def test_timeout_stops_the_plan(make_db: Any) -> None:
    """``--timeout`` is the server's statement timeout: a plan that needs longer stops in one line, exit 2."""
    db = make_db("postgresql")
    _chain(db, 4000, index=False)  # without an index each of the 4,000 levels scans the table: seconds
    out = subprocess.run([sys.executable, "-m", "refint", "plan", "delete", db.url, "t", "--where", "id = 1",
                          "--timeout", "0.05"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("refint: error: ") and "timeout" in out.stderr and out.stderr.count("\n") == 1
