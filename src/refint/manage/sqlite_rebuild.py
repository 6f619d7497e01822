"""SQLite's generalized ALTER TABLE: rebuild a table to add or remove a foreign key.

Why a rebuild: SQLite's ALTER TABLE cannot add or drop a constraint. The documented way
(https://www.sqlite.org/lang_altertable.html#otheralter, "Making Other Kinds Of Table Schema Changes")
is the 12-step procedure: with ``PRAGMA foreign_keys`` OFF (it cannot change inside a transaction),
BEGIN; remember the table's indexes and triggers; CREATE TABLE new_X with the changed definition; copy
the rows; DROP TABLE X; ALTER TABLE new_X RENAME TO X; re-create the indexes and triggers;
``PRAGMA foreign_key_check``; COMMIT; restore ``foreign_keys``.

What this module adds to the recipe so that nothing else about the table changes:

- the new CREATE TABLE is the stored text of the old one (``sqlite_schema.sql``) with only the table
  name replaced and one constraint clause inserted before the closing parenthesis of the column list
  (or one foreign-key clause removed). Positions come from SQLite's own tokenizer rules
  (:mod:`refint.engines.sqlite_ddl`), never from regular expressions, so comments, quoted names and
  strings holding parentheses are safe. Column types, defaults, COLLATE, CHECK, generated columns,
  AUTOINCREMENT, WITHOUT ROWID and STRICT are kept as written.
- rows are copied with explicit column lists (generated columns are left out: they recompute), and the
  rowid is copied too when no INTEGER PRIMARY KEY aliases it, so rowids survive (VACUUM would renumber
  them, this does not).
- the ``sqlite_sequence`` row of an AUTOINCREMENT table is put back as it was: DROP TABLE deletes it,
  and the copy alone would restart it at max(rowid), re-using ids of deleted rows.
- ``PRAGMA legacy_alter_table=ON`` during the rename: since SQLite 3.26 a rename re-parses every view and
  trigger of the schema and fails on any that mention the (just dropped) X. With the legacy behaviour
  the rename only renames, and views and other tables' triggers that name X by name keep working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from refint.engines.sqlite_ddl import DDLParseError, _Token, _tokenize, _unquote
from refint.errors import BadInput, NoSuchConstraint


def quote(name: str) -> str:
    """SQLite identifier quoting (always quoted: reserved words, spaces, quotes, any script)."""
    return '"' + name.replace('"', '""') + '"'


def _open_paren(tokens: Sequence[_Token]) -> tuple[int, int]:
    """Index of the name token and of the ``(`` that opens the column list."""
    i = 0
    while tokens[i].word in ("CREATE", "TEMP", "TEMPORARY", "TABLE"):
        i += 1
    if tokens[i].word == "IF":
        i += 3  # IF NOT EXISTS
    name_at = i
    if tokens[i + 1].word == ".":
        name_at = i + 2
    j = name_at + 1
    if tokens[j].word != "(":
        raise DDLParseError("expected '(' after the table name", tokens[j].start)
    return name_at, j


def _close_paren(tokens: Sequence[_Token], open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(tokens)):
        if tokens[k].word == "(":
            depth += 1
        elif tokens[k].word == ")":
            depth -= 1
            if depth == 0:
                return k
    raise DDLParseError("unbalanced parentheses", tokens[-1].start)


def splice_add(sql: str, new_name: str, clause: str) -> str:
    """The CREATE TABLE text with the table renamed and ``, clause`` added at the end of the list."""
    tokens = _tokenize(sql)
    name_at, open_at = _open_paren(tokens)
    close = tokens[_close_paren(tokens, open_at)]
    name = tokens[name_at]
    start = tokens[name_at - 2].start if name_at >= 2 and tokens[name_at - 1].word == "." else name.start
    return sql[:start] + quote(new_name) + sql[name.end:close.start] + ", " + clause + sql[close.start:]


@dataclass(frozen=True)
class FKSpan:
    """Where a foreign-key clause sits in the CREATE TABLE text (so it can be cut out)."""

    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    start: int
    end: int


def _clause_end(tokens: Sequence[_Token], k: int) -> int:
    """Index just past a foreign-key-clause that starts at REFERENCES (``tokens[k]``)."""
    k += 2  # REFERENCES name
    if tokens[k].word == "(":
        k = _close_paren(tokens, k) + 1
    while True:
        w = tokens[k].word
        if w == "ON":  # ON DELETE|UPDATE action, the action being one or two words
            k += 4 if tokens[k + 2].word in ("SET", "NO") else 3
        elif w == "MATCH":
            k += 2
        elif w == "NOT" and tokens[k + 1].word == "DEFERRABLE":
            k += 2
        elif w == "DEFERRABLE":
            k += 1
        elif w == "INITIALLY":
            k += 2
        else:
            return k


def foreign_key_spans(sql: str) -> list[FKSpan]:
    """Every foreign-key clause of a CREATE TABLE, column-level and table-level, in source order."""
    tokens = _tokenize(sql)
    _name_at, open_at = _open_paren(tokens)
    close_at = _close_paren(tokens, open_at)
    # split the list into items at depth-1 commas
    items: list[tuple[int, int]] = []
    depth, begin = 0, open_at + 1
    for k in range(open_at, close_at + 1):
        w = tokens[k].word
        if w == "(":
            depth += 1
        elif w == ")":
            depth -= 1
        if (w == "," and depth == 1) or k == close_at:
            items.append((begin, k))
            begin = k + 1
    spans: list[FKSpan] = []
    for item_no, (a, b) in enumerate(items):
        first = tokens[a].word
        cname: str | None = None
        k = a
        if first == "CONSTRAINT":
            cname, k = _unquote(tokens[a + 1]), a + 2
        if tokens[k].word == "FOREIGN":  # table constraint: the whole item goes, with its comma
            cols_close = _close_paren(tokens, k + 2)
            cols = tuple(_unquote(t) for t in tokens[k + 3:cols_close] if t.word != ",")
            ref = cols_close + 1
            prev = tokens[items[item_no - 1][1]]  # the comma before this item
            spans.append(FKSpan(cname, cols, _unquote(tokens[ref + 1]), prev.start, tokens[b - 1].end))
            continue
        if first in ("PRIMARY", "UNIQUE", "CHECK", "CONSTRAINT"):
            continue
        column = _unquote(tokens[a])  # a column-def: look for [CONSTRAINT n] REFERENCES inside it
        k = a + 1
        while k < b:
            if tokens[k].word == "(":
                k = _close_paren(tokens, k) + 1
                continue
            if tokens[k].word == "REFERENCES":
                has_name = tokens[k - 2].word == "CONSTRAINT" if k - 2 > a else False
                start_tok = tokens[k - 2] if has_name else tokens[k]
                end = _clause_end(tokens, k)
                spans.append(FKSpan(_unquote(tokens[k - 1]) if has_name else None, (column,),
                                    _unquote(tokens[k + 1]), start_tok.start, tokens[end - 1].end))
                k = end
                continue
            k += 1
    return spans


def splice_drop(sql: str, new_name: str, span: FKSpan) -> str:
    """The CREATE TABLE text with the table renamed and one foreign-key clause removed."""
    cut = sql[:span.start] + sql[span.end:]
    tokens = _tokenize(cut)
    name_at, _open = _open_paren(tokens)
    name = tokens[name_at]
    start = tokens[name_at - 2].start if tokens[name_at - 1].word == "." else name.start
    return cut[:start] + quote(new_name) + cut[name.end:]


def find_span(sql: str, *, name: str | None = None, columns: Sequence[str] | None = None,
              referred_table: str | None = None) -> FKSpan:
    """The clause of a foreign key named ``name`` (or, for unnamed keys, with these columns/parent)."""
    spans = foreign_key_spans(sql)
    fold = str.lower
    for s in spans:
        if name is not None and s.name is not None and fold(s.name) == fold(name):
            return s
    if columns is not None:
        for s in spans:
            if [fold(c) for c in s.columns] == [fold(c) for c in columns] and (
                    referred_table is None or fold(s.referred_table) == fold(referred_table)):
                return s
    raise NoSuchConstraint(f"no foreign key {name or tuple(columns or ())} in the CREATE TABLE text")


@dataclass(frozen=True)
class TableText:
    """What the rebuild needs to know about the table, read from sqlite_schema and the pragmas."""

    name: str
    sql: str
    indexes_and_triggers: tuple[tuple[str, str, str], ...]  # (type, name, sql)
    copy_columns: tuple[str, ...]
    rowid: str | None  # the name to copy the rowid by, when no INTEGER PRIMARY KEY aliases it
    sequence: int | None  # the sqlite_sequence value of an AUTOINCREMENT table


def read_table(cursor: Any, name: str) -> TableText:
    """Read the table's CREATE TABLE, its indexes and triggers, its columns and its sequence."""
    row = cursor.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE",
                         (name,)).fetchone()
    if row is None:
        from refint.errors import NoSuchTable

        raise NoSuchTable(name)
    name, sql = row
    others = cursor.execute(
        "SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL "
        "ORDER BY CASE type WHEN 'index' THEN 0 ELSE 1 END, rowid", (name,)).fetchall()
    cols = cursor.execute(f"PRAGMA table_xinfo({quote(name)})").fetchall()
    copy = tuple(c[1] for c in cols if c[6] == 0)  # hidden 2/3: generated columns recompute themselves
    pk = [c for c in cols if c[5]]
    from refint.engines.sqlite_ddl import parse_create_table

    parsed = parse_create_table(sql)
    alias = (len(pk) == 1 and not parsed.without_rowid and (pk[0][2] or "").upper() == "INTEGER")
    rowid = None
    if not parsed.without_rowid and not alias:
        names = {c[1].lower() for c in cols}
        rowid = next((r for r in ("rowid", "_rowid_", "oid") if r not in names), None)
        if rowid is None:
            raise BadInput(f"table {name}: columns named rowid, _rowid_ and oid hide the rowid; refint "
                           "cannot copy it faithfully")
    seq = None
    has_seq = cursor.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").fetchone()
    if has_seq:
        got = cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).fetchone()
        seq = int(got[0]) if got else None
    return TableText(name, sql, tuple((r[0], r[1], r[2]) for r in others), copy, rowid, seq)


