"""PostgreSQL: the whole schema from four catalog queries (tables, columns, constraints, indexes).

Catalog arrays (``conkey``, ``confkey``, ``indkey``) are read structurally and mapped to column names in
Python, so a 2,000-table schema costs four round trips, not one query per table.

Partitions and inheritance, as refint shows them:

- a partitioned table has ``kind: "partitioned"``; each partition is listed as its own table with
  ``kind: "partition"`` and ``parent``; an inheritance child has ``kind: "inherits"`` and ``parent``.
- A foreign key declared on a partitioned table is reported once, on that table. The copies PostgreSQL
  clones onto each partition (and onto the referencing side for each partition of a referenced
  partitioned table) have ``conparentid <> 0`` and are not repeated. Primary keys, uniques and checks are
  reported on every table that has them, because they hold for that table's own rows.
- Inheritance children keep what is declared on them: PostgreSQL does not inherit foreign keys.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby
from operator import itemgetter
from typing import Any

from refint.engines.base import ALL_ACTIONS, Capabilities, Dependents, Engine, RuleDef, ViewDef, filter_schemas
from refint.model import Action, Check, Column, ForeignKey, Index, Match, PrimaryKey, Schema, Table, Unique

SYSTEM_SCHEMA_FILTER = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
    "AND n.nspname !~ '^pg_(toast_)?temp_'"
)

TABLES_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition, pn.nspname, pc.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhseqno = 1
LEFT JOIN pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)
"""

# Filters use the namespace oids (an index scan of pg_namespace) rather than joins, and type oids below
# FirstNormalObjectId (16384) mark built-in types: each saves a join per catalog row.
IN_SCHEMAS = "ANY(SELECT oid FROM pg_namespace WHERE nspname = ANY(%s))"

COLUMNS_SQL = f"""
SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid < 16384,
       a.attnotnull, CASE WHEN a.atthasdef AND a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON a.atthasdef AND d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND c.relnamespace = {IN_SCHEMAS}
ORDER BY a.attrelid, a.attnum
"""

CONSTRAINTS_SQL = f"""
SELECT con.conrelid, con.conname, con.contype, con.conkey, con.confrelid, fn.nspname, fc.relname,
       con.confkey, con.confupdtype, con.confdeltype, con.confmatchtype, con.condeferrable,
       con.condeferred, con.convalidated,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END, con.conindid,
       {{delsetcols}}
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c') AND con.conrelid <> 0 AND con.connamespace = {IN_SCHEMAS}
  AND NOT (con.contype = 'f' AND con.conparentid <> 0)
"""

INDEXES_SQL = f"""
SELECT i.indrelid, ic.relname, i.indkey::int2[], i.indisunique, i.indisprimary,
       i.indpred IS NOT NULL, i.indnkeyatts, i.indexrelid, {{nulls_not_distinct}}
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE ic.relnamespace = {IN_SCHEMAS}
"""

