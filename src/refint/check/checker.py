"""``check``: every row that breaks a declared constraint, found by set-based SQL inside the engine.

One query per constraint, each returning at most ``sample`` rows: the first violating keys with, through
window aggregates over the grouped result, the total number of violating rows. Nothing proportional to
the table size ever reaches Python.

What is queried and what is trusted (docs/check.md):

- FOREIGN KEY: always queried (engines let orphans in: SQLite with foreign_keys off, PostgreSQL NOT
  VALID keys and disabled triggers, MySQL with FOREIGN_KEY_CHECKS=0, DuckDB files written elsewhere).
  MATCH SIMPLE skips rows with any NULL key column; MATCH FULL also reports partly-NULL keys.
- CHECK: queried as ``NOT (expression)`` so that a NULL result passes, as in SQL.
- NOT NULL: queried, one scan per table for all its NOT NULL columns together.
- PRIMARY KEY / UNIQUE: every engine here backs them with a unique index, so duplicates cannot exist and
  they are counted as checked without a scan; the exceptions are queried: NULLs in a SQLite PRIMARY KEY
  that is not a rowid alias, and keys declared only in a relations file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput, QueryFailed
from refint.model import ForeignKey, Match, Schema, Table

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.relations import Relations

KINDS = ("foreign_key", "primary_key", "unique", "not_null", "check")


def jsonable(value: Any) -> Any:
    """Values as JSON can carry them: numbers and strings as they are, the rest as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _fmt(value: Any) -> str:
    return "NULL" if value is None else str(jsonable(value))


@dataclass(frozen=True)
class Violation:
    kind: str
    constraint: str | None
    schema: str | None
    table: str
    columns: tuple[str, ...]
    count: int
    sample: tuple[dict[str, Any], ...]
    message: str
    referred_schema: str | None = None
    referred_table: str | None = None
    referred_columns: tuple[str, ...] | None = None
    #: the key's referred table does not exist (a dangling key): every row that sets the key violates it
    parent_missing: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "constraint": self.constraint,
            "schema": self.schema,
            "table": self.table,
            "columns": list(self.columns),
        }
        if self.referred_table is not None:
            out["referred_schema"] = self.referred_schema
            out["referred_table"] = self.referred_table
            out["referred_columns"] = list(self.referred_columns or ())
        if self.parent_missing:
            out["parent_missing"] = True
        out["count"] = self.count
        out["sample"] = [dict(s) for s in self.sample]
        out["message"] = self.message
        return out


@dataclass(frozen=True)
class CheckReport:
    checked: dict[str, int]
    violations: tuple[Violation, ...] = ()
    engine: str = ""

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": dict(self.checked),
            "violations": [v.to_dict() for v in self.violations],
        }


@dataclass
class _Job:
    kind: str
    table: Table
    label: str
    run: Callable[[], list[Violation]]
    constraint: str | None = None


