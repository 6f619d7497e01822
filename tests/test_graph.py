"""``refint graph``: one edge per foreign key on every engine, DOT that Graphviz accepts, Mermaid that follows
the flowchart grammar with bizarre names, neighbourhoods, and a clear error without Graphviz."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest

import refint
from refint.graph import build_graph, mermaid_text, to_dot, to_mermaid
from tests.conftest import unreachable

ALL = ["sqlite", "postgresql", "mariadb", "duckdb"]


def q(engine: str, name: str) -> str:
    if engine == "mariadb":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def bizarre_schema(engine: str) -> str:
    s = " ENGINE=InnoDB" if engine == "mariadb" else ""
    parent, child, col = q(engine, 'we"ird parent'), q(engine, "학생 기록"), q(engine, "parent id")
    return f"""
        CREATE TABLE {parent} (id INT PRIMARY KEY){s};
        CREATE TABLE {child} (id INT PRIMARY KEY, {col} INT,
            CONSTRAINT {q(engine, "fk <one> & 'two'")} FOREIGN KEY ({col}) REFERENCES {parent} (id)){s};
        CREATE TABLE {q(engine, "order")} (id INT PRIMARY KEY, {q(engine, "학생 id")} INT,
            FOREIGN KEY ({q(engine, "학생 id")}) REFERENCES {child} (id)
            {"" if engine == "duckdb" else "ON DELETE CASCADE"}){s};
    """


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def need_dot() -> None:
    if shutil.which("dot") is None:
        unreachable("Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.mark.parametrize("engine", ALL)
def test_json_has_one_edge_per_foreign_key(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(bizarre_schema(engine))
    proc = run_cli("graph", db.url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    inspected = json.loads(run_cli("inspect", db.url, "--format", "json").stdout)
    fks = sorted((t["name"], fk["name"], tuple(fk["columns"]), fk["referred_table"], fk["on_delete"])
                 for t in inspected["tables"] for fk in t["foreign_keys"])
    edges = sorted((e["from"]["table"], e["constraint"], tuple(e["from"]["columns"]), e["to"]["table"], e["on_delete"])
                   for e in data["edges"])
    assert edges == fks and len(edges) == 2
    assert sorted(n["table"] for n in data["nodes"]) == sorted(t["name"] for t in inspected["tables"])
    assert all({"schema", "table"} <= set(n) for n in data["nodes"])


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_dot_is_accepted_by_graphviz_and_marks_cascades_and_cycles(make_db: Any, engine: str) -> None:
    need_dot()
    db = make_db(engine)
    db.run(bizarre_schema(engine))
    s = " ENGINE=InnoDB" if engine == "mariadb" else ""
    db.run(f"CREATE TABLE a (id INT PRIMARY KEY, b_id INT){s}; CREATE TABLE b (id INT PRIMARY KEY, a_id INT "
           f"REFERENCES a (id)){s};" + ("" if engine == "sqlite" else "ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b (id);"))
    if engine == "sqlite":
        db.run("DROP TABLE a; CREATE TABLE a (id INT PRIMARY KEY, b_id INT CONSTRAINT a_b REFERENCES b (id));")
    dot = run_cli("graph", db.url, "--format", "dot")
    assert dot.returncode == 0, dot.stderr
    rendered = subprocess.run(["dot", "-Tsvg"], input=dot.stdout, capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert "학생 기록" in rendered.stdout and "we&quot;ird parent" in rendered.stdout
    with refint.connect(db.url) as rdb:
        g = rdb.graph()
    by_name = {e.fk.name: e for e in g.edges}
    assert by_name["a_b"].in_cycle and not by_name["fk <one> & 'two'"].in_cycle
    cascading = [e for e in g.edges if e.cascades]
    assert len(cascading) == 1
    text = to_dot(g)
    lines = [ln for ln in text.splitlines() if "->" in ln]
    assert sum('color="#c0392b"' in ln for ln in lines) == 1  # the cascade, drawn distinctly
    assert sum('color="#d35400"' in ln for ln in lines) == 2  # the two edges of the cycle
    svg = run_cli("graph", db.url, "--format", "svg")
    assert svg.returncode == 0 and "<svg" in svg.stdout


MERMAID_LINE = re.compile(
    r'^(flowchart LR'
    r'|    t\d+\["[^"]*"\]'
    r'|    t\d+ (-->|==>)\|"[^"]*"\| t\d+'
    r'|    classDef \w+ [\w:#,.\-]+'
    r'|    class t\d+(,t\d+)* \w+'
    r'|    linkStyle \d+ [\w:#,.\-]+)$')


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_mermaid_follows_the_flowchart_grammar(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(bizarre_schema(engine))
    proc = run_cli("graph", db.url, "--format", "mermaid")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    bad = [ln for ln in lines if not MERMAID_LINE.match(ln)]
    assert bad == []
    assert '"<b>we#34;ird parent</b>' in proc.stdout  # a quote inside a label is an entity code
    assert "학생 기록" in proc.stdout  # Korean names as they are, inside quotes
    assert "fk #60;one#62; #38; 'two'" in proc.stdout
    assert sum("==>" in ln for ln in lines) == 1  # the cascade is a thick arrow
    assert mermaid_text('a"b#c') == "a#34;b#35;c"


def test_neighbourhood(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("""
        CREATE TABLE a (id INT PRIMARY KEY);
        CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));
        CREATE TABLE c (id INT PRIMARY KEY, b_id INT REFERENCES b (id));
        CREATE TABLE d (id INT PRIMARY KEY, c_id INT REFERENCES c (id));
        CREATE TABLE lone (id INT PRIMARY KEY);
    """)
    with refint.connect(db.url) as rdb:
        assert [t.name for t in rdb.graph("b", depth=1).tables] == ["a", "b", "c"]
        assert [t.name for t in rdb.graph("b", depth=2).tables] == ["a", "b", "c", "d"]
        assert [t.name for t in rdb.graph("lone", depth=3).tables] == ["lone"]
        assert len(rdb.graph("b", depth=1).edges) == 2
    proc = run_cli("graph", db.url, "--table", "b", "--depth", "0", "--format", "json")
    data = json.loads(proc.stdout)
    assert [n["table"] for n in data["nodes"]] == ["b"] and data["edges"] == []
    assert data["focus"] == {"schema": None, "table": "b"}
    missing = run_cli("graph", db.url, "--table", "nope")
    assert missing.returncode == 2 and "no such table: nope" in missing.stderr


def test_svg_without_graphviz_says_so(make_db: Any, tmp_path: Any) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE a (id INT PRIMARY KEY)")
    proc = run_cli("graph", db.url, "--format", "svg", env={"PATH": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.startswith("refint: error: SVG needs Graphviz's dot") and proc.stdout == ""
    ok = run_cli("graph", db.url, "--format", "mermaid", env={"PATH": str(tmp_path)})
    assert ok.returncode == 0 and ok.stdout.startswith("flowchart LR")


def test_mermaid_of_an_empty_graph() -> None:
    from refint.model import Schema

    assert to_mermaid(build_graph(Schema("sqlite"))).startswith("flowchart LR")


def test_table_format_lists_every_edge(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("CREATE TABLE a (id INT PRIMARY KEY, b_id INT REFERENCES b (id));"
           "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id) ON DELETE CASCADE);")
    proc = run_cli("graph", db.url, "--format", "table")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("→") == 2 and "cascad" in proc.stdout and "cycle" in proc.stdout
    assert "2 tables, 2 foreign keys, 2 tables on a cycle" in proc.stdout
