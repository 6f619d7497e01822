"""SVG drawn by refint itself from the in-process layout (:mod:`refint.graph.layout`): no Graphviz.

Each table is a ``<g class="table" data-table="...">`` box with its name and key columns, each foreign key
a ``<path class="fk" data-from="..." data-to="..." data-constraint="...">`` from the child to the parent,
with a ``<title>`` tooltip. Cascades are dark red and bold, keys on a cycle orange (their tables filled
orange), deferrable keys dashed, the ``--table`` focus blue: the look the ``dot`` drawings had. Every name
goes through :func:`html.escape`, in text and in attributes alike.
"""

from __future__ import annotations

from collections.abc import Hashable
from html import escape

from refint.graph.build import Edge, Graph, Key, _edge_tooltip, _multi_schema, _name
from refint.graph.layout import Layout, Point, layered
from refint.model import Table

ROW = 16.0
HEAD = 22.0
CHAR = 7.0  # average advance of a 12px sans-serif character (boxes are sized from the text, no font metrics)
PAD = 8.0

STYLE = """
.refint-graph text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;fill:#1c2833}
.refint-graph .table rect.box{fill:#fff;stroke:#5d6d7e;stroke-width:1}
.refint-graph .table rect.head{fill:#eaf2f8}.refint-graph .table.cycle rect.head{fill:#fdebd0}
.refint-graph .table.cycle rect.box{stroke:#d35400}.refint-graph .table.focus rect.head{fill:#aed6f1}
.refint-graph .table.focus rect.box{stroke:#1f618d;stroke-width:2.5}.refint-graph .table.external rect.box{
stroke-dasharray:4 3}.refint-graph text.name{font-weight:600}.refint-graph text.tag{fill:#7f8c8d;font-size:10px}
.refint-graph path.fk{fill:none;stroke:#566573;stroke-width:1.2;marker-end:url(#refint-arrow)}
.refint-graph path.fk.cascade{stroke:#c0392b;stroke-width:2}.refint-graph path.fk.cycle{stroke:#d35400;
stroke-width:2.2}.refint-graph path.fk.deferrable{stroke-dasharray:5 3}
.refint-graph path.fk.orphans{stroke:#8e44ad;stroke-width:3}.refint-graph text.orphan-count{fill:#8e44ad;
font-size:11px;font-weight:700}
.refint-graph a:hover rect.box{stroke-width:2.5}
"""


def key_columns(t: Table) -> list[tuple[str, str]]:
    """(column, "PK" / "PK FK" / "FK") for the columns a box shows: the primary key, then foreign-key columns."""
    fk_cols = {c for fk in t.foreign_keys for c in fk.columns}
    pk_cols = t.primary_key.columns if t.primary_key else ()
    cols = [(c, "PK FK" if c in fk_cols else "PK") for c in pk_cols]
    return cols + [(c, "FK") for c in t.column_names() if c in fk_cols and c not in pk_cols]


def box_size(title: str, cols: list[tuple[str, str]]) -> tuple[float, float]:
    chars = max([len(title) + 1] + [len(c) + len(tag) + 2 for c, tag in cols])
    return (min(chars, 48) * CHAR + 2 * PAD, HEAD + ROW * len(cols) + 6)


def _clip(text: str, width: float) -> str:
    room = int((width - 2 * PAD) / CHAR)
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"


