"""Where each table box and each foreign-key line goes: a layered (Sugiyama) layout computed in-process.

The layout is OGDF's ``SugiyamaLayout`` (the ``ogdf-py`` wheel, a dependency: no system tool, no network),
chosen over grandalf and Graphviz's ``dot`` by ``benchmarks/bench_graph_layout.py`` (docs/graph.md has the
figures). OGDF lays out top to bottom; refint wants children on the left and parents on the right, as the
``dot`` drawings had (``rankdir=LR``), so each box is handed over with its width and height swapped and the
result is transposed. Self-references are left out of the layout and drawn as a loop on their box.

:func:`metrics` measures a finished layout (crossings, overlapping boxes, lines through boxes): the
benchmark and the tests use it, so "no overlap" is checked on the very rectangles the SVG draws.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

#: gap between two boxes of one layer, and between two layers (room for the lines)
NODE_GAP = 14.0
LAYER_GAP = 70.0
SEED = 19

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x: float  # left
    y: float  # top
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w and
                self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass(frozen=True)
class Layout:
    boxes: dict[Hashable, Box]
    #: one polyline per edge, in the order the edges were given (a self-reference: its loop's corners)
    lines: list[list[Point]]
    width: float
    height: float


def layered(sizes: dict[Hashable, tuple[float, float]], edges: Sequence[tuple[Hashable, Hashable]]) -> Layout:
    """Boxes of the given (width, height) and edges (child, parent) -> a left-to-right layered drawing."""
    try:
        import ogdf  # a compiled wheel: imported only when a drawing is made
    except ImportError as exc:  # a platform without an ogdf-py wheel
        from refint.errors import NotSupported

        raise NotSupported(f"drawing needs the ogdf-py package, which did not import ({exc}); "
                           "--format mermaid, dot or json need nothing") from None

    keys = list(sizes)
    g = ogdf.Graph()
    node = {k: g.new_node() for k in keys}
    laid: list[int] = []  # indexes of the edges given to OGDF (self-references are not)
    for i, (a, b) in enumerate(edges):
        if a != b:
            g.new_edge(node[a], node[b])
            laid.append(i)
    ga = ogdf.GraphAttributes(g, ogdf.ALL_ATTRIBUTES)
    for k in keys:
        w, h = sizes[k]
        ga.set_width(node[k], h + NODE_GAP)  # swapped: transposed afterwards
        ga.set_height(node[k], w + LAYER_GAP)
    sug = ogdf.SugiyamaLayout()
    sug.set_runs(4)
    if keys:
        with ogdf.seeded(SEED):  # the same schema, the same drawing (OGDF's heuristics are randomised)
            sug.call(ga)
    centre = {k: (ga.y(node[k]), ga.x(node[k])) for k in keys}
    bends: list[list[Point]] = []
    if laid:
        for d in re.findall(r'<path[^>]* d="([^"]*)"', ogdf.to_svg(ga)):
            pts = [(float(y), float(x)) for x, y in re.findall(r"(-?[\d.e+-]+),(-?[\d.e+-]+)", d)]
            bends.append(_dedupe(pts)[1:-1])
    if len(bends) != len(laid):
        raise RuntimeError(f"OGDF drew {len(bends)} lines for {len(laid)} edges")
    return _finish(sizes, edges, centre, dict(zip(laid, bends)))


def _dedupe(pts: list[Point], tolerance: float = 1e-6) -> list[Point]:
    out: list[Point] = []
    for p in pts:
        if not out or abs(out[-1][0] - p[0]) > tolerance or abs(out[-1][1] - p[1]) > tolerance:
            out.append(p)
    return out


def _finish(sizes: dict[Hashable, tuple[float, float]], edges: Sequence[tuple[Hashable, Hashable]],
            centre: dict[Hashable, Point], bends: dict[int, list[Point]]) -> Layout:
    """Boxes around the centres, lines from a box's side to the other's, everything moved to (0, 0)."""
    boxes = {k: Box(cx - sizes[k][0] / 2, cy - sizes[k][1] / 2, sizes[k][0], sizes[k][1])
             for k, (cx, cy) in centre.items()}
    # each layer's half width: a line crosses a layer horizontally, and goes diagonal only between layers,
    # so it never cuts the corner of a box narrower or wider than its neighbours
    half: dict[int, float] = {}
    for box in boxes.values():
        c = round(box.x + box.w / 2)
        half[c] = max(half.get(c, 0.0), box.w / 2)
    lines: list[list[Point]] = []
    seen: dict[tuple[Hashable, Hashable], int] = {}
    for i, (a, b) in enumerate(edges):
        ba, bb = boxes[a], boxes[b]
        n = seen[(a, b)] = seen.get((a, b), -1) + 1
        if a == b:
            top, right = ba.y + min(8 + 6 * n, ba.h / 2), ba.x + ba.w
            lines.append([(right, top), (right + 16 + 6 * n, top), (right + 16 + 6 * n, top + 14),
                          (right, top + 14)])
            continue
        mid = bends.get(i, [])
        start, end = _port(ba, mid[0] if mid else _mid(bb)), _port(bb, mid[-1] if mid else _mid(ba))
        line = [start, *_band(ba, start, half)]
        for p in mid:
            line += _through(p, half, leftward=line[-1][0] > p[0])
        line += [*_band(bb, end, half), end]
        lines.append(_dedupe(line[:-1], 1.0) + [end] if len(line) > 2 else line)
    xs = [b.x for b in boxes.values()] + [p[0] for ln in lines for p in ln]
    ys = [b.y for b in boxes.values()] + [p[1] for ln in lines for p in ln]
    x0, y0 = (min(xs) - 4, min(ys) - 4) if xs else (0.0, 0.0)
    boxes = {k: Box(b.x - x0, b.y - y0, b.w, b.h) for k, b in boxes.items()}
    lines = [[(x - x0, y - y0) for x, y in ln] for ln in lines]
    width = max([b.x + b.w for b in boxes.values()] + [p[0] for ln in lines for p in ln], default=0) + 24
    height = max([b.y + b.h for b in boxes.values()] + [p[1] for ln in lines for p in ln], default=0) + 4
    return Layout(boxes, lines, width, height)


def _band(b: Box, port: Point, half: dict[int, float]) -> list[Point]:
    """From a port on a box's side, straight out to the edge of its layer's band."""
    c = round(b.x + b.w / 2)
    if port[1] in (b.y, b.y + b.h) or c not in half:
        return []
    return [(c + half[c] if port[0] > c else c - half[c], port[1])]


def _through(p: Point, half: dict[int, float], leftward: bool) -> list[Point]:
    """A bend in a layer: enter and leave the layer's band at the bend's height."""
    c = round(p[0])
    if c not in half:
        return [p]
    ends = [(c - half[c], p[1]), (c + half[c], p[1])]
    return ends[::-1] if leftward else ends


def _mid(b: Box) -> Point:
    return (b.x + b.w / 2, b.y + b.h / 2)


def _port(b: Box, toward: Point) -> Point:
    """Where a line toward ``toward`` leaves the box: the middle of its left or right side."""
    cx, cy = _mid(b)
    if b.x <= toward[0] <= b.x + b.w:  # straight above or below
        return (toward[0], b.y if toward[1] < cy else b.y + b.h)
    return (b.x + b.w if toward[0] > cx else b.x, cy)


# ---------------------------------------------------------------------------------------------------------
# measuring a layout (the benchmark and the tests)
# ---------------------------------------------------------------------------------------------------------

def _ccw(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Proper crossing of two segments (touching at an end does not count)."""
    d1, d2 = _ccw(q1, q2, p1), _ccw(q1, q2, p2)
    d3, d4 = _ccw(p1, p2, q1), _ccw(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _segment_in_box(p: Point, q: Point, b: Box, inset: float = 1.0) -> bool:
    """Does the segment pass through the inside of the box (shrunk by ``inset``)? Liang-Barsky clipping."""
    x0, y0, x1, y1 = b.x + inset, b.y + inset, b.x + b.w - inset, b.y + b.h - inset
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for pp, qq in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pp == 0:
            if qq < 0:
                return False
        else:
            r = qq / pp
            if pp < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                return False
    return t1 - t0 > 1e-9


@dataclass(frozen=True)
class Metrics:
    crossings: int
    overlapping_boxes: int
    lines_through_boxes: int
    width: float
    height: float


def metrics(layout: Layout, edges: Sequence[tuple[Hashable, Hashable]]) -> Metrics:
    """Crossings between lines (as polylines), pairs of overlapping boxes, and lines through other boxes."""
    segs = [[(ln[j], ln[j + 1]) for j in range(len(ln) - 1)] for ln in layout.lines]
    crossings = 0
    bbox = [(min(p[0] for p in ln), min(p[1] for p in ln), max(p[0] for p in ln), max(p[1] for p in ln))
            for ln in layout.lines]
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            p, q = bbox[i], bbox[j]
            if p[2] < q[0] or q[2] < p[0] or p[3] < q[1] or q[3] < p[1]:
                continue
            crossings += sum(1 for s in segs[i] for t in segs[j] if _cross(s[0], s[1], t[0], t[1]))
    items = list(layout.boxes.items())
    overlapping = sum(1 for i in range(len(items)) for j in range(i + 1, len(items))
                      if items[i][1].overlaps(items[j][1]))
    through = 0
    for (a, b), ss in zip(edges, segs):
        for k, box in items:
            if k in (a, b):
                continue
            if any(_segment_in_box(p, q, box) for p, q in ss):
                through += 1
                break
    return Metrics(crossings, overlapping, through, layout.width, layout.height)
