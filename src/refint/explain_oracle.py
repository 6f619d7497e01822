"""Oracle's integrity errors, explained against the model of whatever target refint was given.

refint has no Oracle engine, but a schema is often moved between Oracle and another database (or kept as
a model in both), and the application's log holds Oracle's message. Oracle names the constraint as
``OWNER.CONSTRAINT`` and never the key value, so the explanation is the model's: the table, the columns,
the referred table, and for ORA-02449 (a DROP TABLE of a referenced table) the keys that refer to it, with
the command that drops them too. The texts are Oracle's documented messages
(https://docs.oracle.com/en/error-help/db/ora-02291/ and its siblings 02292, 02449, 01400, 01407).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput

if TYPE_CHECKING:
    from refint.explain import Explanation
    from refint.model import Schema, Table

ORA_CODE = re.compile(r"\bORA-(?P<code>\d{5})\b")
#: ORA-02291 / ORA-02292: integrity constraint (HR.EMP_DEPT_FK) violated - parent key not found
ORA_FK = re.compile(r'integrity constraint \((?:"?(?P<owner>[^".()]+)"?\.)?"?(?P<c>[^".()]+)"?\) violated')
#: ORA-01400: cannot insert NULL into ("HR"."EMPLOYEES"."LAST_NAME"); ORA-01407: cannot update (...) to NULL
ORA_NULL = re.compile(r'cannot (?:insert|update) (?:NULL into )?\((?P<path>"[^)]*")\)')
ORA_KINDS = {"02291": "missing_parent", "02292": "still_referenced", "02449": "referenced_by_keys",
             "01400": "not_null", "01407": "not_null"}


def is_oracle(text: str) -> bool:
    return ORA_CODE.search(text) is not None


def explain_oracle(engine_name: str, schema: Schema, text: str, statement: str | None) -> Explanation:
    from refint.explain import Explanation

    code_match = ORA_CODE.search(text)
    assert code_match is not None
    code = code_match.group("code")
    kind = ORA_KINDS.get(code)
    message = text.strip().splitlines()[0]
    if kind is None:
        raise BadInput(f"not an Oracle integrity error refint can explain: {message}")
    against = f"explained against the model of the target ({engine_name}); Oracle names no key value"
    if kind in ("missing_parent", "still_referenced"):
        m = ORA_FK.search(text)
        if m is None:
            raise BadInput(f"ORA-{code} without a constraint name: {message}")
        found = _find(schema, m.group("c"), m.group("owner"))
        if found is None:
            return Explanation("oracle", kind, m.group("c"), m.group("owner"), message=message, notes=(
                f"no foreign key {m.group('owner') + '.' if m.group('owner') else ''}{m.group('c')} in the "
                "target's model", against))
        t, fk = found
        return Explanation("oracle", kind, fk.name, t.schema, t.name, fk.columns, fk.referred_table,
                           fk.referred_columns, message=message, notes=(against,))
    if kind == "not_null":
        m = ORA_NULL.search(text)
        if m is None:
            raise BadInput(f"ORA-{code} without a column: {message}")
        parts = [p.replace('""', '"') for p in re.findall(r'"((?:[^"]|"")*)"', m.group("path"))]
        owner, table_name, column = (parts + [None, None, None])[:3] if len(parts) == 3 else \
            (None, *(parts + [None, None])[:2])
        t = _table(schema, table_name, owner)
        if t is None or column is None:
            return Explanation("oracle", kind, None, owner, table_name, (column,) if column else (),
                               message=message, notes=(f"no table {table_name} in the target's model", against))
        col = next((c for c in t.columns if c.name.lower() == column.lower()), None)
        if col is None:
            note = f"no column {column} in {t.qualified_name} in the target's model"
            return Explanation("oracle", kind, None, t.schema, t.name, (column,), message=message,
                               notes=(note, against))
        notes = [f"{t.qualified_name}.{col.name} is NOT NULL" + ("" if col.default is None else
                 f" (default {col.default}, used only when the column is left out)")
                 if not col.nullable else f"{t.qualified_name}.{col.name} is nullable in the target's model: "
                 "the two schemas differ"]
        for fk in t.foreign_keys:
            if col.name in fk.columns:
                notes.append(f"part of foreign key {fk.name} -> {fk.referred_table}: a row without a parent "
                             "must be left out or given one")
        return Explanation("oracle", kind, None, t.schema, t.name, (col.name,), message=message,
                           notes=(*notes, against))
    return _referenced(schema, code, message, statement)


def _referenced(schema: Schema, code: str, message: str, statement: str | None) -> Explanation:
    """ORA-02449: the message names no table; the DROP TABLE statement does."""
    from refint.explain import Explanation

    if not statement:
        return Explanation("oracle", "referenced_by_keys", message=message, notes=(
            f"ORA-{code} does not name the table: pass the DROP TABLE statement (--statement) to list the keys",
            "refint drop-table TARGET TABLE --cascade-constraints drops the keys that refer to it, then it"))
    name, owner = _dropped_table(statement)
    t = _table(schema, name, owner)
    if t is None:
        raise BadInput(f"no table {name} in the target's model")
    refs = [(ct, fk) for ct, fk in schema.referencing(t) if ct.key != t.key]
    keys = tuple({"constraint": fk.name, "table": ct.qualified_name, "columns": list(fk.columns),
                  "referred_columns": list(fk.referred_columns)} for ct, fk in refs)
    listed = ", ".join(f"{k['constraint']} on {k['table']}" for k in keys) or "none in the target's model"
    return Explanation("oracle", "referenced_by_keys", None, t.schema, t.name, referred_table=t.name,
                       message=message, referencing_keys=keys,
                       suggestion=f"refint drop-table TARGET {t.name} --cascade-constraints",
                       notes=(f"{t.qualified_name} is referred to by: {listed}",
                              f"refint drop-table TARGET {t.name} --cascade-constraints drops those keys (rows "
                              "of the other tables stay), then the table; --dry-run shows the statements"))


def _dropped_table(statement: str) -> tuple[str, str | None]:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(statement, read="oracle")
    except sqlglot.errors.ParseError as exc:
        raise BadInput(f"cannot parse the statement: {str(exc).splitlines()[0]}") from None
    tables = tree.find_all(exp.Table) if isinstance(tree, exp.Drop) else iter(())
    table = next(tables, None)
    if table is None or str(tree.args.get("kind", "")).upper() != "TABLE":
        raise BadInput("ORA-02449 comes from DROP TABLE: pass that statement")
    return table.name, (table.db or None)


def _table(schema: Schema, name: str | None, owner: str | None) -> Table | None:
    if name is None:
        return None
    same = [t for t in schema.tables if t.name.lower() == name.lower()]
    if owner and len(same) > 1:
        same = [t for t in same if (t.schema or "").lower() == owner.lower()] or same
    exact = [t for t in same if t.name == name]
    return (exact or same)[0] if same else None


def _find(schema: Schema, name: str, owner: str | None) -> Any:
    found = [(t, fk) for t, fk in schema.foreign_keys if (fk.name or "").lower() == name.lower()]
    if owner and len(found) > 1:
        found = [(t, fk) for t, fk in found if (t.schema or "").lower() == owner.lower()] or found
    exact = [(t, fk) for t, fk in found if fk.name == name]
    return (exact or found)[0] if found else None
