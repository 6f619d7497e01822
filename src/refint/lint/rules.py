"""``refint lint``: design rules for foreign keys, each with an id, a severity, a message and a fix.

Most foreign-key trouble is visible in the schema before any row is wrong, so these rules read the model
(plus, for ``fk-set-default-invalid``, one bound lookup per SET DEFAULT key). Each rule is a small function
in the ``RULES`` registry, documented on its own page under ``docs/lint/<rule>.md``; engine differences are
capability flags (``indexes_foreign_keys``, ``not_valid``, ``set_default_works``); only the *spelling* of a
fix differs per engine family. SQLite and DuckDB cannot alter a column or constraint in place, so rules
whose fix needs a table rebuild give no DDL there. Findings are frozen dataclasses whose ``to_dict()`` is
CONTRACT.md's JSON. Type normalisation lives in :mod:`refint.lint.types`, ``[tool.refint]`` in
:mod:`refint.lint.config`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import networkx as nx

from refint.errors import BadInput
from refint.lint.config import SEVERITIES, LintConfig, load_config, severity_rank
from refint.lint.types import literal_default, normalise_type, sqlite_affinity
from refint.lint.views import around_views
from refint.model import Action, ForeignKey, Match, Schema, Table

__all__ = ["RULES", "SEVERITIES", "Finding", "LintConfig", "LintReport", "lint", "load_config",
           "literal_default", "normalise_type", "severity_rank", "sqlite_affinity"]

if TYPE_CHECKING:
    from refint.engines.base import Engine

DEFAULT_CASCADE_DEPTH = 3
DOCS = "docs/lint/{}.md"


@dataclass(frozen=True)
class Finding:
    """One rule hit. ``constraint`` is None for findings about a table (cascade depth) or a column."""

    rule: str
    severity: str
    schema: str | None
    table: str
    constraint: str | None
    columns: tuple[str, ...]
    message: str
    fix: str | None = None
    #: rule-specific data (cycle members, loadability, cascade reach), merged into the JSON
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def names(self) -> list[str]:
        """Every constraint name the finding is about (a cycle has several): what ``ignore`` matches."""
        found = [self.constraint] if self.constraint else []
        found += [str(c) for c in self.details.get("constraints", ()) if c and c not in found]
        return found

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule, "severity": self.severity, "schema": self.schema, "table": self.table,
            "constraint": self.constraint, "columns": list(self.columns), "message": self.message,
            "fix": self.fix, "docs": DOCS.format(self.rule),
        }
        for key, value in self.details.items():
            out.setdefault(key, value)
        return out


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    #: the rules that ran (applicable to this engine and not disabled)
    rules: tuple[str, ...]
    #: rules that do not apply to this engine (e.g. fk-unindexed where InnoDB indexes keys itself)
    not_applicable: tuple[str, ...] = ()
    #: findings hidden by ``ignore`` entries
    suppressed: int = 0

    def at_least(self, severity: str) -> list[Finding]:
        rank = severity_rank(severity)
        return [f for f in self.findings if severity_rank(f.severity) >= rank]

    def failed(self, fail_on: str) -> bool:
        return bool(self.at_least(fail_on))

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "rules": list(self.rules),
                "not_applicable": list(self.not_applicable), "suppressed": self.suppressed}


@dataclass
class Context:
    """What a rule sees: the model, the engine (quoting, capability flags, a connection) and options."""

    schema: Schema
    engine: Engine
    cascade_depth: int = DEFAULT_CASCADE_DEPTH

    @property
    def caps(self) -> Any:
        return self.engine.capabilities

    def ref(self, table: Table) -> str:
        return self.engine.table_ref(table.schema, table.name)

    def name(self, table: Table) -> str:
        """A table as messages show it: qualified only when the schema model spans several schemas."""
        if len({t.schema for t in self.schema.tables}) > 1:
            return table.qualified_name
        return table.name

    def cols(self, columns: Iterable[str]) -> str:
        return ", ".join(self.engine.quote(c) for c in columns)

    def finding(self, rule: Rule, table: Table, fk: ForeignKey | None, columns: Iterable[str], message: str,
                fix: str | None = None, severity: str | None = None, **details: Any) -> Finding:
        return Finding(rule.id, severity or rule.severity, table.schema, table.name, fk.name if fk else None,
                       tuple(columns), message, fix, details)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str
    check: Callable[[Rule, Context], Iterator[Finding]]
    #: whether the rule means anything on an engine (None: everywhere)
    applies: Callable[[Any], bool] | None = None


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, summary: str,
         applies: Callable[[Any], bool] | None = None) -> Callable[[Callable[[Rule, Context], Iterator[Finding]]], Any]:
    def register(fn: Callable[[Rule, Context], Iterator[Finding]]) -> Callable[[Rule, Context], Iterator[Finding]]:
        RULES[rule_id] = Rule(rule_id, severity, summary, fn, applies)
        return fn
    return register


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------

def _family(engine: Engine) -> str:
    """DDL spelling family. Rules branch on capability flags; only the *spelling* of a fix differs here."""
    return {"mariadb": "mysql"}.get(engine.name, engine.name)


def index_name(table: str, columns: Sequence[str], prefix: str = "ix") -> str:
    """A readable, deterministic name under PostgreSQL's 63-byte limit (a hash keeps long ones unique)."""
    name = "_".join([prefix, table, *columns])
    if len(name.encode()) <= 60:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    short = name.encode()[:48].decode("utf-8", "ignore")
    return f"{short}_{digest}"


