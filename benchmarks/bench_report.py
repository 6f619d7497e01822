"""``refint report`` end to end on NetBox and MusicBrainz, without Graphviz: time and size.

    .venv/bin/python benchmarks/bench_report.py [--repeat 3]

Loads NetBox (189 tables, 380 keys, with data) and MusicBrainz (375 tables, 762 keys, with its indexes)
from ../shared/corpus into fresh PostgreSQL databases, then measures, with no ``dot`` on the PATH:

- ``report CLI``: the whole process, ``refint report URL -o FILE`` (connect, inspect, lint, the overview's
  OGDF layout, the page), median of ``--repeat`` runs; and the same with ``--check``;
- ``inspect CLI``: ``refint inspect URL --format json`` as a whole process, the floor any command pays;
- in process, one run: lint, the overview layout + SVG, the explorer's JSON, the whole page;
- the HTML's size.

Targets (issue 19): NetBox ≤ 5 s and MusicBrainz ≤ 20 s end to end, NetBox's HTML ≤ 5 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import refint  # noqa: E402
from refint.graph import build_graph, to_svg  # noqa: E402
from refint.graph.explorer import explorer_data, json_for_script  # noqa: E402
from bench_graph_layout import drop, fresh  # noqa: E402
from tests import corpus as C  # noqa: E402

def cli(args: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "refint", *args], check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()  # type: ignore[operator]
    return time.perf_counter() - start, value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    empty = tempfile.mkdtemp()
    env = {**os.environ, "PATH": empty}  # no Graphviz, no anything
    rows = []
    for database, options in (("netbox", {}), ("musicbrainz", {"indexes": True})):
        db = fresh(f"refint_bench_report_{database}")
        try:
            C.load(database, db, **options)
            out = Path(empty) / f"{database}.html"
            report = cli(["report", db.url, "-o", str(out)], args.repeat, env)
            checked = cli(["report", db.url, "-o", str(out), "--check"], args.repeat, env)
            size = out.stat().st_size
            floor = cli(["inspect", db.url, "--format", "json"], args.repeat, env)
            with refint.connect(db.url) as conn:
                schema = conn.inspect()
                t_lint, lint = timed(conn.lint)
                graph = build_graph(schema)
                t_svg, _ = timed(lambda: to_svg(graph, standalone=False))
                t_json, _ = timed(lambda: json_for_script(explorer_data(schema, graph, lint, None, "postgresql",
                                                                        None)))
                t_page, _ = timed(conn.report)
        finally:
            drop(db.name)
        rows.append((database, len(schema.tables), len(schema.foreign_keys), report, checked, floor, t_lint, t_svg,
                     t_json, t_page, size))
        print(rows[-1], flush=True)
    print("\n| schema | tables | FKs | report CLI | report --check CLI | inspect CLI | lint | overview layout + SVG "
          "| explorer JSON | report in process | HTML |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for d, n, m, r, rc, f, tl, ts, tj, tp, size in rows:
        print(f"| {d} | {n} | {m} | {r:.2f} s | {rc:.2f} s | {f:.2f} s | {tl:.2f} s | {ts:.2f} s | {tj:.3f} s | "
              f"{tp:.2f} s | {size / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
