"""The closure rules as SQL: one predicate per table that selects exactly the subset's rows, in the source.

Three row sets, each a fixed point (docs/subset.md draws them):

- ``D(T)``, the *down* set: the seed rows of T, and the rows of T whose key to a parent P is the referred
  key of a row of ``D(P)`` (children of seed rows, recursively; ``--depth`` bounds the hops);
- ``S(T)``, the *selected* set: ``D(T)``, and the rows of T that a row of ``S(C)`` refers to, for every
  child C (parents always, at any depth; never the children of a row that only came in as a parent);
- ``A(T)`` (``--children all``): the seed rows and every row joined to a row of ``A`` by a key, either way.

A row set is never held in Python. What a rule needs of another table is a *key set*: the projection of
a row set onto a key's columns (``π_{ref} D(P)``, ``π_{fk} S(C)``). Each key set is a common table
expression ``SELECT cols FROM T WHERE <T's rule>``; the key sets that depend on each other through a
cycle of keys (a self-reference counts) form one recursive CTE whose rows carry a tag (which key set)
and one typed slot per key column of each member. The engine evaluates it semi-naively (each round
joins only the rows the previous round added; ``UNION`` stops at the fixed point). PostgreSQL allows
one reference to the recursive CTE, so there its branches sit in one ``LATERAL`` union; SQLite (3.34+)
and MariaDB take several recursive branches. A NULL in a key never equals anything, so a NULL
reference pulls nothing, under MATCH SIMPLE and FULL alike.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from refint.model import ForeignKey, Schema, Table

if TYPE_CHECKING:
    from refint.engines.base import Engine

TKey = tuple[str | None, str]
#: a key set: (phase, table, columns, the edge whose parent term it leaves out or -1; see _child_terms)
Node = tuple[str, TKey, tuple[str, ...], int]
LVL = "refint_lvl"
TAG = "refint_tag"


@dataclass(frozen=True)
class Edge:
    """A foreign key between two tables of the subset (declared, or from a relations file)."""

    child: Table
    parent: Table
    fk: ForeignKey

    @property
    def label(self) -> str:
        return self.fk.name or f"{self.child.name}({', '.join(self.fk.columns)})"


@dataclass(frozen=True)
class Term:
    """One reason a row of a table is selected: a seed, or a key into a key set of another table."""

    kind: str  # "seed" | "parent" (the row refers to a selected row) | "child" (a selected row refers to it)
    edge: Edge | None = None
    node: Node | None = None
    local: tuple[str, ...] = ()  # this table's columns matched against the key set's columns
    levelled: bool = False  # a D key set with levels: only rows below --depth count


@dataclass
class Closure:
    """The SQL of the subset for one source engine and schema."""

    engine: Engine
    schema: Schema
    tables: list[Table]
    edges: list[Edge]
    seeds: dict[TKey, str]  # table -> SQL predicate over its own columns
    children: str = "down"  # none | down | all
    depth: int | None = None
    _ctes: dict[str, tuple[str, bool, set[str]]] = field(default_factory=dict)  # name -> (sql, recursive, deps)
    _node_ref: dict[Node, tuple[str, str, list[str]]] = field(default_factory=dict)  # node -> (cte, where, cols)
    _reach: dict[str, set[TKey]] = field(default_factory=dict)
    _colnames: dict[str, list[str]] = field(default_factory=dict)
    _parts: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # recursive CTE: anchor, step
    _materialized: bool = False

    def __post_init__(self) -> None:
        self.by_key = {t.key: t for t in self.tables}
        self._eidx = {id(e): i for i, e in enumerate(self.edges)}
        self.up: dict[TKey, list[Edge]] = {t.key: [] for t in self.tables}  # edges where the table is child
        self.down: dict[TKey, list[Edge]] = {t.key: [] for t in self.tables}  # edges where it is the parent
        for e in self.edges:
            self.up[e.child.key].append(e)
            self.down[e.parent.key].append(e)
        seeds = set(self.seeds)
        if self.children == "all":
            self._reach["A"] = self._bfs(seeds, both=True)
        else:
            d = seeds if self.children == "none" else self._bfs(seeds, both=False, depth=self.depth)
            self._reach["D"] = d
            self._reach["S"] = self._bfs(d, both=False, upward=True)
        self._build()

    # -- which tables can hold rows at all ------------------------------------------------------------------
    def _bfs(self, start: set[TKey], *, both: bool, upward: bool = False, depth: int | None = None) -> set[TKey]:
        seen = set(start)
        queue = deque((k, 0) for k in start)
        while queue:
            k, d = queue.popleft()
            if depth is not None and d >= depth and not both:
                continue
            nxt: list[TKey] = []
            if both or not upward:
                nxt += [e.child.key for e in self.down[k]]
            if both or upward:
                nxt += [e.parent.key for e in self.up[k]]
            for n in nxt:
                if n not in seen:
                    seen.add(n)
                    queue.append((n, d + 1))
        return seen

    @property
    def final(self) -> str:
        return "A" if self.children == "all" else "S"

    def reachable(self, t: Table) -> bool:
        return t.key in self._reach[self.final]

    # -- the rules ------------------------------------------------------------------------------------------
    def terms(self, phase: str, t: Table) -> list[Term]:
        out: list[Term] = []
        if t.key not in self._reach.get(phase, set()):
            return out
        if phase == "S":
            if self.children == "none":
                return ([Term("seed")] if t.key in self.seeds else []) + self._child_terms("S", t)
            return self.terms("D", t) + self._child_terms("S", t)
        if t.key in self.seeds:
            out.append(Term("seed"))
        for e in self.up[t.key]:
            if e.parent.key in self._reach[phase]:
                out.append(Term("parent", e, (phase, e.parent.key, e.fk.referred_columns, -1), e.fk.columns,
                                levelled=phase == "D" and self.depth is not None))
        if phase == "A":
            out += self._child_terms("A", t)
        return out

    def _child_terms(self, phase: str, t: Table) -> list[Term]:
        """Rows of ``t`` that selected rows of a child refer to.

        The child's rows that are selected *because* they refer to selected rows of ``t`` (its parent term
        through the same key) can only point back at rows ``t`` already has, when the referred columns are
        a unique key of ``t``: the key set leaves that term out. Without this, a table's rule would re-derive
        its own children's rows (orders from order lines from orders), scanning the largest tables again.
        """
        out = []
        for e in self.down[t.key]:
            if e.child.key not in self._reach[phase]:
                continue
            unique = {frozenset(u) for u in t.unique_sets()}
            skip = self._eidx[id(e)] if frozenset(e.fk.referred_columns) in unique else -1
            node = (phase, e.child.key, e.fk.columns, skip)
            if skip < 0 or self._more_than(phase, e.child, e):
                out.append(Term("child", e, node, e.fk.referred_columns))
        return out

    def _more_than(self, phase: str, c: Table, e: Edge) -> bool:
        """Whether rows of ``c`` can be selected other than through their parent term ``e`` (structurally)."""
        if c.key in self.seeds:
            return True
        down = "A" if phase == "A" else "D"
        if phase == "A" or self.children != "none":
            if c.key in self._reach[down] and any(x is not e and x.parent.key in self._reach[down]
                                                   for x in self.up[c.key]):
                return True
        return any(x.child.key in self._reach[phase] for x in self.down[c.key])

    def node_terms(self, node: Node) -> list[Term]:
        """The terms of a key set: its table's rule, less the parent term it leaves out."""
        terms = self.terms(node[0], self.by_key[node[1]])
        if node[3] < 0:
            return terms
        skipped = self.edges[node[3]]
        return [t for t in terms if not (t.kind == "parent" and t.edge is skipped)]

    # -- SQL ------------------------------------------------------------------------------------------------
    def q(self, name: str) -> str:
        return self.engine.quote(name)

    def src(self, t: Table) -> str:
        return self.engine.from_table(t)

    def _qcols(self, cols: tuple[str, ...], alias: str) -> str:
        return ", ".join(f"{alias}.{self.q(c)}" for c in cols)

    def _tuple(self, exprs: list[str]) -> str:
        return exprs[0] if len(exprs) == 1 else "(" + ", ".join(exprs) + ")"

    def _levels(self, phase: str) -> bool:
        return phase == "D" and self.depth is not None

    def term_sql(self, t: Table, term: Term, alias: str) -> str:
        """A predicate over ``alias`` (a row of ``t``) for one term."""
        if term.kind == "seed":
            return f"({self.seeds[t.key]})"
        assert term.node is not None
        cte, where, cols = self._node_ref[term.node]
        conds = [where] if where else []
        if term.levelled:
            conds.append(f"{LVL} < {int(self.depth or 0)}")
        w = f" WHERE {' AND '.join(conds)}" if conds else ""
        local = self._tuple([f"{alias}.{self.q(c)}" for c in term.local])
        return f"{local} IN (SELECT {', '.join(cols)} FROM {cte}{w})"

    def predicate(self, t: Table, alias: str, phase: str | None = None) -> str:
        parts = [self.term_sql(t, term, alias) for term in self.terms(phase or self.final, t)]
        if not parts:
            return "1 = 0"
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def _build(self) -> None:
        """Every key set the final rules need, as CTEs; cycles of key sets as one recursive CTE each."""
        g: nx.DiGraph = nx.DiGraph()
        todo = [term.node for t in self.tables for term in self.terms(self.final, t) if term.node]
        while todo:
            node = todo.pop()
            if node in g and g.nodes[node].get("done"):
                continue
            g.add_node(node, done=True)
            for term in self.node_terms(node):
                if term.node is not None:
                    g.add_edge(node, term.node)  # node depends on term.node
                    if not g.nodes.get(term.node, {}).get("done"):
                        todo.append(term.node)
        cond = nx.condensation(g)
        for comp in reversed(list(nx.topological_sort(cond))):  # dependencies first
            members: list[Node] = sorted(cond.nodes[comp]["members"])
            recursive = len(members) > 1 or g.has_edge(members[0], members[0])
            if recursive:
                self._recursive(members)
            else:
                self._plain(members[0])

    def _deps(self, nodes: list[Node]) -> set[str]:
        out: set[str] = set()
        for n in nodes:
            for term in self.node_terms(n):
                if term.node is not None and term.node in self._node_ref:
                    out.add(self._node_ref[term.node][0])
        return out

    def _plain(self, node: Node) -> None:
        phase, key, cols, _ = node
        t = self.by_key[key]
        name = f"refint_k{len(self._ctes) + 1}"
        sel = self._qcols(cols, "t")
        if self._levels(phase):
            parts = []
            for term in self.node_terms(node):
                if term.kind == "seed":
                    parts.append(f"SELECT {sel}, 0 AS {LVL} FROM {self.src(t)} t WHERE {self.term_sql(t, term, 't')}")
                else:
                    assert term.node is not None
                    cte, where, kcols = self._node_ref[term.node]
                    on = " AND ".join(f"t.{self.q(c)} = k.{k}" for c, k in zip(term.local, kcols))
                    extra = f" AND k.{where}" if where else ""
                    parts.append(f"SELECT {sel}, k.{LVL} + 1 AS {LVL} FROM {self.src(t)} t JOIN {cte} k ON {on}{extra} "
                                 f"WHERE k.{LVL} < {int(self.depth or 0)}")
            sql = " UNION ".join(parts)
        else:
            parts = [self.term_sql(t, term, "t") for term in self.node_terms(node)]
            pred = "1 = 0" if not parts else parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
            sql = f"SELECT DISTINCT {sel} FROM {self.src(t)} t WHERE {pred}"
        self._ctes[name] = (sql, False, self._deps([node]))
        names = [f"refint_c{i}" for i in range(len(cols))]
        self._colnames[name] = names + ([LVL] if self._levels(phase) else [])
        self._node_ref[node] = (name, "", names)

    def _recursive(self, members: list[Node]) -> None:
        """One recursive CTE for key sets that depend on each other: (tag, slots..., [level])."""
        name = f"refint_r{len(self._ctes) + 1}"
        slots: dict[Node, list[str]] = {}
        types: list[tuple[Table, str]] = []  # slot -> (table, column) it takes its type from
        for i, n in enumerate(members):
            slots[n] = [f"refint_s{len(types) + j}" for j in range(len(n[2]))]
            types += [(self.by_key[n[1]], c) for c in n[2]]
            self._node_ref[n] = (name, f"{TAG} = {i}", slots[n])
        levels = any(self._levels(n[0]) for n in members)
        width = len(types)
        cols = [TAG] + [f"refint_s{j}" for j in range(width)] + ([LVL] if levels else [])

        if self.engine.name == "postgresql":  # an untyped NULL in a UNION of NULLs would be text
            nulls = [f"CAST(NULL AS {t.column(c).type})" for t, c in types]
        else:
            nulls = ["NULL"] * width

        def row(tag: int, n: Node, alias: str, lvl: str) -> str:
            vals = list(nulls)
            start = int(slots[n][0][len("refint_s"):])
            for j, c in enumerate(n[2]):
                vals[start + j] = f"{alias}.{self.q(c)}"
            return ", ".join([str(tag)] + vals + ([lvl] if levels else []))

        # typed NULLs from the real columns: the anchor fixes the CTE's column types on every engine
        joins = " ".join(f"LEFT JOIN {self.src(t)} n{j} ON 1 = 0" for j, (t, _) in enumerate(types))
        typed = ", ".join(["-1"] + [f"n{j}.{self.q(c)}" for j, (_, c) in enumerate(types)] + (["0"] if levels else []))
        anchor = [f"SELECT {typed} FROM (SELECT 1 AS refint_one) refint_d {joins}"]
        branches: list[tuple[str, Table, str]] = []
        depth = int(self.depth or 0)
        for i, n in enumerate(members):
            t = self.by_key[n[1]]
            lv = self._levels(n[0])
            for term in self.node_terms(n):
                inside = term.node in slots
                if not inside:
                    if term.kind == "seed" or not lv:
                        anchor.append(f"SELECT {row(i, n, 't', '0')} FROM {self.src(t)} t "
                                      f"WHERE {self.term_sql(t, term, 't')}")
                    else:
                        assert term.node is not None
                        cte, where, kcols = self._node_ref[term.node]
                        on = " AND ".join(f"t.{self.q(c)} = k.{k}" for c, k in zip(term.local, kcols))
                        anchor.append(f"SELECT {row(i, n, 't', f'k.{LVL} + 1')} FROM {self.src(t)} t "
                                      f"JOIN {cte} k ON {on} WHERE k.{LVL} < {depth}")
                    continue
                assert term.node is not None
                src_tag = members.index(term.node)
                on = " AND ".join(f"t.{self.q(c)} = r.{s}" for c, s in zip(term.local, slots[term.node]))
                lvl = f"r.{LVL} + 1" if levels else "0"
                cond = f"r.{TAG} = {src_tag} AND {on}"
                if lv:
                    cond += f" AND r.{LVL} < {depth}"
                elif levels:
                    lvl = "0"
                branches.append((row(i, n, "t", lvl), t, cond))
        if self.engine.name == "postgresql" and len(branches) > 1:
            inner = " UNION ALL ".join(f"SELECT {sel} FROM {self.src(t)} t WHERE {cond}"
                                       for sel, t, cond in branches)
            rec = [f"SELECT x.* FROM {name} r CROSS JOIN LATERAL ({inner}) x"]
        else:
            rec = [f"SELECT {sel} FROM {name} r JOIN {self.src(t)} t ON {cond}"
                   for sel, t, cond in branches]
        sql = " UNION ".join(anchor + rec)
        self._ctes[name] = (sql, True, self._deps(members) - {name})
        self._parts[name] = (anchor, rec)
        self._colnames[name] = cols

    # -- statements -----------------------------------------------------------------------------------------
    def with_clause(self, sql: str) -> str:
        """The CTEs ``sql`` uses (transitively), in dependency order, as a WITH clause."""
        used: set[str] = set()
        stack = [n for n in self._ctes if re.search(rf"\b{n}\b", sql)]
        while stack:
            n = stack.pop()
            if n in used:
                continue
            used.add(n)
            stack += list(self._ctes[n][2])
        if not used:
            return ""
        names = [n for n in self._ctes if n in used]
        recursive = any(self._ctes[n][1] for n in names)
        colnames = self._colnames
        parts = []
        for n in names:
            head = f"{n}({', '.join(colnames[n])})" if n in colnames else n
            parts.append(f"{head} AS ({self._ctes[n][0]})")
        return ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " "

    def materialize(self) -> None:
        """MySQL/MariaDB: compute each recursive key set to its fixed point round by round, then inline it.

        MariaDB 10.11 runs away on some of these recursive CTEs (several recursive branches over wide tagged
        rows: a closure of three small tables grew the server past 20 GB until the OOM killer ended it). So
        there, in dependency order, each recursive CTE is evaluated as plain statements: its anchor once,
        then its recursive branches over the rows known so far, until a round adds nothing. The rows (a key
        set, as large as the subset's keys, not the tables) go into later statements as ``VALUES``, escaped
        by the driver as its own parameter binding would. Runs inside the read-only snapshot, on the first
        statement that needs it.
        """
        if self._materialized or self.engine.name not in ("mysql", "mariadb"):
            return
        self._materialized = True
        raw = self.engine.dbapi_connection()

        def literal(name: str, rows: set[tuple[object, ...]]) -> None:
            if rows:
                sql = "VALUES " + ", ".join("(" + ", ".join(raw.literal(v) for v in r) + ")" for r in sorted(rows, key=repr))
            else:
                sql = "SELECT " + ", ".join("NULL" for _ in self._colnames[name]) + " FROM (SELECT 1) d WHERE 1 = 0"
            self._ctes[name] = (sql, False, set())

        def read(name: str, parts: list[str]) -> set[tuple[object, ...]]:
            union = " UNION ".join(parts)
            head = self.with_clause(union)  # the other key sets these parts read (literal or plain by now)
            cte = f"refint_x({', '.join(self._colnames[name])}) AS ({union})"
            sql = (head.rstrip() + ", " if head else "WITH ") + cte + " SELECT DISTINCT * FROM refint_x"
            return {tuple(r) for r in self.engine.exec(sql).fetchall() if r[0] != -1}

        for name, (_sql, recursive, _deps) in list(self._ctes.items()):  # dependencies come first
            if not recursive:
                continue
            anchor, step = self._parts[name]
            literal(name, set())  # the anchor does not read the CTE; this keeps it out of the WITH clause
            known = read(name, anchor)
            while step:
                literal(name, known)
                new = read(name, step) - known
                if not new:
                    break
                known |= new
            literal(name, known)

    def select(self, t: Table, columns: list[str]) -> str:
        """The statement that reads the subset's rows of ``t`` (``columns``: select expressions over ``t``)."""
        self.materialize()
        body = f"SELECT {', '.join(columns)} FROM {self.src(t)} t WHERE {self.predicate(t, 't')}"
        return self.with_clause(body) + body

    def counts(self, t: Table) -> tuple[str, list[Term]]:
        """One statement: the rows of ``t`` and, per term, how many of them it selects."""
        self.materialize()
        terms = self.terms(self.final, t)
        parts = ["count(*)"] + [f"sum(CASE WHEN {self.term_sql(t, term, 't')} THEN 1 ELSE 0 END)" for term in terms]
        body = f"SELECT {', '.join(parts)} FROM {self.src(t)} t WHERE {self.predicate(t, 't')}"
        return self.with_clause(body) + body, terms
