"""``Database``: the Python surface of refint. Every CLI command is a thin client of one method here.

``refint.connect(target)`` accepts a URL, a file path, or a connection the caller already holds (which
refint never closes). The schema is read once, lazily, and cached; call :meth:`Database.refresh` after
changing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from refint.subset.api import SubsetMethod
from refint.target import Opened, open_target

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.check import CheckReport
    from refint.discover import Discovery
    from refint.engines.base import Capabilities, Engine
    from refint.explain import Explanation
    from refint.graph import Graph
    from refint.graph.report import Report
    from refint.lint import LintConfig, LintReport
    from refint.manage import ChangePlan, ChangeResult, DDLResult
    from refint.manage.changeplan import FaultHook, Live
    from refint.model import Action, Match, Schema, Table
    from refint.order import Order
    from refint.plan import Plan
    from refint.relations import Relations

class Database(SubsetMethod):
    """A connected database, its engine and its (cached) schema model: the Python twin of the CLI.

    Made by [refint.connect][]. Each command `refint NAME` is the method `NAME` (dashes become
    underscores; `plan delete` is `plan_delete`, `add-fk` is `add_foreign_key`), and each of its options
    a keyword parameter of the same name and default (`tests/test_api_twins.py` keeps the two in step).
    Read-only methods run in read-only transactions.
    """

    def __init__(self, opened: Opened, *, schemas: Sequence[str] | None = None,
                 schema: Schema | None = None) -> None:
        from refint.engines import engine_for

        self._opened = opened
        self.engine: Engine = engine_for(opened.conn, borrowed=opened.borrowed)
        self.schemas = list(schemas) if schemas else None
        #: the model, read on first use (or given: a folder of files has no catalog to read)
        self._schema: Schema | None = schema
        #: a given model is the only one there is: nothing can change it, and there is nothing to read again
        self._given = schema is not None
        #: callbacks run after close (e.g. an in-memory DuckDB refint created for a folder of files)
        self._on_close: list[Callable[[], object]] = []

    # -- connection --------------------------------------------------------------------------------
    @property
    def conn(self) -> sa.Connection:
        """A SQLAlchemy connection to the database.

        For a file opened read-only it is built on request around the driver connection refint reads through
        (they share one transaction).

        Returns:
            A `sqlalchemy.Connection`.
        """
        from refint.direct import DirectConnection

        conn = self._opened.conn
        if isinstance(conn, DirectConnection):
            return conn.as_sqlalchemy()  # type: ignore[no-any-return]
        return conn

    @property
    def name(self) -> str:
        """The engine's name: sqlite, postgresql, mysql, mariadb, duckdb or generic."""
        return self.engine.name

    @property
    def capabilities(self) -> Capabilities:
        """What the engine can do (deferrable keys, MATCH FULL, transactional DDL, ...).

        Returns:
            The engine's `refint.engines.base.Capabilities`; `docs/engines.md` lists them per engine.
        """
        return self.engine.capabilities

    @property
    def display(self) -> str:
        """The target as it may be printed: the URL with its password hidden, or the path."""
        return self._opened.display

    def close(self) -> None:
        """Close what refint opened; a connection the caller handed in stays open (and its transaction
        untouched).
        """
        self._opened.close()
        for callback in self._on_close:
            callback()
        self._on_close.clear()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inspect -----------------------------------------------------------------------------------
    def inspect(self) -> Schema:
        """Read every constraint into the engine-neutral model (`refint inspect`).

        Read once, in a read-only transaction, and cached: call [refresh][refint.database.Database.refresh]
        after changing the schema.

        Returns:
            The [Schema][refint.model.Schema]: tables with columns, primary key, uniques, checks and foreign keys.

        Raises:
            refint.errors.NoSuchSchema: a schema given to `connect(schemas=...)` does not exist.
            refint.errors.QueryFailed: a catalog query failed.
        """
        if self._schema is None:
            with self.engine.read_only():
                self._schema = self.engine.mark_dangling(self.engine.read_schema(self.schemas))
        return self._schema

    @property
    def schema(self) -> Schema:
        """The cached schema model, read on first use: the same as [inspect][refint.database.Database.inspect]()."""
        return self.inspect()

    def refresh(self) -> Schema:
        """Forget the cached schema and read it again (after a change made outside refint).

        Returns:
            The new [Schema][refint.model.Schema].
        """
        if not self._given:
            self._schema = None
        return self.inspect()

    def table(self, name: str, schema: str | None = None) -> Table:
        """One table of the schema (`refint inspect --table T`).

        Args:
            name: the table's name, or `schema.name`; the case is folded when that finds exactly one table.
            schema: the table's schema, when not part of `name`.

        Returns:
            The [Table][refint.model.Table].

        Raises:
            refint.errors.NoSuchTable: no table by that name.
        """
        return self.inspect().table(name, schema)

    # -- verbs: each calls one function of a verb package with the engine and the schema model ------
    def check(self, *, tables: Sequence[str] = (), constraints: Sequence[str] = (), kinds: Sequence[str] = (),
              sample: int = 5, timeout: float | None = None, relations: Relations | None = None,
              progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
        """Every row that breaks a constraint, whether or not the engine enforced it (`refint check`).

        Args:
            tables: only these tables (`--table`).
            constraints: only these constraints, by name (`--constraint`).
            kinds: only these kinds: foreign_key, primary_key, unique, not_null, check (`--kind`).
            sample: violating keys kept per constraint (`--sample`).
            timeout: per-statement limit in seconds (`--timeout`; SQLite: for the whole run).
            relations: keys the database does not declare (`--relation`, `--relations`; see
                `refint.relations.load_relations_file` and `refint.relations.parse_relation`).
            progress: called as `progress(done, total, label)` between queries.

        Returns:
            A [CheckReport][refint.check.CheckReport] (`.ok`, `.violations`, `.checked`).

        Raises:
            refint.errors.BadInput: an unknown kind.
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.NoSuchConstraint: an unknown constraint.
            refint.errors.QueryFailed: a query failed or timed out (Ctrl-C cancels the running query and raises
                KeyboardInterrupt).
        """
        from refint.check import check

        return check(self.engine, self.inspect(), tables=tables, constraints=constraints, kinds=kinds,
                     sample=sample, timeout=timeout, relations=relations, progress=progress)

    def discover(self, *, tables: Sequence[str] = (), min_score: float = 0.45, max_orphans: float = 0.01,
                 timeout: float | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> Discovery:
        """Foreign keys the database does not declare, found from the data, the names and the types
        (`refint discover`); read-only.

        Args:
            tables: only keys whose child is one of these tables (`--table`).
            min_score: report candidates scoring at least this (0..1; `--min-score`).
            max_orphans: the share of a column's distinct values that may be missing from the parent
                (an approximate key: a key with a data problem; `--max-orphans`).
            timeout: per-statement limit in seconds (`--timeout`; SQLite: for the whole run).
            progress: called as `progress(done, total, label)` between queries.

        Returns:
            A [Discovery][refint.discover.Discovery]; `.to_relations()` feeds `check(relations=...)`.

        Raises:
            refint.errors.BadInput: a score or share out of range.
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.QueryFailed: a query failed or timed out (Ctrl-C cancels it and raises
                KeyboardInterrupt).
        """
        from refint.discover import discover

        return discover(self.engine, self.inspect(), tables=tables, min_score=min_score, max_orphans=max_orphans,
                        timeout=timeout, progress=progress)

    def explain(self, error: BaseException | str, *, statement: str | None = None,
                params: Any = None) -> Explanation:
        """Which constraint and key an IntegrityError broke (`refint explain`).

        Args:
            error: the exception the driver raised, or its message text (`--error`).
            statement: the statement that failed (`--statement`); replayed inside a savepoint that is always
                rolled back, to find the exact keys.
            params: the statement's bound parameters.

        Returns:
            An [Explanation][refint.explain.Explanation].

        Raises:
            refint.errors.BadInput: the statement cannot be replayed.
        """
        from refint.explain import explain_error

        return explain_error(self.engine, self.inspect(), error, statement=statement, params=params)

    # -- managing foreign keys (refint.manage) ---------------------------------------------------------
    def _live(self) -> Live:
        from refint.manage.changeplan import Live

        return Live(self.engine, self.schemas, self._schema)

    def _changed(self, live: Live) -> None:
        if not self._given:
            self._schema = None  # a change ran, or may have: read the schema again next time

    def add_foreign_key(self, child: str, parent: str, *, name: str | None = None,
                        on_delete: str | Action = "NO ACTION", on_update: str | Action = "NO ACTION",
                        match: str | Match = "SIMPLE", deferrable: bool = False, initially_deferred: bool = False,
                        index: bool = False, repair: str | None = None, yes: bool = False,
                        dry_run: bool = False, rebuild: bool = False, undo: bool = False, lock_timeout: float = 0.5,
                        retries: int = 8, sample: int = 5, fault: FaultHook | None = None,
                        before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Add `child(cols) -> parent[(cols)]` with the engine's safe recipe (`refint add-fk`).

        Orphans are looked for first: when there are any, nothing changes (the result lists them) unless `repair`
        is `"delete"` or `"set-null"` with `yes=True`.

        Args:
            child: `'table(col, ...)'`; quote names with spaces or capitals: `'"Line Item"(order_id)'`.
            parent: `'table(col, ...)'`, or `'table'` for its primary key.
            name: the constraint name (default `CHILD_COLS_fkey`).
            on_delete: the ON DELETE action.
            on_update: the ON UPDATE action.
            match: SIMPLE or FULL.
            deferrable: DEFERRABLE (PostgreSQL, SQLite).
            initially_deferred: DEFERRABLE INITIALLY DEFERRED.
            index: also create the supporting index when missing (PostgreSQL: CONCURRENTLY).
            repair: what to do with orphans: `"delete"`, `"set-null"` or `"fail"` (default: stop and list them).
            yes: allow `repair` to change rows.
            dry_run: return the plan without running it.
            rebuild: DuckDB: re-create the table with the key (DuckDB has no ALTER for it).
            undo: MySQL/MariaDB: restore the rows an interrupted `repair` of this key kept in its backup table
                (dropping the key if the interrupted run added it) instead of completing the change.
            lock_timeout: the longest wait for a lock per DDL statement, in seconds.
            retries: retries with backoff after a lock timeout.
            sample: orphan keys to list.
            fault: a fault-injection hook (tests).
            before_apply: called with the plan just before it runs (the CLI prints the irreversible steps).

        Returns:
            A [ChangeResult][refint.manage.ChangeResult] (`.ok`, `.orphans`, `.done`, `.plan`).

        Raises:
            refint.errors.BadInput: a malformed column list, mismatched columns, a parent key that is not unique.
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.NotSupported: the engine cannot express the key (e.g. InnoDB and SET DEFAULT).
            refint.errors.UnsafeOperation: `repair` would change rows and `yes` is not set.
            refint.errors.QueryFailed: a statement failed (after undoing what had run).
        """
        from refint.manage import add_foreign_key

        live = self._live()
        try:
            return add_foreign_key(live, child, parent, name=name, on_delete=on_delete, on_update=on_update,
                                   match=match, deferrable=deferrable, initially_deferred=initially_deferred,
                                   index=index, repair=repair, yes=yes, dry_run=dry_run, rebuild=rebuild, undo=undo,
                                   lock_timeout=lock_timeout, retries=retries, sample=sample, fault=fault,
                                   before_apply=before_apply)
        finally:
            self._changed(live)

    def drop_foreign_key(self, table: str, name: str, *, if_exists: bool = False, dry_run: bool = False,
                         lock_timeout: float = 0.5, retries: int = 8, fault: FaultHook | None = None,
                         before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Drop the foreign key `name` of `table` (`refint drop-fk`).

        SQLite and DuckDB rebuild the table, keeping everything else.

        `dry_run`, `lock_timeout`, `retries`, `fault` and `before_apply` are as in
        [add_foreign_key][refint.database.Database.add_foreign_key].

        Args:
            table: the child table.
            name: the constraint name (an unnamed SQLite key: its columns, `'(customer_id)'`).
            if_exists: a missing key (or table) is a no-op.

        Returns:
            A [ChangeResult][refint.manage.ChangeResult].

        Raises:
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.NoSuchConstraint: no such key on the table.
            refint.errors.QueryFailed: a statement failed (after undoing what had run).
        """
        from refint.manage import drop_foreign_key

        live = self._live()
        try:
            return drop_foreign_key(live, table, name, if_exists=if_exists, dry_run=dry_run,
                                    lock_timeout=lock_timeout, retries=retries, fault=fault,
                                    before_apply=before_apply)
        finally:
            self._changed(live)

    def validate(self, *, constraint: str | None = None, table: str | None = None, dry_run: bool = False,
                 lock_timeout: float = 0.5, retries: int = 8, sample: int = 5, fault: FaultHook | None = None,
                 before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Validate PostgreSQL `NOT VALID` keys after checking them for orphans (`refint validate`); on
        other engines, check every key.

        `dry_run`, `lock_timeout`, `retries`, `fault` and `before_apply` are as in
        [add_foreign_key][refint.database.Database.add_foreign_key].

        Args:
            constraint: only this foreign key.
            table: only the foreign keys of this table.
            sample: orphan keys to list.

        Returns:
            A [ChangeResult][refint.manage.ChangeResult] whose `orphans` are the violations found (then nothing is
            validated).

        Raises:
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.NoSuchConstraint: an unknown constraint.
            refint.errors.QueryFailed: a statement failed.
        """
        from refint.manage import validate

        live = self._live()
        try:
            return validate(live, constraint=constraint, table=table, dry_run=dry_run,
                            lock_timeout=lock_timeout, retries=retries, sample=sample, fault=fault,
                            before_apply=before_apply)
        finally:
            self._changed(live)

    def index_foreign_keys(self, *, table: str | None = None, dry_run: bool = False,
                           fault: FaultHook | None = None,
                           before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Create the missing supporting index of each foreign key (`refint index-fks`).

        Leading columns equal to the key, in order, count as an index; partial indexes do not. PostgreSQL uses
        `CREATE INDEX CONCURRENTLY`.

        `dry_run`, `fault` and `before_apply` are as in
        [add_foreign_key][refint.database.Database.add_foreign_key].

        Args:
            table: only the foreign keys of this table.

        Returns:
            A [ChangeResult][refint.manage.ChangeResult].

        Raises:
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.QueryFailed: a statement failed.
        """
        from refint.manage import index_foreign_keys

        live = self._live()
        try:
            return index_foreign_keys(live, table=table, dry_run=dry_run, fault=fault, before_apply=before_apply)
        finally:
            self._changed(live)

    def drop_table(self, table: str, *, cascade_constraints: bool = False, if_exists: bool = False,
                   dry_run: bool = False, lock_timeout: float = 0.5, retries: int = 8,
                   fault: FaultHook | None = None,
                   before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Drop `table` (`refint drop-table`).

        With `cascade_constraints`, first the keys of other tables pointing at it (Oracle's `DROP TABLE ...
        CASCADE CONSTRAINTS`); their rows stay.

        `dry_run`, `lock_timeout`, `retries`, `fault` and `before_apply` are as in
        [add_foreign_key][refint.database.Database.add_foreign_key].

        Args:
            table: the table to drop.
            cascade_constraints: drop the keys referring to it first.
            if_exists: a missing table is a no-op.

        Returns:
            A [ChangeResult][refint.manage.ChangeResult].

        Raises:
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.UnsafeOperation: the table is referenced and `cascade_constraints` is not set.
            refint.errors.QueryFailed: a statement failed (after undoing what had run).
        """
        from refint.manage import drop_table

        live = self._live()
        try:
            return drop_table(live, table, cascade_constraints=cascade_constraints, if_exists=if_exists,
                              dry_run=dry_run, lock_timeout=lock_timeout, retries=retries, fault=fault,
                              before_apply=before_apply)
        finally:
            self._changed(live)

    def ddl(self, dialect: str, *, keep_schema: bool = True) -> DDLResult:
        """The schema's constraints as DDL for another dialect, with every clause it cannot express listed
        (`refint ddl`).

        Args:
            dialect: postgresql, mysql, sqlite, oracle or duckdb.
            keep_schema: qualify table names with their schema (`--no-schema` sets it to False).

        Returns:
            A [DDLResult][refint.manage.DDLResult] (`.text()`, `.untranslated`, `.ok`).

        Raises:
            refint.errors.BadInput: an unknown dialect.
        """
        from refint.manage import render_ddl

        return render_ddl(self.inspect(), dialect, keep_schema=keep_schema)

    # -- reading the design ----------------------------------------------------------------------------
    def plan_delete(self, table: str, where: str, *, sample: int = 3, timeout: float | None = None) -> Plan:
        """What `DELETE FROM table WHERE where` would do through every key, by the engine's own rules,
        without changing anything (`refint plan delete`).

        Args:
            table: the table the statement deletes from.
            where: one SQL predicate of the target engine.
            sample: sample keys kept per step.
            timeout: per-statement limit in seconds (`--timeout`; SQLite: for the whole plan).

        Returns:
            A [Plan][refint.plan.Plan] (`.ok`, `.certain`, `.deleted`, `.updated`, `.blocked_by`, `.steps`).

        Raises:
            refint.errors.BadInput: a malformed or writing predicate.
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.QueryFailed: a query failed.
        """
        from refint.plan import plan_delete

        return plan_delete(self.engine, self.inspect(), table, where, sample=sample, timeout=timeout)

    def plan_update(self, table: str, set: str, where: str, *, sample: int = 3,
                    timeout: float | None = None) -> Plan:
        """What `UPDATE table SET set WHERE where` would do through every key (`refint plan update`).

        Args:
            table: the table the statement updates.
            set: `'column = expression, ...'` in the target engine's SQL.
            where: one SQL predicate of the target engine.
            sample: sample keys kept per step.
            timeout: per-statement limit in seconds (`--timeout`; SQLite: for the whole plan).

        Returns:
            A [Plan][refint.plan.Plan].

        Raises:
            refint.errors.BadInput: a malformed assignment or predicate.
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.QueryFailed: a query failed.
        """
        from refint.plan import plan_update

        return plan_update(self.engine, self.inspect(), table, set, where, sample=sample, timeout=timeout)

    def order(self, purpose: str = "load") -> Order:
        """The table order for loading, emptying or dropping, with the keys each cycle must defer and how
        (`refint order`).

        Args:
            purpose: load, delete or drop (`--for`).

        Returns:
            An [Order][refint.order.Order] (`.order`, `.cycles`, `.deferred`); `refint.order.sql.script` turns it
            into SQL.

        Raises:
            refint.errors.BadInput: an unknown purpose.
        """
        from refint.order import order

        return order(self.inspect(), purpose, capabilities=self.capabilities, engine=self.name)

    def lint(self, *, disable: Sequence[str] = (), ignore: Sequence[str] = (), cascade_depth: int | None = None,
             only: Sequence[str] = (), config: LintConfig | None = None) -> LintReport:
        """Foreign-key design findings, each with a rule id, severity, message and fix (`refint lint`).

        Args:
            disable: rules not to run, by id (`--disable`).
            ignore: suppress findings on a constraint: `NAME`, `table.NAME` or `rule:NAME` (`--ignore`).
            cascade_depth: the longest ON DELETE CASCADE chain allowed (`--cascade-depth`).
            only: run only these rules (`--rule`).
            config: `[tool.refint]` settings, from `refint.lint.load_config`.

        Returns:
            A [LintReport][refint.lint.LintReport]; `.failed(severity)` is the CLI's `--fail-on`.

        Raises:
            refint.errors.BadInput: an unknown rule id.
        """
        from refint.lint import lint

        return lint(self.engine, self.inspect(), disable=disable, ignore=ignore, cascade_depth=cascade_depth,
                    only=only, config=config)

    def graph(self, table: str | None = None, depth: int = 1) -> Graph:
        """The foreign-key graph, or the tables within `depth` keys of `table` (`refint graph`).

        Args:
            table: only the neighbourhood of this table.
            depth: how many foreign keys away from `table`, in either direction.

        Returns:
            A [Graph][refint.graph.Graph]; `refint.graph.render(g, "mermaid")` (or dot, svg) draws it.

        Raises:
            refint.errors.NoSuchTable: an unknown table.
        """
        from refint.graph import build_graph

        return build_graph(self.inspect(), table, depth)

    def report(self, *, check: bool = False, title: str | None = None, overview_limit: int = 60,
               disable: Sequence[str] = (), ignore: Sequence[str] = (),
               config: LintConfig | None = None) -> Report:
        """A self-contained HTML report: graph, lint findings, every table, and with `check` the check
        results (`refint report`).

        Args:
            check: also check every row.
            title: the report's title (default: the target).
            overview_limit: show the whole-schema drawing open up to this many tables (folded beyond).
            disable: lint rules to leave out.
            ignore: lint findings to suppress.
            config: `[tool.refint]` settings for lint.

        Returns:
            A [Report][refint.graph.report.Report]; `.write(path)` saves it.

        Raises:
            refint.errors.BadInput: an unknown lint rule id.
            refint.errors.QueryFailed: a check query failed.
        """
        from refint.graph.report import report

        check_report = self.check() if check else None
        return report(self.engine, self.inspect(), display=self.display, check_report=check_report,
                      title=title, overview_limit=overview_limit, disable=disable, ignore=ignore,
                      config=config)


def connect(target: Any = None, *, schemas: Sequence[str] | None = None, readonly: bool = False,
            relations: Relations | None = None, engine: str | None = None) -> Database:
    """Open `target` as a [Database][refint.database.Database] (the CLI's TARGET, `--schema`, `--relations`).

    Args:
        target: a URL (`postgresql://postgres@127.0.0.1/shop`, a Spark Connect `sc://host:15002`), a file
            path (SQLite, DuckDB), a folder of Parquet/CSV/JSON files (read by an in-memory DuckDB, see
            `refint.files`, or by Spark), an open DB-API or SQLAlchemy connection or a `SparkSession`
            (never closed or stopped by refint), or None for the `REFINT_URL` environment variable.
        schemas: only these schemas (default: every user schema; Spark: the current database).
        readonly: open a file read-only (the read-only verbs of the CLI do).
        relations: for a folder: the keys, uniques and relationships its files do not declare.
        engine: what reads a folder of files: `duckdb` (the default) or `spark` (a local Spark session,
            `pip install 'refint[spark]'`; see docs/spark.md).

    Returns:
        The [Database][refint.database.Database]; use it as a context manager, or call `close()`.

    Raises:
        refint.errors.InvalidTarget: not a URL, path or connection refint understands, or a path that
            does not exist (refint never creates an empty database by accident).
        refint.errors.ConnectionFailed: the server could not be reached or refused the login.
    """
    import os

    if engine not in (None, "duckdb", "spark"):
        from refint.errors import BadInput

        raise BadInput(f"unknown --engine {engine!r} (choose duckdb or spark)")
    from refint.files import is_folder

    folder = is_folder(target)
    if folder and engine == "spark":
        from refint.engines.spark import open_folder as open_spark_folder

        opened, schema = open_spark_folder(os.fspath(target), relations)
        return Database(opened, schema=schema)
    if folder:
        from refint.files import FOLDER_REFUSED, FOLDER_WHERE, open_folder

        opened, schema = open_folder(os.fspath(target), relations)
        db = Database(opened, schema=schema)
        db.engine.refused_verbs, db.engine.refused_where = FOLDER_REFUSED, FOLDER_WHERE
        return db
    if engine is not None and not _is_spark_target(target, engine):
        from refint.errors import InvalidTarget

        raise InvalidTarget(f"--engine {engine} reads a folder of files; {target!r} is not a folder")
    opened = open_target(target, readonly=readonly)
    try:
        return Database(opened, schemas=schemas)
    except BaseException:
        opened.close()
        raise


def _is_spark_target(target: Any, engine: str) -> bool:
    """``--engine spark`` also accepts what is Spark anyway: a Spark Connect URL or a session."""
    from refint.engines.spark import is_session

    return engine == "spark" and (is_session(target) or str(target).startswith("sc://"))
