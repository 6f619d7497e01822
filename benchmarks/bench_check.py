"""``refint check`` against the engines' own work on the same data, in one run.

    .venv/bin/python benchmarks/bench_check.py [--parent 1000000] [--child 10000000]
        [--engines sqlite,postgresql,mariadb,duckdb,parquet] [--repeat 3] [--layouts dense,sparse]

Data (issue 3): a parent of P rows, a child of C rows whose key is 1% NULL and 0.1% orphans, without and
then with an index on the child's key. Two layouts: *dense* parent keys 1..P (orphans above them), where
refint's range path answers on PostgreSQL, MariaDB and DuckDB, and *sparse* parent keys 2, 4, ..., 2P
(orphans odd, inside the range), where it does not and the joins are measured. Generated once into benchmarks/out/ (SQLite, DuckDB, Parquet)
and into the databases ``refint_bench_check`` (PostgreSQL, MariaDB); reused while the sizes match.

For each engine and index state it times (median of --repeat) the engine's own work and
``refint check TARGET --kind foreign_key --format json`` as a whole process, verifies refint's count
against the known number of orphans, and records the refint process's peak memory (ru_maxrss). Beside
the in-process timings it runs the best bare query as a whole process too, with the engine's own client
(the sqlite3 shell, psql, the mariadb client, DuckDB's Python client: DuckDB has no shell here), so that
refint's whole-process time can be compared with a whole process doing only the query.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PY = sys.executable


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed_cmd(cmd: list[str], repeat: int) -> float:
    """Median wall time of a whole process (the engine's own client running the bare query)."""
    def run() -> None:
        subprocess.run(cmd, check=True, capture_output=True)
    return timed(run, repeat)


LJ = ("SELECT count(*) FROM {c} c LEFT JOIN {p} p ON p.id = c.parent_id "
      "WHERE c.parent_id IS NOT NULL AND p.id IS NULL")


def duckdb_process(path: str, child: str, parent: str) -> list[str]:
    """DuckDB has no shell here: its own Python client, as a process, is the bare-query baseline."""
    opts = ", read_only=True" if path != ":memory:" else ""
    return [PY, "-c", f"import duckdb; con = duckdb.connect({path!r}{opts}); "
            f"print(con.execute({LJ.format(c=child, p=parent)!r}).fetchone())"]


def refint_run(target: str, repeat: int, *extra: str) -> tuple[float, int, float]:
    """Median wall time, orphan count reported, peak RSS (MB) of the refint process."""
    times, count, peak = [], -1, 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(
            # VmHWM: the peak of this process's own memory (ru_maxrss keeps the forking parent's peak
            # across exec on Linux, which put this benchmark's own 90 MB into the figure)
            [PY, "-c", "import runpy, sys; sys.argv = ['refint'] + sys.argv[1:];"
             "\ntry:\n    runpy.run_module('refint', run_name='__main__')\nfinally:\n"
             "    print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
             " file=sys.stderr)",
             "check", target, "--kind", "foreign_key", "--format", "json", *extra],
            capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        data = json.loads(proc.stdout)
        count = sum(v["count"] for v in data["violations"])
        peak = max(peak, int(proc.stderr.strip().splitlines()[-1]) / 1024)
    return statistics.median(times), count, peak


# ---------------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------------
# child row i (1..C): key NULL when i % 100 == 0; an orphan (P + i) when i % 1000 == 1; else (i % P) + 1
def expected_orphans(child: int) -> int:
    return sum(1 for _ in range(1, child + 1, 1000))  # i % 1000 == 1 and never i % 100 == 0


# keys scattered over the parent (a stride coprime with its size), as real foreign keys are
SQL_CHILD_KEY = "CASE WHEN {i} % 100 = 0 THEN NULL WHEN {i} % 1000 = 1 THEN {p} + {i} ELSE ({i} * 48271 % {p}) + 1 END"
# the sparse layout: parent keys 2, 4, ..., 2P (a million holes, so no range path: the joins are
# measured); the same child keys doubled, the orphans odd numbers inside the parent's range
SQL_PARENT_KEY_SPARSE = "2 * {i}"
SQL_CHILD_KEY_SPARSE = ("CASE WHEN {i} % 100 = 0 THEN NULL WHEN {i} % 1000 = 1 THEN 2 * ({i} * 7919 % {p}) + 1 "
                        "ELSE 2 * (({i} * 48271 % {p}) + 1) END")


def keys(sparse: bool) -> tuple[str, str]:
    """(parent key, child key) expressions of the layout, over ``{i}`` and ``{p}``."""
    return ("{i}", SQL_CHILD_KEY) if not sparse else (SQL_PARENT_KEY_SPARSE, SQL_CHILD_KEY_SPARSE)


def build_sqlite(path: Path, parent: int, child: int) -> None:
    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    conn.executescript(f"""
        PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
        CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), payload TEXT);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {parent})
        INSERT INTO parent SELECT i, 'p' || i FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {child})
        INSERT INTO child SELECT i, {SQL_CHILD_KEY.format(i='i', p=parent)}, 'x' FROM n;
    """)
    conn.close()
    tmp.rename(path)


def bench_sqlite(parent: int, child: int, repeat: int) -> list[dict[str, object]]:
    path = OUT / f"check_{parent}_{child}.db"
    build_sqlite(path, parent, child)
    rows = []
    for indexed in (False, True):
        conn = sqlite3.connect(path, timeout=120)
        conn.execute("DROP INDEX IF EXISTS ix_child_parent")
        if indexed:
            conn.execute("CREATE INDEX ix_child_parent ON child (parent_id)")
        conn.commit()
        conn.close()
        ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        engine_time = timed(lambda: ro.execute("PRAGMA foreign_key_check(child)").fetchall(), repeat)
        left_join = timed(lambda: ro.execute(
            "SELECT count(*) FROM child c LEFT JOIN parent p ON p.id = c.parent_id "
            "WHERE c.parent_id IS NOT NULL AND p.id IS NULL").fetchone(), repeat)
        ro.close()
        lj_proc = timed_cmd(["sqlite3", "-readonly", str(path), LJ.format(c="child", p="parent")], repeat)
        t, count, peak = refint_run(str(path), repeat)
        rows.append({"engine": "SQLite", "index": indexed, "engine_work": "PRAGMA foreign_key_check",
                     "engine_s": engine_time, "left_join_s": left_join, "lj_proc_s": lj_proc, "refint_s": t,
                     "count": count,
                     "expected": expected_orphans(child), "peak_mb": peak})
    return rows


def bench_postgres(parent: int, child: int, repeat: int, sparse: bool = False) -> list[dict[str, object]]:
    import psycopg

    name = "refint_bench_check" + ("_sparse" if sparse else "")
    pkey, ckey = keys(sparse)
    admin = psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True)
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    dsn = f"host=127.0.0.1 user=postgres dbname={name}"
    fresh = True
    if exists:
        with psycopg.connect(dsn) as c:
            n = c.execute("SELECT (SELECT count(*) FROM parent), (SELECT count(*) FROM child)").fetchone()
            fresh = n != (parent, child)
    if fresh:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CREATE TABLE parent (id int PRIMARY KEY, name text)")
            c.execute("CREATE TABLE child (id int PRIMARY KEY, parent_id int, payload text)")
            c.execute(f"INSERT INTO parent SELECT {pkey.format(i='g')}, 'p' || g FROM generate_series(1, {parent}) g")
            c.execute(f"INSERT INTO child SELECT g, {ckey.format(i='g::bigint', p=parent)}, 'x' "
                      f"FROM generate_series(1, {child}) g")
            c.execute("ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
                      "REFERENCES parent (id) NOT VALID")
            c.execute("VACUUM ANALYZE")
    admin.close()
    rows = []
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    for indexed in (False, True):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DROP INDEX IF EXISTS ix_child_parent")
            if indexed:
                c.execute("CREATE INDEX ix_child_parent ON child (parent_id)")
            c.execute("ANALYZE child")
            # the engine's own validator, on a copy of the key without the orphans (it stops at the first)
            c.execute("DROP TABLE IF EXISTS clean")
            c.execute("CREATE TABLE clean AS SELECT id, parent_id FROM child c WHERE EXISTS "
                      "(SELECT 1 FROM parent p WHERE p.id = c.parent_id)")
            if indexed:
                c.execute("CREATE INDEX ON clean (parent_id)")
            c.execute("ANALYZE clean")

            def validate() -> None:
                c.execute("ALTER TABLE clean ADD CONSTRAINT clean_fk FOREIGN KEY (parent_id) "
                          "REFERENCES parent (id) NOT VALID")
                c.execute("ALTER TABLE clean VALIDATE CONSTRAINT clean_fk")
                c.execute("ALTER TABLE clean DROP CONSTRAINT clean_fk")

            engine_time = timed(validate, repeat)
            left_join = timed(lambda: c.execute(
                "SELECT count(*) FROM child c LEFT JOIN parent p ON p.id = c.parent_id "
                "WHERE c.parent_id IS NOT NULL AND p.id IS NULL").fetchone(), repeat)
            c.execute("DROP TABLE clean")
        lj_proc = timed_cmd(["psql", "-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c",
                             LJ.format(c="child", p="parent")], repeat)
        t, count, peak = refint_run(url, repeat)
        rows.append({"engine": "PostgreSQL" + (" sparse" if sparse else ""), "index": indexed, "engine_work": "VALIDATE CONSTRAINT (clean copy)",
                     "engine_s": engine_time, "left_join_s": left_join, "lj_proc_s": lj_proc, "refint_s": t,
                     "count": count,
                     "expected": expected_orphans(child), "peak_mb": peak})
    return rows


def bench_mariadb(parent: int, child: int, repeat: int, sparse: bool = False) -> list[dict[str, object]]:
    import pymysql

    name = "refint_bench_check" + ("_sparse" if sparse else "")
    pkey, ckey = keys(sparse)
    c = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    cur = c.cursor()
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {name}")
    cur.execute(f"USE {name}")
    cur.execute("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", (name,))
    fresh = True
    if cur.fetchone()[0] == 2:
        cur.execute("SELECT (SELECT count(*) FROM parent), (SELECT count(*) FROM child)")
        fresh = cur.fetchone() != (parent, child)
    if fresh:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        cur.execute("DROP TABLE IF EXISTS child, parent")
        cur.execute("CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB")
        cur.execute("CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, payload VARCHAR(10)) ENGINE=InnoDB")
        cur.execute(f"INSERT INTO parent SELECT {pkey.format(i='seq')}, CONCAT('p', seq) FROM seq_1_to_{parent}")
        cur.execute(f"INSERT INTO child SELECT seq, {ckey.format(i='seq', p=parent)}, 'x' "
                    f"FROM seq_1_to_{child}")
    rows = []
    url = f"mariadb://root@127.0.0.1:3306/{name}"
    for indexed in (False, True):
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        cur.execute("ALTER TABLE child DROP FOREIGN KEY IF EXISTS child_parent_fk")
        cur.execute("ALTER TABLE child DROP INDEX IF EXISTS ix_child_parent")
        if indexed:
            cur.execute("CREATE INDEX ix_child_parent ON child (parent_id)")
            # InnoDB needs an index for the key: only the indexed state can declare it
            cur.execute("ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
                        "REFERENCES parent (id)")
        left_join = timed(lambda: cur.execute(
            "SELECT count(*) FROM child c LEFT JOIN parent p ON p.id = c.parent_id "
            "WHERE c.parent_id IS NOT NULL AND p.id IS NULL"), repeat)
        not_exists = timed(lambda: cur.execute(
            "SELECT count(*) FROM child c WHERE c.parent_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM parent p WHERE p.id = c.parent_id)"), repeat)
        best = "LEFT JOIN" if left_join <= not_exists else "NOT EXISTS"
        best_sql = LJ.format(c="child", p="parent") if best == "LEFT JOIN" else (
            "SELECT count(*) FROM child c WHERE c.parent_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM parent p WHERE p.id = c.parent_id)")
        lj_proc = timed_cmd(["mariadb", "-h", "127.0.0.1", "-u", "root", name, "-e", best_sql], repeat)
        if indexed:
            t, count, peak = refint_run(url, repeat)
        else:
            t, count, peak = refint_run_relation(url, repeat)
        rows.append({"engine": "MariaDB" + (" sparse" if sparse else ""), "index": indexed, "engine_work": "best of LEFT JOIN / NOT EXISTS",
                     "engine_s": min(left_join, not_exists), "left_join_s": left_join, "lj_proc_s": lj_proc,
                     "refint_s": t,
                     "count": count, "expected": expected_orphans(child), "peak_mb": peak})
    c.close()
    return rows


def refint_run_relation(url: str, repeat: int) -> tuple[float, int, float]:
    """Without an index InnoDB cannot hold the key: check it as an undeclared relation instead."""
    return refint_run(url, repeat, "--relation", "child(parent_id) -> parent(id)")


def bench_duckdb(parent: int, child: int, repeat: int, parquet: bool, sparse: bool = False) -> list[dict[str, object]]:
    import duckdb

    tag = "_sparse" if sparse else ""
    pkey, ckey = keys(sparse)
    folder = OUT / f"check_{parent}_{child}{tag}_files"
    path = OUT / f"check_{parent}_{child}{tag}.duckdb"
    if not path.exists():
        con = duckdb.connect(str(path))
        con.execute(f"CREATE TABLE parent AS SELECT ({pkey.format(i='i')})::INTEGER AS id, 'p' || i AS name "
                    "FROM range(1, $p + 1) t(i)", {"p": parent})
        con.execute(f"CREATE TABLE child AS SELECT i::INTEGER AS id, ({ckey.format(i='i', p=parent)})"
                    f"::INTEGER AS parent_id, 'x' AS payload FROM range(1, {child} + 1) t(i)")
        con.close()
    if parquet and not folder.exists():
        folder.mkdir(parents=True)
        con = duckdb.connect(str(path), read_only=True)
        con.execute(f"COPY parent TO '{folder}/parent.parquet'")
        con.execute(f"COPY child TO '{folder}/child.parquet'")
        con.close()
    rel = OUT / "relations.toml"
    rel.write_text('[[relations]]\nrelation = "child(parent_id) -> parent(id)"\n')
    rows = []
    con = duckdb.connect(str(path), read_only=True)
    lj = "SELECT count(*) FROM {c} c LEFT JOIN {p} p ON p.id = c.parent_id WHERE c.parent_id IS NOT NULL AND p.id IS NULL"
    left_join = timed(lambda: con.execute(lj.format(c="child", p="parent")).fetchone(), repeat)
    con.close()
    lj_proc = timed_cmd(duckdb_process(str(path), "child", "parent"), repeat)
    t, count, peak = _relation_run(str(path), str(rel), repeat)
    rows.append({"engine": "DuckDB" + (" sparse" if sparse else ""), "index": False, "engine_work": "bare LEFT JOIN", "engine_s": left_join,
                 "left_join_s": left_join, "lj_proc_s": lj_proc, "refint_s": t, "count": count, "expected": expected_orphans(child),
                 "peak_mb": peak})
    if parquet:
        con = duckdb.connect()
        left_join = timed(lambda: con.execute(lj.format(c=f"'{folder}/child.parquet'",
                                                        p=f"'{folder}/parent.parquet'")).fetchone(), repeat)
        lj_proc = timed_cmd(duckdb_process(":memory:", f"'{folder}/child.parquet'", f"'{folder}/parent.parquet'"),
                            repeat)
        t, count, peak = _relation_run(str(folder), str(rel), repeat)
        rows.append({"engine": "Parquet (DuckDB)" + (" sparse" if sparse else ""), "index": False, "engine_work": "bare LEFT JOIN",
                     "engine_s": left_join, "left_join_s": left_join, "lj_proc_s": lj_proc, "refint_s": t, "count": count,
                     "expected": expected_orphans(child), "peak_mb": peak})
    return rows


def _relation_run(target: str, rel: str, repeat: int) -> tuple[float, int, float]:
    return refint_run(target, repeat, "--relations", rel)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parent", type=int, default=1_000_000)
    ap.add_argument("--child", type=int, default=10_000_000)
    ap.add_argument("--engines", default="sqlite,postgresql,mariadb,duckdb,parquet")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--layouts", default="dense,sparse",
                    help="dense: parent keys 1..P (refint's range path where the types allow it); "
                         "sparse: 2, 4, ..., 2P (the joins), for PostgreSQL, MariaDB and DuckDB")
    args = ap.parse_args()
    layouts = args.layouts.split(",")
    OUT.mkdir(exist_ok=True)
    engines = args.engines.split(",")
    print(f"parent {args.parent:,} rows, child {args.child:,} rows; medians of {args.repeat}")
    print("| engine | child index | engine's own work | engine s | LEFT JOIN s | best query as a process s | "
          "refint process s | ratio | ratio to the query as a process | orphans (expected) | refint peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    runs: list[Callable[[], list[dict[str, object]]]] = []
    for sparse in [layout == "sparse" for layout in layouts]:
        if "sqlite" in engines and not sparse:  # SQLite has no range path: its joins do not depend on it
            runs.append(lambda: bench_sqlite(args.parent, args.child, args.repeat))
        if "postgresql" in engines:
            runs.append(lambda s=sparse: bench_postgres(args.parent, args.child, args.repeat, s))
        if "mariadb" in engines:
            runs.append(lambda s=sparse: bench_mariadb(args.parent, args.child, args.repeat, s))
        if "duckdb" in engines or "parquet" in engines:
            runs.append(lambda s=sparse: bench_duckdb(args.parent, args.child, args.repeat, "parquet" in engines, s))
    for run in runs:
        for r in run():
            print(f"| {r['engine']} | {'yes' if r['index'] else 'no'} | {r['engine_work']} | {r['engine_s']:.2f} | "
                  f"{r['left_join_s']:.2f} | {r['lj_proc_s']:.2f} | {r['refint_s']:.2f} | "
                  f"{float(r['refint_s']) / float(r['engine_s']):.2f}x | "
                  f"{float(r['refint_s']) / float(r['lj_proc_s']):.2f}x | {r['count']} ({r['expected']}) | "
                  f"{r['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
