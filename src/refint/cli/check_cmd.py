"""``refint check``: every row that breaks a constraint. Exit 1 when anything is found."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from refint.cli.common import (
    console,
    debug_option,
    emit_json,
    err_console,
    format_option,
    open_db,
    schema_option,
    target_argument,
)
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from rich.console import Console

    from refint.check import CheckReport


@click.command(epilog="""\b
Examples:
  refint check examples/school.db
  refint check postgresql://postgres@127.0.0.1/shop --table orders --kind foreign_key
  refint check mariadb://root@127.0.0.1/shop --format json --sample 20 --timeout 60""")
@target_argument
@click.option("--table", "tables", multiple=True, metavar="T", help="Only this table (repeatable).")
@click.option("--constraint", "constraints", multiple=True, metavar="NAME", help="Only this constraint (repeatable).")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["foreign_key", "primary_key", "unique", "not_null", "check"]),
              help="Only this kind of constraint (repeatable).")
@click.option("--sample", default=5, show_default=True, type=click.IntRange(min=0),
              help="Violating keys to show per constraint.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Server-side statement timeout (SQLite: for the whole run).")
@schema_option
@format_option()
@debug_option
def check(target: str | None, tables: tuple[str, ...], constraints: tuple[str, ...], kinds: tuple[str, ...],
          sample: int, timeout: float | None, schemas: tuple[str, ...], fmt: str, debug: bool) -> None:
    """Find every row that breaks a declared constraint, enforced or not.

    Python twin: ``refint.connect(target).check(...)``.
    """

    def body() -> int:
        from refint.check import check as run_check

        with open_db(target, schemas) as db:
            if fmt == "json" or not sys.stderr.isatty():
                report = run_check(db, tables=tables, constraints=constraints, kinds=kinds, sample=sample,
                                   timeout=timeout)
            else:
                report = _with_progress(db, tables, constraints, kinds, sample, timeout)
            if fmt == "json":
                emit_json(report.to_dict())
            else:
                render(console(), report, db.display)
        return 0 if report.ok else 1

    run_guarded(body, debug)


def _with_progress(db: object, tables: tuple[str, ...], constraints: tuple[str, ...], kinds: tuple[str, ...],
                   sample: int, timeout: float | None) -> CheckReport:
    from rich.progress import Progress

    from refint.check import check as run_check

    with Progress(transient=True, console=err_console()) as bar:
        task = bar.add_task("checking", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label[:60])

        return run_check(db, tables=tables, constraints=constraints, kinds=kinds, sample=sample,  # type: ignore[arg-type]
                         timeout=timeout, progress=progress)


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
