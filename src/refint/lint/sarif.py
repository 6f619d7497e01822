"""SARIF 2.1.0 for ``refint lint --format sarif``: what code-scanning tools (GitHub, GitLab, IDEs) read.

A database is not a source file: there is no line to point at. So each result is located by a logical
location (``schema.table.constraint``; kind ``type`` for a table, ``member`` for a constraint), and the
database itself is the result's ``analysisTarget`` and the run's one artifact (role ``analysisTarget``),
written as a URI reference by :func:`target_uri` (password hidden, as refint prints targets).

tests/test_lint_sarif.py validates the output with Microsoft's SARIF Multitool (``validate``: the SARIF
2.1.0 JSON schema and its SARIF and GitHub rules). On the first version it reported relative ``helpUri``
values (SARIF1005: must be absolute; refint's docs are files in its source tree, so the path is now in
``help``, ``fullDescription`` and ``properties.docs``), a ``physicalLocation`` without a ``region``
(SARIF2017) and, for a target with spaces or non-ASCII characters, an invalid URI (SARIF1002).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any
from urllib.parse import quote, unquote

from refint.lint.rules import DOCS, RULES, LintReport

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
#: characters RFC 3986 allows in a URI as they are ('%' too: an existing escape is kept as it is)
_URI_SAFE = "/:@!$&'()*+,;=?#[]~%"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_FILE_URL = re.compile(r"^(?:sqlite|duckdb)(?:\+\w+)?:///(?!:memory:$)([^?]+)$")


def target_uri(target: str) -> str:
    """``target`` (a URL or a file path, as refint displays it) as an RFC 3986 URI reference.

    A file (a bare path, or a ``sqlite:///`` / ``duckdb:///`` URL without a query) becomes a ``file:`` URI
    when its path is absolute and a relative reference otherwise; any other URL keeps its scheme, with spaces
    and non-ASCII characters percent-encoded. (The Multitool's .NET URI check rejects a non-``file:`` URI that
    has both ``%20`` and an escaped non-ASCII character, although RFC 3986 allows it: server URLs with such a
    database name still get SARIF1002 from it; file targets do not.)
    """
    file_url = _FILE_URL.match(target)
    if file_url:
        target = unquote(file_url.group(1))
    elif _SCHEME.match(target):
        return quote(target, safe=_URI_SAFE)
    path = PurePath(target)
    if path.is_absolute():
        return path.as_uri()
    # a relative reference: ':' '?' '#' escaped too, so that no part of the path reads as a scheme or a query
    return quote(path.as_posix(), safe="/@!$&'()*+,;=~")


def to_sarif(report: LintReport, target: str, version: str = "") -> dict[str, Any]:
    rule_ids = list(RULES)
    rules = []
    for rid in rule_ids:
        r, docs = RULES[rid], DOCS.format(rid)
        rules.append({
            "id": rid,
            "name": "".join(p.capitalize() for p in rid.split("-")),
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": f"{r.summary} (refint lint rule {rid}, default severity {r.severity}; "
                                        f"documentation: {docs} in the refint sources)."},
            "help": {"text": f"See {docs} in the refint sources: why it matters, where it applies, the fix."},
            "defaultConfiguration": {"level": LEVELS[r.severity]},
            "properties": {"docs": docs},
        })
    uri = target_uri(target)
    results = []
    for f in report.findings:
        name = ".".join(p for p in (f.schema, f.table, f.constraint) if p)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_ids.index(f.rule),
            "level": LEVELS[f.severity],
            "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
            "analysisTarget": {"uri": uri, "index": 0},
            "locations": [{
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
            "tool": {"driver": {"name": "refint", "version": version or "0", "rules": rules,
                                "properties": {"docs": "docs/lint.md"}}},
            "artifacts": [{"location": {"uri": uri}, "roles": ["analysisTarget"]}],
            "results": results,
            "properties": {"suppressed": report.suppressed, "notApplicable": list(report.not_applicable)},
        }],
    }
