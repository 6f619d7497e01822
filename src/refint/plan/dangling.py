"""Keys whose referred table does not exist (``ForeignKey.parent_missing``), as ``refint plan`` sees them.

How each engine treats such a key, verified live (docs/plan.md, "Dangling keys"):

- SQLite (foreign_keys=ON) compiles the key checks and actions of a statement when it prepares it, and
  refuses to prepare one that needs a missing parent table: ``no such table: main.nosuch``. That is any
  statement that deletes rows of the key's table or writes the key's columns, directly or through an
  action it may fire (an ON DELETE CASCADE into the table, a SET NULL or ON UPDATE CASCADE writing the
  columns), whether or not a row is reached. Updating other columns of the table passes.
- InnoDB checks a key only when a row's key columns change: a row that gets a new key with no NULL fails
  (error 1452, no parent can exist); deletes and NULLs pass. That is counted with the new values
  (:meth:`refint.plan.ripple.Ripple.outgoing`).
"""

from __future__ import annotations

from refint.model import Action, Schema, Table
from refint.plan.base import Blocked, TKey, _label


def sqlite_refusals(schema: Schema, target: Table, assigned: set[str] | None) -> list[Blocked]:
    """The dangling keys SQLite would need to prepare ``DELETE FROM target`` (``assigned`` None) or an
    UPDATE of ``assigned``: each one makes the statement fail, whatever the rows."""
    deleted: set[TKey] = set()
    written: dict[TKey, set[str]] = {}
    todo: list[tuple[Table, set[str] | None]] = [(target, assigned)]
    while todo:
        table, cols = todo.pop()
        if cols is None:
            if table.key in deleted:
                continue
            deleted.add(table.key)
            for child, fk in schema.referencing(table):
                if fk.on_delete is Action.CASCADE:
                    todo.append((child, None))
                elif fk.on_delete in (Action.SET_NULL, Action.SET_DEFAULT):
                    todo.append((child, set(fk.columns)))
            continue
        have = written.setdefault(table.key, set())
        new = cols - have
        if not new:
            continue
        have |= new
        for child, fk in schema.referencing(table):
            if set(fk.referred_columns) & new and fk.on_update in (Action.CASCADE, Action.SET_NULL,
                                                                  Action.SET_DEFAULT):
                todo.append((child, set(fk.columns)))
    out: list[Blocked] = []
    for table in schema.tables:
        for fk in table.foreign_keys:
            if not fk.parent_missing:
                continue
            if table.key in deleted:
                how = f"deletes rows of {_label(table, schema)}"
            elif set(fk.columns) & written.get(table.key, set()):
                how = f"writes ({', '.join(fk.columns)}) of {_label(table, schema)}"
            else:
                continue
            out.append(Blocked(fk.name, _label(table, schema), 0,
                               f"no such table: main.{fk.referred_table} (SQLite refuses to prepare a statement "
                               f"that {how}, whose key refers to the missing table {fk.referred_table})"))
    return out
