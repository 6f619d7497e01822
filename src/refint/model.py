"""The engine-neutral schema model.

Every engine module reads its catalog into these frozen dataclasses, and every verb works on them, so
nothing downstream knows which engine produced a schema. ``to_dict()`` is exactly the JSON of
``refint inspect`` in CONTRACT.md (plus documented additions such as ``indexes`` and ``kind``).

Keys are tuples of columns everywhere: composite keys are the normal case, there is no scalar twin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Action(str, Enum):
    """A referential action, spelled as CONTRACT.md normalises it."""

    NO_ACTION = "NO ACTION"
    RESTRICT = "RESTRICT"
    CASCADE = "CASCADE"
    SET_NULL = "SET NULL"
    SET_DEFAULT = "SET DEFAULT"

    @classmethod
    def parse(cls, text: str | None) -> Action:
        """Normalise an engine's spelling ('SET_NULL', 'set null', 'a', None) to an Action."""
        if text is None:
            return cls.NO_ACTION
        key = " ".join(text.replace("_", " ").split()).upper()
        if key in _PG_ACTION_CODES:
            return _PG_ACTION_CODES[key]
        if key in ("", "NONE"):
            return cls.NO_ACTION
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown referential action: {text!r}") from None

    def __str__(self) -> str:
        return self.value


# pg_constraint.confdeltype / confupdtype codes
_PG_ACTION_CODES = {
    "A": Action.NO_ACTION,
    "R": Action.RESTRICT,
    "C": Action.CASCADE,
    "N": Action.SET_NULL,
    "D": Action.SET_DEFAULT,
}


class Match(str, Enum):
    SIMPLE = "SIMPLE"
    FULL = "FULL"
    PARTIAL = "PARTIAL"

    @classmethod
    def parse(cls, text: str | None) -> Match:
        if text is None:
            return cls.SIMPLE
        key = text.strip().upper()
        key = {"S": "SIMPLE", "F": "FULL", "P": "PARTIAL", "NONE": "SIMPLE", "": "SIMPLE"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown MATCH type: {text!r}") from None

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "nullable": self.nullable, "default": self.default}


@dataclass(frozen=True)
class PrimaryKey:
    name: str | None
    columns: tuple[str, ...]
    #: PostgreSQL ``DEFERRABLE``: checked at the end of the statement (or at COMMIT), not row by row
    deferrable: bool = False
    initially_deferred: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "columns": list(self.columns), "deferrable": self.deferrable,
                "initially_deferred": self.initially_deferred}


@dataclass(frozen=True)
class Unique:
    """A UNIQUE constraint, or a unique index that can back a foreign key (``index=True``).

    Only plain-column, non-partial unique indexes are kept: those are the ones an engine accepts as the
    target of a foreign key.
    """

    name: str | None
    columns: tuple[str, ...]
    index: bool = False
    nulls_distinct: bool = True
    deferrable: bool = False
    initially_deferred: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": list(self.columns),
            "index": self.index,
            "nulls_distinct": self.nulls_distinct,
            "deferrable": self.deferrable,
            "initially_deferred": self.initially_deferred,
        }


@dataclass(frozen=True)
class Check:
    name: str | None
    expression: str
    validated: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "expression": self.expression, "validated": self.validated}


@dataclass(frozen=True)
class Index:
    """Any index on plain columns (used by lint and manage to find an FK's supporting index).

    ``columns`` holds ``None`` for an expression part; ``partial`` indexes carry a WHERE clause.
    """

    name: str
    columns: tuple[str | None, ...]
    unique: bool = False
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "columns": list(self.columns), "unique": self.unique, "partial": self.partial}


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]
    on_delete: Action = Action.NO_ACTION
    on_update: Action = Action.NO_ACTION
    match: Match = Match.SIMPLE
    deferrable: bool = False
    initially_deferred: bool = False
    validated: bool | None = None
    enforced: bool | None = None
    #: the referred table does not exist (a dangling key: SQLite accepts ``REFERENCES nosuch``; MySQL and
    #: MariaDB keep a key whose parent was dropped under ``FOREIGN_KEY_CHECKS=0``)
    parent_missing: bool = False
    #: the columns ON DELETE SET NULL / SET DEFAULT writes when the key lists them (PostgreSQL 15
    #: ``ON DELETE SET NULL (col)``); None: every key column
    on_delete_columns: tuple[str, ...] | None = None

    @property
    def referred(self) -> tuple[str | None, str]:
        return (self.referred_schema, self.referred_table)

    @property
    def on_delete_writes(self) -> tuple[str, ...]:
        """The columns the ON DELETE SET NULL / SET DEFAULT action writes."""
        return self.on_delete_columns if self.on_delete_columns is not None else self.columns

    def on_delete_clause(self, quote: Callable[[str], str]) -> str:
        """The ON DELETE action as SQL, with its column list when it has one: ``SET NULL ("a")``."""
        if self.on_delete_columns is None:
            return self.on_delete.value
        return f"{self.on_delete.value} ({', '.join(quote(c) for c in self.on_delete_columns)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": list(self.columns),
            "referred_schema": self.referred_schema,
            "referred_table": self.referred_table,
            "referred_columns": list(self.referred_columns),
            "on_delete": self.on_delete.value,
            "on_update": self.on_update.value,
            "match": self.match.value,
            "deferrable": self.deferrable,
            "initially_deferred": self.initially_deferred,
            "validated": self.validated,
            "enforced": self.enforced,
            "on_delete_columns": None if self.on_delete_columns is None else list(self.on_delete_columns),
        } | ({"parent_missing": True} if self.parent_missing else {})


