"""``refint plan delete`` against the real DELETE (rolled back) on PostgreSQL, in one run.

    .venv/bin/python benchmarks/bench_plan.py [--roots 1000] [--fanout 10] [--repeat 5]

Data (issue 4): a four-level ON DELETE CASCADE tree root -> l1 -> l2 -> leaf, each level ``fanout``
times the one above (1,000 roots and fanout 10 give a million leaf rows), foreign-key columns indexed.
Built once into the database ``refint_bench_plan`` and reused while the sizes match.

It times (median of --repeat) the real ``DELETE FROM root WHERE id % 10 = 0`` in a transaction that is
rolled back, and ``Database.plan_delete`` in process on an already open connection (the schema read is
timed separately), checks that refint's counts equal the rows the real DELETE removed, and prints a
Markdown row for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import psycopg

DB = "refint_bench_plan"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"
LEVELS = ["root", "l1", "l2", "leaf"]
WHERE = "id % 10 = 0"


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build(roots: int, fanout: int) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{DB}"')
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}", autocommit=True) as conn:
        try:
            n = conn.execute("SELECT count(*) FROM leaf").fetchone()
            if n and n[0] == roots * fanout ** 3:
                return
        except psycopg.errors.UndefinedTable:
            pass
        conn.execute("DROP TABLE IF EXISTS leaf, l2, l1, root")
        conn.execute("CREATE TABLE root (id int PRIMARY KEY, name text)")
        size = roots
        conn.execute(f"INSERT INTO root SELECT g, 'r' || g FROM generate_series(1, {roots}) g")
        for parent, child in zip(LEVELS, LEVELS[1:]):
            conn.execute(f"CREATE TABLE {child} (id int PRIMARY KEY, parent_id int NOT NULL "
                         f"REFERENCES {parent}(id) ON DELETE CASCADE, payload text)")
            conn.execute(f"INSERT INTO {child} SELECT g, (g - 1) / {fanout} + 1, 'x' "
                         f"FROM generate_series(1, {size * fanout}) g")
            conn.execute(f"CREATE INDEX ON {child} (parent_id)")
            size *= fanout
        conn.execute("VACUUM ANALYZE")


def real_delete() -> dict[str, int]:
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as conn:
        before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in LEVELS}  # type: ignore[index]
        conn.execute(f"DELETE FROM root WHERE {WHERE}")
        after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in LEVELS}  # type: ignore[index]
        conn.rollback()
    return {t: before[t] - after[t] for t in LEVELS if before[t] - after[t]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--roots", type=int, default=1000)
    ap.add_argument("--fanout", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    build(args.roots, args.fanout)
    import refint

    expected = real_delete()
    conn = psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}")

    def delete_rolled_back() -> None:
        conn.execute(f"DELETE FROM root WHERE {WHERE}")
        conn.rollback()

    t_delete = timed(delete_rolled_back, args.repeat)
    conn.close()
    db = refint.connect(URL)
    start = time.perf_counter()
    db.inspect()
    t_inspect = time.perf_counter() - start
    plan = db.plan_delete("root", WHERE, sample=3)
    # right after the rolled-back DELETEs: their dead xmax marks clear the visibility map, so the
    # index-only scans refint's counts use go to the heap for every row
    t_dirty = timed(lambda: db.plan_delete("root", WHERE, sample=3), args.repeat)
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}", autocommit=True) as vac:
        vac.execute("VACUUM")  # what autovacuum does next: the state a table is normally in
    t_plan = timed(lambda: db.plan_delete("root", WHERE, sample=3), args.repeat)
    db.close()
    exact = plan.deleted == expected and plan.ok
    print(f"real DELETE (rolled back): {t_delete:.3f} s; refint plan delete: {t_plan:.3f} s after VACUUM "
          f"(ratio {t_plan / t_delete:.2f}), {t_dirty:.3f} s before it (ratio {t_dirty / t_delete:.2f}); "
          f"schema read once: {t_inspect:.3f} s")
    print(f"counts: {plan.deleted}; real: {expected}; exact: {exact}")
    print(f"| PostgreSQL | {args.roots} roots, fanout {args.fanout} ({args.roots * args.fanout ** 3:,} leaves) | "
          f"{t_delete:.3f} s | {t_plan:.3f} s | {t_plan / t_delete:.2f} | {t_dirty:.3f} s | "
          f"{t_dirty / t_delete:.2f} | {'yes' if exact else 'NO'} |")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
