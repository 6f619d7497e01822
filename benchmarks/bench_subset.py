"""Benchmark ``refint subset`` against the best bare alternative on the same rows (issue 14).

Source: a PostgreSQL database ``bench_subset`` built in the server with generate_series: customers (100k at
--scale 1) -> orders (10 per customer) -> order lines (10 per order), products (10k at scale 1) in a
self-referencing category tree. Subset: 1% of the customers (``--percent 'customer: 1'``), ``--children
down``, into a new SQLite file.

The bare alternative reads exactly those rows with ``COPY (SELECT ...) TO STDOUT`` (one hand-written
query per table, the category tree by a recursive CTE) and loads them into SQLite with executemany in
one transaction. Both run in this process, one after the other, best of --repeat; refint's peak memory
is measured in a child process (the CLI, ``ru_maxrss``). The database is dropped at the end
(--keep keeps it for the next run). Data never goes into the repository: the SQLite files are under /tmp.

    python benchmarks/bench_subset.py [--scale 1.0] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DB = "bench_subset"
URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"

SCHEMA = """
CREATE TABLE category (id int PRIMARY KEY, parent_id int REFERENCES category (id), name text NOT NULL);
CREATE TABLE product (id int PRIMARY KEY, category_id int NOT NULL REFERENCES category (id), name text NOT NULL,
                      price numeric(10, 2) NOT NULL);
CREATE TABLE customer (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer (id),
                     created date NOT NULL);
CREATE TABLE order_line (id bigint PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id),
                         product_id int NOT NULL REFERENCES product (id), qty int NOT NULL,
                         price numeric(10, 2) NOT NULL);
"""


def build(scale: float) -> dict[str, int]:
    customers = int(100_000 * scale)
    products = max(100, int(10_000 * scale))
    categories = 1000
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}", autocommit=True) as c:
        c.execute(SCHEMA)
        c.execute("INSERT INTO category SELECT g, CASE WHEN g <= 10 THEN NULL ELSE (g - 1) / 10 END, 'cat ' || g "
                  f"FROM generate_series(1, {categories}) g")
        c.execute(f"INSERT INTO product SELECT g, 1 + (g * 7919) % {categories}, 'product ' || g, "
                  f"(g % 1000) / 10.0 FROM generate_series(1, {products}) g")
        c.execute(f"INSERT INTO customer SELECT g, 'customer ' || g, 'c' || g || '@example.com' "
                  f"FROM generate_series(1, {customers}) g")
        c.execute(f"INSERT INTO orders SELECT g, 1 + (g - 1) / 10, date '2020-01-01' + (g % 1000) "
                  f"FROM generate_series(1, {customers * 10}) g")
        c.execute(f"INSERT INTO order_line SELECT g, 1 + (g - 1) / 10, 1 + (g * 104729) % {products}, 1 + g % 5, "
                  f"(g % 500) / 10.0 FROM generate_series(1, {customers * 100}::bigint) g")
        c.execute("CREATE INDEX ON orders (customer_id)")
        c.execute("CREATE INDEX ON order_line (order_id)")
        c.execute("CREATE INDEX ON order_line (product_id)")
        c.execute("CREATE INDEX ON product (category_id)")
        c.execute("CREATE INDEX ON category (parent_id)")
        c.execute("VACUUM ANALYZE")
    return {"customer": customers, "orders": customers * 10, "order_line": customers * 100, "product": products,
            "category": categories}


def bare(seed_pred: str, path: Path) -> tuple[float, dict[str, int]]:
    """COPY of exactly the subset's rows, loaded into SQLite with executemany in one transaction."""
    cust = f"SELECT id FROM customer t WHERE {seed_pred}"
    orders = f"SELECT id FROM orders WHERE customer_id IN ({cust})"
    lines = f"SELECT * FROM order_line WHERE order_id IN ({orders})"
    queries = {
        "category": "WITH RECURSIVE up(id) AS (SELECT DISTINCT category_id FROM product WHERE id IN "
                    f"(SELECT product_id FROM order_line WHERE order_id IN ({orders})) UNION "
                    "SELECT c.parent_id FROM category c JOIN up ON c.id = up.id WHERE c.parent_id IS NOT NULL) "
                    "SELECT * FROM category WHERE id IN (SELECT id FROM up)",
        "product": f"SELECT * FROM product WHERE id IN (SELECT product_id FROM order_line WHERE order_id IN ({orders}))",
        "customer": f"SELECT * FROM customer t WHERE {seed_pred}",
        "orders": f"SELECT * FROM orders WHERE customer_id IN ({cust})",
        "order_line": lines,
    }
    ddl = {"category": "(id INTEGER PRIMARY KEY, parent_id INTEGER, name TEXT)",
           "product": "(id INTEGER PRIMARY KEY, category_id INTEGER, name TEXT, price NUMERIC)",
           "customer": "(id INTEGER PRIMARY KEY, name TEXT, email TEXT)",
           "orders": "(id INTEGER PRIMARY KEY, customer_id INTEGER, created TEXT)",
           "order_line": "(id INTEGER PRIMARY KEY, order_id INTEGER, product_id INTEGER, qty INTEGER, price NUMERIC)"}
    started = time.perf_counter()
    out = sqlite3.connect(path, isolation_level=None)
    out.execute("BEGIN")
    counts = {}
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as src:
        src.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table, sql in queries.items():
            out.execute(f"CREATE TABLE {table} {ddl[table]}")
            ncols = ddl[table].count(",") + 1
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * ncols)})"
            buf = b""
            n = 0
            with src.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT") as copy:
                for block in copy:
                    buf += bytes(block)
                    lines_, _, buf = buf.rpartition(b"\n")
                    if lines_:
                        rows = [tuple(None if v == "\\N" else v for v in ln.split("\t"))
                                for ln in lines_.decode().split("\n")]
                        out.executemany(insert, rows)
                        n += len(rows)
            counts[table] = n
    out.execute("COMMIT")
    out.close()
    return time.perf_counter() - started, counts


