"""``refint ddl``: the schema's constraints as DDL for another dialect, with what cannot be translated.

Why: moving a schema between engines silently loses referential actions (Oracle has no ON UPDATE and no
RESTRICT keyword, InnoDB has no SET DEFAULT, DuckDB has no actions at all). This renders every key,
unique, check and foreign key for the chosen dialect and returns a finding, never a silent omission, for
each clause that the target cannot express (DESIGN principle 9). Sources per rule: docs/manage.md.

Output shape: dialects that can add constraints to existing tables (PostgreSQL, MySQL, Oracle) get
``ALTER TABLE ... ADD CONSTRAINT`` statements, foreign keys last so that every referred key exists;
SQLite and DuckDB, which can declare foreign keys only in CREATE TABLE, get whole CREATE TABLE statements
(column types copied as the source engine spells them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from refint.errors import BadInput
from refint.model import Action, ForeignKey, Match, Schema, Table

DIALECTS = ("postgresql", "mysql", "sqlite", "oracle", "duckdb")


@dataclass(frozen=True)
class Untranslated:
    table: str
    constraint: str | None
    clause: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "constraint": self.constraint, "clause": self.clause, "message": self.message}


@dataclass(frozen=True)
class DDLResult:
    dialect: str
    statements: tuple[str, ...] = ()
    untranslated: tuple[Untranslated, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.untranslated

    def text(self) -> str:
        return "".join(s + ";\n" for s in self.statements)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dialect": self.dialect, "statements": list(self.statements),
                "untranslated": [u.to_dict() for u in self.untranslated]}


def _quote(dialect: str, name: str) -> str:
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


class _Writer:
    def __init__(self, dialect: str, schema: Schema, keep_schema: bool) -> None:
        self.d = dialect
        self.schema = schema
        self.keep_schema = keep_schema
        self.flags: list[Untranslated] = []

    def q(self, name: str) -> str:
        return _quote(self.d, name)

    def ref(self, schema: str | None, name: str) -> str:
        if schema and self.keep_schema and self.d not in ("sqlite", "duckdb"):
            return f"{self.q(schema)}.{self.q(name)}"
        return self.q(name)

    def cols(self, cols: tuple[str, ...] | tuple[str | None, ...]) -> str:
        return ", ".join(self.q(str(c)) for c in cols)

    def flag(self, table: Table, name: str | None, clause: str, message: str) -> None:
        self.flags.append(Untranslated(table.qualified_name, name, clause, message))

    def dangling(self, table: Table, fk: ForeignKey) -> bool:
        """A key whose referred table does not exist is left out (no engine but SQLite would create it,
        and SQLite would then refuse writes to the table): flagged instead."""
        if fk.parent_missing:
            self.flag(table, fk.name, "FOREIGN KEY", f"the referred table {fk.referred_table} does not exist: "
                      "omitted")
        return fk.parent_missing

    def action(self, table: Table, fk: ForeignKey, event: str, action: Action) -> str:
        """The ON DELETE/UPDATE clause for this dialect ('' when omitted), flagging what is lost."""
        if action is Action.NO_ACTION:
            return ""
        clause = f"ON {event} {action.value}"
        if self.d == "duckdb":
            if action is Action.RESTRICT:
                return clause
            self.flag(table, fk.name, clause, "DuckDB has no referential actions: the key will behave as NO ACTION")
            return ""
        if self.d == "oracle":
            if event == "UPDATE":
                self.flag(table, fk.name, clause, "Oracle has no ON UPDATE actions: updates of the parent key "
                          "are refused while children exist (NO ACTION)")
                return ""
            if action is Action.RESTRICT:
                self.flag(table, fk.name, clause, "Oracle has no RESTRICT keyword: written as the default "
                          "(NO ACTION), which Oracle checks at once for non-deferrable keys")
                return ""
            if action is Action.SET_DEFAULT:
                self.flag(table, fk.name, clause, "Oracle has no ON DELETE SET DEFAULT")
                return ""
        if self.d == "mysql" and action is Action.SET_DEFAULT:
            self.flag(table, fk.name, clause, "InnoDB has no SET DEFAULT (MySQL rejects the key, MariaDB accepts "
                      "it and then behaves as RESTRICT): omitted")
            return ""
        return clause

    def foreign_key(self, table: Table, fk: ForeignKey) -> str:
        parts = [f"FOREIGN KEY ({self.cols(fk.columns)}) REFERENCES {self.ref(fk.referred_schema, fk.referred_table)} "
                 f"({self.cols(fk.referred_columns)})"]
        if fk.name:
            parts.insert(0, f"CONSTRAINT {self.q(fk.name)}")
            if self.d == "duckdb":
                self.flag(table, fk.name, f"CONSTRAINT {fk.name}", "DuckDB does not keep foreign key names: "
                          "it generates its own")
        if fk.match is not Match.SIMPLE:
            if self.d == "postgresql" and fk.match is Match.FULL:
                parts.append("MATCH FULL")
            else:
                self.flag(table, fk.name, f"MATCH {fk.match.value}",
                          f"{self.d} does not enforce MATCH {fk.match.value}: keys with some NULL columns "
                          "will not be checked the same way")
        for event, action in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)):
            clause = self.action(table, fk, event, action)
            if clause and event == "DELETE" and fk.on_delete_columns is not None:
                if self.d == "postgresql":
                    clause = f"ON DELETE {fk.on_delete_clause(self.q)}"
                else:
                    self.flag(table, fk.name, f"ON DELETE {fk.on_delete_clause(self.q)}",
                              f"{self.d} has no column list for ON DELETE {action.value}: every key column "
                              "will be written")
            if clause:
                parts.append(clause)
        if fk.deferrable:
            if self.d in ("postgresql", "oracle", "sqlite"):
                parts.append("DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred else "DEFERRABLE")
            else:
                self.flag(table, fk.name, "DEFERRABLE", f"{self.d} has no deferrable foreign keys: checked at once")
        if fk.validated is False:
            if self.d == "postgresql":
                parts.append("NOT VALID")
            elif self.d == "oracle":
                parts.append("ENABLE NOVALIDATE")
            else:
                self.flag(table, fk.name, "NOT VALID", f"{self.d} cannot hold an unvalidated key: existing "
                          "orphans will make the statement fail")
        return " ".join(parts)

    def key_clauses(self, table: Table) -> list[str]:
        out = []
        if table.primary_key:
            name = f"CONSTRAINT {self.q(table.primary_key.name)} " if table.primary_key.name and self.d != "mysql" else ""
            out.append(f"{name}PRIMARY KEY ({self.cols(table.primary_key.columns)})")
        for u in table.unique:
            if u.index:
                continue  # a unique index, not a constraint: left to CREATE INDEX
            name = f"CONSTRAINT {self.q(u.name)} " if u.name else ""
            out.append(f"{name}UNIQUE ({self.cols(u.columns)})")
        for c in table.checks:
            name = f"CONSTRAINT {self.q(c.name)} " if c.name else ""
            out.append(f"{name}CHECK ({c.expression})")
        return out


def render_ddl(schema: Schema, dialect: str, *, keep_schema: bool = True) -> DDLResult:
    """Translate the constraints of ``schema`` to ``dialect``; see the module docstring."""
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r} (choose from {', '.join(DIALECTS)})")
    w = _Writer(dialect, schema, keep_schema)
    tables = [t for t in schema.tables if t.kind in ("table", "partitioned")]
    statements: list[str] = []
    if dialect in ("sqlite", "duckdb"):
        created: set[tuple[str | None, str]] = set()
        for t in _creation_order(tables):
            created.add(t.key)
            items = [f"{w.q(c.name)} {c.type}".rstrip() + ("" if c.nullable else " NOT NULL")
                     + (f" DEFAULT {c.default}" if c.default is not None else "") for c in t.columns]
            items += w.key_clauses(t)
            for fk in t.foreign_keys:
                if w.dangling(t, fk):
                    continue
                if dialect == "duckdb" and fk.referred not in created:
                    w.flag(t, fk.name, "FOREIGN KEY", f"DuckDB needs {fk.referred_table} to exist first, and this "
                           "key closes a cycle (DuckDB cannot add a key later): omitted")
                    continue
                items.append(w.foreign_key(t, fk))
            body = ",\n  ".join(items)
            statements.append(f"CREATE TABLE {w.ref(t.schema, t.name)} (\n  {body}\n)")
    else:
        for t in tables:
            for clause in w.key_clauses(t):
                statements.append(f"ALTER TABLE {w.ref(t.schema, t.name)} ADD {clause}")
        for t in tables:
            for fk in t.foreign_keys:
                if not w.dangling(t, fk):
                    statements.append(f"ALTER TABLE {w.ref(t.schema, t.name)} ADD {w.foreign_key(t, fk)}")
    return DDLResult(dialect, tuple(statements), tuple(w.flags))


def _creation_order(tables: list[Table]) -> list[Table]:
    """Parents before children (cycles keep their input order): CREATE TABLE needs the parent first."""
    by_key = {t.key: t for t in tables}
    done: dict[tuple[str | None, str], Table] = {}
    visiting: set[tuple[str | None, str]] = set()

    def visit(t: Table) -> None:
        if t.key in done or t.key in visiting:
            return
        visiting.add(t.key)
        for fk in t.foreign_keys:
            parent = by_key.get(fk.referred)
            if parent is not None and parent.key != t.key:
                visit(parent)
        visiting.discard(t.key)
        done[t.key] = t

    for t in tables:
        visit(t)
    return list(done.values())
