"""Property test: planted violations are reported exactly, with the right counts, and nothing else.

Random schemas (tests/schemagen.py) get random rows loaded the way users get bad data into real engines:
SQLite with foreign_keys off and ignore_check_constraints on; PostgreSQL with the keys and checks added
NOT VALID after the load; MariaDB with FOREIGN_KEY_CHECKS=0 and check_constraint_checks=0. The expected
violations are computed in Python from the rows themselves, an oracle independent of refint's SQL.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refint
from tests.schemagen import SchemaSpec, TableSpec, effective_nullable, fk_clause, quote, schemas
from tests.test_inspect_random import reset

EXAMPLES = int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "25"))
CHECK_FLOOR = -1000  # schemagen's checks are CHECK (col > -1000)
VALUES = [None, 0, 1, 2, 3, -2000]


@st.composite
def datasets(draw: st.DrawFn, engine: str, spec: SchemaSpec) -> dict[str, list[dict[str, Any]]]:
    """Rows per table that respect what the engines always enforce: NOT NULL, PRIMARY KEY, UNIQUE."""
    data: dict[str, list[dict[str, Any]]] = {}
    for t in spec.tables:
        rows: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(0, 8))):
            row = {}
            for c in t.columns:
                nullable = effective_nullable(engine, t, c.name)
                row[c.name] = draw(st.sampled_from(VALUES if nullable else VALUES[1:]))
            if _fits(t, rows, row):
                rows.append(row)
        data[t.name] = rows
    return data


def _fits(t: TableSpec, rows: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    keys = ([t.pk] if t.pk else []) + [u[1] for u in t.uniques]
    for key in keys:
        values = tuple(row[c] for c in key)
        if None in values:
            continue  # NULLs are distinct
        if any(tuple(r[c] for c in key) == values for r in rows):
            return False
    return True


def expected_violations(engine: str, spec: SchemaSpec, data: dict[str, list[dict[str, Any]]]) -> Counter[Any]:
    found: Counter[Any] = Counter()
    for t in spec.tables:
        rows = data[t.name]
        for fk in t.fks:
            parents = {tuple(r[c] for c in fk.parent_columns) for r in data[fk.parent]}
            n = 0
            for r in rows:
                key = tuple(r[c] for c in fk.columns)
                if None in key:
                    continue  # MATCH SIMPLE; MATCH FULL partly-NULL keys are counted below
                if key not in parents:
                    n += 1
            if n:
                found[("foreign_key", t.name, fk.name, tuple(fk.columns))] += n
            if fk.match_full:
                partial = sum(1 for r in rows if 0 < sum(r[c] is None for c in fk.columns) < len(fk.columns))
                if partial:
                    found[("foreign_key", t.name, fk.name, tuple(fk.columns))] += partial
        for name, col in t.checks:
            n = sum(1 for r in rows if r[col] is not None and r[col] <= CHECK_FLOOR)
            if n:
                found[("check", t.name, name, None)] += n
        if engine == "sqlite" and t.pk:
            for col in t.pk:
                n = sum(1 for r in rows if r[col] is None)
                if n:
                    found[("primary_key", t.name, t.pk_name, (col,))] += n
    return found


def load(db: Any, engine: str, spec: SchemaSpec, data: dict[str, list[dict[str, Any]]]) -> None:
    q = lambda n: quote(engine, n)  # noqa: E731
    create, after = [], []
    for t in spec.tables:
        parts = [f"{q(c.name)} INTEGER" + ("" if c.nullable else " NOT NULL") for c in t.columns]
        if t.pk:
            name = f"CONSTRAINT {q(t.pk_name)} " if t.pk_name else ""
            parts.append(f"{name}PRIMARY KEY (" + ", ".join(q(c) for c in t.pk) + ")")
        for uname, ucols in t.uniques:
            parts.append(f"CONSTRAINT {q(uname)} UNIQUE (" + ", ".join(q(c) for c in ucols) + ")")
        checks = [f"CONSTRAINT {q(n)} CHECK ({q(c)} > {CHECK_FLOOR})" for n, c in t.checks]
        fks = [fk_clause(engine, fk) for fk in t.fks]
        if engine == "sqlite":
            parts += checks + fks
        elif engine == "mariadb":
            parts += checks
            after += [f"ALTER TABLE {q(t.name)} ADD {fk}" for fk in fks]
        else:  # PostgreSQL: keys and checks arrive NOT VALID after the data
            after += [f"ALTER TABLE {q(t.name)} ADD {c} NOT VALID" for c in checks + fks]
        create.append(f"CREATE TABLE {q(t.name)} (" + ", ".join(parts) + ")")
    inserts = []
    for t in spec.tables:
        for r in data[t.name]:
            cols = ", ".join(q(c) for c in r)
            vals = ", ".join("NULL" if v is None else str(v) for v in r.values())
            inserts.append(f"INSERT INTO {q(t.name)} ({cols}) VALUES ({vals})")
    if engine == "sqlite":
        script = ["PRAGMA foreign_keys = OFF", "PRAGMA ignore_check_constraints = ON"] + create + inserts
    elif engine == "mariadb":
        script = ["SET FOREIGN_KEY_CHECKS = 0", "SET check_constraint_checks = 0"] + create + after + inserts
    else:
        script = create + inserts + after
    db.run(";\n".join(script) + ";")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_planted_violations_are_reported_exactly(make_db: Any, engine: str) -> None:
    db = make_db(engine)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def roundtrip(data: st.DataObject) -> None:
        spec = data.draw(schemas(engine))
        rows = data.draw(datasets(engine, spec))
        reset(db)
        load(db, engine, spec, rows)
        with refint.connect(db.url) as conn:
            report = conn.check(sample=3)
        got: Counter[Any] = Counter()
        for v in report.violations:
            cols = tuple(v.columns) if v.kind != "check" else None
            got[(v.kind, v.table, v.constraint, cols)] += v.count
            assert len(v.sample) <= 3
        want = expected_violations(engine, spec, rows)
        assert got == want
        assert report.ok == (not want)
        # every FK sample is a real orphan key of that constraint
        for v in report.violations:
            if v.kind == "foreign_key" and v.message.startswith("Key"):
                t = spec.table(v.table)
                fk = next(f for f in t.fks if f.name == v.constraint)
                parents = {tuple(r[c] for c in fk.parent_columns) for r in rows[fk.parent]}
                for s in v.sample:
                    assert tuple(s[c] for c in fk.columns) not in parents

    roundtrip()
