"""Cascades around a cycle to any depth, in one recursive query (``refint plan delete``).

A strongly connected component of the ON DELETE CASCADE graph (a self-reference counts) removes rows
level by level: a row goes when a key of its inside the component refers to a removed row. Unrolled as
nested CTEs, level k costs a query over k CTEs, which a 10,000-level chain turns into 50 million CTE
evaluations (and MariaDB's thread stack overflows near 256, error 1436). PostgreSQL and SQLite compute the
closure instead in one ``WITH RECURSIVE`` whose rows are the removed rows' referred key values, tagged by
table (``refint_t``), one column per (table, referred column) (``refint_c<i>``), NULL in the other
tables' columns. ``UNION`` drops rows seen before, so the query ends at the fixed point, exactly, at any
depth: PostgreSQL and SQLite evaluate a recursive CTE iteratively (a work table per level), not on the
stack.

Where the engine itself limits the depth, the plan says so: SQLite runs each FK action as a trigger
program nested in the one that fired it, and refuses the statement with "too many levels of trigger
recursion" once a row is reached ``SQLITE_MAX_TRIGGER_DEPTH`` (1000) levels below the statement
(measured: a self-referencing chain of 1000 rows deletes, 1001 rows fail). Whether some row lies that
deep is a second recursive query bounded by the limit (rows reached within ``limit - 1`` levels, counted
against the closure). InnoDB refuses cascades 15 levels deep: its component is unrolled level by level
only up to there (``_Delete.unroll``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refint.model import ForeignKey, Table
from refint.plan.base import TKey, _or

if TYPE_CHECKING:
    from refint.plan.base import _Builder


class Closure:
    """The recursive CTE of one cyclic component, and the predicate of each member's removed rows."""

    def __init__(self, b: _Builder, tables: list[Table], external: dict[TKey, list[str]],
                 internal: dict[TKey, list[tuple[Table, ForeignKey]]]) -> None:
        self.b, self.tables, self.external, self.internal = b, tables, external, internal
        self.eng = b.engine
        needed: dict[TKey, list[str]] = {t.key: [] for t in tables}
        for t in tables:
            for parent, fk in internal[t.key]:
                for c in fk.referred_columns:
                    if c not in needed[parent.key]:
                        needed[parent.key].append(c)
        self.slots = [(t, c) for t in tables for c in needed[t.key]]
        self.pos = {(t.key, c): f"refint_c{i}" for i, (t, c) in enumerate(self.slots)}
        self.tag = {t.key: i for i, t in enumerate(tables)}

    def row(self, t: Table, alias: str, depth: str | None = None) -> str:
        parts = [f"{self.tag[t.key]} AS refint_t"]
        for u, c in self.slots:
            name = self.pos[(u.key, c)]
            if u.key == t.key:
                parts.append(f"{alias}.{self.b.q(c)} AS {name}")
            elif self.eng.name == "postgresql":  # a UNION's column types come from its first rows
                parts.append(f"CAST(NULL AS {u.column(c).type}) AS {name}")
            else:
                parts.append(f"NULL AS {name}")
        if depth is not None:
            parts.append(f"{depth} AS refint_d")
        return ", ".join(parts)

    def query(self, name: str, bound: int | None = None) -> str:
        """``WITH RECURSIVE name AS (...)``'s body; ``bound``: also a level column, up to that level."""
        q, src = self.b.q, self.eng.from_table
        anchors = [f"SELECT {self.row(t, q(t.name), '0' if bound is not None else None)} FROM {src(t)} AS "
                   f"{q(t.name)} WHERE {_or(self.external[t.key])}" for t in self.tables]
        arms = []
        for t in self.tables:
            for i, (parent, fk) in enumerate(self.internal[t.key]):
                alias = f"refint_a{i}"
                on = " AND ".join(f"{alias}.{q(c)} = refint_r.{self.pos[(parent.key, rc)]}"
                                  for c, rc in zip(fk.columns, fk.referred_columns))
                depth = "refint_r.refint_d + 1" if bound is not None else None
                cond = f"refint_r.refint_t = {self.tag[parent.key]} AND {on}"
                if bound is not None:
                    cond += f" AND refint_r.refint_d < {bound}"
                arms.append((f"SELECT {self.row(t, alias, depth)} FROM {src(t)} AS {alias}", cond))
        if len(arms) == 1:
            sel, cond = arms[0]
            step = f"{sel} JOIN {name} AS refint_r ON {cond}"
        elif self.eng.name == "postgresql":
            # PostgreSQL allows one recursive reference: the arms read it through one LATERAL join
            inner = " UNION ALL ".join(f"{sel} WHERE {cond}" for sel, cond in arms)
            step = f"SELECT refint_x.* FROM {name} AS refint_r CROSS JOIN LATERAL ({inner}) AS refint_x"
        else:  # SQLite 3.34+: several recursive SELECTs, each reading the queue once
            step = " UNION ".join(f"{sel} JOIN {name} AS refint_r ON {cond}" for sel, cond in arms)
        return f"{' UNION '.join(anchors)} UNION {step}"

    def predicates(self) -> dict[TKey, str]:
        name = self.b.reserve()
        self.b.cte(self.query(name), recursive=True, name=name)
        self.name = name
        out = {}
        for t in self.tables:
            parts = list(self.external[t.key])
            for parent, fk in self.internal[t.key]:
                cols = ", ".join(self.pos[(parent.key, c)] for c in fk.referred_columns)
                parts.append(f"{self.b.cols(fk.columns)} IN (SELECT {cols} FROM {name} "
                             f"WHERE refint_t = {self.tag[parent.key]})")
            out[t.key] = _or(parts)
        return out

    def deeper_than(self, limit: int) -> bool:
        """Whether some removed row is first reached ``limit`` or more levels below the component's
        entry: the rows reached within ``limit - 1`` levels are fewer than the closure."""
        bounded = self.b.reserve()
        self.b.cte(self.query(bounded, bound=limit - 1), recursive=True, name=bounded)
        cols = ", ".join(["refint_t"] + [self.pos[(t.key, c)] for t, c in self.slots])
        sql = self.b.sql(f"SELECT (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {self.name}) AS refint_a) - "
                         f"(SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {bounded}) AS refint_b)")
        return int(self.eng.exec(sql, {}).scalar() or 0) > 0
