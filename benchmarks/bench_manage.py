"""``refint add-fk`` against the engine's own one-statement way on the same data, in one run.

    .venv/bin/python benchmarks/bench_manage.py [--rows 2000000]

PostgreSQL: a parent of 1,000 rows and a child of --rows rows, created fresh for each measurement in the
database ``refint_bench_manage``. It times the naive ``ALTER TABLE child ADD FOREIGN KEY`` (one validating
statement) and refint's add-fk (NOT VALID, then VALIDATE), each with a writer thread doing small
transactions on both tables, and reports the writer's longest transaction: what the recipe is for.

SQLite: the same data in a file under benchmarks/out/; refint's table rebuild (copy, re-create indexes,
foreign_key_check, integrity_check) against the engine's bare copy of the table (``INSERT INTO copy
SELECT * FROM child``), the unavoidable core of any rebuild.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import refint  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PG = "host=127.0.0.1 port=5432 user=postgres dbname={}"
NAME = "refint_bench_manage"


def pg_setup(rows: int) -> None:
    import psycopg

    with psycopg.connect(PG.format("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{NAME}"')
    with psycopg.connect(PG.format(NAME), autocommit=True) as c:
        c.execute("CREATE TABLE parent (id bigint PRIMARY KEY, name text)")
        c.execute("CREATE TABLE child (id bigint PRIMARY KEY, pid bigint, note text)")
        c.execute("INSERT INTO parent SELECT g, 'p' FROM generate_series(1, 1000) g")
        c.execute(f"INSERT INTO child SELECT g, 1 + g % 1000, 'n' FROM generate_series(1, {rows}) g")
        c.execute("ANALYZE")


class Writer(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psycopg

        self.conn = psycopg.connect(PG.format(NAME))
        self.stop = threading.Event()
        self.max_wait = 0.0

    def run(self) -> None:
        n = 10**9
        while not self.stop.is_set():
            n += 1
            t0 = time.monotonic()
            try:
                with self.conn.transaction():
                    self.conn.execute("INSERT INTO parent VALUES (%s, 'w')", (n,))
                    self.conn.execute("INSERT INTO child VALUES (%s, %s, 'w')", (n, n))
            except Exception:
                pass
            self.max_wait = max(self.max_wait, time.monotonic() - t0)
            time.sleep(0.005)
        self.conn.close()


def with_writer(work: Any) -> tuple[float, float]:
    writer = Writer()
    writer.start()
    time.sleep(0.2)
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    writer.stop.set()
    writer.join()
    return elapsed, writer.max_wait


def bench_pg(rows: int) -> list[str]:
    import psycopg

    pg_setup(rows)

    def naive() -> None:
        with psycopg.connect(PG.format(NAME), autocommit=True) as c:
            c.execute("ALTER TABLE child ADD FOREIGN KEY (pid) REFERENCES parent")

    t_naive, w_naive = with_writer(naive)
    pg_setup(rows)

    def ours() -> None:
        with refint.connect(f"postgresql://postgres@127.0.0.1:5432/{NAME}") as db:
            assert db.add_foreign_key("child(pid)", "parent", lock_timeout=0.2, retries=30).applied

    t_ours, w_ours = with_writer(ours)
    with psycopg.connect(PG.format("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    return [f"| PostgreSQL | {rows:,} | naive ALTER ADD FOREIGN KEY: {t_naive:.2f} s | refint add-fk: {t_ours:.2f} s "
            f"({t_ours / t_naive:.2f}x) | writer's longest transaction: {w_naive * 1000:.0f} ms naive, "
            f"{w_ours * 1000:.0f} ms refint (lock_timeout 200 ms) |"]


def bench_sqlite(rows: int) -> list[str]:
    OUT.mkdir(exist_ok=True)
    path = OUT / "manage.db"
    path.unlink(missing_ok=True)
    c = sqlite3.connect(path, isolation_level=None)
    c.executescript(f"""
        CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER, note TEXT);
        CREATE INDEX child_note ON child (note);
        WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 1000)
        INSERT INTO parent SELECT x, 'p' FROM g;
        WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {rows})
        INSERT INTO child SELECT x, 1 + x % 1000, 'n' FROM g;
    """)
    start = time.perf_counter()
    c.executescript("BEGIN; CREATE TABLE copy (id INTEGER PRIMARY KEY, pid INTEGER, note TEXT);"
                    "INSERT INTO copy SELECT * FROM child; CREATE INDEX copy_note ON copy (note); ROLLBACK;")
    t_copy = time.perf_counter() - start
    c.close()
    start = time.perf_counter()
    with refint.connect(path) as db:
        assert db.add_foreign_key("child(pid)", "parent").applied
    t_ours = time.perf_counter() - start
    path.unlink()
    return [f"| SQLite | {rows:,} | copy of the table + its index: {t_copy:.2f} s | refint add-fk (rebuild): "
            f"{t_ours:.2f} s ({t_ours / t_copy:.2f}x) | orphan check, foreign_key_check and integrity_check "
            "included |"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    args = ap.parse_args()
    lines = bench_pg(args.rows) + bench_sqlite(args.rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
