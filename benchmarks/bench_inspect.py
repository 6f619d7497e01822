"""Introspection speed on PostgreSQL: refint vs the single fastest catalog query vs SQLAlchemy reflect.

    .venv/bin/python benchmarks/bench_inspect.py [--tables 2000] [--fks-per-table 2] [--repeat 7]
        [--musicbrainz] [--keep]

Creates a generated schema (N tables, 2N foreign keys, a unique and a check per table) in a fresh
database ``refint_bench_inspect``, and with ``--musicbrainz`` loads the MusicBrainz schema from
../shared/corpus into ``refint_bench_mb``. For each it reports medians of:

- ``one query``: a single catalog query returning every fact refint reports (tables, columns, types,
  defaults, NOT NULL, PK/unique/check/FK constraints with their columns and actions, indexes), as one
  JSON document per table, fetched to the client: the floor for any client;
- ``refint``: ``Engine.read_schema()`` in process, on an open connection (model objects built);
- ``refint CLI``: ``refint inspect URL --format json`` as a whole process (Python start-up included);
- ``SQLAlchemy``: ``MetaData().reflect()`` on the same database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import refint  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

ONE_QUERY = """
SELECT n.nspname, c.relname, c.relkind,
  (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                    pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum)
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT json_agg(json_build_array(con.conname, con.contype, con.conkey, con.confrelid::regclass::text,
                                    con.confkey, con.confupdtype, con.confdeltype, con.confmatchtype,
                                    con.condeferrable, con.condeferred, con.convalidated,
                                    pg_get_expr(con.conbin, con.conrelid)))
     FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype IN ('p', 'u', 'f', 'c')
      AND NOT (con.contype = 'f' AND con.conparentid <> 0)),
  (SELECT json_agg(json_build_array(ic.relname, i.indkey::int2[], i.indisunique, i.indpred IS NOT NULL))
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_'
"""


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def recreate(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def build_generated(name: str, tables: int, fks_per_table: int) -> None:
    recreate(name)
    rnd = random.Random(42)
    stmts = []
    for i in range(tables):
        stmts.append(
            f"CREATE TABLE t{i} (id integer PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, "
            f"amount numeric(10,2) DEFAULT 0 CHECK (amount >= 0), note text, created timestamp DEFAULT now()"
            + "".join(f", ref{j} integer" for j in range(fks_per_table)) + ")")
    for i in range(tables):
        for j in range(fks_per_table):
            parent = rnd.randrange(tables)
            action = rnd.choice(["NO ACTION", "CASCADE", "SET NULL", "RESTRICT"])
            stmts.append(f"ALTER TABLE t{i} ADD CONSTRAINT t{i}_ref{j}_fk FOREIGN KEY (ref{j}) "
                         f"REFERENCES t{parent} (id) ON DELETE {action}")
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", autocommit=True) as conn:
        for start in range(0, len(stmts), 200):  # batches: one transaction per batch keeps locks bounded
            conn.execute(";\n".join(stmts[start:start + 200]))
        conn.execute("ANALYZE")


def build_musicbrainz(name: str) -> bool:
    folder = CORPUS / "musicbrainz" / "postgresql"
    if not folder.is_dir():
        return False
    recreate(name)
    base = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-q", "-o", "/dev/null"]
    subprocess.run(base + ["-c", "CREATE SCHEMA musicbrainz; CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;"],
                   check=True, capture_output=True)
    env = {"PGOPTIONS": "-c search_path=musicbrainz,public", "PATH": "/usr/bin:/bin"}
    for f in ["CreateCollations.sql", "CreateTypes.sql", "CreateTables.sql", "CreatePrimaryKeys.sql",
              "CreateFKConstraints.sql"]:
        subprocess.run(base + ["-f", str(folder / f)], check=True, capture_output=True, env=env)
    return True


def measure(name: str, repeat: int) -> dict[str, float | int]:
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    raw = psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}")

    def one_query() -> object:
        with raw.cursor() as cur:
            cur.execute(ONE_QUERY)
            return cur.fetchall()

    t_query = median_time(one_query, repeat)
    raw.close()

    db = refint.connect(url)
    engine = db.engine

    def refint_read() -> object:
        with engine.read_only():
            return engine.read_schema()

    schema = refint_read()
    t_refint = median_time(refint_read, repeat)
    db.close()

    def cli() -> object:
        return subprocess.run([sys.executable, "-m", "refint", "inspect", url, "--format", "json"],
                              check=True, stdout=subprocess.DEVNULL)

    t_cli = median_time(cli, max(3, repeat // 2))

    sa_engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))

    def reflect() -> object:
        md = sa.MetaData()
        with sa_engine.connect() as conn:
            for schema_name in {t.schema for t in schema.tables}:
                md.reflect(conn, schema=schema_name)
        return md

    t_sa = median_time(reflect, 1)
    sa_engine.dispose()
    return {
        "tables": len(schema.tables),
        "fks": sum(len(t.foreign_keys) for t in schema.tables),
        "one_query": t_query,
        "refint": t_refint,
        "cli": t_cli,
        "sqlalchemy": t_sa,
    }


def main() -> None:
    sys.setrecursionlimit(100_000)  # MetaData.reflect follows foreign keys recursively
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--fks-per-table", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--musicbrainz", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = ap.parse_args()

    results = []
    build_generated("refint_bench_inspect", args.tables, args.fks_per_table)
    results.append(("generated", measure("refint_bench_inspect", args.repeat)))
    if args.musicbrainz and build_musicbrainz("refint_bench_mb"):
        results.append(("MusicBrainz", measure("refint_bench_mb", args.repeat)))

    print("| schema | tables | FKs | one catalog query | refint in process | ratio | refint CLI (whole process) "
          "| SQLAlchemy reflect |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r in results:
        print(f"| {label} | {r['tables']} | {r['fks']} | {r['one_query']:.3f} s | {r['refint']:.3f} s "
              f"| {r['refint'] / r['one_query']:.2f}x | {r['cli']:.3f} s | {r['sqlalchemy']:.2f} s |")
    if not args.keep:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            for name in ("refint_bench_inspect", "refint_bench_mb"):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
