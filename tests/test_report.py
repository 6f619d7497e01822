"""``refint report``: one self-contained HTML file, opened in a real headless Chromium with a dead proxy (so
any request leaving the page would fail), showing the graph, the findings, the check results and every
table; large schemas get per-table neighbourhood graphs and a search box that works."""

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
from urllib.parse import quote
from typing import Any

import pytest

import refint
from tests.conftest import unreachable
from tests.svgcheck import inspected, overlapping, overview_svg, read_svg

SCHEMA = '''
CREATE TABLE store (id INT PRIMARY KEY, manager INT NOT NULL REFERENCES staff (id));
CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL REFERENCES store (id));
CREATE TABLE "학생" (id INT PRIMARY KEY, name TEXT);
CREATE TABLE "line ""item""" (id INT PRIMARY KEY, "학생_id" INT REFERENCES "학생" (id) ON DELETE CASCADE,
                             store_id INT, note TEXT);
CREATE TABLE audit (id INT PRIMARY KEY, item_id INT REFERENCES "line ""item""" (id) ON DELETE CASCADE);
INSERT INTO "학생" VALUES (1, 'kim');
INSERT INTO "line ""item""" VALUES (1, 1, 1, '<script>alert(1)</script>'), (2, 99, 1, 'orphan');
'''

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        unreachable("chromium is not installed (apt-get install chromium)")
    assert exe is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=120)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?(?!#)[^"'\s>]+|url\(\s*["']?(?!#)|@import"""
                      r"""|https?://|["'(=]//""", re.I)


def external_references(html: str) -> list[str]:
    return [m.group(0) for m in EXTERNAL.finditer(html)]


ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def dom(page: Path, fragment: str = "", query: str = "") -> str:
    """The page's DOM after its script ran, opened at ``?query#fragment``."""
    url = page.as_uri() + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    proc = chromium("--dump-dom", url)
    assert proc.returncode == 0, proc.stderr
    assert 'data-ready="1"' in proc.stdout  # the inline script ran to its end, every request failing
    return proc.stdout


def screenshot(page: Path, name: str, fragment: str = "", query: str = "") -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    url = page.as_uri() + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    chromium(f"--screenshot={shot}", "--window-size=1400,1000", "--hide-scrollbars", url)
    assert shot.is_file() and shot.stat().st_size > 10_000
    return shot


def view_of(page_dom: str) -> str:
    """The explorer's current view, cut out of a dumped DOM."""
    start = page_dom.index('<div id="view">')
    return page_dom[start:page_dom.index("</section>", start)]


