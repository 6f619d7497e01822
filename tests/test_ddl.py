"""``refint ddl``: the DDL for each dialect, run on that engine, gives back the source's keys, except
exactly the clauses reported as untranslated; for Oracle (no server here) the text is checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.manage.ddl import render_ddl

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = ROOT / "examples" / "school.db"


def source_schema(tmp_path: Path) -> Any:
    path = tmp_path / "school.db"
    shutil.copyfile(SCHOOL, path)
    with refint.connect(path) as db:
        return db.inspect()


def key_tuples(schema: Any, drop: set[tuple[str, str, str]] = frozenset()) -> set[tuple[Any, ...]]:
    """(table, name, columns, parent, parent columns, on delete, on update), minus what was flagged."""
    out = set()
    for t, fk in schema.foreign_keys:
        od = "NO ACTION" if (t.name, fk.name, f"ON DELETE {fk.on_delete.value}") in drop else fk.on_delete.value
        ou = "NO ACTION" if (t.name, fk.name, f"ON UPDATE {fk.on_update.value}") in drop else fk.on_update.value
        if (t.name, fk.name, "FOREIGN KEY") in drop:
            continue
        out.add((t.name, fk.name, fk.columns, fk.referred_table, fk.referred_columns, od, ou))
    return out


def flagged(result: Any) -> set[tuple[str, str, str]]:
    return {(u.table, u.constraint, u.clause) for u in result.untranslated}


def columns_only(schema: Any, engine: str) -> str:
    """Bare tables for the ALTER-style dialects (TEXT becomes VARCHAR in keys for MariaDB)."""
    stmts = []
    for t in schema.tables:
        cols = []
        for c in t.columns:
            typ = "VARCHAR(100)" if engine == "mariadb" and c.type == "TEXT" else c.type
            cols.append(f"{c.name} {typ}" + ("" if c.nullable else " NOT NULL"))
        stmts.append(f"CREATE TABLE {t.name} ({', '.join(cols)});")
    return "\n".join(stmts)


@pytest.mark.parametrize(("dialect", "engine"), [("sqlite", "sqlite"), ("duckdb", "duckdb"),
                                                 ("postgresql", "postgresql"), ("mysql", "mariadb")])
def test_ddl_round_trips_through_the_target_engine(make_db: Any, tmp_path: Path, dialect: str, engine: str) -> None:
    source = source_schema(tmp_path)
    result = render_ddl(source, dialect, keep_schema=False)
    db = make_db(engine)
    if dialect in ("postgresql", "mysql"):
        db.run(columns_only(source, engine))
    db.run(result.text())
    with refint.connect(db.url) as conn:
        target = conn.inspect()
    drop = flagged(result)
    got = key_tuples(target)
    if engine == "mariadb":  # MariaDB reports RESTRICT as NO ACTION (engines/mysql.py)
        got = {k[:5] + tuple("NO ACTION" if a == "RESTRICT" else a for a in k[5:]) for k in got}
        want = {k[:5] + tuple("NO ACTION" if a == "RESTRICT" else a for a in k[5:]) for k in key_tuples(source, drop)}
    else:
        want = key_tuples(source, drop)
    if engine == "duckdb":  # DuckDB makes up its own key names (flagged)
        assert {k[1] for k in want} <= {n for _t, n, c in drop if c.startswith("CONSTRAINT")}
        got, want = {k[:1] + k[2:] for k in got}, {k[:1] + k[2:] for k in want}
    assert got == want
    if dialect == "duckdb":  # no actions at all, and the teacher/department cycle cannot be declared
        assert ("enrollment", "fk_enrollment_section", "ON DELETE CASCADE") in drop
        assert any(c == "FOREIGN KEY" for _t, _n, c in drop)
    elif dialect in ("sqlite", "postgresql"):
        assert not drop
    elif dialect == "mysql":
        assert not drop  # RESTRICT, CASCADE, SET NULL all exist in InnoDB
    uniques = {(t.name, tuple(u.columns)) for t in target.tables for u in t.unique if not u.index}
    assert ("course", ("code",)) in uniques


def test_oracle_has_no_on_update_and_no_restrict(tmp_path: Path) -> None:
    result = render_ddl(source_schema(tmp_path), "oracle")
    text = result.text()
    assert "ON UPDATE" not in text and "RESTRICT" not in text
    assert ("enrollment", "fk_enrollment_section", "ON UPDATE CASCADE") in flagged(result)
    assert ("teacher", "fk_teacher_dept", "ON DELETE RESTRICT") in flagged(result)
    assert 'REFERENCES "section" ("course_id", "term") ON DELETE CASCADE' in text
    assert not result.ok


def test_mysql_flags_set_default(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int, pid int DEFAULT 0 "
           "CONSTRAINT c_fk REFERENCES p ON DELETE SET DEFAULT DEFERRABLE);")
    with refint.connect(db.url) as conn:
        result = conn.ddl("mysql")
    assert {u.clause for u in result.untranslated} == {"ON DELETE SET DEFAULT", "DEFERRABLE"}
    assert "SET DEFAULT" not in result.text()


def test_cli_ddl_json_and_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "school.db"
    shutil.copyfile(SCHOOL, path)
    proc = subprocess.run([sys.executable, "-m", "refint", "ddl", str(path), "--dialect", "oracle", "--format",
                           "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    import json

    data = json.loads(proc.stdout)
    assert data["dialect"] == "oracle" and data["untranslated"] and data["statements"]
    proc = subprocess.run([sys.executable, "-m", "refint", "ddl", str(path), "--dialect", "sqlite"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.count("CREATE TABLE") == 6
