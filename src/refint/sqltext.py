"""Validation of the SQL fragments a user passes to ``refint plan`` (a WHERE predicate, SET assignments).

The fragment is pasted into refint's own queries as SQL of the target engine, so before anything runs
it goes through a small tokenizer that knows string literals, quoted identifiers and comments: a ``;``,
a comment (which could hide a second statement from a reader) or a write keyword outside a literal is
refused. This is a first line only: every query then runs in a read-only transaction, and the engine
itself parses the fragment in ``SELECT count(*) ... WHERE (predicate)``, so a syntax error surfaces as
``BadInput("malformed predicate: ...")`` and a write can never happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput

if TYPE_CHECKING:
    from refint.engines.base import Engine

#: words that start or imply a write, a transaction change or a session change
WRITE_WORDS = frozenset("""
insert update delete merge upsert truncate drop create alter grant revoke copy call exec execute
attach detach pragma vacuum reindex commit rollback savepoint begin set into outfile dumpfile lock unlock
prepare deallocate listen notify cluster discard""".split())


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "ident", "number", "op"
    text: str
    start: int = 0


def tokenize(text: str, *, backslash_escapes: bool = False, escape_strings: bool = False) -> list[Token]:
    """Split SQL into tokens; raise BadInput on what a predicate may not contain.

    ``backslash_escapes``: every ``'...'`` takes ``\\'`` (MySQL, MariaDB). ``escape_strings``: PostgreSQL's
    ``E'...'`` takes them, its plain ``'...'`` does not (standard_conforming_strings, on since 9.1).
    """
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if (escape_strings and ch in "eE" and text[i + 1:i + 2] == "'"
                and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$" or ord(text[i - 1]) > 127))):
            j = _string_end(text, i + 1, backslashes=True)
            out.append(Token("string", text[i:j + 1], i))
            i = j + 1
        elif ch.isspace():
            i += 1
        elif text.startswith("--", i) or text.startswith("/*", i) or ch == "#":
            raise BadInput("comments are not allowed in a predicate or assignment")
        elif ch == ";":
            raise BadInput("a predicate must be one expression: ';' is not allowed")
        elif ch == "$" and (i + 1 < n and (text[i + 1] == "$" or text[i + 1].isalpha())):
            raise BadInput("dollar quoting is not allowed in a predicate")
        elif ch in "'\"`[":
            j = _string_end(text, i, backslashes=backslash_escapes and ch == "'")
            out.append(Token("string" if ch == "'" else "ident", text[i:j + 1], i))
            i = j + 1
        elif ch.isalpha() or ch == "_" or ord(ch) > 127:
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$" or ord(text[j]) > 127):
                j += 1
            word = text[i:j]
            if word.lower() in WRITE_WORDS:
                raise BadInput(f"the predicate may not contain {word.upper()}: it must only read")
            out.append(Token("word", word, i))
            i = j
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and (text[j].isalnum() or text[j] == "."):
                j += 1
            out.append(Token("number", text[i:j], i))
            i = j
        else:
            two = text[i:i + 2]
            if two in ("<=", ">=", "<>", "!=", "||", "::", "<<", ">>", ":="):
                if two == ":=":
                    raise BadInput("assignment ':=' is not allowed in a predicate")
                out.append(Token("op", two, i))
                i += 2
            else:
                out.append(Token("op", ch, i))
                i += 1
    depth = 0
    for tok in out:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
            if depth < 0:
                raise BadInput("unbalanced ')' in predicate")
    if depth:
        raise BadInput("unbalanced '(' in predicate")
    return out


def _string_end(text: str, i: int, *, backslashes: bool) -> int:
    """The index of the quote closing the literal or quoted identifier that opens at ``text[i]``."""
    ch = text[i]
    close = "]" if ch == "[" else ch
    j, n = i + 1, len(text)
    while True:
        if j >= n:
            raise BadInput(f"unterminated quote {ch} in predicate")
        if backslashes and text[j] == "\\":
            j += 2
            continue
        if text[j] == close:
            if j + 1 < n and text[j + 1] == close and ch != "[":
                j += 2
                continue
            return j
        j += 1


def validate_predicate(text: str, *, backslash_escapes: bool = False, escape_strings: bool = False) -> str:
    """Return the predicate stripped, or raise BadInput naming what is wrong with it."""
    text = text.strip()
    if not text:
        raise BadInput("empty predicate (use --where 'TRUE' or '1=1' to mean every row)")
    tokenize(text, backslash_escapes=backslash_escapes, escape_strings=escape_strings)
    return text


def split_assignments(text: str, *, backslash_escapes: bool = False,
                      escape_strings: bool = False) -> list[tuple[str, str]]:
    """``a = 1, "b c" = b + 1`` -> [(column, expression)]. Columns may be quoted identifiers."""
    text = text.strip()
    if not text:
        raise BadInput("empty --set (expected 'column = expression, ...')")
    # the tokenizer refuses SET, so take the tokens by hand: it still guards quotes and comments
    toks = tokenize(text, backslash_escapes=backslash_escapes, escape_strings=escape_strings)
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in toks:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        if tok.text == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(tok)
    out: list[tuple[str, str]] = []
    for part in parts:
        if len(part) < 3 or part[1].text != "=" or part[0].kind not in ("word", "ident"):
            shown = " ".join(t.text for t in part)
            raise BadInput(f"malformed assignment {shown!r} (expected 'column = expression')")
        name = part[0].text
        if part[0].kind == "ident":
            q = name[0]
            name = name[1:-1].replace(q * 2, q) if q != "[" else name[1:-1]
        last = part[-1]
        out.append((name, text[part[2].start:last.start + len(last.text)]))
    return out


def engine_parses(engine: Engine, sql: str, refusal: str) -> None:
    """Run a SELECT that holds a user's fragment, so that the engine itself parses it (an unknown column, a
    syntax error); a driver error becomes ``BadInput(f"{refusal}: <the engine's first line>")``."""
    try:
        engine.exec(sql).fetchall()
    except Exception as exc:
        if not hasattr(exc, "orig"):  # SQLAlchemy's DBAPIError and refint.direct.DriverError carry it
            raise
        orig: Any = getattr(exc, "orig", exc)
        first = (str(orig).strip().splitlines() or [""])[0]
        raise BadInput(f"{refusal}: {first}") from None
