"""``[tool.refint]`` in ``pyproject.toml``: lint defaults a project keeps next to its code.

Keys: ``disable`` (rule ids), ``ignore`` (constraint names, ``table.NAME``, ``rule:NAME``), ``fail-on``
(``error|warning|info``) and ``cascade-depth``. The nearest ``pyproject.toml`` from the current directory
upward wins, as with other Python tools (ruff, mypy).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refint.errors import BadInput

SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise BadInput(f"unknown severity {severity!r} (choose from {', '.join(SEVERITIES)})") from None


@dataclass(frozen=True)
class LintConfig:
    """``[tool.refint]`` of the nearest ``pyproject.toml`` (see :func:`load_config`)."""

    disable: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    cascade_depth: int | None = None
    path: str | None = None


def load_config(start: str | os.PathLike[str] | None = None) -> LintConfig:
    """``[tool.refint]`` from the first ``pyproject.toml`` found from ``start`` (default: cwd) upward."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        path = folder / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise BadInput(f"cannot read {path}: {exc}") from None
            section = data.get("tool", {}).get("refint", {})
            if not isinstance(section, dict):
                raise BadInput(f"{path}: [tool.refint] must be a table")
            return _config_from(section, str(path))
    return LintConfig()


def _config_from(section: Mapping[str, Any], path: str) -> LintConfig:
    def strings(key: str) -> tuple[str, ...]:
        value = section.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadInput(f"{path}: [tool.refint] {key} must be a list of strings")
        return tuple(value)

    fail_on = section.get("fail-on")
    if fail_on is not None:
        severity_rank(str(fail_on))
    depth = section.get("cascade-depth")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise BadInput(f"{path}: [tool.refint] cascade-depth must be a non-negative integer")
    return LintConfig(strings("disable"), strings("ignore"), str(fail_on) if fail_on else None, depth, path)
