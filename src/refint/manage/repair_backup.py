"""MySQL/MariaDB: the rows ``add-fk --repair`` changes, kept so that an interrupted run can be completed or undone.

Why this module exists: InnoDB's ALTER TABLE commits implicitly, so the DELETE (or UPDATE ... SET NULL) of
the orphans and the ALTER that adds the key cannot share a transaction, and a run killed during the
ALTER's table copy would leave the orphans repaired and no key: neither the old state nor the new one.
So, before the ALTER, the repair copies the rows it is about to change into a backup table
``refint_repair_<constraint>`` **in the same transaction** as the DELETE/UPDATE; the table's comment records
what it belongs to (the key, the action, when, as JSON), and the table is dropped once the key is in.

At every point a run can die, the database is then in one of these states, and a later run recognises
it by the backup's comment:

- no backup: the old state or the new one;
- an empty backup (the run died before the repair committed): the old state, or the new one when the key
  is there;
- a backup with rows and no key (the run died after the repair, or during the ALTER): ``add-fk`` with the
  same key completes it (re-checks the orphans, repairs new ones into the same backup, adds the key,
  drops the backup); ``add-fk ... --undo`` restores the rows and drops the backup;
- a backup with rows and the key (the run died just before dropping the backup): ``add-fk`` drops the
  backup; ``--undo`` drops the key, restores the rows, drops the backup.

Restoring is ``INSERT ... SELECT`` from the backup for ``delete``, and an UPDATE joined on the child's
primary key (or a NOT NULL unique key) that puts the key columns back for ``set-null``; in both cases the
backup is emptied in the same transaction, so a restore never runs twice.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput
from refint.manage.changeplan import Step

if TYPE_CHECKING:
    from refint.manage.changeplan import Live
    from refint.model import ForeignKey, Table

PREFIX = "refint_repair_"
#: the comment's "refint" field: what wrote the table (anything else named refint_repair_* is not ours)
MARK = "add-fk --repair"
LIMIT = 64  # MySQL identifiers
COMMENT_LIMIT = 2048  # MariaDB's table comments


@dataclass(frozen=True)
class RepairBackup:
    """A backup table left by an ``add-fk --repair`` on MySQL/MariaDB, with what its comment records."""

    schema: str | None
    table: str
    constraint: str
    child: str
    columns: tuple[str, ...]
    parent: str
    referred_columns: tuple[str, ...]
    on_delete: str
    on_update: str
    repair: str
    created: str
    #: InnoDB created the key's index (named after the key) because none supported it: undo drops it too
    implicit_index: bool
    rows: int = 0

    def command(self, *, undo: bool = False) -> str:
        """The ``refint add-fk`` command line that completes (or with ``undo``, undoes) this repair."""
        def spec(table: str, cols: Sequence[str]) -> str:
            return f"'{table}({', '.join(cols)})'"

        parts = ["refint add-fk TARGET", spec(self.child, self.columns), spec(self.parent, self.referred_columns),
                 f"--name {self.constraint}"]
        for option, action in (("--on-delete", self.on_delete), ("--on-update", self.on_update)):
            if action != "NO ACTION":
                parts.append(f"{option} '{action}'")
        parts.append("--undo" if undo else f"--repair {self.repair} --yes")
        return " ".join(parts)

    def describe(self) -> str:
        verb = "deleted" if self.repair == "delete" else "set to NULL"
        return (f"an interrupted add-fk --repair {self.repair} of {self.constraint} left {self.table} "
                f"({self.rows} rows of {self.child} {verb} on {self.created}): `{self.command()}` completes it, "
                f"`{self.command(undo=True)}` restores the rows")

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "schema": self.schema, "constraint": self.constraint, "child": self.child,
                "columns": list(self.columns), "parent": self.parent, "referred_columns": list(self.referred_columns),
                "on_delete": self.on_delete, "on_update": self.on_update, "repair": self.repair,
                "created": self.created, "rows": self.rows, "complete": self.command(),
                "undo": self.command(undo=True)}

    def matches(self, child: Table, fk: ForeignKey) -> bool:
        """Whether this backup belongs to adding ``fk`` to ``child`` (names compared as MySQL does)."""
        low = [c.lower() for c in fk.columns]
        return (self.child.lower() == child.name.lower() and [c.lower() for c in self.columns] == low
                and self.parent.lower() == fk.referred_table.lower()
                and [c.lower() for c in self.referred_columns] == [c.lower() for c in fk.referred_columns]
                and (self.on_delete, self.on_update) == (fk.on_delete.value, fk.on_update.value))


def backup_name(constraint: str) -> str:
    name = PREFIX + constraint
    if len(name) <= LIMIT:
        return name
    digest = hashlib.sha1(constraint.encode()).hexdigest()[:8]
    return f"{name[:LIMIT - 9]}_{digest}"


def free_name(constraint: str, taken: set[str]) -> str:
    """The backup table's name for ``constraint``, avoiding tables that exist (``taken``: lowered names)."""
    name, n = backup_name(constraint), 0
    while name.lower() in taken:
        n += 1
        name = f"{backup_name(constraint)[:LIMIT - 4]}_{n}"
    return name


