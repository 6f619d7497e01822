"""Property test: on random schemas (tests/schemagen.py) built on the real engines, the graph has one edge per
declared key, the DOT is accepted by Graphviz, the Mermaid follows the flowchart grammar, and the
structural lint rules agree with an oracle computed from the declared spec (not from refint's model);
every fk-unindexed fix, when run, leaves no unindexed key behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings

import refint
from refint.graph import to_dot, to_mermaid
from tests.schemagen import SchemaSpec, ddl, effective_nullable, schemas
from tests.test_graph import MERMAID_LINE
from tests.test_inspect_random import reset

EXAMPLES = min(12, int(os.environ.get("REFINT_HYPOTHESIS_EXAMPLES", "12")))


def oracle(engine: str, spec: SchemaSpec) -> dict[str, set[tuple[str, str]]]:
    """(table, constraint) per rule, from the spec alone."""
    out: dict[str, set[tuple[str, str]]] = {"fk-unindexed": set(), "fk-set-null-not-nullable": set(),
                                             "fk-composite-partly-nullable": set(), "fk-duplicate": set()}
    for t in spec.tables:
        supports = [t.pk] + [cols for _, cols in t.uniques]
        seen: set[Any] = set()
        for fk in sorted(t.fks, key=lambda f: f.name):
            n = len(fk.columns)
            if engine != "mariadb" and not any(tuple(s[:n]) == tuple(fk.columns) for s in supports if s):
                out["fk-unindexed"].add((t.name, fk.name))
            nullable = [effective_nullable(engine, t, c) for c in fk.columns]
            if "SET NULL" in (fk.on_delete, fk.on_update) and not all(nullable):
                out["fk-set-null-not-nullable"].add((t.name, fk.name))
            if n > 1 and not fk.match_full and any(nullable):
                out["fk-composite-partly-nullable"].add((t.name, fk.name))
            key = (fk.parent, frozenset(zip(fk.columns, fk.parent_columns)))
            if key in seen:
                out["fk-duplicate"].add((t.name, fk.name))
            seen.add(key)
    return out


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_random_schemas_graph_and_lint(make_db: Any, engine: str) -> None:
    db = make_db(engine)
    has_dot = shutil.which("dot") is not None

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(spec=schemas(engine))
    def check(spec: SchemaSpec) -> None:
        reset(db)
        statements = ddl(engine, spec)
        try:
            db.run(";\n".join(statements) + ";")
        except Exception:  # a spec this engine refuses (test_inspect_random owns DDL acceptance): not our input
            reject()
        with refint.connect(db.url) as conn:
            graph = conn.graph()
            report = conn.lint(only=list(oracle(engine, spec)))
        declared = sorted((t.name, fk.name, fk.parent, tuple(fk.columns)) for t in spec.tables for fk in t.fks)
        edges = sorted((e.table.name, e.fk.name, e.fk.referred_table, e.fk.columns) for e in graph.edges)
        assert edges == declared, "\n".join(statements)
        assert all(MERMAID_LINE.match(line) for line in to_mermaid(graph).splitlines())
        if has_dot:
            proc = subprocess.run(["dot", "-Tsvg"], input=to_dot(graph), capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
        got: dict[str, set[tuple[str, str]]] = {rule: set() for rule in oracle(engine, spec)}
        for f in report.findings:
            got[f.rule].add((f.table, f.constraint or ""))
        assert got == oracle(engine, spec), "\n".join(statements)
        unindexed = [f for f in report.findings if f.rule == "fk-unindexed"]
        for fix in sorted({f.fix or "" for f in unindexed}):  # duplicate keys share one fix
            assert fix
            db.run(fix)
        if unindexed:
            with refint.connect(db.url) as conn:
                assert [f for f in conn.lint(only=["fk-unindexed"]).findings] == []

    check()
