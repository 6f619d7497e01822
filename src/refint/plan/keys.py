"""PRIMARY KEY, UNIQUE, NOT NULL and CHECK on the new values of rows a statement changes (``refint plan``).

The changed rows are one CTE that projects every column's new value under the column's own name, next to
every column's old value (``refint_o<i>``); the rows the statement leaves alone are a predicate over the
table. Every count runs in the engine; nothing is written.

How each engine checks (docs/plan.md, verified on SQLite 3, PostgreSQL 15 and MariaDB 10.11):

- A non-deferrable PRIMARY KEY / UNIQUE is checked row by row as the engine writes each row, on all three
  engines: a key duplicated in the state *after* the statement fails for certain, and a new key equal to
  the *old* key of another changed row fails or not depending on the order the rows are visited
  (``UPDATE t SET id = id + 1`` fails, ``id - 1`` passes): that is reported as order-dependent.
  PostgreSQL's ``DEFERRABLE`` keys are checked on the end state only (INITIALLY IMMEDIATE: at the end of
  the statement; INITIALLY DEFERRED: at COMMIT).
- NULLs are distinct unless the key says ``NULLS NOT DISTINCT`` (PostgreSQL 15).
- NOT NULL and CHECK are checked on the new row; a CHECK whose value is NULL passes. SQLite checks only
  the CHECK constraints that mention an assigned column; PostgreSQL and MariaDB check all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from refint.model import Table
from refint.plan.base import Blocked, Rules, _Builder
from refint.sqltext import tokenize


@dataclass
class Findings:
    blocked: list[Blocked] = field(default_factory=list)
    deferred: list[Blocked] = field(default_factory=list)
    order_dep: list[Blocked] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def old_alias(i: int) -> str:
    return f"refint_o{i}"


def changed_rows(b: _Builder, table: Table, new: dict[str, str], source: str, qualifier: str = "") -> str:
    """A CTE of the changed rows: new values under the column names, old values as ``refint_o<i>``.

    ``new`` maps a column to the SQL of its new value; other columns keep theirs. ``source`` is the
    ``FROM ... WHERE ...`` that selects the changed rows; ``qualifier`` prefixes unchanged columns.
    PostgreSQL resolves an untyped expression of a derived table as text, so new values are cast to the
    column's declared type there (as the assignment itself would).
    """
    parts = []
    for c in table.columns:
        q = b.q(c.name)
        if c.name in new:
            expr = f"({new[c.name]})"
            if b.engine.name == "postgresql":
                expr = f"CAST({expr} AS {c.type})"
        else:
            expr = qualifier + q
        parts.append(f"{expr} AS {q}")
    parts += [f"{qualifier}{b.q(c.name)} AS {old_alias(i)}" for i, c in enumerate(table.columns)]
    return b.cte(f"SELECT {', '.join(parts)} {source}")


def _null_safe_eq(engine: str, a: str, b: str) -> str:
    if engine == "sqlite":
        return f"{a} IS {b}"
    if engine in ("mysql", "mariadb"):
        return f"{a} <=> {b}"
    return f"{a} IS NOT DISTINCT FROM {b}"


def _mentions(expression: str, columns: set[str]) -> bool:
    """Whether a CHECK expression names one of ``columns`` (SQLite re-checks only those)."""
    wanted = {c.lower() for c in columns}
    for tok in tokenize(expression):
        text = tok.text
        if text[:1] in ('"', "`", "["):
            text = text[1:-1].replace(text[0] * 2, text[0]) if text[0] != "[" else text[1:-1]
        if text.lower() in wanted:
            return True
    return False


@dataclass(frozen=True)
class _Key:
    name: str | None
    columns: tuple[str, ...]
    nulls_distinct: bool
    deferrable: bool
    initially_deferred: bool
    kind: str


def _keys(table: Table) -> list[_Key]:
    """The table's PRIMARY KEY and unique keys, each column set once (the constraint before its index)."""
    out: list[_Key] = []
    pk = table.primary_key
    if pk is not None:
        out.append(_Key(pk.name, pk.columns, True, pk.deferrable, pk.initially_deferred, "PRIMARY KEY"))
    for u in sorted(table.unique, key=lambda u: u.index):
        if any(k.columns == u.columns for k in out):
            continue
        out.append(_Key(u.name, u.columns, u.nulls_distinct, u.deferrable, u.initially_deferred, "UNIQUE"))
    return out


@dataclass(frozen=True)
class _Req:
    kind: str  # "notnull" | "check" | "dup" | "order" | "later"
    sql: str
    name: str | None = None
    text: str = ""
    key: _Key | None = None


