"""Parse SQLite ``CREATE TABLE`` text to recover what the catalog pragmas leave out.

Why this module exists: SQLite's pragmas (``table_xinfo``, ``foreign_key_list``, ``index_list``) report
columns, keys and referential actions, but not constraint names, CHECK expressions or DEFERRABLE
clauses. Those survive only in the statement text stored in ``sqlite_schema.sql``. Regular expressions
over that text break on comments, quoted identifiers and strings that contain parentheses, and sqlglot
rejects ``WITHOUT ROWID`` and ``ON CONFLICT``. So this module has its own tokenizer, which follows
SQLite's ``tokenize.c``, and a recursive-descent parser for the grammar at
https://www.sqlite.org/lang_createtable.html (column-def, column-constraint, table-constraint,
foreign-key-clause, conflict-clause). Where the diagram and SQLite's ``parse.y`` differ, it follows
``parse.y``, because that is what decides which text can end up in ``sqlite_schema``. It has no
third-party dependencies.

Expressions (CHECK, ``DEFAULT (...)``, generated columns) are not parsed into trees. Only their source
text is needed, so the parser looks for the matching ``)`` in the token stream. Strings, quoted
identifiers and comments are single tokens there, so parentheses inside them do not count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

__all__ = [
    "DDLParseError", "ParsedCheck", "ParsedColumn", "ParsedForeignKey", "ParsedPrimaryKey",
    "ParsedTable", "ParsedUnique", "parse_create_table",
]


@dataclass(frozen=True)
class ParsedColumn:
    """A column-def.

    ``type`` is the declared type with whitespace and comments collapsed to single spaces ("" if none).
    A type written as one quoted token is unquoted, as SQLite does. ``not_null`` is True when NOT NULL
    is written. ``default`` is the source text after DEFAULT, parentheses included (``PRAGMA table_xinfo``
    drops them). ``primary_key`` is True when the column is in the table's primary key, whether declared
    on the column or in a table constraint (like ``PRAGMA table_xinfo``'s ``pk > 0``).
    """

    name: str
    type: str
    not_null: bool
    default: str | None
    primary_key: bool
    generated: bool


@dataclass(frozen=True)
class ParsedPrimaryKey:
    """The table's PRIMARY KEY (a column constraint or a table constraint)."""

    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ParsedUnique:
    """A UNIQUE constraint. COLLATE and ASC/DESC are dropped from the column list."""

    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ParsedCheck:
    """A CHECK constraint: the exact source text between its parentheses, stripped."""

    name: str | None
    expression: str
    column: str | None  # set when it was written as a column constraint


@dataclass(frozen=True)
class ParsedForeignKey:
    """A foreign key, from ``REFERENCES`` on a column or from a ``FOREIGN KEY`` table constraint.

    Actions are None when not written, and ``match`` is the upper-cased name after MATCH. NOT DEFERRABLE
    is never initially deferred, whatever follows it.
    """

    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]  # () when the parent has no column list
    on_delete: str | None  # "CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT" | "NO ACTION"
    on_update: str | None
    match: str | None
    deferrable: bool
    initially_deferred: bool


@dataclass(frozen=True)
class ParsedTable:
    """A parsed CREATE TABLE. ``name`` has no schema prefix. Every tuple is in source order."""

    name: str
    columns: tuple[ParsedColumn, ...]
    primary_key: ParsedPrimaryKey | None
    uniques: tuple[ParsedUnique, ...]
    checks: tuple[ParsedCheck, ...]
    foreign_keys: tuple[ParsedForeignKey, ...]
    without_rowid: bool
    strict: bool


