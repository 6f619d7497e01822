"""discover's precision, recall and F1 on every corpus database with data, and its speed.

    .venv/bin/python benchmarks/bench_discover.py [--keep] [--only chinook,sakila] [--speed ROWS]

Loads each corpus database that has data (Chinook on SQLite/PostgreSQL/MariaDB, Sakila on SQLite/
PostgreSQL/MariaDB, Pagila, Northwind on SQLite/PostgreSQL, employees, NetBox, OpenStreetMap) into a fresh
database with the corpus loaders (tests/corpus.py), reads its schema, removes the declared foreign keys
from the model refint works on (keeping PRIMARY KEY/UNIQUE), runs discover, and scores the findings
against the removed keys. The ``--no-pk`` run removes the primary keys too (and the unique indexes that
back them), so every referenced key must first be found in the data.

A key declared on a partition is counted once, on its partitioned table (discover reads partitioned
tables whole and skips their partitions). A finding matches a truth when child table, child columns,
parent table and parent columns are equal.

Speed: NetBox end to end (``refint discover URL --format json`` as a process, after the foreign keys are
dropped in the database itself); with ``--speed N`` a child of N rows and a parent of N/10 rows on
PostgreSQL, one candidate verified by discover against ``refint check`` of the same key declared.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import pymysql  # noqa: E402

import refint  # noqa: E402
from refint.discover import discover  # noqa: E402
from refint.model import Schema  # noqa: E402
from tests import corpus as C  # noqa: E402
from tests.conftest import TestDB  # noqa: E402

TMP = Path("/tmp/refint_bench_discover")
CASES = [("chinook", "sqlite"), ("chinook", "postgresql"), ("chinook", "mariadb"),
         ("sakila", "sqlite"), ("sakila", "postgresql"), ("sakila", "mariadb"), ("pagila", "postgresql"),
         ("northwind", "sqlite"), ("northwind", "postgresql"), ("employees", "mariadb"),
         ("netbox", "postgresql"), ("openstreetmap", "postgresql")]
#: reported apart from the corpus figures: TPC-H's schema (the corpus has no data for it;
#: rows are generated here with TPC-H's key rules, see :func:`tpch_data`)
HOLD_OUT = [("tpch", "postgresql")]

#: TPC-H-shaped rows at about scale factor 0.01: TPC-H's key rules (sparse order keys, four suppliers per
#: part chosen by its formula, customers whose key is a multiple of 3 place no order) and plausible values
#: in the other columns, small integers included (sizes, line numbers, priorities), which fit small keys
#: by chance. Deterministic (setseed).
TPCH_DATA = """
SELECT setseed(0.42);
INSERT INTO region SELECT g, 'REGION' || g, 'comment ' || g FROM generate_series(0, 4) g;
INSERT INTO nation SELECT g, 'NATION' || g, g % 5, 'comment ' || g FROM generate_series(0, 24) g;
INSERT INTO supplier SELECT g, 'Supplier#' || lpad(g::text, 9, '0'), md5(g::text), (random() * 24)::int,
    '10-' || (100 + g), round((random() * 10000)::numeric, 2), md5('s' || g) FROM generate_series(1, 100) g;
INSERT INTO part SELECT g, 'part ' || md5(g::text), 'Manufacturer#' || (1 + g % 5), 'Brand#' || (11 + g % 25),
    'STANDARD BRUSHED TIN', 1 + (random() * 49)::int, 'SM BOX', 900 + g / 10.0, left(md5('p' || g), 20)
    FROM generate_series(1, 2000) g;
INSERT INTO partsupp SELECT p, (p + i * (100 / 4 + (p - 1) / 100)) % 100 + 1, 1 + (random() * 9998)::int,
    round((random() * 1000)::numeric, 2), md5(p || 'ps' || i) FROM generate_series(1, 2000) p, generate_series(0, 3) i;
INSERT INTO customer SELECT g, 'Customer#' || lpad(g::text, 9, '0'), md5(g::text), (random() * 24)::int,
    '11-' || (100 + g), round((random() * 10000)::numeric, 2),
    (ARRAY['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'])[1 + g % 5], md5('c' || g)
    FROM generate_series(1, 1500) g;
INSERT INTO orders SELECT k, c, (ARRAY['F', 'O', 'P'])[1 + k % 3], round((random() * 400000)::numeric, 2),
    date '1992-01-01' + (random() * 2400)::int, (1 + k % 5) || '-PRIORITY', 'Clerk#' || lpad((1 + k % 10)::text, 9, '0'),
    0, md5('o' || k)
    FROM (SELECT (g / 8) * 32 + g % 8 + 1 AS k, 1 + 3 * (random() * 499)::int + (random())::int AS c
          FROM generate_series(0, 14999) g) o;
