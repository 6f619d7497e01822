"""refint check on Spark against the bare LEFT ANTI JOIN count on the same session (issue 16).

A child of N rows and a parent of N/10 rows, as Parquet written by Spark under /tmp, with 0.1% of the
child's keys orphans (every 1000th row points past the parent). Measured, alternating, ``--repeat`` times:

- bare: ``SELECT count(*) FROM c LEFT ANTI JOIN p ON c.k = p.id WHERE c.k IS NOT NULL`` on the session;
- refint: ``refint.connect(session).check(relations=...)`` on the same session and temporary views
  (the exact count plus the first 5 orphan keys);
- DuckDB beside it: refint on the same folder read by DuckDB, and DuckDB's own bare anti-join count.

Counts are asserted equal to the planted number. Driver memory: the Python process's peak RSS is
printed (refint collects at most the sample). Run:

    .venv/bin/python benchmarks/bench_spark.py --child-rows 10000000 --repeat 3
    .venv/bin/python benchmarks/bench_spark.py --child-rows 100000000 --repeat 5 --driver-memory 12g  # the issue's scale

(local mode: the driver's heap is the executors' too; 2g runs out of heap in the sort-merge join at 30M rows).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path
from typing import Any


def generate(spark: Any, folder: Path, child_rows: int) -> int:
    """Parquet files of c (id, k) and p (id); returns the number of orphan rows planted."""
    parent_rows = child_rows // 10
    marker = folder / f"done-{child_rows}"
    if not marker.exists():
        spark.range(parent_rows).write.mode("overwrite").parquet(str(folder / "p"))
        spark.sql(f"SELECT id, CASE WHEN id % 1000 = 0 THEN {parent_rows} + id ELSE id % {parent_rows} END AS k "
                  f"FROM range({child_rows})").write.mode("overwrite").parquet(str(folder / "c"))
        marker.write_text("ok")
    return (child_rows + 999) // 1000


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child-rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--dir", default="/tmp/refint-bench-spark")
    args = ap.parse_args()

    from pyspark.sql import SparkSession

    import refint
    from refint.relations import parse_relation

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    spark = (SparkSession.builder.master(args.master).appName("refint-bench")
             .config("spark.driver.memory", args.driver_memory).config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    t_gen, orphans = timed(lambda: generate(spark, folder, args.child_rows))
    print(f"data: {args.child_rows:,} child rows, {args.child_rows // 10:,} parent rows, {orphans:,} orphans "
          f"({t_gen:.1f} s to generate or find)")
    spark.read.parquet(str(folder / "c")).createOrReplaceTempView("c")
    spark.read.parquet(str(folder / "p")).createOrReplaceTempView("p")
    relation = parse_relation("c(k) -> p(id)", "c_p")
    bare_sql = "SELECT count(*) FROM c LEFT ANTI JOIN p ON c.k = p.id WHERE c.k IS NOT NULL"

    def bare() -> int:
        return int(spark.sql(bare_sql).collect()[0][0])

    db = refint.connect(spark)

    def with_refint() -> int:
        (v,) = db.check(relations=relation).violations
        assert len(v.sample) == 5
        return v.count

    # DuckDB on the same files: c/ and p/ are folders of Parquet parts
    import duckdb

    duck_folder = folder / "duck"
    duck_folder.mkdir(exist_ok=True)
    (duck_folder / "rel.toml").write_text(
        f'[tables.c]\nfile = "{folder / "c" / "*.parquet"}"\n[tables.p]\nfile = "{folder / "p" / "*.parquet"}"\n')
    from refint.relations import load_relations_file

    duck_rel = load_relations_file(duck_folder / "rel.toml").merge(relation)

    def duck_refint() -> int:
        with refint.connect(duck_folder, relations=duck_rel) as ddb:
            (v,) = ddb.check(relations=duck_rel).violations
            return v.count

    def duck_bare() -> int:
        con = duckdb.connect()
        try:
            row = con.execute(
                f"SELECT count(*) FROM read_parquet('{folder / 'c' / '*.parquet'}') c ANTI JOIN "
                f"read_parquet('{folder / 'p' / '*.parquet'}') p ON c.k = p.id WHERE c.k IS NOT NULL").fetchone()
            return int(row[0])
        finally:
            con.close()

    bare()  # warm-up: JIT, file listing
    with_refint()  # and refint's: the catalog read (cached afterwards), the observed top-k's code
    times: dict[str, list[float]] = {"bare": [], "refint": [], "duck_bare": [], "duck_refint": []}

    def measure(*pairs: tuple[str, Any]) -> None:
        for _ in range(args.repeat):
            for name, fn in pairs:
                seconds, count = timed(fn)
                assert count == orphans, (name, count, orphans)
                times[name].append(seconds)

    measure(("bare", bare), ("refint", with_refint))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before DuckDB runs in this process
    db.close()
    spark.stop()
    measure(("duck_bare", duck_bare), ("duck_refint", duck_refint))
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:12s} median {med[k]:7.2f} s   runs {', '.join(f'{x:.2f}' for x in v)}")
    print(f"refint/bare on Spark {args.master}: {med['refint'] / med['bare']:.2f}x; "
          f"refint on DuckDB: {med['duck_refint']:.2f} s ({med['duck_refint'] / med['duck_bare']:.2f}x DuckDB's bare)")
    print(f"peak RSS of the Python driver process during the Spark runs: {rss:.0f} MB")


if __name__ == "__main__":
    main()