def supporting_index(table: Table, columns: Sequence[str]) -> str | None:
    """The name of an index whose leading columns are exactly ``columns`` in order (not partial).

    A primary key or unique constraint is always backed by such an index, even where the engine does not
    list it (SQLite's INTEGER PRIMARY KEY is the rowid itself).
    """
    n = len(columns)
    for ix in table.indexes:
        if not ix.partial and tuple(ix.columns[:n]) == tuple(columns):
            return ix.name
    if table.primary_key and tuple(table.primary_key.columns[:n]) == tuple(columns):
        return table.primary_key.name or "PRIMARY KEY"
    for u in table.unique:
        if tuple(u.columns[:n]) == tuple(columns):
            return u.name or "UNIQUE"
    return None


def _column(table: Table, name: str) -> Any:
    try:
        return table.column(name)
    except KeyError:
        return None


# ---------------------------------------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------------------------------------

@rule("fk-unindexed", "warning", "No index leads with the foreign key's columns: every parent DELETE or key "
      "UPDATE scans the child table.", applies=lambda caps: not caps.indexes_foreign_keys)
def _fk_unindexed(r: Rule, ctx: Context) -> Iterator[Finding]:
    for table, fk in ctx.schema.foreign_keys:
        if supporting_index(table, fk.columns) is not None:
            continue
        name = index_name(table.name, fk.columns)
        # IF NOT EXISTS: two keys on the same columns (fk-duplicate) get the same fix, which may run twice
        fix = f"CREATE INDEX IF NOT EXISTS {ctx.engine.quote(name)} ON {ctx.ref(table)} ({ctx.cols(fk.columns)})"
        yield ctx.finding(r, table, fk, fk.columns,
                          f"no index on {table.qualified_name} starts with ({', '.join(fk.columns)}): deleting or "
                          f"re-keying a row of {fk.referred_table} scans {table.name}", fix)


@rule("fk-type-mismatch", "warning", "A foreign-key column has another type (or length) than the column it "
      "refers to.")
