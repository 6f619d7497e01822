"""DuckDB: catalog queries on ``duckdb_*()`` table functions, and DuckDB's foreign-key rules as data.

Everything below was checked on DuckDB 2.0 (``tests/engines/test_duckdb.py`` pins each fact):

- Foreign keys exist only inside ``CREATE TABLE``: ``ALTER TABLE ... ADD/DROP CONSTRAINT`` is "not
  implemented". ``CASCADE``, ``SET NULL`` and ``SET DEFAULT`` are parse errors; ``MATCH`` and
  ``DEFERRABLE`` are syntax errors. ``RESTRICT`` parses, but the catalog does not keep it
  (``constraint_text`` and the table's ``sql`` omit it) and it behaves exactly like ``NO ACTION``, so every
  key is reported as ``NO ACTION``.
- Checks are eager, stricter than both the standard and InnoDB: a multi-row ``INSERT`` cannot hold a parent
  and its child, and a parent row cannot be deleted (or have an indexed column updated) while a child
  existed at the start of the transaction, even if the child was deleted earlier in that transaction.
- Foreign keys cannot cross schemas ("not supported"), so the referred table is in the child's schema.
  ``referenced_table`` and the constraint column names are spelled as the DDL wrote them (``PAR`` for a
  table named ``Par``), so they are resolved against the catalog, case-insensitively, like DuckDB does.
- ``duckdb_constraints()`` lists a foreign key once, on the referencing table (the mirror row on the
  referenced table was removed in 2022, duckdb#4346). ``NOT NULL`` is a constraint row too; nullability is
  read from ``duckdb_columns()`` instead. Constraint names are generated (``child_e_d_check``); a name the
  DDL gave (``CONSTRAINT x``) is not kept, and two checks on one column share a name.
- UNIQUE treats NULLs as distinct (several NULL rows pass); ``NULLS NOT DISTINCT`` is a syntax error. A
  unique *index* cannot be the target of a foreign key, so it is listed under ``indexes`` only; and the
  referenced columns must be a key in its own column order (``REFERENCES p (b, a)`` fails on ``(a, b)``).
- Every foreign key gets an index of its own (``duckdb_tables().index_count`` counts it), not listed in
  ``duckdb_indexes()``.
- ``BEGIN TRANSACTION READ ONLY`` (DuckDB >= 1.1, duckdb#12202) refuses writes to the database files
  (temp tables stay writable);
  whole connections can also be opened with ``read_only=True``, which target.py does on request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from refint.engines.base import Capabilities, Engine, filter_schemas
from refint.model import (
    Action,
    Check,
    Column,
    ForeignKey,
    Index,
    Match,
    PrimaryKey,
    Schema,
    Table,
    Unique,
)

_KEY = tuple[str, str]  # (schema, table)

# All queries are whole-database: one round trip each, whatever the number of tables.
_SCHEMAS_SQL = """
SELECT schema_name FROM duckdb_schemas()
WHERE database_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog')
ORDER BY schema_name
"""
_TABLES_SQL = """
SELECT schema_name, table_name FROM duckdb_tables()
WHERE database_name = current_database() AND NOT temporary AND NOT internal
"""
_COLUMNS_SQL = """
SELECT schema_name, table_name, column_name, data_type, is_nullable, column_default, is_generated
FROM duckdb_columns()
WHERE database_name = current_database() AND NOT internal
ORDER BY schema_name, table_name, column_index
"""
_CONSTRAINTS_SQL = """
SELECT schema_name, table_name, constraint_type, constraint_name, expression,
       constraint_column_indexes, constraint_column_names, referenced_table, referenced_column_names
FROM duckdb_constraints()
WHERE database_name = current_database()
  AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'CHECK', 'FOREIGN KEY')
