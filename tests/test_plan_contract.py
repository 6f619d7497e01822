"""The plan's promise (docs/plan.md): ``ok`` is false whenever ``certain`` is, over random plans."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import refint
from refint.plan import Blocked, Plan
from tests.test_plan_random import run_for_real
from tests.test_plan_rules import spec_of

blocks = st.lists(st.builds(Blocked, st.sampled_from(["fk_a", None]), st.just("t"), st.integers(0, 3)),
                  max_size=2).map(tuple)
notes = st.lists(st.sampled_from(["not followed: x", "SQLite enforces these keys only ...", "other"]),
                 max_size=3).map(tuple)
plans = st.builds(Plan, st.sampled_from(["delete", "update"]), st.just("t"), st.integers(0, 5),
                  st.just({}), st.just({}), blocked_by=blocks, deferred_checks=blocks, order_dependent=blocks,
                  notes=notes)


@settings(max_examples=60, deadline=None)
@given(plan=plans)
def test_ok_is_false_whenever_certain_is(plan: Plan) -> None:
    d = plan.to_dict()
    if not d["certain"]:
        assert not d["ok"]
    # and ok means: nothing blocks, nothing depends on order, and every effect was followed
    assert d["ok"] == (not d["blocked_by"] and not d["order_dependent"] and d["certain"])
    assert d["certain"] == (not d["order_dependent"] and not any(n.startswith("not followed") for n in d["notes"]))


def test_an_effect_not_followed_is_not_ok(make_db: Any) -> None:
    """SET NULL of a key column another key refers to is not followed: the plan is uncertain, so not ok
    (exit 1, said so in the table), and the engine indeed rejects this one (g still refers to c's key)."""
    db = make_db("sqlite")
    db.run("CREATE TABLE p (id INTEGER PRIMARY KEY);"
           "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER UNIQUE REFERENCES p (id) ON DELETE SET NULL);"
           "CREATE TABLE g (id INTEGER PRIMARY KEY, cp INTEGER REFERENCES c (pid));"
           "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1); INSERT INTO g VALUES (1, 1)")
    with refint.connect(db.url) as conn:
        plan = conn.plan_delete("p", "id = 1")
    assert not plan.certain and not plan.ok and not plan.order_dependent
    accepted, *_ = run_for_real(db, "sqlite", spec_of(("p", ["id"]), ("c", ["id", "pid"]), ("g", ["id", "cp"])),
                                "DELETE FROM p WHERE id = 1")
    assert not accepted
    out = subprocess.run([sys.executable, "-m", "refint", "plan", "delete", db.url, "p", "--where", "id = 1"],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 1, out.stderr
    assert "not certain" in out.stdout and "not followed" in out.stdout
