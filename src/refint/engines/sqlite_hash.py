"""SQLite's orphans without a join: the parent's keys held in Python, the child's keys streamed past them.

Without an index on the child's key SQLite probes the parent's B-tree once per child row in random
order (as ``PRAGMA foreign_key_check`` does): slow once the parent outgrows the page cache. Streaming
the child's keys past the parent's keys held in memory is several times faster. Memory stays under
refint's 300 MB at any parent size (issue 12: a Python set of 4.9M keys peaked at 337 MB):

- a one-column key whose parent's integer keys span at most :data:`BYTEMAP_MAX_SPAN` integers (the
  usual auto-numbered key, however many rows): a *byte map*, one byte per integer of ``[lo, hi]``
  (a 4.9M-row parent: 4.9 MB). SQLite hands over each child key as its offset ``k - lo`` when it is an
  integer in the range, else -1; the batch's hits are read by C loops (``bytes(map(map.__getitem__, ...))``,
  ``bytes.find``), so Python touches only the misses. The parent's keys that are not integers (SQLite's
  INTEGER affinity still stores text, blobs and reals such as 2.5) are a Python set beside it, and the
  child's keys outside the range or not integers are read grouped in a second query, only when some
  were seen. A real stored in an INTEGER column never equals an integer (SQLite converts every real it
  can to an integer), so the two halves never meet.
- otherwise (sparse integer keys, wider keys): a Python set of the parent's keys, up to
  :data:`SET_MAX_KEYS` one-column keys or :data:`SET_MAX_TUPLES` two-column ones (fewer for wider
  keys; at most about 200 MB); above that the caller's SQL join answers.

Equality is SQLite's: both sides have INTEGER affinity, values compare by storage class, as Python's
``==`` does for int, float, str and bytes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

#: the widest ``[lo, hi]`` held as a byte map (one byte per integer: 64 MB)
BYTEMAP_MAX_SPAN = 64_000_000
#: parent keys held in a Python set (one column: ~64 bytes each with the set's table)
SET_MAX_KEYS = 2_000_000
#: parent keys of two columns held in a set of tuples (1M of large integers: a 168 MB peak); wider keys
#: proportionally fewer (three columns: 666,666)
SET_MAX_TUPLES = 1_000_000
#: the parent's keys that are not integers, held in a set beside a byte map
OTHERS_MAX = 1_000_000
BATCH = 200_000


def sqlite_order(value: Any) -> tuple[int, Any]:
    """SQLite's order of values of different storage classes: numbers, then text, then blobs (a tuple:
    column by column)."""
    if isinstance(value, tuple):
        return (3, tuple(map(sqlite_order, value)))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, bytes(value))


class Orphans:
    """The count of orphan rows and the ``sample`` smallest orphan keys (SQLite's order)."""

    def __init__(self, sample: int) -> None:
        self.sample = sample
        self.total = 0
        self.smallest: list[Any] = []

    def add(self, keys: Iterable[Any], rows: int) -> None:
        self.total += rows
        self.smallest = sorted({*self.smallest, *keys}, key=sqlite_order)[: self.sample]


def hash_orphans(dbapi: Any, run: Callable[[Callable[[], Any]], Any], stop: Callable[[], int], *,
                 child: str, parent: str, child_columns: Sequence[str], parent_columns: Sequence[str],
                 sample: int, rowid_key: bool = False,
                 parent_rows: int | None = None) -> tuple[int, list[tuple[Any, ...]]] | None:
    """Orphans of ``child(child_columns) -> parent(parent_columns)`` (quoted names, ``FROM`` sources),
    or None when the parent's keys would not fit the memory bound (the caller joins in SQL).
    ``run`` executes a statement (retrying while writers hold the lock); ``stop()`` true interrupts.
    ``rowid_key``: the parent's key is its rowid (integers only, its ends read from the B-tree);
    ``parent_rows``: an upper bound of the parent's rows, when known (spares counting them)."""
    if len(child_columns) == 1:
        found = _by_byte_map(dbapi, run, stop, child, parent, child_columns[0], parent_columns[0], sample,
                             rowid_key)
        if found is not None:
            return found
    return _by_set(dbapi, run, stop, child, parent, child_columns, parent_columns, sample, parent_rows)


def _batches(cursor: Any, stop: Callable[[], int]) -> Iterable[list[Any]]:
    import sqlite3

    while True:
        if stop():
            raise sqlite3.OperationalError("interrupted")
        batch = cursor.fetchmany(BATCH)
        if not batch:
            return
        yield batch


def _by_byte_map(dbapi: Any, run: Callable[[Callable[[], Any]], Any], stop: Callable[[], int], child: str,
                 parent: str, ccol: str, pcol: str, sample: int,
                 rowid_key: bool) -> tuple[int, list[tuple[Any, ...]]] | None:
    is_int = f"typeof({pcol}) = 'integer'"
    if rowid_key:  # two B-tree descents
        lo, hi = run(lambda: dbapi.execute(f"SELECT min({pcol}), max({pcol}) FROM {parent}")).fetchone()
        others = 0
    else:  # one scan of the key
        lo, hi, others = run(lambda: dbapi.execute(
            f"SELECT min(CASE WHEN {is_int} THEN {pcol} END), max(CASE WHEN {is_int} THEN {pcol} END), "
            f"count(CASE WHEN NOT {is_int} THEN 1 END) FROM {parent} WHERE {pcol} IS NOT NULL")).fetchone()
    if lo is None:
        lo = hi = 0  # no integer key: an empty range, every integer child key is outside it
    span = hi - lo + 1
    if span > BYTEMAP_MAX_SPAN or others > OTHERS_MAX:
        return None
    present = bytearray(span + 1)  # the last byte stays 0: where a key outside the range (-1) lands
    offsets = run(lambda: dbapi.execute(
        f"SELECT {pcol} - ? FROM {parent} WHERE {is_int}", (lo,)))
    for batch in _batches(offsets, stop):
        for (offset,) in batch:
            present[offset] = 1
    del offsets
    parent_others: set[Any] = set()
    if others:
        other_keys = run(lambda: dbapi.execute(
            f"SELECT {pcol} FROM {parent} WHERE NOT {is_int} AND {pcol} IS NOT NULL"))
        parent_others = set(map(itemgetter(0), other_keys))
    cursor = run(lambda: dbapi.execute(
        f"SELECT CASE WHEN typeof({ccol}) = 'integer' AND {ccol} BETWEEN ? AND ? THEN {ccol} - ? ELSE -1 END "
        f"FROM {child} WHERE {ccol} IS NOT NULL", (lo, hi, lo)))
    found = Orphans(sample)
    outside = 0
    lookup = present.__getitem__
    for batch in _batches(cursor, stop):
        offs = list(map(itemgetter(0), batch))
        hits = bytes(map(lookup, offs))
        i = hits.find(0)
        if i < 0:
            continue
        missing: set[int] = set()
        misses = 0
        while i >= 0:
            offset = offs[i]
            if offset < 0:
                outside += 1
            else:
                misses += 1
                missing.add(offset)
            i = hits.find(0, i + 1)
        if misses:
            found.add([lo + o for o in heapq.nsmallest(sample, missing)], misses)
    if outside:  # keys outside the range or not integers: grouped by SQLite, matched with the others
        grouped = run(lambda: dbapi.execute(
            f"SELECT {ccol}, count(*) FROM {child} WHERE {ccol} IS NOT NULL "
            f"AND NOT (typeof({ccol}) = 'integer' AND {ccol} BETWEEN ? AND ?) GROUP BY {ccol}", (lo, hi)))
        for batch in _batches(grouped, stop):
            keys = [(k, n) for k, n in batch if k not in parent_others]
            found.add((k for k, _ in keys), sum(n for _, n in keys))
    return found.total, [(k,) for k in found.smallest]


def _by_set(dbapi: Any, run: Callable[[Callable[[], Any]], Any], stop: Callable[[], int], child: str, parent: str,
            child_columns: Sequence[str], parent_columns: Sequence[str],
            sample: int, parent_rows: int | None) -> tuple[int, list[tuple[Any, ...]]] | None:
    single = len(child_columns) == 1
    p_cols, c_cols = ", ".join(parent_columns), ", ".join(child_columns)
    p_nn = " AND ".join(f"{c} IS NOT NULL" for c in parent_columns)
    c_nn = " AND ".join(f"{c} IS NOT NULL" for c in child_columns)
    limit = SET_MAX_KEYS if single else SET_MAX_TUPLES * 2 // len(child_columns)
    # the bound first (unless the parent's size is known to be below it): no set is built that would not fit
    if parent_rows is None or parent_rows > limit:
        count = run(lambda: dbapi.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {parent} WHERE {p_nn} LIMIT ?)", (limit + 1,))).fetchone()[0]
        if count > limit:
            return None
    rows = run(lambda: dbapi.execute(f"SELECT {p_cols} FROM {parent} WHERE {p_nn}"))
    # one-column keys hash as plain values (a third of the memory of 1-tuples), wider keys as tuples
    parents: set[Any] = set(map(itemgetter(0), rows)) if single else set(rows)
    cursor = run(lambda: dbapi.execute(f"SELECT {c_cols} FROM {child} WHERE {c_nn}"))
    found = Orphans(sample)
    for batch in _batches(cursor, stop):
        if single:
            batch = list(map(itemgetter(0), batch))
        missing = set(batch) - parents
        if missing:
            found.add(missing, sum(1 for row in batch if row in missing))
    del parents
    if single:
        return found.total, [(k,) for k in found.smallest]
    return found.total, list(found.smallest)
