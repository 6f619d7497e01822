"""No volatile function in a ``plan`` predicate or assignment (issue 12 item 3).

``refint plan`` pastes the user's ``--where`` and ``--set`` into its own read-only queries. A read-only
transaction covers refint's connection only: a function that opens a connection of its own
(PostgreSQL's ``dblink_exec``, an untrusted-language function, a MySQL UDF) writes outside it, once per
row. So before any query runs, each fragment is parsed with sqlglot (in the engine's dialect), every
function it calls (in subqueries too) is looked up in the engine's own catalog, and a call the engine
marks volatile is refused. The rule per engine (docs/plan.md):

- PostgreSQL: ``pg_proc.provolatile = 'v'``, for the functions of that name visible in the search path
  (or in the schema named), keeping overloads whose argument count can match; operators whose function
  (``pg_operator.oprcode``) is volatile; casts to a type whose input or cast function is volatile; and every function or operator a view read in a subquery uses,
  through the views it reads in turn (``pg_depend`` of the views' rewrite rules). ``now()`` is STABLE:
  allowed.
- SQLite: ``PRAGMA function_list`` without the SQLITE_DETERMINISTIC flag (``random()``, ``changes()``,
  ...). The date and time functions carry the flag (their ``'now'`` is fixed for one statement).
- DuckDB: ``duckdb_functions()`` with ``stability = 'VOLATILE'``.
- MySQL/MariaDB: the server's functions the manual lists as unsafe for statement-based replication or
  that act outside the statement (:data:`MYSQL_UNSAFE`); a stored function unless it is declared
  ``DETERMINISTIC`` with ``NO SQL`` or ``READS SQL DATA`` (``information_schema.ROUTINES``); a loadable
  function (``mysql.func``) always.

A fragment sqlglot cannot parse is refused too: what cannot be read cannot be vouched for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput

if TYPE_CHECKING:
    from refint.engines.base import Engine

#: sqlglot's dialect per engine
DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}

#: MySQL 8.0 manual 19.2.1.3 ("system functions that may return a different value on the replica"),
#: MariaDB's "unsafe statements for statement-based replication", and the functions that wait, lock,
#: read files or advance sequences
MYSQL_UNSAFE = frozenset("""
found_rows get_lock is_free_lock is_used_lock load_file rand release_lock release_all_locks row_count
session_user sleep source_pos_wait master_pos_wait master_gtid_wait sysdate system_user user uuid
uuid_short benchmark nextval lastval setval last_insert_id wait_for_executed_gtid_set
""".split())


@dataclass(frozen=True)
class Call:
    name: str
    schema: str | None  # as written (a qualified call), else None: the search path decides
    args: int | None  # the number of arguments written, when sqlglot kept the call as written
    via: str | None = None  # the view whose definition calls it


def _label(parsed: Parsed, name: str) -> str:
    """``name()``, and the view it is called through when no fragment calls it directly."""
    calls = [c for c in parsed.calls if c.name.lower() == name.lower()]
    via = next((c.via for c in calls if c.via), None) if all(c.via for c in calls) else None
    return f"{name}()" + (f" (through view {via})" if via else "")


@dataclass
class Parsed:
    calls: list[Call]
    tables: list[tuple[str | None, str]]  # relations read in subqueries (schema, name)
    casts: list[str] = field(default_factory=list)  # the types cast to, as written in the dialect


def refuse_volatile(engine: Engine, fragments: Sequence[str]) -> None:
    """Raise BadInput naming the first volatile function a fragment calls (see module docstring)."""
    dialect = DIALECTS.get(engine.name)
    if dialect is None:
        return  # a generic engine: no catalog to ask; its read-only transaction is all there is
    # operators first: one PostgreSQL's catalog defines may be one sqlglot cannot read
    found = _postgres_operators(engine, fragments) if engine.name == "postgresql" else []
    if not found:
        parsed = parse(fragments, dialect)
        _read_views(engine, parsed, dialect)
        lookup = {"postgresql": _postgres, "sqlite": _sqlite, "duckdb": _duckdb}.get(engine.name, _mysql)
        found = lookup(engine, parsed)
    if found:
        raise BadInput(f"the predicate calls {found[0]}, which is volatile on {engine.name}: a read-only plan "
                       "does not run volatile functions (they may write through a connection of their own, "
                       "or differ per call)")


def parse(fragments: Iterable[str], dialect: str) -> Parsed:
    """The function calls and the relations of every fragment, by sqlglot."""
    import sqlglot
    from sqlglot import exp

    out = Parsed([], [])
    for text in fragments:
        try:
            tree = sqlglot.parse_one(text, read=dialect)
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
            first = (str(exc).splitlines() or [""])[0]
            raise BadInput(f"malformed predicate (refint cannot parse it to check which functions it calls): {first}") from None
        for node in tree.find_all(exp.Func):
            if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType):
                out.casts.append(node.to.sql(dialect=dialect))
            if isinstance(node, (exp.Binary, exp.Connector, exp.Cast)):
                continue  # operators: looked up as operators; casts: by their target type
            call = _call(node, dialect)
            if call is not None:
                out.calls.append(call)
        for table in tree.find_all(exp.Table):
            if isinstance(table.this, exp.Identifier):
                schema = table.args.get("db")
                out.tables.append((_folded(schema, dialect) if isinstance(schema, exp.Identifier) else None,
                                   _folded(table.this, dialect)))
    return out


def _folded(ident: Any, dialect: str) -> str:
    """A name as the catalog spells it: PostgreSQL folds an unquoted one to lower case."""
    return str(ident.this) if ident.quoted or dialect != "postgres" else str(ident.this).lower()


#: the definition of a view, by (schema or None, name); no row for a table
VIEW_SQL = {
    "postgresql": "SELECT pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.oid = "
                  "to_regclass(CASE WHEN CAST(:s AS text) IS NULL THEN quote_ident(:t) "
                  "ELSE quote_ident(:s) || '.' || quote_ident(:t) END)",
    "sqlite": "SELECT sql FROM sqlite_schema WHERE type = 'view' AND :s IS NULL AND lower(name) = lower(:t)",
    "duckdb": "SELECT sql FROM duckdb_views() WHERE NOT internal AND lower(view_name) = lower(:t) "
              "AND (:s IS NULL OR lower(schema_name) = lower(:s))",
    "mysql": "SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_NAME = :t "
             "AND TABLE_SCHEMA = COALESCE(:s, DATABASE())",
}


def _read_views(engine: Engine, parsed: Parsed, dialect: str) -> None:
    """Add the calls of every view a fragment reads, and of the views those read, to ``parsed``
    (a function a view calls runs as if the fragment called it)."""
    sql = VIEW_SQL["mysql" if engine.name == "mariadb" else engine.name]
    seen: set[tuple[str | None, str]] = set()
    i = 0
    while i < len(parsed.tables):
        key = parsed.tables[i]
        i += 1
        if key in seen or len(seen) > 200:
            continue
        seen.add(key)
        row = engine.exec(sql, {"s": key[0], "t": key[1]}).fetchone()
        if row is not None and row[0]:
            more = parse([str(row[0]).strip().rstrip(";")], dialect)
            parsed.calls.extend(replace(c, via=c.via or key[1]) for c in more.calls)
            parsed.casts.extend(more.casts)
            parsed.tables.extend(more.tables)


def _call(node: Any, dialect: str) -> Call | None:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        ident = node.this
        name = ident.this if isinstance(ident, exp.Identifier) else str(ident)
        schema = node.parent.this.name if isinstance(node.parent, exp.Dot) and node.parent.expression is node else None
        return Call(name, schema, len(node.expressions))
    text = node.sql(dialect=dialect)
    head = text.split("(", 1)[0].strip()
    if "(" not in text or not head.replace("_", "").isalnum():
        return None  # a keyword (CURRENT_TIMESTAMP) or a construct (CASE, EXISTS), not a named call
    return Call(head.lower(), None, None)


def _postgres_operators(engine: Engine, fragments: Sequence[str]) -> list[str]:
    ops = _operators(fragments)
    if not ops:
        return []
    marks = ", ".join(f":o{i}" for i in range(len(ops)))
    sql = ("SELECT DISTINCT o.oprname FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode "
           f"WHERE p.provolatile = 'v' AND o.oprname IN ({marks}) AND pg_operator_is_visible(o.oid) ORDER BY 1")
    return [f"operator {r[0]}" for r in engine.exec(sql, {f"o{i}": o for i, o in enumerate(ops)}).fetchall()]


def _postgres(engine: Engine, parsed: Parsed) -> list[str]:
    found: list[str] = []
    if parsed.calls:
        rows, params = [], {}
        for i, c in enumerate(parsed.calls):
            # unquoted names fold to lower case; both spellings are looked up (the safer reading)
            rows.append(f"SELECT :n{i} AS name, :l{i} AS lname, :s{i} AS sch, :a{i} AS nargs")
            params.update({f"n{i}": c.name, f"l{i}": c.name.lower(), f"s{i}": c.schema, f"a{i}": c.args})
        sql = (f"SELECT DISTINCT c.name FROM ({' UNION ALL '.join(rows)}) c "
               "JOIN pg_proc p ON p.proname IN (c.name, c.lname) JOIN pg_namespace n ON n.oid = p.pronamespace "
               "WHERE p.provolatile = 'v' "
               "AND (CASE WHEN c.sch IS NULL THEN pg_function_is_visible(p.oid) "
               "ELSE n.nspname IN (c.sch, lower(c.sch)) END) "
               "AND (c.nargs IS NULL OR p.provariadic <> 0 OR "
               "CAST(c.nargs AS int) BETWEEN p.pronargs - p.pronargdefaults AND p.pronargs) ORDER BY 1")
        found += [_label(parsed, r[0]) for r in engine.exec(sql, params).fetchall()]
    if parsed.tables:
        rels = " UNION ".join(
            f"SELECT to_regclass(CASE WHEN CAST(:s{i} AS text) IS NULL THEN quote_ident(:t{i}) "
            f"ELSE quote_ident(:s{i}) || '.' || quote_ident(:t{i}) END) AS oid"
            for i in range(len(parsed.tables)))
        params = {}
        for i, (schema, name) in enumerate(parsed.tables):
            params.update({f"s{i}": schema, f"t{i}": name})
        # the views a subquery reads, the views they read, ...: every function and operator their
        # rewrite rules depend on
        sql = ("WITH RECURSIVE rel(oid) AS ("
               f"SELECT oid FROM ({rels}) r WHERE oid IS NOT NULL "
               "UNION SELECT d.refobjid FROM rel JOIN pg_rewrite w ON w.ev_class = rel.oid "
               "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid "
               "AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> rel.oid) "
               "SELECT DISTINCT c.relname, p.proname FROM rel JOIN pg_class c ON c.oid = rel.oid "
               "JOIN pg_rewrite w ON w.ev_class = rel.oid "
               "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid "
               "LEFT JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid "
               "JOIN pg_proc p ON p.oid = CASE WHEN d.refclassid = 'pg_proc'::regclass THEN d.refobjid "
               "ELSE o.oprcode END "
               "WHERE p.provolatile = 'v' ORDER BY 1, 2")
        views: Sequence[Any] = engine.exec(sql, params).fetchall()
        found += [f"{r[1]}() through view {r[0]}" for r in views]
    if parsed.casts:
        # a cast runs the target type's input function (from a literal) or the cast's function
        types = " UNION ".join(f"SELECT to_regtype(:c{i}) AS oid" for i in range(len(parsed.casts)))
        sql = ("SELECT DISTINCT format_type(t.oid, NULL), p.proname "
               f"FROM ({types}) v JOIN pg_type t ON t.oid = v.oid "
               "JOIN pg_proc p ON p.oid = t.typinput OR p.oid IN "
               "(SELECT c.castfunc FROM pg_cast c WHERE c.casttarget = t.oid) "
               "WHERE p.provolatile = 'v' ORDER BY 1, 2")
        casts: Sequence[Any] = engine.exec(sql, {f"c{i}": c for i, c in enumerate(parsed.casts)}).fetchall()
        found += [f"{r[1]}() (a cast to {r[0]})" for r in casts]
    return found


def _operators(fragments: Sequence[str]) -> list[str]:
    """Operator symbols as written (adjacent operator characters outside literals and identifiers)."""
    from refint.sqltext import tokenize

    ops: set[str] = set()
    for text in fragments:
        current, end = "", -1
        for tok in tokenize(text, escape_strings=True):
            if tok.kind == "op" and tok.text not in "(),.[]" and tok.start == end and current:
                current += tok.text
            elif tok.kind == "op" and tok.text not in "(),.[]":
                if current:
                    ops.add(current)
                current = tok.text
            else:
                if current:
                    ops.add(current)
                current = ""
            end = tok.start + len(tok.text)
        if current:
            ops.add(current)
    return sorted(ops)


def _sqlite(engine: Engine, parsed: Parsed) -> list[str]:
    names = sorted({c.name.lower() for c in parsed.calls})
    if not names:
        return []
    rows: Sequence[Any] = engine.exec("SELECT name, narg, flags FROM pragma_function_list").fetchall()
    deterministic = 0x800  # SQLITE_DETERMINISTIC
    volatile = {str(r[0]).lower() for r in rows if not int(r[2]) & deterministic}
    return [_label(parsed, n) for n in names if n in volatile]


def _duckdb(engine: Engine, parsed: Parsed) -> list[str]:
    names = sorted({c.name.lower() for c in parsed.calls})
    if not names:
        return []
    marks = ", ".join(f":n{i}" for i in range(len(names)))
    rows = engine.exec(f"SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE stability = 'VOLATILE' "
                       f"AND lower(function_name) IN ({marks}) ORDER BY 1", {f"n{i}": n for i, n in enumerate(names)})
    return [_label(parsed, r[0]) for r in rows.fetchall()]


def _mysql(engine: Engine, parsed: Parsed) -> list[str]:
    found = sorted({_label(parsed, c.name) for c in parsed.calls if c.schema is None and c.name.lower() in MYSQL_UNSAFE})
    calls = parsed.calls
    if not calls:
        return found
    conds, params = [], {}
    for i, c in enumerate(calls):
        conds.append(f"(ROUTINE_NAME = :n{i} AND ROUTINE_SCHEMA = COALESCE(:s{i}, DATABASE()))")
        params.update({f"n{i}": c.name, f"s{i}": c.schema})
    rows: Sequence[Any] = engine.exec(
        "SELECT ROUTINE_SCHEMA, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'FUNCTION' "
        f"AND ({' OR '.join(conds)}) AND NOT (IS_DETERMINISTIC = 'YES' "
        "AND SQL_DATA_ACCESS IN ('NO SQL', 'READS SQL DATA')) ORDER BY 1, 2", params).fetchall()
    found += [f"{r[0]}.{r[1]}() (not declared DETERMINISTIC with NO SQL or READS SQL DATA)" for r in rows]
    try:
        udfs = {str(r[0]).lower() for r in engine.exec("SELECT name FROM mysql.func").fetchall()}
    except Exception:
        udfs = set()  # no privilege on mysql.func: loadable functions cannot be listed
    found += sorted({f"{c.name}() (a loadable function)" for c in calls if c.schema is None and c.name.lower() in udfs})
    return found