def _fk_type_mismatch(r: Rule, ctx: Context) -> Iterator[Finding]:
    fam = _family(ctx.engine)
    found: list[tuple[Table, ForeignKey, Any, Any, str, Table]] = []
    for table, fk in ctx.schema.foreign_keys:
        parent = ctx.schema.get(fk.referred)
        if parent is None:
            continue
        for col, pcol in zip(fk.columns, fk.referred_columns):
            c, p = _column(table, col), _column(parent, pcol)
            if c is None or p is None:
                continue
            if fam == "sqlite":
                ca, pa = sqlite_affinity(c.type), sqlite_affinity(p.type)
                if ca != pa:
                    yield ctx.finding(r, table, fk, (col,),
                                      f"{table.name}.{col} has {ca} affinity ({c.type or 'none declared'}) but "
                                      f"{parent.name}.{pcol} has {pa} affinity ({p.type or 'none declared'}): "
                                      "a key stored under one affinity (e.g. text '007') may never match "
                                      "the other (changing a type needs a table rebuild on SQLite: no DDL fix)")
                continue
            (cb, cp), (pb, pp) = normalise_type(c.type), normalise_type(p.type)
            if cb != pb or cp != pp:
                found.append((table, fk, c, p, "type" if cb != pb else "length", parent))
    # the views each retype must drop and re-create: one catalog query for all findings, only if there are any
    roots = [_retype_root(ctx, t) for t, *_ in found]
    views = (ctx.engine.dependent_views([(t.schema, t.name, f[2].name) for t, f in zip(roots, found)])
             if found and ctx.caps.dependent_views else [None for _ in found])
    for (table, fk, c, p, kind, parent), root, used_by in zip(found, roots, views):
        fix = _retype_fix(ctx, table, c, p.type, fk)
        if fix is not None and used_by:
            fix = around_views(ctx.engine, f"{ctx.ref(root)}.{ctx.engine.quote(c.name)}", fix, used_by)
        yield ctx.finding(r, table, fk, (c.name,),
                          f"{table.name}.{c.name} is {c.type} but {parent.name}.{p.name} is {p.type} ({kind} "
                          "mismatch)", fix, severity="warning" if kind == "type" else "info", mismatch=kind,
                          **({"views": [f"{v.schema}.{v.name}" for v in used_by.views]} if used_by else {}))


def _retype_root(ctx: Context, table: Table) -> Table:
    """A partition or inheritance child cannot retype an inherited column: alter the root, which recurses."""
    root = table
    while root.parent is not None and (up := ctx.schema.get(root.parent)) is not None:
        root = up
    return root


def _retype_fix(ctx: Context, table: Table, col: Any, new_type: str, fk: ForeignKey | None = None) -> str | None:
    fam = _family(ctx.engine)
    q = ctx.engine.quote(col.name)
    if fam == "postgresql":
        return f"ALTER TABLE {ctx.ref(_retype_root(ctx, table))} ALTER COLUMN {q} TYPE {new_type} USING {q}::{new_type}"
    if fam == "mysql":
        # InnoDB refuses to retype a column an FK uses (error 1832, even with foreign_key_checks=0): drop
        # the key, change the column, add the key back
        if fk is None or fk.name is None:
            return None
        null = "NULL" if col.nullable else "NOT NULL"
        return (f"ALTER TABLE {ctx.ref(table)} DROP FOREIGN KEY {ctx.engine.quote(fk.name)}; "
                f"ALTER TABLE {ctx.ref(table)} MODIFY {q} {new_type} {null}; "
                f"ALTER TABLE {ctx.ref(table)} ADD {_fk_ddl(ctx, fk)}")
    return None


@rule("fk-target-not-unique", "error", "The referred columns are not a primary key or unique constraint of the "
      "parent (SQLite then fails every write with \"foreign key mismatch\").")
def _fk_target_not_unique(r: Rule, ctx: Context) -> Iterator[Finding]:
    for table, fk in ctx.schema.foreign_keys:
        parent = ctx.schema.get(fk.referred)
        if parent is None:
            if fk.parent_missing or (fk.referred_schema is None and not ctx.caps.schemas):
                cols = ", ".join(fk.columns)
                if _family(ctx.engine) == "sqlite":
                    what = (f"while foreign_keys=ON every INSERT into or DELETE from {table.name}, and every "
                            f"UPDATE of ({cols}), fails with \"no such table: main.{fk.referred_table}\"")
                else:
                    what = f"every row that sets ({cols}) violates it (writes fail with error 1452)"
                yield ctx.finding(r, table, fk, fk.columns,
                                  f"the referred table {fk.referred_table} does not exist: {what}; create it or "
                                  "drop the key", _drop_fk_fix(ctx, table, fk), missing_parent=True)
            continue
        wanted = set(fk.referred_columns)
        if any(set(s) == wanted for s in parent.unique_sets()):
            continue
        cols = ", ".join(fk.referred_columns)
        name = index_name(parent.name, fk.referred_columns, "ux")
        fix = f"CREATE UNIQUE INDEX {ctx.engine.quote(name)} ON {ctx.ref(parent)} ({ctx.cols(fk.referred_columns)})"
        yield ctx.finding(r, table, fk, fk.columns,
                          f"{parent.name}({cols}) is neither the primary key nor unique: a child row may match "
                          "several parents" + (" and SQLite rejects every write with \"foreign key mismatch\""
                                               if _family(ctx.engine) == "sqlite" else ""), fix)


