"""``refint add-fk | drop-fk | validate | index-fks | drop-table | ddl``: thin clients of refint.manage/ddl.

Every change command prints its plan with ``--dry-run`` and changes nothing; otherwise it says, before
running, which steps cannot be undone, then runs the plan and lists what was done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from refint.cli.common import (
    console,
    debug_option,
    emit_json,
    engine_option,
    err_console,
    format_option,
    open_db,
    schema_option,
    target_argument,
)
from refint.cli.main import run_guarded

if TYPE_CHECKING:
    from refint.manage.changeplan import ChangePlan, ChangeResult

F = TypeVar("F", bound=Callable[..., Any])
ACTIONS = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]


def _action(value: str | None) -> str:
    return " ".join((value or "NO ACTION").replace("_", " ").replace("-", " ").split()).upper()


def dry_run_option(fn: F) -> F:
    return click.option("--dry-run", is_flag=True, help="Print the statements and change nothing.")(fn)


def lock_options(fn: F) -> F:
    fn = click.option("--lock-timeout", type=click.FloatRange(min=0, min_open=True), default=0.5,
                      show_default=True, metavar="SECONDS",
                      help="Longest wait for a lock per DDL statement (PostgreSQL, MySQL); writers queued "
                           "behind us wait no longer.")(fn)
    return click.option("--retries", type=click.IntRange(min=0), default=8, show_default=True,
                        help="Retries with backoff after a lock timeout.")(fn)


def _warn_irreversible(plan: ChangePlan) -> None:
    steps = plan.irreversible
    if steps:
        con = err_console()
        con.print("[yellow]refint: these steps cannot be undone once they have run (the engine commits "
                  "DDL at once):[/]")
        for s in steps:
            con.print(f"  - {s}", markup=False)


def _finish(result: ChangeResult, fmt: str) -> int:
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        render(result)
    return 0 if result.ok else 1


def render(result: ChangeResult) -> None:
    from rich.markup import escape

    con = console()
    plan = result.plan
    for note in plan.notes:
        con.print(f"[dim]note:[/] {escape(note)}")
    for v in result.orphans:
        table = f"{v.schema}.{v.table}" if v.schema else v.table
        con.print(f"[red]✗[/] {escape(table)} {escape(v.constraint or '')}: {v.count} orphan rows. {escape(v.message)}")
        for s in v.sample:
            con.print("  [dim]·[/] " + escape(", ".join(f"{k}={val}" for k, val in s.items())))
    if result.dry_run and plan.steps:
        click.echo(plan.script())  # plain text: SQL must not be re-wrapped to the terminal width
        if plan.irreversible:
            con.print("[yellow]cannot be undone once run:[/] " + escape("; ".join(plan.irreversible)))
    for d in result.done:
        con.print(f"[green]✓[/] {escape(d)}")
    if result.message:
        con.print(escape(result.message))


@click.command("add-fk", epilog="""\b
Examples:
  refint add-fk shop.db 'orders(customer_id)' 'customers(id)'
  refint add-fk shop.db 'orders(customer_id)' customers --on-delete cascade --dry-run
  refint add-fk postgresql://postgres@127.0.0.1/shop 'sales.orders(customer_id)' 'sales.customers' --index
  refint add-fk shop.db '"line item"(order_id)' 'orders(id)' --repair delete --yes""")
@target_argument
@click.argument("child", metavar="'CHILD(col,...)'")
@click.argument("parent", metavar="'PARENT[(col,...)]'")
@click.option("--name", help="Constraint name (default: CHILD_COLS_fkey).")
@click.option("--on-delete", type=click.Choice(ACTIONS, case_sensitive=False), default="NO ACTION",
              show_default=True)
@click.option("--on-update", type=click.Choice(ACTIONS, case_sensitive=False), default="NO ACTION",
              show_default=True)
@click.option("--match", type=click.Choice(["SIMPLE", "FULL"], case_sensitive=False), default="SIMPLE",
              show_default=True)
@click.option("--deferrable", is_flag=True, help="DEFERRABLE (PostgreSQL, SQLite).")
@click.option("--initially-deferred", is_flag=True, help="DEFERRABLE INITIALLY DEFERRED.")
@click.option("--index/--no-index", default=False, show_default=True,
              help="Create the supporting index first when missing (PostgreSQL: CONCURRENTLY).")
@click.option("--repair", type=click.Choice(["delete", "set-null", "fail"]),
              help="What to do with orphans (default: stop and list them).")
@click.option("--yes", is_flag=True, help="Allow --repair delete|set-null to change rows.")
@click.option("--rebuild", is_flag=True, help="DuckDB: re-create the table with the key (no ALTER for it).")
@click.option("--undo", is_flag=True,
              help="MySQL/MariaDB: restore the rows an interrupted --repair of this key kept (its refint_repair_* "
                   "table) instead of completing the change.")
@click.option("--sample", default=5, show_default=True, type=click.IntRange(min=0), help="Orphan keys to list.")
@dry_run_option
@lock_options
@schema_option
@engine_option
@format_option()
@debug_option
def add_fk(target: str | None, child: str, parent: str, name: str | None, on_delete: str, on_update: str,
           match: str, deferrable: bool, initially_deferred: bool, index: bool, repair: str | None, yes: bool,
           rebuild: bool, undo: bool, sample: int, dry_run: bool, lock_timeout: float, retries: int, schemas: tuple[str, ...],
           engine: str | None, fmt: str,
           debug: bool) -> None:
    """Add a foreign key safely: check orphans first, then the engine's safe recipe.

    CHILD is 'table(col, ...)', PARENT 'table(col, ...)' or 'table' (its primary key); quote names
    with spaces or capitals: '"Line Item"(order_id)'. Exit 1 when orphans stop the change.

    Python twin: ``refint.connect(target).add_foreign_key(child, parent, ...)``.
    """

    def body() -> int:
        with open_db(target, schemas, readonly=False, engine=engine, verb="add-fk") as db:
            result = db.add_foreign_key(
                child, parent, name=name, on_delete=_action(on_delete), on_update=_action(on_update), match=match,
                deferrable=deferrable, initially_deferred=initially_deferred, index=index, repair=repair, yes=yes,
                rebuild=rebuild, undo=undo, dry_run=dry_run, lock_timeout=lock_timeout, retries=retries, sample=sample,
                before_apply=_warn_irreversible)
            return _finish(result, fmt)

    run_guarded(body, debug)


@click.command("drop-fk", epilog="""\b
Examples:
  refint drop-fk shop.db orders orders_customer_id_fkey
  refint drop-fk postgresql://postgres@127.0.0.1/shop sales.orders orders_customer_id_fkey --if-exists
  refint drop-fk shop.db orders '(customer_id)' --dry-run    # an unnamed SQLite key, by its columns""")
