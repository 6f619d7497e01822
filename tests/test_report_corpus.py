"""``report`` and ``graph --format svg`` on the public sample databases (``../shared/corpus``; skipped when
absent), with no Graphviz on the PATH: the drawings hold every table and every key of ``inspect`` and no
two boxes overlap; on NetBox the explorer, in headless Chromium, searches a table, shows every shortest
chain between two tables (compared with networkx) and a cascade reach (compared with the schema's keys and
with ``plan delete``). Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.graph import render
from tests.test_order_corpus import _load as load_corpus
from tests.svgcheck import inspected, overlapping, overview_svg, read_svg
from tests.test_report import bfs_chains, dom, frag, screenshot, shown_chains, shown_reach, view_of

pytestmark = pytest.mark.corpus

CASES = [("chinook", "sqlite"), ("sakila", "sqlite"), ("pagila", "postgresql"), ("netbox", "postgresql")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_report_and_svg_on_corpus(corpus: Any, make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  case: tuple[str, str]) -> None:
    database, engine = case
    db = load_corpus(make_db, corpus, database, engine)
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz (the report and the SVG are made in process)
    with refint.connect(db.url) as rdb:
        schema = rdb.inspect()
        rep = rdb.report(check=True)
        svg = render(rdb.graph(), "svg")
        plan = rdb.plan_delete("dcim_site", "1=1") if database == "netbox" else None
    monkeypatch.undo()  # Chromium, below, is found on the PATH
    tables, keys = inspected(schema.to_dict())
    out = rep.write(tmp_path / f"{database}.html")
    html = rep.html
    for drawing in (read_svg(overview_svg(html)), read_svg(svg)):
        assert set(drawing.boxes) == tables
        assert sorted(drawing.edges) == sorted(keys)
        assert overlapping(drawing.boxes) == []
    if database != "netbox":
        return
    assert len(html.encode()) < 5_000_000
    assert plan is not None
    # search: the tables and keys whose names hold the text are listed, and the exact name opens its drawing
    page = dom(out, query="q=dcim_device")
    results = page[page.index('<div id="results"'):page.index('<div id="view">')]
    named = set(re.findall(r'<li data-kind="table"><a href="#" class="">([^<]*)</a>', results))
    assert named == {t.name for t in schema.tables if "dcim_device" in t.name} and len(named) > 3
    assert 'data-kind="constraint"' in results
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