@rule("fk-duplicate", "warning", "Two foreign keys with the same columns and target: every write checks twice "
      "and the actions may disagree.")
def _fk_duplicate(r: Rule, ctx: Context) -> Iterator[Finding]:
    for table in ctx.schema.tables:
        seen: dict[Any, ForeignKey] = {}
        for fk in table.foreign_keys:
            key = (fk.referred, tuple(sorted(zip(fk.columns, fk.referred_columns))))
            first = seen.setdefault(key, fk)
            if first is fk:
                continue
            differ = ("; their actions differ" if (first.on_delete, first.on_update) != (fk.on_delete, fk.on_update)
                      else "")
            yield ctx.finding(r, table, fk, fk.columns,
                              f"{fk.name or '(unnamed)'} duplicates {first.name or '(unnamed)'} "
                              f"({', '.join(fk.columns)}) -> {fk.referred_table}{differ}",
                              _drop_fk_fix(ctx, table, fk), duplicate_of=first.name)


def _drop_fk_fix(ctx: Context, table: Table, fk: ForeignKey) -> str | None:
    fam = _family(ctx.engine)
    if fk.name is None or not ctx.caps.alter_drop_foreign_key:
        return None
    if fam == "mysql":
        return f"ALTER TABLE {ctx.ref(table)} DROP FOREIGN KEY {ctx.engine.quote(fk.name)}"
    return f"ALTER TABLE {ctx.ref(table)} DROP CONSTRAINT {ctx.engine.quote(fk.name)}"


@rule("fk-set-null-not-nullable", "error", "ON DELETE/UPDATE SET NULL on a NOT NULL column: the action fails "
      "at the first parent delete or update.")
def _fk_set_null(r: Rule, ctx: Context) -> Iterator[Finding]:
    fam = _family(ctx.engine)
    for table, fk in ctx.schema.foreign_keys:
        events = [e for e, a in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)) if a is Action.SET_NULL]
        if not events:
            continue
        # ON DELETE SET NULL (cols) writes only the listed columns (PostgreSQL 15)
        written = set(fk.columns if fk.on_update is Action.SET_NULL else fk.on_delete_writes)
        bad = [c for c in fk.columns if c in written and (col := _column(table, c)) is not None and not col.nullable]
        if not bad:
            continue
        fix = None
        if fam == "postgresql":
            fix = "ALTER TABLE {} {}".format(ctx.ref(table), ", ".join(
                f"ALTER COLUMN {ctx.engine.quote(c)} DROP NOT NULL" for c in bad))
        elif fam == "mysql":
            fix = "ALTER TABLE {} {}".format(ctx.ref(table), ", ".join(
                f"MODIFY {ctx.engine.quote(c)} {table.column(c).type} NULL" for c in bad))
        yield ctx.finding(r, table, fk, bad,
                          f"ON {'/'.join(events)} SET NULL, but {', '.join(bad)} "
                          f"{'is' if len(bad) == 1 else 'are'} NOT NULL: the action will fail", fix)


@rule("fk-set-default-invalid", "error", "ON DELETE/UPDATE SET DEFAULT whose default key has no parent row "
      "(or is NULL on a NOT NULL column): the action fails.")
