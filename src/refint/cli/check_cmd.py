"""``refint check``: every row that breaks a constraint. Exit 1 when anything is found."""

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
    format_option,
    open_db,
    schema_option,
    target_argument,
    with_progress,
)
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from rich.console import Console

    from refint.check import CheckReport


@click.command(epilog="""\b
Examples:
  refint check examples/school.db
  refint check postgresql://postgres@127.0.0.1/shop --table orders --kind foreign_key
  refint check mariadb://root@127.0.0.1/shop --format json --sample 20 --timeout 60
  refint check warehouse.duckdb --relation 'orders(customer_id) -> customers(id)'
  refint check data/ --relations relations.toml
  refint check data/ --engine spark --relations relations.toml
  refint check sc://spark-host:15002 --schema sales --relations relations.toml""")
@target_argument
@click.option("--table", "tables", multiple=True, metavar="T", help="Only this table (repeatable).")
@click.option("--constraint", "constraints", multiple=True, metavar="NAME", help="Only this constraint (repeatable).")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["foreign_key", "primary_key", "unique", "not_null", "check"]),
              help="Only this kind of constraint (repeatable).")
@click.option("--sample", default=5, show_default=True, type=click.IntRange(min=0),
              help="Violating keys to show per constraint.")
@click.option("--relation", "relation_specs", multiple=True, metavar="'child(a)->parent(x)'",
              help="A key the database does not declare (repeatable).")
@click.option("--relations", "relations_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="A TOML file declaring keys, uniques and relationships (see docs/check.md).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Server-side statement timeout (SQLite: for the whole run).")
@schema_option
@engine_option
@format_option()
@debug_option
def check(target: str | None, tables: tuple[str, ...], constraints: tuple[str, ...], kinds: tuple[str, ...],
          sample: int, relation_specs: tuple[str, ...], relations_file: str | None, timeout: float | None,
          schemas: tuple[str, ...], engine: str | None, fmt: str, debug: bool) -> None:
    """Find every row that breaks a declared constraint, enforced or not.

    Python twin: ``refint.connect(target).check(...)``.
    """

    def body() -> int:
        from refint.relations import Relations, load_relations_file, parse_relation

        relations = load_relations_file(relations_file) if relations_file else None
        for spec in relation_specs:
            relations = (relations or Relations()).merge(parse_relation(spec))
        with open_db(target, schemas, relations=relations, engine=engine) as db:
            def run(progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
                return db.check(tables=tables, constraints=constraints, kinds=kinds, sample=sample,
                                timeout=timeout, relations=relations, progress=progress)

            report = run() if fmt == "json" or not sys.stderr.isatty() else with_progress("checking", run)
            if fmt == "json":
                emit_json(report.to_dict())
            else:
                render(console(), report, db.display)
        return 0 if report.ok else 1

    run_guarded(body, debug)


def render(con: Console, report: CheckReport, display: str) -> None:
    from rich.markup import escape

    total = sum(report.checked.values())
    summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.checked.items() if n)
    if report.ok:
        con.print(f"[green]✓[/] {escape(display)}: {total} constraints checked ({summary}), no violations")
        return
    rows = sum(v.count for v in report.violations)
    con.print(f"[red]✗[/] {escape(display)}: {len(report.violations)} violated constraints, {rows} rows "
              f"({total} checked: {summary})")
    for v in report.violations:
        table = f"{v.schema}.{v.table}" if v.schema else v.table
        name = v.constraint or "(unnamed)"
        noun = "row" if v.count == 1 else "rows"
        con.print()
        con.print(f"[bold red]{v.kind}[/] [bold]{escape(table)}[/] {escape(name)}: {v.count} {noun}")
        con.print(f"  {escape(v.message)}")
        for s in v.sample:
            con.print("  [dim]·[/] " + escape(", ".join(f"{k}={val}" for k, val in s.items())))
