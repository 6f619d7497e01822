"""Property test: random schemas built on the real engines inspect exactly as they were declared.

Hypothesis draws a schema spec (tests/schemagen.py), the test writes it as each engine's DDL, runs it
on a fresh database, and compares refint's model with the spec: every table, column, NOT NULL, primary
key, unique set, check name, and every foreign key's name, columns, referred table and columns, actions,
MATCH and deferrability.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import refint
from tests.conftest import SPARK_ENGINES
from tests.schemagen import SchemaSpec, ddl, effective_nullable, schemas

EXAMPLES = int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "25"))


def reported_action(engine: str, action: str | None) -> str:
    """What the engine's catalog can tell us. MariaDB stores a declared RESTRICT and an undeclared
    action alike (INNODB_SYS_FOREIGN.TYPE 0, no clause in SHOW CREATE TABLE); refint reports both as
    the CONTRACT's default, NO ACTION, which InnoDB treats identically."""
    if action is None or (engine == "mariadb" and action == "RESTRICT"):
        return "NO ACTION"
    return action


def expected(engine: str, spec: SchemaSpec) -> dict[str, Any]:
    out = {}
    for t in spec.tables:
        out[t.name] = {
            "columns": [(c.name, effective_nullable(engine, t, c.name)) for c in t.columns],
            "pk": list(t.pk),
            "pk_name": t.pk_name if engine != "mariadb" else ("PRIMARY" if t.pk else None),
            "uniques": sorted((name, list(cols)) for name, cols in t.uniques),
            "checks": sorted(name for name, _ in t.checks),
            "fks": sorted(
                (fk.name, list(fk.columns), fk.parent, list(fk.parent_columns), reported_action(engine, fk.on_delete),
                 reported_action(engine, fk.on_update), "FULL" if fk.match_full else "SIMPLE", fk.deferrable,
                 fk.initially_deferred)
                for fk in t.fks),
        }
    return out


def actual(schema: refint.model.Schema) -> dict[str, Any]:  # type: ignore[name-defined]
    out = {}
    for t in schema.tables:
        out[t.name] = {
            "columns": [(c.name, c.nullable) for c in t.columns],
            "pk": list(t.primary_key.columns) if t.primary_key else [],
            "pk_name": t.primary_key.name if t.primary_key else None,
            "uniques": sorted((u.name, list(u.columns)) for u in t.unique if not u.index),
            "checks": sorted(c.name for c in t.checks),
            "fks": sorted(
                (fk.name, list(fk.columns), fk.referred_table, list(fk.referred_columns), fk.on_delete.value,
                 fk.on_update.value, fk.match.value, fk.deferrable, fk.initially_deferred)
                for fk in t.foreign_keys),
        }
    return out


def reset(db: Any) -> None:
    if db.engine == "postgresql":
        db.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    elif db.engine == "mariadb":
        db.run(f"DROP DATABASE `{db.name}`; CREATE DATABASE `{db.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    elif db.engine == "sqlite":
        assert db.path is not None
        db.path.unlink()
        db.path.touch()
    elif db.engine in SPARK_ENGINES:
        from tests.spark_db import reset as reset_spark

        reset_spark(db)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_random_schemas_inspect_as_declared(make_db: Any, engine: str) -> None:
    db = make_db(engine)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(spec=schemas(engine))
    def roundtrip(spec: SchemaSpec) -> None:
        reset(db)
        statements = ddl(engine, spec)
        db.run(";\n".join(statements) + ";")
        with refint.connect(db.url) as conn:
            got = actual(conn.inspect())
        for t in spec.tables:  # an undeclared PK name is the engine's to choose (PostgreSQL: <table>_pkey)
            if t.pk_name is None and engine == "postgresql" and t.name in got:
                got[t.name]["pk_name"] = None
        assert got == expected(engine, spec), "\n".join(statements)

    roundtrip()
