"""Managing foreign keys safely: add, drop, validate, index them, and drop a table with the keys to it.

Why this module exists: adding a foreign key is one line of SQL and a classic outage. PostgreSQL's
validating ``ADD FOREIGN KEY`` locks both tables while it scans the child, InnoDB copies the table,
SQLite cannot add one without rebuilding the table, and with orphans present the statement fails on the
first bad key. So every operation here is turned into a :class:`~refint.manage.changeplan.ChangePlan` (printed by
``--dry-run``) that follows the engine's documented safe recipe, and then applied by
:func:`refint.manage.changeplan.apply`, which rolls back or undoes what it did when any step fails.
Per-engine statements live in :mod:`refint.manage.recipes`; the rules and their sources are in docs/manage.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from refint.manage.changeplan import ChangePlan, ChangeResult, FaultHook, Step, apply
from refint.errors import BadInput, NoSuchConstraint, NoSuchTable, NotSupported, QueryFailed, UnsafeOperation
from refint.model import Action, ForeignKey, Match, Schema, Table
from refint.manage import recipes
from refint.manage import repair_backup as rb

if TYPE_CHECKING:
    from refint.check.checker import Violation
    from refint.manage.changeplan import Live

REPAIRS = ("delete", "set-null", "fail")
DEFAULT_LOCK_TIMEOUT = 0.5  # seconds: the longest a writer may wait behind one of our DDL statements
DEFAULT_RETRIES = 8
#: called with the plan just before it runs (the CLI prints the steps that cannot be undone)
BeforeApply = Callable[[ChangePlan], None]


# -- argument parsing -----------------------------------------------------------------------------------

def _read_name(text: str, i: int) -> tuple[str, int]:
    """One identifier at ``text[i]``: bare (up to ``( , . )`` or space) or quoted with "", `` or []."""
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        raise BadInput(f"expected a name at the end of {text!r}")
    c = text[i]
    if c in '"`[':
        close = "]" if c == "[" else c
        out, j = [], i + 1
        while j < len(text):
            if text[j] == close:
                if close != "]" and text[j + 1:j + 2] == close:
                    out.append(close)
                    j += 2
                    continue
                return "".join(out), j + 1
            out.append(text[j])
            j += 1
        raise BadInput(f"unterminated quoted name in {text!r}")
    j = i
    while j < len(text) and text[j] not in "(),." and not text[j].isspace():
        j += 1
    if j == i:
        raise BadInput(f"expected a name at position {i + 1} of {text!r}")
    return text[i:j], j


def parse_spec(text: str) -> tuple[str | None, str, tuple[str, ...] | None]:
    """``'schema.table(a, b)'`` -> (schema, table, columns); quote names with spaces: ``'"line item"(id)'``.

    The column list may be omitted (None): for a parent, that means its primary key.
    """
    first, i = _read_name(text, 0)
    schema: str | None = None
    table = first
    rest = text[i:].lstrip()
    if rest.startswith("."):
        schema, (table, i) = first, _read_name(text, text.index(".", i) + 1)
        rest = text[i:].lstrip()
    if not rest:
        return schema, table, None
    if not rest.startswith("("):
        raise BadInput(f"expected '(' after {table!r} in {text!r}")
    cols: list[str] = []
    j = text.index("(", i) + 1
    while True:
        name, j = _read_name(text, j)
        cols.append(name)
        while j < len(text) and text[j].isspace():
            j += 1
        if j < len(text) and text[j] == ",":
            j += 1
            continue
        if j < len(text) and text[j] == ")" and not text[j + 1:].strip():
            return schema, table, tuple(cols)
        raise BadInput(f"malformed column list in {text!r} (expected 'table(col, ...)')")


def _resolve_columns(table: Table, cols: Sequence[str]) -> tuple[str, ...]:
    names = table.column_names()
    out = []
    for c in cols:
        if c in names:
            out.append(c)
            continue
        folded = [n for n in names if n.lower() == c.lower()]
        if len(folded) != 1:
            raise BadInput(f"table {table.qualified_name} has no column {c!r}")
        out.append(folded[0])
    return tuple(out)


# -- add-fk ---------------------------------------------------------------------------------------------

def _default_name(child: Table, cols: Sequence[str], limit: int = 63) -> str:
    name = f"{child.name}_{'_'.join(cols)}_fkey"
    return name if len(name) <= limit else name[:limit - 9] + "_" + format(abs(hash(name)) % 16**7, "07x") + "k"


def build_foreign_key(db: Live, child_spec: str, parent_spec: str, *, name: str | None = None,
                      on_delete: str | Action = Action.NO_ACTION, on_update: str | Action = Action.NO_ACTION,
                      match: str | Match = Match.SIMPLE, deferrable: bool = False,
                      initially_deferred: bool = False) -> tuple[Table, Table, ForeignKey]:
    """Resolve the specs against the live schema and check the key is one the engine can hold."""
    schema = db.refresh()
    c_schema, c_name, c_cols = parse_spec(child_spec)
    p_schema, p_name, p_cols = parse_spec(parent_spec)
    child = schema.table(c_name, c_schema)
    parent = schema.table(p_name, p_schema)
    if not c_cols:
        raise BadInput(f"name the child columns: {child.name}(col, ...)")
    cols = _resolve_columns(child, c_cols)
    if p_cols is None:
        if parent.primary_key is None:
            raise BadInput(f"table {parent.qualified_name} has no primary key: name the referred columns")
        pcols = parent.primary_key.columns
    else:
        pcols = _resolve_columns(parent, p_cols)
    if len(cols) != len(pcols):
        raise BadInput(f"{len(cols)} child columns but {len(pcols)} referred columns")
    if not any(sorted(s) == sorted(pcols) for s in parent.unique_sets()):
        raise BadInput(f"{parent.qualified_name}({', '.join(pcols)}) is neither a primary key nor unique: "
                       "a foreign key must refer to one")
    try:
        od, ou, m = Action.parse(str(on_delete)), Action.parse(str(on_update)), Match.parse(str(match))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    caps = db.capabilities
    engine = db.name
    if not caps.set_default_works and Action.SET_DEFAULT in (od, ou) and engine in ("mysql", "mariadb"):
        raise NotSupported(f"{engine}: InnoDB has no SET DEFAULT (MariaDB 10.11 accepts it in the DDL and then "
                           "behaves as RESTRICT); choose another action")
    for label, action, allowed in (("ON DELETE", od, caps.on_delete), ("ON UPDATE", ou, caps.on_update)):
        if action not in allowed:
            raise NotSupported(f"{engine} has no {label} {action.value} (supported: "
                               f"{', '.join(sorted(a.value for a in allowed))})")
    if m not in caps.match:
        raise NotSupported(f"{engine} does not enforce MATCH {m.value}")
    if (deferrable or initially_deferred) and not caps.deferrable:
        raise NotSupported(f"{engine} has no DEFERRABLE foreign keys")
    if Action.SET_NULL in (od, ou):
        not_null = [c for c in cols if not child.column(c).nullable]
        if not_null:
            raise BadInput(f"SET NULL on {child.qualified_name}: column(s) {', '.join(not_null)} are NOT NULL")
    limit = 64 if engine in ("mysql", "mariadb") else 63
    fk = ForeignKey(name or _default_name(child, cols, limit), cols, parent.schema, parent.name, pcols,
                    od, ou, m, deferrable or initially_deferred, initially_deferred)
    return child, parent, fk


def _same_key(a: ForeignKey, b: ForeignKey) -> bool:
    return (a.columns == b.columns and a.referred == b.referred and a.referred_columns == b.referred_columns
            and a.on_delete == b.on_delete and a.on_update == b.on_update)


def find_orphans(db: Live, child: Table, fk: ForeignKey, sample: int = 5, lock_timeout: float | None = None,
                 retries: int = 0) -> tuple[list[Violation], int]:
    """The rows the new key would reject, found by ``check``'s own anti-join (read-only); returns them
    and the number of lock-timeout retries it took.

    On PostgreSQL the read waits at most ``lock_timeout`` for a table lock (a pending ACCESS EXCLUSIVE
    lock would otherwise make it, and every writer queued behind it, wait indefinitely); a lock timeout,
    on the child or on the parent, is retried with the executor's backoff up to ``retries`` times.
    """
    import time

    from refint.manage.changeplan import backoff, is_lock_timeout, lock_timeout_note
    from refint.check.checker import Checker

    schema = db.inspect()
    attempt = 0
    while True:
        try:
            with db.engine.read_only():
                if lock_timeout is not None and db.name == "postgresql":
                    db.engine.raw(f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'")
                return Checker(db.engine, schema, sample).foreign_key(child, fk), attempt
        except Exception as exc:
            cause = getattr(exc, "orig", None) or exc
            if not is_lock_timeout(cause):
                raise
            if attempt < retries:
                attempt += 1
                time.sleep(backoff(attempt))
                continue
            raise QueryFailed(f"lock timeout ({lock_timeout:g}s) while looking for orphans of "
                              f"{child.qualified_name}: another transaction holds a lock on it or on "
                              f"{fk.referred_table}: {lock_timeout_note(cause, attempt + 1)}; nothing changed"
                              ) from exc


def add_foreign_key(db: Live, child: str, parent: str, *, name: str | None = None,
                    on_delete: str | Action = Action.NO_ACTION, on_update: str | Action = Action.NO_ACTION,
                    match: str | Match = Match.SIMPLE, deferrable: bool = False, initially_deferred: bool = False,
                    index: bool = False, repair: str | None = None, yes: bool = False, dry_run: bool = False,
                    rebuild: bool = False, undo: bool = False,
                    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, retries: int = DEFAULT_RETRIES,
                    sample: int = 5, fault: FaultHook | None = None,
                    before_apply: BeforeApply | None = None) -> ChangeResult:
    """Add a foreign key ``child(cols) -> parent(cols)`` with the engine's safe recipe.

    With orphans present nothing changes and they are listed, unless ``repair`` says what to do
    (``delete`` / ``set-null`` need ``yes=True``; ``fail`` is the default behaviour, spelled out).
    ``rebuild``: on DuckDB, which cannot add a key in place, re-create the table with it.
    MySQL/MariaDB: a repair interrupted before its key was in left a backup table
    (:mod:`refint.manage.repair_backup`); the same call completes it, ``undo=True`` restores its rows.
    """
    db.engine.refuse("add-fk")
    if repair is not None and repair not in REPAIRS:
        raise BadInput(f"--repair must be one of {', '.join(REPAIRS)}, not {repair!r}")
    if undo and repair not in (None, "fail"):
        raise BadInput("--undo restores the rows of an interrupted --repair: it takes no --repair")
    c_table, p_table, fk = build_foreign_key(db, child, parent, name=name, on_delete=on_delete,
                                             on_update=on_update, match=match, deferrable=deferrable,
                                             initially_deferred=initially_deferred)
    schema = db.inspect()
    backups = rb.find(db, [c_table.schema])
    mine = next((b for b in backups if b.constraint.lower() == (fk.name or "").lower()
                 and b.child.lower() == c_table.name.lower()), None)
    if mine is not None and not mine.matches(c_table, fk):
        raise BadInput(f"{mine.table} belongs to another definition of {fk.name}: {mine.describe()}")
    notes = tuple(b.describe() for b in backups if b is not mine)
    details: dict[str, Any] = {"constraint": fk.name,
                               "copies_table": db.name in ("mysql", "mariadb", "sqlite", "duckdb")}
    if backups:
        details["interrupted_repairs"] = [b.to_dict() for b in backups]
    key_there = not_valid = False
    for existing in c_table.foreign_keys:
        if existing.name and fk.name and existing.name.lower() == fk.name.lower():
            if not _same_key(existing, fk):
                raise BadInput(f"table {c_table.qualified_name} already has a constraint named {fk.name}")
            key_there = True
            # PostgreSQL: an add-fk that died between ADD ... NOT VALID and VALIDATE left the key unvalidated
            not_valid = existing.validated is False and db.capabilities.not_valid
    if undo:
        return _undo_repair(db, c_table, fk, mine, key_there, dry_run, fault, before_apply, lock_timeout, retries,
                            details)
    if key_there and not not_valid:
        if mine is None:
            plan = ChangePlan("add-fk", db.name, notes=(f"{fk.name} already exists: nothing to do", *notes))
            return ChangeResult("add-fk", True, dry_run, False, plan, message=f"{fk.name} already exists",
                                details=details)
        cleanup = rb.BackupPlan(db, c_table, fk, mine.repair, mine.table).drop()
        plan = ChangePlan("add-fk", db.name, (cleanup,), (f"{fk.name} was added by the interrupted run: only its "
                                                          f"backup {mine.table} is left to drop", *notes))
        return _run("add-fk", db, plan, dry_run, fault, before_apply, details={**details, "backup": mine.table})
    if db.name in ("mysql", "mariadb"):  # InnoDB foreign key names are unique per database
        for t, other in schema.foreign_keys:
            if other.name and fk.name and other.name.lower() == fk.name.lower():
                raise BadInput(f"a foreign key named {fk.name} already exists (on {t.qualified_name})")
    orphans, waited = find_orphans(db, c_table, fk, sample, lock_timeout, retries)
    n_orphans = sum(v.count for v in orphans)
    touch = ""
    if orphans:
        if repair in (None, "fail"):
            plan = ChangePlan("add-fk", db.name, notes=tuple(b.describe() for b in backups))
            return ChangeResult("add-fk", False, dry_run, False, plan, orphans=tuple(orphans), retries=waited,
                                details=details,
                                message=f"{n_orphans} rows of {c_table.qualified_name} have no parent in "
                                        f"{p_table.qualified_name}; nothing changed (--repair delete|set-null "
                                        "would fix them)")
        if repair == "set-null":
            not_null = [c for c in fk.columns if not c_table.column(c).nullable]
            if not_null:
                raise BadInput(f"--repair set-null: {c_table.qualified_name}.{', '.join(not_null)} is NOT NULL")
        if mine is not None and mine.rows and mine.repair != repair:
            raise BadInput(f"--repair {repair}: the interrupted run kept rows for --repair {mine.repair}; use the "
                           f"same repair to complete it ({mine.command()}) or undo it ({mine.command(undo=True)})")
        verb = "delete" if repair == "delete" else "set to NULL the key of"
        touch = (f"--repair {repair} will {verb} {n_orphans} rows of {c_table.qualified_name} "
                 f"(keys: {'; '.join(str(s) for v in orphans for s in v.sample)})")
        if not yes and not dry_run:
            raise UnsafeOperation(f"{touch}; add --yes to do it")
    steps: list[Step] = []
    cleanup_steps: list[Step] = []
    if not_valid:  # the key is there: repair and validate it, in one transaction
        plan = recipes.validate_plan(db, [(c_table, fk)], lock_timeout=lock_timeout, retries=retries)
        repaired = [Step(touch, recipes.repair_sql(db.engine, c_table, p_table, fk, repair or "delete"), 1)]
        plan = replace(plan, operation="add-fk", steps=tuple(repaired if orphans else []) + plan.steps, notes=(
            f"{fk.name} exists NOT VALID (added so, or by an add-fk interrupted before its VALIDATE): it is "
            "validated now",))
        return _run("add-fk", db, plan, dry_run, fault, before_apply, orphans=orphans, waited=waited, details=details)
    if db.name in ("mysql", "mariadb") and (orphans or mine is not None):
        kind = mine.repair if mine is not None else repair or "delete"
        table = mine.table if mine is not None else rb.free_name(fk.name or "", {t.name.lower() for t in schema.tables})
        bp = rb.BackupPlan(db, c_table, fk, kind, table)
        if mine is not None:
            steps.append(bp.resume(mine))
        else:
            steps.append(bp.create(rb.metadata(c_table, fk, kind, not has_supporting_index(c_table, fk.columns))))
        if orphans:
            steps += bp.repair_steps(recipes.orphan_where(db.engine, c_table, p_table, fk), touch)
        cleanup_steps.append(bp.drop())
        details["backup"] = table
    elif orphans:
        steps.append(Step(touch, recipes.repair_sql(db.engine, c_table, p_table, fk, repair or "delete")))
    plan = recipes.add_fk_plan(db, c_table, p_table, fk, index=index, repair=steps, cleanup=cleanup_steps,
                               lock_timeout=lock_timeout, retries=retries, rebuild=rebuild)
    if notes:
        plan = replace(plan, notes=plan.notes + notes)
    return _run("add-fk", db, plan, dry_run, fault, before_apply, orphans=orphans, waited=waited, details=details)


def _undo_repair(db: Live, child: Table, fk: ForeignKey, backup: rb.RepairBackup | None, key_there: bool,
                 dry_run: bool, fault: FaultHook | None, before_apply: BeforeApply | None, lock_timeout: float,
                 retries: int, details: dict[str, Any]) -> ChangeResult:
    """``add-fk --undo``: put back the rows an interrupted repair kept, dropping the key first if the
    interrupted run got as far as adding it, then drop the backup."""
    if db.name not in ("mysql", "mariadb"):
        raise BadInput(f"--undo: nothing to undo on {db.name}, where the repair and the key share one transaction "
                       "(an interrupted run left the old state)")
    if backup is None:
        raise BadInput(f"--undo: no interrupted repair of {fk.name} on {child.qualified_name} to undo (no "
                       f"{rb.backup_name(fk.name or '')} table written by refint)")
    bp = rb.BackupPlan(db, child, fk, backup.repair, backup.table)
    steps: list[Step] = []
    if key_there and backup.rows:
        e = db.engine
        steps.append(Step(f"drop {fk.name}, which the interrupted run added (the rows put back break it)",
                          rb.drop_key_sql(db, child, fk.name or "", backup.implicit_index), None,
                          undo=f"ALTER TABLE {e.table_ref(child.schema, child.name)} ADD {recipes.fk_clause(e, fk)}"))
    restore = bp.restore()
    steps.append(Step(f"put back the {backup.rows} rows kept in {backup.table}", restore[0], 1))
    steps.append(Step(f"empty {backup.table} in the same transaction (the rows are never put back twice)",
                      restore[1], 1))
    steps.append(Step(f"drop {backup.table}", f"DROP TABLE {bp.backup_ref}", None))
    plan = ChangePlan("add-fk", db.name, tuple(steps), (f"undoing {backup.describe()}",),
                      lock_timeout=lock_timeout, retries=retries)
    return _run("add-fk", db, plan, dry_run, fault, before_apply, details={**details, "undo": True,
                                                                           "backup": backup.table})


def _run(operation: str, db: Live, plan: ChangePlan, dry_run: bool, fault: FaultHook | None,
         before_apply: BeforeApply | None, orphans: Sequence[Violation] = (),
         details: dict[str, Any] | None = None, waited: int = 0) -> ChangeResult:
    """Print (dry run) or apply the plan; ``waited``: lock-timeout retries already spent looking for orphans."""
    if dry_run:
        return ChangeResult(operation, True, True, False, plan, orphans=tuple(orphans), retries=waited,
                            message="dry run: nothing changed", details=details or {})
    if before_apply is not None:
        before_apply(plan)
    # PyMySQL stops reading on Ctrl-C while the server goes on (an ALTER would finish its copy): KILL QUERY
    cancel = db.engine.cancel_on_interrupt() if db.name in ("mysql", "mariadb") else nullcontext()
    with cancel:
        done, retries = apply(db, plan, fault=fault)
    db.invalidate()
    return ChangeResult(operation, True, False, True, plan, tuple(done), "done", tuple(orphans), waited + retries,
                        details or {})


# -- drop-fk --------------------------------------------------------------------------------------------

def _find_fk(table: Table, name: str) -> ForeignKey | None:
    for fk in table.foreign_keys:
        if fk.name == name:
            return fk
    folded = [fk for fk in table.foreign_keys if fk.name and fk.name.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    if name.strip().startswith("("):  # an unnamed key (SQLite) given by its columns: '(a, b)'
        _s, _t, cols = parse_spec("x" + name.strip())
        hits = [fk for fk in table.foreign_keys if [c.lower() for c in fk.columns] == [c.lower() for c in cols or ()]]
        if len(hits) == 1:
            return hits[0]
    return None


def drop_foreign_key(db: Live, table: str, name: str, *, if_exists: bool = False, dry_run: bool = False,
                     lock_timeout: float = DEFAULT_LOCK_TIMEOUT, retries: int = DEFAULT_RETRIES,
                     fault: FaultHook | None = None, before_apply: BeforeApply | None = None) -> ChangeResult:
    """Drop the foreign key ``name`` of ``table`` (an unnamed SQLite key: ``name='(col, ...)'``)."""
    db.engine.refuse("drop-fk")
    schema = db.refresh()
    t = _table_or_none(schema, table)
    fk = _find_fk(t, name) if t is not None else None
    if fk is None:
        if if_exists:
            plan = ChangePlan("drop-fk", db.name, notes=(f"no foreign key {name} on {table}: nothing to do",))
            return ChangeResult("drop-fk", True, dry_run, False, plan, message=f"no foreign key {name}: nothing to do")
        if t is None:
            raise NoSuchTable(table)
        raise NoSuchConstraint(f"no foreign key {name} on table {t.qualified_name}")
    assert t is not None
    plan = recipes.drop_fk_plan(db, t, [fk], lock_timeout=lock_timeout, retries=retries)
    return _run("drop-fk", db, plan, dry_run, fault, before_apply, details={"constraint": fk.name})


def _table_or_none(schema: Schema, name: str) -> Table | None:
    try:
        return schema.table(name)
    except NoSuchTable:
        return None


# -- validate -------------------------------------------------------------------------------------------

def validate(db: Live, *, constraint: str | None = None, table: str | None = None, dry_run: bool = False,
             lock_timeout: float = DEFAULT_LOCK_TIMEOUT, retries: int = DEFAULT_RETRIES, sample: int = 5,
             fault: FaultHook | None = None, before_apply: BeforeApply | None = None) -> ChangeResult:
    """Validate NOT VALID keys (PostgreSQL) after checking them; elsewhere, check every foreign key.

    A key with orphans is not validated (VALIDATE would fail on its first bad row after scanning):
    its orphans are listed instead and ``ok`` is False.
    """
    db.engine.refuse("validate")
    schema = db.refresh()
    keys = [(t, fk) for t, fk in schema.foreign_keys
            if (constraint is None or (fk.name or "").lower() == constraint.lower())
            and (table is None or t.name.lower() == table.lower() or t.qualified_name.lower() == table.lower())]
    if constraint is not None and not keys:
        raise NoSuchConstraint(f"no foreign key named {constraint}")
    orphans: list[Violation] = []
    to_validate: list[tuple[Table, ForeignKey]] = []
    check_retries = 0
    for t, fk in keys:
        found, waited = find_orphans(db, t, fk, sample, lock_timeout, retries)
        check_retries += waited
        orphans.extend(found)
        if not found and db.capabilities.not_valid and fk.validated is False:
            to_validate.append((t, fk))
    plan = recipes.validate_plan(db, to_validate, lock_timeout=lock_timeout, retries=retries)
    names = [fk.name for _t, fk in to_validate]
    details: dict[str, Any] = {"checked": len(keys), "validated": names}
    backups = rb.find(db, sorted({t.schema or "" for t in schema.tables}))
    if backups:  # an add-fk --repair was interrupted: its key is missing (or its backup is left over)
        details["interrupted_repairs"] = [b.to_dict() for b in backups]
        plan = replace(plan, notes=plan.notes + tuple(b.describe() for b in backups))
    if not plan.steps:
        return ChangeResult("validate", not orphans, dry_run, False, plan, orphans=tuple(orphans), details=details,
                            retries=check_retries,
                            message=f"{len(keys)} foreign keys checked, {len(orphans)} with orphans")
    result = _run("validate", db, plan, dry_run, fault, before_apply, orphans=orphans, details=details,
                  waited=check_retries)
    return replace(result, ok=not orphans)


# -- index-fks ------------------------------------------------------------------------------------------

def has_supporting_index(table: Table, columns: Sequence[str]) -> bool:
    """An index whose leading columns are the key's columns, in order; partial indexes do not count."""
    n = len(columns)
    want = [c.lower() for c in columns]
    for ix in table.indexes:
        if not ix.partial and [str(c).lower() for c in ix.columns[:n]] == want and None not in ix.columns[:n]:
            return True
    if table.primary_key and [c.lower() for c in table.primary_key.columns[:n]] == want:
        return True  # a rowid/clustered primary key is an index even where the catalog lists none
    return any([c.lower() for c in u.columns[:n]] == want for u in table.unique)


