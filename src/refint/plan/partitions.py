"""UPDATEs of PostgreSQL partition trees: rows that stay in their partition, rows that move.

Verified live on PostgreSQL 15 (``tests/test_plan_partitions.py`` compares random trees with the server):

- A key to a partitioned table covers the rows of all its partitions, a key to a partition only that
  partition's rows (PostgreSQL clones a key to a partitioned table onto every partition).
- An UPDATE that changes a row's partition key so that it leaves its leaf partition is a DELETE from the
  old leaf and an INSERT into the new one. Keys that refer to the root of the UPDATE (the table it
  names) or above see an update of the key (ON UPDATE CASCADE carries the new value); keys that refer to
  the old leaf itself fire their ON DELETE action (CASCADE deletes the referencing rows, NO ACTION /
  RESTRICT refuse the UPDATE if any remain).
- PostgreSQL refuses the move outright when a key refers to an ancestor of the old leaf below the root of
  the UPDATE: "cannot move tuple across partitions when a non-root ancestor of the source partition is
  directly referenced in a foreign key".

A partition's rows are those satisfying ``pg_get_partition_constraintdef`` (its bounds and its
ancestors'), evaluated here on the new values of the changed rows; the old ones are found by primary key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refint.model import Table
from refint.plan.base import Blocked, Step, _label
from refint.plan.keys import old_alias

if TYPE_CHECKING:
    from refint.plan.base import _Builder
    from refint.plan.ripple import Ripple
    from refint.plan.update import UpdatePlanner


def _was_in(b: _Builder, table: Table, part: Table) -> str:
    """Over a changed-rows CTE of ``table``: the row's old version lies in ``part`` (by primary key)."""
    assert table.primary_key is not None
    idx = {c.name: i for i, c in enumerate(table.columns)}
    cols = table.primary_key.columns
    olds = ", ".join(old_alias(idx[c]) for c in cols)
    olds = olds if len(cols) == 1 else f"({olds})"
    return f"{olds} IN (SELECT {', '.join(b.q(c) for c in cols)} FROM {b.engine.from_table(part)})"


def _is_in(b: _Builder, part: Table) -> str:
    """Over a changed-rows CTE: the row's new values satisfy ``part``'s partition constraint."""
    return f"(CASE WHEN {b.engine.partition_constraint(part) or 'true'} THEN 1 ELSE 0 END) = 1"


def stays_in(b: _Builder, table: Table, part: Table) -> str:
    """The changed row lies in ``part`` before and after the statement."""
    if table.primary_key is None:
        return _is_in(b, part)
    return f"{_was_in(b, table, part)} AND {_is_in(b, part)}"


def _bounds(up: UpdatePlanner, chg: str, parts: list[Table]) -> None:
    """New values outside the target partition's bounds ("new row for relation ... violates partition
    constraint"), or in no partition of a partitioned target ("no partition of relation ... found for
    row"): PostgreSQL refuses the UPDATE."""
    t, b = up.target, up.b
    reqs = []
    own = up.engine.partition_constraint(t)
    if own:
        reqs.append((f"SELECT count(*) FROM {chg} AS {b.q(t.name)} WHERE NOT ({_is_in(b, t)})",
                     f"new row for relation \"{t.name}\" violates partition constraint"))
    parents = {p.parent for p in parts}
    leaves = [p for p in parts if p.key not in parents]
    if leaves:
        fits = " OR ".join(f"({_is_in(b, leaf)})" for leaf in leaves)
        reqs.append((f"SELECT count(*) FROM {chg} AS {b.q(t.name)} WHERE NOT ({fits})",
                     f"no partition of relation \"{t.name}\" found for row"))
    for sql, reason in reqs:
        n = int(up.engine.exec(b.sql(sql), {}).scalar() or 0)
        if n:
            up.blocked.append(Blocked(None, up.label(t), n, reason))


def moves(up: UpdatePlanner, ripple: Ripple, steps: list[Step], updated: dict[str, int]) -> dict[str, int]:
    """The rows of a partitioned target that leave their leaf: PostgreSQL's refusal, and the ON DELETE
    actions of the keys to that leaf. Returns the rows those actions delete, per table."""
    from refint.plan.delete import _Delete

    t, schema, b = up.target, up.schema, up.b
    st = ripple.state.get(t.key)
    deleted: dict[str, int] = {}
    parts = schema.partition_descendants(t)
    if st is None or up.engine.name != "postgresql" or not (parts or t.kind == "partition"):
        return deleted
    _bounds(up, st.chg, parts)
    if not parts:
        return deleted
    parents = {p.parent for p in parts}
    leaves = [p for p in parts if p.key not in parents]
    if t.primary_key is None:
        up.notes.append(f"not followed: rows of {up.label(t)} may move between partitions; without a primary "
                        "key refint cannot tell which")
        return deleted
    pk = t.primary_key.columns
    idx = {c.name: i for i, c in enumerate(t.columns)}
    for leaf in leaves:
        ancestors = schema.partition_ancestors(leaf)
        below = ancestors[: [a.key for a in ancestors].index(t.key)] if t.key in [a.key for a in ancestors] else []
        referenced = [(a, fk) for a in below for _, fk in schema.referencing(a)]
        if not referenced and not schema.referencing(leaf):
            continue
        olds = ", ".join(f"{old_alias(idx[c])} AS {b.q(c)}" for c in pk)
        moved = b.cte(f"SELECT {olds} FROM {st.chg} AS {b.q(leaf.name)} WHERE {_was_in(b, t, leaf)} "
                      f"AND NOT ({_is_in(b, leaf)})")
        n = int(up.engine.exec(b.sql(f"SELECT count(*) FROM {moved}"), {}).scalar() or 0)
        if not n:
            continue
        for a, fk in referenced[:1]:
            up.blocked.append(Blocked(fk.name, _label(leaf, schema), n, "cannot move tuple across partitions "
                                      "when a non-root ancestor of the source partition is directly referenced "
                                      f"in a foreign key (a key refers to {_label(a, schema)}, not to "
                                      f"{up.label(t)}): PostgreSQL refuses the UPDATE"))
        if referenced or not schema.referencing(leaf):
            continue
        # the move deletes the rows from the leaf: the keys to the leaf do what a DELETE makes them do
        cols = ", ".join(b.q(c) for c in pk)
        sub = _Delete(up.engine, schema, leaf, f"({cols}) IN (SELECT * FROM {moved})", up.rules, up.sample_n)
        sub.b, sub.family = b, False
        plan = sub.run()
        for name, count in plan.deleted.items():
            if name != _label(leaf, schema) and count:
                deleted[name] = deleted.get(name, 0) + count
        for name, count in plan.updated.items():
            updated[name] = updated.get(name, 0) + count
        steps += list(plan.steps)
        up.blocked += plan.blocked_by
        up.deferred += plan.deferred_checks
        up.order_dep += plan.order_dependent
        up.notes += [x for x in plan.notes if x not in up.notes]
    return deleted
