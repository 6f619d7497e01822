"""Any other SQLAlchemy dialect, read through ``sqlalchemy.inspect(conn)`` and its ``get_multi_*`` calls.

This engine knows nothing about the database behind the dialect, so it claims nothing: its capabilities
are the minimum (only NO ACTION, no DDL through refint, no read-only transactions), and verbs that need
more say so with ``NotSupported`` instead of guessing. Behavioural flags keep the SQL standard's meaning
(RESTRICT immediate, NULLs distinct in UNIQUE), the only neutral guess there is.

Introspection is one ``get_multi_*`` call per kind of object per schema: dialects that implement them
natively (PostgreSQL, Oracle, ...) answer in a few queries; the others fall back to SQLAlchemy's
per-table loop, which is their best anyway. Checks and unique constraints are optional in SQLAlchemy's
dialect API; a dialect that raises ``NotImplementedError`` yields none, not an error.

Schemas: without ``--schema`` only the dialect's default schema is read. On MySQL-like and Oracle-like
dialects ``get_schema_names()`` lists system schemas (``mysql``, ``SYS``, ...) next to user ones, and a
generic engine cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from refint.engines.base import Capabilities, Engine, filter_schemas
from refint.model import Action, Check, Column, ForeignKey, Index, Match, PrimaryKey, Schema, Table, Unique

if TYPE_CHECKING:
    from sqlalchemy.engine.reflection import Inspector

_KEY = tuple[str | None, str]


class Generic(Engine):
    """Inspector-based introspection for dialects refint has no dedicated module for."""

    name: ClassVar[str] = "generic"
    capabilities: ClassVar[Capabilities] = Capabilities(
        on_delete=frozenset({Action.NO_ACTION}),
        on_update=frozenset({Action.NO_ACTION}),
        alter_add_foreign_key=False,
        alter_drop_foreign_key=False,
        transactional_ddl=False,
        read_only_transactions=False,
        schemas=False,
        check_constraints=False,
        set_default_works=False,
        extra={"introspection": "sqlalchemy.inspect"},
    )

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)
        self._inspector: Inspector | None = None
        self._has_table: dict[str, set[str]] = {}

    @property
    def inspector(self) -> Inspector:
        """One Inspector per engine: its info cache spares repeated queries within one read."""
        if self._inspector is None:
            import sqlalchemy as sa

            self._inspector = sa.inspect(self.conn)
        return self._inspector

    # -- introspection -----------------------------------------------------------------------------
    def list_schemas(self) -> list[str]:
        try:
            names = self.inspector.get_schema_names()
        except NotImplementedError:
            default = self.default_schema()
            return [default] if default else []
        return [n for n in names if n.lower() != "information_schema"]

    def default_schema(self) -> str | None:
        return self.inspector.default_schema_name

    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        self._inspector = None  # a fresh cache: the schema may have changed since the last read
        self._has_table = {}
        names: list[str | None]
        if schemas:
            names = list(filter_schemas(self.list_schemas(), schemas))
        else:
            names = [self.default_schema()]
        tables: list[Table] = []
        for schema in names:
            tables.extend(self._read_one(schema))
        return Schema(engine=self.name, tables=tuple(tables))

    def _read_one(self, schema: str | None) -> list[Table]:
        insp = self.inspector
        columns = insp.get_multi_columns(schema=schema)
        pks = insp.get_multi_pk_constraint(schema=schema)
        fks = insp.get_multi_foreign_keys(schema=schema)
        indexes = insp.get_multi_indexes(schema=schema)
        uniques = _optional(insp.get_multi_unique_constraints, schema)
        checks = _optional(insp.get_multi_check_constraints, schema)
        names = set(insp.get_table_names(schema=schema)) | {k[1] for k in columns}
        out = []
        for name in sorted(names):
            key = (schema, name)
            pk: Mapping[str, Any] = pks.get(key) or {}
            table_indexes = [_index(ix) for ix in indexes.get(key, [])]
            out.append(
                Table(
                    schema=schema,
                    name=name,
                    columns=tuple(self._column(c) for c in columns.get(key, [])),
                    primary_key=(
                        PrimaryKey(pk.get("name"), tuple(pk["constrained_columns"]))
                        if pk.get("constrained_columns") else None
                    ),
                    unique=tuple(self._uniques(uniques.get(key, []), indexes.get(key, []))),
                    checks=tuple(Check(c.get("name"), str(c["sqltext"])) for c in checks.get(key, [])),
                    foreign_keys=tuple(self._foreign_key(schema, fk) for fk in fks.get(key, [])),
                    indexes=tuple(ix for ix in table_indexes if ix is not None),
                )
            )
        return out

    def _column(self, col: Mapping[str, Any]) -> Column:
        """Type text as the dialect would write it in DDL, so it reads like the engine's own."""
        import sqlalchemy as sa

        type_ = col["type"]
        if isinstance(type_, sa.types.NullType):
            text = ""  # no declared type (SQLite) or one the dialect could not reflect: "NULL" would lie
        else:
            try:
                text = str(type_.compile(dialect=self.dialect))
            except Exception:  # a type this dialect cannot render as DDL
                text = str(type_)
        default = col.get("default")
        return Column(str(col["name"]), text, bool(col.get("nullable", True)),
                      None if default is None else str(default))

    def _uniques(self, constraints: Sequence[Mapping[str, Any]],
                 indexes: Sequence[Mapping[str, Any]]) -> list[Unique]:
        """UNIQUE constraints, plus unique indexes on plain columns that back no constraint (the kind
        most engines accept as a foreign key's target)."""
        opt = f"{self.dialect.name}_nulls_not_distinct"
        out = [
            Unique(u.get("name"), tuple(u["column_names"]),
                   nulls_distinct=not (u.get("dialect_options") or {}).get(opt, False))
            for u in constraints
        ]
        for ix in indexes:
            cols = ix.get("column_names") or []
            if (not ix.get("unique") or ix.get("duplicates_constraint") or _partial(ix)
                    or not cols or any(c is None for c in cols)):
                continue
            out.append(Unique(ix.get("name"), tuple(cols), index=True,
                              nulls_distinct=not (ix.get("dialect_options") or {}).get(opt, False)))
        return out

    def _foreign_key(self, schema: str | None, fk: Mapping[str, Any]) -> ForeignKey:
        """Options go through Action.parse/Match.parse, whatever the dialect's spelling."""
        options = fk.get("options") or {}
        referred_table = str(fk["referred_table"])
        return ForeignKey(
            name=fk.get("name"),
            columns=tuple(fk["constrained_columns"]),
            referred_schema=self._referred_schema(schema, fk.get("referred_schema"), referred_table),
            referred_table=referred_table,
            referred_columns=tuple(fk["referred_columns"]),
            on_delete=Action.parse(options.get("ondelete")),
            on_update=Action.parse(options.get("onupdate")),
            match=Match.parse(options.get("match")),
            deferrable=bool(options.get("deferrable")),
            initially_deferred=str(options.get("initially") or "").upper() == "DEFERRED",
            validated=None,
            enforced=None,
        )

    def _referred_schema(self, schema: str | None, reported: str | None, table: str) -> str | None:
        """Fill in a schema the dialect left out.

        SQLAlchemy's convention is that ``referred_schema=None`` means "reachable unqualified", i.e. the
        default schema: PostgreSQL reports None for ``s2.child -> public.parent`` because
        ``pg_get_constraintdef`` omits schemas on the search path. Taking the child's own schema there
        would point the key at the wrong table (or at none). So: the default schema when it has that
        table, else the table's own schema.
        """
        if reported is not None:
            return reported
        default = self.default_schema()
        if default is None or default == schema:
            return schema
        if default not in self._has_table:
            self._has_table[default] = set(self.inspector.get_table_names(schema=default))
        return default if table in self._has_table[default] else schema


def _optional(method: Callable[..., Any], schema: str | None) -> dict[_KEY, list[dict[str, Any]]]:
    """Unique and check reflection are optional in SQLAlchemy's dialect API."""
    try:
        return dict(method(schema=schema))
    except NotImplementedError:
        return {}


def _partial(ix: Mapping[str, Any]) -> bool:
    """``postgresql_where``, ``sqlite_where``, ``mssql_where``...: every dialect spells it the same."""
    return any(k.endswith("_where") and v is not None for k, v in (ix.get("dialect_options") or {}).items())


def _index(ix: Mapping[str, Any]) -> Index | None:
    name = ix.get("name")
    if name is None:  # some dialects report unnamed internal indexes; an Index needs a name to be used
        return None
    cols = tuple(ix.get("column_names") or ())
    return Index(str(name), cols, unique=bool(ix.get("unique")), partial=_partial(ix))
