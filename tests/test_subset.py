"""``refint subset``: the CLI, bad input, the read-only source, dry runs and samples (real engines)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import refint

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = ROOT / "examples" / "school.db"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def school(tmp_path: Path) -> Path:
    p = tmp_path / "school.db"
    shutil.copy(SCHOOL, p)
    return p


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def rows(p: Path, table: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(p)
    try:
        return sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall())
    finally:
        conn.close()


def test_one_student_with_what_it_touches_and_a_byte_identical_source(school: Path, tmp_path: Path) -> None:
    before = digest(school)
    out = tmp_path / "one.db"
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to", str(out), "--format", "json")
    assert digest(school) == before
    data = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert data["ok"] and data["check"]["violations"] == []
    # the engine's own answer: the student, their enrollments, and every row those refer to
    src = sqlite3.connect(school)
    enrolled = src.execute("SELECT * FROM enrollment WHERE student_id = 1").fetchall()
    assert rows(out, "enrollment") == sorted(enrolled)
    assert rows(out, "student") == sorted(src.execute("SELECT * FROM student WHERE student_id = 1").fetchall())
    sections = src.execute("SELECT s.* FROM section s WHERE EXISTS (SELECT 1 FROM enrollment e WHERE "
                           "e.student_id = 1 AND e.course_id = s.course_id AND e.term = s.term)").fetchall()
    assert rows(out, "section") == sorted(sections)
    src.close()
    by = {t["name"]: t["rows"] for t in data["tables"]}
    assert by["student"] == 1 and by["enrollment"] == len(enrolled)
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA foreign_key_list(enrollment)").fetchall()  # the keys are in the target
    conn.close()


def test_children_none_takes_no_children(school: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.db"
    with refint.connect(school, readonly=True) as db:
        r = db.subset(str(out), where=["student: student_id = 1"], children="none")
    assert rows(out, "enrollment") == [] and len(rows(out, "student")) == 1
    assert r.ok


def test_dry_run_counts_and_writes_nothing(school: Path, tmp_path: Path) -> None:
    out = tmp_path / "never.db"
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to", str(out), "--dry-run",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert not out.exists()
    data = json.loads(proc.stdout)
    student = next(t for t in data["tables"] if t["name"] == "student")
    assert student["rows"] == 1 and student["via"][0] == {"kind": "seed", "constraint": None, "table": None,
                                                        "columns": [], "rows": 1}
    enrollment = next(t for t in data["tables"] if t["name"] == "enrollment")
    src = sqlite3.connect(school)
    n = src.execute("SELECT count(*) FROM enrollment WHERE student_id = 1").fetchone()[0]
    src.close()
    assert enrollment["rows"] == n
    assert any(v["constraint"] == "fk_enrollment_student" and v["rows"] == n for v in enrollment["via"])


def test_percent_is_repeatable_and_limit_takes_the_first_rows(school: Path, tmp_path: Path) -> None:
    with refint.connect(school, readonly=True) as db:
        a = db.subset(str(tmp_path / "a.db"), percent=["enrollment: 50"], children="none", random_seed=7)
        b = db.subset(str(tmp_path / "b.db"), percent=["enrollment: 50"], children="none", random_seed=7)
        c = db.subset(str(tmp_path / "c.db"), limit=["student: 2"], children="none")
    assert rows(tmp_path / "a.db", "enrollment") == rows(tmp_path / "b.db", "enrollment")
    total = len(rows(school, "enrollment"))
    assert 0 < len(rows(tmp_path / "a.db", "enrollment")) < total
    ids = [r[0] for r in rows(tmp_path / "c.db", "student")]
    src = sqlite3.connect(school)
    first = [r[0] for r in src.execute("SELECT student_id FROM student ORDER BY student_id LIMIT 2")]
    src.close()
    assert ids == first
    assert a.rows == b.rows and c.rows >= 2


@pytest.mark.parametrize("args,message", [
    (["--where", "nosuch: id = 1"], "no such table: nosuch"),
    (["--where", "student: nosuch = 1"], "malformed --where on student"),
    (["--where", "student: student_id = 1; DROP TABLE student"], "';' is not allowed"),
    (["--where", "student"], "expected 'TABLE: VALUE'"),
    (["--percent", "student: 500"], "at most 100"),
    (["--limit", "student: many"], "not a whole number"),
    (["--where", "student: student_id = 1", "--exclude", "student"], "also given to --exclude"),
    (["--children", "down"], "no seed"),
])
def test_bad_input_is_one_line_exit_2_and_no_target(school: Path, tmp_path: Path, args: list[str],
                                                    message: str) -> None:
    out = tmp_path / "out.db"
    proc = cli("subset", str(school), "--to", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refint: error:") and message in lines[0], proc.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".out.db*"))


def test_existing_target_needs_force(school: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.db"
    out.write_bytes(b"keep me")
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to", str(out))
    assert proc.returncode == 2 and "exists (use --force" in proc.stderr
    assert out.read_bytes() == b"keep me"
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    assert len(rows(out, "student")) == 1


def test_relations_naming_a_missing_column_is_refused(school: Path, tmp_path: Path) -> None:
    rel = tmp_path / "rel.toml"
    rel.write_text('[[relations]]\nrelation = "student(nosuch) -> teacher(teacher_id)"\n')
    out = tmp_path / "out.db"
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to", str(out), "--relations", str(rel))
    assert proc.returncode == 2 and "no such column: student.nosuch" in proc.stderr, proc.stderr
    assert not out.exists()


def test_a_refusing_or_non_empty_server_target(school: Path, make_db: Any) -> None:
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to",
               "postgresql://postgres:secret@127.0.0.1:1/none")
    assert proc.returncode == 2 and "cannot connect" in proc.stderr and "secret" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    pg = make_db("postgresql")
    pg.run("CREATE TABLE keep (id int)")
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--to", pg.url)
    assert proc.returncode == 2 and "is not empty" in proc.stderr, proc.stderr
    assert pg.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") == [("keep",)]


def test_exclude_cuts_the_table_and_its_keys(school: Path, tmp_path: Path) -> None:
    out = tmp_path / "cut.db"
    with refint.connect(school, readonly=True) as db:
        r = db.subset(str(out), where=["student: student_id = 1"], exclude=["section"])
    assert r.excluded == ["section"]
    assert {(c.table, c.referred_table) for c in r.cut_keys} >= {("enrollment", "section"), ("section", "course")}
    conn = sqlite3.connect(out)
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "section" not in names
    assert all(r[2] != "section" for r in conn.execute("PRAGMA foreign_key_list(enrollment)"))
    conn.close()
    assert r.ok


@pytest.mark.parametrize("target, signame", [("sqlite", "SIGINT"), ("postgresql", "SIGINT"), ("sqlite", "SIGTERM")])
def test_ctrl_c_cancels_the_source_query_and_leaves_no_target(make_db: Any, tmp_path: Path, target: str,
                                                              signame: str) -> None:
    """Ctrl-C (exit 130), and SIGTERM from a process manager the same way (exit 143)."""
    import os
    import signal
    import time

    src = make_db("postgresql")
    src.run("CREATE TABLE slow (id int PRIMARY KEY); INSERT INTO slow SELECT generate_series(1, 2000)")
    if target == "postgresql":
        tgt = make_db("postgresql")
        to = tgt.url
    else:
        to = str(tmp_path / "partial.db")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "refint", "subset", src.url, "--to", to,
                             # slow per row but not volatile (pg_sleep is volatile: seeds refuse it)
                             "--where", "slow: (SELECT count(*) FROM generate_series(1, 200000 + id * 0)) > 0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    sleeping: list[Any] = []
    while time.monotonic() < deadline and not sleeping:  # the copy's statement runs in the source
        time.sleep(0.3)
        sleeping = src.query("SELECT pid FROM pg_stat_activity WHERE (query LIKE 'FETCH%' OR query LIKE 'COPY (%')"
                             " AND state = 'active'")
    assert sleeping, "the copy never started"
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if signame == "SIGINT" else 143), err
    assert "Traceback" not in err
    time.sleep(0.5)
    assert src.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%generate_series%' AND state = 'active' "
                     "AND pid <> pg_backend_pid()") == [(0,)]
    if target == "postgresql":
        assert tgt.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == [(0,)]
    else:
        assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_format_sql_is_a_script_that_rebuilds_the_same_subset(school: Path, tmp_path: Path, make_db: Any,
                                                               dialect: str) -> None:
    direct = tmp_path / "direct.db"
    with refint.connect(school, readonly=True) as db:
        db.subset(str(direct), where=["student: student_id = 1"])
    proc = cli("subset", str(school), "--where", "student: student_id = 1", "--format", "sql", "--to", dialect)
    assert proc.returncode == 0, proc.stderr
    if dialect == "sqlite":
        out = tmp_path / "script.db"
        conn = sqlite3.connect(out)
        conn.executescript(proc.stdout)
        conn.close()
        got = {t: rows(out, t) for t in ("student", "enrollment", "section", "course", "teacher", "department")}
    else:
        pg = make_db("postgresql")
        run = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres",
                              "-d", pg.name], input=proc.stdout, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        got = {t: sorted(pg.query(f'SELECT * FROM "{t}"'))
               for t in ("student", "enrollment", "section", "course", "teacher", "department")}
        assert pg.query("SELECT count(*) FROM information_schema.table_constraints "
                        "WHERE constraint_type = 'FOREIGN KEY'")[0][0] == 8
    for t, want in got.items():
        assert want == rows(direct, t), t


def test_postgresql_script_of_a_source_with_orphans_runs_to_the_end(school: Path, tmp_path: Path,
                                                                     make_db: Any) -> None:
    """The school's orphan enrollment is copied as it is: the script warns, keeps that key NOT VALID and
    validates the others (as the direct copy does), instead of stopping at the first VALIDATE."""
    direct = tmp_path / "direct.db"
    with refint.connect(school, readonly=True) as db:
        db.subset(str(direct), where=["department: dept_id = 1"])
    proc = cli("subset", str(school), "--where", "department: dept_id = 1", "--format", "sql", "--to", "postgresql")
    assert proc.returncode == 0, proc.stderr
    pg = make_db("postgresql")
    run = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres",
                          "-d", pg.name], input=proc.stdout, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "fk_enrollment_student" in run.stderr and "NOT VALID" in run.stderr
    for t in ("student", "enrollment", "section", "course", "teacher", "department"):
        assert sorted(pg.query(f'SELECT * FROM "{t}"')) == rows(direct, t), t
    valid = dict(pg.query("SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f'"))
    assert len(valid) == 8 and [k for k, ok in valid.items() if not ok] == ["fk_enrollment_student"]
    with refint.connect(pg.url) as db:
        assert [(v.kind, v.constraint) for v in db.check().violations if v.kind == "foreign_key"] == [
            ("foreign_key", "fk_enrollment_student")]


def test_into_mariadb_the_same_rows_and_the_source_orphan_reported(school: Path, tmp_path: Path,
                                                                  make_db: Any) -> None:
    direct = tmp_path / "direct.db"
    my = make_db("mariadb")
    with refint.connect(school, readonly=True) as db:
        db.subset(str(direct), where=["department: dept_id = 1"])
        r = db.subset(my.url, where=["department: dept_id = 1"])
    for t in ("student", "enrollment", "section", "course", "teacher", "department"):
        assert sorted(my.query(f"SELECT * FROM `{t}`")) == rows(direct, t), t
    assert r.check is not None and not r.ok
    assert [(v.kind, v.constraint) for v in r.check.violations] == [("foreign_key", "fk_enrollment_student")]
    assert my.query("SELECT count(*) FROM information_schema.referential_constraints "
                    "WHERE constraint_schema = DATABASE()") == [(8,)]


def test_folder_source_with_relations(tmp_path: Path) -> None:
    """A folder of CSV files (tables are DuckDB views over the files) is a source, keys from --relations."""
    src = tmp_path / "data"
    src.mkdir()
    customers = [(1, "a"), (2, "b"), (3, "c")]
    orders = [(1, 1), (2, 2), (3, 1), (4, 3), (5, 1)]
    (src / "customers.csv").write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in customers))
    (src / "orders.csv").write_text("id,customer_id\n" + "".join(f"{i},{c}\n" for i, c in orders))
    rel = tmp_path / "relations.toml"
    rel.write_text('[tables.customers]\nprimary_key = ["id"]\n\n'
                   '[[relations]]\nchild = "orders(customer_id)"\nparent = "customers(id)"\n')
    out = tmp_path / "out.db"
    proc = cli("subset", str(src), "--relations", str(rel), "--to", str(out), "--where", "customers: id = 1",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    # children down: the seed customer and every order that refers to it (computed here, not by refint)
    assert rows(out, "customers") == [c for c in customers if c[0] == 1]
    assert rows(out, "orders") == [o for o in orders if o[1] == 1]
