"""``refint explain``: which key an IntegrityError broke."""

from __future__ import annotations

import click

from refint.cli.common import console, debug_option, emit_json, format_option, open_db, target_argument
from refint.cli.main import run_guarded


@click.command(epilog="""\b
Examples:
  refint explain app.db --error "FOREIGN KEY constraint failed" --statement "INSERT INTO orders VALUES (1, 99)"
  refint explain postgresql://postgres@127.0.0.1/shop --error 'insert or update on table "orders" violates ...'
  refint explain mariadb://root@127.0.0.1/shop --error "(1452) Cannot add or update a child row: ..." """)
@target_argument
@click.option("--error", "error", required=True, metavar="MESSAGE", help="The error message the application got.")
@click.option("--statement", metavar="SQL",
              help="The statement that failed: replayed in a savepoint with checks postponed, then rolled back.")
@format_option()
@debug_option
def explain(target: str | None, error: str, statement: str | None, fmt: str, debug: bool) -> None:
    """Turn a foreign-key error into the constraint, the table and the offending key.

    Python twin: ``refint.explain_error(conn, exc)``.
    """

    def body() -> int:
        with open_db(target, readonly=statement is None) as db:
            result = db.explain(error, statement=statement)
        if fmt == "json":
            emit_json(result.to_dict())
            return 0
        con = console()
        from rich.markup import escape

        if result.constraint is None:
            con.print("[yellow]no broken key found[/]")
        else:
            where = f"{result.schema}.{result.table}" if result.schema else result.table
            con.print(f"[bold]{escape(result.constraint or '')}[/]: {escape(where or '')}"
                      f"({escape(', '.join(result.columns))}) → {escape(result.referred_table or '')}"
                      f"({escape(', '.join(result.referred_columns))})  [dim]{result.kind.replace('_', ' ')}[/]")
        for key in result.keys:
            con.print("  key: " + escape(", ".join(f"{k}={v}" for k, v in key.items())))
        if result.referencing_rows is not None:
            con.print(f"  rows still referencing it: {result.referencing_rows}")
        for note in result.notes:
            con.print(f"  [dim]{escape(note)}[/]")
        return 0

    run_guarded(body, debug)
