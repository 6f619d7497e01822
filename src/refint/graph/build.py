"""``refint graph``: the foreign-key graph and its renderings (JSON, Mermaid, DOT, and SVG drawn in-process).

One node per table, one edge per foreign key (child -> parent), so ``graph --format json`` has exactly the
keys of ``inspect``. Cascading actions are drawn distinctly and edges inside a cycle are highlighted,
because those are the two things a reader of a schema diagram most needs to see. ``--table T --depth N``
keeps the neighbourhood of one table: a 400-table hairball helps nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import networkx as nx

from refint.errors import BadInput, NoSuchTable
from refint.lint.rules import fk_digraph
from refint.model import Action, ForeignKey, Schema, Table

Key = tuple[str | None, str]


@dataclass(frozen=True)
class Edge:
    table: Table
    fk: ForeignKey
    #: the edge lies on a cycle (both ends in one strongly connected component, or a self-reference)
    in_cycle: bool

    @property
    def cascades(self) -> bool:
        return Action.CASCADE in (self.fk.on_delete, self.fk.on_update)

    def actions(self) -> str:
        parts = []
        if self.fk.on_delete is not Action.NO_ACTION:
            parts.append(f"ON DELETE {self.fk.on_delete.value}")
        if self.fk.on_update is not Action.NO_ACTION:
            parts.append(f"ON UPDATE {self.fk.on_update.value}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "constraint": self.fk.name,
            "from": {"schema": self.table.schema, "table": self.table.name, "columns": list(self.fk.columns)},
            "to": {"schema": self.fk.referred_schema, "table": self.fk.referred_table,
                   "columns": list(self.fk.referred_columns)},
            "on_delete": self.fk.on_delete.value, "on_update": self.fk.on_update.value,
            "deferrable": self.fk.deferrable, "cascade": self.cascades, "in_cycle": self.in_cycle,
        }


@dataclass(frozen=True)
class Graph:
    """Tables (with their key columns) and foreign keys; ``focus`` is the ``--table`` it was cut around."""

    tables: tuple[Table, ...]
    edges: tuple[Edge, ...]
    #: tables that other edges point at but that are not in ``tables`` (another schema, or missing)
    external: tuple[Key, ...] = ()
    focus: Key | None = None

    @property
    def cycle_tables(self) -> set[Key]:
        return {k for e in self.edges if e.in_cycle for k in (e.table.key, e.fk.referred)}

    def to_dict(self) -> dict[str, Any]:
        cycles = self.cycle_tables
        nodes: list[dict[str, Any]] = []
        for t in self.tables:
            nodes.append({"schema": t.schema, "table": t.name, "kind": t.kind,
                          "primary_key": list(t.primary_key.columns) if t.primary_key else [],
                          "foreign_key_columns": sorted({c for fk in t.foreign_keys for c in fk.columns}),
                          "in_cycle": t.key in cycles})
        for schema, name in self.external:
            nodes.append({"schema": schema, "table": name, "kind": "external", "primary_key": [],
                          "foreign_key_columns": [], "in_cycle": False})
        return {"nodes": nodes, "edges": [e.to_dict() for e in self.edges],
                "focus": None if self.focus is None else {"schema": self.focus[0], "table": self.focus[1]}}


def build_graph(schema: Schema, table: str | Key | None = None, depth: int = 1) -> Graph:
    """The whole FK graph, or the tables within ``depth`` foreign keys of ``table`` (either direction).

    ``table`` is a name as users type it (``schema.name`` allowed) or a model key ``(schema, name)``.
    """
    if depth < 0:
        raise BadInput(f"--depth must be 0 or more, not {depth}")
    g = fk_digraph(schema)
    scc_of: dict[Key, int] = {}
    for i, comp in enumerate(nx.strongly_connected_components(g)):
        for k in comp:
            scc_of[k] = i
    keep: set[Key] | None = None
    focus: Key | None = None
    if table is not None:
        found = schema.get(table) if isinstance(table, tuple) else schema.table(table)
        if found is None:
            raise NoSuchTable(table[1], table[0])
        focus = found.key
        keep = set(nx.single_source_shortest_path_length(g.to_undirected(as_view=True), focus, cutoff=depth))
    tables = tuple(t for t in schema.tables if keep is None or t.key in keep)
    edges: list[Edge] = []
    external: set[Key] = set()
    for t, fk in schema.foreign_keys:
        if keep is not None and not (t.key in keep and fk.referred in keep):
            continue
        cyc = t.key == fk.referred or scc_of.get(t.key) == scc_of.get(fk.referred, -1)
        edges.append(Edge(t, fk, cyc))
        if schema.get(fk.referred) is None:
            external.add(fk.referred)
    return Graph(tables, tuple(edges), tuple(sorted(external, key=lambda k: (k[0] or "", k[1]))), focus)


# ---------------------------------------------------------------------------------------------------------
# Mermaid (flowchart: node labels are quoted strings, so any name works once quotes are entity-escaped)
# ---------------------------------------------------------------------------------------------------------

def _node_ids(graph: Graph) -> dict[Key, str]:
    keys = [t.key for t in graph.tables] + list(graph.external)
    return {k: f"t{i}" for i, k in enumerate(keys)}


def _name(schema: str | None, name: str, multi_schema: bool) -> str:
    return f"{schema}.{name}" if schema and multi_schema else name


#: Characters written as Mermaid entity codes (``#34;``) inside a label: the quote and HTML markup, and
#: two that Mermaid (checked against 12.3 by tests/test_graph.py) reads before parsing the text: ``%%{...}%%``
#: anywhere is a directive (it vanished from the label, and could change the configuration), and a line
#: with ``style`` or ``classDef``, a ``:`` and a ``#`` loses its last ``;`` (which broke an entity code).
MERMAID_ESCAPED = frozenset('"#<>&|`%:')

#: Mermaid carries entity codes through its parser as ``ﬂ°°34¶ß`` and turns ``ﬂ°`` and ``¶ß`` back into
#: ``&`` and ``;`` in the finished SVG, wherever they come from; an empty element keeps such a pair apart.
_MERMAID_PAIRS = (("\u00b6\u00df", "\u00b6<span></span>\u00df"), ("\ufb02\u00b0", "\ufb02<span></span>\u00b0"))


def mermaid_text(text: str) -> str:
    """Text inside a Mermaid ``"..."`` label: quotes and markup characters as Mermaid entity codes."""
    out = []
    for ch in text:
        if ch in MERMAID_ESCAPED:
            out.append(f"#{ord(ch)};")
        elif ch in "\n\r":
            out.append(" ")
        else:
            out.append(ch)
    label = "".join(out)
    for pair, kept_apart in _MERMAID_PAIRS:
        label = label.replace(pair, kept_apart)
    return label


def _multi_schema(graph: Graph) -> bool:
    return len({t.schema for t in graph.tables} | {k[0] for k in graph.external}) > 1


def to_mermaid(graph: Graph) -> str:
    ids = _node_ids(graph)
    multi = _multi_schema(graph)
    lines = ["flowchart LR"]
    cycles = graph.cycle_tables
    for t in graph.tables:
        label = f"<b>{mermaid_text(_name(t.schema, t.name, multi))}</b>"
        if t.primary_key:
            label += "<br/>PK " + mermaid_text(", ".join(t.primary_key.columns))
        lines.append(f'    {ids[t.key]}["{label}"]')
    for k in graph.external:
        lines.append(f'    {ids[k]}["{mermaid_text(_name(k[0], k[1], True))} (not shown)"]')
    link_styles: list[str] = []
    for i, e in enumerate(graph.edges):
        label = mermaid_text(e.fk.name or "(unnamed)")
        label += " (" + mermaid_text(", ".join(e.fk.columns)) + ")"
        if e.actions():
            label += "<br/>" + mermaid_text(e.actions())
        arrow = "==>" if e.cascades else "-->"
        lines.append(f'    {ids[e.table.key]} {arrow}|"{label}"| {ids[e.fk.referred]}')
        if e.in_cycle:
            link_styles.append(f"    linkStyle {i} stroke:#d35400,stroke-width:3px")
        elif e.cascades:
            link_styles.append(f"    linkStyle {i} stroke:#c0392b")
    lines.append("    classDef cycle fill:#fdebd0,stroke:#d35400,stroke-width:2px")
    lines.append("    classDef focus fill:#d6eaf8,stroke:#1f618d,stroke-width:3px")
    in_cycle = [ids[k] for k in ids if k in cycles]
    if in_cycle:
        lines.append(f"    class {','.join(in_cycle)} cycle")
    if graph.focus is not None:
        lines.append(f"    class {ids[graph.focus]} focus")
    lines.extend(link_styles)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# DOT (Graphviz): HTML-like labels, escaped with html.escape; ids are quoted strings
# ---------------------------------------------------------------------------------------------------------

def dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph, *, links: dict[Key, str] | None = None, name: str = "refint") -> str:
    """DOT for ``dot``. ``links`` maps tables to URLs (the HTML report's ``#anchors``)."""
    ids = _node_ids(graph)
    multi = _multi_schema(graph)
    cycles = graph.cycle_tables
    out = [f"digraph {dot_string(name)} {{",
           '  graph [rankdir=LR, fontname="Helvetica", bgcolor="transparent", nodesep=0.3, ranksep=0.6];',
           '  node [shape=plain, fontname="Helvetica", fontsize=11];',
           '  edge [fontname="Helvetica", fontsize=9, color="#566573", arrowsize=0.7];']
    for t in graph.tables:
        head = "#d6eaf8" if t.key == graph.focus else ("#fdebd0" if t.key in cycles else "#eaf2f8")
        border = "#d35400" if t.key in cycles else "#5d6d7e"
        rows = [f'<tr><td bgcolor="{head}"><b>{escape(_name(t.schema, t.name, multi))}</b></td></tr>']
        fk_cols = {c for fk in t.foreign_keys for c in fk.columns}
        pk_cols = t.primary_key.columns if t.primary_key else ()
        key_cols = list(pk_cols) + [c for c in t.column_names() if c in fk_cols and c not in pk_cols]
        for c in key_cols:
            tag = "PK" + (" FK" if c in fk_cols else "") if c in pk_cols else "FK"
            rows.append(f'<tr><td align="left">{escape(c)} <font color="#7f8c8d">{tag}</font></td></tr>')
        label = (f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" color="{border}">'
                 + "".join(rows) + "</table>>")
        attrs = [f"label={label}", f"tooltip={dot_string(t.qualified_name)}"]
        if links and t.key in links:
            attrs.append(f"URL={dot_string(links[t.key])}")
        out.append(f"  {dot_string(ids[t.key])} [{', '.join(attrs)}];")
    for k in graph.external:
        label = escape(_name(k[0], k[1], True))
        out.append(f'  {dot_string(ids[k])} [shape=box, style=dashed, label=<{label}<br/><i>not shown</i>>];')
    for e in graph.edges:
        label = escape(e.fk.name or f"({', '.join(e.fk.columns)})")
        if e.actions():
            label += "<br/>" + escape(e.actions())
        attrs = [f"label=<{label}>", f"tooltip={dot_string(_edge_tooltip(e))}"]
        if e.in_cycle:
            attrs += ['color="#d35400"', "penwidth=2.2", 'fontcolor="#a04000"']
        elif e.cascades:
            attrs += ['color="#c0392b"', "penwidth=1.8", 'fontcolor="#922b21"', "style=bold"]
        if e.fk.deferrable:
            attrs.append("style=dashed")
        out.append(f"  {dot_string(ids[e.table.key])} -> {dot_string(ids[e.fk.referred])} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _edge_tooltip(e: Edge) -> str:
    return (f"{e.fk.name or '(unnamed)'}: {e.table.name}({', '.join(e.fk.columns)}) -> "
            f"{e.fk.referred_table}({', '.join(e.fk.referred_columns)}) {e.actions()}").strip()


def to_svg(graph: Graph, *, links: dict[Key, str] | None = None, standalone: bool = True,
           orphans: dict[int, int] | None = None) -> str:
    """SVG from refint's own layered layout (:mod:`refint.graph.svg`); no Graphviz."""
    from refint.graph.svg import draw

    return draw(graph, links=links, standalone=standalone, orphans=orphans)


def render(graph: Graph, fmt: str) -> str:
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "svg":
        return to_svg(graph)
    raise BadInput(f"unknown graph format {fmt!r} (mermaid, dot, svg, json)")