FOREIGN_COLUMNS_SQL = """
SELECT a.attrelid, a.attnum, a.attname FROM pg_attribute a
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""

# The views to drop before retyping columns, in one query: each column on its table and on every partition or
# inheritance child (ALTER TABLE recurses to them), the views whose rewrite rule uses it, then the views on
# those views (any column), recursively; per view the longest chain (the creation order) and everything a
# fix needs to re-create it; and the rules on tables that use the column or one of those views (with every
# column of its own table that is asked about). Run under search_path = pg_catalog: every name qualified.
DEPENDENT_VIEWS_SQL = """
WITH RECURSIVE tree(ord, relid, col) AS (
    SELECT s.ord, c.oid, s.col
    FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS s(nsp, rel, col, ord)
    JOIN pg_namespace n ON n.nspname = s.nsp
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.rel
    UNION
    SELECT t.ord, i.inhrelid, t.col FROM tree t JOIN pg_inherits i ON i.inhparent = t.relid
), deps(ord, rule, rel, depth) AS (
    SELECT t.ord, r.oid, r.ev_class, 1
    FROM tree t
    JOIN pg_attribute a ON a.attrelid = t.relid AND a.attname = t.col
    JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = t.relid
                     AND d.refobjsubid = a.attnum AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid
    UNION
    SELECT v.ord, r.oid, r.ev_class, v.depth + 1
    FROM deps v
    JOIN pg_class vc ON vc.oid = v.rel AND vc.relkind IN ('v', 'm')
    JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = v.rel
                     AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> v.rel
), closure AS (
    SELECT view, array_agg(ord ORDER BY ord) AS ords, array_agg(depth ORDER BY ord) AS depths
    FROM (SELECT d.ord, d.rel AS view, max(d.depth) AS depth FROM deps d
          JOIN pg_class c ON c.oid = d.rel AND c.relkind IN ('v', 'm') GROUP BY d.ord, d.rel) x
    GROUP BY view
), table_rules AS (
    SELECT d.rule, array_agg(DISTINCT d.ord) AS ords FROM deps d
    JOIN pg_class c ON c.oid = d.rel AND c.relkind NOT IN ('v', 'm') GROUP BY d.rule
)
SELECT s.ords, s.depths, n.nspname, v.relname, v.relkind, pg_get_viewdef(v.oid, true), v.reloptions::text[],
       pg_get_userbyid(v.relowner), obj_description(v.oid, 'pg_class'), v.relispopulated, v.relacl IS NOT NULL,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT json_agg(json_build_array(a.attname, d.description) ORDER BY a.attnum)::text
        FROM pg_description d JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
        WHERE d.objoid = v.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid > 0),
       (SELECT json_agg(json_build_array(CASE WHEN e.grantee <> 0 THEN pg_get_userbyid(e.grantee) END,
                                         e.privilege_type, e.is_grantable))::text
        FROM aclexplode(v.relacl) e),
       (SELECT json_agg(json_build_array(a.attname, CASE WHEN e.grantee <> 0 THEN pg_get_userbyid(e.grantee) END,
                                         e.privilege_type, e.is_grantable) ORDER BY a.attnum)::text
        FROM pg_attribute a, aclexplode(a.attacl) e WHERE a.attrelid = v.oid AND a.attacl IS NOT NULL),
       (SELECT json_agg(json_build_array(a.attname, pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum)::text
        FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = v.oid),
       (SELECT array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid) FROM pg_index i
        WHERE i.indrelid = v.oid),
       (SELECT array_agg(pg_get_triggerdef(t.oid, true) ORDER BY t.tgname) FROM pg_trigger t
        WHERE t.tgrelid = v.oid AND NOT t.tgisinternal),
       (SELECT array_agg(pg_get_ruledef(r.oid, true) ORDER BY r.rulename) FROM pg_rewrite r
        WHERE r.ev_class = v.oid AND r.rulename <> '_RETURN'),
       NULL
FROM closure s
JOIN pg_class v ON v.oid = s.view
JOIN pg_namespace n ON n.oid = v.relnamespace
UNION ALL
SELECT tr.ords, NULL, n.nspname, c.relname, c.relkind, pg_get_ruledef(r.oid, true), NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       json_build_object('rule', r.rulename, 'casts', (
           SELECT json_agg(DISTINCT jsonb_build_array(quote_ident(t.col), format_type(a.atttypid, a.atttypmod)))
           FROM tree t JOIN pg_attribute a ON a.attrelid = t.relid AND a.attname = t.col
           WHERE t.relid = r.ev_class))::text