def index_foreign_keys(db: Live, *, table: str | None = None, dry_run: bool = False,
                       fault: FaultHook | None = None, before_apply: BeforeApply | None = None) -> ChangeResult:
    """Create the missing supporting index of every foreign key (of ``table``)."""
    db.engine.refuse("index-fks")
    schema = db.refresh()
    wanted: list[tuple[Table, tuple[str, ...]]] = []
    for t, fk in schema.foreign_keys:
        if table is not None and t.name.lower() != table.lower() and t.qualified_name.lower() != table.lower():
            continue
        if not has_supporting_index(t, fk.columns) and (t.key, fk.columns) not in {(w.key, c) for w, c in wanted}:
            wanted.append((t, fk.columns))
    if table is not None and not any(t.name.lower() == table.lower() for t in schema.tables):
        schema.table(table)  # raises NoSuchTable with the name
    plan = recipes.index_plan(db, schema, wanted)
    details = {"indexes": [s.description for s in plan.steps]}
    if not plan.steps:
        return ChangeResult("index-fks", True, dry_run, False, plan, message="every foreign key has an index",
                            details=details)
    return _run("index-fks", db, plan, dry_run, fault, before_apply, details=details)


# -- drop-table -----------------------------------------------------------------------------------------

def drop_table(db: Live, table: str, *, cascade_constraints: bool = False, if_exists: bool = False,
               dry_run: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, retries: int = DEFAULT_RETRIES,
               fault: FaultHook | None = None, before_apply: BeforeApply | None = None) -> ChangeResult:
    """Drop a table; with ``cascade_constraints`` first drop the foreign keys of other tables to it
    (Oracle's ``DROP TABLE ... CASCADE CONSTRAINTS``), all in one transaction where the engine can."""
    db.engine.refuse("drop-table")
    schema = db.refresh()
    t = _table_or_none(schema, table)
    if t is None:
        if if_exists:
            plan = ChangePlan("drop-table", db.name, notes=(f"no table {table}: nothing to do",))
            return ChangeResult("drop-table", True, dry_run, False, plan, message=f"no table {table}: nothing to do")
        raise NoSuchTable(table)
    incoming = [(c, fk) for c, fk in schema.referencing(t) if c.key != t.key]
    if incoming and not cascade_constraints:
        keys = ", ".join(f"{c.qualified_name}.{fk.name or '(unnamed)'}" for c, fk in incoming)
        raise UnsafeOperation(f"table {t.qualified_name} is referenced by {keys}: add --cascade-constraints "
                              "to drop those keys with it")
    plan = recipes.drop_table_plan(db, t, incoming, lock_timeout=lock_timeout, retries=retries)
    details = {"table": t.name, "dropped_constraints": [fk.name for _c, fk in incoming]}
    return _run("drop-table", db, plan, dry_run, fault, before_apply, details=details)
