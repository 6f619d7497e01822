"""The formulations behind ``refint check``'s choices (issue 3), on the data of bench_check.py.

    .venv/bin/python benchmarks/bench_check_forms.py [--repeat 5] [--engines sqlite,mariadb]

Run bench_check.py first: it builds benchmarks/out/check_*.db and the MariaDB database
``refint_bench_check`` (left with the index on the child's key). Prints medians of --repeat:

- SQLite, index on the child's key: the bare count; the grouped LEFT JOIN over key ranges on one
  connection and on two threads (ranges cut at quantiles of a systematic rowid sample, as refint does).
- MariaDB, index on the child's key: the bare count; the grouped LEFT JOIN over 2, 3 and 4 ranges, each
  on its own connection at once; the hash join (refint's settings) with the index.
- MariaDB, the index ignored (``IGNORE INDEX``): the default plan; the hash join with refint's settings
  (64 MB buffer) and with a 256 MB one.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
BARE = ("SELECT count(*) FROM child c {hint} LEFT JOIN parent p ON p.id = c.parent_id "
        "WHERE c.parent_id IS NOT NULL AND p.id IS NULL")
RANGE = ("SELECT c.parent_id, count(*) FROM child c LEFT JOIN parent p ON p.id = c.parent_id "
         "WHERE {cond} AND p.id IS NULL GROUP BY c.parent_id ORDER BY c.parent_id")


def median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def conditions(cuts: list[int], ph: str) -> list[tuple[str, tuple[int, ...]]]:
    edges: list[int | None] = [None, *cuts, None]
    out = []
    for lo, hi in zip(edges, edges[1:]):
        conds = ([f"c.parent_id >= {ph}"] if lo is not None else []) + ([f"c.parent_id < {ph}"] if hi is not None else [])
        out.append((" AND ".join(conds or ["c.parent_id IS NOT NULL"]), tuple(v for v in (lo, hi) if v is not None)))
    return out


def quantiles(keys: list[int], parts: int) -> list[int]:
    keys = sorted(keys)
    return sorted({keys[len(keys) * i // parts] for i in range(1, parts)})


def sqlite_forms(repeat: int) -> None:
    path = next(OUT.glob("check_*.db"))
    uri = f"file:{path}?mode=ro"
    main = sqlite3.connect(uri, uri=True)
    if not main.execute("SELECT 1 FROM sqlite_schema WHERE name = 'ix_child_parent'").fetchone():
        print("SQLite: run bench_check.py first (it leaves the index on the child's key)")
        return
    last = main.execute("SELECT max(rowid) FROM child").fetchone()[0]
    sample = [main.execute("SELECT parent_id FROM child WHERE rowid >= ? LIMIT 1", (1 + (last - 1) * i // 255,)).fetchone()[0]
              for i in range(256)]
    ranges = conditions(quantiles([k for k in sample if k is not None], 2), "?")

    def over(workers: int) -> None:
        local = threading.local()

        def run(item: tuple[str, tuple[int, ...]]) -> int:
            if not hasattr(local, "conn"):
                local.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            return sum(n for _, n in local.conn.execute(RANGE.format(cond=item[0]), item[1]))

        with ThreadPoolExecutor(workers) as pool:
            assert sum(pool.map(run, ranges)) > 0

    print(f"SQLite {path.name}, index on the child's key, medians of {repeat}:")
    print(f"  bare count (one statement)        {median(lambda: main.execute(BARE.format(hint='')).fetchone(), repeat):.3f} s")
    print(f"  2 ranges, one connection          {median(lambda: over(1), repeat):.3f} s")
    print(f"  2 ranges, two threads             {median(lambda: over(2), repeat):.3f} s")


def mariadb_forms(repeat: int) -> None:
    import pymysql

    def connect() -> pymysql.Connection:  # type: ignore[type-arg]
        return pymysql.connect(host="127.0.0.1", user="root", password="", database="refint_bench_check")

    main = connect()
    cur = main.cursor()
    last = cur.execute("SELECT max(id) FROM child") and cur.fetchone()[0]
    cur.execute("SELECT " + ", ".join(["(SELECT parent_id FROM child WHERE id >= %s ORDER BY id LIMIT 1)"] * 128),
                tuple(1 + (last - 1) * i // 127 for i in range(128)))
    sample = [k for k in cur.fetchone() if k is not None]

    def query(sql: str, args: tuple[int, ...] = (), settings: str = "") -> Callable[[], None]:
        def run() -> None:
            if settings:
                cur.execute(settings)
            cur.execute(sql, args)
            cur.fetchall()
            if settings:
                cur.execute("SET SESSION join_cache_level = DEFAULT, join_buffer_size = DEFAULT, "
                            "join_buffer_space_limit = DEFAULT")
        return run

    def parallel(parts: int) -> Callable[[], None]:
        ranges = conditions(quantiles(sample, parts), "%s")

        def run_one(item: tuple[str, tuple[int, ...]]) -> int:
            conn = connect()
            try:
                c = conn.cursor()
                c.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                c.execute(RANGE.format(cond=item[0]), item[1])
                return sum(int(n) for _, n in c.fetchall())
            finally:
                conn.close()

        def run() -> None:
            with ThreadPoolExecutor(parts) as pool:
                assert sum(pool.map(run_one, ranges)) > 0
        return run

    from refint.engines.mysql import MariaDB

    hash_join = "SET SESSION " + ", ".join(f"{k} = {v}" for k, v in MariaDB.HASH_JOIN)  # refint's settings
    big = "SET SESSION join_cache_level = 4, join_buffer_size = 268435456, join_buffer_space_limit = 1073741824"
    print(f"MariaDB refint_bench_check, medians of {repeat}:")
    print(f"  index: bare count (one statement) {median(query(BARE.format(hint='')), repeat):.2f} s")
    for parts in (2, 3, 4):
        print(f"  index: {parts} ranges on {parts} connections {median(parallel(parts), repeat):.2f} s")
    print(f"  index: hash join                  {median(query(BARE.format(hint=''), settings=hash_join), repeat):.2f} s")
    hint = "IGNORE INDEX (ix_child_parent)"
    print(f"  no index: default plan            {median(query(BARE.format(hint=hint)), 1):.2f} s (once)")
    print(f"  no index: hash join (refint's)    {median(query(BARE.format(hint=hint), settings=hash_join), repeat):.2f} s")
    print(f"  no index: hash join, 256 MB       {median(query(BARE.format(hint=hint), settings=big), repeat):.2f} s")
    main.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--engines", default="sqlite,mariadb")
    args = ap.parse_args()
    if "sqlite" in args.engines:
        sqlite_forms(args.repeat)
    if "mariadb" in args.engines:
        mariadb_forms(args.repeat)


if __name__ == "__main__":
    main()
