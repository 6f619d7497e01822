"""Reading refint's SVG back (the tests' independent view of a drawing): the table boxes and their
rectangles, the key lines with their ends, and the check that no two boxes overlap."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

_TRANSLATE = re.compile(r"translate\(([-\d.]+),([-\d.]+)\)")


@dataclass(frozen=True)
class Drawing:
    #: data-table -> (x, y, width, height) of its box
    boxes: dict[str, tuple[float, float, float, float]]
    #: (data-from, data-to, data-constraint) per drawn key line
    edges: list[tuple[str, str, str]]


def read_svg(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    edges: list[tuple[str, str, str]] = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "g" and "table" in el.get("class", "").split():
            m = _TRANSLATE.fullmatch(el.get("transform", ""))
            assert m, el.get("transform")
            rect = next(r for r in el if r.tag.rsplit("}", 1)[-1] == "rect" and r.get("class") == "box")
            name = el.get("data-table")
            assert name is not None and name not in boxes, f"table drawn twice: {name}"
            boxes[name] = (float(m.group(1)), float(m.group(2)), float(rect.get("width", 0)),
                           float(rect.get("height", 0)))
        elif tag == "path" and "fk" in el.get("class", "").split():
            assert el.get("d", "").startswith("M")
            edges.append((el.get("data-from", ""), el.get("data-to", ""), el.get("data-constraint", "")))
    return Drawing(boxes, edges)


def overlapping(boxes: dict[str, tuple[float, float, float, float]]) -> list[tuple[str, str]]:
    items = sorted(boxes.items(), key=lambda kv: kv[1][0])
    out = []
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            if bx >= ax + aw:
                break
            if ay < by + bh and by < ay + ah:
                out.append((a, b))
    return out


def inspected(inspect_json: dict[str, Any]) -> tuple[set[str], list[tuple[str, str, str]]]:
    """Tables and keys as ``refint inspect --format json`` lists them, named as the SVG names them."""
    def q(schema: str | None, name: str) -> str:
        return f"{schema}.{name}" if schema else name

    tables = {q(t.get("schema"), t["name"]) for t in inspect_json["tables"]}
    keys = [(q(t.get("schema"), t["name"]), q(fk.get("referred_schema"), fk["referred_table"]), fk["name"] or "")
            for t in inspect_json["tables"] for fk in t["foreign_keys"]]
    return tables, keys


def overview_svg(html: str) -> str:
    """The report's whole-schema drawing, cut out of the page."""
    start = html.index('<svg class="refint-graph"', html.index('id="graph"'))
    return html[start:html.index("</svg>", start) + len("</svg>")]
