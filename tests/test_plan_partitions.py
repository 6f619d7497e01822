"""PostgreSQL partition trees (issue 18, class 3): check, plan and order against what the server does.

Random trees: a root ``pk`` partitioned by range of its key, partitions that are leaves or partitioned
again; tables whose keys refer to the root, to a sub-partitioned partition or to a leaf, some of them
partitioned themselves with the key declared on one of their partitions; rows that move between
partitions. Each example is compared with PostgreSQL itself: ``check`` with an independent count of the
orphans (planted with ``session_replication_role = replica``), ``plan`` with the statement run and rolled
back, ``order``'s delete and drop scripts run in a transaction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refint
from refint.order.sql import script

EXAMPLES = int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "6"))
ACTIONS = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL"]


@dataclass
class Tree:
    parts: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # name -> (lo, hi, parent)
    subs: set[str] = field(default_factory=set)  # partitions that are partitioned again
    keys: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # child, on, target, del, upd
    split: set[str] = field(default_factory=set)  # children partitioned by id (key on child_1 or root)
    rows: list[int] = field(default_factory=list)

    def range_of(self, name: str) -> tuple[int, int]:
        return (0, 400) if name == "pk" else self.parts[name][:2]

    def tables(self) -> list[str]:
        return ["pk", *self.parts]


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    t = Tree()
    for i, lo in enumerate(range(0, 400, 100)):
        name = f"pk{i + 1}"
        t.parts[name] = (lo, lo + 100, "pk")
        if draw(st.booleans()):
            t.subs.add(name)
            t.parts[f"{name}_1"] = (lo, lo + 50, name)
            t.parts[f"{name}_2"] = (lo + 50, lo + 100, name)
    for k in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(t.tables()))
        child = f"c{k}"
        on = child
        if draw(st.integers(0, 3)) == 0:
            t.split.add(child)
            on = draw(st.sampled_from([child, f"{child}_1"]))
        t.keys.append((child, on, target, draw(st.sampled_from(ACTIONS)), draw(st.sampled_from(ACTIONS))))
    t.rows = sorted(draw(st.sets(st.integers(0, 399), min_size=3, max_size=10)))
    return t


def build(db: Any, t: Tree, draw: st.DrawFn) -> dict[str, list[tuple[int, int | None]]]:
    stmts = ["CREATE TABLE pk (a integer PRIMARY KEY, b integer) PARTITION BY RANGE (a)"]
    for name, (lo, hi, parent) in t.parts.items():
        sub = " PARTITION BY RANGE (a)" if name in t.subs else ""
        stmts.append(f"CREATE TABLE {name} PARTITION OF {parent} FOR VALUES FROM ({lo}) TO ({hi}){sub}")
    children: dict[str, list[tuple[int, int | None]]] = {}
    for child, on, target, dele, upd in t.keys:
        if child in t.split:
            stmts += [f"CREATE TABLE {child} (id integer, a integer, PRIMARY KEY (id)) PARTITION BY RANGE (id)",
                      f"CREATE TABLE {child}_1 PARTITION OF {child} FOR VALUES FROM (0) TO (5)",
                      f"CREATE TABLE {child}_2 PARTITION OF {child} FOR VALUES FROM (5) TO (100)"]
        else:
            stmts.append(f"CREATE TABLE {child} (id integer PRIMARY KEY, a integer)")
        stmts.append(f"ALTER TABLE {on} ADD CONSTRAINT fk_{child} FOREIGN KEY (a) REFERENCES {target} (a) "
                     f"ON DELETE {dele} ON UPDATE {upd}")
    stmts.append("INSERT INTO pk VALUES " + ", ".join(f"({v}, {v})" for v in t.rows))
    for child, on, target, _, _ in t.keys:
        lo, hi = t.range_of(target)
        inside = [v for v in t.rows if lo <= v < hi]
        values = draw(st.lists(st.sampled_from(inside + [None]) if inside else st.none(), min_size=1, max_size=6))
        ids = range(0, 10) if on == child else range(0, 5)  # a key on child_1: rows in its range
        rows = list(zip(ids, values))
        children[child] = rows
        stmts.append(f"INSERT INTO {child} VALUES " + ", ".join(
            f"({i}, {'NULL' if v is None else v})" for i, v in rows))
    db.run(";\n".join(stmts) + ";")
    return children


def run(db: Any, sql: str, t: Tree) -> tuple[bool, str, dict[str, int], dict[str, int]]:
    """The statement with keys enforced, rolled back: accepted, error, child rows deleted / changed."""
    conn = db.dbapi()
    conn.autocommit = False
    try:
        snap = lambda: {c: dict(conn.execute(f"SELECT id, a FROM {c}").fetchall()) for c, *_ in t.keys}  # noqa: E731
        before = snap()
        try:
            conn.execute(sql)
        except Exception as exc:
            return False, str(exc).splitlines()[0], {}, {}
        after = snap()
        deleted = {c: len(before[c]) - len(after[c]) for c in before if len(before[c]) != len(after[c])}
        changed = {c: sum(1 for i in after[c] if before[c].get(i, -1) != after[c][i]) for c in before}
        return True, "", deleted, {c: n for c, n in changed.items() if n}
    finally:
        conn.rollback()
        conn.close()
        db._conns.remove(conn)


def children_of(counts: dict[str, int]) -> dict[str, int]:
    """Counts of the referencing tables, a partition's (c0_1) under its table's name (c0)."""
    out: dict[str, int] = {}
    for name, n in counts.items():
        if name.startswith("c") and n:
            out[name.split("_")[0]] = out.get(name.split("_")[0], 0) + n
    return out


@st.composite
def statements(draw: st.DrawFn, t: Tree) -> str:
    table = draw(st.sampled_from(t.tables()))
    lo, hi = t.range_of(table)
    v = draw(st.sampled_from([x for x in t.rows if lo <= x < hi] or [lo]))
    where = draw(st.sampled_from([f"a = {v}", f"a >= {v}", "b IS NOT NULL"]))
    if draw(st.booleans()):
        return f"DELETE FROM {table} WHERE {where}"
    # +1 usually stays in the leaf, +50 and +100 move the row (or leave the table: then it fails)
    sets = draw(st.sampled_from(["a = a + 1", "a = a + 50", "a = a + 100", f"a = {lo}"]))
    return f"UPDATE {table} SET {sets} WHERE {where}"


@pytest.mark.parametrize("verb", ["check", "plan", "order"])
def test_partition_trees(make_db: Any, verb: str) -> None:
    db = make_db("postgresql")
    seen = {"ok": 0, "refused": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        db.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        t = data.draw(trees())
        children = build(db, t, data.draw)
        if verb == "check":
            for child, on, target, _, _ in t.keys:  # an orphan per key where the target's range has room
                lo, hi = t.range_of(target)
                bad = next((v for v in range(lo, hi) if v not in t.rows), None)
                if bad is not None and data.draw(st.booleans()):
                    db.run(f"SET session_replication_role = replica; INSERT INTO {on} VALUES (4, {bad}) "
                           "ON CONFLICT (id) DO UPDATE SET a = excluded.a;")
            with refint.connect(db.url) as conn:
                report = conn.check(kinds=["foreign_key"])
            got = {v.constraint: v.count for v in report.violations}
            # the independent count: rows whose key is set and not among the target's rows (no ONLY)
            want = {}
            for child, on, target, _, _ in t.keys:
                n = db.query(f"SELECT count(*) FROM {on} WHERE a IS NOT NULL AND a NOT IN (SELECT a FROM {target})")
                if n[0][0]:
                    want[f"fk_{child}"] = n[0][0]
            assert got == want, (t, got, want)
        elif verb == "plan":
            sql = data.draw(statements(t))
            table = sql.split()[2] if sql.startswith("DELETE") else sql.split()[1]
            where = sql.split(" WHERE ", 1)[1]
            with refint.connect(db.url) as conn:
                if sql.startswith("DELETE"):
                    plan = conn.plan_delete(table, where)
                else:
                    plan = conn.plan_update(table, sql.split(" SET ", 1)[1].split(" WHERE ")[0], where)
            accepted, error, deleted, changed = run(db, sql, t)
            if not plan.certain:
                return
            assert plan.ok == accepted, (t, sql, error, plan.to_dict())
            seen["ok" if accepted else "refused"] += 1
            if accepted:
                assert children_of(plan.deleted) == deleted, (t, sql, plan.to_dict())
                assert children_of(plan.updated) == changed, (t, sql, plan.to_dict())
        else:
            with refint.connect(db.url) as conn:
                texts = [script(conn.order(p), conn.engine) for p in ("delete", "drop")]
            conn2 = db.dbapi()
            conn2.autocommit = False
            try:
                for text in texts:
                    body = [s for s in text.split(";\n") if s.strip() and not s.startswith(("--", "BEGIN", "COMMIT"))]
                    try:
                        for stmt in body:
                            conn2.execute(stmt)
                        if "DROP" in text:
                            left = conn2.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                                                 "n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
                                                 "c.relkind IN ('r', 'p')").fetchone()[0]
                            assert left == 0, text
                        else:
                            for name in t.tables() + [c for c, *_ in t.keys]:
                                assert conn2.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 0, (name, text)
                    finally:
                        conn2.rollback()
            finally:
                conn2.close()
                db._conns.remove(conn2)

    example()
    if verb == "plan":
        print(f"partition plans compared: {seen}")
