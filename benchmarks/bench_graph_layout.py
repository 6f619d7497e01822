"""Layered layouts for ``graph --format svg`` and the report's overview: OGDF, grandalf and Graphviz compared.

    .venv/bin/python benchmarks/bench_graph_layout.py [--skip-grandalf] [--skip-dot]

Loads NetBox (189 tables, 380 keys) and MusicBrainz (375 tables, 762 keys) from ../shared/corpus into fresh
PostgreSQL databases, sizes every table's box the way refint's SVG does (name and key columns), lays the
whole graph out left to right with each candidate, and measures the same things on each result with
``refint.graph.layout.metrics``: crossings between the lines (as polylines through each layout's bend
points), pairs of overlapping boxes, lines that pass through a box other than their two ends, the
drawing's size, and the layout's time (median of 3 for OGDF; one run for grandalf and dot).

- ``ogdf``: ``refint.graph.layout.layered`` (OGDF's SugiyamaLayout through the ``ogdf-py`` wheel);
- ``grandalf``: grandalf's SugiyamaLayout (pure Python) on the same boxes, ``draw(3)``, its dummy-node
  route points as bends, then the same transposition, ports and metrics as refint's own;
- ``dot``: Graphviz ``dot -Tplain`` with ``rankdir=LR`` and fixed-size boxes of the same size; each edge's
  B-spline control points as its polyline (if Graphviz is installed).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import refint  # noqa: E402
from refint.graph import build_graph  # noqa: E402
from refint.graph.build import _name  # noqa: E402
from refint.graph.layout import LAYER_GAP, NODE_GAP, Box, Layout, _finish, layered, metrics  # noqa: E402
from refint.graph.svg import box_size, key_columns  # noqa: E402
from tests import corpus as C  # noqa: E402
from tests.conftest import TestDB  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def fresh(name: str) -> TestDB:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return TestDB("postgresql", f"postgresql://postgres@127.0.0.1:5432/{name}", name)


def drop(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def problem(schema: Any) -> tuple[dict[Hashable, tuple[float, float]], list[tuple[Hashable, Hashable]]]:
    g = build_graph(schema)
    sizes: dict[Hashable, tuple[float, float]] = {t.key: box_size(_name(t.schema, t.name, False), key_columns(t))
                                                  for t in g.tables}
    for k in g.external:
        sizes[k] = box_size(k[1], [])
    return sizes, [(e.table.key, e.fk.referred) for e in g.edges]


def grandalf_layout(sizes: dict[Hashable, tuple[float, float]],
                    edges: list[tuple[Hashable, Hashable]]) -> Layout:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    class View:
        def __init__(self, w: float, h: float) -> None:
            self.w, self.h, self.xy = w, h, (0.0, 0.0)

    verts = {k: Vertex(k) for k in sizes}
    for k, v in verts.items():
        w, h = sizes[k]
        v.view = View(h + NODE_GAP, w + LAYER_GAP)  # swapped, as refint hands boxes to OGDF
    laid = [(i, Edge(verts[a], verts[b])) for i, (a, b) in enumerate(edges) if a != b]
    for _, e in laid:
        e.view = type("EV", (), {"setpath": lambda self, pts: setattr(self, "pts", pts)})()
    g = Graph(list(verts.values()), [e for _, e in laid])
    for comp in g.C:
        sug = SugiyamaLayout(comp)
        sug.init_all()
        sug.draw(3)
    # components are laid out separately at the same origin: put them side by side, top to bottom
    offset = 0.0
    centre: dict[Hashable, tuple[float, float]] = {}
    bends: dict[int, list[tuple[float, float]]] = {}
    by_vertex = {id(v): k for k, v in verts.items()}
    for comp in g.C:
        ys = [v.view.xy[1] - v.view.h / 2 for v in comp.sV]
        xs = [v.view.xy[0] + v.view.w / 2 for v in comp.sV]
        top = min(ys)
        for v in comp.sV:
            x, y = v.view.xy
            centre[by_vertex[id(v)]] = (y - top + offset, x)
        for i, e in laid:
            if e.v[0] in comp.sV and hasattr(e.view, "pts"):
                bends[i] = [(y - top + offset, x) for x, y in e.view.pts[1:-1]]
        offset += max(v.view.xy[1] + v.view.h / 2 for v in comp.sV) - top + LAYER_GAP
        del xs
    return _finish(sizes, edges, centre, bends)


def dot_layout(sizes: dict[Hashable, tuple[float, float]], edges: list[tuple[Hashable, Hashable]]) -> Layout:
    ids = {k: f"n{i}" for i, k in enumerate(sizes)}
    lines = ["digraph g { rankdir=LR; nodesep=0.2; ranksep=0.9; node [shape=box, fixedsize=true, label=\"\"];"]
    for k, (w, h) in sizes.items():
        lines.append(f"{ids[k]} [width={w / 72:.3f}, height={h / 72:.3f}];")
    for a, b in edges:
        lines.append(f"{ids[a]} -> {ids[b]};")
    lines.append("}")
    out = subprocess.run(["dot", "-Tplain"], input="\n".join(lines), capture_output=True, text=True,
                         check=True).stdout
    back = {v: k for k, v in ids.items()}
    centre: dict[Hashable, tuple[float, float]] = {}
    routes: list[list[tuple[float, float]]] = []
    height = 0.0
    for ln in out.splitlines():
        f = ln.split()
        if f[0] == "graph":
            height = float(f[3]) * 72
        elif f[0] == "node":
            centre[back[f[1]]] = (float(f[2]) * 72, height - float(f[3]) * 72)
        elif f[0] == "edge":
            n = int(f[3])
            routes.append([(float(f[4 + 2 * j]) * 72, height - float(f[5 + 2 * j]) * 72) for j in range(n)])
    boxes = {k: Box(cx - sizes[k][0] / 2, cy - sizes[k][1] / 2, *sizes[k]) for k, (cx, cy) in centre.items()}
    w = max(b.x + b.w for b in boxes.values())
    return Layout(boxes, routes, w, height)


def measure(name: str, fn: Any, sizes: Any, edges: Any, repeat: int) -> dict[str, Any]:
    times = []
    lay = None
    for _ in range(repeat):
        start = time.perf_counter()
        lay = fn(sizes, edges)
        times.append(time.perf_counter() - start)
    m = metrics(lay, edges)
    return {"layout": name, "seconds": statistics.median(times), "crossings": m.crossings,
            "overlaps": m.overlapping_boxes, "through": m.lines_through_boxes,
            "size": f"{m.width:.0f} x {m.height:.0f}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-grandalf", action="store_true")
    ap.add_argument("--skip-dot", action="store_true")
    args = ap.parse_args()
    rows = []
    for database in ("netbox", "musicbrainz"):
        db = fresh(f"refint_bench_layout_{database}")
        try:
            C.load(database, db)
            with refint.connect(db.url) as conn:
                schema = conn.inspect()
        finally:
            drop(db.name)
        sizes, edges = problem(schema)
        cands: list[tuple[str, Any, int]] = [("ogdf", layered, 3)]
        if not args.skip_grandalf:
            cands.append(("grandalf", grandalf_layout, 1))
        if not args.skip_dot and shutil.which("dot"):
            cands.append(("dot", dot_layout, 1))
        for name, fn, repeat in cands:
            r = measure(name, fn, sizes, edges, repeat)
            rows.append((database, len(sizes), len(edges), r))
            print(database, r, flush=True)
    print("\n| schema | tables | FKs | layout | time | crossings | overlapping boxes | lines through a box | size (px) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for database, n, m, r in rows:
        print(f"| {database} | {n} | {m} | {r['layout']} | {r['seconds']:.2f} s | {r['crossings']:,} | "
              f"{r['overlaps']} | {r['through']} | {r['size']} |")


if __name__ == "__main__":
    main()