def _fk_set_default(r: Rule, ctx: Context) -> Iterator[Finding]:
    for table, fk in ctx.schema.foreign_keys:
        events = [e for e, a in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update)) if a is Action.SET_DEFAULT]
        if not events:
            continue
        on = f"ON {'/'.join(events)} SET DEFAULT"
        if not ctx.caps.set_default_works:
            yield ctx.finding(r, table, fk, fk.columns, f"{on}: {ctx.engine.name} does not implement SET DEFAULT")
            continue
        partial = events == ["DELETE"] and fk.on_delete_columns is not None
        cols = [_column(table, c) for c in (fk.on_delete_writes if partial else fk.columns)]
        if any(c is None for c in cols):
            continue
        values: list[Any] = []
        for c in cols:
            ok, value = literal_default(c.default)
            if not ok:
                break
            values.append(value)
        else:
            nulls = [c.name for c, v in zip(cols, values) if v is None]
            not_null = [c.name for c in cols if c.name in nulls and not c.nullable]
            if not_null:
                yield ctx.finding(r, table, fk, not_null,
                                  f"{on}, but {', '.join(not_null)} has no default and is NOT NULL")
                continue
            if nulls and (fk.match is not Match.FULL or len(nulls) == len(cols)):
                continue  # a NULL in the key: no parent needed
            if partial:
                continue  # SET DEFAULT (cols): the other key columns keep each row's values
            parent = ctx.schema.get(fk.referred)
            if parent is None:
                continue
            where = " AND ".join(f"{ctx.engine.quote(pc)} = :v{i}" for i, pc in enumerate(fk.referred_columns))
            params = {f"v{i}": v for i, v in enumerate(values)}
            found = ctx.engine.exec(f"SELECT 1 FROM {ctx.ref(parent)} WHERE {where}", params).first()
            if found is None:
                shown = ", ".join(repr(v) if not isinstance(v, Decimal) else str(v) for v in values)
                yield ctx.finding(r, table, fk, fk.columns,
                                  f"{on}: the default key ({shown}) has no row in {parent.name}, so the action "
                                  "will fail", default=[str(v) for v in values])


@rule("fk-composite-partly-nullable", "warning", "A composite key under MATCH SIMPLE with nullable columns: a "
      "row with some key columns NULL passes without any parent.")
def _fk_partly_nullable(r: Rule, ctx: Context) -> Iterator[Finding]:
    fam = _family(ctx.engine)
    for table, fk in ctx.schema.foreign_keys:
        if len(fk.columns) < 2 or fk.match is Match.FULL:
            continue
        nullable = [c for c in fk.columns if (col := _column(table, c)) is not None and col.nullable]
        if not nullable:
            continue
        fix = None
        if fam == "postgresql" and fk.name:
            fix = (f"ALTER TABLE {ctx.ref(table)} DROP CONSTRAINT {ctx.engine.quote(fk.name)}, "
                   f"ADD {_fk_ddl(ctx, fk, match_full=True)}")
        elif fam == "mysql":
            fix = "ALTER TABLE {} {}".format(ctx.ref(table), ", ".join(
                f"MODIFY {ctx.engine.quote(c)} {table.column(c).type} NOT NULL" for c in nullable))
        yield ctx.finding(r, table, fk, nullable,
                          f"MATCH SIMPLE with nullable {', '.join(nullable)}: a row with any key column NULL "
                          "is never checked against its parent", fix)


def _fk_ddl(ctx: Context, fk: ForeignKey, *, match_full: bool = False, deferrable: bool | None = None) -> str:
    """The constraint clause of an FK as the engine would re-create it (PostgreSQL spelling)."""
    q = ctx.engine.quote
    parent = ctx.engine.table_ref(fk.referred_schema, fk.referred_table)
    text = (f"CONSTRAINT {q(fk.name or '')} FOREIGN KEY ({ctx.cols(fk.columns)}) REFERENCES {parent} "
            f"({ctx.cols(fk.referred_columns)})")
    if match_full or fk.match is Match.FULL:
        text += " MATCH FULL"
    text += f" ON DELETE {fk.on_delete_clause(q)} ON UPDATE {fk.on_update.value}"
    defer = fk.deferrable if deferrable is None else deferrable
    if defer:
        text += " DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred or deferrable else " DEFERRABLE"
    if fk.validated is False:
        text += " NOT VALID"
    return text


@rule("fk-not-validated", "warning", "The key was added NOT VALID: rows written before it may break it.",
      applies=lambda caps: caps.not_valid)
def _fk_not_validated(r: Rule, ctx: Context) -> Iterator[Finding]:
    for table, fk in ctx.schema.foreign_keys:
        if fk.validated is False and fk.name:
            yield ctx.finding(r, table, fk, fk.columns,
                              f"{fk.name} is NOT VALID: existing rows were never checked (refint check finds them)",
                              f"ALTER TABLE {ctx.ref(table)} VALIDATE CONSTRAINT {ctx.engine.quote(fk.name)}")


def fk_digraph(schema: Schema) -> nx.MultiDiGraph:
    """child -> parent, one edge per foreign key (key = constraint name or its position)."""
    g = nx.MultiDiGraph()
    for t in schema.tables:
        g.add_node(t.key)
    for i, (t, fk) in enumerate(schema.foreign_keys):
        g.add_edge(t.key, fk.referred, key=fk.name or f"#{i}", fk=fk, table=t)
    return g