ORDER BY schema_name, table_name, constraint_index
"""
# ``expressions`` is VARCHAR holding a list literal ("[a, '((b + 1))']"); DuckDB's own cast parses it.
_INDEXES_SQL = """
SELECT schema_name, table_name, index_name, is_unique, TRY_CAST(expressions AS VARCHAR[])
FROM duckdb_indexes()
WHERE database_name = current_database() AND NOT is_primary
"""


class DuckDB(Engine):
    """DuckDB through duckdb_engine; see the module docstring for the rules verified on DuckDB 2.0."""

    name: ClassVar[str] = "duckdb"
    system_schemas: ClassVar[frozenset[str]] = frozenset({"information_schema", "pg_catalog"})
    capabilities: ClassVar[Capabilities] = Capabilities(
        on_delete=frozenset({Action.NO_ACTION, Action.RESTRICT}),
        on_update=frozenset({Action.NO_ACTION, Action.RESTRICT}),
        match=frozenset({Match.SIMPLE}),
        deferrable=False,
        not_valid=False,
        alter_add_foreign_key=False,
        alter_drop_foreign_key=False,
        transactional_ddl=True,
        read_only_transactions=True,
        schemas=True,
        check_constraints=True,
        indexes_foreign_keys=True,
        # RESTRICT and NO ACTION are the same thing here, and both are checked at once.
        restrict_is_immediate=True,
        # Closest flag: never deferred to statement end. DuckDB is stricter still, see ``extra``.
        row_by_row_checks=True,
        # SET DEFAULT cannot even be declared.
        set_default_works=False,
        foreign_keys_per_connection=False,
        statement_timeout=False,
        nulls_not_distinct=False,
        unique_nulls_distinct=True,
        extra={
            "foreign_keys_in_create_table_only": True,
            "cross_schema_foreign_keys": False,
            "restrict_recorded": False,
            "unique_index_as_foreign_key_target": False,
            # REFERENCES p (b, a) is refused when the key is PRIMARY KEY (a, b)
            "fk_target_columns_in_key_order": True,
            # a parent key is checked against children as of the transaction start: delete the
            # children and commit before deleting the parent
            "fk_sees_own_transaction_deletes": False,
            # a multi-row INSERT cannot contain both a parent row and its child
            "fk_sees_rows_of_same_statement": False,
            # UPDATE of any indexed column (key, UNIQUE) of a referenced row fails, even to the same value
            "referenced_rows_indexed_columns_updatable": False,
            "constraint_names_generated": True,
            "read_only_connections": True,
        },
    )

    integer_types: ClassVar[frozenset[str]] = frozenset(
        {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
         "UBIGINT", "UHUGEINT", "INT", "INT1", "INT2", "INT4", "INT8", "LONG", "SHORT"})

    def row_estimate(self, table: Table) -> int | None:
        """A table's ``estimated_size``; a Parquet file's row count (its footer: no data read). CSV
        files have no count short of reading them: None."""
        if table.kind == "file":
            row = self.exec("SELECT sql FROM duckdb_views() WHERE view_name = :name AND NOT temporary",
                            {"name": table.name}).fetchone()
            if row is None or "read_parquet(" not in str(row[0]):
                return None
            return int(self.exec(f"SELECT count(*) FROM {self.from_table(table)}").scalar() or 0)
        row = self.exec("SELECT estimated_size FROM duckdb_tables() WHERE database_name = current_database() "
                        "AND schema_name = :schema AND table_name = :name",
                        {"schema": table.schema or self.default_schema(), "name": table.name}).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def one_snapshot(self) -> bool:
        return True  # DuckDB transactions are snapshot isolated

    # -- introspection -----------------------------------------------------------------------------
    def list_schemas(self) -> list[str]:
        return [str(r[0]) for r in self.raw(_SCHEMAS_SQL)]

    def default_schema(self) -> str | None:
        row = self.raw("SELECT current_schema()").first()
        return str(row[0]) if row else None

    def server_version(self) -> str:
        # duckdb_engine reports a fixed (8, 0) to look like PostgreSQL; ask DuckDB itself.
        row = self.raw("SELECT version()").first()
        return str(row[0]).lstrip("v") if row else ""

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.raw(sql).fetchall()]  # one fetch, not a fetchone per row

    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        wanted = set(filter_schemas(self.list_schemas(), schemas))
        keys = [(str(s), str(t)) for s, t in self._rows(_TABLES_SQL) if s in wanted]
        tables = set(keys)

        columns: dict[_KEY, list[Column]] = defaultdict(list)
        for schema, table, name, type_, nullable, default, generated in self._rows(_COLUMNS_SQL):
            if (schema, table) in tables:  # duckdb_columns() lists view columns too
                # a generated column's column_default is its expression, not a default
                columns[(schema, table)].append(
                    Column(name, str(type_), bool(nullable), None if generated or default is None else str(default))
                )
        names = {k: [c.name for c in cols] for k, cols in columns.items()}

        parts: dict[_KEY, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for row in self._rows(_CONSTRAINTS_SQL):
            schema, table, kind, cname, expression, col_indexes, col_names, ref_table, ref_cols = row
            key = (schema, table)
            if key not in tables:
                continue
            cols = _own_columns(names.get(key, []), col_indexes, col_names)
            if kind == "PRIMARY KEY":
                parts[key]["pk"].append(PrimaryKey(cname, cols))
            elif kind == "UNIQUE":
                parts[key]["unique"].append(Unique(cname, cols))
            elif kind == "CHECK":
                parts[key]["checks"].append(Check(cname, str(expression)))
            elif ref_table:  # FOREIGN KEY; a mirror row without a referenced table is not a key
                parts[key]["fk"].append((cname, cols, str(ref_table), list(ref_cols or [])))

        by_schema: dict[str, dict[str, str]] = defaultdict(dict)
        for schema, table in keys:
            by_schema[schema][table.lower()] = table  # DuckDB names are unique case-insensitively
        pks = {k: p["pk"][0].columns for k, p in parts.items() if p["pk"]}

        indexes = self._read_indexes(tables, names)
        out = []
        for key in keys:
            p = parts.get(key, {})
            fks = [_foreign_key(key, fk, by_schema, names, pks) for fk in p.get("fk", [])]
            out.append(
                Table(
                    schema=key[0],
                    name=key[1],
                    columns=tuple(columns.get(key, [])),
                    primary_key=p["pk"][0] if p.get("pk") else None,
                    unique=tuple(p.get("unique", [])),
                    checks=tuple(p.get("checks", [])),
                    foreign_keys=tuple(fks),
                    indexes=tuple(indexes.get(key, [])),
                )
            )
        return Schema(engine=self.name, tables=tuple(out))

    def _read_indexes(self, tables: set[_KEY], names: Mapping[_KEY, list[str]]) -> dict[_KEY, list[Index]]:
        """Indexes made with CREATE INDEX (DuckDB cannot make partial ones; PK/UNIQUE/FK indexes are
        implicit and not listed). An element that is not a column of the table is an expression: None."""
        out: dict[_KEY, list[Index]] = defaultdict(list)
        for schema, table, name, unique, expressions in self._rows(_INDEXES_SQL):
            key = (schema, table)
            if key not in tables:
                continue
            parts = list(expressions) if expressions is not None else [None]
            cols = tuple(_index_column(names.get(key, []), e) for e in parts)
            out[key].append(Index(str(name), cols, unique=bool(unique), partial=False))
        return out

    # -- transactions ------------------------------------------------------------------------------
    def _begin_read_only(self) -> None:
        """Make the transaction refint just began read-only.

        DuckDB has no ``SET TRANSACTION READ ONLY``: read-only is chosen at ``BEGIN``. SQLAlchemy's
        ``begin()`` has already sent a plain ``BEGIN`` (duckdb_engine's ``do_begin``), and nothing has run
        in it yet, so we swap it for ``BEGIN TRANSACTION READ ONLY``; base ``read_only()`` ends it with
        its usual rollback. Temp tables stay writable, the database file does not.
        """
        self.raw("ROLLBACK")
        self.raw("BEGIN TRANSACTION READ ONLY")


def _match(names: Sequence[str], wanted: str) -> str | None:
    """The catalog spelling of ``wanted``: exact first, else the one case-insensitive match (DuckDB
    identifiers are case-insensitive, and constraint rows keep the DDL's spelling)."""
    if wanted in names:
        return wanted
    folded = [n for n in names if n.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def _own_columns(names: Sequence[str], indexes: Sequence[int] | None, spelled: Sequence[str]) -> tuple[str, ...]:
    """A constraint's columns on its own table, by position (exact after renames and case games),
    falling back to the names DuckDB reports."""
    idx = list(indexes or [])
    if len(idx) == len(spelled) and all(0 <= i < len(names) for i in idx):
        return tuple(names[i] for i in idx)
    return tuple(_match(names, s) or s for s in spelled)


def _index_column(names: Sequence[str], element: str | None) -> str | None:
    """A column name from one ``expressions`` element: bare (``Mixed``) or quoted (``"a b"``)."""
    if element is None:
        return None
    found = _match(names, element)
    if found is None and len(element) >= 2 and element[0] == element[-1] == '"':
        found = _match(names, element[1:-1].replace('""', '"'))
    return found


def _foreign_key(
    key: _KEY,
    fk: tuple[str, tuple[str, ...], str, list[str]],
    by_schema: Mapping[str, Mapping[str, str]],
    names: Mapping[_KEY, list[str]],
    pks: Mapping[_KEY, tuple[str, ...]],
) -> ForeignKey:
    """One key, resolved to catalog spellings; REFERENCES without columns means the parent's PK."""
    cname, cols, ref_table, ref_cols = fk
    schema = key[0]  # DuckDB refuses foreign keys across schemas
    parent = by_schema.get(schema, {}).get(ref_table.lower(), ref_table)
    parent_cols = names.get((schema, parent), [])
    if ref_cols:
        referred = tuple(_match(parent_cols, c) or c for c in ref_cols)
    else:
        referred = pks.get((schema, parent), ())
    return ForeignKey(
        name=cname,
        columns=cols,
        referred_schema=schema,
        referred_table=parent,
        referred_columns=referred,
        on_delete=Action.NO_ACTION,
        on_update=Action.NO_ACTION,
        match=Match.SIMPLE,
        deferrable=False,
        initially_deferred=False,
        validated=None,
        enforced=True,
    )
