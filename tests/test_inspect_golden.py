"""Golden cases: tests/cases/<name>/schema[.<engine>].sql -> expected.json, on every engine listed.

``expected.json`` was written by hand from the DDL (not produced by refint). Only the fields it names
are compared; a per-engine object inside a foreign key (e.g. ``"mariadb": {...}``) overrides fields
for that engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import refint

CASES = Path(__file__).parent / "cases"
ENGINES = ["sqlite", "postgresql", "mariadb", "duckdb"]


def cases() -> list[Any]:
    out = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        expected = json.loads((case / "expected.json").read_text())
        for engine in ENGINES:
            marks = [] if engine in expected["engines"] else [pytest.mark.skip(reason=f"not a {engine} case")]
            out.append(pytest.param(case, engine, id=f"{case.name}-{engine}", marks=marks))
    return out


def schema_sql(case: Path, engine: str) -> str:
    specific = case / f"schema.{engine}.sql"
    return (specific if specific.exists() else case / "schema.sql").read_text()


def compare_fk(engine: str, want: dict[str, Any], got: dict[str, Any]) -> None:
    want = {**want, **want.get(engine, {})}
    for key, value in want.items():
        if key in ENGINES:
            continue
        assert got[key] == value, f"{got.get('name')}.{key}"


@pytest.mark.parametrize(("case", "engine"), cases())
def test_golden(make_db: Any, case: Path, engine: str) -> None:
    expected = json.loads((case / "expected.json").read_text())
    db = make_db(engine)
    sql = schema_sql(case, engine)
    if engine == "mariadb":
        sql = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES');\n" + sql
    db.run(sql)
    with refint.connect(db.url) as conn:
        data = conn.inspect().to_dict()
    assert data["engine"] == engine
    got_tables = {(t["name"]): t for t in data["tables"]}
    assert sorted(got_tables) == sorted(t["name"] for t in expected["tables"])
    # CONTRACT: tables sorted by (schema, name)
    keys = [(t["schema"] or "", t["name"]) for t in data["tables"]]
    assert keys == sorted(keys)
    for want in expected["tables"]:
        got = got_tables[want["name"]]
        if "schema" in want:
            assert got["schema"] == want["schema"]
        for field in ("kind",):
            if field in want:
                assert got[field] == want[field]
        if "parent" in want:
            assert [got["parent"]["schema"], got["parent"]["table"]] == want["parent"]
        assert [[c["name"], c["nullable"]] for c in got["columns"]] == want["columns"]
        pk = got["primary_key"]
        assert (pk["columns"] if pk else None) == want["primary_key"]
        unnamed = engine in expected.get("engines_without_constraint_names", [])
        if "unique" in want:
            got_u = [[u["name"], u["columns"]] for u in got["unique"] if not u["index"]]
            if unnamed:  # DuckDB generates its own names: compare the column sets
                assert sorted(u[1] for u in got_u) == sorted(u[1] for u in want["unique"])
            else:
                assert got_u == want["unique"]
        names = [fk["name"] for fk in got["foreign_keys"]]
        assert names == sorted(names), "CONTRACT: constraints sorted by name"
        assert len(got["foreign_keys"]) == len(want["foreign_keys"])
        if unnamed:
            # the engine keeps no FK names (DuckDB): match keys by their columns instead
            by_cols = {tuple(fk["columns"]): fk for fk in got["foreign_keys"]}
            for fk in want["foreign_keys"]:
                found = by_cols[tuple(fk["columns"])]
                compare_fk(engine, {k: v for k, v in fk.items() if k != "name"}, found)
        else:
            by_name = {fk["name"]: fk for fk in got["foreign_keys"]}
            for fk in want["foreign_keys"]:
                compare_fk(engine, fk, by_name[fk["name"]])
