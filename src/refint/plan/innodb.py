"""InnoDB visits the keys that refer to a table in a fixed order; where that order decides a DELETE, say so.

InnoDB keeps the foreign keys that refer to a table in ``dict_table_t::referenced_set``, a ``std::set``
ordered by ``dict_foreign_compare``: ``strcmp`` of the key's id, ``database/constraint`` in UTF-8 bytes.
Deleting a row, it walks that set in order (``row_upd_check_references_constraints``): a CASCADE key
deletes the referencing rows at once, depth first (the whole cascade below it finishes before the next
key), and a RESTRICT / NO ACTION key fails if a referencing row is still there. The order depends on the
names only, not on the order the keys were created in (verified on MariaDB 10.11: docs/plan.md,
``tests/test_plan_innodb.py``).

So when the statement removes exactly one row of its target, a RESTRICT / NO ACTION key whose
referencing rows all go in the same statement passes exactly when every one of them is removed by the
cascades of keys that come *before* it in that order, and fails otherwise. With several target rows the
rows interleave (InnoDB finishes one row, keys and cascades, before the next, in scan order), so the
plan stays order-dependent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import networkx as nx

from refint.model import Action, ForeignKey, Table
from refint.plan.base import _effective, _not

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.plan.delete import _Delete

_WORD = re.compile(r"[A-Za-z0-9_]+")


def key_id(child: Table, fk: ForeignKey) -> bytes | None:
    """InnoDB's id of a key, ``database/name`` as bytes; None when refint cannot reproduce it."""
    if fk.name is None:
        return None
    return f"{child.schema or ''}/{fk.name}".encode()


def key_order_verdict(plan: _Delete, g: nx.MultiDiGraph, target_rows: int, parent: Table, child: Table,
                      fk: ForeignKey) -> int | None:
    """Rows of ``child`` InnoDB still finds through ``fk`` (0: the key passes), or None when order is unknown.

    Only for a key on the target itself, one target row, no cascade cycle through the target, and keys
    whose ids refint can reproduce (the database part is compared as UTF-8 bytes only when every child
    lives in the same database or the names are plain ASCII words: InnoDB encodes other database names).
    """
    rules, target = plan.rules, plan.target
    if not rules.keys_in_id_order or parent.key != target.key or child.key == target.key or target_rows != 1:
        return None
    if any(target.key in c and (len(c) > 1 or g.has_edge(target.key, target.key))
           for c in nx.strongly_connected_components(g)):
        return None
    refs = plan.schema.referencing(target)
    if any(_effective(f.on_delete, rules) in (Action.SET_NULL, Action.SET_DEFAULT) for _, f in refs):
        return None  # a SET NULL before the check could change the referencing rows themselves
    schemas = {c.schema for c, _ in refs}
    if len(schemas) > 1 and not all(_WORD.fullmatch(s or "") for s in schemas):
        return None
    ids = {id(f): key_id(c, f) for c, f in refs}
    mine = ids[id(fk)]
    if mine is None or any(v is None for v in ids.values()):
        return None
    earlier = {i for i, v in ids.items() if v is not None and v < mine}
    from refint.plan.delete import _Delete

    sub = _Delete(plan.engine, plan.schema, target, plan.base, rules, 0, first=earlier)
    sub.closure()
    hit = sub.b.refers(fk, sub.key_cte(target, fk))
    gone = sub.pred.get(child.key)
    pred = hit if gone is None else f"({hit}) AND {_not(gone)}"
    return sub.b.count(child, pred, sub.params)


def clustered_order(engine: Engine, table: Table, pred: str) -> tuple[str, ...] | None:
    """The primary key columns when InnoDB would write the UPDATE's rows in primary key order, else None.

    A single-table UPDATE without ORDER BY writes rows in the order of the index it reads: the clustered
    index (the primary key, ascending) when no range or lookup applies, or a range or lookup on the
    primary key (MariaDB's ``mysql_update``: a range's own index, else a table scan). MariaDB refuses
    ``EXPLAIN UPDATE`` inside a read-only transaction, so refint asks for the plan of the SELECT with the
    same predicate: a full scan (``ALL``, or ``index``: a covering index scan the UPDATE does not use
    without ORDER BY) or an access through ``PRIMARY`` means primary key order; a range or lookup on
    another index leaves the plan order-dependent.
    """
    pk = table.primary_key
    if pk is None:
        return None
    result = engine.exec(f"EXPLAIN SELECT * FROM {engine.from_table(table)} WHERE {pred}")
    names = [str(k) for k in result.keys()]
    rows = [dict(zip(names, r)) for r in result.fetchall()]
    first = [r for r in rows if str(r.get("table")) == table.name]
    if len(first) != 1 or len(rows) != 1:
        return None
    access, key = str(first[0].get("type") or ""), first[0].get("key")
    # no range or lookup (a full scan, or a SELECT's full scan of a covering index): the UPDATE scans the
    # table, in clustered order; a range or lookup on PRIMARY: primary key order too
    if access in ("ALL", "index") or (access in ("range", "ref", "eq_ref", "const") and key == "PRIMARY"):
        return pk.columns
    return None
