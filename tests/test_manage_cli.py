"""The change commands from the shell: --dry-run changes nothing, JSON results, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

SETUP = """
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE "line item" (id INTEGER PRIMARY KEY, pid INTEGER);
INSERT INTO parent VALUES (1);
INSERT INTO "line item" VALUES (1, 1), (2, 5);
"""


def refint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_add_fk_from_the_shell(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(SETUP if engine != "mariadb" else SETUP.replace('"line item"', "`line item`"))
    # MariaDB's information_schema spans every database on the server: count this test's database only
    here = "DATABASE()" if engine == "mariadb" else "current_schema()"
    schema_sql = ("SELECT sql FROM sqlite_schema" if engine == "sqlite" else
                  "SELECT count(*) FROM information_schema.table_constraints"
                  f" WHERE constraint_type = 'FOREIGN KEY' AND constraint_schema = {here}")
    before = db.query(schema_sql)
    # orphans: exit 1, listed, nothing changed
    proc = refint("add-fk", db.url, '"line item"(pid)', "parent", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["applied"] is False and data["orphans"][0]["sample"] == [{"pid": 5}]
    assert db.query(schema_sql) == before
    # repair without --yes: one-line error, exit 2
    proc = refint("add-fk", db.url, '"line item"(pid)', "parent", "--repair", "delete")
    assert proc.returncode == 2 and proc.stderr.startswith("refint: error: --repair delete will delete 1 rows")
    assert len(proc.stderr.strip().splitlines()) == 1
    # dry run prints SQL and changes nothing
    proc = refint("add-fk", db.url, '"line item"(pid)', "parent", "--repair", "delete", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "DELETE FROM" in proc.stdout and ("FOREIGN KEY" in proc.stdout)
    assert db.query(schema_sql) == before
    proc = refint("add-fk", db.url, '"line item"(pid)', "parent", "--repair", "delete", "--yes",
                  "--on-delete", "cascade", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["applied"] and data["done"] and data["constraint"] == "line item_pid_fkey"
    proc = refint("drop-fk", db.url, "line item", "line item_pid_fkey")
    assert proc.returncode == 0, proc.stderr
    proc = refint("drop-fk", db.url, "line item", "line item_pid_fkey")
    assert proc.returncode == 2 and "line item_pid_fkey" in proc.stderr
    proc = refint("drop-fk", db.url, "line item", "line item_pid_fkey", "--if-exists", "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["applied"] is False


def test_unsupported_is_one_line(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER, pid INTEGER);")
    proc = refint("add-fk", db.url, "child(pid)", "parent")
    assert proc.returncode == 2 and proc.stderr.startswith("refint: error: DuckDB cannot add a foreign key")
    assert "Traceback" not in proc.stderr