def breakable(table: Table, fk: ForeignKey) -> bool:
    """An edge a loader can postpone: deferrable, or every column nullable (insert NULL, update later)."""
    if fk.deferrable:
        return True
    cols = [_column(table, c) for c in fk.columns]
    return all(c is not None and c.nullable for c in cols)


@rule("fk-cycle", "warning", "Tables that reference each other in a cycle; unloadable unless some key in it is "
      "deferrable or nullable.")
def _fk_cycle(r: Rule, ctx: Context) -> Iterator[Finding]:
    g = fk_digraph(ctx.schema)
    for comp in sorted((sorted(c, key=lambda k: (k[0] or "", k[1])) for c in nx.strongly_connected_components(g)),
                       key=lambda c: (c[0][0] or "", c[0][1])):
        if len(comp) == 1:
            continue  # a self-reference: rows load parents first (a root may point at itself)
        nodes = set(comp)
        edges = [(a, b, d) for a, b, d in g.edges(comp, data=True) if b in nodes]
        hard = nx.DiGraph()
        hard.add_nodes_from(comp)
        hard.add_edges_from((a, b) for a, b, d in edges if a != b and not breakable(d["table"], d["fk"]))
        loadable = nx.is_directed_acyclic_graph(hard)
        first = ctx.schema.get(comp[0])
        assert first is not None
        names = sorted({d["fk"].name or f"{d['table'].name}({', '.join(d['fk'].columns)})" for _, _, d in edges})
        tables = [ctx.name(ctx.schema.get(k)) for k in comp]  # type: ignore[arg-type]
        hard_edges = [(a, b, d) for a, b, d in edges
                      if a != b and hard.has_edge(a, b) and not breakable(d["table"], d["fk"])]
        fix = None
        anchor = hard_edges[0] if hard_edges else edges[0]
        fk, table = anchor[2]["fk"], anchor[2]["table"]
        if not loadable and _family(ctx.engine) == "postgresql" and fk.name:
            fix = (f"ALTER TABLE {ctx.ref(table)} ALTER CONSTRAINT {ctx.engine.quote(fk.name)} "
                   "DEFERRABLE INITIALLY DEFERRED")
        how = ("loadable: some key in it is deferrable or nullable" if loadable else
               "not loadable without disabling checks: no key in it is deferrable or all-nullable")
        yield ctx.finding(r, table, fk if not loadable else None, fk.columns if not loadable else (),
                          f"cycle through {' -> '.join(tables)} ({', '.join(names)}): {how}", fix,
                          severity=r.severity if not loadable else "info", loadable=loadable, tables=tables,
                          constraints=names)


@rule("fk-cascade-depth", "info", "ON DELETE CASCADE chains that reach more tables than the configured "
      "cascade-depth: one DELETE can remove rows far away.")
def _fk_cascade_depth(r: Rule, ctx: Context) -> Iterator[Finding]:
    g = nx.DiGraph()
    for t, fk in ctx.schema.foreign_keys:
        if fk.on_delete is Action.CASCADE and t.key != fk.referred:
            g.add_edge(fk.referred, t.key)
    for root in sorted(g.nodes, key=lambda k: (k[0] or "", k[1])):
        reach = nx.descendants(g, root) - {root}
        if len(reach) <= ctx.cascade_depth:
            continue
        lengths = nx.single_source_shortest_path_length(g, root)
        table = ctx.schema.get(root)
        if table is None:
            continue
        names = sorted(ctx.name(ctx.schema.get(k)) for k in reach)  # type: ignore[arg-type]
        yield ctx.finding(r, table, None, (),
                          f"a DELETE on {ctx.name(table)} cascades to {len(reach)} tables (more than "
                          f"{ctx.cascade_depth}), {max(lengths.values())} levels deep", reached=names,
                          depth=max(lengths.values()))


def _plural_names(name: str) -> set[str]:
    low = name.lower()
    out = {low}
    if low.endswith("ies"):
        out.add(low[:-3] + "y")
    if low.endswith("es"):
        out.add(low[:-2])
    if low.endswith("s"):
        out.add(low[:-1])
    return out