@dataclass
class Checker:
    """Builds one query per constraint for ``engine`` and turns the rows into violations."""

    engine: Engine
    schema: Schema
    sample: int = 5
    jobs: list[_Job] = field(default_factory=list)
    #: (table key, kind, columns) of keys declared only in a relations file: no index guarantees them
    undeclared: set[tuple[Any, ...]] = field(default_factory=set)

    # -- SQL pieces --------------------------------------------------------------------------------
    def q(self, ident: str) -> str:
        return self.engine.quote(ident)

    def source(self, table: Table) -> str:
        return self.engine.from_table(table)

    def row_key(self, table: Table) -> tuple[str, ...]:
        """Columns that identify a row in samples: the primary key, a unique key, or every column."""
        if table.primary_key:
            return table.primary_key.columns
        for u in table.unique:
            if all(not table.column(c).nullable for c in u.columns if c in table.column_names()):
                return u.columns
        return table.column_names()

    def grouped(self, table: Table, cols: list[str], where: str, having: str = "") -> tuple[int, list[tuple[Any, ...]]]:
        """Rows of ``table`` (alias ``c``) matching ``where``, grouped by ``cols``: (rows, first keys)."""
        aliased = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
        sql = self.engine.sample_order(
            f"SELECT {aliased}, count(*) AS n, sum(count(*)) OVER () AS total FROM {self.source(table)} c "
            f"WHERE {where} GROUP BY {', '.join(cols)}{having}", len(cols))
        return self._fetch(sql, len(cols))

    def _fetch(self, sql: str, ncols: int,
               params: dict[str, Any] | None = None) -> tuple[int, list[tuple[Any, ...]]]:
        """Run a grouped violation query; returns (violating rows, first ``max(sample, 1)`` key tuples:
        the first key names the violation in its message even with ``--sample 0``)."""
        rows = self.engine.exec(sql, {**(params or {}), "sample": max(self.sample, 1)}).fetchall()
        if not rows:
            return 0, []
        total = int(rows[0][ncols + 1])
        keys = [tuple(r[:ncols]) for r in rows][: max(self.sample, 1)]
        return total, keys

    # -- foreign keys ------------------------------------------------------------------------------
    def foreign_key(self, table: Table, fk: ForeignKey) -> list[Violation]:
        parent = self.schema.get(fk.referred)
        if fk.parent_missing or (parent is None and not self.engine.table_exists(*fk.referred)):
            return self.dangling(table, fk)
        parent_src = self.source(parent) if parent else self.engine.table_ref(*fk.referred)
        c_cols = [f"c.{self.q(c)}" for c in fk.columns]
        child_indexed = any(ix.columns[: len(fk.columns)] == fk.columns and not ix.partial for ix in table.indexes)
        sql = self.engine.orphan_sql(
            child=self.source(table), parent=parent_src,
            child_columns=[self.q(c) for c in fk.columns], parent_columns=[self.q(c) for c in fk.referred_columns],
            child_indexed=child_indexed,
        )
        out = []
        found = self._orphans_by_range(table, fk, parent)
        if found is None:
            found = self.engine.find_orphans(table, fk, parent, max(self.sample, 1))
        if found is None:
            self.engine.prepare_orphan_query(child_indexed=child_indexed)
            total, keys = self._fetch(sql, len(c_cols))
            self.engine.prepare_check()  # back to the settings of the other check queries
        else:
            total, keys = found
        target = fk.referred_table
        if total:
            key = keys[0]
            out.append(self._fk_violation(
                table, fk, total, keys,
                f"Key ({', '.join(fk.columns)})=({', '.join(_fmt(v) for v in key)}) "
                f"is not present in table \"{target}\"."))
        if fk.match is Match.FULL and len(fk.columns) > 1:
            out += self.match_full(table, fk)
        return out

    def match_full(self, table: Table, fk: ForeignKey) -> list[Violation]:
        """MATCH FULL: a key that is partly NULL violates it, whatever the parent holds."""
        c_cols = [f"c.{self.q(c)}" for c in fk.columns]
        some_null = " OR ".join(f"{c} IS NULL" for c in c_cols)
        some_set = " OR ".join(f"{c} IS NOT NULL" for c in c_cols)
        total, keys = self.grouped(table, c_cols, f"({some_null}) AND ({some_set})")
        if not total:
            return []
        return [self._fk_violation(table, fk, total, keys,
                                   "MATCH FULL does not allow mixing of null and nonnull key values.")]

    def dangling(self, table: Table, fk: ForeignKey) -> list[Violation]:
        """A key whose referred table does not exist (SQLite accepts ``REFERENCES nosuch``; MySQL and
        MariaDB keep a key whose parent was dropped, or never created, under ``FOREIGN_KEY_CHECKS=0``):
        no key value can have a parent row, so every row whose key is set violates it (MATCH SIMPLE: all
        columns non-NULL; MATCH FULL adds its partly-NULL rows below, as for any key). SQLite's own
        ``PRAGMA foreign_key_check`` lists the same rows."""
        c_cols = [f"c.{self.q(c)}" for c in fk.columns]
        total, keys = self.grouped(table, c_cols, " AND ".join(f"{c} IS NOT NULL" for c in c_cols))
        target = fk.referred_table
        out = []
        if total:
            key = ", ".join(_fmt(v) for v in keys[0])
            out.append(replace(self._fk_violation(
                table, fk, total, keys, f"Key ({', '.join(fk.columns)})=({key}) is not present in table "
                f"\"{target}\": the table \"{target}\" does not exist."), parent_missing=True))
        if fk.match is Match.FULL and len(fk.columns) > 1:
            out += self.match_full(table, fk)
        return out

    def _orphans_by_range(self, table: Table, fk: ForeignKey,
                          parent: Table | None) -> tuple[int, list[tuple[Any, ...]]] | None:
        """The anti-join without a join, for a one-column integer key whose parent keys fill their range
        ``[min, max]`` but for at most ``RANGE_MAX_MISSING`` integers (auto-numbered keys, a few rows
        deleted): a child key is an orphan exactly when it lies outside the range or is one of the
        missing integers. One aggregate over the parent's key (its index), then a filter on the child
        (a range scan of its index when it has one) instead of a probe per child row.

        Only where the engine's integer columns hold nothing but integers (not SQLite), for a child
        at least as large as its parent by the engine's estimates; otherwise None (the join)."""
        eng = self.engine
        if parent is None or len(fk.columns) != 1 or not eng.integer_types:
            return None
        ccol, pcol = fk.columns[0], fk.referred_columns[0]
        if ccol not in table.column_names() or pcol not in parent.column_names():
            return None
        if not (eng.is_integer_type(table.column(ccol).type) and eng.is_integer_type(parent.column(pcol).type)):
            return None
        size = eng.row_estimate(table)
        if size is None or size < eng.RANGE_MIN_ROWS:
            return None
        parent_size = eng.row_estimate(parent)
        if parent_size is None or parent_size > size or not eng.one_snapshot():
            return None
        p, c, src = f"p.{self.q(pcol)}", f"c.{self.q(ccol)}", self.source(parent)
        # a key the database enforces has distinct values; one declared only in a relations file may not
        unique = (parent.primary_key is not None and parent.primary_key.columns == (pcol,)
                  and (parent.key, "primary_key", (pcol,)) not in self.undeclared) or any(
            u.columns == (pcol,) and (parent.key, "unique", (pcol,)) not in self.undeclared for u in parent.unique)
        bounds: Any = eng.exec(f"SELECT min({p}), max({p}) FROM {src} p").fetchone()  # the index's ends
        lo: Any = bounds[0] if bounds is not None else None
        hi: Any = bounds[1] if bounds is not None else None
        if lo is not None and int(hi) - int(lo) + 1 > 1.5 * parent_size + eng.RANGE_MAX_MISSING:
            return None  # many more integers in the range than rows (by the estimate): do not count them
        count = f"count({p})" if unique else f"count(DISTINCT {p})"
        n = eng.exec(f"SELECT {count} FROM {src} p").scalar() if lo is not None else 0
        params: dict[str, Any] = {}
        if not n:
            preds = [f"{c} IS NOT NULL"]  # no parent key at all: every key is an orphan
        else:
            missing = int(hi) - int(lo) + 1 - int(n)
            if missing > eng.RANGE_MAX_MISSING:
                return None
            params = {"lo": int(lo), "hi": int(hi)}
            preds = [f"{c} < :lo", f"{c} > :hi"]
            if missing:
                gaps: Sequence[Any] = eng.exec(
                    f"SELECT k, nxt FROM (SELECT {p} AS k, lead({p}) OVER (ORDER BY {p}) AS nxt FROM {src} p "
                    f"WHERE {p} IS NOT NULL) g WHERE nxt - k > 1").fetchall()
                values = [v for g in gaps for v in range(int(g[0]) + 1, int(g[1]))]
                if len(values) != missing:
                    return None
                params.update((f"m{i}", v) for i, v in enumerate(values))
                preds.append(f"{c} IN ({', '.join(f':m{i}' for i in range(len(values)))})")
        child = self.source(table)
        if any(ix.columns[:1] == (ccol,) and not ix.partial for ix in table.indexes):
            # one index range scan per predicate (PostgreSQL does not scan an index for an OR, and with
            # the ORDER BY ... LIMIT of the sample it walked the whole index in key order instead)
            rows = " UNION ALL ".join(f"SELECT {c} AS k0 FROM {child} c WHERE {pred}" for pred in preds)
            grouped = f"SELECT k0, count(*) AS n, sum(count(*)) OVER () AS total FROM ({rows}) o GROUP BY k0"
        else:  # one scan of the child with the filter
            grouped = (f"SELECT {c} AS k0, count(*) AS n, sum(count(*)) OVER () AS total FROM {child} c "
                       f"WHERE {' OR '.join(preds)} GROUP BY {c}")
        return self._fetch(eng.sample_order(grouped, 1), 1, params)

    def _fk_violation(self, table: Table, fk: ForeignKey, total: int, keys: list[tuple[Any, ...]],
                      message: str) -> Violation:
        return Violation(
            kind="foreign_key", constraint=fk.name, schema=table.schema, table=table.name, columns=fk.columns,
            count=total, sample=tuple(dict(zip(fk.columns, map(jsonable, k))) for k in keys[: self.sample]),
            message=message,
            referred_schema=fk.referred_schema, referred_table=fk.referred_table,
            referred_columns=fk.referred_columns,
        )

    # -- other kinds ---------------------------------------------------------------------------------
    def check_constraint(self, table: Table, name: str | None, expression: str) -> list[Violation]:
        key = self.row_key(table)
        cols = ", ".join(self.q(c) for c in key)
        sql = (f"SELECT {cols}, 1 AS n, count(*) OVER () AS total FROM {self.source(table)} "
               f"WHERE NOT ({expression}) LIMIT :sample")
        total, keys = self._fetch(sql, len(key))
        if not total:
            return []
        label = f'"{name}"' if name else f"({expression})"
        return [Violation(
            kind="check", constraint=name, schema=table.schema, table=table.name, columns=key, count=total,
            sample=tuple(dict(zip(key, map(jsonable, k))) for k in keys[: self.sample]),
            message=f"check constraint {label} of relation \"{table.name}\" is violated by some row")]

    def not_null(self, table: Table, columns: Sequence[str]) -> list[Violation]:
        sums = ", ".join(f"sum(CASE WHEN {self.q(c)} IS NULL THEN 1 ELSE 0 END)" for c in columns)
        row = self.engine.exec(f"SELECT {sums} FROM {self.source(table)}").fetchone()
        out = []
        key = self.row_key(table)
        for col, n in zip(columns, row or ()):
            if not n:
                continue
            cols = ", ".join(self.q(c) for c in key)
            rows = self.engine.exec(
                f"SELECT {cols} FROM {self.source(table)} WHERE {self.q(col)} IS NULL LIMIT :sample",
                {"sample": max(self.sample, 1)}).fetchall()[: self.sample]
            out.append(Violation(
                kind="not_null", constraint=f"{table.name}_{col}_not_null", schema=table.schema, table=table.name,
                columns=(col,), count=int(n), sample=tuple(dict(zip(key, map(jsonable, r))) for r in rows),
                message=f"column \"{col}\" of relation \"{table.name}\" contains null values"))
        return out

    def duplicates(self, table: Table, kind: str, name: str | None, columns: Sequence[str],
                   nulls_distinct: bool = True) -> list[Violation]:
        cols = [f"c.{self.q(c)}" for c in columns]
        where = " AND ".join(f"{c} IS NOT NULL" for c in cols) if nulls_distinct else "1 = 1"
        total, keys = self.grouped(table, cols, where, " HAVING count(*) > 1")
        if not total:
            return []
        return [Violation(
            kind=kind, constraint=name, schema=table.schema, table=table.name, columns=tuple(columns), count=total,
            sample=tuple(dict(zip(columns, map(jsonable, k))) for k in keys[: self.sample]),
            message=f"Key ({', '.join(columns)})=({', '.join(_fmt(v) for v in keys[0])}) is duplicated.")]

    def pk_nulls(self, table: Table, name: str | None, columns: Sequence[str]) -> list[Violation]:
        return [Violation(
            kind="primary_key", constraint=name, schema=v.schema, table=v.table, columns=v.columns, count=v.count,
            sample=v.sample, message=v.message) for v in self.not_null(table, columns)]

    def undeclared_pk(self, table: Table, name: str | None, columns: Sequence[str],
                      nullable: Sequence[str]) -> list[Violation]:
        """A primary key declared only in a relations file: NULLs and duplicates are both possible."""
        return self.pk_nulls(table, name, nullable) + self.duplicates(table, "primary_key", name, columns)

    # -- planning ----------------------------------------------------------------------------------
    def plan(self, tables: Iterable[Table], kinds: Sequence[str], constraints: Sequence[str]) -> dict[str, int]:
        checked = dict.fromkeys(KINDS, 0)
        caps = self.engine.capabilities
        wanted = {c.lower() for c in constraints}

        def add(kind: str, table: Table, name: str | None, run: Callable[[], list[Violation]]) -> None:
            if kind not in kinds:
                return
            if wanted and (name or "").lower() not in wanted:
                return
            checked[kind] += 1
            self.jobs.append(_Job(kind, table, f"{table.qualified_name} {name or kind}", run, name))

        for table in tables:
            for fk in table.foreign_keys:
                add("foreign_key", table, fk.name, partial(self.foreign_key, table, fk))
            pk = table.primary_key
            if pk:
                nullable = [c for c in pk.columns if table.column(c).nullable]
                if (table.key, "primary_key", pk.columns) in self.undeclared:
                    add("primary_key", table, pk.name, partial(self.undeclared_pk, table, pk.name, pk.columns, nullable))
                else:
                    add("primary_key", table, pk.name,
                        partial(self.pk_nulls, table, pk.name, nullable) if nullable else list)
            for u in table.unique:
                if (table.key, "unique", u.columns) in self.undeclared:
                    add("unique", table, u.name,
                        partial(self.duplicates, table, "unique", u.name, u.columns, u.nulls_distinct))
                elif not u.index:
                    add("unique", table, u.name, list)
            # a partition's rows are also read through its partitioned table: what the partition
            # inherits from it (checks, NOT NULL) is checked there once, not twice
            parent = self.schema.get(table.parent) if table.kind == "partition" and table.parent else None
            inherited = {c.name for c in parent.checks} if parent else set()
            parent_required = {c.name for c in parent.columns if not c.nullable} if parent else set()
            if caps.check_constraints:
                for ck in table.checks:
                    if ck.name in inherited:
                        continue
                    add("check", table, ck.name, partial(self.check_constraint, table, ck.name, ck.expression))
            required = [c.name for c in table.columns if not c.nullable and c.name not in parent_required]
            if required and "not_null" in kinds and not wanted:
                checked["not_null"] += len(required)
                self.jobs.append(_Job("not_null", table, f"{table.qualified_name} NOT NULL",
                                      partial(self.not_null, table, required)))
        return checked


