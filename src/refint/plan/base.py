"""What every part of ``refint plan`` shares: the engine rules, the result classes and the SQL builder.

How each engine checks a key is data (:class:`Rules`), with the documentation it comes from in
docs/plan.md. The builder accumulates named CTEs so every count of a plan runs after one ``WITH``.
"""

from __future__ import annotations

import re
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
    #: FK actions run as nested trigger programs, at most this deep (SQLite's SQLITE_MAX_TRIGGER_DEPTH)
    trigger_depth: int | None = None
    #: a cascade around a cycle is computed by one recursive query (PostgreSQL, SQLite 3.34+)
    recursive_closure: bool = False

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
            trigger_depth=_sqlite_trigger_depth(engine) if name == "sqlite" else None,
            recursive_closure=name == "postgresql" or (name == "sqlite" and _sqlite_version() >= (3, 34)),
        )


def _sqlite_version() -> tuple[int, ...]:
    import sqlite3

    return sqlite3.sqlite_version_info


def _sqlite_trigger_depth(engine: Engine) -> int:
    """The connection's SQLITE_LIMIT_TRIGGER_DEPTH (default 1000; Python 3.11+ can read it)."""
    import sqlite3

    try:
        return int(engine.dbapi_connection().getlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH))
    except Exception:
        return 1000


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


_CTE_NAME = re.compile(r"\brefint_k\d+\b")
_CTE_USE = re.compile(r"\b(refint_k\d+)\b(\s+AS\s+)?")
#: scalar subqueries per statement (PostgreSQL allows at most 1664 entries in a select list)
COUNTS_PER_STATEMENT = 400


@dataclass
class _Builder:
    """Accumulates named CTEs and per-table predicates; each query is ``WITH <the CTEs it uses> SELECT``.

    A query carries only the CTEs it names (and the ones those name), so its size follows what it asks,
    not how much was built before. Where the engine limits the elements of one WITH clause (MariaDB: 64),
    the earliest CTEs beyond the limit are written in place as derived tables."""

    engine: Engine
    schema: Schema
    ctes: list[tuple[str, str]] = field(default_factory=list)
    n: int = 0
    recursive: set[str] = field(default_factory=set)
    _by_sql: dict[str, str] = field(default_factory=dict)
    _deps: dict[str, list[str]] = field(default_factory=dict)

    def q(self, ident: str) -> str:
        return self.engine.quote(ident)

    def cols(self, names: tuple[str, ...]) -> str:
        inner = ", ".join(self.q(c) for c in names)
        return inner if len(names) == 1 else f"({inner})"

    def reserve(self) -> str:
        """A CTE name for a recursive CTE, whose SQL names itself."""
        self.n += 1
        return f"refint_k{self.n}"

    def cte(self, sql: str, *, recursive: bool = False, name: str | None = None) -> str:
        """A named CTE for ``sql`` (the same SQL twice is one CTE)."""
        if not recursive and sql in self._by_sql:
            return self._by_sql[sql]
        name = name or self.reserve()
        self.ctes.append((name, sql))
        self._deps[name] = [d for d in dict.fromkeys(_CTE_NAME.findall(sql)) if d != name and d in self._deps]
        if recursive:
            self.recursive.add(name)
        else:
            self._by_sql[sql] = name
        return name

    def needed(self, body: str) -> list[str]:
        """The CTEs ``body`` uses, directly or through other CTEs, in definition order."""
        seen: set[str] = set()
        todo = [d for d in _CTE_NAME.findall(body) if d in self._deps]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += self._deps[name]
        return [n for n, _ in self.ctes if n in seen]

    def sql(self, body: str) -> str:
        """``body`` with the WITH clause it needs."""
        names = self.needed(body)
        if not names:
            return body
        text = dict(self.ctes)
        limit = self.engine.max_with_elements
        inline = set(names[: len(names) - limit]) - self.recursive if limit and len(names) > limit else set()
        if inline:
            def expand(sql: str) -> str:
                def sub(m: re.Match[str]) -> str:
                    name = m.group(1)
                    if name not in inline:
                        return m.group(0)
                    return f"({text[name]}) AS " + ("" if m.group(2) else name)
                return _CTE_USE.sub(sub, sql)
            for name in names:  # definition order: a CTE only names earlier ones
                text[name] = expand(text[name])
            body = expand(body)
        kept = [n for n in names if n not in inline]
        word = "WITH RECURSIVE " if self.recursive & set(kept) else "WITH "
        return word + ", ".join(f"{n} AS ({text[n]})" for n in kept) + " " + body

    def count(self, table: Table, pred: str, params: dict[str, Any]) -> int:
        sql = self.sql(f"SELECT count(*) FROM {self.engine.from_table(table)} WHERE {pred}")
        return int(self.engine.exec(sql, params).scalar() or 0)

    def counts(self, reqs: list[tuple[Table, str]], params: dict[str, Any]) -> list[int]:
        """Many counts in one statement: each CTE is computed once, however many counts use it."""
        out: list[int] = []
        for batch in self.batches([f"(SELECT count(*) FROM {self.engine.from_table(t)} WHERE {p})" for t, p in reqs]):
            row = self.engine.exec(self.sql("SELECT " + ", ".join(batch)), params).fetchone()
            assert row is not None
            out += [int(v or 0) for v in row]
        return out

    def batches(self, items: list[str]) -> list[list[str]]:
        """Select-list items in statements that stay within the engine's limits: at most
        ``COUNTS_PER_STATEMENT`` items, and at most the engine's WITH elements (the items sharing CTEs
        stay together while they fit)."""
        limit = self.engine.max_with_elements
        out: list[list[str]] = []
        cur: list[str] = []
        names: set[str] = set()
        for item in items:
            mine = set(self.needed(item))
            if cur and (len(cur) >= COUNTS_PER_STATEMENT or (limit and len(names | mine) > limit)):
                out.append(cur)
                cur, names = [], set()
            cur.append(item)
            names |= mine
        if cur:
            out.append(cur)
        return out

    def sample(self, table: Table, pred: str, params: dict[str, Any], limit: int) -> tuple[dict[str, Any], ...]:
        if limit <= 0:
            return ()
        key = table.primary_key.columns if table.primary_key else table.column_names()[:3]
        sel = ", ".join(self.q(c) for c in key)
        # no ORDER BY: the engine stops at the first rows found instead of sorting every affected row
        sql = self.sql(f"SELECT {sel} FROM {self.engine.from_table(table)} WHERE {pred} LIMIT {int(limit)}")
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
