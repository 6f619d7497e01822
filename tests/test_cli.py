"""The command line as users and scripts meet it: help, exit codes, one-line errors, no passwords."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from refint.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = ROOT / "examples" / "school.db"


def refint(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REFINT_URL", None) if env is None or "REFINT_URL" not in env else None
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True, env=full_env,
                          timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("refint: error: ")
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_every_command() -> None:
    proc = refint("--help")
    assert proc.returncode == 0
    for name in COMMANDS:
        assert name in proc.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example_and_a_python_twin(command: str) -> None:
    proc = refint(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Examples:" in proc.stdout
    assert f"refint {command}" in proc.stdout.split("Examples:")[1]
    assert "Python twin" in proc.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = ("import sys; from refint.cli.main import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('sqlalchemy', 'psycopg', 'pymysql', 'duckdb', 'rich') if m in sys.modules]\n"
            "print(heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stderr.strip() == "[]"


def test_missing_file_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nope.db"
    assert_one_line_error(refint("inspect", str(target)), "no such database file")
    assert not target.exists()
    assert_one_line_error(refint("inspect", f"sqlite:///{target}"), "no such database file")
    assert not target.exists()
    assert_one_line_error(refint("inspect", str(tmp_path / "nope.duckdb")), "no such database file")
    assert not (tmp_path / "nope.duckdb").exists()


def test_not_a_database_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("hello, I am not SQLite")
    assert_one_line_error(refint("inspect", str(junk)), "neither a SQLite nor a DuckDB")


@pytest.mark.parametrize("url, fragment", [
    ("postgresql://postgres@127.0.0.1:notaport/db", "malformed"),
    ("nosuchdb://x/y", "unknown database scheme"),
    ("mssql+pyodbc://user:s3cr3t-pw@host/db", "missing driver"),
    ("postgresql://postgres:s3cr3t-pw@127.0.0.1:1/db", "cannot connect"),
    ("mariadb://root:s3cr3t-pw@127.0.0.1:1/db", "cannot connect"),
])
def test_bad_urls(url: str, fragment: str) -> None:
    proc = refint("inspect", url)
    assert_one_line_error(proc, fragment)
    assert "s3cr3t-pw" not in proc.stderr + proc.stdout


def test_no_target_and_no_env() -> None:
    assert_one_line_error(refint("inspect"), "REFINT_URL")


def test_target_from_env() -> None:
    proc = refint("inspect", "--format", "json", env={"REFINT_URL": str(SCHOOL)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["engine"] == "sqlite"


def test_unknown_table_and_schema() -> None:
    assert_one_line_error(refint("inspect", str(SCHOOL), "--table", "nope"), "no such table: nope")
    assert_one_line_error(refint("check", str(SCHOOL), "--table", "nope"), "no such table: nope")
    assert_one_line_error(refint("inspect", str(SCHOOL), "--schema", "nope"), "no such schema: nope")


def test_unknown_postgres_database(make_db: Any) -> None:
    db = make_db("postgresql")
    url = db.url.rsplit("/", 1)[0] + "/refint_no_such_database"
    assert_one_line_error(refint("inspect", url), "does not exist")


def test_unknown_mariadb_database(make_db: Any) -> None:
    make_db("mariadb")  # the server is reachable
    assert_one_line_error(refint("inspect", "mariadb://root@127.0.0.1:3306/refint_no_such_database"),
                          "Unknown database")


def test_wrong_password_mariadb(make_db: Any) -> None:
    db = make_db("mariadb")
    user = db.name[-12:]
    db.run(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'right-pw'; CREATE USER '{user}'@'localhost' IDENTIFIED BY 'right-pw'")
    try:
        proc = refint("inspect", f"mariadb://{user}:wrong-pw-123@127.0.0.1:3306/{db.name}")
        assert_one_line_error(proc, "Access denied")
        assert "wrong-pw-123" not in proc.stderr
    finally:
        db.run(f"DROP USER '{user}'@'%'; DROP USER '{user}'@'localhost'")


def test_json_is_the_only_thing_on_stdout() -> None:
    proc = refint("check", str(SCHOOL), "--format", "json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert proc.stderr == ""
