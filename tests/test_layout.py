"""The package layout keeps data flowing one way (DESIGN.md): no verb imports the facade or the CLI.

Each verb package is imported alone, in a fresh interpreter, and must not pull in ``refint.database`` or
``refint.cli``; and no module under a verb package names them in an import statement (not even for type
checking), so the facade calls the verbs and never the other way round.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "refint"
VERBS = ["check", "plan", "order", "manage", "lint", "graph", "explain", "subset"]
FORBIDDEN = ("refint.database", "refint.cli")


def _verb_modules() -> list[Path]:
    out: list[Path] = []
    for verb in VERBS:
        pkg = SRC / verb
        out.extend(sorted(pkg.glob("*.py")) if pkg.is_dir() else [SRC / f"{verb}.py"])
    return out


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("path", _verb_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_verb_module_imports_the_facade_or_the_cli(path: Path) -> None:
    bad = sorted(n for n in _imports(path) if n.startswith(FORBIDDEN) or n in ("refint.Database",))
    assert not bad, f"{path.relative_to(SRC)} imports {bad}"


@pytest.mark.parametrize("verb", VERBS)
def test_each_verb_package_imports_alone(verb: str) -> None:
    code = (f"import sys, refint.{verb}\n"
            "bad = [m for m in sys.modules if m == 'refint.database' or m.startswith('refint.cli')]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import refint.{verb} loaded {out.stdout.strip()}"


def test_modules_stay_readable_in_one_sitting() -> None:
    """DESIGN: modules under ~600 lines; a module that grows past it becomes a package."""
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 650}
    assert not long, f"split these modules: {long}"