def metadata(child: Table, fk: ForeignKey, repair: str, implicit_index: bool) -> str:
    """The backup table's comment: what it belongs to, as JSON (MariaDB keeps up to 2048 characters)."""
    meta = {"refint": MARK, "constraint": fk.name, "child": child.name, "columns": list(fk.columns),
            "parent": fk.referred_table, "referred_columns": list(fk.referred_columns),
            "on_delete": fk.on_delete.value, "on_update": fk.on_update.value, "repair": repair,
            "implicit_index": implicit_index,
            "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
    text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    if len(text) > COMMENT_LIMIT:
        raise BadInput(f"the names of {fk.name} are too long to record in a backup table's comment "
                       f"({len(text)} > {COMMENT_LIMIT} characters): shorten them, or repair the orphans first")
    return text


def _parse(schema: str | None, table: str, comment: str, rows: int) -> RepairBackup | None:
    try:
        meta = json.loads(comment)
        if not isinstance(meta, dict) or meta.get("refint") != MARK:
            return None
        return RepairBackup(schema, table, str(meta["constraint"]), str(meta["child"]), tuple(meta["columns"]),
                            str(meta["parent"]), tuple(meta["referred_columns"]), str(meta["on_delete"]),
                            str(meta["on_update"]), str(meta["repair"]), str(meta["created"]),
                            bool(meta.get("implicit_index")), rows)
    except (ValueError, KeyError, TypeError):
        return None


def find(db: Live, schemas: Sequence[str | None]) -> list[RepairBackup]:
    """The backups refint left in these databases (read-only; a table without our comment is not one)."""
    if db.name not in ("mysql", "mariadb"):
        return []
    e = db.engine
    names: list[str | None] = [*sorted({s for s in schemas if s})] or [None]
    found: list[RepairBackup] = []
    with e.read_only():
        for schema in names:
            where = "TABLE_SCHEMA = %s" if schema else "TABLE_SCHEMA = DATABASE()"
            params: tuple[Any, ...] = ((schema,) if schema else ()) + (PREFIX + "%",)
            rows: Sequence[Any] = e.raw("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES "
                                        f"WHERE {where} AND TABLE_NAME LIKE %s ORDER BY TABLE_NAME", params).fetchall()
            for row in rows:  # LIKE's _ matches any character: the prefix is checked here
                s, t, comment = str(row[0]), str(row[1]), str(row[2] or "")
                if not t.startswith(PREFIX) or _parse(s, t, comment, 0) is None:
                    continue
                count = e.raw(f"SELECT COUNT(*) FROM {e.table_ref(s, t)}").scalar()
                backup = _parse(s, t, comment, int(count or 0))
                if backup is not None:
                    found.append(backup)
    return found


def _stored_columns(db: Live, table: Table) -> list[str]:
    """The child's columns that hold data (generated ones are computed again on restore), invisible included."""
    e = db.engine
    with e.read_only():
        rows: Sequence[Any] = e.raw("SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                     + ("%s" if table.schema else "DATABASE()") + " AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                     ((table.schema,) if table.schema else ()) + (table.name,)).fetchall()
    return [str(r[0]) for r in rows if "GENERATED" not in str(r[1] or "").upper()]


def row_identity(table: Table) -> tuple[str, ...] | None:
    """Columns that identify a row of ``table``: its primary key, else a unique key without NULLs."""
    if table.primary_key is not None:
        return table.primary_key.columns
    for u in table.unique:
        if all(not table.column(c).nullable for c in u.columns):
            return u.columns
    return None


class BackupPlan:
    """The statements that fill, restore and drop one backup table of ``child``."""

    def __init__(self, db: Live, child: Table, fk: ForeignKey, repair: str, table: str) -> None:
        self.e = db.engine
        self.child, self.fk, self.repair, self.table = child, fk, repair, table
        self.ref = self.e.table_ref(child.schema, child.name)
        self.backup_ref = self.e.table_ref(child.schema, table)
        self.columns = _stored_columns(db, child)
        if repair == "set-null" and row_identity(child) is None:
            raise BadInput(f"--repair set-null on {db.name} needs a primary key (or a NOT NULL unique key) on "
                           f"{child.qualified_name}: it is how the rows are found again to put their keys back "
                           "if the change is interrupted; use --repair delete, or give the table a primary key")

    def _cols(self, prefix: str = "") -> str:
        return ", ".join(prefix + self.e.quote(c) for c in self.columns)

    def create(self, meta: str) -> Step:
        return Step(f"create {self.table} to keep the rows the repair changes (an interrupted run can then be "
                    "completed or undone)",
                    f"CREATE TABLE {self.backup_ref} COMMENT = :meta SELECT {self._cols()} FROM {self.ref} LIMIT 0",
                    None, undo=f"DROP TABLE IF EXISTS {self.backup_ref}", params={"meta": meta})

    def resume(self, backup: RepairBackup) -> Step:
        """First step of a run that completes an interrupted one: its undo puts the earlier run's rows back."""
        return Step(f"complete the interrupted repair kept in {self.table} ({backup.rows} rows, {backup.created})",
                    f"SELECT COUNT(*) FROM {self.backup_ref}", None,
                    undo=self.restore()[0], undo_more=(*self.restore()[1:], f"DROP TABLE IF EXISTS {self.backup_ref}"))

    def repair_steps(self, where: str, touch: str) -> list[Step]:
        """Copy the orphans into the backup, change them, and check both touched the same rows; one
        transaction (group 1), undone by restoring from the backup."""
        q = self.e.quote
        if self.repair == "delete":
            change = f"DELETE FROM {self.ref} WHERE {where}"
        else:
            change = f"UPDATE {self.ref} SET {', '.join(f'{q(c)} = NULL' for c in self.fk.columns)} WHERE {where}"
        restore = self.restore()
        return [
            Step(f"copy those rows into {self.table}",
                 f"INSERT INTO {self.backup_ref} ({self._cols()}) SELECT {self._cols()} FROM {self.ref} WHERE {where}",
                 1),
            Step("remember how many rows were copied", "SET @refint_copied = ROW_COUNT()", 1),
            Step(touch, change, 1, undo=restore[0], undo_more=restore[1:]),
            Step(f"verify the repair changed exactly the rows copied into {self.table}",
                 "SELECT @refint_copied, ROW_COUNT() FROM DUAL WHERE ROW_COUNT() <> @refint_copied", 1,
                 expect_empty=True),
        ]

    def restore(self) -> tuple[str, ...]:
        """Put the backed-up rows back, then empty the backup (one transaction: never restored twice)."""
        q = self.e.quote
        empty = f"DELETE FROM {self.backup_ref}"
        if self.repair == "delete":
            return (f"INSERT INTO {self.ref} ({self._cols()}) SELECT {self._cols('b.')} FROM {self.backup_ref} b",
                    empty)
        ident = row_identity(self.child) or ()
        on = " AND ".join(f"c.{q(k)} = b.{q(k)}" for k in ident)
        sets = ", ".join(f"c.{q(c)} = b.{q(c)}" for c in self.fk.columns)
        still_null = " AND ".join(f"c.{q(c)} IS NULL" for c in self.fk.columns)
        return (f"UPDATE {self.ref} c JOIN {self.backup_ref} b ON {on} SET {sets} WHERE {still_null}", empty)

    def drop(self) -> Step:
        return Step(f"drop {self.table} (the key is in: the kept rows are no longer needed)",
                    f"DROP TABLE {self.backup_ref}", None)


def drop_key_sql(db: Live, child: Table, name: str, implicit_index: bool) -> str:
    e = db.engine
    sql = f"ALTER TABLE {e.table_ref(child.schema, child.name)} DROP FOREIGN KEY {e.quote(name)}"
    return sql + (f", DROP INDEX {e.quote(name)}" if implicit_index else "")
