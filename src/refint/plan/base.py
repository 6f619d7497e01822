"""What every part of ``refint plan`` shares: the engine rules, the result classes and the SQL builder.

How each engine checks a key is data (:class:`Rules`), with the documentation it comes from in
docs/plan.md. The builder accumulates named CTEs so every count of a plan runs after one ``WITH``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from refint.model import Action, ForeignKey, Match, Schema, Table

if TYPE_CHECKING:
    from refint.engines.base import Engine

TKey = tuple[str | None, str]
#: levels a cyclic cascade is unrolled to before refint gives up (rows on a chain longer than this)
MAX_LEVELS = 4096


@dataclass(frozen=True)
class Rules:
    """How an engine enforces keys during one statement (docs/plan.md gives the sources)."""

    #: NO ACTION is counted after every action of the statement has run (SQLite's statement counter)
    no_action_after_actions: bool
    #: NO ACTION/RESTRICT checks and cascades run interleaved (PostgreSQL's AFTER trigger queue)
    interleaved_triggers: bool
    #: RESTRICT fires as each parent row goes, before later rows of the same statement (SQLite)
    restrict_per_row: bool
    #: every check happens row by row, as the engine visits rows (InnoDB, DuckDB)
    row_by_row: bool
    #: RESTRICT skips the "another row now has this key" test NO ACTION makes (PostgreSQL, SQLite)
    restrict_no_reprovision: bool
    deferrable: bool
    set_default_works: bool
    #: InnoDB stops cascades nested deeper than this
    max_cascade_depth: int | None = None
    per_connection: bool = False
    #: the keys that refer to a table are visited in byte order of ``database/constraint`` (InnoDB)
    keys_in_id_order: bool = False
    #: MATCH FULL is enforced (a key mixing NULL and non-NULL values is refused: PostgreSQL)
    match_full: bool = False

    @classmethod
    def for_engine(cls, engine: Engine) -> Rules:
        caps = engine.capabilities
        name = engine.name
        return cls(
            no_action_after_actions=name == "sqlite" or caps.foreign_keys_per_connection,
            interleaved_triggers=name == "postgresql",
            restrict_per_row=caps.restrict_is_immediate and name != "postgresql",
            row_by_row=caps.row_by_row_checks,
            restrict_no_reprovision=caps.restrict_is_immediate,
            deferrable=caps.deferrable,
            set_default_works=caps.set_default_works,
            max_cascade_depth=15 if name in ("mysql", "mariadb") else None,
            per_connection=caps.foreign_keys_per_connection,
            keys_in_id_order=name in ("mysql", "mariadb"),
            match_full=Match.FULL in caps.match,
        )


@dataclass(frozen=True)
class Step:
    table: str
    constraint: str | None
    action: str
    rows: int
    parent: str = ""
    sample: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "constraint": self.constraint, "action": self.action, "rows": self.rows,
                "parent": self.parent, "sample": [dict(s) for s in self.sample]}


@dataclass(frozen=True)
class Blocked:
    constraint: str | None
    table: str
    rows: int
    reason: str = ""
    at: str = "statement"

    def to_dict(self) -> dict[str, Any]:
        return {"constraint": self.constraint, "table": self.table, "rows": self.rows, "reason": self.reason,
                "at": self.at}


@dataclass(frozen=True)
class Plan:
    operation: str
    table: str
    rows: int
    deleted: dict[str, int]
    updated: dict[str, int]
    blocked_by: tuple[Blocked, ...] = ()
    steps: tuple[Step, ...] = ()
    deferred_checks: tuple[Blocked, ...] = ()
    order_dependent: tuple[Blocked, ...] = ()
    notes: tuple[str, ...] = ()
    schema: str | None = None

    @property
    def certain(self) -> bool:
        return not self.order_dependent and not any(n.startswith("not followed") for n in self.notes)

    @property
    def ok(self) -> bool:
        """False when the engine would (or, depending on row order, might) reject the statement, and whenever
        the plan is not certain (docs/plan.md: pessimistic)."""
        return not self.blocked_by and not self.order_dependent and self.certain

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "operation": self.operation, "table": self.table, "rows": self.rows,
            "deleted": dict(self.deleted), "updated": dict(self.updated),
            "blocked_by": [b.to_dict() for b in self.blocked_by],
            "steps": [s.to_dict() for s in self.steps],
            "certain": self.certain,
            "order_dependent": [b.to_dict() for b in self.order_dependent],
            "deferred_checks": [b.to_dict() for b in self.deferred_checks],
            "notes": list(self.notes), "schema": self.schema,
        }


def _is_deferred(fk: ForeignKey, rules: Rules) -> bool:
    return rules.deferrable and fk.deferrable and fk.initially_deferred


@dataclass
class _Builder:
    """Accumulates named CTEs and per-table predicates; every query is ``WITH <all so far> SELECT``."""

    engine: Engine
    schema: Schema
    ctes: list[tuple[str, str]] = field(default_factory=list)
    n: int = 0

    def q(self, ident: str) -> str:
        return self.engine.quote(ident)

    def cols(self, names: tuple[str, ...]) -> str:
        inner = ", ".join(self.q(c) for c in names)
        return inner if len(names) == 1 else f"({inner})"

    def cte(self, sql: str) -> str:
        self.n += 1
        name = f"refint_k{self.n}"
        self.ctes.append((name, sql))
        return name

    def with_(self) -> str:
        if not self.ctes:
            return ""
        return "WITH " + ", ".join(f"{n} AS ({s})" for n, s in self.ctes) + " "

    def count(self, table: Table, pred: str, params: dict[str, Any]) -> int:
        sql = f"{self.with_()}SELECT count(*) FROM {self.engine.from_table(table)} WHERE {pred}"
        return int(self.engine.exec(sql, params).scalar() or 0)

    def counts(self, reqs: list[tuple[Table, str]], params: dict[str, Any]) -> list[int]:
        """Many counts in one statement: each CTE is computed once, however many counts use it."""
        if not reqs:
            return []
        cols = ", ".join(f"(SELECT count(*) FROM {self.engine.from_table(t)} WHERE {p}) AS n{i}"
                         for i, (t, p) in enumerate(reqs))
        row = self.engine.exec(f"{self.with_()}SELECT {cols}", params).fetchone()
        assert row is not None
        return [int(v or 0) for v in row]

    def sample(self, table: Table, pred: str, params: dict[str, Any], limit: int) -> tuple[dict[str, Any], ...]:
        if limit <= 0:
            return ()
        key = table.primary_key.columns if table.primary_key else table.column_names()[:3]
        sel = ", ".join(self.q(c) for c in key)
        # no ORDER BY: the engine stops at the first rows found instead of sorting every affected row
        sql = f"{self.with_()}SELECT {sel} FROM {self.engine.from_table(table)} WHERE {pred} LIMIT {int(limit)}"
        return tuple(dict(zip(key, r)) for r in self.engine.exec(sql, params).fetchall())

    def keys_of(self, parent: Table, fk: ForeignKey, pred: str) -> str:
        """A CTE of the referred key values of the ``parent`` rows matching ``pred``."""
        sel = ", ".join(self.q(c) for c in fk.referred_columns)
        return self.cte(f"SELECT {sel} FROM {self.engine.from_table(parent)} WHERE {pred}")

    def refers(self, fk: ForeignKey, cte: str) -> str:
        return f"{self.cols(fk.columns)} IN (SELECT * FROM {cte})"


def _single_scc(g: nx.MultiDiGraph, key: TKey) -> bool:
    """The table is not on a cascade cycle (its predicate is exactly its one incoming edge)."""
    return not any(key in c and len(c) > 1 for c in nx.strongly_connected_components(g))


def _true(pred: str) -> str:
    return f"(CASE WHEN {pred} THEN 1 ELSE 0 END) = 1"


def _not(pred: str) -> str:
    return f"(CASE WHEN {pred} THEN 1 ELSE 0 END) = 0"


def _or(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return "1 = 0"
    return "(" + " OR ".join(f"({p})" for p in parts) + ")"


def _label(t: Table, schema: Schema) -> str:
    """The bare name, unless another schema has a table of that name too."""
    same = [x for x in schema.tables if x.name == t.name]
    return t.name if len(same) <= 1 else t.qualified_name


def _effective(action: Action, rules: Rules) -> Action:
    """InnoDB has no SET DEFAULT: a declared one is stored and behaves as RESTRICT."""
    if action is Action.SET_DEFAULT and not rules.set_default_works:
        return Action.RESTRICT
    return action


def delete_effect(fk: ForeignKey, rules: Rules) -> str:
    """What deleting a parent row does through ``fk`` on this engine, as the report's cascade reach shows it:
    ``cascade``, ``set null``, ``set default``, ``restrict``, ``no action`` or ``deferred`` (a NO ACTION
    key checked at commit). The DELETE planner walks the same actions."""
    action = _effective(fk.on_delete, rules)
    if action is Action.NO_ACTION and _is_deferred(fk, rules):
        return "deferred"
    return action.value.lower()