def temp_name(cursor: Any, name: str) -> str:
    taken = {r[0].lower() for r in cursor.execute("SELECT name FROM sqlite_schema").fetchall()}
    candidate = f"_refint_new_{name}"
    n = 0
    while candidate.lower() in taken:
        n += 1
        candidate = f"_refint_new_{name}_{n}"
    return candidate


def rebuild_statements(info: TableText, new_create: str, tmp: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The in-transaction steps of the 12-step procedure, as (description, SQL, bound values)."""
    cols = ", ".join(quote(c) for c in info.copy_columns)
    if info.rowid:
        target_cols, source_cols = f"{quote(info.rowid)}, {cols}", f"{quote(info.rowid)}, {cols}"
    else:
        target_cols = source_cols = cols
    none: dict[str, Any] = {}
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (f"create {tmp} with the new definition", new_create, none),
        (f"copy every row of {info.name} (rowids kept)",
         f"INSERT INTO {quote(tmp)} ({target_cols}) SELECT {source_cols} FROM {quote(info.name)}", none),
        (f"drop the old {info.name}", f"DROP TABLE {quote(info.name)}", none),
        (f"rename {tmp} to {info.name}", f"ALTER TABLE {quote(tmp)} RENAME TO {quote(info.name)}", none),
    ]
    values = {"name": info.name, "seq": info.sequence}
    if info.sequence is not None:
        steps.append((f"clear the sequence the copy started for {info.name}",
                      "DELETE FROM sqlite_sequence WHERE name = :name", {"name": info.name}))
        steps.append((f"restore the AUTOINCREMENT sequence of {info.name} ({info.sequence})",
                      "INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)", values))
    for kind, name, text in info.indexes_and_triggers:
        steps.append((f"re-create {kind} {name}", text, none))
    return steps


def check_statements(name: str) -> list[tuple[str, str]]:
    """Verification before COMMIT: a row here aborts the transaction (see manage's executor)."""
    return [
        (f"verify no row of {name} breaks a foreign key", f"PRAGMA foreign_key_check({quote(name)})"),
        (f"verify the integrity of {name}", f"PRAGMA integrity_check({quote(name)})"),
    ]
