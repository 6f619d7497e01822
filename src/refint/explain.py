"""Which key failed: turn an application's IntegrityError into the constraint, table and offending key.

- PostgreSQL (SQLSTATE 23503) names the constraint and the key in the error (``diag`` on psycopg
  exceptions, or the message text): refint adds the model's view of the constraint and, for a parent
  row that is still referenced, how many rows reference it.
- MySQL/MariaDB 1451/1452 name the constraint but not the key. SQLite says only "FOREIGN KEY
  constraint failed". For those refint looks at the data the failed statement touched: given the
  statement, it replays it inside a savepoint with the engine's checks postponed (SQLite
  ``PRAGMA defer_foreign_keys``, MySQL ``FOREIGN_KEY_CHECKS=0``), lists the keys that would be broken,
  and rolls back to the savepoint, so nothing changes. Without the statement, on SQLite it runs the
  check in the caller's open transaction (a deferred key failing at COMMIT leaves it open), and
  elsewhere it reports the constraint and any orphans present now.

- Oracle (ORA-02291/02292/02449/01400): explained against the target's model (refint.explain_oracle).
- A message of one engine given to a target of another is refused: replays and row reads mean nothing
  on a database that did not raise the error.

Parsing an engine's *error message* with regular expressions is fine: it is the engine's documented
wording, not DDL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refint.check.checker import jsonable
from refint.errors import BadInput

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.model import ForeignKey, Schema, Table

PG_CHILD = re.compile(r'insert or update on table "(?P<table>[^"]+)" violates foreign key constraint "(?P<c>[^"]+)"')
PG_PARENT = re.compile(r'update or delete on table "(?P<parent>[^"]+)" violates foreign key constraint '
                       r'"(?P<c>[^"]+)" on table "(?P<table>[^"]+)"')
PG_KEY = re.compile(r"Key \((?P<cols>.*)\)=\((?P<vals>.*)\) is (?:not present in|still referenced from) table")
MY_FK = re.compile(r"Cannot (?P<what>add or update a child|delete or update a parent) row: a foreign key constraint "
                   r"fails \((?:`(?P<schema>[^`]*)`\.)?`(?P<table>[^`]+)`, CONSTRAINT `(?P<c>[^`]+)`")
SQLITE_FK = "FOREIGN KEY constraint failed"


@dataclass(frozen=True)
class Explanation:
    engine: str
    #: "missing_parent" | "still_referenced" | "unknown"; Oracle also "referenced_by_keys" (ORA-02449,
    #: DROP TABLE of a referenced table) and "not_null" (ORA-01400/01407)
    kind: str
    constraint: str | None = None
    schema: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()
    referred_table: str | None = None
    referred_columns: tuple[str, ...] = ()
    keys: tuple[dict[str, Any], ...] = ()
    referencing_rows: int | None = None
    message: str = ""
    notes: tuple[str, ...] = field(default=())
    #: the keys of other tables that refer to ``table`` (ORA-02449): {constraint, table, columns, ...}
    referencing_keys: tuple[dict[str, Any], ...] = ()
    #: a refint command that does what the failed statement meant to (ORA-02449: drop-table --cascade-...)
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine, "kind": self.kind, "constraint": self.constraint, "schema": self.schema,
            "table": self.table, "columns": list(self.columns), "referred_table": self.referred_table,
            "referred_columns": list(self.referred_columns), "keys": [dict(k) for k in self.keys],
            "referencing_rows": self.referencing_rows, "message": self.message, "notes": list(self.notes),
            "referencing_keys": [dict(k) for k in self.referencing_keys], "suggestion": self.suggestion,
        }


def _find_fk(engine: Engine, schema: Schema, name: str, table: str | None) -> tuple[Table, ForeignKey] | None:
    for t, fk in schema.foreign_keys:
        if fk.name == name and (table is None or t.name == table):
            return t, fk
    for t, fk in schema.foreign_keys:
        if (fk.name or "").lower() == name.lower():
            return t, fk
    return None


def _error_text(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error
    orig: Any = getattr(error, "orig", None) or error
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) == 2 and isinstance(args[0], int):
        return f"({args[0]}) {args[1]}"
    if args and isinstance(getattr(args[0], "message", None), str):  # python-oracledb: args[0] is its _Error
        return str(args[0].message)
    return str(orig)


#: engine families: an error text is explained only on a target of the engine that wrote it, since the
#: explanation replays statements and reads rows there (Oracle's, which refint has no engine for, is
#: explained against any target's model: refint.explain_oracle)
FAMILIES = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "mariadb": "MySQL/MariaDB", "sqlite": "SQLite"}


def message_engine(text: str) -> str | None:
    """Which engine wrote this error text: "postgresql", "mysql", "sqlite", "oracle" or None."""
    from refint.explain_oracle import is_oracle

    if PG_CHILD.search(text) or PG_PARENT.search(text):
        return "postgresql"
    if MY_FK.search(text) or re.match(r"\s*\(?(1451|1452|1216|1217)\b", text):
        return "mysql"
    if SQLITE_FK in text or "FOREIGN KEY constraint failed" in text:
        return "sqlite"
    if is_oracle(text):
        return "oracle"
    return None


def explain_error(engine: Engine, schema: Schema, error: BaseException | str, *, statement: str | None = None,
                  params: Any = None) -> Explanation:
    """Explain a foreign-key IntegrityError (exception or message text) on ``engine``."""
    text = _error_text(error)
    orig: Any = getattr(error, "orig", None) or error
    diag = getattr(orig, "diag", None)
    source = message_engine(text)
    if source == "oracle":
        from refint.explain_oracle import explain_oracle

        return explain_oracle(engine.name, schema, text, statement)
    if source is not None and engine.name in FAMILIES and FAMILIES[source] != FAMILIES[engine.name]:
        raise BadInput(f"this is a {FAMILIES[source]} error message and the target is {FAMILIES[engine.name]}: "
                       "explain it against the database that raised it")
    if engine.name == "postgresql" or source == "postgresql":
        return _explain_pg(engine, schema, text, diag)
    match = MY_FK.search(text)
    if match:
        return _explain_mysql(engine, schema, text, match, statement, params)
    if SQLITE_FK in text:
        return _explain_sqlite(engine, schema, text, statement, params)
    raise BadInput(f"not a foreign-key error refint can explain: {text.splitlines()[0] if text else text!r}")


def _explain_pg(engine: Engine, schema: Schema, text: str, diag: Any) -> Explanation:
    constraint = getattr(diag, "constraint_name", None)
    table = getattr(diag, "table_name", None)
    detail = getattr(diag, "message_detail", None) or text
    parent_side = PG_PARENT.search(text)
    child_side = PG_CHILD.search(text)
    if constraint is None:
        m = parent_side or child_side
        if m is None:
            raise BadInput("not a PostgreSQL foreign-key error")
        constraint = m.group("c")
    kind = "still_referenced" if parent_side or "still referenced" in detail else "missing_parent"
    child_table = parent_side.group("table") if parent_side else (child_side.group("table") if child_side else None)
    found = _find_fk(engine, schema, constraint, child_table)
    keys: tuple[dict[str, Any], ...] = ()
    key_match = PG_KEY.search(detail)
    if key_match:
        cols = [c.strip().strip('"') for c in key_match.group("cols").split(",")]
        vals = [v.strip() for v in key_match.group("vals").split(",")]
        keys = (dict(zip(cols, vals)),)
    if found is None:
        return Explanation("postgresql", kind, constraint, None, table, keys=keys, message=text.strip())
    t, fk = found
    referencing = None
    if kind == "still_referenced" and keys:
        referencing = _count_referencing(engine, schema, t, fk, [keys[0].get(c) for c in fk.referred_columns])
    return Explanation("postgresql", kind, fk.name, t.schema, t.name, fk.columns, fk.referred_table,
                       fk.referred_columns, keys, referencing, text.strip())


def _count_referencing(engine: Engine, schema: Schema, child: Table, fk: ForeignKey, values: list[Any]) -> int | None:
    if any(v is None for v in values):
        return None
    e = engine
    where = " AND ".join(f"CAST({e.quote(c)} AS TEXT) = :v{i}" for i, c in enumerate(fk.columns))
    with e.read_only():
        row = e.exec(f"SELECT count(*) FROM {e.from_table(child)} WHERE {where}",
                     {f"v{i}": v for i, v in enumerate(values)}).fetchone()
    return int(row[0]) if row else None


def _explain_mysql(engine: Engine, schema: Schema, text: str, m: re.Match[str], statement: str | None, params: Any) -> Explanation:
    kind = "missing_parent" if m.group("what").startswith("add") else "still_referenced"
    found = _find_fk(engine, schema, m.group("c"), m.group("table"))
    if found is None:
        return Explanation(engine.name, kind, m.group("c"), m.group("schema"), m.group("table"), message=text)
    t, fk = found
    notes = []
    if statement:
        keys = _replay(engine, schema, t, fk, statement, params, "SET FOREIGN_KEY_CHECKS = 0", "SET FOREIGN_KEY_CHECKS = 1")
        notes.append("keys found by replaying the statement with FOREIGN_KEY_CHECKS=0 in a savepoint, rolled back")
    else:
        keys = _orphans(engine, schema, t, fk)
        notes.append("MySQL does not say which key failed; pass the statement to find it. "
                     "Listed: orphans present now, if any")
    return Explanation(engine.name, kind, fk.name, t.schema, t.name, fk.columns, fk.referred_table,
                       fk.referred_columns, keys, None, text, tuple(notes))


def _orphans(engine: Engine, schema: Schema, t: Table, fk: ForeignKey) -> tuple[dict[str, Any], ...]:
    from refint.check.checker import Checker

    with engine.read_only():
        found = Checker(engine, schema, sample=20).foreign_key(t, fk)
    return tuple(s for v in found for s in v.sample)


def _check_replayable(statement: str) -> None:
    words = statement.lstrip().split(None, 1)
    if not words or words[0].upper() not in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
        raise BadInput("only an INSERT, UPDATE, DELETE or REPLACE statement can be replayed")
    if ";" in statement.rstrip().rstrip(";"):
        raise BadInput("replay takes one statement (no ';')")


class _Undo:
    """Explicit SQL around a replay: a savepoint inside the caller's transaction, else a transaction of
    our own; always rolled back. Explicit statements, because an autocommit connection would otherwise
    commit the replayed statement."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.nested = engine._dbapi_in_transaction()

    def __enter__(self) -> None:
        if self.nested or self.e.name == "sqlite":
            self.e.raw("SAVEPOINT refint_explain")
        else:
            self.e.raw("START TRANSACTION")

    def __exit__(self, *exc: object) -> None:
        if self.nested or self.e.name == "sqlite":
            self.e.raw("ROLLBACK TO SAVEPOINT refint_explain")
            self.e.raw("RELEASE SAVEPOINT refint_explain")
        else:
            self.e.raw("ROLLBACK")


