"""``refint inspect``: every constraint, as a readable view or CONTRACT JSON."""

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

    from refint.model import ForeignKey, Schema, Table


@click.command(epilog="""\b
Examples:
  refint inspect examples/school.db
  refint inspect postgresql://postgres@127.0.0.1/shop --schema sales --table orders
  refint inspect examples/school.db --format json
  refint inspect data/ --engine spark""")
@target_argument
@click.option("--table", "table_name", metavar="T", help="Show only this table (and the keys pointing at it).")
@schema_option
@engine_option
@format_option()
@debug_option
def inspect(target: str | None, table_name: str | None, schemas: tuple[str, ...], engine: str | None, fmt: str,
            debug: bool) -> None:
    """Show every table with its keys, and the keys pointing at it.

    Python twin: ``refint.connect(target).inspect()``.
    """

    def body() -> int:
        with open_db(target, schemas, engine=engine) as db:
            schema = db.inspect()
            tables = [schema.table(table_name)] if table_name else list(schema.tables)
            if fmt == "json":
                data = schema.to_dict()
                if table_name:
                    data["tables"] = [t.to_dict() for t in tables]
                emit_json(data)
            else:
                render(console(), schema, tables, db.display)
        return 0

    run_guarded(body, debug)


def _fk_line(fk: ForeignKey, arrow_from: str) -> str:
    from rich.markup import escape

    target = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
    actions = []
    if fk.on_delete.value != "NO ACTION":
        actions.append(f"ON DELETE {fk.on_delete_clause(escape)}")
    if fk.on_update.value != "NO ACTION":
        actions.append(f"ON UPDATE {fk.on_update.value}")
    if fk.match.value != "SIMPLE":
        actions.append(f"MATCH {fk.match.value}")
    if fk.deferrable:
        actions.append("DEFERRABLE" + (" INITIALLY DEFERRED" if fk.initially_deferred else ""))
    if fk.validated is False:
        actions.append("[yellow]NOT VALID[/]")
    if fk.parent_missing:
        actions.append(f"[red]table {escape(target)} does not exist[/]")
    extra = (" " + " ".join(actions)) if actions else ""
    name = escape(fk.name or "(unnamed)")
    return (f"[bold]{name}[/]: {escape(arrow_from)}({escape(', '.join(fk.columns))}) → "
            f"{escape(target)}({escape(', '.join(fk.referred_columns))}){extra}")


def render(con: Console, schema: Schema, tables: list[Table], display: str) -> None:
    from rich.markup import escape
    from rich.table import Table as RichTable

    n_fk = sum(len(t.foreign_keys) for t in schema.tables)
    con.print(f"[bold]{escape(display)}[/] ({schema.engine}): {len(schema.tables)} tables, {n_fk} foreign keys")
    for table in tables:
        pk_cols = set(table.primary_key.columns) if table.primary_key else set()
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        title = escape(table.qualified_name)
        if table.kind != "table":
            parent = f" of {table.parent[0]}.{table.parent[1]}" if table.parent else ""
            title += f" [dim]({table.kind}{escape(parent)})[/]"
        grid = RichTable(title=title, title_justify="left", show_edge=False, pad_edge=False)
        grid.add_column("column")
        grid.add_column("type")
        grid.add_column("null")
        grid.add_column("default")
        grid.add_column("key")
        for col in table.columns:
            keys = ("PK " if col.name in pk_cols else "") + ("FK" if col.name in fk_cols else "")
            grid.add_row(escape(col.name), escape(col.type), "" if col.nullable else "NOT NULL",
                         escape(col.default or ""), keys.strip())
        con.print()
        con.print(grid)
        if table.primary_key:
            con.print(f"  primary key {escape(table.primary_key.name or '')}"
                      f"({escape(', '.join(table.primary_key.columns))})")
        for u in table.unique:
            kind = "unique index" if u.index else "unique"
            con.print(f"  {kind} {escape(u.name or '')}({escape(', '.join(u.columns))})")
        for c in table.checks:
            con.print(f"  check {escape(c.name or '')}: {escape(c.expression)}")
        for fk in table.foreign_keys:
            con.print("  references  " + _fk_line(fk, ""))
        for child, fk in schema.referencing(table):
            con.print("  referenced by  " + _fk_line(fk, child.qualified_name))
