"""``refint report``: one self-contained HTML file with the graph, the lint findings, the check results and a
section per table.

Everything is inline (CSS, the explorer's JavaScript and its one JSON document, the overview's SVG drawn
by refint), and the page names no external resource at all, so it opens offline and can be mailed or
archived as it is. Large schemas stay readable through the explorer (:mod:`refint.graph.explorer`): one
table's neighbourhood, a path or a cascade at a time, laid out in the page on demand; the whole-schema
drawing is open up to ``overview_limit`` tables and folded away beyond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote
from typing import TYPE_CHECKING, Any

from refint.graph.build import Graph, build_graph, to_svg
from refint.graph.explorer import EXPLORER, EXPLORER_CSS, display_name, explorer_data, explorer_js, json_for_script
from refint.graph.svg import STYLE
from refint.lint.config import LintConfig
from refint.lint.rules import LintReport, lint

if TYPE_CHECKING:
    from refint.check.checker import CheckReport
    from refint.engines.base import Engine
    from refint.model import Schema, Table
    from refint.plan import Rules

OVERVIEW_LIMIT = 60


@dataclass(frozen=True)
class Report:
    html: str
    tables: int
    foreign_keys: int
    findings: int
    #: None when the report was made without ``check``
    check_ok: bool | None
    graphs: bool

    def write(self, path: str | Path) -> Path:
        out = Path(path)
        out.write_text(self.html, encoding="utf-8")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"tables": self.tables, "foreign_keys": self.foreign_keys, "findings": self.findings,
                "check_ok": self.check_ok, "graphs": self.graphs, "bytes": len(self.html.encode())}


def anchor(table: Table) -> str:
    """A stable HTML id for a table (any name: spaces, quotes, Korean), unique by its position-free hash."""
    import hashlib

    return "t-" + hashlib.sha1(table.qualified_name.encode()).hexdigest()[:12]


_SVG_JUNK = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


def clean_svg(svg: str) -> str:
    """Inline SVG for HTML5: no XML prolog, no DOCTYPE (its DTD URL), no namespace URLs, no comments."""
    svg = _SVG_JUNK.sub("", svg)
    return _XMLNS.sub("", svg).strip()


def report(engine: Engine, schema: Schema, *, display: str, check_report: CheckReport | None = None,
           lint_report: LintReport | None = None, title: str | None = None,
           overview_limit: int = OVERVIEW_LIMIT, disable: Sequence[str] = (), ignore: Sequence[str] = (),
           config: LintConfig | None = None) -> Report:
    """Build the HTML report (runs lint unless ``lint_report`` is given; reads only).

    ``display`` names the target in the title (password hidden); ``check_report`` adds the check results.
    """
    from refint.plan import Rules

    findings = lint_report or lint(engine, schema, disable=disable, ignore=ignore, config=config)
    return render_report(schema, findings, check_report, title=title or f"refint report: {display}",
                         engine=engine.name, overview_limit=overview_limit, rules=Rules.for_engine(engine))


def render_report(schema: Schema, findings: LintReport, check_report: CheckReport | None, *, title: str,
                  engine: str, overview_limit: int = OVERVIEW_LIMIT, rules: Rules | None = None) -> Report:
    """The page: the explorer (its data as one JSON document), the whole-schema drawing, findings, check
    results and a section per table. Only the overview is laid out here (once, by OGDF); the explorer lays
    out each small drawing in the page when it is asked for."""
    links = {t.key: "#" + anchor(t) for t in schema.tables}
    whole = build_graph(schema)
    data = explorer_data(schema, whole, findings, check_report, engine, rules)
    orphans = {i: e["orphans"] for i, e in enumerate(data["edges"]) if e["orphans"]}
    overview_svg = (clean_svg(to_svg(whole, links=links, standalone=False, orphans=orphans)) if whole.tables
                    else None)
    body = [_header(title, engine, schema, findings, check_report)]
    body.append(EXPLORER)
    body.append(_overview(whole, overview_svg, overview_limit))
    body.append(_findings(findings, schema))
    if check_report is not None:
        body.append(_check(check_report, schema))
    body.append(_tables(schema, findings))
    html = _page(title, _nav(schema), "\n".join(body), data)
    return Report(html, len(schema.tables), len(schema.foreign_keys), len(findings.findings),
                  None if check_report is None else check_report.ok, overview_svg is not None)


def _tref(schema: Schema, key: tuple[str | None, str]) -> str:
    t = schema.get(key)
    shown = f"{key[0]}.{key[1]}" if key[0] else key[1]
    if t is None:
        return f"<span class=muted>{escape(shown)}</span>"
    return f'<a href="#{anchor(t)}">{escape(shown)}</a>'


def _header(title: str, engine: str, schema: Schema, lr: LintReport, cr: CheckReport | None) -> str:
    counts = {s: sum(1 for f in lr.findings if f.severity == s) for s in ("error", "warning", "info")}
    cells = [("tables", len(schema.tables)), ("foreign keys", len(schema.foreign_keys))]
    cells += [(f"{s} findings", n) for s, n in counts.items()]
    stats = "".join(f'<div class="stat"><b>{n}</b><span>{escape(k)}</span></div>' for k, n in cells)
    if cr is not None:
        rows = sum(v.count for v in cr.violations)
        state = "ok" if cr.ok else "bad"
        stats += (f'<div class="stat {state}"><b>{rows}</b><span>violating rows '
                  f'({len(cr.violations)} constraints)</span></div>')
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<header id="top"><h1>{escape(title)}</h1><p class="muted">{escape(engine)} · generated {when} by '
            f"refint</p><div class=stats>{stats}</div></header>")


def _overview(g: Graph, svg: str | None, limit: int) -> str:
    legend = ('<p class="legend"><span class="sw cyc"></span> in a cycle <span class="sw cas"></span> '
              "cascades <span class=\"sw dash\"></span> deferrable · click a table to jump to it</p>")
    if svg is None:
        return '<section id="graph"><h2>Foreign-key graph</h2><p class=muted>No tables.</p></section>'
    inner = f'<div class="graph overview">{svg}</div>'
    if len(g.tables) <= limit:
        return f'<section id="graph"><h2>Foreign-key graph</h2>{legend}{inner}</section>'
    return (f'<section id="graph"><h2>Foreign-key graph</h2><details><summary>The whole schema in one drawing: '
            f"{len(g.tables)} tables, more than one drawing shows readably (limit {limit}); the explorer above "
            f"draws one table's neighbourhood, a path or a cascade at a time.</summary>{legend}{inner}</details>"
            "</section>")


def _findings(lr: LintReport, schema: Schema) -> str:
    if not lr.findings:
        rows = '<tr><td colspan=5 class="muted">No findings.</td></tr>'
    else:
        rows = "".join(_finding_row(f, schema, with_table=True) for f in lr.findings)
    extra = f" · {lr.suppressed} suppressed" if lr.suppressed else ""
    return (f'<section id="findings"><h2>Lint findings ({len(lr.findings)})</h2>'
            f'<p class="muted">Rules run: {escape(", ".join(lr.rules))}{extra}</p>'
            '<table class="grid findings"><thead><tr><th>severity</th><th>rule</th><th>table</th>'
            f"<th>constraint</th><th>message and fix</th></tr></thead><tbody>{rows}</tbody></table></section>")


def _finding_row(f: Any, schema: Schema, *, with_table: bool) -> str:
    fix = f"<pre>{escape(f.fix)}</pre>" if f.fix else ""
    cells = [f'<td><span class="sev {f.severity}">{f.severity}</span></td>',
             f'<td><code title="docs/lint/{escape(f.rule)}.md">{escape(f.rule)}</code></td>']
    if with_table:
        cells.append(f"<td>{_tref(schema, (f.schema, f.table))}</td>")
    cells.append(f"<td>{escape(f.constraint or '')}</td>")
    cells.append(f"<td>{escape(f.message)}{fix}</td>")
    related = " ".join([*f.names(), *map(str, f.details.get("tables", ()))])
    search = escape(f"{f.table} {f.rule} {related}".lower(), quote=True)
    return f'<tr data-search="{search}">{"".join(cells)}</tr>'


def _check(cr: CheckReport, schema: Schema) -> str:
    checked = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in cr.checked.items() if n)
    if cr.ok:
        return (f'<section id="check"><h2>Check: no violations</h2><p class="muted">{escape(checked)} '
                "constraints checked against every row.</p></section>")
    rows = []
    for v in cr.violations:
        sample = "<br>".join(escape(", ".join(f"{k}={val}" for k, val in s.items())) for s in v.sample)
        search = escape(f"{v.table} {v.constraint or ''}".lower(), quote=True)
        rows.append(f'<tr data-search="{search}"><td>{escape(v.kind)}</td><td>{_tref(schema, (v.schema, v.table))}'
                    f"</td><td>{escape(v.constraint or '')}</td><td class=num>{v.count}</td>"
                    f"<td>{escape(v.message)}<div class=muted>{sample}</div></td></tr>")
    return (f'<section id="check"><h2>Check: {len(cr.violations)} violated constraints</h2>'
            f'<p class="muted">{escape(checked)} constraints checked.</p><table class="grid"><thead><tr>'
            "<th>kind</th><th>table</th><th>constraint</th><th>rows</th><th>message and sample</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def _tables(schema: Schema, lr: LintReport) -> str:
    by_table: dict[Any, list[Any]] = {}
    for f in lr.findings:
        by_table.setdefault((f.schema, f.table), []).append(f)
    parts = ['<section id="tables"><h2>Tables</h2>']
    for t in schema.tables:
        parts.append(_table(schema, t, by_table.get(t.key, [])))
    parts.append("</section>")
    return "\n".join(parts)


def _table(schema: Schema, t: Table, findings: list[Any]) -> str:
    pk = set(t.primary_key.columns) if t.primary_key else set()
    fkc = {c for fk in t.foreign_keys for c in fk.columns}
    rows = []
    for c in t.columns:
        tags = " ".join(x for x, on in (("PK", c.name in pk), ("FK", c.name in fkc)) if on)
        rows.append(f"<tr><td>{escape(c.name)}</td><td><code>{escape(c.type)}</code></td>"
                    f"<td>{'' if c.nullable else 'NOT NULL'}</td><td><code>{escape(c.default or '')}</code></td>"
                    f"<td>{tags}</td></tr>")
    cols = ('<table class="grid cols"><thead><tr><th>column</th><th>type</th><th>null</th><th>default</th>'
            f"<th>key</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    out_fks = [f"<li><code>{escape(fk.name or '(unnamed)')}</code> ({escape(', '.join(fk.columns))}) → "
               f"{_tref(schema, fk.referred)} ({escape(', '.join(fk.referred_columns))}) "
               f"<span class=muted>ON DELETE {fk.on_delete.value}, ON UPDATE {fk.on_update.value}</span></li>"
               for fk in t.foreign_keys]
    in_fks = [f"<li>{_tref(schema, child.key)} ({escape(', '.join(fk.columns))}) via "
              f"<code>{escape(fk.name or '(unnamed)')}</code> <span class=muted>ON DELETE {fk.on_delete.value}"
              "</span></li>" for child, fk in schema.referencing(t)]
    keys = ""
    if out_fks:
        keys += f"<h4>References</h4><ul>{''.join(out_fks)}</ul>"
    if in_fks:
        keys += f"<h4>Referenced by</h4><ul>{''.join(in_fks)}</ul>"
    if findings:
        keys += ('<h4>Findings</h4><table class="grid findings"><tbody>'
                 + "".join(_finding_row(f, schema, with_table=False) for f in findings) + "</tbody></table>")
    explore = f'<a class="explore" href="#view=table&amp;t={quote(display_name(schema, t.key), safe="")}&amp;depth=1">explore</a>'
    badge = f' <span class="sev {findings[0].severity}">{len(findings)}</span>' if findings else ""
    search = escape(t.qualified_name.lower(), quote=True)
    return (f'<article class="table" id="{anchor(t)}" data-search="{search}"><h3>{escape(t.qualified_name)}'
            f'{badge} {explore} <a class="up" href="#top">↑</a></h3><div class="cols-wrap">{cols}<div>{keys}</div></div>'
            "</article>")


def _nav(schema: Schema) -> str:
    items = "".join(f'<li data-search="{escape(t.qualified_name.lower(), quote=True)}"><a href="#{anchor(t)}">'
                    f"{escape(t.qualified_name)}</a></li>" for t in schema.tables)
    return ('<nav><input id="q" type="search" placeholder="Search tables, constraints…" autocomplete="off">'
            '<ul class="links"><li><a href="#graph">Graph</a></li><li><a href="#findings">Findings</a></li>'
            '<li><a href="#check">Check</a></li><li><a href="#tables">Tables</a></li></ul>'
            f'<ul id="toc">{items}</ul></nav>')


CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
"Noto Sans CJK KR",sans-serif;color:#1c2833;background:#f7f9fa;display:flex}
nav{position:sticky;top:0;height:100vh;width:250px;flex:none;overflow:auto;background:#1f2d3a;color:#d5dbdb;
padding:12px}nav a{color:#d6eaf8;text-decoration:none}nav ul{list-style:none;margin:8px 0;padding:0}
nav #toc li{padding:1px 0;font-size:13px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
nav .links{display:flex;gap:10px;flex-wrap:wrap;border-bottom:1px solid #34495e;padding-bottom:8px}
#q{width:100%;padding:6px 8px;border-radius:4px;border:1px solid #5d6d7e;background:#fdfefe}
main{flex:1;min-width:0;padding:16px 28px}h1{margin:0 0 4px;font-size:22px}h2{border-bottom:2px solid #d5dbdb;
padding-bottom:4px;margin-top:28px}h3{margin:0 0 8px}h4{margin:10px 0 4px}.muted{color:#7f8c8d}
.stats{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}.stat{background:#fff;border:1px solid #d5dbdb;
border-radius:6px;padding:8px 14px;min-width:110px}.stat b{display:block;font-size:22px}.stat span{color:#7f8c8d;
font-size:12px}.stat.bad b{color:#c0392b}.stat.ok b{color:#1e8449}
table.grid{border-collapse:collapse;width:100%;background:#fff}table.grid th,table.grid td{border:1px solid
#e5e8e8;padding:4px 8px;text-align:left;vertical-align:top}table.grid th{background:#eef2f3;font-weight:600}
pre{background:#f4f6f6;border:1px solid #e5e8e8;padding:4px 6px;margin:4px 0 0;white-space:pre-wrap;
font-size:12px}code{font-size:12px}.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;
color:#fff}.sev.error{background:#c0392b}.sev.warning{background:#d68910}.sev.info{background:#2e86c1}
article.table{background:#fff;border:1px solid #d5dbdb;border-radius:6px;padding:12px 16px;margin:14px 0}
.cols-wrap{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;align-items:start}
.cols-wrap>div{overflow-wrap:anywhere;min-width:0}table.findings td{overflow-wrap:anywhere}.cols-wrap ul{margin:0;
padding-left:18px}.graph{overflow:auto;margin-top:10px;border-top:1px dashed #d5dbdb;padding-top:8px}
.graph svg{max-width:100%;height:auto}.overview svg{max-height:80vh}.up{font-size:12px;text-decoration:none}
.legend .sw{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin:0 4px 0 10px}
.sw.cyc{border-color:#d35400}.sw.cas{border-color:#c0392b}.sw.dash{border-top:2px dashed #566573}
.note{background:#fef5e7;border:1px solid #f5cba7;padding:6px 10px;border-radius:4px}.num{text-align:right}
.hidden{display:none!important}.findings td:nth-child(-n+2){white-space:nowrap}
"""

def _page(title: str, nav: str, body: str, data: dict[str, Any]) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; img-src data:\">"
            f"<style>{CSS}{STYLE}{EXPLORER_CSS}</style></head><body>{nav}<main>{body}</main>"
            f'<script type="application/json" id="refint-data">{json_for_script(data)}</script>'
            f"<script>{explorer_js()}</script></body></html>\n")
