"""``refint report``: one self-contained HTML file, opened in a real headless Chromium with a dead proxy (so
any request leaving the page would fail), showing the graph, the findings, the check results and every
table; large schemas get per-table neighbourhood graphs and a search box that works."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import refint
from tests.conftest import unreachable

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


def need_dot() -> None:
    if shutil.which("dot") is None:
        unreachable("Graphviz's dot is not installed (apt-get install graphviz)")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "refint", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?(?!#)[^"'\s>]+|url\(\s*["']?(?!#)|@import"""
                      r"""|https?://|["'(=]//""", re.I)


def external_references(html: str) -> list[str]:
    return [m.group(0) for m in EXTERNAL.finditer(html)]


def test_report_opens_offline_in_chromium(make_db: Any, tmp_path: Path) -> None:
    need_dot()
    db = make_db("sqlite")
    db.run(SCHEMA)
    out = tmp_path / "report.html"
    proc = run_cli("report", db.url, "-o", str(out), "--check")
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "<script>alert(1)</script>" not in html  # data is escaped, never markup
    with refint.connect(db.url) as rdb:
        lint = rdb.lint()
    dom = chromium("--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr
    page = dom.stdout
    assert 'data-ready="1"' in page  # the inline script ran, with every network request failing
    assert page.count("<svg") >= 2  # the overview and per-table neighbourhoods, inline
    assert "fk-cycle" in page and "fk-unindexed" in page
    for f in lint.findings:  # every finding is on the page
        assert f.rule in page and f.table.replace('"', "&quot;") in page
    assert "Check: 1 violated constraints" in page and "학생_id=99" in page  # the orphan row
    assert "학생" in page and "line &quot;item&quot;" in page
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1400,1000", out.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000


def test_search_box_filters_tables(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    db.run(SCHEMA)
    out = tmp_path / "r.html"
    with refint.connect(db.url) as rdb:
        rdb.report().write(out)
    page = chromium("--dump-dom", out.as_uri() + "?q=audit").stdout
    articles = re.findall(r'<article class="([^"]*)"[^>]*data-search="([^"]*)"', page)
    assert sorted(name for cls, name in articles if "hidden" not in cls) == ["audit"]
    assert len(articles) == 5


def test_large_schema_gets_neighbourhood_graphs(make_db: Any, tmp_path: Path) -> None:
    need_dot()
    db = make_db("sqlite")
    tables = ["CREATE TABLE t0 (id INT PRIMARY KEY);"]
    for i in range(1, 120):
        tables.append(f"CREATE TABLE t{i} (id INT PRIMARY KEY, up INT REFERENCES t{(i - 1) // 2} (id));")
    tables.append("CREATE TABLE alone (id INT PRIMARY KEY);")
    db.run("\n".join(tables))
    with refint.connect(db.url) as rdb:
        rep = rdb.report(overview_limit=60)
    assert rep.tables == 121 and rep.graphs
    # no overview hairball: one small graph per table with a key in or out
    assert rep.html.count("<svg") == 120
    assert "more than one drawing can show readably" in rep.html
    assert external_references(rep.html) == []


def test_report_without_graphviz(make_db: Any, tmp_path: Path) -> None:
    db = make_db("sqlite")
    db.run(SCHEMA)
    out = tmp_path / "r.html"
    proc = run_cli("report", db.url, "-o", str(out), "--format", "json", env={"PATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "<svg" not in html and "Graphviz" in html and "fk-cycle" in html


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
