"""Extract the runnable examples of README.md and docs/*.md (the convention is in docs/contributing.md).

A fenced block is an example when its language is ``sh``, ``console`` or ``python``. In a shell block each
line (``\\`` continuations joined; in ``console`` only ``$ `` lines) that runs ``refint`` is one example;
other commands (pip, pytest, ...) are not run. A trailing comment saying ``exit N`` is the exit code the
line must end with (default 0). A python block is one example. ``<!-- docs-test: skip REASON -->`` on the
line before a block, or ``# docs-test: skip REASON`` at the end of a shell line, leaves it out, with the
reason shown by pytest.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

RUNNABLE = {"sh", "console", "python"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```+|~~~+)\s*(?P<info>[^\n]*)$")
SKIP_BLOCK = re.compile(r"<!--\s*docs-test:\s*skip\b(?P<reason>.*?)-->")
SKIP_LINE = re.compile(r"#.*\bdocs-test:\s*skip\b(?P<reason>.*)$")
EXIT = re.compile(r"#.*\bexit (?:code )?(?P<code>\d+)\b")


@dataclass(frozen=True)
class Example:
    path: Path
    line: int  # 1-based line of the example in its file
    kind: str  # "sh" or "python"
    code: str
    exit_code: int = 0
    skip: str | None = None  # the reason, when marked

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def _blocks(text: str) -> list[tuple[int, str, list[str], str | None]]:
    """(line of the first code line, language, code lines, skip reason) for each fenced block."""
    lines = text.splitlines()
    out: list[tuple[int, str, list[str], str | None]] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group("fence"), (m.group("info").split() or [""])[0].lower()
        prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = SKIP_BLOCK.search(prev)
        skip = None
        if marker:
            skip = marker.group("reason").strip(" :-") or "(no reason given)"
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence[0] * len(fence)):
            j += 1
        out.append((start + 1, lang, lines[start:j], skip))
        i = j + 1
    return out


def _runs_refint(command: str) -> bool:
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return False
    words = [w for w in words if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]  # VAR=value prefixes
    return bool(words) and (words[0] == "refint" or words[0].endswith("/refint"))


def _shell_examples(path: Path, first: int, lang: str, lines: list[str], skip: str | None) -> list[Example]:
    out: list[Example] = []
    i = 0
    while i < len(lines):
        line_no, raw = first + i, lines[i]
        while raw.endswith("\\") and i + 1 < len(lines):
            i += 1
            raw = raw[:-1] + " " + lines[i].strip()
        i += 1
        if lang == "console":
            if not raw.lstrip().startswith("$ "):
                continue
            raw = raw.lstrip()[2:]
        # `a && b && refint ...`: the README's install line; only the refint part runs
        parts = [p.strip() for p in raw.split("&&")]
        runnable = [p for p in parts if _runs_refint(p)]
        if not runnable:
            continue
        command = " && ".join(runnable)
        command = re.sub(r"(^|\s|&&\s)\S*/refint\b", r"\1refint", command)
        m_exit = EXIT.search(raw)
        m_skip = SKIP_LINE.search(raw)
        reason = skip or (m_skip.group("reason").strip(" :-") or "(no reason given)" if m_skip else None)
        out.append(Example(path, line_no, "sh", command, int(m_exit.group("code")) if m_exit else 0, reason))
    return out


def examples(path: Path) -> list[Example]:
    out: list[Example] = []
    for first, lang, lines, skip in _blocks(path.read_text(encoding="utf-8")):
        if lang not in RUNNABLE:
            continue
        if lang == "python":
            out.append(Example(path, first, "python", "\n".join(lines) + "\n", 0, skip))
        else:
            out.extend(_shell_examples(path, first, lang, lines, skip))
    return out