def path_d(points: list[Point]) -> str:
    """A polyline as a smooth path: horizontal tangents at every point (the lines run left to right)."""
    if len(points) < 2:
        return ""
    out = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if abs(x1 - x0) < 1 or abs(y1 - y0) < 1:
            out.append(f"L{x1:.1f},{y1:.1f}")
        else:
            dx = (x1 - x0) / 2
            out.append(f"C{x0 + dx:.1f},{y0:.1f} {x1 - dx:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
    return "".join(out)


def edge_classes(e: Edge) -> str:
    return " ".join(["fk"] + [c for c, on in (("cascade", e.cascades), ("cycle", e.in_cycle),
                                              ("deferrable", e.fk.deferrable)) if on])


def draw(graph: Graph, *, links: dict[Key, str] | None = None, standalone: bool = True,
         orphans: dict[int, int] | None = None) -> str:
    """The graph as SVG (``standalone``: with the XML namespace, for a file of its own). ``orphans`` maps
    an edge's index to the orphan rows ``check`` found on its key: the line is marked, with the count."""
    multi = _multi_schema(graph)
    cycles = graph.cycle_tables
    sizes: dict[Hashable, tuple[float, float]] = {}
    cols: dict[Key, list[tuple[str, str]]] = {}
    titles: dict[Key, str] = {}
    for t in graph.tables:
        cols[t.key] = key_columns(t)
        titles[t.key] = _name(t.schema, t.name, multi)
        sizes[t.key] = box_size(titles[t.key], cols[t.key])
    for k in graph.external:
        cols[k] = [("(not shown)", "")]
        titles[k] = _name(k[0], k[1], True)
        sizes[k] = box_size(titles[k], cols[k])
    pairs = [(e.table.key, e.fk.referred) for e in graph.edges]
    lay = layered(sizes, pairs)
    return svg_text(graph, lay, cols, titles, cycles, links or {}, standalone, orphans or {})


def svg_text(graph: Graph, lay: Layout, cols: dict[Key, list[tuple[str, str]]], titles: dict[Key, str],
             cycles: set[Key], links: dict[Key, str], standalone: bool, orphans: dict[int, int]) -> str:
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    w, h = f"{lay.width:.0f}", f"{lay.height:.0f}"
    out = [f'<svg{ns} class="refint-graph" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">',
           f"<style>{STYLE}</style>",
           '<defs><marker id="refint-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#566573"/></marker></defs>',
           '<g class="edges">']
    for i, (e, line) in enumerate(zip(graph.edges, lay.lines)):
        attrs = (f'class="{edge_classes(e)}" data-edge="{i}" data-from="{_attr(e.table.qualified_name)}" '
                 f'data-to="{_attr(_qual(e.fk.referred))}" data-constraint="{_attr(e.fk.name or "")}"')
        tip = _edge_tooltip(e) + (f" · {orphans[i]} orphan rows" if orphans.get(i) else "")
        if orphans.get(i):
            attrs = attrs.replace('class="fk', 'class="fk orphans', 1)
        out.append(f'<path {attrs} d="{path_d(line)}"><title>{escape(tip)}</title></path>')
        if orphans.get(i):
            x, y = line[len(line) // 2]
            out.append(f'<text class="orphan-count" x="{x:.1f}" y="{y - 4:.1f}">{orphans[i]} orphans</text>')
    out.append('</g><g class="nodes">')
    external = set(graph.external)
    for k, box in lay.boxes.items():
        key = k if isinstance(k, tuple) else (None, str(k))
        cls = "table" + (" cycle" if key in cycles else "") + (" focus" if key == graph.focus else "")
        cls += " external" if key in external else ""
        title = titles[key]
        parts = [f'<g class="{cls}" data-table="{_attr(_qual(key))}" transform="translate({box.x:.1f},{box.y:.1f})">',
                 f"<title>{escape(_qual(key))}</title>",
                 f'<rect class="box" width="{box.w:.0f}" height="{box.h:.0f}" rx="3"/>',
                 f'<rect class="head" x="0.5" y="0.5" width="{box.w - 1:.0f}" height="{HEAD:.0f}" rx="3"/>',
                 f'<text class="name" x="{PAD:.0f}" y="15">{escape(_clip(title, box.w))}</text>']
        for j, (c, tag) in enumerate(cols[key]):
            y = HEAD + ROW * j + 13
            parts.append(f'<text x="{PAD:.0f}" y="{y:.0f}">{escape(_clip(c, box.w - (len(tag) + 1) * CHAR))}'
                         f'</text><text class="tag" x="{box.w - PAD:.0f}" y="{y:.0f}" text-anchor="end">{tag}</text>')
        parts.append("</g>")
        g = "".join(parts)
        if key in links:
            g = f'<a href="{_attr(links[key])}">{g}</a>'
        out.append(g)
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def _qual(key: Key) -> str:
    return f"{key[0]}.{key[1]}" if key[0] else key[1]


def _attr(text: str) -> str:
    return escape(text, quote=True)
