"""pytest helper: fail a test with a readable list of integrity violations.

    from refint.testing import assert_integrity

    def test_fixtures_are_consistent(db_url):
        assert_integrity(db_url)                       # every constraint
        assert_integrity(db_url, kinds=["foreign_key"], tables=["orders"])
"""

from __future__ import annotations

from typing import Any

from refint.check.checker import CheckReport


def format_report(report: CheckReport) -> str:
    lines = [f"{len(report.violations)} violated constraints:"]
    for v in report.violations:
        where = f"{v.schema}.{v.table}" if v.schema else v.table
        lines.append(f"- {v.kind} {where} {v.constraint or '(unnamed)'}: {v.count} rows: {v.message}")
        for s in v.sample:
            lines.append("    " + ", ".join(f"{k}={val!r}" for k, val in s.items()))
    return "\n".join(lines)


def assert_integrity(target: Any, **check_options: Any) -> CheckReport:
    """Run ``check`` on ``target`` (anything :func:`refint.connect` takes, or a Database); raise
    AssertionError listing every violation when there is one. Returns the report when clean."""
    from refint.database import Database, connect

    db = target if isinstance(target, Database) else connect(target)
    try:
        report = db.check(**check_options)
    finally:
        if db is not target:
            db.close()
    if not report.ok:
        raise AssertionError(format_report(report))
    return report
