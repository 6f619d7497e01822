"""Property test: planted violations are reported exactly, with the right counts, and nothing else.

Random schemas (tests/schemagen.py) get random rows loaded the way users get bad data into real engines:
SQLite with foreign_keys off and ignore_check_constraints on; PostgreSQL with the keys and checks added
NOT VALID after the load; MariaDB with FOREIGN_KEY_CHECKS=0 and check_constraint_checks=0. The expected
violations are computed in Python from the rows themselves, an oracle independent of refint's SQL.

On Spark (files and catalog tables, tests/spark_db.py) nothing is enforced and nothing declared: the
rows may break every key, NULLs and duplicates in primary keys and uniques included, and the keys come
from a relations file written from the spec (CHECKs have no place there, so none are checked). The
report must also equal, row for row, the DuckDB engine's on the same Parquet files.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from refint.relations import load_relations_file
from tests.conftest import SPARK_ENGINES
from tests.schemagen import ColSpec, SchemaSpec, TableSpec, effective_nullable, fk_clause, quote, schemas
from tests.spark_db import as_files, duckdb_twin
from tests.test_inspect_random import reset

EXAMPLES = int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "25"))
#: each Spark example loads its tables and runs a few Spark jobs per key: a handful is what CI can afford
SPARK_EXAMPLES = min(EXAMPLES, int(os.environ.get("REFINT_HYPOTHESIS_SPARK_EXAMPLES", "6")))
CHECK_FLOOR = -1000  # schemagen's checks are CHECK (col > -1000)
VALUES = [None, 0, 1, 2, 3, -2000]


@st.composite
def datasets(draw: st.DrawFn, engine: str, spec: SchemaSpec) -> dict[str, list[dict[str, Any]]]:
    """Rows per table that respect what the engines always enforce: NOT NULL, PRIMARY KEY, UNIQUE
    (on Spark, which enforces nothing, any rows)."""
    spark = engine in SPARK_ENGINES
    data: dict[str, list[dict[str, Any]]] = {}
    for t in spec.tables:
        rows: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(0, 8))):
            row = {}
            for c in t.columns:
                nullable = spark or effective_nullable(engine, t, c.name)
                row[c.name] = draw(st.sampled_from(VALUES if nullable else VALUES[1:]))
            if spark or _fits(t, rows, row):
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
        if engine in SPARK_ENGINES:
            found += _spark_keys(t, rows)
            continue
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


def _spark_keys(t: TableSpec, rows: list[dict[str, Any]]) -> Counter[Any]:
    """A primary key or unique from a relations file: its rows with a NULL (primary key: per column) and
    its rows whose non-NULL key is also another row's. Names: ``T_pkey``, ``T_a_b_key`` (docs/check.md)."""
    found: Counter[Any] = Counter()
    keys = [("primary_key", f"{t.name}_pkey", t.pk)] if t.pk else []
    keys += [("unique", f"{t.name}_{'_'.join(cols)}_key", cols) for _, cols in t.uniques]
    for kind, name, cols in keys:
        if kind == "primary_key":
            for c in cols:
                found[(kind, t.name, name, (c,))] += sum(1 for r in rows if r[c] is None)
        seen = Counter(tuple(r[c] for c in cols) for r in rows if all(r[c] is not None for c in cols))
        found[(kind, t.name, name, tuple(cols))] += sum(n for n in seen.values() if n > 1)
    return +found


def relations_toml(spec: SchemaSpec) -> str:
    """The spec's keys as a relations file; every name double-quoted in the specs, JSON-escaped in TOML."""
    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def cols(names: tuple[str, ...]) -> str:
        return "(" + ", ".join(q(c) for c in names) + ")"

    out = []
    for t in spec.tables:
        if t.pk or t.uniques:
            out.append(f"[tables.{json.dumps(q(t.name), ensure_ascii=False)}]")
        if t.pk:
            out.append(f"primary_key = {json.dumps(list(t.pk), ensure_ascii=False)}")
        if t.uniques:
            out.append(f"unique = {json.dumps([list(c) for _, c in t.uniques], ensure_ascii=False)}")
    for t in spec.tables:
        for fk in t.fks:
            parent = q(fk.parent) + ("" if fk.omit_columns else cols(fk.parent_columns))
            relation = q(t.name) + cols(fk.columns) + " -> " + parent
            out += ["[[relations]]", f"relation = {json.dumps(relation, ensure_ascii=False)}",
                    f"name = {json.dumps(fk.name, ensure_ascii=False)}"]
            if fk.match_full:
                out.append('match = "FULL"')
    return "\n".join(out) + "\n"


def load(db: Any, engine: str, spec: SchemaSpec, data: dict[str, list[dict[str, Any]]]) -> None:
    if engine in SPARK_ENGINES:  # plain tables in the staging copy, no key anywhere (tests/spark_db.py)
        engine = "duckdb"
        spec = SchemaSpec([TableSpec(t.name, [ColSpec(c.name, True, c.text) for c in t.columns])
                           for t in spec.tables])
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


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb", *SPARK_ENGINES])
def test_planted_violations_are_reported_exactly(make_db: Any, engine: str, tmp_path: Path) -> None:
    db = make_db(engine)
    spark = engine in SPARK_ENGINES

    # on Spark no shrinking either: minutes of Spark jobs for a smaller example of a failure already shown
    @settings(max_examples=SPARK_EXAMPLES if spark else EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.reuse, Phase.generate] if spark else list(Phase),
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def roundtrip(data: st.DataObject) -> None:
        spec = data.draw(schemas(engine))
        rows = data.draw(datasets(engine, spec))
        reset(db)
        load(db, engine, spec, rows)
        relations = None
        if spark:
            (tmp_path / "relations.toml").write_text(relations_toml(spec), encoding="utf-8")
            relations = load_relations_file(tmp_path / "relations.toml")
        with db.connect() as conn:
            report = conn.check(sample=3, relations=relations)
        if spark:  # the DuckDB engine on the same files: the same report, row for row
            with duckdb_twin(db) as duck:
                assert as_files(report.to_dict()) == duck.check(sample=3, relations=relations).to_dict()
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
