"""``refint graph``: the foreign-key graph as Mermaid, DOT, SVG (drawn in-process, no Graphviz) or JSON."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from refint.cli.common import debug_option, emit_json, engine_option, open_db, schema_option, target_argument
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from refint.graph import Graph


@click.command(epilog="""\b
Examples:
  refint graph examples/school.db --format mermaid
  refint graph examples/school.db --format svg -o school.svg
  refint graph postgresql://postgres@127.0.0.1/shop --table orders --depth 2 --format dot | dot -Tpng > o.png
  refint graph mariadb://root@127.0.0.1/shop --format json""")
@target_argument
@click.option("--table", metavar="T", help="Only the neighbourhood of this table.")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="With --table: how many foreign keys away (either direction).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write to FILE instead of stdout.")
@schema_option
@engine_option
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg", "json", "table"]), default="mermaid",
              show_default=True, help="mermaid, dot, svg (a layered drawing), json; table: the edges for people.")
@debug_option
def graph(target: str | None, table: str | None, depth: int, output: str | None, schemas: tuple[str, ...],
          engine: str | None,
          fmt: str, debug: bool) -> None:
    """Draw the foreign-key graph: tables with their key columns, one edge per foreign key.

    Cascading keys are drawn bold red, edges on a cycle orange, deferrable keys dashed.

    Python twin: ``refint.connect(target).graph(table=None, depth=1)`` (then ``refint.graph.render(g, fmt)``).
    """

    def body() -> int:
        import json

        from refint.graph.build import build_graph, render

        with open_db(target, schemas, engine=engine) as db:
            with db.engine.read_only():
                g = build_graph(db.inspect(), table, depth)
        if fmt == "table" and output is None:
            _render_table(g)
            return 0
        if fmt == "json":
            if output is None:
                emit_json(g.to_dict())
                return 0
            text = json.dumps(g.to_dict(), ensure_ascii=False, indent=2) + "\n"
        else:
            text = render(g, "mermaid" if fmt == "table" else fmt)  # a file gets Mermaid for "table"
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
        return 0

    run_guarded(body, debug)


def _render_table(g: Graph) -> None:
    from rich.markup import escape
    from rich.table import Table

    from refint.cli.common import console

    table = Table("child", "columns", "", "parent", "constraint", "on delete", "on update", "note")
    for e in g.edges:
        note = ", ".join(n for n, on in (("cycle", e.in_cycle), ("cascades", e.cascades),
                                         ("deferrable", e.fk.deferrable)) if on)
        parent = f"{e.fk.referred_schema}.{e.fk.referred_table}" if e.fk.referred_schema else e.fk.referred_table
        table.add_row(escape(e.table.qualified_name), escape(", ".join(e.fk.columns)), "→", escape(parent),
                      escape(e.fk.name or ""), e.fk.on_delete.value, e.fk.on_update.value, note)
    con = console()
    con.print(table)
    con.print(f"{len(g.tables)} tables, {len(g.edges)} foreign keys, {len(g.cycle_tables)} tables on a cycle")
