"""How an UPDATE ripples through ON UPDATE actions, level by level, to any depth (``refint plan update``).

For every table the statement reaches, the rows it changes are one CTE (the shape of
:func:`refint.plan.keys.changed_rows`: each column's new value under its own name, the old values as
``refint_o<i>``, plus a ``refint_w<i>`` flag per writer). A table's writers are the statement itself (the
target's assignments) and every ON UPDATE CASCADE / SET NULL / SET DEFAULT key whose parent's referred
columns change; each such key joins the child against a CTE of the parent's (old key, new key) pairs
(``refint_mo<j>``, ``refint_mn<j>``), so a CASCADE copies the new key of the matched parent row, SET NULL
writes NULL and SET DEFAULT the column default. Tables are visited in topological order of the strongly
connected components of this graph; a component with a cycle (a self-reference counts) is iterated:
level k joins against the pairs of level k-1 until the pairs are the same set at two successive levels,
which is the fixed point exactly (the next level would be built from the same pairs).

Engine rules (docs/plan.md, each verified live on SQLite 3, PostgreSQL 15 and MariaDB 10.11):

- SQLite and PostgreSQL apply cascades fully, self-references and cycles included.
- InnoDB refuses an ON UPDATE CASCADE / SET NULL that would update a table an enclosing cascade (or the
  statement) already updates, with error 1451 "Cannot delete or update a parent row: a foreign key
  constraint fails", and cascades 15 levels deep with "Cannot delete/update rows with cascading foreign
  key constraints that exceed max depth of 15" (14 levels below the statement pass).
- InnoDB checks a rewritten row's other foreign keys at once: a new key that only exists because the same
  statement changes another parent row depends on row order (a two-path natural-key cascade fails).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from refint.errors import BadInput
from refint.model import Action, ForeignKey, Match, Table
from refint.plan.base import MAX_LEVELS, Blocked, Step, TKey, _effective, _is_deferred, _not, _or, _true
from refint.plan.keys import Findings, _mentions, _null_safe_eq, check_new_values, old_alias

if TYPE_CHECKING:
    from refint.plan.update import UpdatePlanner

WRITES = (Action.CASCADE, Action.SET_NULL, Action.SET_DEFAULT)


@dataclass(frozen=True)
class Writer:
    parent: Table
    fk: ForeignKey
    action: Action
    pairs: str  # CTE: refint_mo<j> (old referred key), refint_mn<j> (new)


@dataclass
class State:
    """The rows of one table the statement changes, and how."""

    chg: str
    pred: str  # predicate over the table: the row is changed
    writers: list[Writer]
    depth: int = 0
    pairs: dict[tuple[str | None, ...], str] = field(default_factory=dict)


class Ripple:
    def __init__(self, up: UpdatePlanner) -> None:
        self.up, self.b, self.schema, self.rules = up, up.b, up.schema, up.rules
        self.t, self.engine = up.target, up.engine
        self.state: dict[TKey, State] = {}
        self.edges: list[tuple[Table, Table, ForeignKey, Action]] = []
        self.written: dict[TKey, set[str]] = {}
        self.ends_cache: dict[tuple[TKey, tuple[str, ...]], str] = {}
        #: keys to a partition of a changed table: the partition (only rows that stay in it count)
        self.within: dict[int, Table] = {}

    # -- the graph of keys that write ------------------------------------------------------------------
    def graph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        g.add_node(self.t.key)
        self.written = {self.t.key: set(self.up.sets)}
        seen: set[tuple[TKey, int]] = set()
        grew = True
        while grew:
            grew = False
            for pkey in list(self.written):
                parent = self.schema.get(pkey)
                assert parent is not None
                for child, fk in self.family(parent):
                    action = _effective(fk.on_update, self.rules)
                    if action not in WRITES or not set(fk.referred_columns) & self.written[pkey]:
                        continue
                    if (pkey, id(fk)) not in seen:
                        seen.add((pkey, id(fk)))
                        g.add_edge(pkey, child.key, fk=fk)
                        self.edges.append((parent, child, fk, action))
                    cols = self.written.setdefault(child.key, set())
                    if not set(fk.columns) <= cols:
                        cols |= set(fk.columns)
                        grew = True
        return g

    def family(self, parent: Table) -> list[tuple[Table, ForeignKey]]:
        """The keys a change of ``parent``'s rows reaches: its own, and (PostgreSQL partition trees) those
        to its partitioned ancestors (its rows are theirs) and to its partitions (for the rows that stay
        in them: ``self.within``; rows that move out of a partition are deleted from it, plan/partitions.py)."""
        out = list(self.schema.referencing(parent))
        if parent.kind in ("partition", "partitioned") and self.engine.name == "postgresql":
            for t in self.schema.partition_ancestors(parent):
                out += self.schema.referencing(t)
            for t in self.schema.partition_descendants(parent):
                for child, fk in self.schema.referencing(t):
                    self.within[id(fk)] = t
                    out.append((child, fk))
        return out

    # -- SQL pieces ------------------------------------------------------------------------------------
    def distinct(self, a: str, b: str) -> str:
        return f"NOT ({_null_safe_eq(self.engine.name, a, b)})"

    def image(self, table: Table, col: str, expr: str) -> str:
        """The value whose change makes the engine fire ON UPDATE actions of a referred key.

        PostgreSQL compares the referenced key's binary image (``ri_KeysEqual``, ``datum_image_eq``): its
        text output under the C collation tells ``-0``/``0``, ``1.0``/``1.00``, ``a``/``A`` in citext or a
        nondeterministic collation apart. InnoDB compares the stored bytes
        (``row_upd_changes_first_fields_binary``): for character columns, code points without padding
        (CHAR drops trailing spaces). SQLite compares with the column's collation (``old.k IS new.k``).
        """
        name = self.engine.name
        if name == "postgresql":
            return f'CAST({expr} AS text) COLLATE "C"'
        if name in ("mysql", "mariadb"):
            typ = table.column(col).type.upper()
            if typ.startswith("CHAR"):
                return f"CONVERT(RTRIM({expr}) USING utf8mb4) COLLATE utf8mb4_nopad_bin"
            if typ.startswith("VARCHAR") or typ.endswith("TEXT"):
                return f"CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_nopad_bin"
        return expr

    def pairs_of(self, table: Table, chg: str, cols: tuple[str, ...], within: Table | None = None) -> str:
        """CTE of (old, new) values of ``cols`` for the changed rows whose ``cols`` change (:meth:`image`;
        ``within``: and that lie in that partition before and after)."""
        idx = {c.name: i for i, c in enumerate(table.columns)}
        q = self.b.q
        sel = ", ".join([f"{old_alias(idx[c])} AS refint_mo{j}" for j, c in enumerate(cols)] +
                        [f"{q(c)} AS refint_mn{j}" for j, c in enumerate(cols)])
        moved = " OR ".join(self.distinct(self.image(table, c, old_alias(idx[c])), self.image(table, c, q(c)))
                            for c in cols)
        present = " AND ".join(f"{old_alias(idx[c])} IS NOT NULL" for c in cols)
        inside = ""
        if within is not None:
            from refint.plan.partitions import stays_in

            inside = " AND " + stays_in(self.b, table, within)
        return self.b.cte(f"SELECT {sel} FROM {chg} WHERE ({moved}) AND {present}{inside}")

    def olds(self, pairs: str, n: int) -> str:
        return f"SELECT {', '.join(f'refint_mo{j}' for j in range(n))} FROM {pairs}"

    def hit(self, fk: ForeignKey, pairs: str) -> str:
        return f"{self.b.cols(fk.columns)} IN ({self.olds(pairs, len(fk.columns))})"

    def value(self, w: Writer, col: str, alias: str, table: Table) -> str:
        j = w.fk.columns.index(col)
        if w.action is Action.CASCADE:
            return f"{alias}.refint_mn{j}"
        if w.action is Action.SET_NULL:
            return "NULL"
        default = table.column(col).default
        return f"({default})" if default is not None else "NULL"

    def build(self, table: Table, writers: list[Writer], depth: int) -> State:
        """The changed-rows CTE of ``table`` given its writers (and the statement, for the target)."""
        b, q = self.b, self.b.q
        base = table.key == self.t.key
        name = q(table.name)
        joins, matched = [], []
        for i, w in enumerate(writers):
            al = f"refint_j{i}"
            on = " AND ".join(f"{name}.{q(c)} = {al}.refint_mo{j}" for j, c in enumerate(w.fk.columns))
            joins.append(f"LEFT JOIN {w.pairs} AS {al} ON {on}")
            matched.append(f"{al}.refint_mo0 IS NOT NULL")
        written = set(self.up.sets) if base else set()
        for w in writers:
            written |= set(w.fk.columns)
        parts = []
        for c in table.columns:
            if c.name in written:
                whens = [f"WHEN {matched[i]} THEN {self.value(w, c.name, f'refint_j{i}', table)}"
                         for i, w in enumerate(writers) if c.name in w.fk.columns]
                if base and c.name in self.up.sets:
                    whens.append(f"WHEN {_true(self.up.base)} THEN ({self.up.sets[c.name]})")
                expr = f"(CASE {' '.join(whens)} ELSE {name}.{q(c.name)} END)"
                if self.engine.name == "postgresql":
                    expr = f"CAST({expr} AS {c.type})"
            else:
                expr = f"{name}.{q(c.name)}"
            parts.append(f"{expr} AS {q(c.name)}")
        parts += [f"{name}.{q(c.name)} AS {old_alias(i)}" for i, c in enumerate(table.columns)]
        parts += [f"(CASE WHEN {m} THEN 1 ELSE 0 END) AS refint_w{i}" for i, m in enumerate(matched)]
        # each writer's own value, to tell two writers that agree on a shared column from two that do not
        for i, w in enumerate(writers):
            for j, name_ in enumerate(w.fk.columns):
                v = f"(CASE WHEN {matched[i]} THEN {self.value(w, name_, f'refint_j{i}', table)} END)"
                if self.engine.name == "postgresql":  # an untyped NULL would be text
                    v = f"CAST({v} AS {table.column(name_).type})"
                parts.append(f"{v} AS refint_v{i}_{j}")
        if base:
            parts.append(f"(CASE WHEN {self.up.base} THEN 1 ELSE 0 END) AS refint_base")
        where = _or(([self.up.base] if base else []) + matched)
        src = f"FROM {self.engine.from_table(table)} AS {name} {' '.join(joins)} WHERE {where}"
        chg = b.cte(f"SELECT {', '.join(parts)} {src}")
        pred = _or(([self.up.base] if base else []) + [self.hit(w.fk, w.pairs) for w in writers])
        return State(chg, pred, writers, depth)

    def pairs(self, table: Table, cols: tuple[str, ...], fk: ForeignKey | None = None) -> str:
        st = self.state[table.key]
        within = self.within.get(id(fk)) if fk is not None else None
        key: tuple[str | None, ...] = cols if within is None else (*cols, "\0", *within.key)
        if key not in st.pairs:
            st.pairs[key] = self.pairs_of(table, st.chg, cols, within)
        return st.pairs[key]

    def ends(self, table: Table, cols: tuple[str, ...]) -> str:
        """SELECT of the values of ``cols`` ``table`` holds after the statement."""
        sel = ", ".join(self.b.q(c) for c in cols)
        src = self.engine.from_table(table)
        st = self.state.get(table.key)
        if st is None:
            return self.tree_ends(table, cols)
        key = (table.key, cols)
        if key not in self.ends_cache:
            self.ends_cache[key] = self.b.cte(f"SELECT {sel} FROM {src} WHERE {_not(st.pred)} "
                                              f"UNION ALL SELECT {sel} FROM {st.chg}")
        return f"SELECT * FROM {self.ends_cache[key]}"

    def tree_ends(self, table: Table, cols: tuple[str, ...]) -> str:
        """The end state of a partitioned table one of whose partitions the statement changes (PostgreSQL):
        its rows but the changed ones (by primary key), and their new values."""
        sel = ", ".join(self.b.q(c) for c in cols)
        src = self.engine.from_table(table)
        below = [d for d in self.schema.partition_descendants(table) if d.key in self.state]
        above = [a for a in self.schema.partition_ancestors(table) if a.key in self.state]
        changed = below or above
        pk = table.primary_key.columns if table.primary_key else ()
        if len(changed) != 1 or not pk or changed[0].primary_key is None or changed[0].primary_key.columns != pk:
            return f"SELECT {sel} FROM {src}"
        part = changed[0]
        st = self.state[part.key]
        idx = {c.name: i for i, c in enumerate(part.columns)}
        olds = ", ".join(old_alias(idx[c]) for c in pk)
        # a partition of the changed table keeps the changed rows whose new values lie in it
        lands = ""
        if above:
            from refint.plan.partitions import _is_in

            lands = f" AS {self.b.q(table.name)} WHERE {_is_in(self.b, table)}"
        key = (table.key, cols)
        if key not in self.ends_cache:
            self.ends_cache[key] = self.b.cte(
                f"SELECT {sel} FROM {src} WHERE {_not(f'{self.b.cols(pk)} IN (SELECT {olds} FROM {st.chg})')} "
                f"UNION ALL SELECT {sel} FROM {st.chg}{lands}")
        return f"SELECT * FROM {self.ends_cache[key]}"

    # -- propagation -----------------------------------------------------------------------------------
    def propagate(self) -> None:
        g = self.graph()
        cond = nx.condensation(g)
        for comp in nx.topological_sort(cond):
            members = [self.schema.get(k) for k in cond.nodes[comp]["members"]]
            tables = [t for t in members if t is not None]
            inside = {t.key for t in tables}
            external: dict[TKey, list[Writer]] = {}
            internal: dict[TKey, list[tuple[Table, ForeignKey, Action]]] = {}
            depth: dict[TKey, int] = {}
            for t in tables:
                external[t.key], internal[t.key], depth[t.key] = [], [], 0
                for parent, child, fk, action in self.edges:
                    if child.key != t.key:
                        continue
                    if parent.key in inside:
                        internal[t.key].append((parent, fk, action))
                    elif parent.key in self.state:
                        external[t.key].append(Writer(parent, fk, action, self.pairs(parent, fk.referred_columns, fk)))
                        depth[t.key] = max(depth[t.key], self.state[parent.key].depth + 1)
            cyclic = len(tables) > 1 or any(internal[t.key] for t in tables)
            if not cyclic:
                t = tables[0]
                if external[t.key] or t.key == self.t.key:
                    self.state[t.key] = self.build(t, external[t.key], depth[t.key])
                continue
            self.unroll(tables, external, internal, depth)

    def unroll(self, tables: list[Table], external: dict[TKey, list[Writer]],
               internal: dict[TKey, list[tuple[Table, ForeignKey, Action]]], depth: dict[TKey, int]) -> None:
        prev: dict[tuple[TKey, int], str] = {}
        for t in tables:
            self.state[t.key] = self.build(t, external[t.key], depth[t.key])
        for level in range(1, MAX_LEVELS):
            cur: dict[tuple[TKey, int], str] = {}
            for t in tables:
                for parent, fk, _ in internal[t.key]:
                    cur[(parent.key, id(fk))] = self.pairs_of(parent, self.state[parent.key].chg, fk.referred_columns)
            if level > 1 and self.same(cur, prev):
                return
            prev = cur
            for t in tables:
                ws = list(external[t.key]) + [Writer(p, fk, a, cur[(p.key, id(fk))]) for p, fk, a in internal[t.key]]
                self.state[t.key] = self.build(t, ws, depth[t.key] + level)
        raise BadInput(f"ON UPDATE cascade through {tables[0].qualified_name} is deeper than {MAX_LEVELS} levels")

    def same(self, cur: dict[tuple[TKey, int], str], prev: dict[tuple[TKey, int], str]) -> bool:
        """The pairs of every internal key are the same sets at two successive levels."""
        parts = []
        for k, a in cur.items():
            old = prev[k]
            cols = self._pair_cols(a)
            match = " AND ".join(_null_safe_eq(self.engine.name, f"refint_p.{c}", f"refint_q.{c}") for c in cols)
            parts.append(f"(SELECT count(*) FROM {a}) - (SELECT count(*) FROM {old})")
            parts.append(f"(SELECT count(*) FROM {a} AS refint_p WHERE NOT EXISTS "
                         f"(SELECT 1 FROM {old} AS refint_q WHERE {match}))")
        row = self.engine.exec(self.b.sql(f"SELECT {', '.join(parts)}"), {}).fetchone()
        assert row is not None
        return all(int(v or 0) == 0 for v in row)

    def _pair_cols(self, pairs: str) -> list[str]:
        sql = next(s for n, s in self.b.ctes if n == pairs)
        n = sql.count(" AS refint_mo")
        return [f"refint_mo{j}" for j in range(n)] + [f"refint_mn{j}" for j in range(n)]

    # -- what the changed rows do ------------------------------------------------------------------------
    def effects(self, steps: list[Step], updated: dict[str, int]) -> None:
        up, b = self.up, self.b
        tables = [t for t in (self.schema.get(k) for k in self.state) if t is not None]
        reqs: list[tuple[Table, str]] = []
        for t in tables:
            st = self.state[t.key]
            reqs.append((t, st.pred))
            reqs += [(t, self.hit(w.fk, w.pairs)) for w in st.writers]
        numbers = iter(b.counts(reqs, up.params))
        hits: dict[tuple[TKey, int], int] = {}
        for t in tables:
            st = self.state[t.key]
            n = next(numbers)
            if t.key != self.t.key:
                if n:
                    updated[up.label(t)] = n
            elif st.writers:
                updated[up.label(t)] = n
            for w in st.writers:
                k = next(numbers)
                hits[(t.key, id(w.fk))] = k
                if k:
                    steps.append(Step(up.label(t), w.fk.name, w.action.value, k, up.label(w.parent),
                                      b.sample(t, self.hit(w.fk, w.pairs), up.params, up.sample_n)))
        for t in tables:
            st = self.state[t.key]
            self.innodb(t, st, hits)
            self.overlaps(t, st, hits)
            for w in st.writers:
                if w.action is not Action.CASCADE and hits[(t.key, id(w.fk))]:
                    self.check_set(t, w, hits[(t.key, id(w.fk))])
            self.referencing(t, st)
            self.outgoing(t, st)
            self.new_values(t, st)

    def innodb(self, t: Table, st: State, hits: dict[tuple[TKey, int], int]) -> None:
        """InnoDB: no cascade back into a table the cascade already updates; at most 14 levels below."""
        rules = self.rules
        if rules.max_cascade_depth is None:
            return
        active = [w for w in st.writers if hits[(t.key, id(w.fk))]]
        if not active:
            return
        if st.depth >= rules.max_cascade_depth:
            self.up.blocked.append(Blocked(None, self.up.label(self.t), 0, f"cascade {rules.max_cascade_depth} "
                                           "levels deep (InnoDB limit: 14 levels below the statement)"))
        for w in active:
            if w.parent.key == t.key:
                self.up.blocked.append(Blocked(w.fk.name, self.up.label(t), hits[(t.key, id(w.fk))], "InnoDB refuses "
                                               f"ON UPDATE {w.action.value} into the table it is updating "
                                               "(error 1451)"))
            elif self.in_cycle(w.parent, t):
                comp = self.component(t)
                entries = [k for k in comp if any(x.parent.key not in comp for x in self.state[k].writers)
                           or k == self.t.key]
                if len(comp) == 2 and len(entries) == 1 and entries[0] != t.key:
                    continue  # entry -> other table: a simple path so far
                if len(comp) == 2 and len(entries) == 1:
                    self.up.blocked.append(Blocked(w.fk.name, self.up.label(t), hits[(t.key, id(w.fk))],
                                                   f"InnoDB refuses ON UPDATE {w.action.value} back into "
                                                   f"{self.up.label(t)}, which the cascade already updates "
                                                   "(error 1451)"))
                else:
                    self.note(f"not followed: {w.fk.name} carries an ON UPDATE cascade around a cycle; InnoDB "
                              "refuses it (error 1451) when it returns to a table the same cascade updated, "
                              "which depends on the path of each row")

    def component(self, t: Table) -> set[TKey]:
        g = nx.DiGraph()
        for parent, child, _, _ in self.edges:
            g.add_edge(parent.key, child.key)
        return next(c for c in nx.strongly_connected_components(g) if t.key in c)

    def in_cycle(self, parent: Table, t: Table) -> bool:
        return parent.key in self.component(t)

    def note(self, text: str) -> None:
        if text not in self.up.notes:
            self.up.notes.append(text)

    def overlaps(self, t: Table, st: State, hits: dict[tuple[TKey, int], int]) -> None:
        """Rows written by two writers with different values for one column, or rows the statement both
        assigns and a cascade rewrites where the order of the two matters: not modelled."""
        names = [(f"refint_w{i}", set(w.fk.columns), w.fk.name) for i, w in enumerate(st.writers)
                 if hits[(t.key, id(w.fk))]]
        reqs: list[tuple[str, str]] = []
        if t.key == self.t.key:
            read = set(self.up.sets) | {c.name for c in t.columns
                                        if any(_mentions(e, {c.name}) for e in self.up.sets.values())}
            for flag, cols, name in names:
                if cols & read:
                    reqs.append((f"SELECT count(*) FROM {st.chg} WHERE refint_base = 1 AND {flag} = 1",
                                 f"not followed: {name} rewrites columns of {self.up.label(t)} that the statement "
                                 "also assigns or reads in the same rows; the result depends on row order"))
        innodb: list[tuple[str | None, str | None, int]] = []
        for i, (fa, ca, na) in enumerate(names):
            for fb, cb, nb in names[i + 1:]:
                if not ca & cb:
                    continue
                wa, wb = self.writer_of(st, fa), self.writer_of(st, fb)
                differ = " OR ".join(
                    f"NOT ({_null_safe_eq(self.engine.name, f'refint_v{fa[8:]}_{wa.fk.columns.index(c)}', f'refint_v{fb[8:]}_{wb.fk.columns.index(c)}')})"
                    for c in sorted(ca & cb))
                both = f"FROM {st.chg} WHERE {fa} = 1 AND {fb} = 1"
                reqs.append((f"SELECT count(*) {both} AND ({differ})",
                             f"not followed: {na} and {nb} write different values into "
                             f"({', '.join(sorted(ca & cb))}) of the same rows of {self.up.label(t)}"))
                if self.rules.row_by_row:
                    innodb.append((na, nb, len(reqs)))
                    reqs.append((f"SELECT count(*) {both}", ""))
        if not reqs:
            return
        row = self.engine.exec(self.b.sql("SELECT " + ", ".join(f"({s})" for s, _ in reqs)), {}).fetchone()
        assert row is not None
        for (_, text), n in zip(reqs, row):
            if n and text:
                self.note(text)
        for na, nb, k in innodb:
            if row[k]:
                self.up.order_dep.append(Blocked(nb, self.up.label(t), int(row[k]), f"{na} and {nb} both rewrite "
                                                 "these rows; InnoDB writes the row once per key and checks the "
                                                 "other key in between (error 1452 seen in every order tried)"))

    @staticmethod
    def writer_of(st: State, flag: str) -> Writer:
        return st.writers[int(flag[len("refint_w"):])]

    def check_set(self, t: Table, w: Writer, n: int) -> None:
        fk, action = w.fk, w.action
        cols = [t.column(c) for c in fk.columns]
        defaults = [c.default if action is Action.SET_DEFAULT else None for c in cols]
        for c, d in zip(cols, defaults):
            if d is None and not c.nullable:
                self.up.blocked.append(Blocked(fk.name, self.up.label(t), n, f"{action.value} would put NULL into "
                                               f"NOT NULL column {c.name}"))
                return
        if action is Action.SET_DEFAULT and all(d is not None for d in defaults):
            tup = ", ".join(f"({d})" for d in defaults)
            tup = tup if len(defaults) == 1 else f"({tup})"
            probe = (f"SELECT count(*) FROM ({self.ends(w.parent, fk.referred_columns)}) AS refint_e "
                     f"WHERE {self.b.cols(fk.referred_columns)} = {tup}")
            if not int(self.engine.exec(self.b.sql(probe), {}).scalar() or 0):
                at = "commit" if _is_deferred(fk, self.rules) else "statement"
                rec = Blocked(fk.name, self.up.label(t), n, f"SET DEFAULT lands on a key with no row in "
                              f"{self.up.label(w.parent)}", at)
                (self.up.deferred if at == "commit" else self.up.blocked).append(rec)

    def referencing(self, t: Table, st: State) -> None:
        """NO ACTION / RESTRICT keys that refer to changed key columns of ``t``."""
        up, b, rules = self.up, self.b, self.rules
        for child, fk in self.family(t):
            action = _effective(fk.on_update, rules)
            if action in WRITES or not set(fk.referred_columns) & self.written[t.key]:
                continue
            pairs = self.pairs(t, fk.referred_columns, fk)
            hit = self.hit(fk, pairs)
            cst = self.state.get(child.key)
            sel = b.cols(fk.columns)
            if cst is None:
                rows = f"SELECT {', '.join(b.q(c) for c in fk.columns)} FROM {self.engine.from_table(child)} WHERE {hit}"
            else:
                inner = ", ".join(b.q(c) for c in fk.columns)
                rows = (f"SELECT {inner} FROM {self.engine.from_table(child)} WHERE {_not(cst.pred)} AND {hit} "
                        f"UNION ALL SELECT {inner} FROM {cst.chg} WHERE {hit}")
            left_sql = (f"SELECT count(*) FROM ({rows}) AS {b.q(child.name)} WHERE "
                        f"{_not(f'{sel} IN ({self.ends(t, fk.referred_columns)})')}")
            n = b.count(child, hit, up.params)
            if not n:
                continue
            left = int(self.engine.exec(b.sql(left_sql), {}).scalar() or 0)
            name = fk.name
            deferred = action is Action.NO_ACTION and _is_deferred(fk, rules)
            reason = f"rows of {up.label(child)} still refer to changed keys of {up.label(t)} ({action.value})"
            if left:
                if deferred:
                    up.deferred.append(Blocked(name, up.label(child), left, reason, "commit"))
                else:
                    up.blocked.append(Blocked(name, up.label(child), left, reason))
            elif not deferred:
                if rules.keys_in_id_order and cst is None and _unique(t, fk.referred_columns):
                    up.blocked.append(Blocked(name, up.label(child), n, f"rows of {up.label(child)} still refer to "
                                              f"changed keys of {up.label(t)} ({action.value}); InnoDB checks each "
                                              "row at once and never looks for the key provided again"))
                elif rules.row_by_row:
                    up.order_dep.append(Blocked(name, up.label(child), n, "old keys are provided again by other rows "
                                                "of the statement; row-by-row checks depend on row order"))
                elif action is Action.RESTRICT and rules.restrict_no_reprovision:
                    up.blocked.append(Blocked(name, up.label(child), n, f"RESTRICT: rows of {up.label(child)} "
                                              "referred to the old keys"))
                elif st.depth > 0 and rules.interleaved_triggers:
                    up.order_dep.append(Blocked(name, up.label(child), n, "old keys changed by a cascade are "
                                                "provided again by other rows; PostgreSQL checks when that cascade "
                                                "ends, so the outcome depends on trigger order"))

    def outgoing(self, t: Table, st: State) -> None:
        """Foreign keys of ``t`` whose columns the statement or a cascade changes: new values need a parent."""
        up, b, q = self.up, self.b, self.b.q
        idx = {c.name: i for i, c in enumerate(t.columns)}
        for fk in t.foreign_keys:
            if not set(fk.columns) & self.written[t.key]:
                continue
            own = [i for i, w in enumerate(st.writers) if w.fk is fk]
            if any(st.writers[i].action is Action.SET_DEFAULT for i in own):
                continue  # check_set
            parent = self.schema.get(fk.referred)
            moved = " OR ".join(self.distinct(old_alias(idx[c]), q(c)) for c in fk.columns)
            present = " AND ".join(f"{q(c)} IS NOT NULL" for c in fk.columns)
            if parent is None:
                if fk.parent_missing and not self.rules.per_connection:  # SQLite: plan/dangling.py
                    self.dangling(t, st, fk, f"FROM {st.chg} WHERE ({moved}) AND {present}")
                continue
            new = b.cols(fk.columns)
            ends = self.ends(parent, fk.referred_columns)
            base = f"FROM {st.chg} WHERE ({moved}) AND {present}"
            reqs = [f"SELECT count(*) {base} AND {_not(f'{new} IN ({ends})')}"]
            full = self.rules.match_full and fk.match is Match.FULL and len(fk.columns) > 1
            if full:  # like an insert of the new key: MATCH FULL refuses a key mixing NULL and non-NULL
                some = " OR ".join(f"{q(c)} IS NULL" for c in fk.columns)
                reqs.append(f"SELECT count(*) FROM {st.chg} WHERE ({moved}) AND ({some}) AND NOT "
                            f"({' AND '.join(f'{q(c)} IS NULL' for c in fk.columns)})")
            if self.rules.row_by_row and parent.key in self.state:
                mine = "".join(f" AND refint_w{i} = 0" for i in own)
                now = f"SELECT {', '.join(q(c) for c in fk.referred_columns)} FROM {self.engine.from_table(parent)}"
                reqs.append(f"SELECT count(*) {base}{mine} AND {_not(f'{new} IN ({now})')}")
            row = self.engine.exec(b.sql("SELECT " + ", ".join(f"({r})" for r in reqs)), {}).fetchone()
            assert row is not None
            values = [int(v or 0) for v in row]
            bad = values[0]
            mixed = values.pop(1) if full else 0
            if mixed:
                up.blocked.append(Blocked(fk.name, up.label(t), mixed, f"MATCH FULL: new values of "
                                          f"{', '.join(fk.columns)} mix NULL and non-NULL"))
            if bad:
                at = "commit" if _is_deferred(fk, self.rules) else "statement"
                rec = Blocked(fk.name, up.label(t), bad, f"new values of {', '.join(fk.columns)} have no row in "
                              f"{up.label(parent)}", at)
                (up.deferred if at == "commit" else up.blocked).append(rec)
            elif len(values) > 1 and values[1] and not _is_deferred(fk, self.rules):
                up.order_dep.append(Blocked(fk.name, up.label(t), values[1], f"new values of "
                                            f"{', '.join(fk.columns)} exist in {up.label(parent)} only once the "
                                            "statement has changed other rows; InnoDB checks row by row"))

    def dangling(self, t: Table, st: State, fk: ForeignKey, rows: str) -> None:
        """A key whose referred table does not exist: every row that gets a new key with no NULL fails
        (InnoDB error 1452; docs/plan.md, "Dangling keys")."""
        bad = int(self.engine.exec(self.b.sql(f"SELECT count(*) {rows}"), {}).scalar() or 0)
        if bad:
            self.up.blocked.append(Blocked(fk.name, self.up.label(t), bad, f"new values of {', '.join(fk.columns)} "
                                           f"have no row in {fk.referred_table}: the table does not exist"))

    def new_values(self, t: Table, st: State) -> None:
        """PRIMARY KEY / UNIQUE / NOT NULL / CHECK on the new values (plan_keys.py)."""
        found = Findings()
        nulls = any(w.action is not Action.CASCADE for w in st.writers)
        visit = None
        if t.key == self.t.key and not st.writers and self.rules.keys_in_id_order:
            from refint.plan.innodb import clustered_order

            visit = clustered_order(self.engine, t, self.up.base)
        check_new_values(self.b, self.rules, t, self.up.label(t), st.chg, _not(st.pred), self.written[t.key], found,
                         not_null=t.key == self.t.key or not nulls, visit=visit)
        self.up.blocked += found.blocked
        self.up.deferred += found.deferred
        self.up.order_dep += found.order_dep
        for n in found.notes:
            self.note(n)


def _unique(t: Table, cols: tuple[str, ...]) -> bool:
    """``cols`` are the table's primary key or one of its unique keys (InnoDB also accepts other indexes)."""
    keys = [t.primary_key.columns] if t.primary_key else []
    keys += [u.columns for u in t.unique]
    return any(set(k) == set(cols) for k in keys)
