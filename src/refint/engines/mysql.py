"""MySQL and MariaDB (InnoDB): the whole schema from six ``information_schema`` queries (seven on MySQL).

A MySQL "database" is refint's schema. TABLES, COLUMNS, KEY_COLUMN_USAGE (PK, UNIQUE and FK columns),
REFERENTIAL_CONSTRAINTS (actions), CHECK_CONSTRAINTS and STATISTICS (indexes) are each read once, filtered
by ``TABLE_SCHEMA IN (...)`` with bound values, and joined in Python: MariaDB materialises every
``information_schema`` table without indexes, so a join inside the server is a nested loop over every
constraint of every table, while flat scans stay linear (2,000 tables with 2,000 FKs: about 0.6 s on an idle server).
MySQL 8 also reads TABLE_CONSTRAINTS, because its CHECK_CONSTRAINTS does not say which table a check is on.

Referential actions, and why MariaDB reports RESTRICT as NO ACTION
-----------------------------------------------------------------------
InnoDB in MariaDB keeps one flag word per foreign key (``INNODB_SYS_FOREIGN.TYPE``). An action that was
not declared, a declared ``RESTRICT`` and a declared ``SET DEFAULT`` (which MariaDB accepts and ignores)
all leave the flags at 0, which ``information_schema`` spells ``RESTRICT``; only a declared
``NO ACTION`` sets its own bits. ``SHOW CREATE TABLE`` prints no ON DELETE/ON UPDATE clause for any of
the three, so no catalog, not even the DDL text, can tell them apart (checked on MariaDB 10.11; the
tests re-check it). We therefore report MariaDB's ``RESTRICT`` as ``NO ACTION``:

- CONTRACT.md promises that an undeclared action reads as ``NO ACTION``, and undeclared is by far the
  common case (the employees corpus, most ORMs' DDL);
- InnoDB gives RESTRICT and NO ACTION identical behaviour (both checked row by row, at once), which the
  capability ``restrict_is_immediate=False`` already tells every verb, so no prediction changes;
- MySQL 8 stores an undeclared action as ``NO ACTION`` and a declared ``RESTRICT`` as ``RESTRICT``, so on
  MySQL we report exactly what the server says and the family agrees on undeclared keys.

The price: a declared ``RESTRICT`` on MariaDB (Sakila's 21 ``ON DELETE RESTRICT``) reads as ``NO ACTION``.
``capabilities.extra["restrict_reported_as_no_action"]`` says so as data.

Other InnoDB facts the model records: ``MATCH FULL``/``PARTIAL`` are parsed and dropped (``MATCH_OPTION``
is always ``NONE``), so every key is ``MATCH SIMPLE``; nothing is deferrable and there is no NOT VALID,
so ``validated`` and ``enforced`` are ``None`` (``FOREIGN_KEY_CHECKS=0`` can leave unchecked rows behind,
which is what ``refint check`` is for).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from refint.engines.base import Capabilities, Engine, filter_schemas
from refint.errors import InvalidTarget
from refint.model import Action, Check, Column, ForeignKey, Index, Match, PrimaryKey, Schema, Table, Unique

#: InnoDB's working actions: SET DEFAULT is accepted by MariaDB's parser but stored as RESTRICT.
INNODB_ACTIONS = frozenset({Action.NO_ACTION, Action.RESTRICT, Action.CASCADE, Action.SET_NULL})

#: ``server_status`` bit set while the server holds an open transaction (MySQL protocol constant).

#: DATA_TYPE values whose MySQL 8 ``COLUMN_DEFAULT`` is already valid SQL without quotes.
_UNQUOTED_TYPES = frozenset({
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double",
    "real", "bit", "year",
})

_Key = tuple[str, str]  # (schema, table)


def _in(values: Sequence[str]) -> str:
    """``%s, %s, ...`` for an ``IN (...)`` list of bound values."""
    return ", ".join(["%s"] * len(values))


def upper_type(column_type: str) -> str:
    """Upper-case a ``COLUMN_TYPE`` outside its quoted literals: ``enum('a','B')`` -> ``ENUM('a','B')``.

    The server doubles a quote inside a literal (``'it''s'``), so splitting on ``'`` alternates strictly
    between outside and inside parts: the doubled quote just yields an empty outside part.
    """
    parts = column_type.split("'")
    return "'".join(p.upper() if i % 2 == 0 else p for i, p in enumerate(parts))


def quote_literal(text: str) -> str:
    """A SQL string literal the way MariaDB prints defaults (quotes doubled, backslashes doubled)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


