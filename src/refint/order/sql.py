"""``refint order --format sql``: a runnable script for the chosen purpose, cycles handled as advised.

Loading needs the user's data, so a load script is the skeleton around it (comments where each table's
rows go); delete and drop scripts are complete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refint.model import Action, ForeignKey, Table

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.order.core import Deferred, Order


def _fk(o: Order, d: Deferred) -> tuple[Table, ForeignKey] | None:
    for t in o.tables:
        if t.qualified_name == d.table or (t.name == d.table and t.schema == d.schema):
            for fk in t.foreign_keys:
                if fk.name == d.constraint and tuple(fk.columns) == d.columns:
                    return t, fk
    return None


def fk_clause(engine: Engine, fk: ForeignKey) -> str:
    q = engine.quote
    sql = (f"FOREIGN KEY ({', '.join(q(c) for c in fk.columns)}) REFERENCES "
           f"{engine.table_ref(fk.referred_schema, fk.referred_table)} "
           f"({', '.join(q(c) for c in fk.referred_columns)})")
    if fk.on_delete is not Action.NO_ACTION:
        sql += f" ON DELETE {fk.on_delete.value}"
    if fk.on_update is not Action.NO_ACTION:
        sql += f" ON UPDATE {fk.on_update.value}"
    if fk.deferrable:
        sql += " DEFERRABLE INITIALLY " + ("DEFERRED" if fk.initially_deferred else "IMMEDIATE")
    return sql


def script(o: Order, engine: Engine) -> str:
    q = engine.quote
    mysql = engine.name in ("mysql", "mariadb")
    by_name = dict(zip(o.order, o.tables))  # ``order`` holds the labels of ``tables``, position by position
    lines = [f"-- refint order --for {o.purpose}"]
    dangling = [(t, fk) for t in o.tables for fk in t.foreign_keys if fk.parent_missing]
    if dangling and engine.name == "sqlite" and o.purpose == "delete":
        # SQLite refuses to prepare a DELETE from a table whose key refers to a missing table ("no such
        # table") while foreign_keys=ON; children go first anyway, so the script needs no key checks
        lines += [f"-- {t.qualified_name} ({', '.join(fk.columns)}) refers to {fk.referred_table}, which does not "
                  "exist" for t, fk in dangling]
        lines.append("PRAGMA foreign_keys = OFF;")
    lines.append("START TRANSACTION;" if mysql else "BEGIN;")
    after: list[str] = []
    nulls: dict[str, list[Deferred]] = {}
    for d in o.deferred:
        found = _fk(o, d)
        if found is None:
            continue
        t, fk = found
        ref = engine.from_table(t).replace("ONLY ", "")
        if d.method == "defer":
            if engine.name == "sqlite":
                if "PRAGMA defer_foreign_keys = ON;" not in lines:
                    lines.append("PRAGMA defer_foreign_keys = ON;")
            else:
                lines.append(f"SET CONSTRAINTS {q(fk.name or '')} DEFERRED;")
        elif d.method == "drop-and-recreate" and fk.name:
            drop = "DROP FOREIGN KEY" if mysql else "DROP CONSTRAINT"
            lines.append(f"ALTER TABLE {ref} {drop} {q(fk.name)};")
            if o.purpose != "drop":
                after.append(f"ALTER TABLE {ref} ADD CONSTRAINT {q(fk.name)} {fk_clause(engine, fk)};")
        elif d.method == "null-then-update":
            nulls.setdefault(d.table, []).append(d)
            if o.purpose == "delete":
                sets = ", ".join(f"{q(c)} = NULL" for c in fk.columns)
                lines.append(f"UPDATE {ref} SET {sets};")
            else:
                cols = ", ".join(fk.columns)
                after.append(f"-- UPDATE {ref} SET ({cols}) to their real values now that "
                             f"{d.referred_table} is loaded")
    for name in o.order:
        found_table = by_name.get(name)
        ref = engine.from_table(found_table).replace("ONLY ", "") if found_table else name
        if o.purpose == "drop":
            lines.append(f"DROP TABLE {ref};")
        elif o.purpose == "delete":
            lines.append(f"DELETE FROM {ref};")
        else:
            extra = "".join(f" with {', '.join(d.columns)} NULL" for d in nulls.get(name, []))
            lines.append(f"-- load {name}{extra}")
    lines += [a for a in after if a.startswith("--")]
    lines.append("COMMIT;")
    # re-created keys after COMMIT: PostgreSQL refuses ALTER TABLE with pending trigger events
    lines += [a for a in after if not a.startswith("--")]
    return "\n".join(lines)
