"""What every engine module provides: capabilities as data, whole-schema introspection, quoting and
read-only transactions.

An engine wraps one SQLAlchemy ``Connection``. Engines override only what differs (catalog SQL, quirks);
families are subclasses (``MariaDB(MySQL)``). Verbs ask an engine for capability flags and SQL pieces,
never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from refint.model import Action, ForeignKey, Match, Schema, Table

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.direct import DirectConnection

ALL_ACTIONS = frozenset(Action)
ALL_MATCH = frozenset(Match)


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do, as data the verbs branch on (never ``if engine.name == ...``)."""

    on_delete: frozenset[Action] = ALL_ACTIONS
    on_update: frozenset[Action] = ALL_ACTIONS
    match: frozenset[Match] = frozenset({Match.SIMPLE})
    deferrable: bool = False
    not_valid: bool = False
    alter_add_foreign_key: bool = True
    alter_drop_foreign_key: bool = True
    transactional_ddl: bool = False
    read_only_transactions: bool = False
    schemas: bool = False
    check_constraints: bool = True
    #: the engine creates an index for every foreign key by itself (InnoDB)
    indexes_foreign_keys: bool = False
    #: RESTRICT is checked at once (SQL standard) rather than like NO ACTION at statement end
    restrict_is_immediate: bool = True
    #: foreign keys are enforced row by row, not at the end of the statement (InnoDB)
    row_by_row_checks: bool = False
    #: SET DEFAULT actually works when declared (InnoDB parses it and then rejects or ignores it)
    set_default_works: bool = True
    #: foreign keys are enforced only when each connection asks for it (SQLite's PRAGMA foreign_keys)
    foreign_keys_per_connection: bool = False
    statement_timeout: bool = False
    nulls_not_distinct: bool = False
    unique_nulls_distinct: bool = True
    #: :meth:`Engine.dependent_views` answers which views must be dropped to retype a column (PostgreSQL)
    dependent_views: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, frozenset):
                value = sorted(v.value for v in value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[name] = value
        return out


@dataclass(frozen=True)
class ViewDef:
    """A view or materialized view as the catalog describes it: what a fix needs to drop and re-create it.

    Grants are ``(grantee, privilege, grantable)`` with grantee None for PUBLIC; column grants add the
    column first. ``definition`` is the SELECT without its final semicolon, every name qualified.
    """

    schema: str
    name: str
    materialized: bool
    definition: str
    columns: tuple[str, ...]
    #: ``key=value`` from ``reloptions`` (security_barrier, security_invoker, check_option, storage)
    options: tuple[str, ...] = ()
    owner: str | None = None
    comment: str | None = None
    column_comments: tuple[tuple[str, str], ...] = ()
    #: whether the view has its own ACL (None in the catalog means the default privileges)
    has_acl: bool = False
    grants: tuple[tuple[str | None, str, bool], ...] = ()
    column_grants: tuple[tuple[str, str | None, str, bool], ...] = ()
    column_defaults: tuple[tuple[str, str], ...] = ()
    #: a materialized view that was filled (WITH DATA) or not (WITH NO DATA)
    populated: bool = True
    #: CREATE INDEX / CREATE TRIGGER / CREATE RULE statements on the view, as the catalog prints them
    indexes: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    #: longest chain of views from the retyped column to this one (1: uses the column itself)
    depth: int = 1


@dataclass(frozen=True)
class RuleDef:
    """A rewrite rule on a table (not a view) that uses a column to be retyped, or a view to be dropped.

    ``casts``: ``(column as the rule text spells it, its current type)`` for each column of the rule's own
    table that is being retyped: re-created, the rule reads ``new.col``/``old.col`` as that type, as before.
    """

    schema: str
    table: str
    name: str
    definition: str
    casts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Dependents:
    """What must be dropped, and re-created, around retyping one column."""

    #: in creation order (a view after the views it uses)
    views: tuple[ViewDef, ...] = ()
    rules: tuple[RuleDef, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.views or self.rules)


def refuse_verb(where: str, refused: Mapping[str, str], verb: str) -> None:
    """``NotSupported(f"{verb} does not run on {where}: {why}")`` when ``refused`` names the verb; the CLI
    calls it before it opens a target (a local Spark session takes seconds to start only to be told no)."""
    why = refused.get(verb)
    if why is not None:
        from refint.errors import NotSupported

        raise NotSupported(f"{verb} does not run on {where}: {why}")


class Engine:
    """Base engine. Subclasses set ``name``/``capabilities`` and implement :meth:`read_schema`."""

    name: ClassVar[str] = "generic"
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: schemas never shown (engine-internal)
    system_schemas: ClassVar[frozenset[str]] = frozenset()
    #: the most elements one WITH clause may hold (None: no limit that refint meets)
    max_with_elements: ClassVar[int | None] = None
    #: verbs refint does not run on this engine, each with the reason (one line): :meth:`refuse`; a
    #: folder of files read by DuckDB sets its own on the instance (:data:`refint.files.FOLDER_REFUSED`)
    refused_verbs: Mapping[str, str] = {}
    #: what a refusal names: the engine, or "a folder of files"
    refused_where: str | None = None

    def refuse(self, verb: str) -> None:
        """Raise ``NotSupported`` when ``verb`` (a command name: ``add-fk``, ``subset``) does not run here."""
        refuse_verb(self.refused_where or self.name, self.refused_verbs, verb)

    def __init__(self, conn: sa.Connection | DirectConnection, *, borrowed: bool = False) -> None:
        #: a DirectConnection (refint.direct) stands in for a SQLAlchemy one: the same methods
        self.conn: sa.Connection = conn  # type: ignore[assignment]
        self.dialect = conn.dialect
        #: the DB-API connection belongs to the caller: never end a transaction it has open
        self.borrowed = borrowed
        #: inside a read-only transaction refint began itself (not one the caller had open, which may
        #: hold changes other connections cannot see): only then may a check read on more connections
        self.own_read_only = False

    # -- identifiers -------------------------------------------------------------------------------
    def quote(self, ident: str) -> str:
        """Always quote, with the dialect's own rules: `order`, `line item`, `we"ird`, `학생` all work."""
        return str(self.dialect.identifier_preparer.quote_identifier(ident))

    def table_ref(self, schema: str | None, name: str) -> str:
        if schema is None:
            return self.quote(name)
        return f"{self.quote(schema)}.{self.quote(name)}"

    def from_table(self, table: Table) -> str:
        """The FROM item that holds exactly this table's own rows (PostgreSQL adds ONLY)."""
        return self.table_ref(table.schema, table.name)

    # -- check SQL ---------------------------------------------------------------------------------
    def orphan_sql(self, *, child: str, parent: str, child_columns: Sequence[str],
                   parent_columns: Sequence[str], child_indexed: bool = False) -> str:
        """Missing parent keys, grouped, with the total of violating rows as a window aggregate.

        ``child_indexed``: an index leads with the child's key columns (engines may choose by it).

        Columns: the key, its row count, the total; at most ``:sample`` rows, smallest keys first.
        The default is an anti-join written as a LEFT JOIN: the measured winner on MariaDB, DuckDB and
        SQLite with an index on the child's key (benchmarks/RESULTS.md). PostgreSQL overrides it.
        """
        c_cols = [f"c.{c}" for c in child_columns]
        select = ", ".join(c_cols)
        keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(c_cols))
        on = " AND ".join(f"p.{p} = {c}" for p, c in zip(parent_columns, c_cols))
        not_null = " AND ".join(f"{c} IS NOT NULL" for c in c_cols)
        return self.sample_order(
            f"SELECT {keys}, count(*) AS n, sum(count(*)) OVER () AS total "
            f"FROM {child} c LEFT JOIN {parent} p ON {on} "
            f"WHERE {not_null} AND p.{parent_columns[0]} IS NULL GROUP BY {select}", len(c_cols))

    def sample_order(self, grouped: str, keys: int) -> str:
        """The first ``:sample`` rows of ``grouped`` (whose first ``keys`` columns are the key, followed
        by its row count and a window total), smallest keys first."""
        order = ", ".join(str(i + 1) for i in range(keys))
        return f"{grouped} ORDER BY {order} LIMIT :sample"

    def prepare_check(self) -> None:
        """Session settings for the check queries, inside the read-only transaction (default: none)."""

    def prepare_orphan_query(self, *, child_indexed: bool) -> None:
        """Settings for the next :meth:`orphan_sql` query, whose form depends on ``child_indexed``
        (default: none)."""

    def grouped_orphan_sql(self, *, child: str, parent: str, child_columns: Sequence[str],
                           parent_columns: Sequence[str]) -> str:
        """The same result from the child's distinct keys: aggregate first, then probe each distinct key
        once. Fewer probes when keys repeat (a 10M-row child of a 1M-row parent: 1M instead of 10M)."""
        keys = [f"k{i}" for i in range(len(child_columns))]
        inner = ", ".join(f"{c} AS {k}" for c, k in zip(child_columns, keys))
        not_null = " AND ".join(f"{c} IS NOT NULL" for c in child_columns)
        group = ", ".join(child_columns)
        probe = " AND ".join(f"p.{p} = g.{k}" for p, k in zip(parent_columns, keys))
        out = ", ".join(f"g.{k}" for k in keys)
        return self.sample_order(
            f"SELECT {out}, g.n, sum(g.n) OVER () AS total FROM "
            f"(SELECT {inner}, count(*) AS n FROM {child} WHERE {not_null} GROUP BY {group}) g "
            f"WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE {probe})", len(keys))

    @contextmanager
    def cancel_on_interrupt(self) -> Iterator[None]:
        """Make Ctrl-C cancel the running query on the server, not just stop waiting for it.

        psycopg 3 already sends a cancel request on KeyboardInterrupt; engines whose driver does not
        override this (SQLite: a progress handler lets the interrupt in; MySQL: KILL QUERY).
        """
        yield

    def set_activity(self, report: Callable[[str], None] | None) -> None:
        """Where an engine that can see inside a running query (Spark's status tracker) reports it, as a
        short text; the checker points it at its progress callback (default: nothing to report)."""

    def was_cancelled(self) -> bool:
        """Whether the last query stopped because of Ctrl-C (engines that cancel by themselves)."""
        return False

    # -- the anti-join by the parent's key range (one-column integer keys) ---------------------------
    #: upper-case base names of the engine's integer types, whose columns hold integers and nothing
    #: else (empty: the engine does not promise that; SQLite's INTEGER affinity keeps text and reals)
    integer_types: ClassVar[frozenset[str]] = frozenset()
    #: at most this many integers missing from the parent's key range are listed one by one
    RANGE_MAX_MISSING: ClassVar[int] = 500
    #: only for a child of this many rows or more (the engine's estimate), and at least its parent's size
    RANGE_MIN_ROWS: ClassVar[int] = 100_000

    def is_integer_type(self, type_: str) -> bool:
        """``INT(11) UNSIGNED`` -> ``INT``: whether the column can hold only integers."""
        base = type_.strip().upper().split("(")[0].split(" ")[0]
        return base in self.integer_types

    def row_estimate(self, table: Table) -> int | None:
        """The engine's cheap estimate of a table's rows (catalog statistics); None when it has none."""
        return None

    def one_snapshot(self) -> bool:
        """Whether every statement of the current transaction reads the same snapshot (REPEATABLE READ
        or stricter): only then may one answer be assembled from several statements."""
        return False

    def find_orphans(self, child: Table, fk: ForeignKey, parent: Table | None,
                     sample: int) -> tuple[int, list[tuple[Any, ...]]] | None:
        """An engine-specific way to find a key's orphans: (violating rows, first ``sample`` distinct keys
        in key order), or None to use :meth:`orphan_sql` (the default everywhere but SQLite)."""
        return None

    def set_statement_timeout(self, seconds: float) -> None:
        """Limit each following statement of the current transaction to ``seconds`` (server-side)."""
        from refint.errors import NotSupported

        raise NotSupported(f"{self.name} has no statement timeout that refint can set")

    # -- introspection -----------------------------------------------------------------------------
    def dependent_views(self, columns: Sequence[tuple[str | None, str, str]]) -> list[Dependents]:
        """For each ``(schema, table, column)``: the views that use the column (of the table or of any
        partition or inheritance child), and the views on those, recursively, in creation order (a view
        after the views it uses), plus the rules on tables that use the column or one of those views.
        Only where ``capabilities.dependent_views``."""
        from refint.errors import NotSupported

        raise NotSupported(f"{self.name}: refint does not read view dependencies")

    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        raise NotImplementedError

    def mark_dangling(self, schema: Schema) -> Schema:
        """The schema with ``parent_missing`` set on every key whose referred table does not exist (one
        :meth:`table_exists` per key whose parent is outside the model: usually none)."""
        from dataclasses import replace

        tables = []
        changed = False
        for t in schema.tables:
            fks = tuple(replace(fk, parent_missing=True)
                        if schema.get(fk.referred) is None and not self.table_exists(*fk.referred) else fk
                        for fk in t.foreign_keys)
            changed |= fks != t.foreign_keys
            tables.append(replace(t, foreign_keys=fks) if fks != t.foreign_keys else t)
        return Schema(schema.engine, tuple(tables)) if changed else schema

    def partition_constraint(self, table: Table) -> str | None:
        """The predicate a partition's rows satisfy (its bounds and its ancestors'), over its columns;
        None where the engine has no declarative partitions (everything but PostgreSQL)."""
        return None

    def table_exists(self, schema: str | None, name: str) -> bool:
        """Whether a table (or view) of that name exists, in any schema refint did not read too: a key
        whose referred table is missing (SQLite accepts ``REFERENCES nosuch``; MySQL/MariaDB keep a key
        whose parent was dropped under ``FOREIGN_KEY_CHECKS=0``) is checked as violated by every row
        that sets it. Default: SQLAlchemy's inspector."""
        import sqlalchemy as sa

        try:
            return bool(sa.inspect(self.conn).has_table(name, schema=schema))
        except Exception:  # an engine whose dialect cannot answer: assume it exists (the old behaviour)
            return True

    def list_schemas(self) -> list[str]:
        return []

    def default_schema(self) -> str | None:
        return None

    def server_version(self) -> str:
        info = getattr(self.dialect, "server_version_info", None)
        return ".".join(str(p) for p in info) if info else ""

    # -- transactions ------------------------------------------------------------------------------
    @contextmanager
    def read_only(self) -> Iterator[None]:
        """Run the block in a read-only transaction where the engine has them; always roll back.

        When the caller's connection is already inside a transaction (an application handing us its
        connection mid-transaction), we read inside that transaction and leave it as it was.
        """
        if self.conn.in_transaction() or (self.borrowed and self._dbapi_in_transaction()):
            yield
            return
        self.conn.begin()
        try:
            self._begin_read_only()
            self.own_read_only = True
            yield
        finally:
            self.own_read_only = False
            if not self.conn.invalidated:  # after Ctrl-C in a statement nothing more runs on it
                self._end_read_only()
            if self.conn.in_transaction():
                self.conn.rollback()
            if self.borrowed:  # the borrowed engine's own rollback is a no-op (see target.py)
                self.conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr]

    def dbapi_connection(self) -> Any:
        """The driver's own connection (sqlite3, psycopg, PyMySQL, duckdb), unwrapped from duckdb_engine's
        wrapper where there is one."""
        raw: Any = self.conn.connection.dbapi_connection
        return getattr(raw, "_ConnectionWrapper__c", raw)

    def _dbapi_in_transaction(self) -> bool:
        """Whether the driver-level connection has a transaction open (one SQLAlchemy did not begin)."""
        raw = self.dbapi_connection()
        if hasattr(raw, "in_transaction"):  # sqlite3
            return bool(raw.in_transaction)
        info = getattr(raw, "info", None)
        if info is not None and hasattr(info, "transaction_status"):  # psycopg 3
            return int(info.transaction_status) != 0
        if hasattr(raw, "get_transaction_status"):  # psycopg2
            return int(raw.get_transaction_status()) != 0
        if hasattr(raw, "server_status"):  # PyMySQL: SERVER_STATUS_IN_TRANS
            return bool(int(raw.server_status or 0) & 1)
        return False

    def _begin_read_only(self) -> None:
        """Statements that make the just-begun transaction read-only (engine-specific)."""

    def _end_read_only(self) -> None:
        """Undo session state set by :meth:`_begin_read_only` that outlives the transaction."""

    def exec(self, sql: str, params: Mapping[str, Any] | None = None) -> sa.CursorResult[Any]:
        """Run SQL with ``:name`` binds (values are always bound, never formatted in)."""
        from refint.direct import DirectConnection

        conn: Any = self.conn
        if isinstance(conn, DirectConnection):
            return conn.execute(sql, params)  # type: ignore[return-value]
        import sqlalchemy as sa

        return self.conn.execute(sa.text(sql), dict(params or {}))

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Catalog queries on the hot path: the DB-API cursor directly, plain tuples, no Row objects.

        Runs inside the SQLAlchemy connection's current transaction (it shares the DB-API connection).
        """
        if not self.conn.in_transaction():
            self.conn.begin()
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def raw(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> sa.CursorResult[Any]:
        """Run driver-level SQL (catalog queries): no SQLAlchemy compilation on the hot path."""
        if params is None:
            return self.conn.exec_driver_sql(sql)
        return self.conn.exec_driver_sql(sql, params)


def filter_schemas(found: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """Resolve ``--schema`` names against the schemas that exist; an unknown one is an error."""
    from refint.errors import NoSuchSchema

    if not wanted:
        return list(found)
    out = []
    for name in wanted:
        if name in found:
            out.append(name)
            continue
        folded = [s for s in found if s.lower() == name.lower()]
        if len(folded) != 1:
            raise NoSuchSchema(name)
        out.append(folded[0])
    return out