class DDLParseError(ValueError):
    """The text is not a CREATE TABLE statement that SQLite would accept. ``position`` is an offset into it."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


# --- tokenizer --------------------------------------------------------------------------------------

_ID, _QID, _STRING, _NUMBER, _BLOB, _OP, _EOF = "id", "quoted id", "string", "number", "blob", "op", "eof"
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Longest first, so that "<=" is matched before "<".
_OPERATORS = ("->>", "->", "||", "<=", "<>", "<<", ">=", ">>", "==", "!=",
              "(", ")", ",", ";", ".", "+", "-", "*", "/", "%", "&", "~", "|", "<", ">", "=")

# Keywords that cannot be an unquoted name. This is SQLite's keyword list minus the ones that parse.y
# lets fall back to an identifier (KEY, MATCH, ACTION, ...). It was checked against SQLite 3.40 by
# creating a column with each keyword as its name.
_RESERVED = frozenset("""
    ADD ALL ALTER AND AS AUTOINCREMENT BETWEEN CASE CHECK COLLATE COMMIT CONSTRAINT CREATE DEFAULT
    DEFERRABLE DELETE DISTINCT DROP ELSE ESCAPE EXCEPT EXISTS FOREIGN FROM GROUP HAVING IN INDEX INSERT
    INTERSECT INTO IS ISNULL JOIN LIMIT NOT NOTHING NOTNULL NULL ON OR ORDER PRIMARY REFERENCES
    RETURNING SELECT SET TABLE THEN TO TRANSACTION UNION UNIQUE UPDATE USING VALUES WHEN WHERE
""".split())
# Join keywords can be names (parse.y's ``nm``), but not type words or a bare DEFAULT; INDEXED is no type word.
_JOIN_KW = frozenset("CROSS FULL INNER LEFT NATURAL OUTER RIGHT".split())
_NOT_TYPE = _RESERVED | _JOIN_KW | {"INDEXED"}
_TABLE_CONSTRAINT_START = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})
_CTIME = frozenset({"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"})
_RESOLUTIONS = ("ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE")
_ACTIONS = (("SET", "NULL"), ("SET", "DEFAULT"), ("CASCADE",), ("RESTRICT",), ("NO", "ACTION"))


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def word(self) -> str | None:
        """What the grammar matches: an unquoted word upper-cased (ASCII only, like SQLite), or an operator."""
        return self.text.translate(_UPPER) if self.kind == _ID else self.text if self.kind == _OP else None


def _error(sql: str, offset: int, message: str) -> DDLParseError:
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return DDLParseError(f"{message} at line {line}, column {column} (offset {offset})", offset)


def _is_id_char(c: str) -> bool:
    """SQLite treats every byte >= 0x80 as part of an identifier, which covers all non-ASCII text."""
    return c in _ASCII_ALNUM or c == "$" or not c.isascii()


def _scan_quoted(sql: str, i: int, close: str) -> int:
    """Return the end of the quoted token starting at ``i``. A doubled ``close`` stands for itself."""
    j = i + 1
    while True:
        k = sql.find(close, j)
        if k < 0:
            raise _error(sql, i, f"unterminated {sql[i]}...{close}")
        if close == "]" or not sql.startswith(close, k + 1):
            return k + 1
        j = k + 2


def _scan_number(sql: str, i: int) -> int:
    """Read a number the way SQLite does. An identifier character stuck to it (``1x``, ``1e``) is an error."""
    def skip(j: int, chars: frozenset[str]) -> int:
        while sql[j:j + 1] in chars:
            j += 1
        return j

    if sql.startswith(("0x", "0X"), i) and sql[i + 2:i + 3] in _HEX:
        j = skip(i + 2, _HEX)
    else:
        j = skip(i, _DIGITS)
        if sql[j:j + 1] == ".":
            j = skip(j + 1, _DIGITS)
        k = j + 2 if sql[j + 1:j + 2] in ("+", "-") else j + 1
        if sql[j:j + 1] in ("e", "E") and sql[k:k + 1] in _DIGITS:
            j = skip(k, _DIGITS)
    if _is_id_char(sql[j:j + 1]):
        raise _error(sql, i, "malformed number")
    return j


def _tokenize(sql: str) -> list[_Token]:
    """Split ``sql`` into tokens and drop whitespace and comments (``--`` and ``/* */``, as SQLite does)."""
    tokens: list[_Token] = []
    i, n = 0, len(sql)
    while i < n:
        c, start = sql[i], i
        if c in " \t\n\f\r":
            i += 1
            continue
        if sql.startswith(("--", "/*"), i):  # SQLite lets an unterminated /* comment run to the end
            close = "\n" if c == "-" else "*/"
            end = sql.find(close, i + 2)
            i = n if end < 0 else end + len(close)
            continue
        if c in "'\"`[":
            i = _scan_quoted(sql, i, "]" if c == "[" else c)
            kind = _STRING if c == "'" else _QID
        elif c in "xX" and sql.startswith("'", i + 1):
            i = _scan_quoted(sql, i + 1, "'")
            body = sql[start + 2:i - 1]
            if len(body) % 2 or not set(body) <= _HEX:
                raise _error(sql, start, "malformed blob literal")
            kind = _BLOB
        elif c in _DIGITS or (c == "." and sql[i + 1:i + 2] in _DIGITS):
            i, kind = _scan_number(sql, i), _NUMBER
        elif _is_id_char(c) and c not in _DIGITS and c != "$":
            while i < n and _is_id_char(sql[i]):
                i += 1
            kind = _ID
        elif c in "?:@$#":
            raise _error(sql, i, "parameters are not allowed in CREATE TABLE")
        else:
            op = next((o for o in _OPERATORS if sql.startswith(o, i)), None)
            if op is None:
                raise _error(sql, i, f"unrecognized token {c!r}")
            i, kind = i + len(op), _OP
        tokens.append(_Token(kind, sql[start:i], start, i))
    return [*tokens, _Token(_EOF, "", n, n)]


def _unquote(token: _Token) -> str:
    """Return the name a token stands for: ``"a""b"`` is ``a"b``, ``[c d]`` is ``c d``, ``'x'`` is ``x``."""
    if token.kind not in (_QID, _STRING):
        return token.text
    quote, body = token.text[0], token.text[1:-1]
    return body if quote == "[" else body.replace(quote * 2, quote)


