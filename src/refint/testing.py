"""pytest helper: fail a test with a readable list of integrity violations.

    from refint.testing import assert_integrity

    def test_fixtures_are_consistent(db_url):
        assert_integrity(db_url)                       # every constraint
        assert_integrity(db_url, kinds=["foreign_key"], tables=["orders"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from refint.check.checker import CheckReport

if TYPE_CHECKING:
    from refint.relations import Relations


def format_report(report: CheckReport) -> str:
    """The message of assert_integrity's AssertionError: one line per violated constraint, then its sample keys."""
    lines = [f"{len(report.violations)} violated constraints:"]
    for v in report.violations:
        where = f"{v.schema}.{v.table}" if v.schema else v.table
        lines.append(f"- {v.kind} {where} {v.constraint or '(unnamed)'}: {v.count} rows: {v.message}")
        for s in v.sample:
            lines.append("    " + ", ".join(f"{k}={val!r}" for k, val in s.items()))
    return "\n".join(lines)


def assert_integrity(target: Any, *, tables: Sequence[str] = (), constraints: Sequence[str] = (),
                     kinds: Sequence[str] = (), sample: int = 5, timeout: float | None = None,
                     relations: Relations | None = None) -> CheckReport:
    """Check `target` and fail with a readable list of every violation.

    Args:
        target: anything [refint.connect][] takes, or a [Database][refint.database.Database] (left open).
        tables: only these tables.
        constraints: only these constraints, by name.
        kinds: only these kinds (foreign_key, primary_key, unique, not_null, check).
        sample: violating keys listed per constraint.
        timeout: per-statement limit in seconds.
        relations: keys the database does not declare.

    Returns:
        The [CheckReport][refint.check.CheckReport], when nothing is violated.

    Raises:
        AssertionError: something is violated; the message lists each constraint and its sample keys.
    """
    from refint.database import Database, connect

    db = target if isinstance(target, Database) else connect(target)
    try:
        report = db.check(tables=tables, constraints=constraints, kinds=kinds, sample=sample,
                          timeout=timeout, relations=relations)
    finally:
        if db is not target:
            db.close()
    if not report.ok:
        raise AssertionError(format_report(report))
    return report
