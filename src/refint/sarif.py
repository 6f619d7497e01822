"""SARIF 2.1.0 for ``refint lint --format sarif``: what code-scanning tools (GitHub, GitLab, IDEs) read.

A database is not a source file, so each result carries a logical location (``schema.table.constraint``)
and, as its artifact, the target as refint prints it (password hidden): a SQLite path or a URL.
"""

from __future__ import annotations

from typing import Any

from refint.lint import DOCS, RULES, LintReport

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def to_sarif(report: LintReport, target: str, version: str = "") -> dict[str, Any]:
    rule_ids = list(RULES)
    rules = [{
        "id": rid,
        "name": "".join(p.capitalize() for p in rid.split("-")),
        "shortDescription": {"text": RULES[rid].summary},
        "helpUri": DOCS.format(rid),
        "defaultConfiguration": {"level": LEVELS[RULES[rid].severity]},
    } for rid in rule_ids]
    results = []
    for f in report.findings:
        name = ".".join(p for p in (f.schema, f.table, f.constraint) if p)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_ids.index(f.rule),
            "level": LEVELS[f.severity],
            "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": target}},
                "logicalLocations": [{"name": f.constraint or f.table, "fullyQualifiedName": name,
                                      "kind": "member" if f.constraint else "type"}],
            }],
            "partialFingerprints": {"refint/v1": f"{f.rule}:{name}:{','.join(f.columns)}"},
        }
        if f.fix:
            result["properties"] = {"fix": f.fix}
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "refint", "version": version or "0", "informationUri": "docs/lint.md",
                                "rules": rules}},
            "results": results,
        }],
    }
