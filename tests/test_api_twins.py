"""The CLI and the Python API are twins (DESIGN.md): every command has a ``Database`` method and every
option a parameter of it, so the two surfaces cannot drift (as sqlite-utils tests its docs against its CLI).

The walk is generic: it lists the commands from the lazy group itself (``refint.cli.main.COMMANDS``), so a
command added there is covered the moment it lands. A command ``a-b`` is ``Database.a_b`` and a
subcommand ``plan delete`` is ``Database.plan_delete`` unless ``METHOD`` names another; an option's twin
is the method parameter of the same name (click's destination name), or a parameter of ``refint.connect``
(the target, ``--schema``, ``--relations``), unless ``TWIN`` maps it; options that only shape the output
are in ``RENDERING``. Where both sides have a default, the defaults must agree.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

import refint
from refint.cli.main import COMMANDS, cli
from refint.database import Database, connect
from refint.testing import assert_integrity

ROOT = Path(__file__).resolve().parents[1]

#: command path -> Database method, where the method is not named after the command
METHOD = {
    "add-fk": "add_foreign_key",
    "drop-fk": "drop_foreign_key",
    "index-fks": "index_foreign_keys",
}

#: (command path, click parameter name) -> its twin: parameter name(s) of the method or of connect(), or a
#: dotted name of the documented function or method that does what the option does
TWIN: dict[tuple[str, str], str | tuple[str, ...]] = {
    # `[TARGET] TABLE` is one variadic argument so that TARGET can default to REFINT_URL
    ("plan delete", "args"): ("target", "table"),
    ("plan update", "args"): ("target", "table"),
    ("plan update", "assignments"): "set",  # --set: `set` is a parameter name, not a click destination
    ("check", "relation_specs"): "relations",  # --relation SPEC: refint.relations.parse_relation
    ("check", "relations_file"): "relations",  # --relations FILE: refint.relations.load_relations_file
    ("subset", "relations_file"): "relations",
    ("inspect", "table_name"): "refint.database.Database.table",
    ("ddl", "no_schema"): "keep_schema",  # inverted flag
    ("report", "with_check"): "check",
    ("report", "output"): "refint.graph.report.Report.write",
    ("lint", "no_config"): "config",  # --no-config: config=LintConfig() instead of load_config()
    ("report", "no_config"): "config",
    ("lint", "fail_on"): "refint.lint.LintReport.failed",  # the exit status
    ("lint", "list_rules"): "refint.lint.RULES",
}

#: options of every command that shape only what is printed, not what is computed
RENDERING = {
    "fmt",  # --format: table/json everywhere; graph's mermaid/dot/svg is refint.graph.render,
    #         order's sql refint.order.sql.script, ddl's sql DDLResult.text(), lint's sarif lint.sarif.to_sarif
    "debug",  # --debug: a traceback instead of one line on stderr
}
#: per command: rendering-only options beyond RENDERING
RENDERING_FOR = {
    "graph": {"output"},  # -o FILE: where the rendered text goes
}

#: method parameters with no CLI option: hooks and values a shell cannot pass
PYTHON_ONLY = {
    "progress",  # a callback (the CLI passes a Rich progress bar on a terminal)
    "fault",  # a fault-injection hook for tests
    "before_apply",  # a callback (the CLI prints the irreversible steps)
    "params",  # explain: the statement's bound parameters (the CLI takes literal SQL)
    "title",  # report: the HTML title
}


def _commands() -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        cmd = cli.get_command(ctx, name)
        assert cmd is not None, name
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, cmd


COMMAND_LIST = list(_commands())


def _method_name(path: str) -> str:
    return METHOD.get(path, path.replace(" ", "_").replace("-", "_"))


def _resolve(dotted: str) -> Any:
    """Import the longest module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _empty(value: Any) -> bool:
    """No default: None, an empty sequence, an unset flag, or click's own UNSET sentinel (click >= 8.3)."""
    return value is None or value == () or value == [] or value is False or type(value).__name__ == "Sentinel"


def _same_default(cli_default: Any, py_default: Any) -> bool:
    if _empty(cli_default) and _empty(py_default):
        return True
    if isinstance(py_default, str) or hasattr(py_default, "value"):  # an enum such as Action
        return str(getattr(py_default, "value", py_default)).upper() == str(cli_default).upper()
    return bool(cli_default == py_default)


def test_the_walk_sees_every_registered_command() -> None:
    """Guards the generic walk itself: every COMMANDS entry is reached, groups through their subcommands."""
    tops = {path.split(" ")[0] for path, _ in COMMAND_LIST}
    assert tops == set(COMMANDS)
    assert {"plan delete", "plan update"} <= {path for path, _ in COMMAND_LIST}


