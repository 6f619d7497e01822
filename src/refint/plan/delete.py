"""``refint plan``: what a DELETE or UPDATE would do through every foreign key, without doing it.

Everything is counted by set-based SELECTs inside a read-only transaction; nothing is written and rolled
back. The rows a DELETE removes are described as a predicate per table, built from named CTEs that hold
the referred key values of the removed rows of each parent (one CTE per foreign key). Tables whose
cascades form a cycle (self-references included) are unrolled level by level until the counts stop
growing: the sets only grow, so equal counts at two successive levels mean the fixpoint, exactly.

How each engine checks a key is data (:class:`Rules`), with the documentation it comes from in
docs/plan.md. Where the outcome depends on the order in which the engine visits rows or fires its
triggers, the plan says so (``certain: false`` and an ``order_dependent`` entry) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import networkx as nx

from refint.errors import BadInput, QueryFailed
from refint.model import Action, ForeignKey, Match, Schema, Table
from refint.plan.base import (MAX_LEVELS, Blocked, Plan, Rules, Step, TKey, _Builder, _effective, _is_deferred,
                              _label, _not, _or, _single_scc, _true)
from refint.plan.volatility import refuse_volatile
from refint.sqltext import split_assignments, validate_predicate

if TYPE_CHECKING:
    from refint.engines.base import Engine


# -- entry points ---------------------------------------------------------------------------------------
def plan_delete(engine: Engine, schema: Schema, table: str, where: str, *, sample: int = 3,
                timeout: float | None = None) -> Plan:
    """What ``DELETE FROM table WHERE where`` would remove, null, default or be blocked by."""
    pred = validate_predicate(where, backslash_escapes=engine.name in ("mysql", "mariadb"),
                              escape_strings=engine.name == "postgresql")
    target = schema.table(table)
    with engine.read_only(), engine.cancel_on_interrupt():
        refuse_volatile(engine, [pred])  # before any query runs the predicate
        _parse_check(engine, target, pred)
        rules = Rules.for_engine(engine)
        return _limited(engine, timeout, lambda: _refused(
            rules, schema, target, None, _Delete(engine, schema, target, f"({pred})", rules, sample).run()))


def _limited(engine: Engine, timeout: float | None, run: Callable[[], Plan]) -> Plan:
    """``run`` under ``--timeout`` (the engine's statement timeout; SQLite: a deadline for the whole
    plan); a query the engine stops is one line (QueryFailed), Ctrl-C stays an interrupt."""
    if timeout:
        engine.set_statement_timeout(timeout)
    try:
        return run()
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        orig: Any = getattr(exc, "orig", None)
        if orig is None and not type(exc).__module__.startswith("sqlite3"):
            raise
        if engine.was_cancelled():
            raise KeyboardInterrupt from None
        first = " ".join(str(orig or exc).split("\n")[0].split())
        raise QueryFailed(f"plan: {first}" + (f" (--timeout {timeout:g} s)" if timeout else "")) from exc


def plan_update(engine: Engine, schema: Schema, table: str, assignments: str, where: str, *,
                sample: int = 3, timeout: float | None = None) -> Plan:
    """What ``UPDATE table SET assignments WHERE where`` would change or be blocked by."""
    from refint.plan.update import UpdatePlanner

    slashes = engine.name in ("mysql", "mariadb")
    pg = engine.name == "postgresql"
    pred = validate_predicate(where, backslash_escapes=slashes, escape_strings=pg)
    sets = split_assignments(assignments, backslash_escapes=slashes, escape_strings=pg)
    target = schema.table(table)
    resolved: dict[str, str] = {}
    for col, expr in sets:
        match = [c for c in target.column_names() if c == col] or \
            [c for c in target.column_names() if c.lower() == col.lower()]
        if not match:
            raise BadInput(f"no column {col!r} in table {target.qualified_name}")
        resolved[match[0]] = expr
    with engine.read_only(), engine.cancel_on_interrupt():
        refuse_volatile(engine, [pred, *resolved.values()])  # before any query runs them
        _parse_check(engine, target, pred, resolved)
        rules = Rules.for_engine(engine)
        return _limited(engine, timeout, lambda: _refused(
            rules, schema, target, set(resolved),
            UpdatePlanner(engine, schema, target, f"({pred})", resolved, rules, sample).run()))


def _refused(rules: Rules, schema: Schema, target: Table, assigned: set[str] | None, plan: Plan) -> Plan:
    """SQLite refuses to prepare a statement that needs a dangling key (plan/dangling.py)."""
    if not rules.per_connection or not any(fk.parent_missing for _, fk in schema.foreign_keys):
        return plan
    from dataclasses import replace

    from refint.plan.dangling import sqlite_refusals

    return replace(plan, blocked_by=plan.blocked_by + tuple(sqlite_refusals(schema, target, assigned)))


def _parse_check(engine: Engine, target: Table, pred: str, sets: dict[str, str] | None = None) -> None:
    """Let the engine itself parse the predicate (and assignments) in a read-only SELECT."""
    from refint.sqltext import engine_parses

    exprs = "".join(f", ({e})" for e in (sets or {}).values())
    sql = f"SELECT count(*){exprs} FROM {engine.from_table(target)} WHERE ({pred}) LIMIT 1"
    if sets:
        sql = f"SELECT 1{exprs} FROM {engine.from_table(target)} WHERE ({pred}) LIMIT 1"
    engine_parses(engine, sql, f"malformed predicate on {target.qualified_name}")


# -- DELETE ---------------------------------------------------------------------------------------------
class _Delete:
    def __init__(self, engine: Engine, schema: Schema, target: Table, pred: str, rules: Rules,
                 sample: int, first: set[int] | None = None) -> None:
        self.b = _Builder(engine, schema)
        self.engine, self.schema, self.target, self.base, self.rules = engine, schema, target, pred, rules
        self.sample_n = sample
        self.params: dict[str, Any] = {}
        self.pred: dict[TKey, str] = {}
        self.keys: dict[tuple[TKey, str | None, int], str] = {}
        self.notes: list[str] = []
        self.depth: dict[TKey, int] = {}
        #: only these keys (ids) cascade out of the target itself (InnoDB's earlier keys, plan/innodb.py)
        self.first = first
        #: keys to the partitions and partitioned ancestors of a table count as keys to it (PostgreSQL);
        #: off for the rows an UPDATE moves out of a leaf (plan/partitions.py)
        self.family = True

    def referencing(self, parent: Table) -> list[tuple[Table, ForeignKey]]:
        """The keys whose referred rows lose rows when ``parent`` does: its own, and (PostgreSQL partition
        trees) those to its partitioned ancestors (their rows include the parent's) and to its partitions
        (the parent's rows include theirs)."""
        out = list(self.schema.referencing(parent))
        if self.family and parent.kind in ("partition", "partitioned"):
            for t in self.schema.partition_ancestors(parent) + self.schema.partition_descendants(parent):
                out += self.schema.referencing(t)
        return out

    def label(self, t: Table) -> str:
        return _label(t, self.schema)

    def cascade_graph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        g.add_node(self.target.key)
        frontier = [self.target]
        seen = {self.target.key}
        while frontier:
            parent = frontier.pop()
            for child, fk in self.referencing(parent):
                if self.first is not None and parent.key == self.target.key and id(fk) not in self.first:
                    continue
                if fk.on_delete is Action.CASCADE and _effective(fk.on_delete, self.rules) is Action.CASCADE:
                    g.add_edge(parent.key, child.key, fk=fk, id=id(fk))
                    if child.key not in seen:
                        seen.add(child.key)
                        frontier.append(child)
        return g

    def key_cte(self, parent: Table, fk: ForeignKey) -> str:
        k = (parent.key, fk.name, id(fk))
        if k not in self.keys:
            # a key to a partition of ``parent``: the removed rows that lie in that partition
            source = self.schema.get(fk.referred) if fk.referred != parent.key else None
            if source is None or source not in self.schema.partition_descendants(parent):
                source = parent
            self.keys[k] = self.b.keys_of(source, fk, self.pred[parent.key])
        return self.keys[k]

    def run(self) -> Plan:
        return self.effects(self.closure())

    def closure(self) -> nx.MultiDiGraph:
        """The predicate of the rows removed from every table the cascades reach (``self.pred``)."""
        g = self.cascade_graph()
        cond = nx.condensation(g)
        for comp in nx.topological_sort(cond):
            members = [self.schema.get(k) for k in cond.nodes[comp]["members"]]
            tables = [t for t in members if t is not None]
            cyclic = len(tables) > 1 or g.has_edge(tables[0].key, tables[0].key)
            if cyclic:
                self.unroll(g, tables)
            else:
                t = tables[0]
                parts = [self.base] if t.key == self.target.key else []
                depth = 0
                for p, _, data in g.in_edges(t.key, data=True):
                    parent = self.schema.get(p)
                    assert parent is not None
                    parts.append(self.b.refers(data["fk"], self.key_cte(parent, data["fk"])))
                    depth = max(depth, self.depth.get(p, 0) + 1)
                self.pred[t.key] = _or(parts)
                self.depth[t.key] = depth
        return g

    def unroll(self, g: nx.MultiDiGraph, tables: list[Table]) -> None:
        """Cascades inside a cycle: level k holds rows reached by k steps; stop when nothing grows."""
        inside = {t.key for t in tables}
        external: dict[TKey, list[str]] = {}
        internal: dict[TKey, list[tuple[Table, ForeignKey]]] = {}
        for t in tables:
            parts = [self.base] if t.key == self.target.key else []
            internal[t.key] = []
            for p, _, data in g.in_edges(t.key, data=True):
                parent = self.schema.get(p)
                assert parent is not None
                if p in inside:
                    internal[t.key].append((parent, data["fk"]))
                else:
                    parts.append(self.b.refers(data["fk"], self.key_cte(parent, data["fk"])))
            external[t.key] = parts
        entry = max((self.depth.get(p, 0) + 1 for t in tables for p, _ in g.in_edges(t.key) if p not in inside),
                    default=0)
        if self.rules.recursive_closure:
            from refint.plan.deep import Closure

            closure = Closure(self.b, tables, external, internal)
            self.pred.update(closure.predicates())
            limit = self.rules.trigger_depth
            for t in tables:
                self.depth[t.key] = entry
            if limit is not None and closure.deeper_than(max(limit - entry, 1)):
                for t in tables:
                    self.depth[t.key] = limit
            return
        cap = self.rules.max_cascade_depth
        level = {t.key: _or(external[t.key]) for t in tables}
        counts = {t.key: self.b.count(t, level[t.key], self.params) for t in tables}
        for k in range(1, MAX_LEVELS):
            nxt: dict[TKey, str] = {}
            ctes: dict[tuple[TKey, int], str] = {}
            for t in tables:
                parts = list(external[t.key])
                for parent, fk in internal[t.key]:
                    ck = (parent.key, id(fk))
                    if ck not in ctes:
                        ctes[ck] = self.b.keys_of(parent, fk, level[parent.key])
                    parts.append(self.b.refers(fk, ctes[ck]))
                nxt[t.key] = _or(parts)
            new_counts = {t.key: self.b.count(t, nxt[t.key], self.params) for t in tables}
            level = nxt
            if new_counts == counts or (cap is not None and entry + k >= cap):
                # the fixed point; or rows reached as deep as InnoDB refuses: it stops there, so do we
                for t in tables:
                    self.pred[t.key] = level[t.key]
                    self.depth[t.key] = entry + (k - 1 if new_counts == counts else k)
                return
            counts = new_counts
        raise BadInput(f"cascade through {tables[0].qualified_name} is deeper than {MAX_LEVELS} levels")

    def effects(self, g: nx.MultiDiGraph) -> Plan:
        b, rules = self.b, self.rules
        deleted: dict[str, int] = {}
        # every count in one statement, so the engine computes each CTE of removed keys once
        reqs: list[tuple[Table, str]] = []
        for key, pred in self.pred.items():
            t = self.schema.get(key)
            assert t is not None
            reqs.append((t, pred))
        edges: list[tuple[Table, Table, ForeignKey, Action, str, str, int, int]] = []
        for key in list(self.pred):
            parent = self.schema.get(key)
            assert parent is not None
            for child, fk in self.referencing(parent):
                action = _effective(fk.on_delete, rules)
                hit = b.refers(fk, self.key_cte(parent, fk))
                child_del = self.pred.get(child.key)
                survivors = hit if child_del is None else f"({hit}) AND {_not(child_del)}"
                single = (action is Action.CASCADE and child.key != self.target.key and
                          sum(1 for e in g.in_edges(child.key)) == 1 and not g.has_edge(child.key, child.key)
                          and len(self.referencing(parent)) >= 1 and self.depth.get(child.key, -1) >= 0)
                i_hit = list(self.pred).index(child.key) if single and _single_scc(g, child.key) else len(reqs)
                if i_hit == len(reqs):
                    reqs.append((child, hit))
                i_left = i_hit
                if action is not Action.CASCADE and child_del is not None:
                    i_left = len(reqs)
                    reqs.append((child, survivors))
                edges.append((parent, child, fk, action, hit, survivors, i_hit, i_left))
        numbers = b.counts(reqs, self.params)
        counts: dict[TKey, int] = {}
        for i, key in enumerate(self.pred):
            t = self.schema.get(key)
            assert t is not None
            counts[key] = numbers[i]
            if counts[key] or key == self.target.key:
                deleted[self.label(t)] = counts[key]
        steps: list[Step] = []
        blocked: list[Blocked] = []
        deferred: list[Blocked] = []
        order_dep: list[Blocked] = []
        updated: dict[str, int] = {}
        nulled: dict[TKey, list[tuple[str, ForeignKey]]] = {}
        if rules.max_cascade_depth is not None and any(
                d >= rules.max_cascade_depth and counts.get(k, 0) for k, d in self.depth.items()):
            blocked.append(Blocked(None, self.label(self.target), 0,
                                   f"cascade {rules.max_cascade_depth} levels deep: InnoDB refuses cascades nested "
                                   f"{rules.max_cascade_depth} levels below the statement (error 1296, \"Got error "
                                   "193\": HA_ERR_FK_DEPTH_EXCEEDED)"))
        if rules.trigger_depth is not None and any(
                d >= rules.trigger_depth and counts.get(k, 0) for k, d in self.depth.items()):
            blocked.append(Blocked(None, self.label(self.target), 0,
                                   f"too many levels of trigger recursion: SQLite runs each FK action as a trigger "
                                   f"program, nested at most {rules.trigger_depth} deep (SQLITE_MAX_TRIGGER_DEPTH), "
                                   f"and rows are reached {rules.trigger_depth} or more levels below the statement"))
        for parent, child, fk, action, hit, survivors, i_hit, i_left in edges:
            if True:
                n, left = numbers[i_hit], numbers[i_left]
                if not n:
                    continue
                name = fk.name
                if action is Action.CASCADE:
                    steps.append(Step(self.label(child), name, action.value, n, self.label(parent),
                                      b.sample(child, hit, self.params, self.sample_n)))
                    continue
                if action in (Action.SET_NULL, Action.SET_DEFAULT):
                    if left:
                        steps.append(Step(self.label(child), name, action.value, left, self.label(parent),
                                          b.sample(child, survivors, self.params, self.sample_n)))
                        nulled.setdefault(child.key, []).append((survivors, fk))
                        for other in child.foreign_keys:
                            if (other is not fk and set(other.columns) & set(fk.on_delete_writes)
                                    and action is Action.SET_DEFAULT):
                                self.notes.append(f"not followed: {name} writes columns of {self.label(child)} "
                                                  f"that {other.name} also checks")
                        self.check_set(child, fk, action, left, survivors, blocked, deferred)
                        self.new_values(child, fk, action, survivors, self.pred.get(child.key), blocked, deferred,
                                        order_dep)
                    else:
                        # every row it would rewrite is removed by the statement too: a NULL into a NOT NULL
                        # column fails only if the action reaches a row before its removal
                        null_col = self.null_into_not_null(child, fk, action)
                        if null_col and (rules.no_action_after_actions or
                                         self.order_matters(action, fk, child, hit, check=False)):
                            order_dep.append(Blocked(name, self.label(child), n, f"{action.value} would put NULL into "
                                                     f"NOT NULL column {null_col} of rows the statement also "
                                                     "removes; which comes first depends on row/trigger order"))
                    continue
                # NO ACTION / RESTRICT
                removed = n - left
                if left:
                    rec = Blocked(name, self.label(child), left, f"{left} rows of {self.label(child)} still refer to "
                                  f"deleted rows of {self.label(parent)} ({action.value})")
                    if action is Action.NO_ACTION and _is_deferred(fk, rules):
                        deferred.append(Blocked(name, self.label(child), left, rec.reason, "commit"))
                    else:
                        blocked.append(rec)
                elif removed and self.order_matters(action, fk, child, hit):
                    from refint.plan.innodb import key_order_verdict

                    verdict = key_order_verdict(self, g, counts[self.target.key], parent, child, fk)
                    if verdict is not None:
                        if verdict:
                            blocked.append(Blocked(name, self.label(child), verdict, f"{verdict} rows of "
                                                   f"{self.label(child)} still refer to the deleted row when InnoDB "
                                                   f"checks {action.value} {name}, before the cascades that remove "
                                                   "them (keys are visited in order of database/name bytes)"))
                        continue
                    order_dep.append(Blocked(name, self.label(child), removed,
                                             f"{removed} referencing rows are removed by the same statement; "
                                             f"whether {action.value} sees them first depends on row/trigger "
                                             "order"))
        for key, preds in nulled.items():
            nulled_table = self.schema.get(key)
            assert nulled_table is not None
            child = nulled_table
            updated[self.label(child)] = b.count(child, _or([p for p, _ in preds]), self.params)
            changed = {c for _, f in preds for c in f.on_delete_writes}
            for grand, gfk in self.referencing(child):
                if set(gfk.referred_columns) & changed:
                    self.notes.append(f"not followed: {self.label(child)} key columns changed by SET NULL/DEFAULT "
                                      f"are referred to by {gfk.name} on {self.label(grand)}")
        self.common_notes()
        return Plan("delete", self.label(self.target), counts[self.target.key], deleted, updated, tuple(blocked),
                    tuple(steps), tuple(deferred), tuple(order_dep), tuple(self.notes), self.target.schema)

    def order_matters(self, action: Action, fk: ForeignKey, child: Table, hit: str, check: bool = True) -> bool:
        """Referencing rows exist but the statement removes them all: does the engine see them first?

        InnoDB checks row by row and SQLite fires RESTRICT as each parent row goes, so the visiting order
        decides. PostgreSQL deletes every row the statement names before any RI trigger fires, then runs
        cascades and checks from one queue in trigger order: rows removed directly are safe, rows removed
        by a cascade may be seen before or after the check.
        """
        rules = self.rules
        if check and _is_deferred(fk, rules):  # a deferred key defers its check, never its action
            return False
        if rules.row_by_row or (action is Action.RESTRICT and rules.restrict_per_row):
            return True
        if rules.interleaved_triggers:
            if child.key != self.target.key:
                return True
            cascaded = f"({hit}) AND {_true(self.pred[child.key])} AND {_not(self.base)}"
            return self.b.count(child, cascaded, self.params) > 0
        return False

    @staticmethod
    def null_into_not_null(child: Table, fk: ForeignKey, action: Action) -> str | None:
        """The NOT NULL column SET NULL (or SET DEFAULT with no default) would write NULL into, if any."""
        for c in (child.column(n) for n in fk.on_delete_writes):
            if (action is Action.SET_NULL or c.default is None) and not c.nullable:
                return c.name
        return None

    def check_set(self, child: Table, fk: ForeignKey, action: Action, n: int, rows: str,
                  blocked: list[Blocked], deferred: list[Blocked]) -> None:
        """SET NULL into a NOT NULL column fails; the key SET NULL / SET DEFAULT leaves must have a parent.

        The action writes ``fk.on_delete_writes`` (PostgreSQL 15's column list, else every key column);
        the other key columns keep each row's values, so the new key is checked row by row, like an insert:
        a NULL in it passes (MATCH SIMPLE), MATCH FULL refuses NULL mixed with values (PostgreSQL).
        """
        name = fk.name
        written = fk.on_delete_writes
        new: dict[str, str | None] = {c: (child.column(c).default if action is Action.SET_DEFAULT else None)
                                      for c in written}
        for c, d in new.items():
            if d is None and not child.column(c).nullable:
                blocked.append(Blocked(name, self.label(child), n, f"{action.value} would put NULL into NOT NULL "
                                       f"column {c}"))
                return
        parent = self.schema.get(fk.referred)
        if parent is None:
            return
        exprs = [(f"({new[c]})" if new[c] is not None else "NULL") if c in new else self.b.q(c) for c in fk.columns]
        known = [e for e in exprs if e != "NULL"]
        at = "commit" if _is_deferred(fk, self.rules) else "statement"
        reqs: list[tuple[str, str]] = []
        if self.rules.match_full and fk.match is Match.FULL and len(known) not in (0, len(exprs)):
            reqs.append(("1 = 1", f"MATCH FULL: {action.value} leaves {', '.join(fk.columns)} mixing NULL and "
                                  "non-NULL"))
        elif len(known) == len(exprs):
            tup = ", ".join(exprs) if len(exprs) == 1 else f"({', '.join(exprs)})"
            survivors = f"SELECT {', '.join(self.b.q(c) for c in fk.referred_columns)} FROM " \
                        f"{self.engine.from_table(parent)}"
            ppred = self.pred.get(parent.key)
            if ppred is not None:
                survivors += f" WHERE {_not(ppred)}"
            present = " AND ".join(f"{e} IS NOT NULL" for e in known)
            reqs.append((f"{present} AND {_not(f'{tup} IN ({survivors})')}",
                         f"{action.value} lands on a key with no row in {self.label(parent)}"))
        for cond, reason in reqs:
            bad = self.b.count(child, f"({rows}) AND {cond}", self.params)
            if bad:
                (deferred if at == "commit" else blocked).append(Blocked(name, self.label(child), bad, reason, at))

    def new_values(self, child: Table, fk: ForeignKey, action: Action, rows: str, child_del: str | None,
                   blocked: list[Blocked], deferred: list[Blocked], order_dep: list[Blocked]) -> None:
        """PRIMARY KEY / UNIQUE / CHECK on the values SET NULL / SET DEFAULT writes (plan_keys.py)."""
        from refint.plan.keys import Findings, changed_rows, check_new_values

        cols = [child.column(c) for c in fk.on_delete_writes]
        if action is Action.SET_NULL:
            new = {c.name: "NULL" for c in cols}
        elif all(c.default is not None for c in cols):
            new = {c.name: str(c.default) for c in cols}
        else:
            return  # a NULL default into NOT NULL: check_set reports it
        if sum(1 for f in child.foreign_keys if self.writes(f)) > 1:
            note = (f"not followed: several ON DELETE actions write rows of {self.label(child)}; its keys and "
                    "checks are predicted per action only")
            if note not in self.notes:
                self.notes.append(note)
        untouched = _not(rows) if child_del is None else f"{_not(rows)} AND {_not(child_del)}"
        found = Findings()
        chg = changed_rows(self.b, child, new, f"FROM {self.engine.from_table(child)} WHERE {rows}")
        check_new_values(self.b, self.rules, child, self.label(child), chg, untouched, set(new), found,
                         not_null=False)
        blocked += found.blocked
        deferred += found.deferred
        order_dep += found.order_dep
        self.notes += [n for n in found.notes if n not in self.notes]

    def writes(self, fk: ForeignKey) -> bool:
        """The key's ON DELETE action rewrites child rows, and its parent loses rows in this statement."""
        return (fk.referred in self.pred and
                _effective(fk.on_delete, self.rules) in (Action.SET_NULL, Action.SET_DEFAULT))

    def common_notes(self) -> None:
        if self.rules.per_connection:
            self.notes.append("SQLite enforces these keys only on connections with PRAGMA foreign_keys=ON; "
                              "with it off the statement deletes only the target rows")
