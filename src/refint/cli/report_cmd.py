"""``refint report``: one self-contained HTML file (graph, lint findings, check results, every table)."""

from __future__ import annotations

import click

from refint.cli.common import console, debug_option, emit_json, engine_option, open_db, schema_option, target_argument
from refint.cli.main import run_guarded


@click.command(epilog="""\b
Examples:
  refint report examples/school.db -o school.html
  refint report postgresql://postgres@127.0.0.1/shop -o shop.html --check
  refint report mariadb://root@127.0.0.1/shop -o shop.html --disable fk-missing""")
@target_argument
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              default="refint-report.html", show_default=True, help="The HTML file to write.")
@click.option("--check", "with_check", is_flag=True, help="Also check every row (runs refint check).")
@click.option("--disable", multiple=True, metavar="RULE", help="Lint rule to leave out (repeatable).")
@click.option("--ignore", multiple=True, metavar="NAME", help="Suppress lint findings on this constraint.")
@click.option("--overview-limit", type=click.IntRange(min=0), default=60, show_default=True,
              help="Show the whole-schema drawing open up to this many tables (folded beyond).")
@click.option("--no-config", is_flag=True, help="Ignore [tool.refint] in pyproject.toml.")
@schema_option
@engine_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How to print the summary (the report itself is always HTML).")
@debug_option
def report(target: str | None, output: str, with_check: bool, disable: tuple[str, ...], ignore: tuple[str, ...],
           overview_limit: int, no_config: bool, schemas: tuple[str, ...],
           engine: str | None, fmt: str, debug: bool) -> None:
    """Write a self-contained HTML report that opens offline: graph, findings, check results, tables.

    Python twin: ``refint.connect(target).report(check=True).write("report.html")``.
    """

    def body() -> int:
        from rich.markup import escape

        from refint.lint import LintConfig, load_config

        config = LintConfig() if no_config else load_config()
        with open_db(target, schemas, engine=engine) as db:
            rep = db.report(check=with_check, disable=disable, ignore=ignore, config=config,
                            overview_limit=overview_limit)
        path = rep.write(output)
        if fmt == "json":
            emit_json({**rep.to_dict(), "output": str(path)})
        else:
            extra = ""
            checked = "" if rep.check_ok is None else ("; check: ok" if rep.check_ok else "; check: violations")
            console().print(f"wrote {escape(str(path))}: {rep.tables} tables, {rep.foreign_keys} foreign keys, "
                            f"{rep.findings} findings{escape(checked)}{extra}")
        return 0

    run_guarded(body, debug)