@target_argument
@click.argument("table")
@click.argument("name")
@click.option("--if-exists", is_flag=True, help="No error when the key (or table) does not exist.")
@dry_run_option
@lock_options
@schema_option
@engine_option
@format_option()
@debug_option
def drop_fk(target: str | None, table: str, name: str, if_exists: bool, dry_run: bool, lock_timeout: float,
            retries: int, schemas: tuple[str, ...], engine: str | None, fmt: str, debug: bool) -> None:
    """Drop one foreign key (SQLite: by rebuilding the table, everything else kept).

    Python twin: ``refint.connect(target).drop_foreign_key(table, name, ...)``.
    """

    def body() -> int:
        with open_db(target, schemas, readonly=False, engine=engine, verb="drop-fk") as db:
            result = db.drop_foreign_key(table, name, if_exists=if_exists, dry_run=dry_run,
                                         lock_timeout=lock_timeout, retries=retries, before_apply=_warn_irreversible)
            return _finish(result, fmt)

    run_guarded(body, debug)


@click.command("validate", epilog="""\b
Examples:
  refint validate postgresql://postgres@127.0.0.1/shop
  refint validate postgresql://postgres@127.0.0.1/shop --constraint orders_customer_id_fkey
  refint validate shop.db --format json""")
@target_argument
@click.option("--constraint", help="Only this foreign key.")
@click.option("--table", help="Only the foreign keys of this table.")
@click.option("--sample", default=5, show_default=True, type=click.IntRange(min=0), help="Orphan keys to list.")
@dry_run_option
@lock_options
@schema_option
@engine_option
@format_option()
@debug_option
def validate(target: str | None, constraint: str | None, table: str | None, sample: int, dry_run: bool,
             lock_timeout: float, retries: int, schemas: tuple[str, ...],
             engine: str | None, fmt: str, debug: bool) -> None:
    """Validate NOT VALID foreign keys (PostgreSQL); elsewhere check every key. Exit 1 on orphans.

    Python twin: ``refint.connect(target).validate(constraint=..., table=...)``.
    """

    def body() -> int:
        with open_db(target, schemas, readonly=False, engine=engine, verb="validate") as db:
            result = db.validate(constraint=constraint, table=table, sample=sample, dry_run=dry_run,
                                 lock_timeout=lock_timeout, retries=retries, before_apply=_warn_irreversible)
            return _finish(result, fmt)

    run_guarded(body, debug)