def check(engine: Engine, schema: Schema, *, tables: Sequence[str] = (), constraints: Sequence[str] = (),
          kinds: Sequence[str] = (), sample: int = 5, timeout: float | None = None,
          relations: Relations | None = None,
          progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
    """Find every violating row of every declared constraint (see module docstring).

    ``relations`` adds keys the database does not declare (``--relation``, relations files); they are
    checked like declared ones, and their primary keys and uniques are queried for duplicates.
    """
    for kind in kinds:
        if kind not in KINDS:
            raise BadInput(f"unknown --kind {kind!r} (choose from {', '.join(KINDS)})")
    if sample < 0:
        raise BadInput("--sample must be 0 or more")
    undeclared: set[tuple[Any, ...]] = set()
    if relations is not None:
        from refint.relations import apply_relations

        schema, undeclared = apply_relations(schema, relations)
    selected = [schema.table(t) for t in tables] if tables else list(schema.tables)
    if constraints:
        names = {n.lower() for t in selected for n in _constraint_names(t)}
        for c in constraints:
            if c.lower() not in names:
                from refint.errors import NoSuchConstraint

                raise NoSuchConstraint(f"no such constraint: {c}")
    checker = Checker(engine, schema, sample, undeclared=undeclared)
    checked = checker.plan(selected, list(kinds) or list(KINDS), constraints)
    violations: list[Violation] = []
    with engine.read_only(), engine.cancel_on_interrupt():
        engine.prepare_check()
        if timeout:
            engine.set_statement_timeout(timeout)
        for i, job in enumerate(checker.jobs):
            if progress:
                progress(i, len(checker.jobs), job.label)
                engine.set_activity(partial(_activity, progress, i, len(checker.jobs), job.label))
            try:
                violations.extend(job.run())
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                if _interrupted(exc) or engine.was_cancelled():
                    raise KeyboardInterrupt from None
                if not hasattr(exc, "orig") and not type(exc).__module__.startswith(("sqlite3", "duckdb")):
                    raise
                raise QueryFailed(f"checking {job.label}: {_first_line(exc)}") from exc
        if progress:
            progress(len(checker.jobs), len(checker.jobs), "done")
    order = {k: i for i, k in enumerate(KINDS)}
    violations.sort(key=lambda v: (order[v.kind], v.schema or "", v.table, v.constraint or "", v.columns))
    return CheckReport(checked, tuple(violations), engine.name)


def _activity(progress: Callable[[int, int, str], None], done: int, total: int, label: str, text: str) -> None:
    progress(done, total, f"{label}: {text}")


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split("\n")[0].split())
    return text or type(orig).__name__


def _interrupted(exc: BaseException) -> bool:
    """A query that stopped because the user pressed Ctrl-C (SQLite's progress handler raised it)."""
    orig = getattr(exc, "orig", None) or exc
    return isinstance(orig.__context__, KeyboardInterrupt) or isinstance(orig.__cause__, KeyboardInterrupt)


def _constraint_names(table: Table) -> list[str]:
    names = [fk.name for fk in table.foreign_keys] + [c.name for c in table.checks] + [u.name for u in table.unique]
    if table.primary_key:
        names.append(table.primary_key.name)
    return [n for n in names if n]
