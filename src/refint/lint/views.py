"""The views a column's retype must drop and re-create (PostgreSQL), spelled around fk-type-mismatch's fix.

PostgreSQL refuses ``ALTER COLUMN ... TYPE`` on a column a view or materialized view uses ("cannot alter type
of a column used by a view or rule"). The engine lists those views, and the views on them, with what the
catalog knows about each (:class:`refint.engines.base.ViewDef`); :func:`around_views` wraps the ALTER in one
transaction that drops them (dependents first) and re-creates them in creation order: definition
(``pg_get_viewdef``, every name qualified), column names, ``WITH (...)`` options, WITH [NO] DATA, indexes,
triggers and rules, column defaults, owner, comments and grants. Each fix is self-contained: two fixes that
share views each drop and re-create them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refint.engines.base import Dependents, Engine, RuleDef, ViewDef

_PLAIN = re.compile(r"[A-Za-z0-9_.]+\Z")


def literal(text: str) -> str:
    """A standard SQL string literal (PostgreSQL's default ``standard_conforming_strings = on``)."""
    return "'" + text.replace("'", "''") + "'"


def _option(option: str) -> str:
    key, _, value = option.partition("=")
    return f"{key}={value if _PLAIN.match(value) else literal(value)}"


def _grantee(engine: Engine, role: str | None) -> str:
    return "PUBLIC" if role is None else engine.quote(role)


def recreate(engine: Engine, view: ViewDef) -> list[str]:
    """The statements that re-create ``view`` as the catalog described it (each without a semicolon)."""
    q = engine.quote
    ref = engine.table_ref(view.schema, view.name)
    kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
    head = f"CREATE {kind} {ref} ({', '.join(q(c) for c in view.columns)})"
    if view.options:
        head += f" WITH ({', '.join(_option(o) for o in view.options)})"
    text = f"{head} AS\n{view.definition}"
    if view.materialized:
        text += "\n  WITH DATA" if view.populated else "\n  WITH NO DATA"
    out = [text, *view.indexes, *view.triggers, *view.rules]
    out += [f"ALTER {kind} {ref} ALTER COLUMN {q(c)} SET DEFAULT {expr}" for c, expr in view.column_defaults]
    if view.owner:
        out.append(f"ALTER {kind} {ref} OWNER TO {q(view.owner)}")
    if view.comment is not None:
        out.append(f"COMMENT ON {kind} {ref} IS {literal(view.comment)}")
    out += [f"COMMENT ON COLUMN {ref}.{q(c)} IS {literal(note)}" for c, note in view.column_comments]
    if view.has_acl and view.owner:
        # the catalog's ACL replaces the default one: the owner's own privileges included
        out.append(f"REVOKE ALL ON TABLE {ref} FROM {q(view.owner)}")
    granted: dict[tuple[str | None, bool], list[str]] = {}
    for role, privilege, grantable in view.grants:
        granted.setdefault((role, grantable), []).append(privilege)
    for (role, grantable), privileges in granted.items():
        out.append(f"GRANT {', '.join(privileges)} ON TABLE {ref} TO {_grantee(engine, role)}"
                   + (" WITH GRANT OPTION" if grantable else ""))
    for column, role, privilege, grantable in view.column_grants:
        out.append(f"GRANT {privilege} ({q(column)}) ON TABLE {ref} TO {_grantee(engine, role)}"
                   + (" WITH GRANT OPTION" if grantable else ""))
    return out


def cast_back(rule: RuleDef) -> str:
    """The rule's text with ``new.col``/``old.col`` of each retyped column cast to its former type, outside
    string literals: the re-created rule computes what it did before (a function taking SMALLINT still
    matches), where the bare wider column might match no function or operator any more."""
    if not rule.casts:
        return rule.definition
    parts = re.split(r"('(?:[^']|'')*')", rule.definition)
    for column, old_type in rule.casts:
        ref = re.compile(r'(?<![\w."$])((?:new|old)\.' + re.escape(column) + r')(?![\w"$])')
        parts = [p if p.startswith("'") else ref.sub(lambda m: f"({m.group(1)})::{old_type}", p) for p in parts]
    return "".join(parts)


def around_views(engine: Engine, what: str, alter: str, found: Dependents) -> str:
    """``alter`` alone, or wrapped in BEGIN/COMMIT between dropping the rules and views that use the column
    (views dependents first) and re-creating them; a comment on top says which."""
    if not found:
        return alter
    views = found.views
    dropped = [engine.table_ref(v.schema, v.name) for v in views]
    dropped += [f"rule {engine.quote(r.name)} on {engine.table_ref(r.schema, r.table)}" for r in found.rules]
    header = (f"-- {what} is used by {', '.join(dropped)}: this fix drops them (dependents first), changes the "
              "column and re-creates them as they were, in one transaction (views: definition, options, data, "
              "indexes, triggers, rules, defaults, owner, comments, grants)")
    lines = [header.replace("\n", " ")]
    if any(r.casts for r in found.rules):
        lines.append("-- a rule on the table itself keeps reading the column as its former type (cast back)")
    lines.append("BEGIN;")
    lines += [f"DROP RULE {engine.quote(r.name)} ON {engine.table_ref(r.schema, r.table)};" for r in found.rules]
    for view in reversed(views):
        lines.append(f"DROP {'MATERIALIZED VIEW' if view.materialized else 'VIEW'} "
                     f"{engine.table_ref(view.schema, view.name)};")
    lines.append(f"{alter};")
    for view in views:
        lines += [f"{statement};" for statement in recreate(engine, view)]
    lines += [f"{cast_back(r)};" for r in found.rules]
    lines.append("COMMIT;")
    return "\n".join(lines)
