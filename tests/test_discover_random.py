"""Random schemas with planted, undeclared keys (hypothesis, few examples, small data): every planted key
with clean data is found with a high score (composite and self-referencing ones among them), the
small-domain columns that fit every integer key by chance are not reported, and an approximate key is
found with the orphan count a naive query gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refint

NOUNS = ["customer", "order", "group", "line item", "Mixed Case", "학생", "supplier", "warehouse", "key",
         "region", "account", "product", "user"]


def q(engine: str, name: str) -> str:
    return "`" + name.replace("`", "``") + "`" if engine == "mariadb" else '"' + name.replace('"', '""') + '"'


@st.composite
def schemas(draw: Any) -> dict[str, Any]:
    nouns = draw(st.lists(st.sampled_from(NOUNS), min_size=2, max_size=4, unique=True))
    sizes = {n: draw(st.integers(20, 60)) for n in nouns}
    refs = []  # (child noun, parent noun)
    for child in nouns:
        for parent in nouns:
            if parent != child and draw(st.booleans()):
                refs.append((child, parent))
    if not refs:
        refs.append((nouns[0], nouns[1]))
    return {"nouns": nouns, "sizes": sizes, "refs": refs, "tree": draw(st.sampled_from(nouns)),
            "lines": draw(st.sampled_from(nouns)), "orphans": draw(st.integers(1, 3)), "seed": draw(st.integers(0, 99))}


def build(db: Any, spec: dict[str, Any]) -> None:
    e = db.engine
    text = "VARCHAR(40)"
    stmts = []
    for n in spec["nouns"]:
        cols = [f"{q(e, n + '_id')} INTEGER PRIMARY KEY", f"label {text}", "rank_no INTEGER"]
        cols += [f"{q(e, p + '_id')} INTEGER" for c, p in spec["refs"] if c == n]
        if n == spec["tree"]:
            cols.append("parent_id INTEGER")
        stmts.append(f"CREATE TABLE {q(e, n)} ({', '.join(cols)})")
    lines = spec["lines"]
    stmts.append(f"CREATE TABLE {q(e, lines + ' lines')} ({q(e, lines + '_id')} INTEGER NOT NULL, line_no INTEGER "
                 f"NOT NULL, PRIMARY KEY ({q(e, lines + '_id')}, line_no))")
    stmts.append(f"CREATE TABLE {q(e, lines + ' shipments')} (shipment_no INTEGER PRIMARY KEY, "
                 f"{q(e, lines + '_id')} INTEGER, line_no INTEGER)")
    # a tiny table: the small-domain rank_no columns (1..3) fit its 4 ids and cover most of them
    stmts.append(f"CREATE TABLE tier (tier_id INTEGER PRIMARY KEY, label {text})")
    stmts.append("INSERT INTO tier VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')")
    seed, sizes = spec["seed"], spec["sizes"]
    for n in spec["nouns"]:
        parents = [p for c, p in spec["refs"] if c == n]
        rows = []
        for i in range(1, sizes[n] + 1):
            row = [str(i), f"'{n[:3]}{i}'", str(1 + (i + seed) % 3)]
            row += [str(1 + (i + seed) % sizes[p]) for p in parents]
            if n == spec["tree"]:
                row.append("NULL" if i <= 2 else str(1 + (i * 5 + seed) % (i - 1)))
            rows.append(f"({', '.join(row)})")
        stmts.append(f"INSERT INTO {q(e, n)} VALUES {', '.join(rows)}")
    stmts.append(f"INSERT INTO {q(e, lines + ' lines')} VALUES "
                 + ", ".join(f"({1 + i // 2}, {i % 2})" for i in range(2 * sizes[lines])))
    stmts.append(f"INSERT INTO {q(e, lines + ' shipments')} VALUES "
                 + ", ".join(f"({i}, {1 + (i * 3 + seed) % sizes[lines]}, {i % 2})" for i in range(1, 41)))
    # an approximate key: a few rows of the first reference point at a parent that does not exist
    child, parent = spec["refs"][0]
    stmts.append(f"UPDATE {q(e, child)} SET {q(e, parent + '_id')} = 9999 WHERE {q(e, child + '_id')} <= "
                 f"{spec['orphans']}")
    db.run(";\n".join(stmts) + ";")


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_planted_keys_random(make_db: Any, engine: str) -> None:
    @settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(spec=schemas())
    def run(spec: dict[str, Any]) -> None:
        db = make_db(engine)
        build(db, spec)
        with refint.connect(db.url) as conn:
            found = conn.discover(max_orphans=0.2)
        got = {(f.table, f.columns): f for f in found.findings}
        lines = spec["lines"]
        planted = {(c, (p + "_id",)): (p, (p + "_id",)) for c, p in spec["refs"]}
        planted[(spec["tree"], ("parent_id",))] = (spec["tree"], (spec["tree"] + "_id",))
        planted[(lines + " lines", (lines + "_id",))] = (lines, (lines + "_id",))
        planted[(lines + " shipments", (lines + "_id", "line_no"))] = (lines + " lines", (lines + "_id", "line_no"))
        for (table, cols), (parent, pcols) in planted.items():
            f = got.get((table, cols))
            assert f is not None, (table, cols, spec)
            assert (f.referred_table, f.referred_columns) == (parent, pcols)
            assert f.score >= 0.6
        # chance inclusions (1..3 fits every key) are not reported
        assert not [k for k in got if k[1] == ("rank_no",)]
        child, parent = spec["refs"][0]
        orphans = db.query(f"SELECT count(*) FROM {q(engine, child)} c WHERE NOT EXISTS (SELECT 1 FROM "
                           f"{q(engine, parent)} p WHERE p.{q(engine, parent + '_id')} = c.{q(engine, parent + '_id')})")
        assert got[(child, (parent + "_id",))].orphan_rows == orphans[0][0] == spec["orphans"]
        extra = set(got) - set(planted) - {(lines + " shipments", (lines + "_id",))}
        assert not extra, extra

    run()
