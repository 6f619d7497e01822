"""``refint lint``: foreign-key design rules, each with an id, a severity, a message and a fix.

- :mod:`refint.lint.rules`: the rules and :func:`lint`;
- :mod:`refint.lint.config`: ``[tool.refint]`` in ``pyproject.toml``;
- :mod:`refint.lint.types`: type normalisation used by the type-mismatch rules;
- :mod:`refint.lint.views`: fixes that must drop and re-create dependent views;
- :mod:`refint.lint.sarif`: SARIF 2.1.0 output.
"""

from refint.lint.config import SEVERITIES, LintConfig, load_config, severity_rank
from refint.lint.rules import DOCS, RULES, Finding, LintReport, fk_digraph, lint
from refint.lint.types import literal_default, normalise_type, sqlite_affinity

__all__ = ["DOCS", "RULES", "SEVERITIES", "Finding", "LintConfig", "LintReport", "fk_digraph", "lint",
           "literal_default", "load_config", "normalise_type", "severity_rank", "sqlite_affinity"]
