"""``refint graph``: one edge per foreign key on every engine, DOT that Graphviz accepts, Mermaid that the real
Mermaid (pinned in tests/js) parses and renders with one node per table and one edge per key whatever the
names, neighbourhoods, and a clear error without Graphviz."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import refint
from refint.graph import build_graph, mermaid_text, to_dot, to_mermaid
from tests.conftest import js_tools, unreachable
from tests.svgcheck import inspected, overlapping, read_svg

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


#: The shape of every line ``to_mermaid`` writes: a quick check for the property test
#: (tests/test_lint_random.py). It is not what says the Mermaid is valid: real Mermaid does, below.
MERMAID_LINE = re.compile(
    r'^(flowchart LR'
    r'|    t\d+\["[^"]*"\]'
    r'|    t\d+ (-->|==>)\|"[^"]*"\| t\d+'
    r'|    classDef \w+ [\w:#,.\-]+'
    r'|    class t\d+(,t\d+)* \w+'
    r'|    linkStyle \d+ [\w:#,.\-]+)$')

# ---------------------------------------------------------------------------------------------------------
# Real Mermaid: tests/js pins it (package.json + package-lock.json, `npm ci --prefix tests/js`), and
# tests/js/render.html parses and renders one diagram in headless Chromium and writes the outcome into the DOM.
# ---------------------------------------------------------------------------------------------------------

JS_DIR = Path(__file__).resolve().parent / "js"
MERMAID_JS = JS_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=30000"]


def render_mermaid(text: str) -> dict[str, Any]:
    """Mermaid's own verdict on ``text``: tests/js/render.html's JSON (parsed model and rendered SVG)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        unreachable("chromium is not installed (apt-get install chromium): needed to run Mermaid")
    js_tools()
    if not MERMAID_JS.is_file():
        hint = "npm ci --prefix tests/js"
        if shutil.which("npm") is None:
            hint = "install Node.js and npm, then " + hint
        unreachable(f"Mermaid is not installed in tests/js/node_modules ({hint})")
    assert exe is not None
    url = (JS_DIR / "render.html").as_uri() + "#" + quote(text, safe="")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                              capture_output=True, text=True, timeout=180)
    found = re.search(r'<body data-done="1">\s*<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"render.html did not finish (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def awkward_schema(engine: str) -> str:
    """Names Mermaid could trip on: quotes, spaces, '#', ';', ':', reserved words, mixed case, Korean, a
    63-character name, Mermaid's own directive and entity syntax; self-reference, a 2-cycle, a composite key,
    cascades, a table without a primary key."""
    s = " ENGINE=InnoDB" if engine == "mariadb" else ""

    def Q(name: str) -> str:
        return q(engine, name)

    cycle = f"CONSTRAINT {Q('order: back to #b')} FOREIGN KEY ({Q('a#b;c id')}) REFERENCES {Q('a#b;c')} (id)"
    statements = [
        f"CREATE TABLE {Q(PARENT)} (id INT PRIMARY KEY){s}",
        f"CREATE TABLE {Q('학생')} (id INT PRIMARY KEY, name VARCHAR(20)){s}",
        f"CREATE TABLE {Q('과목')} (code VARCHAR(10), term INT, PRIMARY KEY (code, term)){s}",
        f"CREATE TABLE {Q('수강 신청')} ({Q('학생 id')} INT, code VARCHAR(10), term INT,"
        f" PRIMARY KEY ({Q('학생 id')}, code, term),"
        f" CONSTRAINT {Q('fk_수강_학생')} FOREIGN KEY ({Q('학생 id')}) REFERENCES {Q('학생')} (id) ON DELETE CASCADE,"
        f" CONSTRAINT {Q('style: #1; (과목)')} FOREIGN KEY (code, term) REFERENCES {Q('과목')} (code, term)"
        f" ON UPDATE CASCADE){s}",
        f"CREATE TABLE {Q('order')} (id INT PRIMARY KEY, {Q('a#b;c id')} INT"
        + (f", {cycle}" if engine == "sqlite" else "") + f"){s}",
        f"CREATE TABLE {Q('a#b;c')} (id INT PRIMARY KEY, {Q('order')} INT,"
        f" FOREIGN KEY ({Q('order')}) REFERENCES {Q('order')} (id)){s}",
        f"CREATE TABLE {Q('MixedCase Table')} (id INT PRIMARY KEY, {Q('parent id')} INT,"
        f" CONSTRAINT {Q(PARENT_FK)} FOREIGN KEY ({Q('parent id')}) REFERENCES {Q(PARENT)} (id)){s}",
        f"CREATE TABLE {Q(LONG)} (id INT PRIMARY KEY, boss INT,"  # named: InnoDB's LONG_ibfk_1 is too long
        f" CONSTRAINT {Q('boss → self')} FOREIGN KEY (boss) REFERENCES {Q(LONG)} (id)){s}",
        f"CREATE TABLE {Q(ENTITY)} (id INT PRIMARY KEY){s}",
        f"CREATE TABLE {Q(DIRECTIVE)} (id INT PRIMARY KEY, {Q('x; y')} INT,"
        f" FOREIGN KEY ({Q('x; y')}) REFERENCES {Q(ENTITY)} (id) ON DELETE SET NULL){s}",
        f"CREATE TABLE {Q('no pk; log')} (msg VARCHAR(20), {Q('학생 id')} INT,"
        f" FOREIGN KEY ({Q('학생 id')}) REFERENCES {Q('학생')} (id) ON DELETE CASCADE ON UPDATE CASCADE){s}",
    ]
    if engine != "sqlite":
        statements.append(f"ALTER TABLE {Q('order')} ADD {cycle}")
    return ";\n".join(statements) + ";"


PARENT = 'we"ird parent'
PARENT_FK = "fk <one> & 'two'"
LONG = "A table name of exactly sixty-three characters, spaces & all ok"
ENTITY = "a¶ßb ﬂ°c #34;"  # Mermaid's own entity placeholders, and an entity code written out
DIRECTIVE = '%%{init: {"theme":"dark"}}%%'
CYCLE_TABLES = {"order", "a#b;c", LONG}
assert len(LONG) == 63


def expected_edge_label(fk: dict[str, Any]) -> str:
    """What a reader sees on the edge of one inspected key (the ``<br/>`` renders as a line break)."""
    actions = [f"ON {when} {fk[key]}" for when, key in (("DELETE", "on_delete"), ("UPDATE", "on_update"))
               if fk[key] != "NO ACTION"]
    return f"{fk['name'] or '(unnamed)'} ({', '.join(fk['columns'])})" + ", ".join(actions)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_mermaid_is_parsed_and_rendered_by_real_mermaid(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    db.run(awkward_schema(engine))
    proc = run_cli("graph", db.url, "--format", "mermaid")
    assert proc.returncode == 0, proc.stderr
    result = render_mermaid(proc.stdout)
    assert result["ok"], f"Mermaid rejected refint's output at the {result.get('stage')} stage: " \
                         f"{result.get('error')}\n{proc.stdout}"
    assert result["type"] == "flowchart-v2" and result["svg"]["errors"] == 0

    inspected = json.loads(run_cli("inspect", db.url, "--format", "json").stdout)
    tables = inspected["tables"]
    fks = [(t, fk) for t in tables for fk in t["foreign_keys"]]
    assert len(tables) == 11 and len(fks) == 8
    svg = result["svg"]
    # one node per table, one edge per key: in Mermaid's parsed model and in the drawing
    assert len(result["vertices"]) == len(svg["nodes"]) == len(tables)
    assert len(result["edges"]) == len(svg["edges"]) == len(fks)

    # every node shows its table's name as it is (then its primary key), quotes and Korean included
    label_of = {t["name"]: t["name"] + (f"PK {', '.join(t['primary_key']['columns'])}" if t["primary_key"] else "")
                for t in tables}
    table_of_node: dict[str, str] = {}
    for node in svg["nodes"]:
        node_id = re.search(r"flowchart-(t\d+)-\d+$", node["id"])
        assert node_id, node
        names = [name for name, label in label_of.items() if node["text"] == label]
        assert len(names) == 1, f"node text {node['text']!r} is no table's label"
        table_of_node[node_id.group(1)] = names[0]
    assert sorted(table_of_node.values()) == sorted(label_of)
    assert {PARENT, "학생", "과목", "수강 신청", "order", LONG, ENTITY, DIRECTIVE} <= set(table_of_node.values())

    # each drawn edge joins the key's child to its parent, labelled with its name, columns and actions
    drawn = []
    for path in svg["edges"]:
        ends = re.search(r"L_(t\d+)_(t\d+)_\d+$", path["id"])
        assert ends, path
        drawn.append((table_of_node[ends.group(1)], table_of_node[ends.group(2)]))
    assert sorted(drawn) == sorted((t["name"], fk["referred_table"]) for t, fk in fks)
    assert sorted(svg["edgeLabels"]) == sorted(expected_edge_label(fk) for _, fk in fks)
    assert {"fk <one> & 'two' (parent id)", "style: #1; (과목) (code, term)ON UPDATE CASCADE"} <= set(svg["edgeLabels"])

    # cascades are thick, tables on a cycle carry the cycle class
    thick = [p for p in svg["edges"] if "edge-thickness-thick" in p["classes"]]
    assert len(thick) == sum(1 for _, fk in fks if "CASCADE" in (fk["on_delete"], fk["on_update"])) == 3
    cyclic = {table_of_node[n["id"].split("-")[-2]] for n in svg["nodes"] if "cycle" in n["classes"]}
    assert cyclic == CYCLE_TABLES


def test_mermaid_focus_and_empty_graphs_render(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run(awkward_schema("sqlite"))
    proc = run_cli("graph", db.url, "--format", "mermaid", "--table", "수강 신청", "--depth", "1")
    assert proc.returncode == 0, proc.stderr
    result = render_mermaid(proc.stdout)
    assert result["ok"], result
    assert sorted(n["text"] for n in result["svg"]["nodes"]) == ["과목PK code, term", "수강 신청PK 학생 id, code, term",
                                                                 "학생PK id"]
    assert [n for n in result["svg"]["nodes"] if "focus" in n["classes"]][0]["text"].startswith("수강 신청")
    from refint.model import Schema

    empty = render_mermaid(to_mermaid(build_graph(Schema("sqlite"))))
    assert empty["ok"] and empty["svg"]["nodes"] == [] and empty["svg"]["edges"] == [], empty


def test_mermaid_text_escapes() -> None:
    assert mermaid_text('a"b#c') == "a#34;b#35;c"
    assert mermaid_text("%%{init: x}%%") == "#37;#37;{init#58; x}#37;#37;"
    assert mermaid_text("a¶ßb ﬂ°c") == "a¶<span></span>ßb ﬂ<span></span>°c"
    assert mermaid_text("학생\n기록") == "학생 기록"


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


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_svg_is_drawn_without_graphviz(make_db: Any, engine: str, tmp_path: Any) -> None:
    """No dot on the PATH: one box per table, one line per key (read back from the SVG and compared with
    inspect), cascades and cycles marked, names as written, no two boxes overlapping."""
    db = make_db(engine)
    db.run(bizarre_schema(engine))
    db.run("CREATE TABLE a (id INT PRIMARY KEY, b_id INT, up INT REFERENCES a (id)); "
           "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id));"
           + ("ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b (id);" if engine != "sqlite" else ""))
    env = {"PATH": str(tmp_path)}  # no dot (nor anything else) on the PATH
    proc = run_cli("graph", db.url, "--format", "svg", env=env)
    assert proc.returncode == 0, proc.stderr
    drawing = read_svg(proc.stdout)
    tables, keys = inspected(json.loads(run_cli("inspect", db.url, "--format", "json").stdout))
    assert set(drawing.boxes) == tables and sorted(drawing.edges) == sorted(keys)
    assert overlapping(drawing.boxes) == []
    assert "we&quot;ird parent" in proc.stdout and "fk &lt;one&gt; &amp; &#x27;two&#x27;" in proc.stdout
    marks = {int(i): set(c.split()) for c, i in re.findall(r'<path class="(fk[^"]*)" data-edge="(\d+)"', proc.stdout)}
    with refint.connect(db.url) as rdb:
        g = rdb.graph()
        near_tables = {t.qualified_name for t in rdb.graph("b", 1).tables}
    assert [("cycle" in marks[i], "cascade" in marks[i]) for i in range(len(g.edges))] == \
        [(e.in_cycle, e.cascades) for e in g.edges]
    assert any(e.in_cycle for e in g.edges) and any(e.cascades for e in g.edges)
    part = run_cli("graph", db.url, "--format", "svg", "--table", "b", "--depth", "1", env=env)
    near = read_svg(part.stdout)
    assert set(near.boxes) == near_tables and overlapping(near.boxes) == []
    assert re.search(r'class="table[^"]* focus" data-table="(public\.)?b"', part.stdout)
    empty = make_db("sqlite")
    none = run_cli("graph", empty.url, "--format", "svg", env=env)
    assert none.returncode == 0 and read_svg(none.stdout).boxes == {}


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
