"""Options and output helpers every command shares: TARGET, --format, --schema, --debug, JSON, Rich."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from refint.database import Database
    from refint.relations import Relations

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


def target_argument(fn: F) -> F:
    return click.argument("target", required=False, envvar="REFINT_URL")(fn)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    names = choices or ("table", "json")
    return click.option("--format", "fmt", type=click.Choice(names), default=default, show_default=True,
                        help="table: for people (Rich); json: one JSON document on stdout.")


def schema_option(fn: F) -> F:
    return click.option("--schema", "schemas", multiple=True, metavar="NAME",
                        help="Only these schemas (repeatable). Default: every user schema.")(fn)


def engine_option(fn: F) -> F:
    return click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
                        help="What reads a folder of files: duckdb (default) or spark (pip install "
                             "'refint[spark]'; a Spark Connect URL sc://host:15002 needs no flag).")(fn)


def debug_option(fn: F) -> F:
    return click.option("--debug", is_flag=True, help="Show the full traceback on errors.")(fn)


@contextmanager
def open_db(target: str | None, schemas: Sequence[str] = (), *, readonly: bool = True,
            relations: Relations | None = None, engine: str | None = None,
            verb: str | None = None) -> Iterator[Database]:
    """The target opened for one command; ``verb`` (the command's name) is refused before anything opens
    when the target is Spark and Spark does not run it (a local session takes seconds to start)."""
    from refint.database import connect

    if not target:
        from refint.errors import InvalidTarget

        raise InvalidTarget("no TARGET given and REFINT_URL is not set (try: refint COMMAND path/to/file.db)")
    if verb is not None:
        from refint.engines.base import refuse_verb
        from refint.files import FOLDER_REFUSED, FOLDER_WHERE, is_folder

        if engine == "spark" or target.startswith("sc://"):
            from refint.engines import engine_class

            refuse_verb("spark", engine_class("spark").refused_verbs, verb)
        elif is_folder(target):
            refuse_verb(FOLDER_WHERE, FOLDER_REFUSED, verb)
    db = connect(target, schemas=list(schemas) or None, readonly=readonly, relations=relations, engine=engine)
    try:
        yield db
    finally:
        db.close()


def emit_json(data: Any) -> None:
    """One JSON document on stdout, nothing else there (CONTRACT).

    Indented for a person at a terminal; compact in pipes, where the C encoder makes it several times
    faster on large schemas (json only uses it without ``indent``).
    """
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str))
    sys.stdout.write("\n")


def console() -> Console:
    """Rich console on stdout; colours only when stdout is a terminal."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def with_progress(label: str, run: Callable[[Callable[[int, int, str], None]], R]) -> R:
    """Run ``run(progress)`` under a transient Rich bar on stderr (terminals only: callers decide)."""
    from rich.progress import Progress

    with Progress(transient=True, console=err_console()) as bar:
        task = bar.add_task(label, total=None)

        def progress(done: int, total: int, text: str) -> None:
            bar.update(task, completed=done, total=total, description=text[:60])

        return run(progress)
