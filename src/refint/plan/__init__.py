"""``refint plan``: what a DELETE or UPDATE would do through every foreign key, per the engine's rules.

- :mod:`refint.plan.base`: the rules per engine, the result classes and the SQL builder;
- :mod:`refint.plan.delete`: the entry points and the DELETE planner (cascade graph, SET NULL /
  SET DEFAULT, RESTRICT / NO ACTION blocks);
- :mod:`refint.plan.update`: UPDATE of a table's own rows;
- :mod:`refint.plan.ripple`: ON UPDATE actions followed level by level to any depth;
- :mod:`refint.plan.keys`: PRIMARY KEY / UNIQUE / NOT NULL / CHECK rejections of the new values;
- :mod:`refint.plan.innodb`: InnoDB's fixed orders (keys by id, UPDATE rows by primary key).
"""

from refint.plan.base import MAX_LEVELS, Blocked, Plan, Rules, Step, delete_effect
from refint.plan.delete import plan_delete, plan_update

__all__ = ["MAX_LEVELS", "Blocked", "Plan", "Rules", "Step", "delete_effect", "plan_delete", "plan_update"]
