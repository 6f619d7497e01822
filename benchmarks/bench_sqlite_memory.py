"""Peak memory and time of SQLite's hash path (issue 12 item 6), against the bare Python set it replaced
and against PRAGMA foreign_key_check, on the same data, in one run.

    .venv/bin/python benchmarks/bench_sqlite_memory.py [--parent 4900000] [--child 10000000] [--repeat 1]

Data (generated once under /tmp/refint_bench_sqlite_memory/, reused while the sizes match): a parent of
P rows and a child of C rows whose key is not indexed, 1% NULL and 0.1% orphans. Layouts: *dense*
(parent keys 1..P, orphans above them), *sparse* (parent keys 2, 4, ..., 2P, orphans odd: inside the
range, still a byte map) and *random* (2,000,000 parent keys drawn from a range of 10^12: too wide for a
byte map, the bounded set). Each measurement runs in its own process, which reports its wall time and
its peak resident memory (``VmHWM`` of /proc/self/status):

- refint: ``Database.check(kinds=["foreign_key"])`` on the file opened read-only (the path taken is
  printed);
- the bare set: the parent's keys in a Python set, the child's keys streamed in batches of 200,000 and
  subtracted (the code before this change);
- the pragma: ``PRAGMA foreign_key_check(c)`` in sqlite3, rows counted.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

DIR = Path("/tmp/refint_bench_sqlite_memory")
PY = sys.executable

HWM = ("def hwm():\n"
       "    for line in open('/proc/self/status'):\n"
       "        if line.startswith('VmHWM:'):\n"
       "            return int(line.split()[1]) / 1024\n")

REFINT = HWM + """
import sys, time
import refint
from refint.engines import sqlite_hash
used = []
for name in ('_by_byte_map', '_by_set'):
    original = getattr(sqlite_hash, name)
    def spy(*args, _name=name, _original=original):
        result = _original(*args)
        if result is not None:
            used.append(_name)
        return result
    setattr(sqlite_hash, name, spy)
start = time.perf_counter()
with refint.connect(sys.argv[1], readonly=True) as db:
    (v,) = db.check(kinds=['foreign_key']).violations
print(json.dumps({'s': time.perf_counter() - start, 'mb': hwm(), 'orphans': v.count, 'path': used or ['join']}))
"""

BARE_SET = HWM + """
import sqlite3, sys, time
from operator import itemgetter
start = time.perf_counter()
conn = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
parents = set(map(itemgetter(0), conn.execute('SELECT id FROM p WHERE id IS NOT NULL')))
cursor = conn.execute('SELECT pid FROM c WHERE pid IS NOT NULL')
total = 0
while True:
    batch = cursor.fetchmany(200000)
    if not batch:
        break
    batch = list(map(itemgetter(0), batch))
    missing = set(batch) - parents
    if missing:
        total += sum(1 for k in batch if k in missing)
print(json.dumps({'s': time.perf_counter() - start, 'mb': hwm(), 'orphans': total}))
"""

PRAGMA = HWM + """
import sqlite3, sys, time
start = time.perf_counter()
conn = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
n = sum(1 for _ in conn.execute('PRAGMA foreign_key_check(c)'))
print(json.dumps({'s': time.perf_counter() - start, 'mb': hwm(), 'orphans': n}))
"""


def build(path: Path, layout: str, parent: int, child: int) -> int:
    """The database of a layout; returns the number of orphan rows it holds."""
    stamp = path.with_suffix(".json")
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == [layout, parent, child]:
        return int(json.loads(path.with_suffix(".orphans").read_text()))
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                       "CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT);"
                       "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id), v TEXT);")
    if layout == "random":
        import random

        rng = random.Random(1)
        keys = sorted(rng.sample(range(1, 10**12), parent))
        conn.executemany("INSERT INTO p VALUES (?, 'x')", ((k,) for k in keys))
        # a child key: a parent key by position (i * 7919 mod P), every 1000th row an orphan (odd: the
        # drawn keys are any integers, so an orphan is a key + 1 that is not drawn)
        drawn = set(keys)

        def rows() -> object:
            for i in range(child):
                if i % 100 == 0:
                    yield (None,)
                elif i % 1000 == 1 and keys[i % parent] + 1 not in drawn:
                    yield (keys[i % parent] + 1,)
                else:
                    yield (keys[(i * 7919) % parent],)
        conn.executemany("INSERT INTO c (pid, v) VALUES (?, 'y')", rows())
        conn.commit()
        orphans = conn.execute("SELECT count(*) FROM c WHERE pid IS NOT NULL AND pid NOT IN (SELECT id FROM p)"
                               ).fetchone()[0]
    else:
        step = 2 if layout == "sparse" else 1
        conn.execute(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {parent}) "
                     f"INSERT INTO p SELECT i * {step}, 'x' FROM n")
        # 1% NULL, 0.1% orphans (dense: above the keys; sparse: odd, inside the range), the rest spread
        orphan = f"{parent} + 1 + i % 1000" if step == 1 else "(i % parent_n) * 2 + 1"
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {child}) "
            f"INSERT INTO c (pid, v) SELECT CASE WHEN i % 100 = 0 THEN NULL "
            f"WHEN i % 1000 = 1 THEN {orphan.replace('parent_n', str(parent))} "
            f"ELSE ((i * 7919) % {parent} + 1) * {step} END, 'y' FROM n")
        conn.commit()
        orphans = child // 1000
    conn.close()
    stamp.write_text(json.dumps([layout, parent, child]))
    path.with_suffix(".orphans").write_text(str(orphans))
    return int(orphans)


def measure(code: str, path: Path, repeat: int) -> dict[str, object]:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([PY, "-c", "import json\n" + code, str(path)], capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    out = dict(runs[0])
    out["s"] = statistics.median(float(r["s"]) for r in runs)
    out["mb"] = max(float(r["mb"]) for r in runs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parent", type=int, default=4_900_000)
    ap.add_argument("--child", type=int, default=10_000_000)
    ap.add_argument("--random-parent", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--layouts", default="dense,sparse,random")
    args = ap.parse_args()
    DIR.mkdir(exist_ok=True)
    print("| layout | parent rows | child rows | path | refint s | refint peak MB | bare set s | bare set peak MB "
          "| ratio to the bare set | PRAGMA foreign_key_check s | pragma peak MB | ratio to the pragma | orphans |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for layout in args.layouts.split(","):
        parent = args.random_parent if layout == "random" else args.parent
        path = DIR / f"{layout}.db"
        expected = build(path, layout, parent, args.child)
        ours = measure(REFINT, path, args.repeat)
        bare = measure(BARE_SET, path, args.repeat)
        pragma = measure(PRAGMA, path, args.repeat)
        assert ours["orphans"] == bare["orphans"] == pragma["orphans"] == expected, (ours, bare, pragma, expected)
        r, b, g = float(ours["s"]), float(bare["s"]), float(pragma["s"])  # type: ignore[arg-type]
        print(f"| {layout} | {parent:,} | {args.child:,} | {'+'.join(ours['path'])} | {r:.2f} | {ours['mb']:.0f} "  # type: ignore[arg-type]
              f"| {b:.2f} | {bare['mb']:.0f} | {r / b:.2f}x | {g:.2f} | {pragma['mb']:.0f} | {r / g:.2f}x "
              f"| {expected:,} |", flush=True)


if __name__ == "__main__":
    main()
