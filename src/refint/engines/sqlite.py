"""SQLite: structure from the PRAGMA table-valued functions, names and CHECKs from the DDL text.

The pragmas (``table_xinfo``, ``foreign_key_list``, ``index_list``/``index_info``) are authoritative for
columns, keys, actions and indexes, and are read for the whole database in four joined queries. SQLite
keeps constraint names, CHECK expressions and DEFERRABLE only in the ``CREATE TABLE`` text, so those come
from :mod:`refint.engines.sqlite_ddl`, a real parser of SQLite's grammar, matched back to the pragma rows.

Choices documented in docs/engines.md:

- ``schema`` is ``null`` (the main database); attached databases are not read.
- An ``INTEGER PRIMARY KEY`` column (an alias of the rowid) is reported ``nullable: false``: SQLite
  can never store NULL there, although ``PRAGMA table_xinfo`` says ``notnull = 0``.
- ``match`` is reported as declared; SQLite itself parses MATCH and then behaves as MATCH SIMPLE.
- ``validated`` and ``enforced`` are ``null``: SQLite enforces foreign keys only on connections that
  turn ``PRAGMA foreign_keys`` on, which refint cannot see from its own connection.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from refint.engines.base import Capabilities, Engine
from refint.engines.sqlite_locks import BUSY_TIMEOUT_MS, hot_journal, main_file, retry_busy
from refint.errors import NoSuchSchema
from refint.model import Action, Check, Column, ForeignKey, Index, Match, PrimaryKey, Schema, Table, Unique

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.engines.sqlite_ddl import ParsedTable

T = TypeVar("T")

TABLES_SQL = (
    "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND sql NOT LIKE 'CREATE VIRTUAL %'"
)
_JOIN = f"FROM ({TABLES_SQL}) m "
COLUMNS_SQL = (
    'SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    + _JOIN + "JOIN pragma_table_xinfo(m.name) p WHERE p.hidden <> 1 ORDER BY m.name, p.cid"
)
FKS_SQL = (
    'SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete, f."match" '
    + _JOIN + "JOIN pragma_foreign_key_list(m.name) f ORDER BY m.name, f.id, f.seq"
)
INDEXES_SQL = (
    'SELECT m.name, il.name, il."unique", il.origin, il.partial, ii.seqno, ii.cid, ii.name '
    + _JOIN + "JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii "
    "ORDER BY m.name, il.name, ii.seqno"
)


def _parse(sql: str | None) -> ParsedTable | None:
    from refint.engines.sqlite_ddl import DDLParseError, parse_create_table

    if not sql:
        return None
    try:
        return parse_create_table(sql)
    except DDLParseError:
        return None


def _same(a: Sequence[str], b: Sequence[str]) -> bool:
    return [x.lower() for x in a] == [x.lower() for x in b]


class SQLite(Engine):
    name = "sqlite"
    capabilities = Capabilities(
        match=frozenset({Match.SIMPLE}),
        deferrable=True,
        not_valid=False,
        alter_add_foreign_key=False,
        alter_drop_foreign_key=False,
        transactional_ddl=True,
        read_only_transactions=True,
        schemas=False,
        check_constraints=True,
        restrict_is_immediate=True,
        foreign_keys_per_connection=True,
    )

    def _begin_read_only(self) -> None:
        self._deadline: float | None = None
        if hasattr(self.conn, "busy_stop"):  # a DirectConnection: Ctrl-C ends its wait for writers
            self.conn.busy_stop = self._stop_requested
        self.raw("PRAGMA query_only = ON")

    @contextmanager
    def cancel_on_interrupt(self) -> Iterator[None]:
        """SQLite runs in this process: a progress handler gives Python a chance to raise
        KeyboardInterrupt (and enforce ``--timeout``) in the middle of a long statement."""
        import signal
        import threading
        import time

        self._cancelled = False

        def on_sigint(signum: int, frame: Any) -> None:
            self._cancelled = True

        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, on_sigint)
        self._dbapi().set_progress_handler(self._stop_requested, 20_000)
        try:
            yield
            if self._cancelled:
                raise KeyboardInterrupt
        finally:
            self._dbapi().set_progress_handler(None, 0)
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def was_cancelled(self) -> bool:
        return bool(getattr(self, "_cancelled", False))

    def _end_read_only(self) -> None:
        self.raw("PRAGMA query_only = OFF")
        self._deadline = None

    def _dbapi(self) -> Any:
        return self.conn.connection.dbapi_connection

    def set_statement_timeout(self, seconds: float) -> None:
        """SQLite has no server: the progress handler of :meth:`cancel_on_interrupt` interrupts the run
        once ``seconds`` have passed. The limit covers the whole run, not each statement."""
        import time

        self._deadline = time.monotonic() + seconds

    #: below this many child rows the engine's own join is as fast as hashing
    HASH_MIN_ROWS = 200_000

    def find_orphans(self, child: Table, fk: ForeignKey, parent: Table | None,
                     sample: int) -> tuple[int, list[tuple[Any, ...]]] | None:
        """Without an index on the child's key SQLite probes the parent's B-tree once per child row in
        random order (PRAGMA foreign_key_check does the same): slow once the parent outgrows the page
        cache. Holding the parent's keys in Python (a byte map or a bounded set, sqlite_hash) and
        streaming the child's keys is several times faster (benchmarks/RESULTS.md). Used only for
        INTEGER-affinity keys, where SQLite's comparison and Python's equality agree, on rowid tables
        big enough to matter; otherwise, or when the keys would not fit in memory, None (SQL)."""
        if parent is None or child.kind != "table" or parent.kind != "table":
            return None
        types = [child.column(c).type for c in fk.columns] + [parent.column(c).type for c in fk.referred_columns]
        if not all("INT" in t.upper() for t in types):
            return None
        size = self._row_estimate(child)
        if size is None or size < self.HASH_MIN_ROWS:
            return None
        if any(ix.columns[: len(fk.columns)] == fk.columns and not ix.partial for ix in child.indexes):
            # with an index, SQLite's join walks the child's keys in order: fast, and faster still
            # when the key's range is split over the cores
            return self._parallel_orphans(child, fk, parent, sample, size)
        from refint.engines.sqlite_hash import hash_orphans

        # the parent's key is its rowid: an INTEGER PRIMARY KEY of a rowid table without an index of its
        # own (a WITHOUT ROWID table, or the INTEGER PRIMARY KEY DESC quirk, has one, and stores text too)
        pk, parent_rows = parent.primary_key, self._row_estimate(parent)
        rowid_key = (pk is not None and pk.columns == fk.referred_columns and len(pk.columns) == 1
                     and parent_rows is not None and parent.column(pk.columns[0]).type == "INTEGER"
                     and not any(ix.columns == pk.columns for ix in parent.indexes))
        return hash_orphans(
            self._dbapi(), self._locked, self._stop_requested, child=self.from_table(child), parent=self.from_table(parent),
            child_columns=[self.quote(c) for c in fk.columns], parent_columns=[self.quote(c) for c in fk.referred_columns],
            sample=sample, rowid_key=rowid_key, parent_rows=parent_rows)

    #: the indexed join is split over the cores from this many child rows up (below, threads cost more)
    PARALLEL_MIN_ROWS = 1_000_000

    def _parallel_orphans(self, child: Table, fk: ForeignKey, parent: Table, sample: int,
                          size: int) -> tuple[int, list[tuple[Any, ...]]] | None:
        """The indexed LEFT JOIN over ranges of the child's key, on several read-only connections in
        threads (sqlite3 lets go of the GIL while SQLite works): SQLite runs one statement on one core.

        Only on a database file refint opened itself (never a caller's connection, whose transaction
        may hold changes other connections cannot see) with a one-column key. Each range is read in
        its own transaction; ``PRAGMA data_version`` before and after tells whether anything committed
        in between, and then the result is dropped for the one-statement join (None)."""
        import os

        cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
        workers = min(len(cores), 8)
        if (self.borrowed or not self.own_read_only or workers < 2 or len(fk.columns) != 1
                or size < self.PARALLEL_MIN_ROWS):
            return None
        files = [r for r in self.fetchall("PRAGMA database_list") if r[1] == "main"]
        if not files or not files[0][2]:
            return None  # an in-memory database: no second connection can see it
        col, pcol = self.quote(fk.columns[0]), self.quote(fk.referred_columns[0])
        bounds = self._quantiles(child, col, workers)
        if bounds is None:
            return None
        version = self.raw("PRAGMA data_version").scalar()
        # one range per worker, cut at quantiles of the key: the outer ranges are open-ended (a range
        # bounded on both sides costs SQLite a comparison more per index entry)
        edges: list[int | None] = [None, *bounds, None]
        ranges = list(zip(edges, edges[1:]))

        def where(lo: int | None, hi: int | None) -> tuple[str, tuple[int, ...]]:
            conds, args = [], []
            if lo is not None:
                conds.append(f"c.{col} >= ?")
                args.append(lo)
            if hi is not None:
                conds.append(f"c.{col} < ?")
                args.append(hi)
            return " AND ".join(conds or [f"c.{col} IS NOT NULL"]), tuple(args)

        def statement(cond: str) -> str:
            return (f"SELECT c.{col}, count(*) FROM {self.from_table(child)} c "
                    f"LEFT JOIN {self.from_table(parent)} p ON p.{pcol} = c.{col} "
                    f"WHERE {cond} AND p.{pcol} IS NULL GROUP BY c.{col} ORDER BY c.{col}")
        uri = "file:" + _uri_path(files[0][2]) + "?mode=ro"
        local = threading.local()
        opened: list[sqlite3.Connection] = []
        lock = threading.Lock()

        def run(bound: tuple[int | None, int | None]) -> tuple[int, list[tuple[Any, ...]]]:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = sqlite3.connect(uri, uri=True, check_same_thread=False,
                                                    timeout=BUSY_TIMEOUT_MS / 1000)
                conn.set_progress_handler(self._stop_requested, 20_000)
                with lock:
                    opened.append(conn)
            cond, args = where(*bound)
            total, keys = 0, list[tuple[Any, ...]]()
            for key, n in self._locked(lambda: conn.execute(statement(cond), args)):
                total += n
                if len(keys) < sample:
                    keys.append((key,))
            return total, keys

        from concurrent.futures import ThreadPoolExecutor

        try:
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(run, ranges))
        finally:
            for conn in opened:
                conn.close()
        if self._stop_requested():
            raise sqlite3.OperationalError("interrupted")
        if self.raw("PRAGMA data_version").scalar() != version:
            return None  # something committed while the ranges were read: one statement instead
        total = sum(t for t, _ in results)
        keys = [k for _, ks in results for k in ks][:sample]  # ranges are in key order
        return total, keys

    def _quantiles(self, child: Table, col: str, parts: int) -> list[int] | None:
        """``parts - 1`` cut points that split the child's non-NULL keys into ranges of about equal row
        counts, from a systematic sample of 256 rows read by rowid (one B-tree descent each). None
        when the key is not an integer (SQLite's INTEGER affinity still stores text and reals)."""
        src = self.from_table(child)
        first = self.raw(f"SELECT min(rowid) FROM {src}").scalar()
        last = self.raw(f"SELECT max(rowid) FROM {src}").scalar()
        if first is None:
            return []
        n = 256
        probe = f"SELECT {col} FROM {src} WHERE rowid >= ? LIMIT 1"
        sample = [self.raw(probe, (first + (last - first) * i // (n - 1),)).scalar() for i in range(n)]
        keys = sorted(k for k in sample if k is not None)
        if not keys or not all(type(k) is int for k in keys):
            return None
        return sorted({keys[len(keys) * i // parts] for i in range(1, parts)})

    # -- statements wait for writers in refint's own read-only transaction (sqlite_locks) -------------
    def _waits(self) -> bool:
        """A connection that is not a DirectConnection (which waits by itself), inside refint's own
        read-only transaction: a statement that meets a writer's lock is retried. A write transaction
        is never retried here (waiting could not end a deadlock between two writers)."""
        from refint.direct import DirectConnection

        return self.own_read_only and not isinstance(self.conn, DirectConnection)

    def exec(self, sql: str, params: Mapping[str, Any] | None = None) -> sa.CursorResult[Any]:
        if not self._waits():
            return super().exec(sql, params)
        return self._locked(lambda: super(SQLite, self).exec(sql, params))

    def raw(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> sa.CursorResult[Any]:
        if not self._waits():
            return super().raw(sql, params)
        return self._locked(lambda: super(SQLite, self).raw(sql, params))

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        # the DB-API cursor directly, on every connection: no DirectConnection retry on this path
        return self._locked(lambda: super(SQLite, self).fetchall(sql, params))

    def _locked(self, run: Callable[[], T]) -> T:
        """A statement on a driver connection of our own: retried while writers hold the lock, and a
        hot journal said in one line (sqlite_locks)."""
        try:
            return retry_busy(run, stop=self._stop_requested)
        except sqlite3.Error as exc:
            stuck = hot_journal(exc, main_file(self._dbapi()))
            if stuck is not None:
                raise stuck from None
            raise

    def _stop_requested(self) -> int:
        """Progress-handler verdict: Ctrl-C was pressed or ``--timeout`` has passed."""
        deadline = getattr(self, "_deadline", None)
        return 1 if getattr(self, "_cancelled", False) or (
            deadline is not None and time.monotonic() > deadline) else 0

    def _row_estimate(self, table: Table) -> int | None:
        """max(rowid): one B-tree descent, an upper bound of the row count (None: WITHOUT ROWID)."""
        try:
            value = self.raw(f"SELECT max(rowid) FROM {self.from_table(table)}").scalar()
        except Exception:
            return None
        return int(value or 0)

    def list_schemas(self) -> list[str]:
        return []

    def table_exists(self, schema: str | None, name: str) -> bool:
        """SQLite finds a key's parent table by name, case-insensitively (``sqlite_schema``)."""
        return self.raw("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') "
                        "AND name = ? COLLATE NOCASE", (name,)).scalar() != 0

    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        for name in schemas or ():
            if name not in ("main",):
                raise NoSuchSchema(name)
        tables = self.raw(TABLES_SQL).fetchall()
        columns = self.raw(COLUMNS_SQL).fetchall()
        fks = self.raw(FKS_SQL).fetchall()
        indexes = self.raw(INDEXES_SQL).fetchall()
        return self._assemble(tables, columns, fks, indexes)

    def _assemble(self, tables: Sequence[Any], columns: Sequence[Any], fk_rows: Sequence[Any],
                  index_rows: Sequence[Any]) -> Schema:
        parsed = {name: _parse(sql) for name, sql in tables}
        cols: dict[str, list[tuple[Any, ...]]] = {}
        for row in columns:
            cols.setdefault(row[0], []).append(row[1:])
        fk_groups: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
        for tname, fid, _seq, *rest in fk_rows:
            fk_groups.setdefault(tname, {}).setdefault(fid, []).append(tuple(rest))
        idx_groups: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        for tname, iname, *rest in index_rows:
            idx_groups.setdefault(tname, {}).setdefault(iname, []).append(tuple(rest))

        pk_of: dict[str, tuple[str, ...]] = {}
        for tname, rows in cols.items():
            pk_rows = sorted((r for r in rows if r[4]), key=lambda r: r[4])
            pk_of[tname.lower()] = tuple(r[0] for r in pk_rows)

        out = []
        for tname, _sql in tables:
            p = parsed.get(tname)
            out.append(self._table(tname, p, cols.get(tname, []), fk_groups.get(tname, {}),
                                   idx_groups.get(tname, {}), pk_of))
        return Schema(self.name, tuple(out))

    def _table(self, tname: str, p: ParsedTable | None, col_rows: list[tuple[Any, ...]],
               fk_group: dict[int, list[tuple[Any, ...]]], idx_group: dict[str, list[tuple[Any, ...]]],
               pk_of: dict[str, tuple[str, ...]]) -> Table:
        pk_cols = pk_of.get(tname.lower(), ())
        rowid_alias = (len(pk_cols) == 1 and not (p and p.without_rowid)
                       and any(r[0] == pk_cols[0] and (r[1] or "").upper() == "INTEGER" for r in col_rows))
        columns = tuple(
            Column(name, (typ or "").upper(), not (notnull or (rowid_alias and name == pk_cols[0])), default)
            for name, typ, notnull, default, _pk, _hidden in col_rows
        )
        primary_key = None
        if pk_cols:
            primary_key = PrimaryKey(p.primary_key.name if p and p.primary_key else None, pk_cols)

        uniques = []
        indexes = []
        parsed_uniques = list(p.uniques) if p else []
        for iname, rows in idx_group.items():
            unique, origin, partial = rows[0][0], rows[0][1], rows[0][2]
            parts = tuple(r[5] if r[4] >= 0 else None for r in rows)
            indexes.append(Index(iname, parts, bool(unique), bool(partial)))
            if origin == "u":
                names = [str(c) for c in parts]
                match = next((u for u in parsed_uniques if _same(u.columns, names)), None)
                if match is not None:
                    parsed_uniques.remove(match)
                uniques.append(Unique(match.name if match else None, tuple(str(c) for c in parts)))
            elif origin == "c" and unique and not partial and all(c is not None for c in parts):
                uniques.append(Unique(iname, tuple(str(c) for c in parts), index=True))

        checks = tuple(Check(c.name, c.expression) for c in (p.checks if p else ()))
        fks = self._foreign_keys(fk_group, p, pk_of)
        return Table(None, tname, columns, primary_key, tuple(uniques), checks, fks, tuple(indexes))

    def _foreign_keys(self, fk_group: dict[int, list[tuple[Any, ...]]], p: ParsedTable | None,
                      pk_of: dict[str, tuple[str, ...]]) -> tuple[ForeignKey, ...]:
        # PRAGMA foreign_key_list numbers keys in reverse declaration order
        declared = list(p.foreign_keys) if p else []
        out = []
        for position, fid in enumerate(sorted(fk_group, reverse=True)):
            rows = fk_group[fid]
            parent, columns = rows[0][0], tuple(r[1] for r in rows)
            to = tuple(r[2] for r in rows)
            parsed = declared[position] if position < len(declared) else None
            if parsed is None or not _same(parsed.columns, columns):
                parsed = next((d for d in declared if _same(d.columns, columns)
                               and d.referred_table.lower() == parent.lower()), None)
            referred = to if all(c is not None for c in to) else pk_of.get(parent.lower(), ())
            out.append(ForeignKey(
                name=parsed.name if parsed else None,
                columns=columns,
                referred_schema=None,
                referred_table=parent,
                referred_columns=tuple(referred),
                on_delete=Action.parse(rows[0][4]),
                on_update=Action.parse(rows[0][3]),
                match=Match.parse(rows[0][5]),
                deferrable=parsed.deferrable if parsed else False,
                initially_deferred=parsed.initially_deferred if parsed else False,
                validated=None,
                enforced=None,
            ))
        return tuple(out)


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path)
