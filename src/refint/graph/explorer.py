"""The report's explorer: the one JSON document its JavaScript (``explorer.js``, next to this file) reads.

The page's script finds tables by name, draws a table's neighbourhood (depth 1 or 2), every shortest chain
of keys between two tables and the cascade reach of a DELETE, with its own small layered layout, in the
browser, when asked: nothing is laid out per table here, which keeps a 400-table report fast to write and
small. The data carries what only refint knows: each key's ON DELETE effect on this engine (the same
rules ``plan delete`` applies), the orphan rows ``check`` found per key, and the lint findings per table
and key.

The JSON is embedded in ``<script type="application/json">``; :func:`json_for_script` writes ``<``, ``>``,
``&`` and U+2028/U+2029 as ``\\uXXXX`` escapes, so no name can close the element or start markup, and the
script builds every node with ``textContent``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from refint.graph.build import Graph, Key, _name
from refint.graph.svg import key_columns

if TYPE_CHECKING:
    from refint.check.checker import CheckReport
    from refint.lint.rules import LintReport
    from refint.model import Schema
    from refint.plan import Rules

SEVERITY = ("error", "warning", "info")

EXPLORER = ('<section id="explore"><h2>Explorer</h2><div id="results" aria-live="polite"></div>'
            '<div id="view"></div></section>')

EXPLORER_CSS = """
#explore{background:#fff;border:1px solid #d5dbdb;border-radius:6px;padding:10px 16px;margin-top:16px}
#explore h2{margin-top:0}#view path.fk{marker-end:url(#refint-arrow-view)}#view .graph{max-height:80vh}#view .graph svg{max-width:none}#results ul,#view ul.top{columns:3 220px;padding-left:18px}
#view .bar a,#view .bar form{margin-right:14px}#view .bar a.on{font-weight:700;text-decoration:none;color:#1c2833}
#view .pathform{display:inline}#view .pathform input{padding:3px 6px;width:220px}.chains li{margin:2px 0}
.chains .via{color:#7f8c8d}.refint-graph .table{cursor:pointer}.refint-graph circle.badge{fill:#2e86c1}
.refint-graph circle.badge.error{fill:#c0392b}.refint-graph circle.badge.warning{fill:#d68910}
.refint-graph text.badge-n{fill:#fff;font-size:10px;font-weight:700}.refint-graph text.orphan-count{fill:#8e44ad;
font-size:11px;font-weight:700}.refint-graph path.fk.act-cascade{stroke:#c0392b;stroke-width:2}
.refint-graph path.fk.act-set-null,.refint-graph path.fk.act-set-default{stroke:#2874a6;stroke-width:2}
.refint-graph path.fk.act-restrict,.refint-graph path.fk.act-no-action{stroke:#17202a;stroke-width:2.4}
.refint-graph path.fk.act-deferred{stroke:#7d3c98;stroke-dasharray:5 3}a.explore{font-size:12px}
"""


@cache
def explorer_js() -> str:
    return files("refint.graph").joinpath("explorer.js").read_text(encoding="utf-8")


_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                              "\u2029": "\\u2029"})


def json_for_script(data: Any) -> str:
    """JSON that can sit inside ``<script>`` whatever the strings hold (``</script>``, ``<!--``, ...)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


def display_name(schema: Schema, key: Key) -> str:
    """A table's name in the explorer: ``schema.name`` only when the report spans several schemas."""
    multi = len({t.schema for t in schema.tables}) > 1
    return _name(key[0], key[1], multi or schema.get(key) is None)


def explorer_data(schema: Schema, graph: Graph, lint: LintReport, check: CheckReport | None, engine: str,
                  rules: Rules | None) -> dict[str, Any]:
    from refint.plan import delete_effect

    keys = [t.key for t in graph.tables] + list(graph.external)
    index = {k: i for i, k in enumerate(keys)}
    orphans: dict[tuple[Key, str | None], int] = {}
    for v in (check.violations if check is not None else ()):
        if v.kind == "foreign_key":
            orphans[((v.schema, v.table), v.constraint)] = v.count
    by_table: dict[Key, list[Any]] = {}
    by_key: dict[tuple[Key, str], list[str]] = {}
    for f in lint.findings:
        by_table.setdefault((f.schema, f.table), []).append(f)
        if f.constraint:
            by_key.setdefault(((f.schema, f.table), f.constraint), []).append(f.rule)
    tables: list[dict[str, Any]] = []
    from refint.graph.report import anchor

    for t in graph.tables:
        found = by_table.get(t.key, [])
        worst = min((SEVERITY.index(f.severity) for f in found if f.severity in SEVERITY), default=2)
        tables.append({"name": display_name(schema, t.key), "anchor": anchor(t), "keys": key_columns(t),
                       "columns": t.column_names(), "cycle": False, "external": False, "findings": len(found),
                       "severity": SEVERITY[worst], "orphans": sum(n for (k, _), n in orphans.items()
                                                                     if k == t.key)})
    for k in graph.external:
        tables.append({"name": _name(k[0], k[1], True), "anchor": "", "keys": [], "columns": [], "cycle": False,
                       "external": True, "findings": 0, "severity": "info", "orphans": 0})
    edges: list[dict[str, Any]] = []
    for e in graph.edges:
        fk = e.fk
        if e.in_cycle:
            tables[index[e.table.key]]["cycle"] = tables[index[fk.referred]]["cycle"] = True
        edges.append({"from": index[e.table.key], "to": index[fk.referred], "name": fk.name or "",
                      "cols": ", ".join(fk.columns), "refcols": ", ".join(fk.referred_columns),
                      "on_delete": fk.on_delete.value, "on_update": fk.on_update.value, "cascade": e.cascades,
                      "cycle": e.in_cycle, "deferrable": fk.deferrable,
                      "del": delete_effect(fk, rules) if rules is not None else fk.on_delete.value.lower(),
                      "orphans": orphans.get((e.table.key, fk.name), 0),
                      "findings": by_key.get((e.table.key, fk.name or ""), [])})
    return {"engine": engine, "max_cascade_depth": rules.max_cascade_depth if rules else None,
            "tables": tables, "edges": edges}
