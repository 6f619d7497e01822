"""The UPDATE half of ``refint plan``: which keys an UPDATE changes and what each foreign key does then.

The old and new values of every referred key are computed by the engine itself (the user's assignment
expressions are evaluated in a SELECT), so the plan never guesses how an expression evaluates. The key
set a table holds *after* the statement (untouched rows plus the new values of updated rows) is what
NO ACTION is checked against: PostgreSQL and SQLite accept an update whose old key is provided again by
another row of the same statement, RESTRICT does not (docs/plan.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refint.model import Action, ForeignKey, Schema, Table
from refint.plan import Blocked, Plan, Rules, Step, _Builder, _effective, _is_deferred, _label, _not, _or
from refint.plan_keys import Findings, changed_rows, check_new_values

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
        self.end_keys: dict[tuple[str, ...], str] = {}
        self.writers: dict[tuple[str | None, str], int] = {}

    def label(self, t: Table) -> str:
        return _label(t, self.schema)

    def new(self, col: str) -> str:
        return f"({self.sets[col]})" if col in self.sets else self.b.q(col)

    def distinct(self, cols: tuple[str, ...]) -> str:
        parts = []
        for c in cols:
            a, n = self.b.q(c), self.new(c)
            if self.engine.name == "sqlite":
                parts.append(f"{a} IS NOT {n}")
            elif self.engine.name in ("mysql", "mariadb"):
                parts.append(f"NOT ({a} <=> {n})")
            else:
                parts.append(f"{a} IS DISTINCT FROM {n}")
        return "(" + " OR ".join(parts) + ")"

    def ends(self, cols: tuple[str, ...]) -> str:
        """CTE: the values of ``cols`` the target holds after the statement."""
        if cols not in self.end_keys:
            src = self.engine.from_table(self.target)
            old = ", ".join(self.b.q(c) for c in cols)
            new = ", ".join(self.new(c) for c in cols)
            self.end_keys[cols] = self.b.cte(f"SELECT {old} FROM {src} WHERE {_not(self.base)} "
                                             f"UNION ALL SELECT {new} FROM {src} WHERE {self.base}")
        return self.end_keys[cols]

    def run(self) -> Plan:
        from refint.plan_ripple import Ripple

        b, t = self.b, self.target
        rows = b.count(t, self.base, self.params)
        updated: dict[str, int] = {self.label(t): rows}
        steps: list[Step] = []
        if rows:
            ripple = Ripple(self)
            ripple.propagate()
            ripple.effects(steps, updated)
        if self.rules.per_connection:
            self.notes.append("SQLite enforces these keys only on connections with PRAGMA foreign_keys=ON")
        return Plan("update", self.label(t), rows, {}, updated, tuple(self.blocked), tuple(steps),
                    tuple(self.deferred), tuple(self.order_dep), tuple(self.notes), t.schema)

    def incoming(self, child: Table, fk: ForeignKey, steps: list[Step], touched: dict[str, list[str]]) -> None:
        b, t, rules = self.b, self.target, self.rules
        ref = fk.referred_columns
        not_null = " AND ".join(f"{b.q(c)} IS NOT NULL" for c in ref)
        changed = b.cte(f"SELECT {', '.join(b.q(c) for c in ref)} FROM {self.engine.from_table(t)} "
                        f"WHERE {self.base} AND {self.distinct(ref)} AND {not_null}")
        hit = b.refers(fk, changed)
        n = b.count(child, hit, self.params)
        if not n:
            return
        action = _effective(fk.on_update, rules)
        name = fk.name
        if child.key == t.key:
            self.notes.append(f"not followed: {name} refers to {self.label(t)} itself; rows updated by both the "
                              "statement and the action are not modelled")
        if action in (Action.CASCADE, Action.SET_NULL, Action.SET_DEFAULT):
            steps.append(Step(self.label(child), name, action.value, n, self.label(t),
                              b.sample(child, hit, self.params, self.sample_n)))
            touched.setdefault(self.label(child), []).append(hit)
            for other in child.foreign_keys:
                if other is not fk and set(other.columns) & set(fk.columns) and action is not Action.SET_NULL:
                    self.notes.append(f"not followed: {name} writes columns of {_label(child, self.schema)} that "
                                      f"{other.name} also checks")
            for grand, gfk in self.schema.referencing(child):
                if set(gfk.referred_columns) & set(fk.columns):
                    self.notes.append(f"not followed: {self.label(child)} key columns changed by {name} are "
                                      f"referred to by {gfk.name} on {self.label(grand)}")
            if action is not Action.CASCADE:
                self.check_set(child, fk, action, n)
            if child.key != t.key:
                self.child_values(child, fk, action, hit)
            return
        end = self.ends(ref)
        still = f"({hit}) AND {_not(f'{b.cols(fk.columns)} IN (SELECT * FROM {end})')}"
        left = b.count(child, still, self.params)
        deferred = action is Action.NO_ACTION and _is_deferred(fk, rules)
        reason = f"rows of {self.label(child)} still refer to changed keys of {self.label(t)} ({action.value})"
        if left:
            if deferred:
                self.deferred.append(Blocked(name, self.label(child), left, reason, "commit"))
            else:
                self.blocked.append(Blocked(name, self.label(child), left, reason))
        elif not deferred:
            if rules.row_by_row:
                self.order_dep.append(Blocked(name, self.label(child), n, "old keys are provided again by other rows "
                                              "of the statement; row-by-row checks depend on row order"))
            elif action is Action.RESTRICT and rules.restrict_no_reprovision:
                self.blocked.append(Blocked(name, self.label(child), n, f"RESTRICT: rows of {self.label(child)} "
                                            "referred to the old keys"))

    def new_values(self, table: Table, new: dict[str, str], source: str, untouched: str,
                   qualifier: str = "", not_null: bool = True) -> None:
        """PRIMARY KEY / UNIQUE / NOT NULL / CHECK on the new values of ``table``'s changed rows."""
        found = Findings()
        chg = changed_rows(self.b, table, new, source, qualifier)
        check_new_values(self.b, self.rules, table, self.label(table), chg, untouched, set(new), found,
                         not_null=not_null)
        self.blocked += found.blocked
        self.deferred += found.deferred
        self.order_dep += found.order_dep
        self.notes += [n for n in found.notes if n not in self.notes]

    def child_values(self, child: Table, fk: ForeignKey, action: Action, hit: str) -> None:
        """The child rows an ON UPDATE action rewrites must satisfy the child's own keys and checks."""
        b, t = self.b, self.target
        note = (f"not followed: several ON UPDATE actions write rows of {self.label(child)}; its keys and "
                "checks are predicted per action only")
        if self.writers.get(child.key, 0) > 1 and note not in self.notes:
            self.notes.append(note)
        src = self.engine.from_table(child)
        if action is Action.CASCADE:
            ref = fk.referred_columns
            olds = ", ".join(f"{b.q(c)} AS refint_mo{j}" for j, c in enumerate(ref))
            news = ", ".join(f"{self.new(c)} AS refint_mn{j}" for j, c in enumerate(ref))
            not_null = " AND ".join(f"{b.q(c)} IS NOT NULL" for c in ref)
            m = b.cte(f"SELECT {olds}, {news} FROM {self.engine.from_table(t)} "
                      f"WHERE {self.base} AND {self.distinct(ref)} AND {not_null}")
            on = " AND ".join(f"refint_c.{b.q(c)} = {m}.refint_mo{j}" for j, c in enumerate(fk.columns))
            new = {c: f"{m}.refint_mn{j}" for j, c in enumerate(fk.columns)}
            self.new_values(child, new, f"FROM {src} AS refint_c JOIN {m} ON {on}", _not(hit), "refint_c.")
            return
        cols = [child.column(c) for c in fk.columns]
        if action is Action.SET_NULL:
            new = {c.name: "NULL" for c in cols}
        elif all(c.default is not None for c in cols):
            new = {c.name: str(c.default) for c in cols}
        else:
            return  # a NULL default into NOT NULL: check_set reports it
        self.new_values(child, new, f"FROM {src} WHERE {hit}", _not(hit), not_null=False)

    def check_set(self, child: Table, fk: ForeignKey, action: Action, n: int) -> None:
        cols = [child.column(c) for c in fk.columns]
        defaults = [c.default if action is Action.SET_DEFAULT else None for c in cols]
        for c, d in zip(cols, defaults):
            if d is None and not c.nullable:
                self.blocked.append(Blocked(fk.name, self.label(child), n, f"{action.value} would put NULL into "
                                            f"NOT NULL column {c.name}"))
                return
        if action is Action.SET_DEFAULT and all(d is not None for d in defaults):
            parent = self.schema.get(fk.referred)
            assert parent is not None
            tup = ", ".join(f"({d})" for d in defaults)
            tup = tup if len(defaults) == 1 else f"({tup})"
            end = self.ends(fk.referred_columns)
            probe = f"SELECT count(*) FROM {end} WHERE {self.b.cols(fk.referred_columns)} = {tup}"
            found = int(self.engine.exec(self.b.with_() + probe, self.params).scalar() or 0)
            if not found:
                at = "commit" if _is_deferred(fk, self.rules) else "statement"
                rec = Blocked(fk.name, self.label(child), n, f"SET DEFAULT lands on a key with no row in "
                              f"{self.label(parent)}", at)
                (self.deferred if at == "commit" else self.blocked).append(rec)

    def outgoing(self, fk: ForeignKey) -> None:
        """The target's own keys: new values must have a parent once the statement is done."""
        b, t = self.b, self.target
        parent = self.schema.get(fk.referred)
        if parent is None:
            return
        new = [self.new(c) for c in fk.columns]
        tup = new[0] if len(new) == 1 else "(" + ", ".join(new) + ")"
        if parent.key == t.key:
            keys = f"SELECT * FROM {self.ends(fk.referred_columns)}"
        else:
            keys = f"SELECT {', '.join(b.q(c) for c in fk.referred_columns)} FROM {self.engine.from_table(parent)}"
        not_null = " AND ".join(f"{n} IS NOT NULL" for n in new)
        bad = f"{self.base} AND {self.distinct(fk.columns)} AND {not_null} AND {_not(f'{tup} IN ({keys})')}"
        n = b.count(t, bad, self.params)
        if n:
            at = "commit" if _is_deferred(fk, self.rules) else "statement"
            rec = Blocked(fk.name, self.label(t), n, f"new values of {', '.join(fk.columns)} have no row in "
                          f"{self.label(parent)}", at)
            (self.deferred if at == "commit" else self.blocked).append(rec)
