"""``refint lint --format sarif`` checked by Microsoft's SARIF Multitool (``validate``: the SARIF 2.1.0 JSON
schema plus its SARIF and GitHub rules), pinned in tests/js (``npm ci --prefix tests/js``), and compared
result by result with ``refint lint --format json``.

The Multitool exits 0 whatever it finds; what it found is in the SARIF log it writes (``--output``), read
here. It also says nothing at all about some broken input (a result whose ``level`` is not one of SARIF's
values makes it skip every check, silently), so each run must show the one warning this output is known
to get (SARIF2005, below: proof that the rules ran), and the levels are compared with the JSON here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import js_tools, unreachable

JS = Path(__file__).resolve().parent / "js"
MULTITOOL_VERSION = "5.7.0"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}

# Multitool warnings this output gets on purpose, each with the reason. Nothing else at warning or error.
ACCEPTED_WARNINGS = {
    # "The tool does not provide 'informationUri'": the spec wants an absolute URI there, and refint has no
    # published address (no [project.urls]); the relative "docs/lint.md" it had broke SARIF's rule (an
    # absolute URI) and is in runs[0].tool.driver.properties.docs instead. Set it when refint has a home page.
    "SARIF2005",
}


def multitool() -> Path:
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    binary = JS / "node_modules" / "@microsoft" / f"sarif-multitool-{platform}" / (
        "Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool")
    js_tools()
    if not binary.is_file():
        unreachable(f"the SARIF Multitool is not installed ({binary} is missing; run npm ci --prefix tests/js)")
    # the package's postinstall only runs chmod u+x, which the tarball's mode already has (npm 11 skips
    # install scripts that were not approved); a checkout that lost the bit fails here, clearly
    assert os.access(binary, os.X_OK), f"{binary} is not executable: chmod u+x it"
    return binary


def validate(sarif_file: Path, tmp_path: Path) -> list[tuple[str, str, str]]:
    """The Multitool's findings on ``sarif_file``: (level, rule id, message arguments) for each."""
    tool = multitool()
    out = tmp_path / (sarif_file.stem + ".validation.sarif")
    version = subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=60)
    assert f"SARIF Multitool {MULTITOOL_VERSION}+" in version.stdout + version.stderr, version
    proc = subprocess.run([str(tool), "validate", str(sarif_file), "--output", str(out), "--log", "ForceOverwrite",
                           "--rule-kind", "Sarif;Gh"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    assert proc.returncode == 0 and "Analysis completed successfully" in proc.stdout, proc.stdout + proc.stderr
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    run = log["runs"][0]
    assert all(inv["executionSuccessful"] for inv in run["invocations"]), run["invocations"]
    rules = run["tool"]["driver"].get("rules", [])
    found = []
    for r in run["results"]:
        default = rules[r["ruleIndex"]].get("defaultConfiguration", {}).get("level", "warning")
        found.append((r.get("level", default), r["ruleId"], " | ".join(r["message"].get("arguments", []))))
    return found


def lint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REFINT_URL"}
    return subprocess.run([sys.executable, "-m", "refint", "lint", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def q(engine: str, name: str) -> str:
    if engine == "mariadb":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def schema(engine: str) -> str:
    """An unindexed key (not on InnoDB: it indexes keys itself), type mismatches (SQLite: affinity; InnoDB:
    only a length), an unloadable and a loadable cycle, a missing key (c.team_id), odd names, and c_skip,
    which has findings of its own and is suppressed with --ignore."""
    weird_table, weird_fk = q(engine, 'we"ird tä ble'), q(engine, "odd <n> & 'x'")
    if engine == "sqlite":
        return f"""
            CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
            CREATE TABLE team (id INT PRIMARY KEY);
            CREATE TABLE c (id INT PRIMARY KEY, p_id INT CONSTRAINT c_p REFERENCES p (id),
                            code INT CONSTRAINT c_code REFERENCES p (code), team_id INT,
                            skip INT CONSTRAINT c_skip REFERENCES p (code));
            CREATE TABLE store (id INT PRIMARY KEY, manager INT NOT NULL CONSTRAINT store_mgr REFERENCES staff (id));
            CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL CONSTRAINT staff_store REFERENCES store (id));
            CREATE TABLE x (id INT PRIMARY KEY, y_id INT REFERENCES y (id));
            CREATE TABLE y (id INT PRIMARY KEY, x_id INT NOT NULL REFERENCES x (id));
            CREATE TABLE {weird_table} (id INT PRIMARY KEY, p_id INT CONSTRAINT {weird_fk} REFERENCES p (id));
        """
    code_type = "VARCHAR(20)"  # p.code is VARCHAR(10): a length mismatch (info) on both servers
    p_id_type = "BIGINT" if engine == "postgresql" else "INT"  # INT -> BIGINT: InnoDB refuses it
    return f"""
        CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(10) UNIQUE);
        CREATE TABLE team (id INT PRIMARY KEY);
        CREATE TABLE c (id INT PRIMARY KEY, p_id {p_id_type}, code {code_type}, team_id INT, skip VARCHAR(30),
                        CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id),
                        CONSTRAINT c_code FOREIGN KEY (code) REFERENCES p (code),
                        CONSTRAINT c_skip FOREIGN KEY (skip) REFERENCES p (code));
        CREATE TABLE store (id INT PRIMARY KEY, manager INT NOT NULL);
        CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL,
                            CONSTRAINT staff_store FOREIGN KEY (store_id) REFERENCES store (id));
        ALTER TABLE store ADD CONSTRAINT store_mgr FOREIGN KEY (manager) REFERENCES staff (id);
        CREATE TABLE x (id INT PRIMARY KEY, y_id INT);
        CREATE TABLE y (id INT PRIMARY KEY, x_id INT NOT NULL, FOREIGN KEY (x_id) REFERENCES x (id));
        ALTER TABLE x ADD FOREIGN KEY (y_id) REFERENCES y (id);
        CREATE TABLE {weird_table} (id INT PRIMARY KEY, p_code VARCHAR(12),
                                    CONSTRAINT {weird_fk} FOREIGN KEY (p_code) REFERENCES p (code));
    """


EXPECTED_RULES = {
    "sqlite": {"fk-unindexed", "fk-type-mismatch", "fk-cycle", "fk-missing"},
    "postgresql": {"fk-unindexed", "fk-type-mismatch", "fk-cycle", "fk-missing"},
    "mariadb": {"fk-type-mismatch", "fk-cycle", "fk-missing"},  # fk-unindexed does not apply to InnoDB
}


def check_against_json(sarif: dict[str, Any], data: dict[str, Any], target_uri: str) -> None:
    """One SARIF result per JSON finding, in the same order, saying the same thing."""
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r["rule"] for r in json.loads(
        lint("--list-rules", "--format", "json", cwd=Path.cwd()).stdout)["rules"]]
    assert run["artifacts"] == [{"location": {"uri": target_uri}, "roles": ["analysisTarget"]}]
    assert run["properties"] == {"suppressed": data["suppressed"], "notApplicable": data["not_applicable"]}
    assert len(run["results"]) == len(data["findings"])
    for result, f in zip(run["results"], data["findings"], strict=True):
        assert result["ruleId"] == f["rule"] and rules[result["ruleIndex"]]["id"] == f["rule"]
        assert result["level"] == LEVELS[f["severity"]]
        assert rules[result["ruleIndex"]]["properties"]["docs"] == f["docs"]
        expected = f["message"] + (f"\nFix: {f['fix']}" if f["fix"] else "")
        assert result["message"]["text"] == expected
        assert result.get("properties", {}).get("fix") == f["fix"]
        assert result["analysisTarget"] == {"uri": target_uri, "index": 0}
        (location,) = result["locations"]
        assert set(location) == {"logicalLocations"}
        (logical,) = location["logicalLocations"]
        assert logical["fullyQualifiedName"] == ".".join(
            p for p in (f["schema"], f["table"], f["constraint"]) if p)
        assert logical["name"] == (f["constraint"] or f["table"])
        assert logical["kind"] == ("member" if f["constraint"] else "type")
        assert result["partialFingerprints"]["refint/v1"].startswith(f"{f['rule']}:{logical['fullyQualifiedName']}:")
    fingerprints = [r["partialFingerprints"]["refint/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_sarif_is_valid_and_matches_json(make_db: Any, engine: str, tmp_path: Path) -> None:
    multitool()  # skip (or, under CI, fail) before building anything when the validator is missing
    db = make_db(engine)
    db.run(schema(engine))
    as_json = lint(db.url, "--ignore", "c_skip", "--format", "json", cwd=tmp_path)
    as_sarif = lint(db.url, "--ignore", "c_skip", "--format", "sarif", cwd=tmp_path)
    assert as_json.returncode == as_sarif.returncode == 1, as_json.stderr + as_sarif.stderr
    data = json.loads(as_json.stdout)
    assert {f["rule"] for f in data["findings"]} == EXPECTED_RULES[engine]
    assert data["suppressed"] >= 1 and not any(f["constraint"] == "c_skip" for f in data["findings"])
    assert any(f["table"] == 'we"ird tä ble' for f in data["findings"])

    sarif_file = tmp_path / f"refint-{engine}.sarif"
    sarif_file.write_text(as_sarif.stdout, encoding="utf-8")
    found = validate(sarif_file, tmp_path)
    problems = [f for f in found if f[0] in ("error", "warning") and f[1] not in ACCEPTED_WARNINGS]
    assert problems == []
    assert [f[1] for f in found if f[0] in ("error", "warning")] == ["SARIF2005"]  # the rules did run

    target_uri = db.path.as_uri() if engine == "sqlite" else db.url
    check_against_json(json.loads(as_sarif.stdout), data, target_uri)


@pytest.mark.parametrize("name", ["we ird tä.db", "sqlite:///{dir}/we ird tä #1.db"])
def test_sarif_file_target_with_odd_characters(tmp_path: Path, name: str) -> None:
    """A target with spaces, non-ASCII characters and '#' is still a valid URI (percent-encoded)."""
    multitool()
    import sqlite3

    path = tmp_path / ("we ird tä.db" if "{dir}" not in name else "we ird tä #1.db")
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE p (id INT PRIMARY KEY); "
                           "CREATE TABLE c (id INT PRIMARY KEY, p_id INT CONSTRAINT c_p REFERENCES p (id));")
    conn.close()
    target = name.format(dir=tmp_path.as_posix())
    proc = lint(target, "--format", "sarif", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    sarif = json.loads(proc.stdout)
    uri = sarif["runs"][0]["artifacts"][0]["location"]["uri"]
    assert uri == ("we%20ird%20t%C3%A4.db" if "{dir}" not in name else path.as_uri())
    assert " " not in uri and "#" not in uri
    sarif_file = tmp_path / "odd.sarif"
    sarif_file.write_text(proc.stdout, encoding="utf-8")
    found = validate(sarif_file, tmp_path)
    assert [f[1] for f in found if f[0] in ("error", "warning")] == ["SARIF2005"]


def test_multitool_reports_schema_errors(tmp_path: Path) -> None:
    """The validator is not a no-op: a log that breaks the JSON schema, a SARIF rule, or a URI gets errors."""
    good = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [
        {"id": "r1", "helpUri": "docs/r1.md"}]}}, "results": []}]}
    broken = tmp_path / "broken.sarif"
    broken.write_text(json.dumps({**good, "runs": [{"results": [], "bogus": 1}]}))
    assert {f[1] for f in validate(broken, tmp_path) if f[0] == "error"} >= {"JSON1002", "JSON1005"}
    relative = tmp_path / "relative.sarif"
    relative.write_text(json.dumps(good))
    assert ("error", "SARIF1005") in {f[:2] for f in validate(relative, tmp_path)}