@rule("fk-missing", "info", "A column named like <table>_id with no foreign key: probably a key nobody declared.")
def _fk_missing(r: Rule, ctx: Context) -> Iterator[Finding]:
    by_name: dict[str, list[Table]] = {}
    for t in ctx.schema.tables:
        for n in _plural_names(t.name):
            by_name.setdefault(n, []).append(t)
    for table in ctx.schema.tables:
        in_fk = {c for fk in table.foreign_keys for c in fk.columns}
        for col in table.columns:
            low = col.name.lower()
            if not low.endswith("_id") or col.name in in_fk:
                continue
            candidates = [t for t in by_name.get(low[:-3], []) if t.schema == table.schema or len(by_name) == 1]
            candidates = candidates or by_name.get(low[:-3], [])
            if len(candidates) != 1:
                continue
            parent = candidates[0]
            if parent.key == table.key and table.primary_key and table.primary_key.columns == (col.name,):
                continue  # the table's own key
            if parent.primary_key is None or len(parent.primary_key.columns) != 1:
                continue
            pk = parent.primary_key.columns[0]
            fix = None
            if ctx.caps.alter_add_foreign_key:
                fname = index_name(table.name, (col.name,), "fk")
                fix = (f"ALTER TABLE {ctx.ref(table)} ADD CONSTRAINT {ctx.engine.quote(fname)} FOREIGN KEY "
                       f"({ctx.engine.quote(col.name)}) REFERENCES {ctx.ref(parent)} ({ctx.engine.quote(pk)})")
            yield ctx.finding(r, table, None, (col.name,),
                              f"{table.name}.{col.name} looks like a key of {parent.qualified_name}({pk}) but no "
                              "foreign key declares it", fix, referred_table=parent.name)


# ---------------------------------------------------------------------------------------------------------
# running the rules
# ---------------------------------------------------------------------------------------------------------

def _suppressed(f: Finding, ignore: Sequence[str]) -> bool:
    """``ignore`` entries: ``NAME``, ``table.NAME``, ``schema.table.NAME``, optionally prefixed ``rule:``."""
    for entry in ignore:
        rule_id, sep, target = entry.partition(":")
        if not sep:
            rule_id, target = "", entry
        if rule_id and rule_id != f.rule:
            continue
        forms = set()
        for name in f.names():
            forms |= {name, f"{f.table}.{name}", f"{f.qualified_table}.{name}"}
        if not f.names():  # table-level findings: ignore them by table (and column)
            forms |= {f.table, f.qualified_table, *(f"{f.table}.{c}" for c in f.columns)}
        if target in forms:
            return True
    return False


def lint(engine: Engine, schema: Schema, *, disable: Sequence[str] = (), ignore: Sequence[str] = (),
         cascade_depth: int | None = None, only: Sequence[str] = (), config: LintConfig | None = None) -> LintReport:
    """Run every applicable, enabled rule on ``schema`` in a read-only transaction.

    ``config`` (from :func:`load_config`) adds its ``disable``/``ignore`` lists; explicit arguments win for
    ``cascade_depth``. Unknown rule ids are an error, so a typo never silently disables nothing.
    """
    config = config or LintConfig()
    disabled = set(config.disable) | set(disable)
    for rid in disabled | set(only):
        if rid not in RULES:
            raise BadInput(f"unknown lint rule {rid!r} (rules: {', '.join(RULES)})")
    depth = cascade_depth if cascade_depth is not None else config.cascade_depth
    ignores = [*config.ignore, *ignore]
    ctx = Context(schema, engine, DEFAULT_CASCADE_DEPTH if depth is None else depth)
    ran: list[str] = []
    not_applicable: list[str] = []
    found: list[Finding] = []
    with engine.read_only():
        for rid, r in RULES.items():
            if rid in disabled or (only and rid not in only):
                continue
            if r.applies is not None and not r.applies(engine.capabilities):
                not_applicable.append(rid)
                continue
            ran.append(rid)
            found.extend(r.check(r, ctx))
    kept = [f for f in found if not _suppressed(f, ignores)]
    kept.sort(key=lambda f: (-severity_rank(f.severity), f.rule, f.schema or "", f.table, f.constraint or "",
                             f.columns))
    return LintReport(tuple(kept), tuple(ran), tuple(not_applicable), len(found) - len(kept))