FROM table_rules tr
JOIN pg_rewrite r ON r.oid = tr.rule
JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
"""

# format_type() spellings of built-in types, as SQLAlchemy and most people write them
_TYPE_NAMES = {
    "character varying": "VARCHAR",
    "character": "CHAR",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
    "time without time zone": "TIME",
    "time with time zone": "TIMETZ",
    "bit varying": "VARBIT",
}

KIND = {"r": "table", "p": "partitioned"}
ACTIONS = {code: Action.parse(code) for code in "arcnd"}
MATCHES = {code: Match.parse(code) for code in "sfp"}


def normalize_type(text: str, builtin: bool) -> str:
    """'character varying(30)' -> 'VARCHAR(30)'; user-defined types keep their exact spelling."""
    if not builtin:
        return text
    suffix = ""
    while text.endswith("[]"):
        text, suffix = text[:-2], suffix + "[]"
    base, paren, rest = text.partition("(")
    if " with" in rest:  # 'timestamp(3) with time zone'
        args, _, tail = rest.partition(")")
        base, rest = base + tail, args + ")"
    base = _TYPE_NAMES.get(base.strip(), base.strip())
    return f"{base.upper()}{paren}{rest}{suffix}"


def strip_outer_parens(expr: str) -> str:
    """pg_get_expr wraps a CHECK in one pair of parentheses; drop it when it encloses everything."""
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        depth, quote = 0, ""
        for i, ch in enumerate(expr):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0 and i != len(expr) - 1:
                    return expr
        expr = expr[1:-1].strip()
    return expr


class PostgreSQL(Engine):
    name = "postgresql"
    capabilities = Capabilities(
        on_delete=ALL_ACTIONS,
        on_update=ALL_ACTIONS,
        match=frozenset({Match.SIMPLE, Match.FULL}),
        deferrable=True,
        not_valid=True,
        alter_add_foreign_key=True,
        transactional_ddl=True,
        read_only_transactions=True,
        schemas=True,
        check_constraints=True,
        restrict_is_immediate=True,
        statement_timeout=True,
        nulls_not_distinct=True,
        dependent_views=True,
    )

    integer_types = frozenset({"SMALLINT", "INTEGER", "BIGINT", "INT2", "INT4", "INT8"})

    def row_estimate(self, table: Table) -> int | None:
        """``pg_class.reltuples`` (set by ANALYZE and VACUUM; a never-analysed table counts 0), summed
        over the partitions of a partitioned table."""
        value = self.raw(
            "SELECT CASE WHEN r.relkind = 'p' THEN (SELECT sum(greatest(c.reltuples, 0)) "
            "FROM pg_partition_tree(r.oid) t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf) "
            "ELSE greatest(r.reltuples, 0) END FROM pg_class r WHERE r.oid = to_regclass(%s)",
            (self.table_ref(table.schema, table.name),)).scalar()
        return None if value is None else int(value)

    def _begin_read_only(self) -> None:
        # one snapshot for the whole transaction: every check query sees the same data (a read-only
        # REPEATABLE READ transaction never fails to serialize)
        self.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def one_snapshot(self) -> bool:
        return self.raw("SELECT current_setting('transaction_isolation')").scalar() in (
            "repeatable read", "serializable")

    def from_table(self, table: Table) -> str:
        # a plain or inheritance-parent table: its own rows only (FKs and keys do not span children);
        # a partitioned table, root or itself a partition (sub-partitioned): all its partitions, which is
        # what its keys cover (ONLY on a partitioned table reads no rows at all).
        only = "" if table.kind == "partitioned" or self.partitioned(table) else "ONLY "
        return only + self.table_ref(table.schema, table.name)

    def partitioned(self, table: Table) -> bool:
        """Whether a partition is itself partitioned (``relkind = 'p'``): known from the catalog read,
        else asked once."""
        if table.kind != "partition":
            return table.kind == "partitioned"
        known: dict[Any, bool] = self.__dict__.setdefault("_relkind_p", {})
        if table.key not in known:
            known[table.key] = bool(self.raw("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)",
                                             (self.table_ref(table.schema, table.name),)).scalar())
        return known[table.key]

    def partition_constraint(self, table: Table) -> str | None:
        """``pg_get_partition_constraintdef``: the bounds of the partition and of its ancestors."""
        if table.kind != "partition":
            return None
        known: dict[Any, str | None] = self.__dict__.setdefault("_partition_constraint", {})
        if table.key not in known:
            known[table.key] = self.raw("SELECT pg_get_partition_constraintdef(to_regclass(%s))",
                                        (self.table_ref(table.schema, table.name),)).scalar()
        return known[table.key]

    def orphan_sql(self, *, child: str, parent: str, child_columns: Sequence[str],
                   parent_columns: Sequence[str], child_indexed: bool = False) -> str:
        """With an index on the child's key: its keys grouped (an index-only scan), then NOT EXISTS per
        distinct key, 3-4x faster than the hash anti-join. Without one the grouping itself costs more
        than it saves, and the LEFT JOIN's parallel hash anti-join wins (benchmarks/RESULTS.md)."""
        if child_indexed:
            return self.grouped_orphan_sql(child=child, parent=parent, child_columns=child_columns,
                                           parent_columns=parent_columns)
        return super().orphan_sql(child=child, parent=parent, child_columns=child_columns,
                                  parent_columns=parent_columns)

    def prepare_check(self) -> None:
        """Memory for big aggregates, local to refint's own read-only transaction (never set inside a
        transaction the caller lent us): a million keys group without spilling to disk."""
        if not self.borrowed:
            self.raw("SET LOCAL work_mem = '256MB'")

    def prepare_orphan_query(self, *, child_indexed: bool) -> None:
        """The grouped form (child indexed) gains from 256MB; the parallel hash anti-join (no index)
        loses: one 47 MB hash table in a single batch ran 2.1-3.4 s against 1.3-1.7 s for the default
        4 MB in eight cache-sized batches (benchmarks/RESULTS.md). So the LEFT JOIN runs with the
        server's own work_mem."""
        if not self.borrowed:
            self.raw("SET LOCAL work_mem = '256MB'" if child_indexed else "SET LOCAL work_mem TO DEFAULT")

    def set_statement_timeout(self, seconds: float) -> None:
        self.raw(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")

    def default_schema(self) -> str | None:
        return str(self.raw("SELECT current_schema()").scalar())

    def list_schemas(self) -> list[str]:
        rows = self.raw(f"SELECT n.nspname FROM pg_namespace n WHERE {SYSTEM_SCHEMA_FILTER} ORDER BY 1")
        return [r[0] for r in rows]

    def _version(self) -> int:
        info = getattr(self.dialect, "server_version_info", None) or (0,)
        return int(info[0]) * 10000

    def dependent_views(self, columns: Sequence[tuple[str | None, str, str]]) -> list[Dependents]:
        if not columns:
            return []
        params = ([s or self.default_schema() or "public" for s, _, _ in columns], [t for _, t, _ in columns],
                  [c for _, _, c in columns])
        # every name in the view text qualified, whatever search_path the fix later runs under
        # (local to the transaction; on an error the transaction is lost anyway)
        path = self.fetchall("SELECT current_setting('search_path')")[0][0]
        self.fetchall("SELECT set_config('search_path', 'pg_catalog', true)")
        rows = self.fetchall(DEPENDENT_VIEWS_SQL, params)
        self.fetchall("SELECT set_config('search_path', %s, true)", (path,))
        views: list[list[ViewDef]] = [[] for _ in columns]
        rules: list[list[RuleDef]] = [[] for _ in columns]
        for (ords, depths, schema, name, kind, text, options, owner, comment, populated, has_acl, cols,
             col_comments, grants, col_grants, defaults, indexes, triggers, view_rules, rule) in rows:
            if rule is not None:  # a rule on a table
                info = json.loads(rule)
                # every retyped column of the rule's table is cast back, not only this fix's: the rule
                # text is the one lint read, whichever of the other fixes ran before this one
                casts = tuple(sorted((c, t) for c, t in info["casts"] or ()))
                for ord_ in ords:
                    rules[ord_ - 1].append(RuleDef(schema, name, info["rule"], text.strip().rstrip(";"), casts))
                continue
            view = ViewDef(
                schema=schema, name=name, materialized=kind == "m", definition=text.strip().rstrip(";").rstrip(),
                columns=tuple(cols or ()), options=tuple(options or ()), owner=owner, comment=comment,
                column_comments=tuple(tuple(x) for x in json.loads(col_comments or "[]")),
                has_acl=bool(has_acl), grants=tuple(tuple(x) for x in json.loads(grants or "[]")),
                column_grants=tuple(tuple(x) for x in json.loads(col_grants or "[]")),
                column_defaults=tuple(tuple(x) for x in json.loads(defaults or "[]")),
                populated=bool(populated), indexes=tuple(indexes or ()), triggers=tuple(triggers or ()),
                rules=tuple(r.strip().rstrip(";") for r in view_rules or ()))
            for ord_, depth in zip(ords, depths):
                views[ord_ - 1].append(replace(view, depth=depth))
        return [Dependents(tuple(sorted(v, key=lambda v: (v.depth, v.schema, v.name))),
                           tuple(sorted(r, key=lambda r: (r.schema, r.table, r.name))))
                for v, r in zip(views, rules)]

    def read_schema(self, schemas: Sequence[str] | None = None) -> Schema:
        names = filter_schemas(self.list_schemas(), schemas)
        params = (names,)
        # tens of thousands of catalog rows and small immutable objects: the cyclic GC would only
        # rescan them, so it pauses while they are fetched and assembled
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            tables = self.fetchall(TABLES_SQL, params)
            columns = self.fetchall(COLUMNS_SQL, params)
            pg15 = self._version() >= 150000
            constraints = self.fetchall(CONSTRAINTS_SQL.format(
                delsetcols="con.confdelsetcols" if pg15 else "NULL::int2[]"), params)
            nnd = "i.indnullsnotdistinct" if pg15 else "false"
            indexes = self.fetchall(INDEXES_SQL.format(nulls_not_distinct=nnd), params)
            return self._assemble(tables, columns, constraints, indexes)
        finally:
            if was_enabled:
                gc.enable()

    def _assemble(self, tables: Sequence[Any], columns: Sequence[Any], constraints: Sequence[Any],
                  indexes: Sequence[Any]) -> Schema:
        attnames: dict[int, dict[int, str]] = {}
        cols: dict[int, list[Column]] = {}
        types: dict[tuple[str, bool], str] = {}
        # rows come ordered by (attrelid, attnum): one dict lookup per table, not per column
        for relid, group in groupby(columns, key=itemgetter(0)):
            names: dict[int, str] = {}
            table_cols: list[Column] = []
            for _, attnum, attname, typ, builtin, notnull, default in group:
                names[attnum] = attname
                norm = types.get((typ, builtin))
                if norm is None:
                    norm = types[(typ, builtin)] = normalize_type(typ, builtin)
                table_cols.append(Column(attname, norm, not notnull, default))
            attnames[relid] = names
            cols[relid] = table_cols

        missing = {row[4] for row in constraints if row[2] == "f" and row[4] not in attnames}
        if missing:
            for relid, attnum, attname in self.fetchall(FOREIGN_COLUMNS_SQL, (sorted(missing),)):
                attnames.setdefault(relid, {})[attnum] = attname

        nulls_not_distinct = {row[7] for row in indexes if row[8]}
        pks: dict[int, PrimaryKey] = {}
        uniques: dict[int, list[Unique]] = {}
        checks: dict[int, list[Check]] = {}
        fks: dict[int, list[ForeignKey]] = {}
        constraint_indexes: set[int] = set()
        for (relid, conname, contype, conkey, confrelid, fschema, ftable, confkey, upd, dele, match,
             deferrable, deferred, validated, check_expr, conindid, delsetcols) in constraints:
            own = attnames.get(relid)
            if own is None:  # a constraint on a relation we do not list (a foreign table)
                continue
            key = tuple(map(own.__getitem__, conkey or ()))
            if contype == "p":
                pks[relid] = PrimaryKey(conname, key, bool(deferrable), bool(deferred))
                constraint_indexes.add(conindid)
            elif contype == "u":
                uniques.setdefault(relid, []).append(
                    Unique(conname, key, nulls_distinct=conindid not in nulls_not_distinct,
                           deferrable=bool(deferrable), initially_deferred=bool(deferred)))
                constraint_indexes.add(conindid)
            elif contype == "c":
                checks.setdefault(relid, []).append(Check(conname, strip_outer_parens(check_expr), validated))
            else:
                fnames = attnames.get(confrelid, {})
                fks.setdefault(relid, []).append(ForeignKey(
                    name=conname,
                    columns=key,
                    referred_schema=fschema,
                    referred_table=ftable,
                    referred_columns=tuple(map(fnames.__getitem__, confkey)),
                    on_delete=ACTIONS[dele],
                    on_update=ACTIONS[upd],
                    match=MATCHES[match],
                    # PostgreSQL 15: ON DELETE SET NULL / SET DEFAULT (columns) writes only those
                    on_delete_columns=tuple(map(own.__getitem__, delsetcols)) if delsetcols else None,
                    deferrable=bool(deferrable),
                    initially_deferred=bool(deferred),
                    validated=bool(validated),
                    enforced=True,
                ))

        idx: dict[int, list[Index]] = {}
        for relid, iname, indkey, unique, primary, partial, nkeys, indexrelid, nnd in indexes:
            # attnum 0 marks an expression: no column of that number, so it maps to None
            parts = tuple(map(attnames.get(relid, {}).get, indkey[:nkeys]))
            idx.setdefault(relid, []).append(Index(iname, parts, bool(unique), bool(partial)))
            if (unique and not primary and not partial and indexrelid not in constraint_indexes
                    and None not in parts):
                uniques.setdefault(relid, []).append(
                    Unique(iname, parts, index=True, nulls_distinct=not nnd))  # type: ignore[arg-type]

        out: list[Table] = []
        self.__dict__.setdefault("_relkind_p", {}).update(
            {(schema, name): relkind == "p" for _, schema, name, relkind, *_ in tables})
        for relid, schema, name, relkind, ispartition, pschema, pname in tables:
            if ispartition:
                kind = "partition"
            elif pname is not None:
                kind = "inherits"
            else:
                kind = KIND[relkind]
            out.append(Table(
                schema=schema,
                name=name,
                columns=tuple(cols.get(relid, ())),
                primary_key=pks.get(relid),
                unique=tuple(uniques.get(relid, ())),
                checks=tuple(checks.get(relid, ())),
                foreign_keys=tuple(fks.get(relid, ())),
                indexes=tuple(idx.get(relid, ())),
                kind=kind,
                parent=(pschema, pname) if pname is not None else None,
            ))
        return Schema(self.name, tuple(out))
