"""The docs cannot rot: the site builds with ``mkdocs build --strict`` (a broken link, anchor or API
reference fails), and every shell and Python example of README.md and docs/ runs against the bundled
example database (the convention is in docs/contributing.md; the extraction in tests/docs_examples.py).

Each example runs in a fresh directory holding a copy of ``examples/`` plus the few files the docs name:
``data/`` (the school's tables as CSV files), ``relations.toml`` (their keys) and ``warehouse.duckdb``
(the same tables in DuckDB, no keys declared), all built from ``examples/school.db``. An example naming
``postgresql://postgres@127.0.0.1/school`` or ``mariadb://root@127.0.0.1:3306/school`` runs against a real
database of that server, created for the session and loaded with the same school (its keys added
``NOT VALID`` / with checks off, so the planted problems are there too), the URL substituted.
"""

from __future__ import annotations

import csv
import os
import re
import uuid
from collections.abc import Callable, Iterator
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import _my_admin, _pg_admin, unreachable
from tests.docs_examples import Example, examples

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = [e for path in DOCS for e in examples(path)]
BIN = Path(sys.executable).parent

RELATIONS = """\
# the school's keys, for the CSV files of data/ (which declare none)
[tables.department]
primary_key = ["dept_id"]
[tables.teacher]
primary_key = ["teacher_id"]
[tables.student]
primary_key = ["student_id"]
[tables.course]
primary_key = ["course_id"]
[tables.section]
primary_key = ["course_id", "term"]
[tables.enrollment]
primary_key = ["student_id", "course_id", "term"]

[[relations]]
relation = "teacher(dept_id) -> department(dept_id)"
[[relations]]
relation = "student(advisor_id) -> teacher(teacher_id)"
[[relations]]
relation = "course(dept_id) -> department(dept_id)"
[[relations]]
relation = "section(course_id) -> course(course_id)"
[[relations]]
relation = "enrollment(student_id) -> student(student_id)"
[[relations]]
relation = "enrollment(course_id, term) -> section(course_id, term)"
"""


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("docs-template")
    shutil.copytree(ROOT / "examples", base / "examples")
    data = base / "data"
    data.mkdir()
    conn = sqlite3.connect(base / "examples" / "school.db")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for t in tables:
        cur = conn.execute(f'SELECT * FROM "{t}"')
        with open(data / f"{t}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([d[0] for d in cur.description])
            w.writerows(cur)
    conn.close()
    (base / "relations.toml").write_text(RELATIONS)
    import duckdb

    duck = duckdb.connect(str(base / "warehouse.duckdb"))
    for t in tables:
        duck.execute(f"CREATE TABLE \"{t}\" AS SELECT * FROM read_csv_auto('{data / (t + '.csv')}')")
    duck.close()
    return base


SERVER_URL = {
    "postgresql": re.compile(r"postgresql://postgres@127\.0\.0\.1(?::5432)?/school\b"),
    "mariadb": re.compile(r"mariadb://root@127\.0\.0\.1(?::3306)?/school\b"),
}


def _school_script(dialect: str) -> tuple[list[str], list[tuple[str, list[str], list[tuple[object, ...]]]]]:
    """(statements, [(table, columns, rows)]) that rebuild the example on a server: bare tables, the rows,
    then the constraints as `refint ddl` writes them for the dialect (keys and checks not validated)."""
    import refint

    with refint.connect(ROOT / "examples" / "school.db") as db:
        schema = db.inspect()
        keys = [st for st in db.ddl(dialect).text().split(";\n") if st.strip()]
        conn = sqlite3.connect(ROOT / "examples" / "school.db")
        q = db.engine.quote if dialect == "postgresql" else (lambda n: f"`{n}`")
        creates, data = [], []
        for t in schema.tables:
            cols = []
            for c in t.columns:
                typ = "VARCHAR(255)" if dialect == "mysql" and c.type.upper() == "TEXT" else c.type
                cols.append(f"{q(c.name)} {typ}{'' if c.nullable else ' NOT NULL'}")
            creates.append(f"CREATE TABLE {q(t.name)} ({', '.join(cols)})")
            names = [c.name for c in t.columns]
            rows = conn.execute(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{t.name}"').fetchall()
            data.append((f"INSERT INTO {q(t.name)} ({', '.join(q(n) for n in names)}) VALUES "
                         f"({', '.join(['%s'] * len(names))})", names, rows))
        conn.close()
    if dialect == "postgresql":  # the planted orphans and CHECK violations stay, as in the SQLite file
        keys = [k + " NOT VALID" if " FOREIGN KEY " in k or " CHECK " in k else k for k in keys]
    return creates + keys, data


@pytest.fixture(scope="session")
def server_url() -> Iterator[Callable[[str], str]]:
    """engine -> the URL of a school database on that server, created on first use, dropped at the end."""
    made: dict[str, str] = {}
    drops: list[Callable[[], object]] = []

    def get(engine: str) -> str:
        if engine in made:
            return made[engine]
        name = f"refint_docs_{uuid.uuid4().hex[:8]}"
        if engine == "postgresql":
            admin = _pg_admin()
            admin.execute(f'CREATE DATABASE "{name}"')
            drops.append(lambda: (admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'), admin.close()))
            import psycopg

            statements, data = _school_script("postgresql")
            with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}") as conn:
                for st in statements[:len(data)]:
                    conn.execute(st)
                for sql, _, rows in data:
                    conn.cursor().executemany(sql, rows)
                for st in statements[len(data):]:
                    conn.execute(st)
            made[engine] = f"postgresql://postgres@127.0.0.1:5432/{name}"
        else:
            admin = _my_admin()
            admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            drops.append(lambda: (admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`"), admin.close()))
            statements, data = _school_script("mysql")
            conn = _my_admin(name)
            cur = conn.cursor()
            cur.execute("SET SESSION foreign_key_checks = 0")
            cur.execute("SET SESSION check_constraint_checks = 0")
            for st in statements[:len(data)]:
                cur.execute(st)
            for sql, _, rows in data:
                cur.executemany(sql, rows)
            for st in statements[len(data):]:
                cur.execute(st)
            conn.close()
            made[engine] = f"mariadb://root@127.0.0.1:3306/{name}"
        return made[engine]

    yield get
    for drop in drops:
        drop()


@pytest.fixture
def workdir(template: Path, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(template, work)
    return work


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFINT_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "120"
    return env


def _tools(command: str) -> list[str]:
    """The programs a shell line pipes into (``| dot -Tpng``): each must be installed."""
    return [seg.split()[0] for seg in command.split("|")[1:] if seg.strip()]


def test_every_doc_has_been_read() -> None:
    """Guards the extraction: the README's tour and Python example are among the examples."""
    readme = [e for e in EXAMPLES if e.path.name == "README.md"]
    assert any(e.kind == "python" for e in readme)
    assert any(e.code.startswith("refint check examples/school.db") and e.exit_code == 1 for e in readme)
    assert len(EXAMPLES) > 30


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs(example: Example, workdir: Path, server_url: Callable[[str], str]) -> None:
    if example.skip:
        pytest.skip(f"marked in {example.id}: {example.skip}")
    code = example.code
    for engine, pattern in SERVER_URL.items():
        if pattern.search(code):
            code = pattern.sub(server_url(engine), code)
    if example.kind == "python":
        cmd = [sys.executable, "-c", code]
    else:
        for tool in _tools(code):
            if shutil.which(tool) is None:
                unreachable(f"{example.id} pipes into {tool}, which is not installed")
        cmd = ["bash", "-o", "pipefail", "-c", code]
    proc = subprocess.run(cmd, cwd=workdir, env=_env(), capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, f"{example.id}: {example.code}\n{proc.stderr}"
    assert proc.returncode == example.exit_code, (
        f"{example.id}: `{example.code.strip()}` exited {proc.returncode}, the docs say {example.exit_code}\n"
        f"stdout: {proc.stdout[-1500:]}\nstderr: {proc.stderr[-1500:]}")


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """A broken link, a missing anchor, a page out of the nav or an unresolvable API reference fails."""
    mkdocs = BIN / "mkdocs"
    if not mkdocs.exists():
        unreachable("mkdocs is not installed (pip install -e '.[test]')")
    env = {**_env(), "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for anchor in ("refint.database.Database.check", "refint.connect", "refint.testing.assert_integrity",
                   "refint.errors.RefintError", "refint.check.CheckReport"):
        assert f'id="{anchor}"' in api, anchor


def test_the_extraction_follows_the_convention(tmp_path: Path) -> None:
    """docs/contributing.md's rules, on a page written for the purpose."""
    page = tmp_path / "page.md"
    page.write_text("""\
```text
refint check TARGET [--table T]
```

```console
$ refint check examples/school.db   # exit 1
✗ examples/school.db: ...
$ pip install refint
```

```sh
python3 -m venv .venv && .venv/bin/refint order examples/school.db
REFINT_URL=examples/school.db refint lint \\
    --fail-on error
refint graph spark://x   # docs-test: skip needs Java
```

<!-- docs-test: skip needs a server -->
```sh
refint check postgresql://postgres@127.0.0.1/shop
```

```python
print("hello")
```
""")
    got = [(e.line, e.kind, e.code, e.exit_code, e.skip) for e in examples(page)]
    assert got == [
        (6, "sh", "refint check examples/school.db   # exit 1", 1, None),
        (12, "sh", "refint order examples/school.db", 0, None),
        (13, "sh", "REFINT_URL=examples/school.db refint lint  --fail-on error", 0, None),
        (15, "sh", "refint graph spark://x   # docs-test: skip needs Java", 0, "needs Java"),
        (20, "sh", "refint check postgresql://postgres@127.0.0.1/shop", 0, "needs a server"),
        (24, "python", 'print("hello")\n', 0, None),
    ]
