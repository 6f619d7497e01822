"""Changing keys safely: ``add-fk``, ``drop-fk``, ``validate``, ``index-fks``, ``drop-table``, ``ddl``.

Every change is first a :class:`ChangePlan` (statements you can print with ``--dry-run``), then applied.

- :mod:`refint.manage.operations`: the verbs (what to change, orphans first);
- :mod:`refint.manage.recipes`: the per-engine statements (PostgreSQL NOT VALID + VALIDATE, InnoDB
  ALTER, SQLite and DuckDB table rebuilds);
- :mod:`refint.manage.changeplan`: the plan, its executor (transactions, lock timeouts, retries, undo);
- :mod:`refint.manage.sqlite_rebuild`: how a SQLite table is rebuilt with a changed key;
- :mod:`refint.manage.ddl`: the constraints as DDL for another dialect.
"""

from refint.manage.changeplan import ChangePlan, ChangeResult, Step
from refint.manage.ddl import DIALECTS, DDLResult, render_ddl
from refint.manage.operations import (
    REPAIRS,
    add_foreign_key,
    drop_foreign_key,
    drop_table,
    has_supporting_index,
    index_foreign_keys,
    parse_spec,
    validate,
)

__all__ = ["DIALECTS", "REPAIRS", "ChangePlan", "ChangeResult", "DDLResult", "Step", "add_foreign_key",
           "drop_foreign_key", "drop_table", "has_supporting_index", "index_foreign_keys", "parse_spec",
           "render_ddl", "validate"]