def _replay(engine: Engine, schema: Schema, t: Table, fk: ForeignKey, statement: str, params: Any, off: str, on: str) -> tuple[
        dict[str, Any], ...]:
    """Run the failed statement with checks postponed, read the keys it broke, roll it back."""
    _check_replayable(statement)
    e = engine
    e.raw(off)
    try:
        with _Undo(engine):
            before = _orphans_in_txn(engine, schema, t, fk)
            e.raw(statement, params)
            after = _orphans_in_txn(engine, schema, t, fk)
    finally:
        e.raw(on)
    return tuple(k for k in after if k not in before)


def _orphans_in_txn(engine: Engine, schema: Schema, t: Table, fk: ForeignKey) -> list[dict[str, Any]]:
    from refint.check.checker import Checker

    found = Checker(engine, schema, sample=1000).foreign_key(t, fk)
    return [s for v in found for s in v.sample]


def _explain_sqlite(engine: Engine, schema: Schema, text: str, statement: str | None, params: Any) -> Explanation:
    e = engine
    notes: list[str] = []
    rows: list[tuple[Any, ...]]
    if statement:
        _check_replayable(statement)
        with _Undo(engine):
            e.raw("PRAGMA defer_foreign_keys = ON")
            before = set(e.raw("PRAGMA foreign_key_check").fetchall())
            e.raw(statement, params)
            rows = [r for r in e.raw("PRAGMA foreign_key_check").fetchall() if tuple(r) not in before]
            keyed = _sqlite_keys(engine, schema, rows)
        notes.append("keys found by replaying the statement with foreign keys deferred in a savepoint, rolled back")
    else:
        rows = list(e.raw("PRAGMA foreign_key_check").fetchall())
        keyed = _sqlite_keys(engine, schema, rows)
        notes.append("checked in the connection's current transaction (SQLite names no key in its error)")
    if not keyed:
        return Explanation("sqlite", "unknown", message=text, notes=tuple(notes + [
            "no broken key is visible: an immediate failure was undone with its statement; pass the statement"]))
    (t, fk), keys = next(iter(keyed.items()))
    kind = "missing_parent"
    if len(keyed) > 1:
        others = ", ".join(f"{ot.name}.{of.name or of.columns}" for ot, of in list(keyed)[1:])
        notes.append(f"also broken: {others}")
    return Explanation("sqlite", kind, fk.name, None, t.name, fk.columns, fk.referred_table, fk.referred_columns,
                       tuple(keys), None, text, tuple(notes))