def _by_name(items: Iterable[Any]) -> tuple[Any, ...]:
    """CONTRACT order: constraints sorted by name; unnamed ones last, in declaration order."""
    listed = list(items)
    return tuple(sorted(listed, key=lambda c: (c.name is None, c.name or "")))


@dataclass(frozen=True)
class Table:
    schema: str | None
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    unique: tuple[Unique, ...] = ()
    checks: tuple[Check, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    kind: str = "table"
    parent: tuple[str | None, str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "unique", _by_name(self.unique))
        object.__setattr__(self, "checks", _by_name(self.checks))
        object.__setattr__(self, "foreign_keys", _by_name(self.foreign_keys))
        object.__setattr__(self, "indexes", tuple(sorted(self.indexes, key=lambda i: i.name)))

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.schema, self.name)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def unique_sets(self) -> list[tuple[str, ...]]:
        """Column sets the engine would accept as the target of a foreign key."""
        sets = [u.columns for u in self.unique]
        if self.primary_key is not None:
            sets.insert(0, self.primary_key.columns)
        return sets

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": self.schema,
            "name": self.name,
            "kind": self.kind,
            "columns": [c.to_dict() for c in self.columns],
            "primary_key": self.primary_key.to_dict() if self.primary_key else None,
            "unique": [u.to_dict() for u in self.unique],
            "checks": [c.to_dict() for c in self.checks],
            "foreign_keys": [f.to_dict() for f in self.foreign_keys],
            "indexes": [i.to_dict() for i in self.indexes],
        }
        if self.parent is not None:
            out["parent"] = {"schema": self.parent[0], "table": self.parent[1]}
        return out


def _table_sort_key(t: Table) -> tuple[str, str]:
    return (t.schema or "", t.name)


@dataclass(frozen=True)
class Schema:
    """A whole database as refint sees it: the engine's name and its tables, sorted by (schema, name)."""

    engine: str
    tables: tuple[Table, ...] = ()
    _index: dict[tuple[str | None, str], Table] = field(default_factory=dict, compare=False, repr=False, hash=False)
    _incoming: dict[tuple[str | None, str], list[tuple[Table, ForeignKey]]] = field(
        default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        tables = tuple(sorted(self.tables, key=_table_sort_key))
        object.__setattr__(self, "tables", tables)
        self._index.clear()
        self._index.update({t.key: t for t in tables})
        self._incoming.clear()
        for t in tables:
            for fk in t.foreign_keys:
                self._incoming.setdefault(fk.referred, []).append((t, fk))

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def get(self, key: tuple[str | None, str]) -> Table | None:
        return self._index.get(key)

    def table(self, name: str, schema: str | None = None) -> Table:
        """Find a table by name (optionally ``schema.name``); raises NoSuchTable with the name."""
        from refint.errors import BadInput, NoSuchTable

        if schema is None and name not in {t.name for t in self.tables} and "." in name:
            schema, _, name = name.partition(".")
        matches = [t for t in self.tables if t.name == name and (schema is None or t.schema == schema)]
        if not matches:
            folded = [t for t in self.tables if t.name.lower() == name.lower()
                      and (schema is None or (t.schema or "").lower() == schema.lower())]
            matches = folded if len(folded) == 1 else []
        if not matches:
            raise NoSuchTable(name, schema)
        if len(matches) > 1:
            where = ", ".join(t.qualified_name for t in matches)
            raise BadInput(f"table name {name!r} is ambiguous ({where}); qualify it with its schema")
        return matches[0]

    @property
    def foreign_keys(self) -> list[tuple[Table, ForeignKey]]:
        return [(t, fk) for t in self.tables for fk in t.foreign_keys]

    def partition_ancestors(self, table: Table) -> list[Table]:
        """The partitioned tables ``table`` is a partition of, nearest first (PostgreSQL)."""
        out: list[Table] = []
        t: Table | None = table
        while t is not None and t.kind == "partition" and t.parent is not None:
            t = self.get(t.parent)
            if t is None or t in out:
                break
            out.append(t)
        return out

    def partition_descendants(self, table: Table) -> list[Table]:
        """Every partition below ``table``, at any depth (PostgreSQL)."""
        below: dict[tuple[str | None, str], list[Table]] = {}
        for t in self.tables:
            if t.kind == "partition" and t.parent is not None:
                below.setdefault(t.parent, []).append(t)
        out: list[Table] = []
        todo = list(below.get(table.key, ()))
        while todo:
            t = todo.pop()
            if t not in out:
                out.append(t)
                todo += below.get(t.key, ())
        return out

    def referencing(self, table: Table) -> list[tuple[Table, ForeignKey]]:
        """Foreign keys (with their child table) that point at ``table``."""
        return list(self._incoming.get(table.key, ()))

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "tables": [t.to_dict() for t in self.tables]}
