"""``Database``: the Python surface of refint. Every CLI command is a thin client of one method here.

``refint.connect(target)`` accepts a URL, a file path, or a connection the caller already holds (which
refint never closes). The schema is read once, lazily, and cached; call :meth:`Database.refresh` after
changing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from refint.target import Opened, open_target

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.check import CheckReport
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

class Database:
    """A connected database, its engine and its (cached) schema model."""

    def __init__(self, opened: Opened, *, schemas: Sequence[str] | None = None,
                 schema: Schema | None = None) -> None:
        from refint.engines import engine_for

        self._opened = opened
        self.engine: Engine = engine_for(opened.conn, borrowed=opened.borrowed)
        self.schemas = list(schemas) if schemas else None
        #: the model, read on first use (or given: a folder of files has no catalog to read)
        self._schema: Schema | None = schema
        #: callbacks run after close (e.g. an in-memory DuckDB refint created for a folder of files)
        self._on_close: list[Callable[[], object]] = []

    # -- connection --------------------------------------------------------------------------------
    @property
    def conn(self) -> sa.Connection:
        """A SQLAlchemy connection to the database (for a file opened read-only, built on request
        around the driver connection refint reads through: they share one transaction)."""
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
        return self.engine.capabilities

    @property
    def display(self) -> str:
        """The target as it may be printed (password hidden)."""
        return self._opened.display

    def close(self) -> None:
        """Close what refint opened; a connection the caller handed in stays open."""
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
        """Read every constraint into the engine-neutral model (in a read-only transaction)."""
        if self._schema is None:
            with self.engine.read_only():
                self._schema = self.engine.read_schema(self.schemas)
        return self._schema

    @property
    def schema(self) -> Schema:
        return self.inspect()

    def refresh(self) -> Schema:
        self._schema = None
        return self.inspect()

    def table(self, name: str, schema: str | None = None) -> Table:
        return self.inspect().table(name, schema)

    # -- verbs: each calls one function of a verb package with the engine and the schema model ------
    def check(self, *, tables: Sequence[str] = (), constraints: Sequence[str] = (), kinds: Sequence[str] = (),
              sample: int = 5, timeout: float | None = None, relations: Relations | None = None,
              progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
        """Every row that breaks a constraint, whether or not the engine enforced it (``refint check``).

        ``tables``/``constraints``/``kinds`` narrow what is checked (kinds: foreign_key, primary_key,
        unique, not_null, check); ``sample`` is the number of violating keys kept per constraint;
        ``timeout`` is a per-statement limit in seconds; ``relations`` adds keys the database does not
        declare (:func:`refint.relations.load_relations`). ``progress(done, total, label)`` is called
        between queries. Returns a :class:`refint.check.CheckReport` (``.ok``, ``.violations``).
        Raises :class:`~refint.errors.BadInput` for an unknown kind, :class:`~refint.errors.NoSuchTable` /
        :class:`~refint.errors.NoSuchConstraint` for unknown names, :class:`~refint.errors.QueryFailed`
        when a query fails; Ctrl-C cancels the running query and raises KeyboardInterrupt.
        """
        from refint.check import check

        return check(self.engine, self.inspect(), tables=tables, constraints=constraints, kinds=kinds,
                     sample=sample, timeout=timeout, relations=relations, progress=progress)

    def explain(self, error: BaseException | str, *, statement: str | None = None,
                params: Any = None) -> Explanation:
        """Which constraint and key an IntegrityError broke (``refint explain``).

        ``error`` is the exception the driver raised (or its message text); ``statement``/``params``, when
        given, are replayed inside a savepoint that is always rolled back, to find the exact keys. Returns
        a :class:`refint.explain.Explanation`. Raises :class:`~refint.errors.BadInput` for a statement
        that cannot be replayed.
        """
        from refint.explain import explain_error

        return explain_error(self.engine, self.inspect(), error, statement=statement, params=params)

    # -- managing foreign keys (refint.manage) ---------------------------------------------------------
    def _live(self) -> Live:
        from refint.manage.changeplan import Live

        return Live(self.engine, self.schemas, self._schema)

    def _changed(self, live: Live) -> None:
        self._schema = None  # a change ran, or may have: read the schema again next time

    def add_foreign_key(self, child: str, parent: str, *, name: str | None = None,
                        on_delete: str | Action = "NO ACTION", on_update: str | Action = "NO ACTION",
                        match: str | Match = "SIMPLE", deferrable: bool = False, initially_deferred: bool = False,
                        index: bool = False, repair: str | None = None, yes: bool = False,
                        dry_run: bool = False, rebuild: bool = False, lock_timeout: float = 0.5,
                        retries: int = 8, sample: int = 5, fault: FaultHook | None = None,
                        before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Add ``child(cols) -> parent[(cols)]`` with the engine's safe recipe (``refint add-fk``).

        Orphans are looked for first: when there are any, nothing changes (the result lists them) unless
        ``repair`` is ``"delete"`` or ``"set-null"`` with ``yes=True``. ``index`` also creates the
        supporting index; ``rebuild`` allows SQLite's table rebuild; ``lock_timeout`` (seconds) bounds
        every lock wait, retried ``retries`` times with backoff; ``dry_run`` returns the plan unapplied.
        ``fault`` and ``before_apply`` are hooks (tests, confirmation prompts). Returns a
        :class:`refint.manage.ChangeResult`. Raises :class:`~refint.errors.BadInput`,
        :class:`~refint.errors.NotSupported`, :class:`~refint.errors.UnsafeOperation` or
        :class:`~refint.errors.QueryFailed` (after undoing what had run).
        """
        from refint.manage import add_foreign_key

        live = self._live()
        try:
            return add_foreign_key(live, child, parent, name=name, on_delete=on_delete, on_update=on_update,
                                   match=match, deferrable=deferrable, initially_deferred=initially_deferred,
                                   index=index, repair=repair, yes=yes, dry_run=dry_run, rebuild=rebuild,
                                   lock_timeout=lock_timeout, retries=retries, sample=sample, fault=fault,
                                   before_apply=before_apply)
        finally:
            self._changed(live)

    def drop_foreign_key(self, table: str, name: str, *, if_exists: bool = False, dry_run: bool = False,
                         lock_timeout: float = 0.5, retries: int = 8, fault: FaultHook | None = None,
                         before_apply: Callable[[ChangePlan], None] | None = None) -> ChangeResult:
        """Drop the foreign key ``name`` of ``table`` (``refint drop-fk``; SQLite and DuckDB rebuild the
        table, keeping everything else). ``if_exists`` makes a missing key a no-op. Returns a
        :class:`refint.manage.ChangeResult`; raises :class:`~refint.errors.NoSuchConstraint`."""
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
        """Validate PostgreSQL ``NOT VALID`` keys after checking them for orphans (``refint validate``);
        on other engines, check every key. Returns a :class:`refint.manage.ChangeResult` whose
        ``orphans`` are the violations found (then nothing is validated)."""
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
        """Create the missing supporting index of each foreign key (``refint index-fks``; PostgreSQL:
        ``CREATE INDEX CONCURRENTLY``). Returns a :class:`refint.manage.ChangeResult`."""
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
        """Drop ``table`` (``refint drop-table``); with ``cascade_constraints`` first the keys pointing at
        it (Oracle's ``DROP TABLE ... CASCADE CONSTRAINTS``). Without it, a referenced table is refused
        with :class:`~refint.errors.UnsafeOperation`. Returns a :class:`refint.manage.ChangeResult`."""
        from refint.manage import drop_table

        live = self._live()
        try:
            return drop_table(live, table, cascade_constraints=cascade_constraints, if_exists=if_exists,
                              dry_run=dry_run, lock_timeout=lock_timeout, retries=retries, fault=fault,
                              before_apply=before_apply)
        finally:
            self._changed(live)

    def ddl(self, dialect: str, *, keep_schema: bool = True) -> DDLResult:
        """The schema's constraints as DDL for ``dialect`` (postgresql, mysql, sqlite, oracle, duckdb),
        with every clause it cannot express listed (``refint ddl``). ``keep_schema=False`` leaves schema
        names out. Returns a :class:`refint.manage.DDLResult`; raises :class:`~refint.errors.BadInput`
        for an unknown dialect."""
        from refint.manage import render_ddl

        return render_ddl(self.inspect(), dialect, keep_schema=keep_schema)

    # -- reading the design ----------------------------------------------------------------------------
    def plan_delete(self, table: str, where: str, *, sample: int = 3) -> Plan:
        """What ``DELETE FROM table WHERE where`` would do through every key, by the engine's own rules,
        without changing anything (``refint plan delete``). Returns a :class:`refint.plan.Plan`
        (``.ok``, ``.certain``, ``.deleted``, ``.updated``, ``.blocked_by``, ``.steps``); ``sample`` keys
        are kept per step. Raises :class:`~refint.errors.BadInput` for a malformed predicate and
        :class:`~refint.errors.NoSuchTable` for an unknown table."""
        from refint.plan import plan_delete

        return plan_delete(self.engine, self.inspect(), table, where, sample=sample)

    def plan_update(self, table: str, set: str, where: str, *, sample: int = 3) -> Plan:
        """What ``UPDATE table SET set WHERE where`` would do through every key (``refint plan update``).
        Returns a :class:`refint.plan.Plan`; raises as :meth:`plan_delete` does."""
        from refint.plan import plan_update

        return plan_update(self.engine, self.inspect(), table, set, where, sample=sample)

    def order(self, purpose: str = "load") -> Order:
        """Table order for ``purpose`` (load, delete or drop), with the keys each cycle must defer and how
        (``refint order``). Returns a :class:`refint.order.Order`; raises
        :class:`~refint.errors.BadInput` for an unknown purpose."""
        from refint.order import order

        return order(self.inspect(), purpose, capabilities=self.capabilities, engine=self.name)

    def lint(self, *, disable: Sequence[str] = (), ignore: Sequence[str] = (), cascade_depth: int | None = None,
             only: Sequence[str] = (), config: LintConfig | None = None) -> LintReport:
        """Foreign-key design findings, each with a rule id, severity, message and fix (``refint lint``).

        ``disable``/``only`` choose rules by id, ``ignore`` suppresses findings on a constraint or table
        name, ``cascade_depth`` is the longest ON DELETE CASCADE chain allowed, ``config`` comes from
        :func:`refint.lint.load_config` (``[tool.refint]``). Returns a :class:`refint.lint.LintReport`;
        raises :class:`~refint.errors.BadInput` for an unknown rule id."""
        from refint.lint import lint

        return lint(self.engine, self.inspect(), disable=disable, ignore=ignore, cascade_depth=cascade_depth,
                    only=only, config=config)

    def graph(self, table: str | None = None, depth: int = 1) -> Graph:
        """The foreign-key graph, or the tables within ``depth`` keys of ``table`` (``refint graph``).
        Returns a :class:`refint.graph.Graph` (``render(g, fmt)``, ``g.to_dict()``); raises
        :class:`~refint.errors.NoSuchTable`."""
        from refint.graph import build_graph

        return build_graph(self.inspect(), table, depth)

    def report(self, *, check: bool = False, title: str | None = None, overview_limit: int = 60,
               disable: Sequence[str] = (), ignore: Sequence[str] = (),
               config: LintConfig | None = None) -> Report:
        """A self-contained HTML report: graph, lint findings, every table, and with ``check`` the check
        results (``refint report``). ``disable``/``ignore``/``config`` go to :meth:`lint`. Returns a
        :class:`refint.graph.report.Report`; ``.write(path)`` saves it."""
        from refint.graph.report import report

        check_report = self.check() if check else None
        return report(self.engine, self.inspect(), display=self.display, check_report=check_report,
                      title=title, overview_limit=overview_limit, disable=disable, ignore=ignore,
                      config=config)


def connect(target: Any = None, *, schemas: Sequence[str] | None = None, readonly: bool = False,
            relations: Relations | None = None) -> Database:
    """Open ``target`` (URL, path, ``REFINT_URL`` when None, or an open connection) as a Database.

    A folder opens as a database of its Parquet/CSV files (see :mod:`refint.files`).
    """
    import os

    if isinstance(target, (str, os.PathLike)) and "://" not in str(target) and os.path.isdir(target):
        from refint.files import open_folder

        opened, schema = open_folder(os.fspath(target), relations)
        return Database(opened, schema=schema)
    opened = open_target(target, readonly=readonly)
    try:
        return Database(opened, schemas=schemas)
    except BaseException:
        opened.close()
        raise
