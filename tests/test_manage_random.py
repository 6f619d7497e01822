"""Property test: on random schemas (tests/schemagen.py), dropping every foreign key with refint and adding
each back with refint gives back exactly the schema the engine had, as refint's inspect reads it.

On SQLite this exercises the table rebuild on names that bite (quotes, spaces, Korean, reserved words,
60-character names), composite and self-referencing keys, CHECK/UNIQUE constraints beside them, and
key clauses written on columns or as table constraints.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import refint
from tests.schemagen import SchemaSpec, ddl, schemas
from tests.test_inspect_random import reset

EXAMPLES = int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "20"))


def spec_name(name: str, cols: tuple[str, ...]) -> str:
    quoted = lambda n: '"' + n.replace('"', '""') + '"'  # noqa: E731
    return quoted(name) + "(" + ", ".join(quoted(c) for c in cols) + ")"


def drop_and_re_add(conn: Any, keys: list[Any]) -> Any:
    """Drop every key with refint, then add each back with refint in the order given; the schema after."""
    for t, fk in keys:
        assert conn.drop_foreign_key(t.name, fk.name or "").applied
    assert not conn.refresh().foreign_keys
    for t, fk in keys:
        result = conn.add_foreign_key(
            spec_name(t.name, fk.columns), spec_name(fk.referred_table, fk.referred_columns), name=fk.name,
            on_delete=fk.on_delete, on_update=fk.on_update, match=fk.match, deferrable=fk.deferrable,
            initially_deferred=fk.initially_deferred)
        assert result.applied, result.message
    return conn.refresh()


def comparable(schema: Any, db_name: str) -> str:
    """The whole inspect document; MariaDB's schema name is the (random) database name, and InnoDB names
    the index it creates implicitly for a key after whichever key it created it for, so on MariaDB
    index names are left out (their columns are compared)."""
    data = schema.to_dict()
    if schema.engine == "mariadb":
        for t in data["tables"]:
            t["indexes"] = sorted((ix["columns"], ix["unique"]) for ix in t["indexes"])
    return json.dumps(data, sort_keys=True).replace(db_name, "DB")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_drop_and_re_add_every_key_gives_back_the_schema(make_db: Any, engine: str) -> None:
    db = make_db(engine)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(spec=schemas(engine, max_tables=3))
    def roundtrip(spec: SchemaSpec) -> None:
        reset(db)
        statements = ddl(engine, spec)
        db.run(";\n".join(statements) + ";")
        with refint.connect(db.url) as conn:
            before = conn.inspect()
            after = drop_and_re_add(conn, list(reversed(before.foreign_keys)))
        assert comparable(after, db.name) == comparable(before, db.name), "\n".join(statements)
        if engine == "sqlite":
            assert db.query("PRAGMA integrity_check") == [("ok",)]

    roundtrip()
