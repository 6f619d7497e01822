"""The plan's promise (docs/plan.md): ``ok`` is false whenever ``certain`` is, over random plans."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from refint.plan import Blocked, Plan

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