@pytest.mark.parametrize("path,command", COMMAND_LIST, ids=[p for p, _ in COMMAND_LIST])
def test_every_command_has_a_method_and_every_option_a_twin(path: str, command: click.Command) -> None:
    method = getattr(Database, _method_name(path), None)
    assert callable(method), f"refint {path}: no Database.{_method_name(path)} (add it, or map it in METHOD)"
    params = inspect.signature(method).parameters
    connect_params = inspect.signature(connect).parameters
    rendering = RENDERING | RENDERING_FOR.get(path, set())
    missing = []
    for p in command.params:
        assert p.name is not None
        if p.name in rendering:
            continue
        twin = TWIN.get((path, p.name), p.name)
        for name in (twin,) if isinstance(twin, str) else twin:
            if "." in name:
                _resolve(name)  # raises when the documented function is gone
                continue
            where = params.get(name) or connect_params.get(name)
            if where is None:
                missing.append(f"{'/'.join(p.opts)} -> {name}")
                continue
            if (path, p.name) not in TWIN and where.default is not inspect.Parameter.empty:
                assert _same_default(p.default, where.default), (
                    f"refint {path} {'/'.join(p.opts)}: CLI default {p.default!r}, "
                    f"Python default {where.default!r}")
    assert not missing, f"refint {path}: options without a Python twin: {missing}"


@pytest.mark.parametrize("path,command", COMMAND_LIST, ids=[p for p, _ in COMMAND_LIST])
def test_every_method_parameter_has_an_option(path: str, command: click.Command) -> None:
    """The other direction: a parameter added to the method alone is a twin missing on the CLI."""
    covered: set[str] = set()
    for p in command.params:
        assert p.name is not None
        twin = TWIN.get((path, p.name), p.name)
        covered.update((twin,) if isinstance(twin, str) else twin)
    method = getattr(Database, _method_name(path))
    lonely = [n for n in inspect.signature(method).parameters
              if n != "self" and n not in covered and n not in PYTHON_ONLY]
    assert not lonely, f"Database.{method.__name__}: parameters without a CLI option: {lonely}"


def _public_members() -> list[str]:
    return [n for n, _ in inspect.getmembers(Database) if not n.startswith("_")]


@pytest.mark.parametrize("name", _public_members())
def test_every_public_member_of_database_says_what_it_does(name: str) -> None:
    member = inspect.getattr_static(Database, name)
    doc = inspect.getdoc(getattr(Database, name)) if not isinstance(member, property) else member.__doc__
    assert doc and len(doc) > 20, f"Database.{name} has no docstring"
    if callable(member) and name not in ("close",):
        assert "Returns" in doc or "Return " in doc or "Returns" in doc.replace("\n", " "), \
            f"Database.{name}: the docstring does not say what it returns"
    if name in {_method_name(p) for p, _ in COMMAND_LIST}:
        assert "Raises" in doc, f"Database.{name}: the docstring does not say what it raises"


def test_no_method_takes_arbitrary_keywords() -> None:
    """``**kwargs`` hides the parameters from help(), IDEs and mypy (issue 13)."""
    funcs = [getattr(Database, n) for n in _public_members() if callable(getattr(Database, n))]
    funcs += [refint.connect, connect, refint.explain_error, assert_integrity]
    for fn in funcs:
        kinds = {p.kind for p in inspect.signature(fn).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{fn.__qualname__} takes **kwargs"


def test_refint_connect_shows_the_real_signature() -> None:
    """``refint.connect`` is a lazy wrapper (``import refint`` stays light): its signature is the real one."""
    assert inspect.signature(refint.connect) == inspect.signature(connect)


def test_assert_integrity_takes_what_check_takes() -> None:
    """``assert_integrity(target, ...)`` narrows the check exactly as ``Database.check`` does."""
    theirs = {n: p.default for n, p in inspect.signature(Database.check).parameters.items()
              if n not in ("self", "progress")}
    ours = {n: p.default for n, p in inspect.signature(assert_integrity).parameters.items() if n != "target"}
    assert ours == theirs


def test_help_shows_the_real_parameters() -> None:
    text = subprocess.run([sys.executable, "-c", "import refint; help(refint.Database.check)"],
                          capture_output=True, text=True, check=True, env={"PAGER": "cat", "TERM": "dumb"}).stdout
    for name in ("tables", "constraints", "kinds", "sample", "timeout", "relations"):
        assert f"{name}:" in text, text
    assert "kwargs" not in text


def test_mypy_catches_a_misspelt_keyword_in_user_code(tmp_path: Path) -> None:
    """A user's typo is a type error: one mypy run over a snippet with right and wrong calls."""
    snippet = tmp_path / "user_code.py"
    snippet.write_text(textwrap.dedent("""\
        import refint
        from refint.testing import assert_integrity

        db = refint.connect("examples/school.db", schemas=["main"])
        report = db.check(tables=["std"], sample=2)
        ok: bool = report.ok
        db.lint(disable=["fk-missing"], cascade_depth=2)
        db.plan_delete("std", "id = 1", sample=1)
        assert_integrity("examples/school.db")
        db.check(tabels=["std"])
        refint.connect("examples/school.db", schemaz=["main"])
        db.add_foreign_key("a(x)", "b", on_delet="CASCADE")
        db.order(purpose=3)
        """))
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "c"),
                          "--strict", "--no-error-summary", "--hide-error-context", str(snippet)],
                         capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in out.stdout.splitlines() if ": error:" in ln]
    by_line = {int(ln.split(":")[1]) for ln in lines}
    assert by_line == {10, 11, 12, 13}, out.stdout + out.stderr
    assert any('"tabels"' in ln for ln in lines) and any('"schemaz"' in ln for ln in lines)