def frag(**params: str) -> str:
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def test_report_opens_offline_in_chromium(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    db.run(SCHEMA)
    out = tmp_path / "report.html"
    proc = run_cli("report", db.url, "-o", str(out), "--check", env={"PATH": str(tmp_path)})  # no Graphviz
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "<script>alert(1)</script>" not in html  # data is escaped, never markup
    drawing = read_svg(overview_svg(html))
    tables, keys = inspected(json.loads(run_cli("inspect", db.url, "--format", "json").stdout))
    assert set(drawing.boxes) == tables and sorted(drawing.edges) == sorted(keys)
    assert overlapping(drawing.boxes) == []
    # the orphaned key's line is marked with its count in the overview too
    marked = re.findall(r'<path class="fk[^"]*orphans[^"]*" data-edge="\d+" data-from="([^"]*)" data-to="([^"]*)"',
                        overview_svg(html))
    assert marked == [("line &quot;item&quot;", "학생")] and ">1 orphans</text>" in overview_svg(html)
    with refint.connect(db.url) as rdb:
        lint = rdb.lint()
    page = dom(out)
    assert "fk-cycle" in page and "fk-unindexed" in page
    for f in lint.findings:  # every finding is on the page
        assert f.rule in page and f.table.replace('"', "&quot;") in page
    assert "Check: 1 violated constraints" in page and "학생_id=99" in page  # the orphan row
    assert "학생" in page and "line &quot;item&quot;" in page
    # the neighbourhood of a table, drawn in the page: its orphaned key marked with the count
    item = view_of(dom(out, frag(view="table", t='line "item"', depth="1")))
    near = read_svg(item[item.index("<svg"):item.index("</svg>") + 6])
    assert set(near.boxes) == {"학생", 'line "item"', "audit"} and overlapping(near.boxes) == []
    assert re.search(r'class="fk[^"]*orphans[^"]*"[^>]*data-from="line &quot;item&quot;" data-to="학생"', item)
    assert "1 orphans" in item


def test_search_box_filters_tables(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    db.run(SCHEMA)
    out = tmp_path / "r.html"
    with refint.connect(db.url) as rdb:
        rdb.report().write(out)
    page = dom(out, query="q=audit")
    articles = re.findall(r'<article class="([^"]*)"[^>]*data-search="([^"]*)"', page)
    assert sorted(name for cls, name in articles if "hidden" not in cls) == ["audit"]
    assert len(articles) == 5
    # an exact table name opens its drawing; a column name lists its table
    assert '<g class="table focus" data-table="audit"' in view_of(page)
    by_column = dom(out, query="q=%ED%95%99%EC%83%9D_id")  # 학생_id, a column of line "item"
    results = by_column[by_column.index('<div id="results"'):by_column.index('<div id="view">')]
    assert 'data-kind="column"' in results and '>line "item"</a><span class="muted"> column 학생_id' in results


def test_large_schema_starts_from_the_most_referenced_tables(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    tables = ["CREATE TABLE t0 (id INT PRIMARY KEY);"]
    for i in range(1, 120):
        tables.append(f"CREATE TABLE t{i} (id INT PRIMARY KEY, up INT REFERENCES t{(i - 1) // 2} (id));")
    tables.append("CREATE TABLE hub (id INT PRIMARY KEY);")
    tables += [f"CREATE TABLE s{i} (id INT PRIMARY KEY, h INT REFERENCES hub (id));" for i in range(3)]
    tables.append("CREATE TABLE alone (id INT PRIMARY KEY);")
    db.run("\n".join(tables))
    out = tmp_path / "big.html"
    with refint.connect(db.url) as rdb:
        rep = rdb.report(overview_limit=60)
    rep.write(out)
    assert rep.tables == 125 and rep.graphs
    assert rep.html.count("<svg") == 1 and "<details><summary>The whole schema in one drawing" in rep.html
    drawing = read_svg(overview_svg(rep.html))
    assert len(drawing.boxes) == 125 and len(drawing.edges) == 122 and overlapping(drawing.boxes) == []
    assert external_references(rep.html) == []
    start = view_of(dom(out))
    first = re.findall(r'<li><a href="#" class="">([^<]*)</a><span class="muted"> (\d+) in', start)
    assert first[0] == ("hub", "3") and all(int(n) <= 3 for _, n in first)
    assert len(first) == 30


@pytest.mark.parametrize("engine", ["postgresql", "mariadb", "duckdb"])
def test_report_on_other_engines(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    s = " ENGINE=InnoDB" if engine == "mariadb" else ""
    db.run(f"CREATE TABLE p (id INT PRIMARY KEY){s}; CREATE TABLE c (id INT PRIMARY KEY, p_id INT, "
           f"FOREIGN KEY (p_id) REFERENCES p (id)){s};")
    with refint.connect(db.url) as rdb:
        rep = rdb.report(check=True)
    assert rep.tables == 2 and rep.foreign_keys == 1 and rep.check_ok is True
    assert external_references(rep.html) == []


REACH = '''
CREATE TABLE root (id INT PRIMARY KEY);
CREATE TABLE a (id INT PRIMARY KEY, root_id INT, CONSTRAINT a_root FOREIGN KEY (root_id) REFERENCES root (id) ON DELETE CASCADE);
CREATE TABLE b (id INT PRIMARY KEY, a_id INT, up INT,
    CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE,
    CONSTRAINT b_up FOREIGN KEY (up) REFERENCES b (id) ON DELETE CASCADE);
CREATE TABLE n (id INT PRIMARY KEY, a_id INT, CONSTRAINT n_a FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE SET NULL);
CREATE TABLE r (id INT PRIMARY KEY, b_id INT NOT NULL, CONSTRAINT r_b FOREIGN KEY (b_id) REFERENCES b (id) ON DELETE RESTRICT);
CREATE TABLE x (id INT PRIMARY KEY, root_id INT, CONSTRAINT x_root FOREIGN KEY (root_id) REFERENCES root (id));
CREATE TABLE y (id INT PRIMARY KEY, x_id INT, b_id INT, CONSTRAINT y_x FOREIGN KEY (x_id) REFERENCES x (id),
    CONSTRAINT y_b FOREIGN KEY (b_id) REFERENCES b (id) ON DELETE CASCADE);
CREATE TABLE q1 (id INT PRIMARY KEY, root_id INT, CONSTRAINT q1_root FOREIGN KEY (root_id) REFERENCES root (id));
CREATE TABLE q2 (id INT PRIMARY KEY, root_id INT, CONSTRAINT q2_root FOREIGN KEY (root_id) REFERENCES root (id));
CREATE TABLE z (id INT PRIMARY KEY, q1_id INT, q2_id INT, other INT,
    CONSTRAINT z_q1 FOREIGN KEY (q1_id) REFERENCES q1 (id), CONSTRAINT z_q2 FOREIGN KEY (q2_id) REFERENCES q2 (id),
    CONSTRAINT z_q2_again FOREIGN KEY (other) REFERENCES q2 (id));
CREATE TABLE island (id INT PRIMARY KEY);
INSERT INTO root VALUES (1); INSERT INTO a VALUES (1, 1); INSERT INTO b VALUES (1, 1, NULL), (2, 1, 1);
INSERT INTO n VALUES (1, 1); INSERT INTO r VALUES (1, 2); INSERT INTO x VALUES (1, 1); INSERT INTO y VALUES (1, 1, 2);
INSERT INTO q1 VALUES (1, 1); INSERT INTO q2 VALUES (1, 1); INSERT INTO z VALUES (1, 1, 1, 1);
'''


def bfs_chains(schema: Any, a: str, b: str) -> set[str]:
    """Every shortest chain of keys between two tables, by networkx on the model (keys in either direction,
    one chain per choice among parallel keys), in the explorer's data-chain form."""
    import itertools

    import networkx as nx

    g = nx.MultiGraph()
    g.add_nodes_from(t.name for t in schema.tables)
    for t, fk in schema.foreign_keys:
        g.add_edge(t.name, fk.referred_table, key=fk.name)
    if not nx.has_path(g, a, b):
        return set()
    chains = set()
    for nodes in nx.all_shortest_paths(g, a, b):
        options = [sorted(g[u][v]) for u, v in zip(nodes, nodes[1:])]
        for names in itertools.product(*options):
            chains.add(json.dumps([a] + [[n, v] for n, v in zip(names, nodes[1:])], separators=(",", ":")))
    return chains


def shown_chains(page: str) -> set[str]:
    return {html.unescape(c) for c in re.findall(r'<li data-chain="([^"]*)"', page)}


def shown_reach(page: str) -> dict[str, set[str]]:
    out = {}
    for kind, attr, value in re.findall(r'<li data-kind="([^"]*)" data-(tables|constraints)="([^"]*)"', page):
        out[kind] = set(json.loads(html.unescape(value)))
    return out


def test_path_and_cascade_views_match_bfs_and_plan(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    db.run(REACH)
    out = tmp_path / "reach.html"
    with refint.connect(db.url) as rdb:
        schema = rdb.inspect()
        rdb.report().write(out)
        plan = rdb.plan_delete("root", "1=1")
    for a, b in (("z", "root"), ("r", "n"), ("y", "q2"), ("island", "root")):
        page = view_of(dom(out, frag(view="path", **{"from": a, "to": b})))
        assert shown_chains(page) == bfs_chains(schema, a, b), (a, b)
        if not shown_chains(page):
            assert "No chain of foreign keys joins these tables" in page
    assert len(bfs_chains(schema, "z", "root")) == 3  # z_q1, z_q2 and z_q2_again: three shortest chains
    page = view_of(dom(out, frag(view="cascade", t="root")))
    reach = shown_reach(page)
    # plan delete counted rows on every one of these keys, so the two must agree exactly
    assert reach["deletes"] == {k for k, n in plan.deleted.items() if n} == {"root", "a", "b", "y"}
    assert reach["restrict"] == {x.constraint for x in plan.blocked_by if "RESTRICT" in x.reason} == {"r_b"}
    assert reach["no action"] == {x.constraint for x in plan.blocked_by if "NO ACTION" in x.reason} == {"x_root", "q1_root", "q2_root"}
    assert reach["set null"] == {s.constraint for s in plan.steps if s.action == "SET NULL"} == {"n_a"}
    drawn = read_svg(page[page.index("<svg"):page.index("</svg>") + 6])
    assert set(drawn.boxes) == {"root", "a", "b", "y", "n", "r", "x", "q1", "q2"}
    assert overlapping(drawn.boxes) == []


PWN = "document.body.setAttribute('data-pwned','{}')"
HOSTILE_TABLE = f"</script><img src=x onerror={PWN.format('t')}>"
HOSTILE_OTHER = "it's \"q\" & ]]> <b>bold</b> \u2028"
HOSTILE_COLUMN = f"\"quoted\" ]]> <img src=x onerror={PWN.format('col')}>"
HOSTILE_FK = f"<img src=x onerror={PWN.format('fk')}> ]]>"
HOSTILE_VALUE = f"</script><script>{PWN.format('v')}</script><img src=x onerror={PWN.format('v2')}>"


def sq(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def test_hostile_names_stay_text(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    db.run(f"""
        CREATE TABLE {sq(HOSTILE_TABLE)} (id TEXT PRIMARY KEY);
        CREATE TABLE {sq(HOSTILE_OTHER)} (id INT PRIMARY KEY, {sq(HOSTILE_COLUMN)} TEXT,
            CONSTRAINT {sq(HOSTILE_FK)} FOREIGN KEY ({sq(HOSTILE_COLUMN)}) REFERENCES {sq(HOSTILE_TABLE)} (id)
            ON DELETE CASCADE);
        INSERT INTO {sq(HOSTILE_TABLE)} VALUES ('ok');
        INSERT INTO {sq(HOSTILE_OTHER)} VALUES (1, 'ok'), (2, '{HOSTILE_VALUE.replace("'", "''")}');
    """)
    out = tmp_path / "hostile.html"
    proc = run_cli("report", db.url, "-o", str(out), "--check", env={"PATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "<img" not in text and text.count("</script>") == 2  # the JSON document's and the explorer's
    data = text[text.index('id="refint-data">') + 17:text.index("</script>", text.index('id="refint-data">'))]
    assert "<" not in data and ">" not in data and "&" not in data and "\u2028" not in data
    assert {t["name"] for t in json.loads(data)["tables"]} == {HOSTILE_TABLE, HOSTILE_OTHER}
    views = [frag(view="table", t=HOSTILE_OTHER, depth="2"), frag(view="cascade", t=HOSTILE_TABLE),
             frag(**{"view": "path", "from": HOSTILE_OTHER, "to": HOSTILE_TABLE})]
    pages = [dom(out, v) for v in views] + [dom(out, query="q=" + quote("onerror", safe=""))]
    for page in pages:
        assert not re.search(r"\sdata-pwned=", page) and "<img" not in page  # no injected handler ran
        assert "<script>document" not in page
    # the drawings and the lists name every table exactly as written
    for page in pages[:3]:
        shown = {html.unescape(n) for n in re.findall(r'data-table="([^"]*)"', view_of(page))}
        assert shown == {HOSTILE_TABLE, HOSTILE_OTHER}
        assert html.unescape(re.search(r"<h3>(.*?)</h3>", view_of(page)).group(1)).endswith(
            (HOSTILE_OTHER, HOSTILE_TABLE))
        edges = {html.unescape(n) for n in re.findall(r'data-constraint="([^"]*)"', view_of(page))}
        assert edges == {HOSTILE_FK}
    chain = shown_chains(pages[2])
    assert chain == {json.dumps([HOSTILE_OTHER, [HOSTILE_FK, HOSTILE_TABLE]], ensure_ascii=False, separators=(",", ":"))}
    assert shown_reach(pages[1])["deletes"] == {HOSTILE_TABLE, HOSTILE_OTHER}
    results = pages[3][pages[3].index('<div id="results"'):pages[3].index('<div id="view">')]
    assert html.unescape(results).count("onerror") >= 3  # two tables' names, a column and the key, as text
    assert "1 orphans" in view_of(pages[0])  # the orphaned key, marked on its line
    screenshot(out, "report-hostile", views[0])