class MySQL(Engine):
    """MySQL 8 with InnoDB. MariaDB differs only where :class:`MariaDB` overrides."""

    name: ClassVar[str] = "mysql"
    capabilities: ClassVar[Capabilities] = Capabilities(
        on_delete=INNODB_ACTIONS,
        on_update=INNODB_ACTIONS,
        match=frozenset({Match.SIMPLE}),
        deferrable=False,
        not_valid=False,
        alter_add_foreign_key=True,
        alter_drop_foreign_key=True,
        transactional_ddl=False,
        read_only_transactions=True,
        schemas=True,
        check_constraints=True,
        indexes_foreign_keys=True,
        restrict_is_immediate=False,
        row_by_row_checks=True,
        set_default_works=False,
        foreign_keys_per_connection=False,
        statement_timeout=True,
        nulls_not_distinct=False,
        unique_nulls_distinct=True,
    )
    system_schemas: ClassVar[frozenset[str]] = frozenset(
        {"information_schema", "performance_schema", "mysql", "sys"}
    )
    #: TABLE_TYPE values that hold rows and constraints
    table_types: ClassVar[tuple[str, ...]] = ("BASE TABLE",)
    integer_types: ClassVar[frozenset[str]] = frozenset({"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT"})

    #: the session's isolation level (MySQL 8 dropped ``tx_isolation``; MariaDB 10.11 has only it)
    isolation_variable = "transaction_isolation"

    def one_snapshot(self) -> bool:
        """InnoDB's REPEATABLE READ reads one snapshot from the transaction's first read on; SERIALIZABLE
        reads under shared locks that hold until the end."""
        level = self.raw(f"SELECT @@SESSION.{self.isolation_variable}").scalar()
        return str(level).upper() in ("REPEATABLE-READ", "SERIALIZABLE")

    def row_estimate(self, table: Table) -> int | None:
        """InnoDB's estimate (``information_schema.TABLES.TABLE_ROWS``, sampled; NULL for views)."""
        rows = self.raw("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                        "AND TABLE_NAME = %s", (table.schema or self.default_schema(), table.name)).scalar()
        return None if rows is None else int(rows)

    # -- schemas -----------------------------------------------------------------------------------
    def _rows(self, sql: str, params: tuple[str, ...] | None = None) -> list[Any]:
        """All rows of a catalog query (driver-level, ``%s`` binds); rows index like tuples."""
        return list(self.raw(sql, params).all())

    def table_exists(self, schema: str | None, name: str) -> bool:
        schema = schema or self.default_schema()
        return bool(self._rows("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                               "AND TABLE_NAME = %s", (schema or "", name))[0][0])

    def _all_databases(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")]

    def list_schemas(self) -> list[str]:
        return [s for s in self._all_databases() if s.lower() not in self.system_schemas]

    def default_schema(self) -> str | None:
        value = self.raw("SELECT DATABASE()").scalar()
        return None if value is None else str(value)

    def _resolve(self, schemas: Sequence[str] | None) -> list[str]:
        """The databases to read; an explicit system database is honoured, an unknown one is an error."""
        if schemas:
            return filter_schemas(self._all_databases(), schemas)
        current = self.default_schema()
        if current is None:
            raise InvalidTarget(
                f"the {self.name} URL names no database and no --schema was given: "
                "add /DATABASE to the URL or pass --schema"
            )
        return [current]

    def sample_order(self, grouped: str, keys: int) -> str:
        """MariaDB 10.11 ignores ORDER BY when a window function runs over GROUP BY in a temporary
        table: the rows come in hash order and LIMIT keeps arbitrary groups, not the smallest keys
        (found by tests/test_check_fast.py against the engine's own ordered result). Ordering the
        derived table is exact, and costs a sort of the violating groups only."""
        order = ", ".join(str(i + 1) for i in range(keys))
        return f"SELECT * FROM ({grouped}) AS refint_sample ORDER BY {order} LIMIT :sample"

    # -- transactions ------------------------------------------------------------------------------
    def _begin_read_only(self) -> None:
        """SQLAlchemy's ``begin()`` sends nothing to MySQL, so this is the transaction's first statement.

        Inside it any write fails with error 1792 (``ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION``).
        """
        self.raw("START TRANSACTION READ ONLY")

    @contextmanager
    def cancel_on_interrupt(self) -> Iterator[None]:
        """PyMySQL just stops reading on Ctrl-C while the server goes on: KILL QUERY it from a second
        connection (same URL) so the server stops too."""
        conn_id = self.raw("SELECT CONNECTION_ID()").scalar()
        try:
            yield
        except KeyboardInterrupt:
            self._kill_query(conn_id)
            raise

    def _kill_query(self, conn_id: Any) -> None:
        import pymysql

        url = self.conn.engine.url
        try:
            other = pymysql.connect(host=url.host or "localhost", port=url.port or 3306, user=url.username or "",
                                    password=url.password or "", connect_timeout=5)
        except Exception:
            return
        try:
            other.cursor().execute(f"KILL QUERY {int(conn_id)}")
        except pymysql.err.OperationalError as exc:
            if exc.args[0] != 1094:  # ER_NO_SUCH_THREAD: that connection has ended, nothing runs on it
                raise
        finally:
            other.close()

    #: session variable for the statement timeout, and the unit it takes per second
    timeout_variable = ("max_execution_time", 1000)  # MySQL: milliseconds, SELECT only

    def set_statement_timeout(self, seconds: float) -> None:
        """A session limit for each following statement; reset when the read-only transaction ends."""
        name, scale = self.timeout_variable
        self._timeout_reset = (name, self.raw(f"SELECT @@SESSION.{name}").scalar())
        self.raw(f"SET SESSION {name} = {float(seconds) * scale:.3f}" if scale == 1
                 else f"SET SESSION {name} = {int(seconds * scale)}")

    def _end_read_only(self) -> None:
        reset: tuple[str, Any] | None = getattr(self, "_timeout_reset", None)
        if reset is not None:
            self.raw(f"SET SESSION {reset[0]} = {reset[1]}")
            del self._timeout_reset

    # -- introspection -----------------------------------------------------------------------------
    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        names = self._resolve(schemas)
        params = tuple(names)
        where = f"TABLE_SCHEMA IN ({_in(names)})"

        table_sql = (
            f"SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
            f"WHERE {where} AND TABLE_TYPE IN ({_in(self.table_types)})"
        )
        keys: list[_Key] = [(r[0], r[1]) for r in self._rows(table_sql, params + self.table_types)]
        wanted = set(keys)

        columns: dict[_Key, list[Column]] = defaultdict(list)
        for row in self._rows(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, "
            f"EXTRA FROM information_schema.COLUMNS WHERE {where} ORDER BY TABLE_SCHEMA, TABLE_NAME, "
            "ORDINAL_POSITION",
            params,
        ):
            key = (row[0], row[1])
            if key in wanted:
                columns[key].append(Column(
                    name=row[2],
                    type=upper_type(row[3]),
                    nullable=row[5] == "YES",
                    default=self._default(row[6], row[4], row[7] or ""),
                ))

        key_columns = self._key_columns(where, params)
        actions = self._actions(names)
        checks = self._read_checks(names)
        indexes = self._indexes(where, params)

        tables: list[Table] = []
        for key in keys:
            visible = {c.name for c in columns[key]}
            pk: PrimaryKey | None = None
            uniques: list[Unique] = []
            fks: list[ForeignKey] = []
            for (name, is_fk), rows in key_columns.get(key, {}).items():
                if is_fk:
                    on_delete, on_update = actions.get((key[0], key[1], name), (Action.NO_ACTION, Action.NO_ACTION))
                    fks.append(ForeignKey(
                        name=name,
                        columns=tuple(r[0] for r in rows),
                        referred_schema=rows[0][1],
                        referred_table=rows[0][2],
                        referred_columns=tuple(r[3] for r in rows),
                        on_delete=on_delete,
                        on_update=on_update,
                        match=Match.SIMPLE,
                        deferrable=False,
                        initially_deferred=False,
                        validated=None,
                        enforced=None,
                    ))
                    continue
                # MariaDB appends the hidden ``row_end`` of a system-versioned table to its PK and UNIQUE keys.
                # No query sees that column (a SELECT returns current rows only, where the declared columns
                # are unique by themselves), so keys keep the columns COLUMNS lists.
                cols = tuple(r[0] for r in rows if r[0] in visible)
                if name == "PRIMARY":  # MySQL reserves the name for the primary key
                    pk = PrimaryKey(name, cols)
                else:
                    uniques.append(Unique(name, cols, index=False))
            tables.append(Table(
                schema=key[0],
                name=key[1],
                columns=tuple(columns[key]),
                primary_key=pk,
                unique=tuple(uniques),
                checks=tuple(checks.get(key, ())),
                foreign_keys=tuple(fks),
                indexes=tuple(indexes.get(key, ())),
                kind="table",
            ))
        return Schema(engine=self.name, tables=tuple(tables))

    def _key_columns(
        self, where: str, params: tuple[str, ...]
    ) -> dict[_Key, dict[tuple[str, bool], list[tuple[Any, ...]]]]:
        """Columns of every PK, UNIQUE and FK, in key order, grouped by (constraint name, is a FK).

        A UNIQUE key and a FOREIGN KEY may share a name (InnoDB lets the FK use the unique index of that
        name), so a FK row is told apart by its REFERENCED_TABLE_NAME, never by its name. Row *i* of a FK
        carries the child column and the parent column it pairs with; ``POSITION_IN_UNIQUE_CONSTRAINT``
        is that same position in the REFERENCES list, so ordering by ``ORDINAL_POSITION`` keeps the pairs.
        """
        out: dict[_Key, dict[tuple[str, bool], list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
        for row in self._rows(
            "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, "
            "REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            f"WHERE {where} ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
            params,
        ):
            out[(row[0], row[1])][(row[2], row[5] is not None)].append((row[3], row[4], row[5], row[6]))
        return out

    def _actions(self, names: Sequence[str]) -> dict[tuple[str, str, str], tuple[Action, Action]]:
        """(on_delete, on_update) per foreign key, keyed by (schema, table, constraint name)."""
        out = {}
        for row in self._rows(
            "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE "
            f"FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN ({_in(names)})",
            tuple(names),
        ):
            out[(row[0], row[1], row[2])] = (self._action(row[3]), self._action(row[4]))
        return out

    def _action(self, rule: str) -> Action:
        """MySQL 8 reports undeclared as NO ACTION and declared RESTRICT as RESTRICT: take it as it is."""
        return Action.parse(rule)

    def _read_checks(self, names: Sequence[str]) -> dict[_Key, list[Check]]:
        """MySQL 8's CHECK_CONSTRAINTS has no table column; check names are unique per database there, so
        the owning table comes from TABLE_CONSTRAINTS. Before 8.0.16 MySQL has no CHECK constraints."""
        out: dict[_Key, list[Check]] = defaultdict(list)
        if tuple(self.dialect.server_version_info or ()) < (8, 0, 16):
            return out
        inlist = _in(names)
        owners: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in self._rows(
            "SELECT TABLE_SCHEMA, CONSTRAINT_NAME, TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS "
            f"WHERE TABLE_SCHEMA IN ({inlist}) AND CONSTRAINT_TYPE = 'CHECK'",
            tuple(names),
        ):
            owners[(row[0], row[1])].append(row[2])
        for row in self._rows(
            "SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            f"WHERE CONSTRAINT_SCHEMA IN ({inlist})",
            tuple(names),
        ):
            for table in owners.get((row[0], row[1]), ()):
                out[(row[0], table)].append(Check(row[1], row[2]))
        return out

    def _indexes(self, where: str, params: tuple[str, ...]) -> dict[_Key, list[Index]]:
        """Every index, PRIMARY included; a functional part (MySQL 8) has no COLUMN_NAME and becomes None."""
        parts: dict[tuple[str, str, str], list[str | None]] = defaultdict(list)
        unique: dict[tuple[str, str, str], bool] = {}
        for row in self._rows(
            "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
            f"WHERE {where} ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            params,
        ):
            ident = (row[0], row[1], row[2])
            parts[ident].append(row[4])
            unique[ident] = int(row[3]) == 0
        out: dict[_Key, list[Index]] = defaultdict(list)
        for (schema, table, name), cols in parts.items():
            out[(schema, table)].append(Index(name, tuple(cols), unique=unique[(schema, table, name)], partial=False))
        return out

    @staticmethod
    def _default(default: str | None, data_type: str, extra: str) -> str | None:
        """MySQL 8 prints literal defaults raw (``abc``, ``2020-01-01``); quote them so that every engine
        reports SQL text. Expression defaults (``DEFAULT_GENERATED``) and numbers are SQL already."""
        if default is None:
            return None
        if "DEFAULT_GENERATED" in extra.upper() or data_type.lower() in _UNQUOTED_TYPES:
            return default
        return quote_literal(default)


class MariaDB(MySQL):
    """MariaDB 10.2.7+ with InnoDB: defaults as SQL text, table-scoped CHECK names, system versioning."""

    timeout_variable = ("max_statement_time", 1)  # MariaDB: seconds, any statement
    isolation_variable = "tx_isolation"

    name: ClassVar[str] = "mariadb"
    #: error 4003 "Too many WITH elements in WITH clause" beyond 64 (measured on 10.11)
    max_with_elements: ClassVar[int | None] = 64
    capabilities: ClassVar[Capabilities] = dataclasses.replace(
        MySQL.capabilities,
        extra={"restrict_reported_as_no_action": True},
    )
    #: system-versioned tables are ordinary InnoDB tables with constraints and foreign keys
    table_types: ClassVar[tuple[str, ...]] = ("BASE TABLE", "SYSTEM VERSIONED")

    #: connections the indexed check of a large child is split over (the server's cores are not ours to
    #: count; on the 2-core machine of benchmarks/RESULTS.md four ranges ran in 1.23 s, three in 1.25 s,
    #: two in 1.35 s, the single statement in 2.06 s: InnoDB waits on page reads as well as computing)
    PARALLEL_WORKERS = 4
    #: from this many child rows up (InnoDB's estimate); below, a second connection costs more
    PARALLEL_MIN_ROWS = 1_000_000

    def find_orphans(self, child: Table, fk: ForeignKey, parent: Table | None,
                     sample: int) -> tuple[int, list[tuple[Any, ...]]] | None:
        """With an index on a one-column key InnoDB walks the child's index in key order and probes the
        parent's primary key for each entry, on one core: split the key at quantiles into
        ``PARALLEL_WORKERS`` ranges and run them at once on as many new connections, each in its own
        read-only consistent snapshot.

        The snapshots begin together but are not one: every orphan reported was one in its own
        snapshot (each range reads child and parent rows together), while a change committed in that
        instant may be seen by one range and not another. Only on connections refint opened from a URL
        (never a caller's connection), with an integer primary key on the child to sample by."""
        if (parent is None or self.borrowed or not self.own_read_only or len(fk.columns) != 1
                or self.PARALLEL_WORKERS < 2
                or child.primary_key is None or len(child.primary_key.columns) != 1):
            return None
        if not any(ix.columns[:1] == fk.columns and not ix.partial for ix in child.indexes):
            return None
        pk = child.primary_key.columns[0]
        if "int" not in child.column(pk).type.lower():
            return None
        src = self.from_table(child)
        rows = self.row_estimate(child)
        if not rows or rows < self.PARALLEL_MIN_ROWS:
            return None
        col, qpk = self.quote(fk.columns[0]), self.quote(pk)
        first = self.raw(f"SELECT min({qpk}) FROM {src}").scalar()
        last = self.raw(f"SELECT max({qpk}) FROM {src}").scalar()
        if first is None:
            return 0, []
        # a systematic sample of 128 rows by primary key, in one round trip: the rows at those keys
        # (point reads), or where the primary key has holes, the first row at or after each
        n = 128
        at = tuple(first + (last - first) * i // (n - 1) for i in range(n))
        picked: Sequence[Any] = [r[0] for r in self.raw(
            f"SELECT {col} FROM {src} WHERE {qpk} IN ({', '.join(['%s'] * n)})", at).fetchall()]
        if len(picked) < n // 2:
            # (the first run of these 128 subqueries costs ~0.1 s of planning on a 10M-row table)
            probe = f"(SELECT {col} FROM {src} WHERE {qpk} >= %s ORDER BY {qpk} LIMIT 1)"
            picked = self.raw("SELECT " + ", ".join([probe] * n), at).fetchone() or ()
        keys = sorted(k for k in picked if k is not None)
        if not keys or not all(type(k) is int for k in keys):
            return None
        parts = self.PARALLEL_WORKERS
        cuts = sorted({keys[len(keys) * i // parts] for i in range(1, parts)})
        edges: list[int | None] = [None, *cuts, None]
        pcol = self.quote(fk.referred_columns[0])
        grouped = self._group_first(rows, parent, parts)

        def statement(lo: int | None, hi: int | None) -> tuple[str, tuple[int, ...]]:
            conds = [f"c.{col} >= %s"] if lo is not None else []
            conds += [f"c.{col} < %s"] if hi is not None else []
            args = tuple(v for v in (lo, hi) if v is not None)
            where = " AND ".join(conds or [f"c.{col} IS NOT NULL"])
            if grouped:  # each distinct key probed once, its rows counted in index order first
                return (f"SELECT g.k, g.n FROM (SELECT c.{col} AS k, count(*) AS n FROM {src} c WHERE {where} "
                        f"GROUP BY c.{col}) g LEFT JOIN {self.from_table(parent)} p ON p.{pcol} = g.k "
                        f"WHERE p.{pcol} IS NULL ORDER BY g.k"), args
            return (f"SELECT c.{col}, count(*) FROM {src} c LEFT JOIN {self.from_table(parent)} p "
                    f"ON p.{pcol} = c.{col} WHERE {where} "
                    f"AND p.{pcol} IS NULL GROUP BY c.{col} ORDER BY c.{col}"), args
        return self._run_parallel([statement(lo, hi) for lo, hi in zip(edges, edges[1:])], sample)

    #: bytes per distinct key in the grouped form's in-memory temporary table (key, count, overhead)
    GROUP_BYTES_PER_KEY = 48

    def _group_first(self, child_rows: int, parent: Table, parts: int) -> bool:
        """Whether each range should count its keys first and probe the parent once per distinct key:
        8-10% faster than the per-row join when keys repeat (a 10M-row child of a 1M-row parent, with
        parent keys 2, 4, ...: four ranges 1.30-1.35 s against 1.41-1.49 s; benchmarks/RESULTS.md).
        Only when the child has at least four rows per parent row (InnoDB's estimates) and a range's
        distinct keys, at most the parent's rows over the ranges, fit the server's in-memory
        temporary tables: a grouped table that spills to disk is slower than the join."""
        parent_rows = self.row_estimate(parent)
        if not parent_rows or child_rows < 4 * parent_rows:
            return False
        limit = self.raw("SELECT LEAST(@@SESSION.tmp_table_size, @@SESSION.max_heap_table_size)").scalar()
        return parent_rows / parts * self.GROUP_BYTES_PER_KEY <= int(limit or 0)

    def _run_parallel(self, statements: Sequence[tuple[str, tuple[Any, ...]]],
                      sample: int) -> tuple[int, list[tuple[Any, ...]]]:
        """Each statement on its own new connection (same URL), in threads; Ctrl-C kills them all."""
        from concurrent.futures import ThreadPoolExecutor

        timeout = self.raw(f"SELECT @@SESSION.{self.timeout_variable[0]}").scalar()
        link = self.conn.engine
        conns: list[Any] = []
        ids: list[Any] = []
        lock = threading.Lock()
        stopped = False
        try:
            def run(i: int) -> tuple[int, list[tuple[Any, ...]]]:
                # each thread connects for itself (a connection costs ~20 ms of handshake: in parallel)
                raw = link.raw_connection()
                with lock:
                    conns.append(raw)
                cur = raw.cursor()
                cur.execute(f"SET SESSION {self.timeout_variable[0]} = {timeout}")
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                cur.execute("SELECT CONNECTION_ID()")
                with lock:  # registered before Ctrl-C's KILLs, or seeing that they were sent
                    ids.append((cur.fetchone() or (None,))[0])
                    if stopped:
                        return 0, []
                cur.execute(*statements[i])
                total, keys = 0, list[tuple[Any, ...]]()
                for key, count in cur.fetchall():
                    total += int(count)
                    if len(keys) < sample:
                        keys.append((key,))
                return total, keys

            with ThreadPoolExecutor(len(statements)) as pool:
                futures = [pool.submit(run, i) for i in range(len(statements))]
                try:
                    results = [f.result() for f in futures]
                except KeyboardInterrupt:
                    with lock:
                        stopped = True
                        running = list(ids)
                    for conn_id in running:
                        self._kill_query(conn_id)
                    raise
        finally:
            for raw in conns:
                try:
                    raw.rollback()
                    raw.close()
                except Exception:
                    pass
        total = sum(t for t, _ in results)
        return total, [k for _, ks in results for k in ks][:sample]  # the ranges are in key order

    #: MariaDB's hash join for a check without an index on the child's key (session settings)
    HASH_JOIN = (("join_cache_level", 4), ("join_buffer_size", 64 * 1024 * 1024),
                 ("join_buffer_space_limit", 256 * 1024 * 1024))

    def prepare_orphan_query(self, *, child_indexed: bool) -> None:
        """Without an index on the child's key the LEFT JOIN walks the child in primary-key order and
        probes the parent's primary key once per row, at random (21.6 s for a 10M-row child of a
        1M-row parent, benchmarks/RESULTS.md). With ``join_cache_level = 4`` MariaDB may hash the
        child's keys in the join buffer instead (BNLH) and scan the parent once per buffer: 6.6 s.
        The buffer is bounded (64 MB, refilled as often as needed), so memory does not grow with the
        table. With an index the ordered probes win (2.2 s vs 3.1 s), so the defaults stay."""
        if child_indexed or getattr(self, "_join_reset", None) is not None:
            return
        names = [name for name, _ in self.HASH_JOIN]
        row = self.raw("SELECT " + ", ".join(f"@@SESSION.{n}" for n in names)).fetchone()
        self._join_reset: list[tuple[str, Any]] | None = list(zip(names, tuple(row or ())))
        self._set_session(self.HASH_JOIN)

    def prepare_check(self) -> None:
        self._restore_join()

    def _restore_join(self) -> None:
        reset = getattr(self, "_join_reset", None)
        if reset is not None:
            self._join_reset = None
            self._set_session(reset)

    def _set_session(self, values: Sequence[tuple[str, Any]]) -> None:
        self.raw("SET SESSION " + ", ".join(f"{name} = {int(value)}" for name, value in values))

    def _end_read_only(self) -> None:
        self._restore_join()
        super()._end_read_only()

    def _action(self, rule: str) -> Action:
        """Undeclared, RESTRICT and SET DEFAULT share InnoDB's flag 0 ("RESTRICT"): see the module docstring."""
        action = Action.parse(rule)
        return Action.NO_ACTION if action is Action.RESTRICT else action

    def _read_checks(self, names: Sequence[str]) -> dict[_Key, list[Check]]:
        """A column-level CHECK is named after its column, so names repeat across tables: use TABLE_NAME.

        MariaDB's own JSON columns carry a ``json_valid(col)`` CHECK; it is a real constraint and is kept.
        """
        out: dict[_Key, list[Check]] = defaultdict(list)
        for row in self._rows(
            "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
            f"FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN ({_in(names)})",
            tuple(names),
        ):
            out[(row[0], row[1])].append(Check(row[2], row[3]))
        return out

    @staticmethod
    def _default(default: str | None, data_type: str, extra: str) -> str | None:
        """MariaDB already prints SQL (``'abc'``, ``current_timestamp()``) and the word NULL for a NULL
        default; a string default 'NULL' arrives quoted, so the bare word is unambiguous."""
        if default is None or default == "NULL":
            return None
        return default
