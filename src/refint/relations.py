"""Keys the database does not declare: ``--relation`` specs and relations files (TOML).

Warehouses, loads run with checks off, DuckDB files and folders of Parquet/CSV often carry no declared
keys at all. A relations file declares them so that ``check`` treats them like declared ones::

    # relations.toml
    [tables.orders]
    primary_key = ["id"]
    unique = [["code"]]
    file = "orders/*.parquet"          # folders only: the file or glob holding the table

    [[relations]]
    child = "order_items(order_id)"
    parent = "orders(id)"
    name = "fk_items_orders"           # optional
    match = "FULL"                     # optional, SIMPLE by default

    [[relations]]
    relation = "order_items(sku) -> products(sku)"

A relation spec is ``child(a, b) -> parent(x, y)``; names may be quoted with double quotes
(``"line item"(order_id)``) and qualified with a schema (``sales.orders(id)``); the parent's column list
may be omitted to mean its primary key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from refint.errors import BadInput
from refint.model import ForeignKey, Match, PrimaryKey, Schema, Table, Unique


@dataclass(frozen=True)
class TableRef:
    schema: str | None
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Relations:
    """Undeclared keys: foreign keys, primary keys and uniques, plus table files for folders."""

    foreign_keys: tuple[tuple[TableRef, TableRef, str | None, Match], ...] = ()
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uniques: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Relations) -> Relations:
        return Relations(
            self.foreign_keys + other.foreign_keys,
            {**self.primary_keys, **other.primary_keys},
            {**self.uniques, **other.uniques},
            {**self.files, **other.files},
        )


def _tokens(text: str) -> list[str]:
    """Identifiers (bare or double-quoted, "" escapes a quote) and the punctuation ( ) , . ->"""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("->", i):
            out.append("->")
            i += 2
        elif ch in "(),.":
            out.append(ch)
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while True:
                if j >= len(text):
                    raise BadInput(f"unterminated quoted name in relation {text!r}")
                if text[j] == '"':
                    if text.startswith('""', j):
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            out.append('"' + "".join(buf))  # a leading quote marks a quoted identifier
            i = j + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in '(),."' and not text.startswith("->", j):
                j += 1
            out.append(text[i:j])
            i = j
    return out


def _ident(tok: str) -> str:
    return tok[1:] if tok.startswith('"') else tok


def _table_ref(tokens: list[str], pos: int, spec: str) -> tuple[TableRef, int]:
    def bad(why: str) -> BadInput:
        return BadInput(f"malformed relation {spec!r}: {why} (expected e.g. child(a, b) -> parent(x, y))")

    if pos >= len(tokens) or tokens[pos] in "(),.->":
        raise bad("a table name is missing")
    name, schema = _ident(tokens[pos]), None
    pos += 1
    if pos < len(tokens) and tokens[pos] == ".":
        if pos + 1 >= len(tokens):
            raise bad("a table name is missing after the schema")
        schema, name = name, _ident(tokens[pos + 1])
        pos += 2
    columns: list[str] = []
    if pos < len(tokens) and tokens[pos] == "(":
        pos += 1
        while True:
            if pos >= len(tokens) or tokens[pos] in "(),.->":
                raise bad("a column name is missing")
            columns.append(_ident(tokens[pos]))
            pos += 1
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
                continue
            if pos < len(tokens) and tokens[pos] == ")":
                pos += 1
                break
            raise bad("')' is missing")
    return TableRef(schema, name, tuple(columns)), pos


def parse_table_ref(text: str) -> TableRef:
    """``schema.table(col, ...)`` -> TableRef (columns may be empty)."""
    tokens = _tokens(text)
    ref, pos = _table_ref(tokens, 0, text)
    if pos != len(tokens):
        raise BadInput(f"unexpected {tokens[pos]!r} in {text!r}")
    return ref


def parse_relation(spec: str, name: str | None = None, match: str | None = None) -> Relations:
    tokens = _tokens(spec)
    child, pos = _table_ref(tokens, 0, spec)
    if pos >= len(tokens) or tokens[pos] != "->":
        raise BadInput(f"malformed relation {spec!r}: '->' is missing (expected child(a) -> parent(x))")
    parent, pos = _table_ref(tokens, pos + 1, spec)
    if pos != len(tokens):
        raise BadInput(f"malformed relation {spec!r}: unexpected {tokens[pos]!r}")
    if not child.columns:
        raise BadInput(f"malformed relation {spec!r}: the child's columns are missing")
    try:
        m = Match.parse(match)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return Relations(foreign_keys=((child, parent, name, m),))


def load_relations_file(path: str | Path) -> Relations:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"no such relations file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"malformed relations file {path}: {exc}") from None
    _known(data, {"relations", "tables"}, "", path)
    out = Relations()
    for item in data.get("relations", []):
        if not isinstance(item, dict):
            raise BadInput(f"{path}: each [[relations]] entry must be a table")
        _known(item, {"relation", "child", "parent", "name", "match"}, "[[relations]] ", path)
        if "relation" in item:
            spec = str(item["relation"])
        elif "child" in item and "parent" in item:
            spec = f"{item['child']} -> {item['parent']}"
        else:
            raise BadInput(f"{path}: a [[relations]] entry needs 'relation' or 'child' and 'parent'")
        out = out.merge(parse_relation(spec, item.get("name"), item.get("match")))
    pks: dict[str, tuple[str, ...]] = {}
    uniques: dict[str, tuple[tuple[str, ...], ...]] = {}
    files: dict[str, str] = {}
    for table, spec in (data.get("tables") or {}).items():
        if not isinstance(spec, dict):
            raise BadInput(f"{path}: [tables.{table}] must be a table")
        _known(spec, {"primary_key", "unique", "file"}, f"[tables.{table}] ", path)
        if "primary_key" in spec:
            pks[table] = tuple(_as_columns(spec["primary_key"], path))
        if "unique" in spec:
            uniques[table] = tuple(tuple(_as_columns(u, path)) for u in spec["unique"])
        if "file" in spec:
            files[table] = str((p.parent / str(spec["file"])) if not Path(str(spec["file"])).is_absolute()
                               else spec["file"])
    return out.merge(Relations(primary_keys=pks, uniques=uniques, files=files))


def _known(section: dict[str, Any], allowed: set[str], where: str, path: str | Path) -> None:
    """Refuse a key the format does not have (`[[relation]]`, `primary-key`): silently ignored, it would
    leave keys out of the check without a word."""
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise BadInput(f"{path}: unknown {where}key {unknown[0]!r} (expected one of: {', '.join(sorted(allowed))})")


def _as_columns(value: Any, path: str | Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise BadInput(f"{path}: a key must be a column name or a list of column names, not {value!r}")


def apply_relations(schema: Schema, relations: Relations) -> tuple[Schema, set[tuple[Any, ...]]]:
    """Add the undeclared keys to the model.

    Returns the new schema and the set of (table key, kind, columns) of keys that came from the
    relations, which ``check`` must query because no engine index guarantees them.
    """
    tables = {t.key: t for t in schema.tables}
    undeclared: set[tuple[Any, ...]] = set()

    def find(ref: TableRef) -> Table:
        return schema.table(ref.name, ref.schema)

    for name, cols in relations.primary_keys.items():
        t = find(parse_table_ref(name))
        _require_columns(t, cols)
        tables[t.key] = t = replace(tables[t.key], primary_key=PrimaryKey(f"{t.name}_pkey", cols))
        undeclared.add((t.key, "primary_key", cols))
    for name, sets in relations.uniques.items():
        t = tables[find(parse_table_ref(name)).key]
        extra = []
        for cols in sets:
            _require_columns(t, cols)
            extra.append(Unique(f"{t.name}_{'_'.join(cols)}_key", cols))
            undeclared.add((t.key, "unique", cols))
        tables[t.key] = replace(t, unique=t.unique + tuple(extra))
    for child_ref, parent_ref, fk_name, match in relations.foreign_keys:
        child = tables[find(child_ref).key]
        parent = tables[find(parent_ref).key]
        pcols = parent_ref.columns or (parent.primary_key.columns if parent.primary_key else ())
        if not pcols:
            raise BadInput(f"relation to {parent.qualified_name} names no columns and the table has no primary key")
        if len(pcols) != len(child_ref.columns):
            raise BadInput(f"relation {child.name}{child_ref.columns} -> {parent.name}{pcols}: column counts differ")
        _require_columns(child, child_ref.columns)
        _require_columns(parent, pcols)
        fk = ForeignKey(
            name=fk_name or f"{child.name}_{'_'.join(child_ref.columns)}_rel",
            columns=child_ref.columns, referred_schema=parent.schema, referred_table=parent.name,
            referred_columns=tuple(pcols), match=match, validated=None, enforced=False,
        )
        tables[child.key] = replace(child, foreign_keys=child.foreign_keys + (fk,))
    return Schema(schema.engine, tuple(tables.values())), undeclared


def _require_columns(table: Table, columns: tuple[str, ...]) -> None:
    names = set(table.column_names())
    for c in columns:
        if c not in names:
            raise BadInput(f"no such column: {table.qualified_name}.{c}")