def check_new_values(b: _Builder, rules: Rules, table: Table, label: str, chg: str, untouched: str,
                     assigned: set[str], found: Findings, *, not_null: bool = True,
                     visit: tuple[str, ...] | None = None) -> None:
    """Record what PRIMARY KEY / UNIQUE / NOT NULL / CHECK would do with the rows in ``chg``.

    ``untouched`` is a predicate over ``table`` for the rows the statement leaves as they are;
    ``assigned`` the columns the statement writes; ``not_null=False`` when the caller already reported
    NULLs written into NOT NULL columns (SET NULL / SET DEFAULT, ``check_set``). ``visit``: the columns
    whose old values, ascending, are the order in which the engine writes the rows (InnoDB's clustered
    index, :func:`refint.plan.innodb.clustered_order`); a new key then fails for certain when it meets
    the old key of a row written later, and passes otherwise.
    """
    engine = b.engine.name
    src = b.engine.from_table(table)
    q = b.q
    reqs: list[_Req] = []
    idx = {c.name: i for i, c in enumerate(table.columns)}
    for c in table.columns:
        if not_null and c.name in assigned and not c.nullable:
            reqs.append(_Req("notnull", f"SELECT count(*) FROM {chg} WHERE {q(c.name)} IS NULL", text=c.name))
    for ck in table.checks:
        if engine == "sqlite" and not _mentions(ck.expression, assigned):
            continue
        reqs.append(_Req("check", f"SELECT count(*) FROM {chg} AS {q(table.name)} WHERE NOT ({ck.expression})",
                         ck.name, ck.expression))
    for ix in table.indexes:
        if ix.unique and (ix.partial or None in ix.columns) and (None in ix.columns or set(ix.columns) & assigned):
            note = f"not followed: unique index {ix.name} of {label} is partial or on expressions; not predicted"
            if note not in found.notes:
                found.notes.append(note)
    for key in _keys(table):
        if not set(key.columns) & assigned:
            continue
        cols = ", ".join(q(c) for c in key.columns)
        present = " AND ".join(f"{q(c)} IS NOT NULL" for c in key.columns)
        where = f" WHERE {present}" if key.nulls_distinct else ""
        ends = (f"SELECT {cols}, 0 AS refint_c FROM {src} WHERE {untouched} "
                f"UNION ALL SELECT {cols}, 1 AS refint_c FROM {chg}")
        reqs.append(_Req("dup", f"SELECT coalesce(sum(refint_n), 0) FROM (SELECT sum(refint_c) AS refint_n "
                                f"FROM ({ends}) AS refint_e{where} GROUP BY {cols} HAVING count(*) > 1) AS refint_g",
                         key.name, key=key))
        if key.deferrable and rules.deferrable:
            continue
        # a new key equal to the old key of another changed row that does not keep it
        keeps = " AND ".join(_null_safe_eq(engine, f"refint_s.{q(c)}", f"refint_s.{old_alias(idx[c])}")
                             for c in key.columns)
        if visit is not None:
            hit = " AND ".join(f"refint_s.{old_alias(idx[c])} = refint_r.{q(c)}" if key.nulls_distinct else
                               _null_safe_eq(engine, f"refint_s.{old_alias(idx[c])}", f"refint_r.{q(c)}")
                               for c in key.columns)
            later = (f"({', '.join(f'refint_s.{old_alias(idx[c])}' for c in visit)}) > "
                     f"({', '.join(f'refint_r.{old_alias(idx[c])}' for c in visit)})")
            sql = (f"SELECT count(*) FROM {chg} AS refint_r WHERE EXISTS (SELECT 1 FROM {chg} AS refint_s "
                   f"WHERE {hit} AND NOT ({keeps}) AND {later})")
            reqs.append(_Req("later", sql, key.name, key=key))
            continue
        if key.nulls_distinct:  # a semi-join the engines hash; tuple IN is never true with a NULL
            olds = ", ".join(f"refint_s.{old_alias(idx[c])}" for c in key.columns)
            news = b.cols(key.columns)
            sql = (f"SELECT count(*) FROM {chg} WHERE {news} IN (SELECT {olds} FROM {chg} AS refint_s "
                   f"WHERE NOT ({keeps}))")
        else:
            hit = " AND ".join(_null_safe_eq(engine, f"refint_s.{old_alias(idx[c])}", f"refint_r.{q(c)}")
                               for c in key.columns)
            sql = (f"SELECT count(*) FROM {chg} AS refint_r WHERE EXISTS (SELECT 1 FROM {chg} AS refint_s "
                   f"WHERE {hit} AND NOT ({keeps}))")
        reqs.append(_Req("order", sql, key.name, key=key))
    if not reqs:
        return
    row: list[Any] = []
    for batch in b.batches([f"({r.sql}) AS n{i}" for i, r in enumerate(reqs)]):
        got = b.engine.exec(b.sql("SELECT " + ", ".join(batch)), {}).fetchone()
        assert got is not None
        row += list(got)
    dup_keys: set[tuple[str, ...]] = set()
    for r, value in zip(reqs, row):
        n = int(value or 0)
        if not n:
            continue
        if r.kind == "notnull":
            found.blocked.append(Blocked(None, label, n, f"NOT NULL column {r.text} would get NULL"))
        elif r.kind == "check":
            found.blocked.append(Blocked(r.name, label, n, f"new values violate CHECK ({r.text})"))
        elif r.kind == "dup":
            assert r.key is not None
            dup_keys.add(r.key.columns)
            reason = f"new values duplicate key ({', '.join(r.key.columns)})"
            if r.key.deferrable and r.key.initially_deferred and rules.deferrable:
                found.deferred.append(Blocked(r.name, label, n, reason, "commit"))
            else:
                found.blocked.append(Blocked(r.name, label, n, reason))
        elif r.kind == "later" and r.key is not None and r.key.columns not in dup_keys:
            found.blocked.append(Blocked(r.name, label, n, f"new values of ({', '.join(r.key.columns)}) equal old "
                                         f"keys of rows written later; InnoDB writes rows in primary key order and "
                                         f"checks {r.key.kind} at once"))
        elif r.key is not None and r.key.columns not in dup_keys:
            found.order_dep.append(Blocked(r.name, label, n, f"new values of ({', '.join(r.key.columns)}) equal "
                                           f"old keys of other changed rows; {r.key.kind} is checked row by row, "
                                           "so the outcome depends on row order"))
