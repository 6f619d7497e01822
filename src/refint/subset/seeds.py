"""Seeds: ``--where 'TABLE: PREDICATE'``, ``--percent 'TABLE: P'``, ``--limit 'TABLE: N'``.

On one table they combine: the predicates AND together, ``--percent`` then keeps a deterministic share
of those rows (a hash of the row's key and ``--random-seed``, so the same command picks the same rows),
and ``--limit`` keeps the first N of what is left by key. Each becomes one SQL predicate over the table,
checked the way ``plan --where`` checks its predicate: refused writes, comments and ``;`` first, then
parsed by the engine itself in a read-only SELECT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput
from refint.model import Schema, Table
from refint.sqltext import validate_predicate

if TYPE_CHECKING:
    from refint.engines.base import Engine

TKey = tuple[str | None, str]


@dataclass
class Seed:
    table: Table
    where: list[str] = field(default_factory=list)
    percent: float | None = None
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table.qualified_name, "where": list(self.where), "percent": self.percent,
                "limit": self.limit}


def split_spec(spec: str, option: str) -> tuple[str, str]:
    """``'TABLE: REST'`` -> (TABLE, REST); the first ``:`` that is not part of ``::`` ends the name."""
    i = 0
    while True:
        i = spec.find(":", i)
        if i < 0:
            raise BadInput(f"{option} {spec!r}: expected 'TABLE: VALUE'")
        if spec[i + 1:i + 2] == ":":
            i += 2
            continue
        break
    name, rest = spec[:i].strip(), spec[i + 1:].strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"`":
        name = name[1:-1].replace(name[0] * 2, name[0])
    if not name or not rest:
        raise BadInput(f"{option} {spec!r}: expected 'TABLE: VALUE'")
    return name, rest


def parse_seeds(schema: Schema, engine_name: str, where: Sequence[str], percent: Sequence[str],
                limit: Sequence[str], excluded: set[TKey]) -> dict[TKey, Seed]:
    seeds: dict[TKey, Seed] = {}

    def seed(name: str, option: str) -> Seed:
        t = schema.table(name)
        if t.key in excluded:
            raise BadInput(f"{option}: table {t.qualified_name} is also given to --exclude")
        return seeds.setdefault(t.key, Seed(t))

    for spec in where:
        name, pred = split_spec(spec, "--where")
        pred = validate_predicate(pred, backslash_escapes=engine_name in ("mysql", "mariadb"),
                                  escape_strings=engine_name == "postgresql")
        seed(name, "--where").where.append(pred)
    for spec in percent:
        name, value = split_spec(spec, "--percent")
        try:
            p = float(value.rstrip("%"))
        except ValueError:
            raise BadInput(f"--percent {spec!r}: {value!r} is not a number") from None
        if not 0 < p <= 100:
            raise BadInput(f"--percent {spec!r}: expected a percentage above 0 and at most 100")
        s = seed(name, "--percent")
        if s.percent is not None:
            raise BadInput(f"--percent given twice for {s.table.qualified_name}")
        s.percent = p
    for spec in limit:
        name, value = split_spec(spec, "--limit")
        try:
            n = int(value)
        except ValueError:
            raise BadInput(f"--limit {spec!r}: {value!r} is not a whole number") from None
        if n < 0:
            raise BadInput(f"--limit {spec!r}: expected 0 or more")
        s = seed(name, "--limit")
        if s.limit is not None:
            raise BadInput(f"--limit given twice for {s.table.qualified_name}")
        s.limit = n
    return seeds


def row_key(t: Table) -> tuple[str, ...]:
    """The columns that identify a row: the primary key, else the first unique set, else every column."""
    sets = t.unique_sets()
    if sets:
        return sets[0]
    return t.column_names()


def _hash(engine: Engine, t: Table, alias: str, random_seed: int) -> str:
    """A deterministic number in [0, 1000000) per row, from its key and the random seed."""
    q = engine.quote
    cols = [f"{alias}.{q(c)}" for c in row_key(t)]
    if engine.name == "postgresql":
        text = " || '|' || ".join(f"coalesce(CAST({c} AS text), '')" for c in cols)
        return f"((hashtextextended({text}, {random_seed}) % 1000000 + 1000000) % 1000000)"
    if engine.name in ("mysql", "mariadb"):
        return f"(crc32(concat_ws('|', {random_seed}, {', '.join(cols)})) % 1000000)"
    if engine.name == "duckdb":
        return f"(hash({random_seed}, {', '.join(cols)}) % 1000000)"
    return f"refint_hash({random_seed}, {', '.join(cols)})"


def install_sqlite_hash(raw: Any) -> None:
    """SQLite has no hash function: a deterministic one on the (read-only) connection."""
    import zlib

    def refint_hash(*values: Any) -> int:
        return zlib.crc32("|".join(repr(v) for v in values).encode()) % 1000000

    raw.create_function("refint_hash", -1, refint_hash, deterministic=True)


def seed_predicate(engine: Engine, s: Seed, random_seed: int, alias: str = "t") -> str:
    """The seed rows of ``s.table`` as a predicate over ``alias``."""
    q = engine.quote
    conds = [f"({w})" for w in s.where]
    if s.percent is not None and s.percent < 100:
        conds.append(f"{_hash(engine, s.table, alias, random_seed)} < {int(round(s.percent * 10000))}")
    if s.limit is None:
        return " AND ".join(conds) if conds else "1 = 1"
    key = row_key(s.table)
    inner_conds = " AND ".join(conds).replace(f"{alias}.", "refint_l.") if conds else "1 = 1"
    # the seed predicates name columns bare, so they read the inner alias's columns as well
    order = ", ".join(f"refint_l.{q(c)}" for c in key)
    sel = ", ".join(f"refint_l.{q(c)}" for c in key)
    local = f"{alias}.{q(key[0])}" if len(key) == 1 else "(" + ", ".join(f"{alias}.{q(c)}" for c in key) + ")"
    inner = (f"SELECT {sel} FROM {engine.from_table(s.table)} refint_l WHERE {inner_conds} "
             f"ORDER BY {order} LIMIT {int(s.limit)}")
    return f"{local} IN (SELECT * FROM ({inner}) refint_lim)"


def check_seed(engine: Engine, s: Seed) -> None:
    """Let the engine parse each predicate in a read-only SELECT (an unknown column, a syntax error), after
    refusing calls the engine marks volatile, as ``plan --where`` does (a read-only transaction does not
    cover a connection a function opens itself, e.g. dblink)."""
    from refint.plan.volatility import refuse_volatile

    from refint.sqltext import engine_parses

    refuse_volatile(engine, list(s.where))
    for w in s.where:
        engine_parses(engine, f"SELECT 1 FROM {engine.from_table(s.table)} t WHERE ({w}) LIMIT 1",
                      f"malformed --where on {s.table.qualified_name}")
