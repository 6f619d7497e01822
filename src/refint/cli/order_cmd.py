"""``refint order``: load / delete / drop order, the keys that break cycles, or a runnable SQL script."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from refint.cli.common import (
    console,
    debug_option,
    emit_json,
    engine_option,
    format_option,
    open_db,
    schema_option,
    target_argument,
)
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from rich.console import Console

    from refint.order import Order


@click.command(epilog="""\b
Examples:
  refint order examples/school.db
  refint order postgresql://postgres@127.0.0.1/shop --for drop --format sql
  refint order mariadb://root@127.0.0.1/sakila --for delete --format json""")
@target_argument
@click.option("--for", "purpose", type=click.Choice(["load", "delete", "drop"]), default="load",
              show_default=True, help="What the order is for.")
@schema_option
@engine_option
@format_option("table", "json", "sql")
@debug_option
def order(target: str | None, purpose: str, schemas: tuple[str, ...],
          engine: str | None, fmt: str, debug: bool) -> None:
    """Print the order in which tables can be loaded, emptied or dropped, and how to break each cycle.

    Python twin: ``refint.connect(target).order(purpose)``.
    """

    def body() -> int:
        from refint.order.sql import script

        with open_db(target, schemas, engine=engine) as db:
            result = db.order(purpose)
            if fmt == "json":
                emit_json(result.to_dict())
            elif fmt == "sql":
                click.echo(script(result, db.engine))
            else:
                render(console(), result)
        return 0

    run_guarded(body, debug)


def render(con: Console, o: Order) -> None:
    from rich.markup import escape

    con.print(f"[bold]Order for {o.purpose}[/] ({len(o.order)} tables)")
    for i, name in enumerate(o.order, 1):
        con.print(f"  {i:>3}. {escape(name)}")
    for cyc in o.cycles:
        con.print(f"[yellow]cycle[/]: {escape(' ↔ '.join(cyc))}")
    for d in o.deferred:
        con.print(f"  [cyan]{escape(d.method)}[/] {escape(d.constraint or '?')} on {escape(d.table)}: "
                  f"{escape(d.how)}")
