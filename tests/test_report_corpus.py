"""``report`` and ``graph --format svg`` on the public sample databases (``../shared/corpus``; skipped when
absent), with no Graphviz on the PATH: the drawings hold every table and every key of ``inspect`` and no
two boxes overlap; on NetBox the explorer, in headless Chromium, searches a table, shows every shortest
chain between two tables (compared with networkx) and a cascade reach (compared with the schema's keys and
with ``plan delete``). Screenshots go to tests/artifacts/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import refint
from tests import corpus as C
from tests.svgcheck import inspected, overlapping, overview_svg, read_svg
from tests.test_report import bfs_chains, dom, frag, run_cli, screenshot, shown_chains, shown_reach, view_of

pytestmark = pytest.mark.corpus

CASES = [("chinook", "sqlite"), ("sakila", "sqlite"), ("pagila", "postgresql"), ("netbox", "postgresql")]


def _load(make_db: Any, database: str, engine: str) -> Any:
    db = make_db(engine)
    try:
        C.load(database, db)
    except C.CorpusUnavailable as exc:
        pytest.skip(str(exc))
    return db


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_report_and_svg_on_corpus(corpus: Any, make_db: Any, tmp_path: Path, case: tuple[str, str]) -> None:
    database, engine = case
    db = _load(make_db, database, engine)
    no_dot = {"PATH": str(tmp_path)}
    tables, keys = inspected(json.loads(run_cli("inspect", db.url, "--format", "json").stdout))
    out = tmp_path / f"{database}.html"
    proc = run_cli("report", db.url, "-o", str(out), "--check", env=no_dot)
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    svg = run_cli("graph", db.url, "--format", "svg", env=no_dot)
    assert svg.returncode == 0, svg.stderr
    for drawing in (read_svg(overview_svg(html)), read_svg(svg.stdout)):
        assert set(drawing.boxes) == tables
        assert sorted(drawing.edges) == sorted(keys)
        assert overlapping(drawing.boxes) == []
    if database != "netbox":
        return
    assert len(html.encode()) < 5_000_000
    with refint.connect(db.url) as rdb:
        schema = rdb.inspect()
        plan = rdb.plan_delete("dcim_site", "1=1")
    # search: a partial name lists the matching tables, columns and keys; the exact name opens its drawing
    page = dom(out, query="q=dcim_devicet")
    results = page[page.index('<div id="results"'):page.index('<div id="view">')]
    named = set(re.findall(r'<li data-kind="table"><a href="#" class="">([^<]*)</a>', results))
    assert named == {t.name for t in schema.tables if "dcim_devicet" in t.name} == {"dcim_devicetype"}
    assert 'data-kind="constraint"' in results and 'data-kind="column"' not in results
    page = dom(out, query="q=dcim_device")
    drawn = read_svg(view_of(page)[view_of(page).index("<svg"):view_of(page).index("</svg>") + 6])
    site = schema.table("dcim_device")
    near = {site.name} | {fk.referred_table for fk in site.foreign_keys} | {c.name for c, _ in schema.referencing(site)}
    assert set(drawn.boxes) == near and overlapping(drawn.boxes) == []
    # every shortest chain of keys between two tables, as networkx finds them
    for a, b in (("dcim_cable", "tenancy_tenant"), ("wireless_wirelesslink", "dcim_region")):
        view = view_of(dom(out, frag(**{"view": "path", "from": a, "to": b})))
        assert shown_chains(view) == bfs_chains(schema, a, b) != set(), (a, b)
    screenshot(out, "report-netbox-path", frag(**{"view": "path", "from": "dcim_cable", "to": "tenancy_tenant"}))
    # cascade reach: every NetBox key is DEFERRABLE INITIALLY DEFERRED and NO ACTION, so deleting a site
    # touches nothing now and has every key into it checked at commit, as plan delete says for the rows
    reach = shown_reach(view_of(dom(out, frag(view="cascade", t="dcim_site"))))
    incoming = {fk.name for _, fk in schema.referencing(schema.table("dcim_site"))}
    assert reach["deletes"] == {"dcim_site"} and reach["deferred"] == incoming
    assert {d.constraint for d in plan.deferred_checks} <= incoming and plan.deferred_checks
    assert not plan.steps and set(plan.deleted) == {"dcim_site"}
    screenshot(out, "report-netbox-cascade", frag(view="cascade", t="dcim_site"))
