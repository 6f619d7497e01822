"""``refint discover``: foreign keys nobody declared, from the data, the names and the types.

Exit 0 whether or not keys are found (finding none is not a failure of the database); 2 on bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from refint.cli.common import (
    console,
    debug_option,
    emit_json,
    engine_option,
    open_db,
    schema_option,
    target_argument,
    with_progress,
)
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from rich.console import Console

    from refint.discover import Discovery


@click.command(epilog="""\b
Examples:
  refint discover examples/school.db
  refint discover postgresql://postgres@127.0.0.1/shop --format relations > relations.toml
  refint check postgresql://postgres@127.0.0.1/shop --relations relations.toml
  refint discover warehouse.duckdb --table orders --min-score 0.7 --format json
  refint discover data/ --max-orphans 0.05
  refint discover data/ --engine spark""")
@target_argument
@click.option("--table", "tables", multiple=True, metavar="T", help="Only keys whose child is this table (repeatable).")
@click.option("--min-score", default=0.45, show_default=True, type=click.FloatRange(0, 1),
              help="Report candidates scoring at least this.")
@click.option("--max-orphans", default=0.01, show_default=True, type=click.FloatRange(0, 1, max_open=True),
              help="Share of a column's distinct values that may be missing from the parent (an approximate key).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Server-side statement timeout (SQLite: for the whole run).")
@schema_option
@engine_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "relations", "sql"]), default="table",
              show_default=True, help="table: for people; json; relations: a file for check --relations; "
              "sql: the statements that would declare the keys.")
@debug_option
def discover(target: str | None, tables: tuple[str, ...], min_score: float, max_orphans: float,
             timeout: float | None, schemas: tuple[str, ...], engine: str | None, fmt: str, debug: bool) -> None:
    """Find the foreign keys the database does not declare, with the evidence for each.

    Python twin: ``refint.connect(target).discover(...)``.
    """

    def body() -> int:
        with open_db(target, schemas, engine=engine) as db:
            def run(progress: Callable[[int, int, str], None] | None = None) -> Discovery:
                return db.discover(tables=tables, min_score=min_score, max_orphans=max_orphans, timeout=timeout,
                                   progress=progress)

            found = run() if fmt != "table" or not sys.stderr.isatty() else with_progress("discovering", run)
            if fmt == "json":
                emit_json(found.to_dict())
            elif fmt == "relations":
                sys.stdout.write(found.relations_toml())
            elif fmt == "sql":
                from refint.discover.output import sql_script

                sys.stdout.write(sql_script(found, db.engine, db.display))
            else:
                render(console(), found, db.display)
        return 0

    run_guarded(body, debug)


def render(con: Console, found: Discovery, display: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    def ref(schema: str | None, table: str, cols: tuple[str, ...]) -> str:
        return escape(f"{schema + '.' if schema else ''}{table}({', '.join(cols)})")

    n = len(found.findings)
    con.print(f"{escape(display)}: {n} undeclared foreign key{'s' if n != 1 else ''} found, "
              f"{len(found.declared)} declared, {len(found.key_candidates)} primary-key candidates "
              f"({found.stats.get('verified', 0)} of {found.stats.get('candidates', 0)} candidates verified "
              f"in {found.stats.get('milliseconds', 0) / 1000:.1f} s)")
    if found.key_candidates:
        con.print()
        con.print("[bold]Primary-key candidates[/] (unique and never NULL in the data):")
        for k in found.key_candidates:
            con.print(f"  {ref(k.schema, k.table, k.columns)}  [dim]{k.rows} rows[/]")
    if found.findings:
        table = Table(show_lines=False)
        for col in ("score", "child", "parent", "evidence"):
            table.add_column(col, overflow="fold")
        for f in found.findings:
            why = escape(f.why())
            if f.alternatives:
                why += "\n[dim]also fits: " + escape(", ".join(
                    f"{a.table}({', '.join(a.columns)}) {a.score:.2f}" for a in f.alternatives)) + "[/]"
            table.add_row(f"{f.score:.2f}", ref(f.schema, f.table, f.columns),
                          ref(f.referred_schema, f.referred_table, f.referred_columns), why)
        con.print(table)
