"""SQLite's hash path in bounded memory (issue 12 item 6): the byte map over the parent's integer keys,
the bounded set, and the SQL join beyond it, each against SQLite's own PRAGMA foreign_key_check and a
NOT EXISTS query, on keys SQLite's INTEGER affinity lets in: text, reals such as 2.5, blobs, negative
and sparse integers, NULLs."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.check.checker import jsonable
from refint.engines import sqlite_hash
from refint.engines.sqlite import SQLite

ODD = ["abc", "12x", "", 2.5, -0.5, 1e20, b"\x00\x01", "7"]  # "7" is stored as the integer 7


def _build(path: Path, seed: int, parent_keys: list[Any], child_rows: int,
           parent_key: str = "k INT PRIMARY KEY") -> None:
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        CREATE TABLE p ({parent_key}, v TEXT);
        CREATE TABLE c (id INTEGER PRIMARY KEY, k INTEGER REFERENCES p (k));
    """)
    conn.executemany("INSERT INTO p VALUES (?, 'x')", [(k,) for k in parent_keys])
    ints = [k for k in parent_keys if isinstance(k, int)]
    lo, hi = min(ints, default=0), max(ints, default=0)

    def child_key() -> Any:
        r = rng.random()
        if r < 0.05:
            return None
        if r < 0.10:
            return rng.choice(ODD)
        if r < 0.20:
            return rng.randint(lo - 50, hi + 50)  # in and around the range: gaps and both ends
        if r < 0.22:
            return rng.choice([-(2**63), 2**63 - 1, 0])
        return rng.choice(parent_keys)

    conn.executemany("INSERT INTO c (k) VALUES (?)", [(child_key(),) for _ in range(child_rows)])
    conn.commit()
    conn.close()


def _engine_says(path: Path) -> tuple[int, list[Any]]:
    conn = sqlite3.connect(path)
    pragma = len(conn.execute("PRAGMA foreign_key_check(c)").fetchall())
    rows = conn.execute("SELECT k, count(*) FROM c WHERE k IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM p WHERE p.k = c.k) GROUP BY k ORDER BY k").fetchall()
    conn.close()
    assert pragma == sum(n for _, n in rows)
    return pragma, [k for k, _ in rows]


PARENTS = {
    "dense": lambda rng: list(range(-300, 2700)),
    # the key is the rowid: its ends are read from the B-tree
    "rowid": lambda rng: list(range(-300, 2700, 3)),
    # INTEGER PRIMARY KEY DESC is not the rowid (SQLite's documented quirk): it stores text too
    "desc quirk": lambda rng: list(range(1, 2000)) + ["abc", 2.5],
    "sparse": lambda rng: rng.sample(range(-10**12, 10**12), 3000),
    "with odd parent keys": lambda rng: list(range(1, 2000)) + ["abc", 2.5, b"\x00\x01", 1e20],
    "only odd parent keys": lambda rng: ["abc", "", 2.5],
}


@pytest.mark.parametrize("shape", sorted(PARENTS))
@pytest.mark.parametrize("form", ["byte map", "set", "join"])
def test_hash_path_equals_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str,
                                     form: str) -> None:
    path = tmp_path / "h.db"
    seed = sorted(PARENTS).index(shape)
    key = {"rowid": "k INTEGER PRIMARY KEY", "desc quirk": "k INTEGER PRIMARY KEY DESC"}.get(shape, "k INT PRIMARY KEY")
    _build(path, seed, PARENTS[shape](random.Random(seed)), 6000, key)
    total, keys = _engine_says(path)
    assert total > 0
    monkeypatch.setattr(SQLite, "HASH_MIN_ROWS", 100)
    monkeypatch.setattr(sqlite_hash, "BATCH", 1000)  # several batches
    if form != "byte map":
        monkeypatch.setattr(sqlite_hash, "BYTEMAP_MAX_SPAN", 0)
    if form == "join":
        monkeypatch.setattr(sqlite_hash, "SET_MAX_KEYS", 2)
    forms: list[str] = []
    for name in ("_by_byte_map", "_by_set"):
        original = getattr(sqlite_hash, name)

        def spy(*args: Any, _name: str = name, _original: Any = original) -> Any:
            result = _original(*args)
            if result is not None:
                forms.append(_name)
            return result

        monkeypatch.setattr(sqlite_hash, name, spy)
    with refint.connect(path, readonly=True) as db:
        (v,) = db.check(kinds=["foreign_key"], sample=10_000).violations
    expected_form = {"byte map": ["_by_byte_map"], "set": ["_by_set"], "join": []}[form]
    if form == "byte map" and shape == "sparse":
        expected_form = ["_by_set"]  # the span is far too wide for a byte map
    assert forms == expected_form
    assert v.count == total
    assert [s["k"] for s in v.sample] == [jsonable(k) for k in keys]


def test_samples_are_the_smallest_in_sqlite_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    _build(path, 7, list(range(0, 1000)), 4000)
    _, keys = _engine_says(path)
    monkeypatch.setattr(SQLite, "HASH_MIN_ROWS", 100)
    with refint.connect(path, readonly=True) as db:
        (v,) = db.check(kinds=["foreign_key"], sample=3).violations
    assert [s["k"] for s in v.sample] == keys[:3]
