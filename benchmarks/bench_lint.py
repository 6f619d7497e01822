"""lint, graph and report speed on the largest corpus schemas, as ratios to refint's own introspection.

    .venv/bin/python benchmarks/bench_lint.py [--repeat 5] [--keep]

Loads MusicBrainz (with CreateIndexes.sql: 375 tables, 762 keys) and NetBox (189 tables, 380 keys) from
../shared/corpus into fresh PostgreSQL databases with the corpus loaders, then reports medians of:

- ``inspect``: a fresh ``refint.connect(url).inspect()`` (connection and catalog read): the baseline;
- ``lint``: every rule on the already-read model (the rules' own cost, one read-only transaction);
- ``graph json``/``dot text``: building the graph and rendering it;
- ``svg``: ``dot -Tsvg`` on the whole graph (Graphviz's layout dominates);
- ``report``: the whole HTML report (lint + the overview's in-process layout; benchmarks/bench_report.py
  measures it end to end).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import refint  # noqa: E402
from refint.graph import build_graph, to_dot  # noqa: E402
from tests import corpus as C  # noqa: E402
from tests.conftest import TestDB  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fresh(name: str) -> TestDB:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return TestDB("postgresql", f"postgresql://postgres@127.0.0.1:5432/{name}", name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    rows = []
    for database, options in (("musicbrainz", {"indexes": True}), ("netbox", {})):
        db = fresh(f"refint_bench_lint_{database}")
        C.load(database, db, **options)
        with refint.connect(db.url) as conn:
            schema = conn.inspect()
            base = median(lambda: refint.connect(db.url).inspect(), args.repeat)
            lint = median(lambda: conn.lint(), args.repeat)
            graph = median(lambda: build_graph(schema).to_dict(), args.repeat)
            dot_text = median(lambda: to_dot(build_graph(schema)), args.repeat)
            dot = to_dot(build_graph(schema))
            svg = median(lambda: subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                                                check=True), max(1, args.repeat // 2))
            report = median(lambda: conn.report(), max(1, args.repeat // 2))
            size = len(conn.report().html.encode())
        rows.append((database, len(schema.tables), len(schema.foreign_keys), base, lint, graph, dot_text, svg,
                     report, size))
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    print("| schema | tables | FKs | inspect | lint | graph json | dot text | dot -Tsvg (whole) | report | report size |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for db_name, t, k, base, lint, graph, dot_text, svg, report, size in rows:
        def cell(x: float) -> str:
            return f"{x * 1000:.0f} ms ({x / base:.2f}×)"
        print(f"| {db_name} | {t} | {k} | {base * 1000:.0f} ms (1×) | {cell(lint)} | {cell(graph)} | "
              f"{cell(dot_text)} | {cell(svg)} | {cell(report)} | {size / 1e6:.1f} MB |")


if __name__ == "__main__":
    main()