def refint_run(path: Path) -> tuple[float, dict[str, int]]:
    import refint

    started = time.perf_counter()
    with refint.connect(URL, readonly=True) as db:
        r = db.subset(str(path), percent=["customer: 1"], children="down", force=True)
    elapsed = time.perf_counter() - started
    assert r.ok, r.check.to_dict() if r.check else None
    return elapsed, {t.name: t.rows for t in r.tables}


def peak_memory(path: Path) -> float:
    """Peak RSS (MB) of the CLI doing the same subset in a child process."""
    code = ("import resource, sys, refint.cli.main as m\n"
            "sys.argv = ['refint', 'subset', sys.argv[1], '--percent', 'customer: 1', '--to', sys.argv[2], "
            "'--force', '--format', 'json']\n"
            "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, URL, str(path)], capture_output=True, text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the database (and reuse it with --reuse)")
    ap.add_argument("--reuse", action="store_true", help="reuse a bench_subset database built before")
    args = ap.parse_args()
    if not args.reuse:
        t0 = time.perf_counter()
        sizes = build(args.scale)
        print(f"built {sizes} in {time.perf_counter() - t0:.1f} s", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_subset_", dir="/tmp"))
    try:
        import refint
        from refint.subset.seeds import Seed, seed_predicate

        with refint.connect(URL, readonly=True) as db:
            t = db.inspect().table("customer")
            pred = seed_predicate(db.engine, Seed(t, percent=1.0), 0)
        best_r = best_b = float("inf")
        rows_r: dict[str, int] = {}
        rows_b: dict[str, int] = {}
        for i in range(args.repeat):
            b, rows_b = bare(pred, tmp / f"bare{i}.db")
            r, rows_r = refint_run(tmp / f"refint{i}.db")
            best_b, best_r = min(best_b, b), min(best_r, r)
            print(f"run {i + 1}: refint {r:.2f} s, bare {b:.2f} s", flush=True)
        assert rows_r == rows_b, (rows_r, rows_b)
        mem = peak_memory(tmp / "mem.db")
        print(f"rows: {rows_r} ({sum(rows_r.values())} in all)")
        print(f"refint subset: {best_r:.2f} s; bare COPY + executemany: {best_b:.2f} s; "
              f"ratio {best_r / best_b:.2f}x (target 2x); refint peak memory {mem:.0f} MB (target 300 MB)")
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
