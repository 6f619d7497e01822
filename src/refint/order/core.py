"""``refint order``: the order to load, empty or drop tables without tripping a key; cycles as data.

The foreign-key graph (an edge from parent to child) is split into strongly connected components. Inside
each component that has a cycle (a self-reference counts) refint picks the fewest keys whose removal
makes it acyclic, preferring keys that can be deferred (DEFERRABLE, or any key on SQLite via
``PRAGMA defer_foreign_keys``), then keys whose columns are all nullable (load them as NULL, then
UPDATE), and only then keys that must be dropped and re-created. The components are small in practice
(Sakila: 2 tables, NetBox: a handful), so the choice is exact by enumeration up to a bound, and greedy
beyond it. What remains is sorted topologically, ties broken by name so the output is stable.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx

from refint.errors import BadInput
from refint.model import Action, ForeignKey, Schema, Table

if TYPE_CHECKING:
    from refint.engines.base import Capabilities

PURPOSES = ("load", "delete", "drop")
#: components with at most this many internal edges are solved exactly
EXACT_EDGES = 16

TKey = tuple[str | None, str]


@dataclass(frozen=True)
class Deferred:
    constraint: str | None
    table: str
    how: str
    method: str  # "defer" | "null-then-update" | "drop-and-recreate" | "delete-with-cascade"
    referred_table: str = ""
    columns: tuple[str, ...] = ()
    schema: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"constraint": self.constraint, "table": self.table, "how": self.how, "method": self.method,
                "referred_table": self.referred_table, "columns": list(self.columns), "schema": self.schema}


@dataclass(frozen=True)
class Order:
    purpose: str
    order: tuple[str, ...]
    deferred: tuple[Deferred, ...] = ()
    cycles: tuple[tuple[str, ...], ...] = ()
    tables: tuple[Table, ...] = ()
    engine: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"for": self.purpose, "order": list(self.order), "deferred": [d.to_dict() for d in self.deferred],
                "cycles": [list(c) for c in self.cycles]}


def _label(t: Table, schema: Schema | None = None) -> str:
    """The bare name, unless another schema has a table of that name too."""
    if schema is None or t.schema is None:
        return t.qualified_name
    same = [x for x in schema.tables if x.name == t.name]
    return t.name if len(same) <= 1 else t.qualified_name


def _cost(t: Table, fk: ForeignKey, purpose: str, deferrable_all: bool, deferrable: bool) -> int:
    """0: the engine handles it (ON DELETE CASCADE / SET NULL when emptying); 1: deferrable; 2: nullable
    (load NULL then UPDATE / set NULL before deleting); 3: drop the key (and re-create it afterwards)."""
    if purpose == "delete" and fk.on_delete in (Action.CASCADE, Action.SET_NULL):
        return 0
    if purpose == "drop" and not deferrable_all:
        return 3  # DROP TABLE looks at the catalog, not the rows: only dropping the key helps
    if deferrable_all or (deferrable and fk.deferrable):
        return 1
    if purpose != "drop" and all(t.column(c).nullable for c in fk.columns if c in t.column_names()):
        return 2
    return 3


def order(schema: Schema, purpose: str = "load", *, capabilities: Capabilities | None = None,
          engine: str = "") -> Order:
    """Tables in an order that never breaks a key for ``purpose``, plus the keys that break the cycles."""
    if purpose not in PURPOSES:
        raise BadInput(f"unknown purpose {purpose!r} (expected load, delete or drop)")
    deferrable = bool(capabilities and capabilities.deferrable)
    deferrable_all = engine == "sqlite"  # PRAGMA defer_foreign_keys defers every key
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    for t in schema.tables:
        g.add_node(t.key)
    for t, fk in schema.foreign_keys:
        if schema.get(fk.referred) is None:
            continue  # a key to a table outside the schemas read: no ordering constraint here
        if purpose == "drop" and fk.referred == t.key:
            continue  # dropping a table drops its self-reference with it
        g.add_edge(fk.referred, t.key, fk=fk, table=t)
    chosen: list[tuple[Table, ForeignKey, int]] = []
    cycles: list[tuple[str, ...]] = []
    for comp in nx.strongly_connected_components(g):
        sub = g.subgraph(comp)
        if len(comp) == 1 and not sub.number_of_edges():
            continue
        names = sorted(_label(x, schema) for k in comp if (x := schema.get(k)) is not None)
        cycles.append(tuple(names))
        edges = [(u, v, k, d) for u, v, k, d in sub.edges(keys=True, data=True)]
        picked = _break(sub, edges, purpose, deferrable_all, deferrable)
        for u, v, k, d in picked:
            g.remove_edge(u, v, k)
            chosen.append((d["table"], d["fk"], _cost(d["table"], d["fk"], purpose, deferrable_all, deferrable)))
    simple = nx.DiGraph(g)
    _partition_edges(schema, simple, purpose)
    if purpose == "drop":  # an inheritance child or partition goes before its parent
        for t in schema.tables:
            if t.parent is not None and schema.get(t.parent) is not None and t.parent != t.key:
                simple.add_edge(t.parent, t.key)
    load = list(nx.lexicographical_topological_sort(simple, key=lambda k: (k[0] or "", k[1])))
    keys = load if purpose == "load" else list(reversed(load))
    tables = tuple(x for k in keys if (x := schema.get(k)) is not None)
    deferred = tuple(_advice(t, fk, cost, purpose, engine, schema) for t, fk, cost in
                     sorted(chosen, key=lambda x: (_label(x[0]), x[1].name or "")))
    return Order(purpose, tuple(_label(t, schema) for t in tables), deferred, tuple(sorted(cycles)), tables, engine)


def _partition_edges(schema: Schema, g: nx.DiGraph, purpose: str) -> None:
    """A key to a table of a partition tree holds for the rows of the whole tree around it: deleting (or
    loading) rows of any ancestor or partition of the referred table touches the referred rows, and the
    key declared on a partitioned table binds the rows of each of its partitions (PostgreSQL clones both
    ways). So every table of the referred tree comes before every partition of the referencing one,
    unless that would close a cycle (those stay as the key itself orders them)."""
    for t, fk in schema.foreign_keys:
        parent = schema.get(fk.referred)
        if parent is None or (purpose == "drop" and fk.referred == t.key):
            continue
        referred = [parent, *schema.partition_ancestors(parent), *schema.partition_descendants(parent)]
        referring = [t, *schema.partition_descendants(t)]
        if len(referred) == 1 and len(referring) == 1:
            continue
        for a in referred:
            for b in referring:
                if a.key != b.key and not g.has_edge(a.key, b.key) and not (
                        b.key in g and a.key in g and nx.has_path(g, b.key, a.key)):
                    g.add_edge(a.key, b.key)


def _break(sub: Any, edges: list[Any], purpose: str, deferrable_all: bool, deferrable: bool) -> list[Any]:
    """Fewest edges whose removal leaves ``sub`` acyclic; among those, the cheapest."""
    def cost(e: Any) -> int:
        return _cost(e[3]["table"], e[3]["fk"], purpose, deferrable_all, deferrable)

    def acyclic_without(removed: set[Any]) -> bool:
        h = nx.MultiDiGraph()
        h.add_nodes_from(sub.nodes)
        h.add_edges_from((u, v, k) for u, v, k, _ in edges if (u, v, k) not in removed)
        return bool(nx.is_directed_acyclic_graph(h))

    rest = sorted(edges, key=lambda e: (cost(e), e[3]["fk"].name or ""))
    if len(edges) <= EXACT_EDGES:
        for size in range(1, len(edges) + 1):
            best = None
            for combo in itertools.combinations(rest, size):
                if acyclic_without({e[:3] for e in combo}):
                    c = sum(cost(e) for e in combo)
                    if best is None or c < best[0]:
                        best = (c, list(combo))
            if best is not None:
                return best[1]
    picked: list[Any] = []
    removed: set[Any] = set()
    while not acyclic_without(removed):  # greedy: the cheapest edge that lies on a remaining cycle
        h = nx.MultiDiGraph()
        h.add_edges_from((u, v, k) for u, v, k, _ in edges if (u, v, k) not in removed)
        cyc = nx.find_cycle(h)
        on = {(u, v, k) for u, v, k in cyc}
        e = min((e for e in rest if e[:3] in on), key=lambda e: (cost(e), e[3]["fk"].name or ""))
        picked.append(e)
        removed.add(e[:3])
    return picked


def _advice(t: Table, fk: ForeignKey, cost: int, purpose: str, engine: str, schema: Schema) -> Deferred:
    parent = schema.get(fk.referred)
    pname = _label(parent, schema) if parent else fk.referred_table
    tname = _label(t, schema)
    cols = ", ".join(fk.columns)
    name = fk.name or f"({cols}) -> {pname}"
    if cost == 0:
        how = f"ON DELETE {fk.on_delete.value}: deleting {pname} first lets the engine handle {tname}"
        return Deferred(fk.name, tname, how, "delete-with-cascade", pname, fk.columns, t.schema)
    if cost == 1:
        if engine == "sqlite":
            how = "run the whole job in one transaction after PRAGMA defer_foreign_keys = ON (checked at COMMIT)"
        else:
            how = f"SET CONSTRAINTS {name} DEFERRED inside one transaction (checked at COMMIT)"
        return Deferred(fk.name, tname, how, "defer", pname, fk.columns, t.schema)
    if cost == 2:
        if purpose == "load":
            how = f"load {tname} with {cols} NULL, then UPDATE {cols} once {pname} is loaded"
        else:
            how = f"UPDATE {tname} SET {cols} = NULL before deleting {pname}"
        return Deferred(fk.name, tname, how, "null-then-update", pname, fk.columns, t.schema)
    if purpose == "drop":
        how = f"ALTER TABLE {tname} DROP the key {name} before dropping {pname}"
    else:
        how = f"drop {name} before the {purpose}, re-create it afterwards"
    return Deferred(fk.name, tname, how, "drop-and-recreate", pname, fk.columns, t.schema)