def _sqlite_keys(engine: Engine, schema: Schema, rows: list[tuple[Any, ...]]) -> dict[tuple[Table, ForeignKey], list[dict[str, Any]]]:
    """Map PRAGMA foreign_key_check rows (table, rowid, parent, fkid) to model keys and their values."""
    e = engine
    out: dict[tuple[Table, ForeignKey], list[dict[str, Any]]] = {}
    for row in rows:
        table_name, rowid, parent, fkid = tuple(row)
        t = schema.table(table_name)
        pragma = [tuple(r) for r in e.raw(f"PRAGMA foreign_key_list({e.quote(table_name)})").fetchall()]
        cols = tuple(r[3] for r in sorted((r for r in pragma if r[0] == fkid), key=lambda r: r[1]))
        fk = next((f for f in t.foreign_keys if f.columns == cols and f.referred_table == parent), None)
        if fk is None:
            continue
        values: dict[str, Any] = {}
        if rowid is not None:
            found = e.exec(f"SELECT {', '.join(e.quote(c) for c in cols)} FROM {e.quote(table_name)} "
                           "WHERE rowid = :r", {"r": rowid}).fetchone()
            if found is not None:
                values = {c: jsonable(v) for c, v in zip(cols, found)}
        out.setdefault((t, fk), [])
        if values and values not in out[(t, fk)]:
            out[(t, fk)].append(values)
    return out
