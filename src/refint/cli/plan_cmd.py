"""``refint plan delete|update``: preview a statement through every foreign key. Exit 1 when rejected."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from refint.cli.common import console, debug_option, emit_json, engine_option, format_option, open_db, schema_option
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from rich.console import Console

    from refint.plan import Plan


@click.group(epilog="""\b
Examples:
  refint plan delete examples/school.db std --where "id = 1"
  refint plan update postgresql://postgres@127.0.0.1/shop customers --set "id = id + 1000" --where "id < 10"
  refint plan delete mariadb://root@127.0.0.1/sakila store --where "store_id = 2" --format json""")
def plan() -> None:
    """Preview what a DELETE or UPDATE would do through every foreign key, without changing anything.

    Python twin: ``refint.connect(target).plan_delete(table, where)`` and ``.plan_update(table, set, where)``.
    """


@plan.command("delete", epilog="""\b
Examples:
  refint plan delete examples/school.db std --where "id = 1"
  refint plan delete postgresql://postgres@127.0.0.1/shop orders --where "created < '2020-01-01'" --format json""")
@click.argument("args", nargs=-1, required=True, metavar="[TARGET] TABLE")
@click.option("--where", "where", required=True, metavar="PREDICATE",
              help="SQL predicate of the target engine (one expression, read-only).")
@click.option("--sample", default=3, show_default=True, type=click.IntRange(min=0), help="Sample keys per step.")
@click.option("--timeout", default=None, type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Per-statement limit, enforced by the server (SQLite: for the whole plan).")
@schema_option
@engine_option
@format_option()
@debug_option
def delete(args: tuple[str, ...], where: str, sample: int, timeout: float | None, schemas: tuple[str, ...],
           engine: str | None, fmt: str, debug: bool) -> None:
    """Preview DELETE FROM TABLE WHERE PREDICATE. TARGET defaults to REFINT_URL.

    Python twin: ``refint.connect(target).plan_delete(table, where)``.
    """

    def body() -> int:
        target, table = _split(args)
        with open_db(target, schemas, engine=engine) as db:
            result = db.plan_delete(table, where, sample=sample, timeout=timeout)
            _render(result, fmt, db.display)
        return 0 if result.ok else 1

    run_guarded(body, debug)


@plan.command("update", epilog="""\b
Examples:
  refint plan update examples/school.db std --set "id = id + 100" --where "id = 1"
  refint plan update mariadb://root@127.0.0.1/shop customer --set "id = 7" --where "id = 3" --format json""")
@click.argument("args", nargs=-1, required=True, metavar="[TARGET] TABLE")
@click.option("--set", "assignments", required=True, metavar="ASSIGNMENTS",
              help="'column = expression, ...' in the target engine's SQL.")
@click.option("--where", "where", required=True, metavar="PREDICATE",
              help="SQL predicate of the target engine (one expression, read-only).")
@click.option("--sample", default=3, show_default=True, type=click.IntRange(min=0), help="Sample keys per step.")
@click.option("--timeout", default=None, type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Per-statement limit, enforced by the server (SQLite: for the whole plan).")
@schema_option
@engine_option
@format_option()
@debug_option
def update(args: tuple[str, ...], assignments: str, where: str, sample: int, timeout: float | None, schemas: tuple[str, ...],
           engine: str | None, fmt: str,
           debug: bool) -> None:
    """Preview UPDATE TABLE SET ASSIGNMENTS WHERE PREDICATE. TARGET defaults to REFINT_URL.

    Python twin: ``refint.connect(target).plan_update(table, set, where)``.
    """

    def body() -> int:
        target, table = _split(args)
        with open_db(target, schemas, engine=engine) as db:
            result = db.plan_update(table, assignments, where, sample=sample, timeout=timeout)
            _render(result, fmt, db.display)
        return 0 if result.ok else 1

    run_guarded(body, debug)


def _split(args: tuple[str, ...]) -> tuple[str | None, str]:
    """TARGET is optional (REFINT_URL): one argument is the table, two are target and table."""
    import os

    from refint.errors import BadInput

    if len(args) == 1:
        return os.environ.get("REFINT_URL"), args[0]
    if len(args) == 2:
        return args[0], args[1]
    raise BadInput(f"expected [TARGET] TABLE, got {len(args)} arguments")


def _render(result: Plan, fmt: str, display: str) -> None:
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        render(console(), result, display)


def render(con: Console, p: Plan, display: str) -> None:
    """A tree: the statement, then each constraint that carries the effect to a table."""
    from rich.markup import escape
    from rich.tree import Tree

    verb = "DELETE FROM" if p.operation == "delete" else "UPDATE"
    mark = "[green]✓ would succeed[/]" if p.ok else (
        "[red]✗ would be rejected[/]" if p.blocked_by else "[yellow]? may be rejected (row order)[/]"
        if p.order_dependent else "[yellow]? not certain (an effect refint does not follow: see notes)[/]")
    root = Tree(f"{mark}  {verb} [bold]{escape(p.table)}[/]: {p.rows} rows  [dim]({escape(display)})[/]")
    nodes = {p.table: root}
    for s in p.steps:
        parent = nodes.get(s.parent, root)
        keys = "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in s.sample)
        more = f"  [dim]{escape(keys)}{' …' if s.rows > len(s.sample) else ''}[/]" if keys else ""
        node = parent.add(f"[cyan]{escape(s.action)}[/] via {escape(s.constraint or '?')} → "
                          f"[bold]{escape(s.table)}[/]: {s.rows} rows{more}")
        nodes.setdefault(s.table, node)
    for b in p.blocked_by:
        root.add(f"[red]blocked[/] by {escape(b.constraint or '?')} on {escape(b.table)}: {b.rows} rows — "
                 f"{escape(b.reason)}")
    for b in p.order_dependent:
        root.add(f"[yellow]depends on row order[/]: {escape(b.constraint or '?')} on {escape(b.table)} — "
                 f"{escape(b.reason)}")
    for b in p.deferred_checks:
        root.add(f"[magenta]checked at COMMIT[/]: {escape(b.constraint or '?')} on {escape(b.table)}: "
                 f"{b.rows} rows — {escape(b.reason)}")
    con.print(root)
    totals = []
    if p.deleted:
        totals.append("deleted " + ", ".join(f"{k}: {v}" for k, v in p.deleted.items()))
    if p.updated:
        totals.append("updated " + ", ".join(f"{k}: {v}" for k, v in p.updated.items()))
    if totals:
        con.print(escape("; ".join(totals)))
    for note in p.notes:
        con.print(f"[dim]note: {escape(note)}[/]")