@click.command("index-fks", epilog="""\b
Examples:
  refint index-fks shop.db --dry-run
  refint index-fks postgresql://postgres@127.0.0.1/shop --table orders""")
@target_argument
@click.option("--table", help="Only the foreign keys of this table.")
@dry_run_option
@schema_option
@engine_option
@format_option()
@debug_option
def index_fks(target: str | None, table: str | None, dry_run: bool, schemas: tuple[str, ...],
              engine: str | None, fmt: str,
              debug: bool) -> None:
    """Create the missing supporting index of each foreign key (leading columns = the key, in order;
    partial indexes do not count). PostgreSQL: CREATE INDEX CONCURRENTLY.

    Python twin: ``refint.connect(target).index_foreign_keys(table=...)``.
    """

    def body() -> int:
        with open_db(target, schemas, readonly=False, engine=engine, verb="index-fks") as db:
            result = db.index_foreign_keys(table=table, dry_run=dry_run, before_apply=_warn_irreversible)
            return _finish(result, fmt)

    run_guarded(body, debug)


@click.command("drop-table", epilog="""\b
Examples:
  refint drop-table shop.db customers --cascade-constraints --dry-run
  refint drop-table postgresql://postgres@127.0.0.1/shop sales.customers --cascade-constraints --if-exists""")
@target_argument
@click.argument("table")
@click.option("--cascade-constraints", is_flag=True,
              help="First drop the foreign keys of other tables that refer to TABLE (Oracle's behaviour).")
@click.option("--if-exists", is_flag=True, help="No error when the table does not exist.")
@dry_run_option
@lock_options
@schema_option
@engine_option
@format_option()
@debug_option
def drop_table(target: str | None, table: str, cascade_constraints: bool, if_exists: bool, dry_run: bool,
               lock_timeout: float, retries: int, schemas: tuple[str, ...],
               engine: str | None, fmt: str, debug: bool) -> None:
    """Drop a table; with --cascade-constraints, the keys pointing at it first (rows of other tables stay).

    Python twin: ``refint.connect(target).drop_table(table, cascade_constraints=True)``.
    """

    def body() -> int:
        with open_db(target, schemas, readonly=False, engine=engine, verb="drop-table") as db:
            result = db.drop_table(table, cascade_constraints=cascade_constraints, if_exists=if_exists,
                                   dry_run=dry_run, lock_timeout=lock_timeout, retries=retries,
                                   before_apply=_warn_irreversible)
            return _finish(result, fmt)

    run_guarded(body, debug)


@click.command("ddl", epilog="""\b
Examples:
  refint ddl examples/school.db --dialect postgresql
  refint ddl postgresql://postgres@127.0.0.1/shop --dialect oracle --format json
  refint ddl mariadb://root@127.0.0.1/shop --dialect duckdb""")
@target_argument
@click.option("--dialect", required=True, type=click.Choice(["postgresql", "mysql", "sqlite", "oracle", "duckdb"]))
@click.option("--no-schema", is_flag=True, help="Leave schema names out of table references.")
@schema_option
@engine_option
@format_option("table", "json", "sql")
@debug_option
def ddl(target: str | None, dialect: str, no_schema: bool, schemas: tuple[str, ...],
        engine: str | None, fmt: str, debug: bool) -> None:
    """Print the schema's constraints as DDL for another dialect, flagging what cannot be translated
    (exit 1 when something could not be).

    Python twin: ``refint.connect(target).ddl(dialect)``.
    """

    def body() -> int:
        with open_db(target, schemas, engine=engine) as db:
            result = db.ddl(dialect, keep_schema=not no_schema)
        if fmt == "json":
            emit_json(result.to_dict())
        else:
            click.echo(result.text(), nl=False)
            for u in result.untranslated:
                click.echo(f"-- NOT TRANSLATED: {u.table} {u.constraint or ''} {u.clause}: {u.message}", err=fmt == "sql")
        return 0 if result.ok else 1

    run_guarded(body, debug)