def _join(tokens: list[_Token]) -> str:
    """Rebuild text from tokens. Any whitespace or comment between two tokens becomes one space."""
    parts = [tokens[0].text]
    for prev, tok in pairwise(tokens):
        parts.append(f" {tok.text}" if tok.start > prev.end else tok.text)
    return "".join(parts)


def _fold(name: str) -> str:
    """SQLite compares identifiers case-insensitively, folding ASCII letters only."""
    return name.translate(_LOWER)


# --- parser -----------------------------------------------------------------------------------------

class _Parser:
    """Recursive descent over the token list: one method per rule of the CREATE TABLE grammar."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.tokens = _tokenize(sql)
        self.pos = 0
        self.columns: list[ParsedColumn] = []
        self.primary_key: ParsedPrimaryKey | None = None
        self.uniques: list[ParsedUnique] = []
        self.checks: list[ParsedCheck] = []
        self.foreign_keys: list[ParsedForeignKey] = []

    # token helpers: words are upper-cased keywords or operators such as "(" and ","

    def _peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]  # the last token is _EOF

    def _word(self, ahead: int = 0) -> str | None:
        return self._peek(ahead).word

    def _fail(self, message: str, tok: _Token | None = None) -> DDLParseError:
        tok = tok or self._peek()
        found = "end of input" if tok.kind == _EOF else f'"{tok.text}"'
        return _error(self.sql, tok.start, f"{message}, found {found}")

    def _next(self, what: str) -> _Token:
        tok = self._peek()
        if tok.kind == _EOF:
            raise self._fail(f"expected {what}")
        self.pos += 1
        return tok

    def _accept(self, *words: str) -> bool:
        """Consume the sequence ``words`` if it comes next."""
        if all(self._word(k) == w for k, w in enumerate(words)):
            self.pos += len(words)
            return True
        return False

    def _accept_any(self, *words: str) -> str | None:
        return next((w for w in words if self._accept(w)), None)

    def _expect(self, *words: str) -> _Token:
        for word in words:
            if not self._accept(word):
                raise self._fail(f"expected {word}")
        return self.tokens[self.pos - 1]

    def _name(self, what: str) -> str:
        """parse.y's ``nm``: a word that is not reserved, a quoted identifier or a 'string'."""
        tok = self._peek()
        if not (tok.kind in (_QID, _STRING) or (tok.kind == _ID and tok.word not in _RESERVED)):
            raise self._fail(f"expected {what}")
        self.pos += 1
        return _unquote(tok)

    def _name_list(self, what: str) -> tuple[str, ...]:
        self._expect("(")
        names = [self._name(what)]
        while self._accept(","):
            names.append(self._name(what))
        self._expect(")")
        return tuple(names)

    def _balanced(self, what: str) -> tuple[str, int]:
        """Skip ``( expr )``. Return the text inside, stripped, and the offset just after ``)``.

        A comma at the top level means that the text is not an expression.
        """
        open_ = self._expect("(")
        depth = 1
        while True:
            tok = self._next(f"')' to close {what}")
            if tok.word in ("(", ")"):
                depth += 1 if tok.word == "(" else -1
                if depth == 0 and self.tokens[self.pos - 2] is open_:
                    raise self._fail(f"empty {what}", tok)
                if depth == 0:
                    return self.sql[open_.end:tok.start].strip(), tok.end
            elif tok.word == ";" or (tok.word == "," and depth == 1):
                raise self._fail(f"unexpected '{tok.text}' in {what}", tok)

    # grammar rules

    def parse(self) -> ParsedTable:
        """create-table-stmt. AS SELECT is rejected, because such a table has no constraints to recover."""
        self._expect("CREATE")
        self._accept_any("TEMP", "TEMPORARY")
        self._expect("TABLE")
        if self._accept("IF"):
            self._expect("NOT", "EXISTS")
        name = self._name("table name")
        if self._accept("."):
            name = self._name("table name")
        if self._word() == "AS":
            raise self._fail("CREATE TABLE ... AS SELECT has no column definitions to parse")
        self._expect("(")
        self._column_def()
        in_constraints = False  # parse.y: all column-defs come first, then the table constraints
        while not self._accept(")"):
            comma = self._accept(",")
            if self._word() in _TABLE_CONSTRAINT_START and (comma or in_constraints):
                in_constraints = True  # a table constraint may follow another one without a comma
                self._table_constraint()
            elif comma and not in_constraints:
                self._column_def()
            else:
                raise self._fail("expected ',' or ')'")
        without_rowid = strict = False
        while self._word() not in (None, ";"):  # table-options, separated by commas
            if self._accept("WITHOUT", "ROWID"):
                without_rowid = True
            elif self._accept("STRICT"):
                strict = True
            else:
                raise self._fail("expected WITHOUT ROWID or STRICT")
            if not self._accept(","):
                break
            if self._word() in (None, ";"):
                raise self._fail("expected a table option")
        self._accept(";")
        if self._peek().kind != _EOF:
            raise self._fail("unexpected text after the statement")
        pk = {_fold(c) for c in self.primary_key.columns} if self.primary_key else set()
        columns = tuple(replace(c, primary_key=_fold(c.name) in pk) for c in self.columns)
        return ParsedTable(name, columns, self.primary_key, tuple(self.uniques), tuple(self.checks),
                           tuple(self.foreign_keys), without_rowid, strict)

    def _type_name(self) -> str:
        """type-name: words (names, unreserved keywords, strings), then optionally ``(n)`` or ``(n, m)``."""
        start = self.pos
        while (tok := self._peek()).kind in (_QID, _STRING) or (tok.kind == _ID and tok.word not in _NOT_TYPE):
            self.pos += 1
        words = self.tokens[start:self.pos]
        # "x GENERATED ALWAYS AS (...)" reads as type "x GENERATED ALWAYS", then AS. Like SQLite's build.c,
        # drop a trailing ALWAYS, and then GENERATED, from a type of 16 or more characters.
        if words and words[-1].word == "ALWAYS" and words[-1].end - words[0].start >= 16:
            words = words[:-2] if len(words) > 1 and words[-2].word == "GENERATED" else words[:-1]
        elif words and self._accept("("):
            self._signed_number()
            if self._accept(","):
                self._signed_number()
            self._expect(")")
            words = self.tokens[start:self.pos]
        if len(words) == 1 and words[0].kind in (_QID, _STRING):
            return _unquote(words[0])
        return _join(words) if words else ""

    def _signed_number(self) -> None:
        self._accept_any("+", "-")
        tok = self._next("a number")
        if tok.kind != _NUMBER:
            raise self._fail("expected a number", tok)

    def _column_def(self) -> None:
        """column-def: a name, a type, then column constraints in any order and number."""
        name = self._name("column name")
        type_ = self._type_name()
        not_null = generated = False
        default: str | None = None
        while True:
            start = self._peek()
            cname: str | None = None
            while self._accept("CONSTRAINT"):  # SQLite also accepts a CONSTRAINT name that names nothing
                cname = self._name("constraint name")
            if self._accept("PRIMARY", "KEY"):
                self._accept_any("ASC", "DESC")
                self._conflict_clause()
                self._accept("AUTOINCREMENT")
                self._set_primary_key(ParsedPrimaryKey(cname, (name,)), start)
            elif self._accept("NOT", "NULL"):
                not_null = True
                self._conflict_clause()
            elif self._accept("NULL"):
                self._conflict_clause()
            elif self._accept("UNIQUE"):
                self._conflict_clause()
                self.uniques.append(ParsedUnique(cname, (name,)))
            elif self._accept("CHECK"):
                self.checks.append(ParsedCheck(cname, self._balanced("CHECK")[0], name))
            elif self._accept("DEFAULT"):
                default = self._default()
            elif self._word() == "COLLATE":
                self._collate()
            elif self._accept("REFERENCES"):
                self.foreign_keys.append(self._references(cname, (name,), start))
            elif self._word() in ("NOT", "DEFERRABLE"):
                # parse.y makes this a constraint of its own that applies to the table's latest foreign key.
                deferrable, initially_deferred = self._defer_clause()
                if self.foreign_keys:
                    self.foreign_keys[-1] = replace(self.foreign_keys[-1], deferrable=deferrable,
                                                    initially_deferred=initially_deferred)
            elif self._accept("GENERATED", "ALWAYS", "AS") or self._accept("AS"):
                self._balanced("generated column")
                self._accept_any("STORED", "VIRTUAL")
                generated = True
            else:
                break
        self.columns.append(ParsedColumn(name, type_, not_null, default, False, generated))

    def _default(self) -> str:
        """DEFAULT: ``( expr )``, a literal, a signed literal, or a bare identifier (read as a string)."""
        first = self._next("a default value")
        if first.word == "(":
            self.pos -= 1
            return self.sql[first.start:self._balanced("DEFAULT")[1]]
        signed = first.word in ("+", "-")
        tok = self._next("a default value") if signed else first
        literal = tok.kind in (_NUMBER, _STRING, _BLOB) or tok.word in _CTIME or tok.word == "NULL"
        bare = tok.kind == _QID or (tok.kind == _ID and tok.word not in _RESERVED | _JOIN_KW)
        if not (literal or (bare and not signed)):
            raise self._fail("expected a default value", tok)
        return self.sql[first.start:tok.end]

    def _collate(self) -> None:
        if self._accept("COLLATE"):
            self._name("collation name")

    def _conflict_clause(self) -> None:
        if self._accept("ON", "CONFLICT") and not self._accept_any(*_RESOLUTIONS):
            raise self._fail("expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE")

    def _references(self, cname: str | None, columns: tuple[str, ...], start: _Token) -> ParsedForeignKey:
        """foreign-key-clause after REFERENCES: the parent, its optional columns, then ON/MATCH in any order."""
        table = self._name("referenced table name")
        referred = self._name_list("referenced column name") if self._word() == "(" else ()
        if referred and len(referred) != len(columns):
            raise self._fail("foreign key column count does not match the referenced columns", start)
        actions: dict[str, str] = {}
        match: str | None = None
        while True:
            if self._accept("MATCH"):
                match = self._name("MATCH type").upper()
            elif self._word() == "ON" and (event := self._word(1)) in ("DELETE", "UPDATE", "INSERT"):
                self.pos += 2
                action = next((w for w in _ACTIONS if self._accept(*w)), None)
                if action is None:
                    raise self._fail("expected SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION")
                actions[str(event)] = " ".join(action)
            else:
                return ParsedForeignKey(cname, columns, table, referred, actions.get("DELETE"),
                                        actions.get("UPDATE"), match, False, False)

    def _defer_clause(self) -> tuple[bool, bool]:
        """``[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]`` as (deferrable, initially_deferred)."""
        negated = self._accept("NOT")
        self._expect("DEFERRABLE")
        initially: str | None = None
        if self._accept("INITIALLY") and (initially := self._accept_any("DEFERRED", "IMMEDIATE")) is None:
            raise self._fail("expected DEFERRED or IMMEDIATE")
        return (False, False) if negated else (True, initially == "DEFERRED")

    def _indexed_columns(self, primary_key: bool) -> tuple[str, ...]:
        """The columns of PRIMARY KEY/UNIQUE: ``name [COLLATE c] [ASC|DESC]``. COLLATE and order are dropped."""
        self._expect("(")
        names: list[str] = []
        while True:
            depth = 0
            while self._accept("("):  # SQLite accepts a parenthesised column name here
                depth += 1
            names.append(self._name("column name"))
            self._collate()
            for _ in range(depth):
                self._expect(")")
                self._collate()
            self._accept_any("ASC", "DESC")
            if not self._accept(","):
                break
        if primary_key:
            self._accept("AUTOINCREMENT")
        self._expect(")")
        return tuple(names)

    def _table_constraint(self) -> None:
        """table-constraint. A CONSTRAINT name applies only to the constraint right after it."""
        cname: str | None = None
        while self._accept("CONSTRAINT"):
            cname = self._name("constraint name")
        start = self._peek()
        if self._accept("PRIMARY", "KEY"):
            columns = self._check_columns(self._indexed_columns(True), start)
            self._conflict_clause()
            self._set_primary_key(ParsedPrimaryKey(cname, columns), start)
        elif self._accept("UNIQUE"):
            self.uniques.append(ParsedUnique(cname, self._check_columns(self._indexed_columns(False), start)))
            self._conflict_clause()
        elif self._accept("CHECK"):
            self.checks.append(ParsedCheck(cname, self._balanced("CHECK")[0], None))
            self._conflict_clause()
        elif self._accept("FOREIGN", "KEY"):
            columns = self._check_columns(self._name_list("column name"), start)
            self._expect("REFERENCES")
            fk = self._references(cname, columns, start)
            if self._word() in ("NOT", "DEFERRABLE"):
                deferrable, initially_deferred = self._defer_clause()
                fk = replace(fk, deferrable=deferrable, initially_deferred=initially_deferred)
            self.foreign_keys.append(fk)
        elif cname is None:
            raise self._fail("expected a table constraint")

    def _check_columns(self, names: tuple[str, ...], start: _Token) -> tuple[str, ...]:
        """Reject a constraint on an undeclared column, as SQLite does."""
        declared = {_fold(c.name) for c in self.columns}
        missing = [n for n in names if _fold(n) not in declared]
        if missing:
            raise self._fail(f"no such column: {missing[0]}", start)
        return names

    def _set_primary_key(self, pk: ParsedPrimaryKey, start: _Token) -> None:
        if self.primary_key is not None:
            raise self._fail("table has more than one primary key", start)
        self.primary_key = pk


def parse_create_table(sql: str) -> ParsedTable:
    """Parse one CREATE TABLE statement, such as the text in ``sqlite_schema.sql``.

    Identifiers come back unquoted, with their case as written. Constraints come back in source order.
    Raises DDLParseError for text SQLite would reject, for other statements, and for
    ``CREATE TABLE ... AS SELECT``.
    """
    return _Parser(sql).parse()
