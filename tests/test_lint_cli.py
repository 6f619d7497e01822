"""``refint lint`` on the command line: CONTRACT JSON, --fail-on exit codes, SARIF, pyproject configuration,
one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCHEMA = """
CREATE TABLE p (id INT PRIMARY KEY);
CREATE TABLE c (id INT PRIMARY KEY, p_id INT CONSTRAINT c_p REFERENCES p (id), team_id INT);
CREATE TABLE team (id INT PRIMARY KEY);
"""


def lint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REFINT_URL"}
    return subprocess.run([sys.executable, "-m", "refint", "lint", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


@pytest.fixture
def target(make_db: Any) -> str:
    db = make_db("postgresql")
    db.run(SCHEMA)
    return str(db.url)


def test_json_contract_and_exit_codes(target: str, tmp_path: Path) -> None:
    proc = lint(target, "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # a warning (fk-unindexed) and the default --fail-on warning
    data = json.loads(proc.stdout)
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert set(by_rule) == {"fk-unindexed", "fk-missing"}
    f = by_rule["fk-unindexed"]
    assert {"rule", "severity", "table", "constraint", "columns", "message", "fix"} <= set(f)
    assert (f["severity"], f["table"], f["constraint"], f["columns"], f["schema"]) == (
        "warning", "c", "c_p", ["p_id"], "public")
    assert f["fix"] == 'CREATE INDEX IF NOT EXISTS "ix_c_p_id" ON "public"."c" ("p_id")'
    assert lint(target, "--fail-on", "error", cwd=tmp_path).returncode == 0
    assert lint(target, "--fail-on", "info", "--disable", "fk-unindexed", cwd=tmp_path).returncode == 1
    assert lint(target, "--fail-on", "info", "--disable", "fk-unindexed", "--disable", "fk-missing",
                cwd=tmp_path).returncode == 0
    assert lint(target, "--ignore", "c_p", cwd=tmp_path).returncode == 0
    table = lint(target, cwd=tmp_path)
    assert "fk-unindexed" in table.stdout and "CREATE INDEX" in table.stdout


def test_pyproject_configuration(target: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.refint]\nfail-on = "error"\ndisable = ["fk-missing"]\n')
    (tmp_path / "sub").mkdir()
    proc = lint(target, "--format", "json", cwd=tmp_path / "sub")
    assert proc.returncode == 0  # fail-on error from the file found upward
    assert [f["rule"] for f in json.loads(proc.stdout)["findings"]] == ["fk-unindexed"]
    assert lint(target, "--fail-on", "warning", cwd=tmp_path / "sub").returncode == 1  # the option wins
    assert lint(target, "--no-config", "--format", "json", cwd=tmp_path).returncode == 1
    (tmp_path / "pyproject.toml").write_text('[tool.refint]\nfail-on = "sometimes"\n')
    bad = lint(target, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("refint: error: unknown severity 'sometimes'")


def test_sarif(target: str, tmp_path: Path) -> None:
    proc = lint(target, "--format", "sarif", cwd=tmp_path)
    assert proc.returncode == 1
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "fk-unindexed" in rules and "fk-cycle" in rules
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"fk-unindexed": "warning", "fk-missing": "note"}
    for r in run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]
        assert r["analysisTarget"]["uri"] == target  # validated by the SARIF Multitool: tests/test_lint_sarif.py
    assert run["results"][0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("public.c")


def test_errors_are_one_line(target: str, tmp_path: Path) -> None:
    proc = lint(target, "--disable", "fk-nope", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == proc.stderr.strip().splitlines()[0]
    assert "unknown lint rule 'fk-nope'" in proc.stderr
    listed = lint("--list-rules", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)["rules"]) == 11
