"""The ``refint`` command: a thin client of the library.

Each command parses its arguments, calls one library function and renders the result (Rich for people,
JSON for scripts). Commands live in their own modules and are imported only when run, so that
``refint --help`` answers without importing SQLAlchemy, drivers or Rich.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

#: command name -> (module, attribute, one-line help shown by ``refint --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "inspect": ("refint.cli.inspect_cmd", "inspect", "Show every constraint of the database."),
    "check": ("refint.cli.check_cmd", "check", "Find every row that breaks a constraint."),
    "discover": ("refint.cli.discover_cmd", "discover", "Find the foreign keys nobody declared, from the data."),
    "explain": ("refint.cli.explain_cmd", "explain", "Say which key an IntegrityError broke."),
    "plan": ("refint.cli.plan_cmd", "plan", "Preview what a DELETE/UPDATE would do through every key."),
    "order": ("refint.cli.order_cmd", "order", "Order tables for load, delete or drop; break cycles."),
    "lint": ("refint.cli.lint_cmd", "lint", "Find foreign-key design problems, with fixes."),
    "graph": ("refint.cli.graph_cmd", "graph", "Draw the foreign-key graph (Mermaid, DOT, SVG, JSON)."),
    "report": ("refint.cli.report_cmd", "report", "Write a self-contained HTML report."),
    "add-fk": ("refint.cli.manage_cmd", "add_fk", "Add a foreign key safely (orphans first, no long locks)."),
    "drop-fk": ("refint.cli.manage_cmd", "drop_fk", "Drop a foreign key (SQLite: rebuild, all else kept)."),
    "validate": ("refint.cli.manage_cmd", "validate", "Validate NOT VALID foreign keys after checking them."),
    "index-fks": ("refint.cli.manage_cmd", "index_fks", "Create the missing indexes behind foreign keys."),
    "drop-table": ("refint.cli.manage_cmd", "drop_table", "Drop a table, with the keys to it on request."),
    "ddl": ("refint.cli.manage_cmd", "ddl", "Print the constraints as DDL for another dialect."),
    "subset": ("refint.cli.subset_cmd", "subset", "Copy a referentially complete slice into a new database."),
}

EPILOG = """\b
TARGET is a URL or a file path, e.g.
  refint inspect examples/school.db
  refint inspect postgresql://postgres@127.0.0.1:5432/mydb
  refint inspect mariadb://root@127.0.0.1:3306/mydb
When TARGET is omitted, REFINT_URL from the environment is used.
Exit codes: 0 nothing found, 1 findings, 2 usage/connection/input error."""


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = getattr(module, entry[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from the table above, without importing a single command module."""
        rows = [(name, entry[2]) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="refint", prog_name="refint")
def cli() -> None:
    """refint: referential integrity for relational databases.

    Inspect every constraint, check the data against them, plan what a DELETE/UPDATE would do through
    every foreign key, order tables for load/delete/drop, manage keys safely, lint and graph the design.
    """


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"refint: error: {message}", err=True)
    sys.exit(code)


def run_guarded(fn: Callable[[], int], debug: bool) -> NoReturn:
    """Run a command body: refint errors become one line and exit 2, never a traceback."""
    from refint.errors import RefintError

    try:
        code = fn()
    except RefintError as exc:
        _traceback(debug)
        fail(str(exc))
    except KeyboardInterrupt:
        click.echo("refint: terminated" if _TERMINATED else "refint: interrupted", err=True)
        sys.exit(143 if _TERMINATED else 130)
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except Exception as exc:  # a driver or SQLAlchemy error we did not anticipate
        _traceback(debug)
        fail(describe_unexpected(exc))
    sys.exit(code)


_TERMINATED = False


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM (a process manager, `timeout`, `kill`) takes Ctrl-C's path, through whatever SIGINT
    handler is in place (the engines' own cancel the server's query): the same cleanup, exit 143."""
    import signal

    global _TERMINATED
    _TERMINATED = True
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):  # Python's own raises KeyboardInterrupt; an engine's cancels and lets it come
        handler(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt


def _traceback(debug: bool) -> None:
    """With ``--debug`` the traceback goes to stderr first; the exit code stays 2 (1 means findings, and
    a script that checks for findings must not read a crash as one)."""
    if debug:
        import traceback

        traceback.print_exc(file=sys.stderr)


def describe_unexpected(exc: BaseException) -> str:
    from refint.target import redact

    orig: Any = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    return redact(f"{type(orig).__name__}: {first}" if first else type(orig).__name__, None)


def main() -> None:
    # refint is a short-lived process that builds hundreds of thousands of small acyclic objects
    # (SQLAlchemy's import, catalog rows, model dataclasses, JSON dicts). The cyclic collector would
    # rescan them again and again for nothing: off, `refint inspect --format json` on a 2,000-table
    # schema takes 0.75 s instead of 0.99 s (median of 7, benchmarks/RESULTS.md). What cycles remain
    # (a few per statement run) are bounded by the number of statements and freed at exit.
    import gc

    gc.disable()
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    cli(prog_name="refint")


if __name__ == "__main__":  # pragma: no cover
    main()