INSERT INTO lineitem SELECT o.o_orderkey, l.p, (l.p + l.i * (100 / 4 + (l.p - 1) / 100)) % 100 + 1, n,
    1 + (random() * 49)::int, 1000, 0.05, 0.02, 'N', 'O', o.o_orderdate + 10, o.o_orderdate + 20,
    o.o_orderdate + 30, 'DELIVER IN PERSON', 'TRUCK', md5(o.o_orderkey || '-' || n)
    FROM orders o, LATERAL (SELECT n FROM generate_series(1, 1 + (o.o_orderkey * 7) % 7) n) ln,
    LATERAL (SELECT 1 + (random() * 1999 + n * 0)::int AS p, (random() * 3 + n * 0)::int AS i) l;
ANALYZE;
"""


def tpch_data(db: TestDB) -> None:
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={db.name}", autocommit=True) as conn:
        conn.execute(TPCH_DATA)


def fresh(database: str, engine: str, keep: bool) -> tuple[TestDB, bool]:
    """The bench database (made and loaded unless ``keep`` and it exists); returns it and whether it
    was already there."""
    name = f"refint_bench_disc_{database}"
    if engine == "sqlite":
        TMP.mkdir(exist_ok=True)
        path = TMP / f"{name}.db"
        db = TestDB(engine, f"sqlite:///{path}", name, path)
        if keep and path.exists():
            return db, True
        path.unlink(missing_ok=True)
        import sqlite3

        sqlite3.connect(path).close()
        return db, False
    if engine == "postgresql":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            db = TestDB(engine, f"postgresql://postgres@127.0.0.1:5432/{name}", name)
            if keep and exists:
                return db, True
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        return db, False
    admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    try:
        cur = admin.cursor()
        db = TestDB(engine, f"mariadb://root@127.0.0.1:3306/{name}", name)
        if keep and cur.execute("SHOW DATABASES LIKE %s", (name,)):
            return db, True
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        admin.close()
    return db, False


def drop(db: TestDB) -> None:
    if db.engine == "sqlite":
        assert db.path is not None
        db.path.unlink(missing_ok=True)
    elif db.engine == "postgresql":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    else:
        admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
        try:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS `{db.name}`")
        finally:
            admin.close()


Edge = tuple[Any, tuple[str, ...], Any, tuple[str, ...]]


def truth(schema: Schema) -> set[Edge]:
    """The declared keys, those on partitions counted on their partitioned table."""
    out: set[Edge] = set()
    for t in schema.tables:
        owner = t.parent if t.kind == "partition" and t.parent else t.key
        for fk in t.foreign_keys:
            out.add((owner, fk.columns, fk.referred, fk.referred_columns))
    return out


def stripped(schema: Schema, no_pk: bool) -> Schema:
    tables = []
    for t in schema.tables:
        t = dataclasses.replace(t, foreign_keys=())
        if no_pk:
            pk = t.primary_key.columns if t.primary_key else None
            t = dataclasses.replace(t, primary_key=None, unique=tuple(u for u in t.unique if u.columns != pk))
        tables.append(t)
    return Schema(schema.engine, tuple(tables))


def score(found: set[Edge], expected: set[Edge]) -> tuple[int, int, int]:
    tp = len(found & expected)
    return tp, len(found - expected), len(expected - found)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run_case(database: str, engine: str, keep: bool, verbose: bool, min_score: float = 0.45) -> dict[str, Any]:
    db, existed = fresh(database, engine, keep)
    if not existed:
        C.load(database, db)
        if database == "tpch":
            tpch_data(db)
    out: dict[str, Any] = {"database": database, "engine": engine}
    with refint.connect(db.url) as conn:
        schema = conn.inspect()
        expected = truth(schema)
        out["keys"] = len(expected)
        for mode in ("fk", "no_pk"):
            start = time.perf_counter()
            result = discover(conn.engine, stripped(schema, mode == "no_pk"), min_score=min_score)
            out[f"{mode}_seconds"] = time.perf_counter() - start
            found = {((f.schema, f.table), f.columns, (f.referred_schema, f.referred_table), f.referred_columns)
                     for f in result.findings}
            out[mode] = score(found, expected)
            if verbose:
                for e in sorted(found - expected, key=str):
                    print(f"  FP {mode} {database}/{engine}: {e}")
                for e in sorted(expected - found, key=str):
                    print(f"  FN {mode} {database}/{engine}: {e}")
    if database == "netbox":
        out["e2e"] = netbox_end_to_end(db)
    if not keep:
        drop(db)
    return out


def netbox_end_to_end(db: TestDB) -> float:
    """``refint discover URL --format json`` as a process, on a copy of NetBox without its foreign keys."""
    copy = "refint_bench_disc_netbox_nofk"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{db.name}"')
    try:
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={copy}", autocommit=True) as conn:
            rows = conn.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' "
                                "AND conparentid = 0").fetchall()
            for table, name in rows:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            conn.execute("ANALYZE")
        refint_bin = shutil.which("refint", path=str(ROOT / ".venv" / "bin")) or "refint"
        start = time.perf_counter()
        subprocess.run([refint_bin, "discover", f"postgresql://postgres@127.0.0.1:5432/{copy}", "--format", "json"],
                       check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def speed(rows: int) -> None:
    """One candidate on a large child: discover's verification against check's anti-join (same key)."""
    from refint.discover.evidence import profile, verify

    db, _ = fresh("speed", "postgresql", False)
    parents = rows // 10
    try:
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={db.name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE parent (id bigint PRIMARY KEY, label text)")
            conn.execute("CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint)")
            conn.execute(f"INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, {parents}) g")
            conn.execute(f"INSERT INTO child SELECT g, 1 + (g::bigint * 7919) % {parents} FROM generate_series(1, {rows}) g")
            conn.execute("ANALYZE")
        with refint.connect(db.url) as c:
            schema = c.inspect()
            child, parent = schema.table("child"), schema.table("parent")
            times_v, times_c = [], []
            relations = refint.relations.parse_relation("child(parent_id) -> parent(id)")
            with c.engine.read_only():  # the profile is discover's step 2, done once for every candidate
                known = profile(c.engine, child).columns["parent_id"]
            for _ in range(5):
                start = time.perf_counter()
                with c.engine.read_only():
                    c.engine.prepare_check()  # as discover() does
                    verify(c.engine, child, ("parent_id",), parent, ("id",), known)
                times_v.append(time.perf_counter() - start)
                start = time.perf_counter()
                c.check(kinds=["foreign_key"], relations=relations)
                times_c.append(time.perf_counter() - start)
            times_d = []
            for _ in range(3):  # discover as a user runs it: both profiles, every candidate, the choice
                start = time.perf_counter()
                found = c.discover()
                times_d.append(time.perf_counter() - start)
            assert [(f.table, f.columns, f.referred_table) for f in found.findings] == [("child", ("parent_id",), "parent")]
        v, k = sorted(times_v)[2], sorted(times_c)[2]
        print(f"\nwhole discover of the two tables (profiles included), median of 3: {sorted(times_d)[1]:.2f} s "
              f"({sorted(times_d)[1] / k:.2f}x check of the declared key)")
        print(f"\nverify one candidate, child {rows:,} rows, parent {parents:,} rows (PostgreSQL, median of 5): "
              f"discover {v:.2f} s, check {k:.2f} s, ratio {v / k:.2f}x "
              f"(runs: discover {', '.join(f'{x:.2f}' for x in times_v)}; check {', '.join(f'{x:.2f}' for x in times_c)})")
    finally:
        drop(db)


def table(rows: Any) -> None:
    """The markdown table of per-database figures and their overall (micro-averaged) line."""
    results = list(rows)
    print("| database | engine | keys | P | R | F1 | s | no-PK P | R | F1 | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    totals = {"fk": [0, 0, 0], "no_pk": [0, 0, 0]}
    for r in results:
        cells = []
        for mode in ("fk", "no_pk"):
            for i in range(3):
                totals[mode][i] += r[mode][i]
            p, rec, f1 = prf(*r[mode])
            cells.append(f"{p:.3f} | {rec:.3f} | {f1:.3f} | {r[f'{mode}_seconds']:.1f}")
        print(f"| {r['database']} | {r['engine']} | {r['keys']} | {' | '.join(cells)} |")
    fk, nopk = prf(*totals["fk"]), prf(*totals["no_pk"])
    print(f"| **overall** | | {sum(r['keys'] for r in results)} | {fk[0]:.3f} | {fk[1]:.3f} | **{fk[2]:.3f}** | | "
          f"{nopk[0]:.3f} | {nopk[1]:.3f} | **{nopk[2]:.3f}** | |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the loaded databases")
    ap.add_argument("--only", default="", help="comma-separated database names")
    ap.add_argument("--verbose", action="store_true", help="list false positives and misses")
    ap.add_argument("--min-score", type=float, default=0.45)
    ap.add_argument("--speed", type=int, default=0, help="rows of the child in the one-candidate speed run")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    results = []
    for database, engine in CASES + HOLD_OUT:
        if only and database not in only:
            continue
        results.append(run_case(database, engine, args.keep, args.verbose, args.min_score))
    held = [(d, e) for d, e in HOLD_OUT]
    table(r for r in results if (r["database"], r["engine"]) not in held)
    if any((r["database"], r["engine"]) in held for r in results):
        print("\nKept apart from the corpus figures (TPC-H with generated rows; its first, unseen run is in RESULTS.md):\n")
        table(r for r in results if (r["database"], r["engine"]) in held)
    for r in results:
        if "e2e" in r:
            print(f"\nNetBox end to end on PostgreSQL (`refint discover URL --format json`, FKs dropped): {r['e2e']:.1f} s")
    if args.speed:
        speed(args.speed)


if __name__ == "__main__":
    main()
