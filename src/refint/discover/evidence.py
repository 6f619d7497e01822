"""Evidence measured in the engine: one profile scan per table, one set-based query per candidate.

The profile (:func:`profile`) reads each table once for its row count and, per key-like column, the
non-NULL and distinct counts and (integers) the minimum and maximum: enough to prune candidates whose
values cannot fit (more distinct values than the parent has keys, disjoint ranges) and to find key
candidates of tables that declare none. The verification (:func:`verify`) groups the child's values
first and probes the parent once per distinct value, so its cost is that of ``check``'s grouped anti-join:
distinct values, distinct orphans, orphan rows, all in one row. Nothing proportional to a table's size
reaches Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refint.discover.candidates import type_class
from refint.model import Table

if TYPE_CHECKING:
    from refint.engines.base import Engine


@dataclass(frozen=True)
class ColumnStats:
    non_null: int
    distinct: int
    low: Any = None
    high: Any = None


@dataclass
class TableStats:
    rows: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)

    def unique_columns(self) -> list[str]:
        """Columns whose values are all different and never NULL (a key candidate), when there are rows."""
        if self.rows == 0:
            return []
        return [c for c, s in self.columns.items() if s.non_null == self.rows and s.distinct == self.rows]


def keyable(table: Table) -> list[tuple[str, str]]:
    """(column, type class) of the columns that could hold a key."""
    out = []
    for col in table.columns:
        cls = type_class(col.type)
        if cls is not None:
            out.append((col.name, cls))
    return out


def _int(value: Any) -> int:
    return int(value or 0)


def profile(engine: Engine, table: Table) -> TableStats:
    """Row count and per-column non-NULL/distinct counts (+ min/max of integers), in one scan; the
    distinct count of a column declared unique by itself is its non-NULL count."""
    cols = keyable(table)
    # a column the engine keeps unique on its own has as many distinct values as non-NULL ones: no sort
    # for it (not for files and Spark, whose keys come from a relations file or are information only)
    enforced = engine.capabilities.extra.get("enforces_keys", True) and table.kind != "file"
    unique = {s[0] for s in table.unique_sets() if len(s) == 1} if enforced else set()
    parts = ["count(*)"]
    for name, cls in cols:
        q = engine.quote(name)
        parts += [f"count({q})", f"count({q})" if name in unique else f"count(DISTINCT {q})"]
        if cls == "int":
            parts += [f"min({q})", f"max({q})"]
    row = engine.exec(f"SELECT {', '.join(parts)} FROM {engine.from_table(table)}").fetchone()
    assert row is not None
    stats = TableStats(_int(row[0]))
    i = 1
    for name, cls in cols:
        if cls == "int":
            stats.columns[name] = ColumnStats(_int(row[i]), _int(row[i + 1]), row[i + 2], row[i + 3])
            i += 4
        else:
            stats.columns[name] = ColumnStats(_int(row[i]), _int(row[i + 1]))
            i += 2
    return stats


def unique_tuple(engine: Engine, table: Table, columns: Sequence[str]) -> bool:
    """Whether the column tuple is unique and never NULL in the data (a composite key candidate)."""
    cols = ", ".join(engine.quote(c) for c in columns)
    not_null = " AND ".join(f"{engine.quote(c)} IS NOT NULL" for c in columns)
    src = engine.from_table(table)
    row = engine.exec(f"SELECT (SELECT count(*) FROM {src}), (SELECT count(*) FROM {src} WHERE {not_null}), "
                      f"(SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {src} WHERE {not_null}) d)").fetchone()
    assert row is not None
    total, full, distinct = (_int(v) for v in row)
    return total > 0 and total == full == distinct


@dataclass(frozen=True)
class Inclusion:
    """How the child's values fit the parent's key."""

    distinct: int
    rows: int
    orphan_distinct: int
    orphan_rows: int

    @property
    def matched(self) -> int:
        return self.distinct - self.orphan_distinct


def verify(engine: Engine, child: Table, columns: Sequence[str], parent: Table,
           parent_columns: Sequence[str], known: ColumnStats | None = None) -> Inclusion:
    """Distinct child values (rows with any NULL key column skipped, as MATCH SIMPLE does), distinct values
    missing from the parent and the rows holding them, in one query.

    With the column's distinct and non-NULL counts ``known`` from the profile, the orphans are first
    counted by ``check``'s own path for the key (its anti-join, or its key-range form on dense integer
    keys), so a clean candidate costs what checking the declared key costs; only a candidate with orphans
    groups them to count the distinct ones."""
    q = engine.quote
    if known is not None and len(columns) == 1:
        if not _orphan_rows(engine, child, columns, parent, parent_columns):
            return Inclusion(known.distinct, known.non_null, 0, 0)
        c, p = q(columns[0]), q(parent_columns[0])
        sql = (f"SELECT count(*), sum(o.n) FROM (SELECT c.{c} AS k0, count(*) AS n FROM {engine.from_table(child)} c "
               f"WHERE c.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {engine.from_table(parent)} p "
               f"WHERE p.{p} = c.{c}) GROUP BY c.{c}) o")
        found: Any = engine.exec(sql).fetchone()
        return Inclusion(known.distinct, known.non_null, _int(found[0]), _int(found[1]))
    keys = [f"k{i}" for i in range(len(columns))]
    inner = ", ".join(f"{q(c)} AS {k}" for c, k in zip(columns, keys))
    not_null = " AND ".join(f"{q(c)} IS NOT NULL" for c in columns)
    group = ", ".join(q(c) for c in columns)
    on = " AND ".join(f"p.{q(p)} = g.{k}" for p, k in zip(parent_columns, keys))
    missing = f"p.{q(parent_columns[0])} IS NULL"
    sql = (f"SELECT count(*), sum(g.n), sum(CASE WHEN {missing} THEN 1 ELSE 0 END), "
           f"sum(CASE WHEN {missing} THEN g.n ELSE 0 END) FROM "
           f"(SELECT {inner}, count(*) AS n FROM {engine.from_table(child)} WHERE {not_null} GROUP BY {group}) g "
           f"LEFT JOIN {engine.from_table(parent)} p ON {on}")
    row = engine.exec(sql).fetchone()
    assert row is not None
    return Inclusion(*(_int(v) for v in row))


def _orphan_rows(engine: Engine, child: Table, columns: Sequence[str], parent: Table,
                 parent_columns: Sequence[str]) -> int:
    from refint.check import Checker
    from refint.model import ForeignKey, Schema

    fk = ForeignKey("discover_candidate", tuple(columns), parent.schema, parent.name, tuple(parent_columns))
    checker = Checker(engine, Schema(engine.name, (child, parent) if child.key != parent.key else (child,)), 0)
    return sum(v.count for v in checker.foreign_key(child, fk))


def orphan_sample(engine: Engine, child: Table, columns: Sequence[str], parent: Table,
                  parent_columns: Sequence[str], limit: int = 5) -> list[tuple[Any, ...]]:
    """The smallest few child keys missing from the parent (for the report)."""
    q = engine.quote
    c_cols = [f"c.{q(c)}" for c in columns]
    on = " AND ".join(f"p.{q(p)} = {c}" for p, c in zip(parent_columns, c_cols))
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in c_cols)
    sql = (f"SELECT DISTINCT {', '.join(c_cols)} FROM {engine.from_table(child)} c "
           f"LEFT JOIN {engine.from_table(parent)} p ON {on} WHERE {not_null} AND p.{q(parent_columns[0])} IS NULL "
           f"ORDER BY {', '.join(str(i + 1) for i in range(len(columns)))} LIMIT {int(limit)}")
    return [tuple(r) for r in engine.exec(sql).fetchall()]
