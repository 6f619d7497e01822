"""The UPDATE half of ``refint plan``: which keys an UPDATE changes and what each foreign key does then.

The old and new values of every referred key are computed by the engine itself (the user's assignment
expressions are evaluated in a SELECT), so the plan never guesses how an expression evaluates. The key
set a table holds *after* the statement (untouched rows plus the new values of updated rows) is what
NO ACTION is checked against: PostgreSQL and SQLite accept an update whose old key is provided again by
another row of the same statement, RESTRICT does not (docs/plan.md). How the changes travel through ON
UPDATE actions, level by level, is src/refint/plan_ripple.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refint.model import Schema, Table
from refint.plan.base import Blocked, Plan, Rules, Step, _Builder, _label

if TYPE_CHECKING:
    from refint.engines.base import Engine


class UpdatePlanner:
    def __init__(self, engine: Engine, schema: Schema, target: Table, pred: str, sets: dict[str, str],
                 rules: Rules, sample: int) -> None:
        self.b = _Builder(engine, schema)
        self.engine, self.schema, self.target, self.base, self.sets = engine, schema, target, pred, sets
        self.rules, self.sample_n = rules, sample
        self.params: dict[str, Any] = {}
        self.notes: list[str] = []
        self.blocked: list[Blocked] = []
        self.deferred: list[Blocked] = []
        self.order_dep: list[Blocked] = []

    def label(self, t: Table) -> str:
        return _label(t, self.schema)

    def run(self) -> Plan:
        from refint.plan.ripple import Ripple

        t = self.target
        rows = self.b.count(t, self.base, self.params)
        updated: dict[str, int] = {self.label(t): rows}
        steps: list[Step] = []
        deleted: dict[str, int] = {}
        if rows:
            from refint.plan.partitions import moves

            ripple = Ripple(self)
            ripple.propagate()
            ripple.effects(steps, updated)
            deleted = moves(self, ripple, steps, updated)
        if self.rules.per_connection:
            self.notes.append("SQLite enforces these keys only on connections with PRAGMA foreign_keys=ON")
        return Plan("update", self.label(t), rows, deleted, updated, tuple(self.blocked), tuple(steps),
                    tuple(self.deferred), tuple(self.order_dep), tuple(self.notes), t.schema)
