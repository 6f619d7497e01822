"""The subset's tables in the target's dialect: columns with translated types, then keys.

Keys, uniques, checks and foreign keys are written by ``refint ddl``'s writer (:mod:`refint.manage.ddl`),
so a clause the target cannot express is listed the same way (``untranslated``). Column types go through
sqlglot from the source dialect to the target's; a type sqlglot does not know (a PostgreSQL enum or
domain, ``tsvector``) becomes text and is listed. Every table lands in the target's default schema (a
PostgreSQL ``sales.order`` becomes ``order``): two tables of the same name are refused.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from refint.errors import BadInput
from refint.manage.ddl import Untranslated, _Writer
from refint.model import ForeignKey, Schema, Table

SQLGLOT = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}
#: sqlglot's spelling -> what each target accepts (types sqlglot writes but the engine refuses)
FIXES: dict[str, dict[str, str]] = {
    "mysql": {"JSONB": "JSON", "UUID": "CHAR(36)", "INET": "VARCHAR(64)", "CIDR": "VARCHAR(64)",
              "INTERVAL": "VARCHAR(64)", "VARBINARY": "LONGBLOB", "TIMESTAMPTZ": "DATETIME(6)",
              "MONEY": "DECIMAL(19, 2)", "XML": "LONGTEXT", "TIMETZ": "TIME"},
    "postgresql": {"UTINYINT": "SMALLINT", "USMALLINT": "INTEGER", "UINT": "BIGINT", "UBIGINT": "NUMERIC(20)",
                   "UMEDIUMINT": "INTEGER", "TINYINT": "SMALLINT", "MEDIUMINT": "INTEGER", "DATETIME": "TIMESTAMP",
                   "BLOB": "BYTEA", "TINYBLOB": "BYTEA", "MEDIUMBLOB": "BYTEA", "LONGBLOB": "BYTEA",
                   "TINYTEXT": "TEXT", "MEDIUMTEXT": "TEXT", "LONGTEXT": "TEXT", "YEAR": "SMALLINT",
                   "DOUBLE": "DOUBLE PRECISION"},
    "sqlite": {},
    "duckdb": {"JSONB": "JSON", "INET": "VARCHAR", "CIDR": "VARCHAR", "MONEY": "DECIMAL(19, 2)",
               "XML": "VARCHAR", "TSVECTOR": "VARCHAR"},
}
INTEGERS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UMEDIUMINT",
            "UINT", "UBIGINT"}
TEXT = {"mysql": "LONGTEXT", "postgresql": "TEXT", "sqlite": "TEXT", "duckdb": "VARCHAR"}


@dataclass
class TargetSchema:
    dialect: str
    tables: list[Table]  # as created in the target (default schema, translated types)
    create: list[str] = field(default_factory=list)  # CREATE TABLE statements
    after: list[str] = field(default_factory=list)  # keys added after the rows (PostgreSQL)
    #: PostgreSQL: (table, constraint) added NOT VALID, validated where the rows allow (source orphans and
    #: CHECK violations are copied as they are; check reports them)
    validate: list[tuple[str, str]] = field(default_factory=list)
    untranslated: list[Untranslated] = field(default_factory=list)
    omitted: list[tuple[Table, ForeignKey]] = field(default_factory=list)  # keys the target lacks


def translate_type(type_: str, source: str, dialect: str, keyed: bool) -> tuple[str, bool]:
    """(the type for ``dialect``, whether it was understood)."""
    from sqlglot import exp

    if not type_.strip():
        return ("" if dialect == "sqlite" else TEXT[dialect]), True
    if source == dialect and dialect != "postgresql":
        return type_, True
    try:
        dt = exp.DataType.build(type_, dialect=SQLGLOT[source], udt=True)
    except Exception:
        return TEXT[dialect], False
    if dt.is_type(exp.DataType.Type.USERDEFINED) or dt.is_type(exp.DataType.Type.ARRAY) or \
            dt.is_type(exp.DataType.Type.ENUM) or dt.is_type(exp.DataType.Type.SET):
        return (_keyed_text(dialect) if keyed else TEXT[dialect]), False
    if source == dialect:
        return type_, True
    out = dt.sql(dialect=SQLGLOT[dialect])
    base = out.split("(")[0].strip().upper()
    if dialect != "mysql" and base in INTEGERS:  # MySQL's display width: INT(11)
        out = re.sub(r"\(\d+\)", "", out)
    fix = FIXES[dialect].get(base)
    if fix is not None:
        out = fix if "(" in fix or "(" not in out else fix + out[len(base):]
    if dialect == "duckdb" and out.upper().startswith("TEXT("):
        out = "VARCHAR"
    if dialect == "sqlite" and re.match(r"TEXT\(\d+\)$", out, re.IGNORECASE):
        out = "VARCHAR" + out[4:]
    if dialect == "mysql" and keyed and base in ("TEXT", "LONGTEXT", "MEDIUMTEXT", "TINYTEXT", "JSON"):
        out = "VARCHAR(255)"
    if dialect == "mysql" and keyed and base in ("BLOB", "LONGBLOB", "VARBINARY", "MEDIUMBLOB"):
        out = "VARBINARY(255)"
    return out, True


def _keyed_text(dialect: str) -> str:
    return "VARCHAR(255)" if dialect == "mysql" else TEXT[dialect]


def _default(value: str | None, source: str, dialect: str) -> str | None:
    """A literal default carried over; anything else (sequences, functions) is not."""
    if value is None:
        return None
    v = value.strip()
    v = re.sub(r"::[\w ]+(\[\])?$", "", v)  # PostgreSQL's 'x'::character varying
    if re.fullmatch(r"-?\d+(\.\d+)?", v) or re.fullmatch(r"'([^']|'')*'", v) or v.upper() == "NULL":
        return v
    if v.upper() in ("CURRENT_TIMESTAMP", "NOW()", "CURRENT_TIMESTAMP()", "CURRENT_DATE"):
        return "CURRENT_TIMESTAMP" if v.upper() != "CURRENT_DATE" else "CURRENT_DATE"
    return None


def _check(expression: str, source: str, dialect: str) -> str | None:
    if source == dialect:
        return expression
    import sqlglot

    try:
        return str(sqlglot.transpile(expression, read=SQLGLOT[source], write=SQLGLOT[dialect])[0])
    except Exception:
        return None


def build(schema: Schema, tables: list[Table], source: str, dialect: str) -> TargetSchema:
    """CREATE TABLE statements for ``tables`` (their foreign keys already cut to the subset's tables)."""
    source = "mysql" if source == "mariadb" else source
    dialect = "mysql" if dialect == "mariadb" else dialect
    seen: dict[str, Table] = {}
    for t in tables:
        other = seen.get(t.name.lower())
        if other is not None:
            raise BadInput(f"tables {other.qualified_name} and {t.qualified_name} would both be {t.name} in the "
                           "target (every table goes to its default schema): --exclude one of them")
        seen[t.name.lower()] = t
    flags: list[Untranslated] = []
    out_tables: list[Table] = []
    names_seen = Counter((n or "").lower() for t in tables
                         for n in [u.name for u in t.unique] + ([t.primary_key.name] if t.primary_key else []))
    names = {t.key for t in tables}
    for t in tables:
        keyed = {c for s in t.unique_sets() for c in s} | {c for fk in t.foreign_keys for c in fk.columns}
        for _, fk in [(x, f) for x in tables for f in x.foreign_keys if f.referred == t.key]:
            keyed |= set(fk.referred_columns)
        cols = []
        for c in t.columns:
            typ, ok = translate_type(c.type, source, dialect, c.name in keyed)
            if not ok:
                flags.append(Untranslated(t.qualified_name, c.name, c.type, f"type {c.type} has no {dialect} "
                                          f"equivalent refint knows: written as {typ}"))
            default = _default(c.default, source, dialect)
            if c.default is not None and default is None:
                flags.append(Untranslated(t.qualified_name, c.name, f"DEFAULT {c.default}",
                                          "a default that is not a literal is not copied"))
            cols.append(replace(c, type=typ, default=default))
        checks = []
        for ck in t.checks:
            expr = _check(ck.expression, source, dialect)
            if expr is None:
                flags.append(Untranslated(t.qualified_name, ck.name, f"CHECK ({ck.expression})",
                                          f"not translated to {dialect}: omitted"))
            else:
                checks.append(replace(ck, expression=expr))
        fks = tuple(replace(fk, referred_schema=None) for fk in t.foreign_keys if fk.referred in names)
        # a key may refer to a unique index; MySQL's index names are per table, other engines' per schema
        uniques = tuple(replace(u, index=False, name=u.name if names_seen[(u.name or "").lower()] == 1 else None)
                        for u in t.unique)
        pk = t.primary_key
        if pk is not None and (pk.name == "PRIMARY" or names_seen[(pk.name or "").lower()] > 1):
            pk = replace(pk, name=None)
        out_tables.append(replace(t, schema=None, columns=tuple(cols), checks=tuple(checks), foreign_keys=fks,
                                  unique=uniques, primary_key=pk, indexes=()))
    target = TargetSchema(dialect, out_tables, untranslated=flags)
    _statements(Schema(dialect, tuple(out_tables)), target)
    return target


def _statements(schema: Schema, target: TargetSchema) -> None:
    d = target.dialect
    w = _Writer(d, schema, keep_schema=False)
    tables = list(schema.tables)
    if d == "duckdb":
        from refint.manage.ddl import _creation_order

        tables = _creation_order(tables)
        target.tables = tables
    created: set[tuple[str | None, str]] = set()
    for t in tables:
        cols = [f"{w.q(c.name)} {c.type}".rstrip() + ("" if c.nullable else " NOT NULL")
                + (f" DEFAULT {c.default}" if c.default is not None else "") for c in t.columns]
        created.add(t.key)
        if d == "postgresql":  # bare tables; keys after the rows
            target.create.append(f"CREATE TABLE {w.q(t.name)} (\n  " + ",\n  ".join(cols) + "\n)")
            named = replace(t, checks=tuple(replace(c, name=c.name or f"{t.name}_check{i}")
                                            for i, c in enumerate(t.checks)))
            for k in w.key_clauses(named):
                if " CHECK (" in k:
                    target.validate.append((t.name, k.split('"')[1] if k.startswith('CONSTRAINT "') else ""))
                    k += " NOT VALID"
                target.after.append(f"ALTER TABLE {w.q(t.name)} ADD {k}")
            continue
        items = cols + w.key_clauses(t)
        for fk in t.foreign_keys:
            if d == "duckdb" and (fk.referred not in created or fk.referred == t.key):
                target.omitted.append((t, fk))
                w.flag(t, fk.name, "FOREIGN KEY", f"DuckDB checks keys row by row and cannot add one later: "
                       f"the key to {fk.referred_table} closes a cycle (or refers to its own table) and is omitted")
                continue
            items.append(w.foreign_key(t, fk))
        target.create.append(f"CREATE TABLE {w.q(t.name)} (\n  " + ",\n  ".join(items) + "\n)")
    if d == "postgresql":
        for t in tables:
            for i, fk in enumerate(t.foreign_keys):
                name = fk.name or f"{t.name}_{'_'.join(fk.columns)}_fkey"[:63]
                target.after.append(f"ALTER TABLE {w.q(t.name)} ADD "
                                    f"{w.foreign_key(t, replace(fk, name=name, validated=False))}")
                if fk.validated is not False:
                    target.validate.append((t.name, name))
    target.untranslated += w.flags
