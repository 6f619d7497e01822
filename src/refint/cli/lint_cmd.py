"""``refint lint``: design findings for every foreign key. Exit 1 when a finding reaches ``--fail-on``."""

from __future__ import annotations

import click

from refint.cli.common import console, debug_option, emit_json, engine_option, open_db, schema_option, target_argument
from refint.cli.main import run_guarded

SEVERITY_CHOICE = click.Choice(["error", "warning", "info"])


@click.command(epilog="""\b
Examples:
  refint lint examples/school.db
  refint lint postgresql://postgres@127.0.0.1/shop --fail-on error
  refint lint shop.db --disable fk-missing --ignore orders.orders_customer_fk
  refint lint mariadb://root@127.0.0.1/shop --format sarif > refint.lint.sarif
  refint lint --list-rules
\b
pyproject.toml (read from the current directory upward):
  [tool.refint]
  disable = ["fk-missing"]
  ignore = ["orders.orders_customer_fk", "fk-unindexed:audit_log_fk"]
  fail-on = "warning"
  cascade-depth = 3""")
@target_argument
@click.option("--fail-on", type=SEVERITY_CHOICE, default=None,
              help="Exit 1 when a finding has this severity or higher. [default: warning, or pyproject]")
@click.option("--disable", "disable", multiple=True, metavar="RULE", help="Do not run this rule (repeatable).")
@click.option("--rule", "only", multiple=True, metavar="RULE", help="Run only this rule (repeatable).")
@click.option("--ignore", "ignore", multiple=True, metavar="NAME",
              help="Suppress findings on this constraint: NAME, table.NAME or rule:NAME (repeatable).")
@click.option("--cascade-depth", type=click.IntRange(min=0), default=None, metavar="N",
              help="fk-cascade-depth: report cascades reaching more than N tables. [default: 3]")
@click.option("--no-config", is_flag=True, help="Ignore [tool.refint] in pyproject.toml.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@schema_option
@engine_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "sarif"]), default="table", show_default=True,
              help="table: for people; json: CONTRACT JSON; sarif: SARIF 2.1.0 for code scanning.")
@debug_option
def lint(target: str | None, fail_on: str | None, disable: tuple[str, ...], only: tuple[str, ...],
         ignore: tuple[str, ...], cascade_depth: int | None, no_config: bool, list_rules: bool,
         schemas: tuple[str, ...], engine: str | None, fmt: str, debug: bool) -> None:
    """Find foreign-key design problems: unindexed keys, type mismatches, cycles, ...

    Each finding has a rule id, a severity, a message and, where one exists, the DDL that fixes it.

    Python twin: ``refint.connect(target).lint(disable=..., ignore=..., config=...)``.
    """

    def body() -> int:
        from refint.lint import RULES, LintConfig, load_config

        if list_rules:
            return _list_rules(fmt)
        config = LintConfig() if no_config else load_config()
        threshold = fail_on or config.fail_on or "warning"
        with open_db(target, schemas, engine=engine) as db:
            report = db.lint(disable=disable, ignore=ignore, cascade_depth=cascade_depth, only=only,
                              config=config)
            display = db.display
        if fmt == "json":
            emit_json(report.to_dict())
        elif fmt == "sarif":
            from importlib.metadata import version

            from refint.lint.sarif import to_sarif

            emit_json(to_sarif(report, display, version("refint")))
        else:
            _render(report, display, threshold, len(RULES))
        return 1 if report.failed(threshold) else 0

    run_guarded(body, debug)


def _list_rules(fmt: str) -> int:
    from rich.table import Table

    from refint.lint import DOCS, RULES

    if fmt != "table":
        emit_json({"rules": [{"rule": r.id, "severity": r.severity, "summary": r.summary,
                              "docs": DOCS.format(r.id)} for r in RULES.values()]})
        return 0
    table = Table("rule", "severity", "what it finds", box=None)
    for r in RULES.values():
        table.add_row(r.id, r.severity, r.summary)
    console().print(table)
    return 0


def _render(report: object, display: str, threshold: str, n_rules: int) -> None:
    from rich.markup import escape

    from refint.lint import LintReport

    assert isinstance(report, LintReport)
    con = console()
    colours = {"error": "red", "warning": "yellow", "info": "blue"}
    if not report.findings:
        con.print(f"[green]✓[/] {escape(display)}: no findings ({len(report.rules)} rules)")
    else:
        for f in report.findings:
            where = escape(f.qualified_table) + (f" [dim]{escape(f.constraint)}[/]" if f.constraint else "")
            if f.columns:
                where += f" ({escape(', '.join(f.columns))})"
            con.print(f"[{colours[f.severity]}]{f.severity:<7}[/] [bold]{f.rule}[/]  {where}")
            con.print(f"  {escape(f.message)}")
            if f.fix:
                con.print(f"  [dim]fix:[/] {escape(f.fix)}")
        counts = ", ".join(f"{sum(1 for f in report.findings if f.severity == s)} {s}"
                           for s in ("error", "warning", "info"))
        failing = len(report.at_least(threshold))
        con.print(f"{escape(display)}: {len(report.findings)} findings ({counts}); {failing} at or above "
                  f"--fail-on {threshold}")
    notes = []
    if report.suppressed:
        notes.append(f"{report.suppressed} suppressed by ignore")
    if report.not_applicable:
        notes.append("not applicable here: " + ", ".join(report.not_applicable))
    if notes:
        con.print("[dim]" + escape("; ".join(notes)) + "[/]")
