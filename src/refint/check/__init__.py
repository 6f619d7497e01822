"""``refint check``: every row that breaks a declared constraint, found by set-based SQL in the engine.

:mod:`refint.check.checker` holds the queries (anti-joins, grouped duplicates, the key-range path) and
the result classes; :func:`check` is what :meth:`refint.Database.check` calls.
"""

from refint.check.checker import KINDS, Checker, CheckReport, Violation, check, jsonable

__all__ = ["KINDS", "CheckReport", "Checker", "Violation", "check", "jsonable"]
