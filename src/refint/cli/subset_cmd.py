"""``refint subset``: a referentially complete slice of a database, copied into a new one and checked."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    from refint.subset import SubsetResult


@click.command(epilog="""\b
Examples:
  refint subset examples/school.db --where 'students: id = 1' --to /tmp/one.db
  refint subset examples/school.db --percent 'students: 50' --dry-run
  refint subset postgresql://postgres@127.0.0.1/shop --where 'customer: id = 7' --to shop.db
  refint subset mariadb://root@127.0.0.1/sakila --limit 'customer: 10' --to postgresql://postgres@127.0.0.1/empty
  refint subset examples/school.db --where 'students: id = 1' --format sql | sqlite3 one.db""")
@target_argument
@click.option("--to", metavar="PATH|URL", help="A new file (.duckdb: DuckDB, else SQLite) or an empty database's URL; "
              "with --format sql, the dialect to write (sqlite, postgresql, mysql, duckdb).")
@click.option("--where", multiple=True, metavar="'TABLE: PREDICATE'", help="Seed rows (repeatable).")
@click.option("--percent", multiple=True, metavar="'TABLE: P'", help="A deterministic P%% sample of TABLE as seeds.")
@click.option("--limit", multiple=True, metavar="'TABLE: N'", help="The first N rows of TABLE by key as seeds.")
@click.option("--children", type=click.Choice(["none", "down", "all"]), default="down", show_default=True,
              help="down: rows referring to seed rows, recursively; all: the closure both ways.")
@click.option("--depth", type=click.IntRange(min=0), default=None, help="At most this many child hops from a seed.")
@click.option("--relations", "relations_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="A TOML file of keys the database does not declare (see docs/check.md).")
@click.option("--exclude", multiple=True, metavar="TABLE", help="Leave TABLE and its keys out (repeatable).")
@click.option("--dry-run", is_flag=True, help="Count rows per table and per key; write nothing.")
@click.option("--force", is_flag=True, help="Replace an existing target file.")
@click.option("--random-seed", type=int, default=0, show_default=True, help="The seed of --percent's sample.")
@schema_option
@engine_option
@format_option("table", "json", "sql")
@debug_option
def subset(target: str | None, to: str | None, where: tuple[str, ...], percent: tuple[str, ...],
           limit: tuple[str, ...], children: str, depth: int | None, relations_file: str | None,
           exclude: tuple[str, ...], dry_run: bool, force: bool, random_seed: int, schemas: tuple[str, ...],
           engine: str | None,
           fmt: str, debug: bool) -> None:
    """Copy the rows matching the seeds, every row they refer to and (with --children) the rows that refer to
    them, into a new database; then check it.

    Python twin: ``refint.connect(target).subset(to, where=[...], ...)``.
    """

    def body() -> int:
        from refint.relations import load_relations_file

        relations = load_relations_file(relations_file) if relations_file else None
        with open_db(target, schemas, engine=engine, verb="subset") as db:
            if fmt == "sql":
                from refint.subset.script import write_script

                write_script(db.engine, db.inspect(), sys.stdout, to=to, where=where, percent=percent, limit=limit,
                             children=children, depth=depth, relations=relations, exclude=exclude,
                             random_seed=random_seed)
                return 0

            def run(progress: Callable[[str, int, int, str], None] | None = None) -> SubsetResult:
                return db.subset(to, where=where, percent=percent, limit=limit, children=children, depth=depth,
                                 relations=relations, exclude=exclude, dry_run=dry_run, force=force,
                                 random_seed=random_seed, progress=progress)

            if fmt == "json" or not sys.stderr.isatty():
                result = run()
            else:
                with _progress() as callback:
                    result = run(callback)
            if fmt == "json":
                emit_json(result.to_dict())
            else:
                render(console(), result)
        return 0 if result.ok else 1

    run_guarded(body, debug)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int, str], None]]:
    """One Rich bar per phase (closure, copy, check), on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from refint.cli.common import err_console

    bars: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[label]}"), TimeElapsedColumn(), console=err_console(),
                  transient=True) as prog:
        def callback(phase: str, done: int, total: int, label: str) -> None:
            if phase not in bars:
                bars[phase] = prog.add_task(phase, total=total, label="")
            prog.update(bars[phase], completed=done, total=total, label=label)

        yield callback


def render(con: Console, r: SubsetResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    head = "Dry run" if r.dry_run else f"Subset into {escape(r.target or '')}"
    con.print(f"[bold]{head}[/] from {escape(r.source)}: {r.rows} rows in "
              f"{sum(1 for t in r.tables if t.rows)} tables (children: {r.children}"
              + (f", depth {r.depth}" if r.depth is not None else "") + ")")
    tab = Table(show_edge=False, pad_edge=False)
    tab.add_column("table")
    tab.add_column("rows", justify="right")
    if r.dry_run:
        tab.add_column("of", justify="right")
    tab.add_column("through")
    for t in r.tables:
        ways = []
        for v in t.via:
            what = "seed" if v.kind == "seed" else (
                f"→ {v.table} ({v.constraint or ', '.join(v.columns)})" if v.kind == "parent"
                else f"← {v.table} ({v.constraint or ', '.join(v.columns)})")
            ways.append(what + (f": {v.rows}" if v.rows is not None else ""))
        cells = [escape(t.name), str(t.rows)] + ([str(t.total if t.total is not None else "")] if r.dry_run else [])
        tab.add_row(*cells, escape("; ".join(ways)))
    con.print(tab)
    for name in r.excluded:
        con.print(f"[yellow]excluded[/]: {escape(name)}")
    for c in r.cut_keys:
        con.print(f"[yellow]key not in the target[/]: {escape(c.constraint or '?')} of {escape(c.table)} → "
                  f"{escape(c.referred_table)} ({escape(c.reason)})")
    for u in r.untranslated:
        con.print(f"[yellow]untranslated[/] {escape(u.table)}: {escape(u.clause)}: {escape(u.message)}")
    for w in r.warnings:
        con.print(f"[yellow]warning[/]: {escape(w)}")
    if r.check is not None:
        if r.check.ok:
            con.print(f"[green]check[/]: the target has no violation ({r.seconds:.1f} s)")
        else:
            con.print(f"[red]check[/]: {len(r.check.violations)} violations in the target "
                      "(orphans of the source are copied as they are)")
            for found in r.check.violations[:20]:
                con.print(f"  {escape(found.kind)} {escape(found.constraint or '')} on {escape(found.table)}: "
                          f"{found.count} rows")
