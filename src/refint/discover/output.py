"""What discover returns: findings with their evidence, key candidates, and their renderings (JSON, a
relations file that ``check --relations`` reads unchanged, SQL that would declare them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refint.model import Match
from refint.relations import Relations, TableRef

if TYPE_CHECKING:
    from refint.engines.base import Engine


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_spec(schema: str | None, table: str) -> str:
    """``"schema"."table"`` as relation specs spell it (quoted, so any name survives)."""
    return f"{_q(schema)}.{_q(table)}" if schema else _q(table)


def ref_spec(schema: str | None, table: str, columns: tuple[str, ...]) -> str:
    return f"{table_spec(schema, table)}({', '.join(_q(c) for c in columns)})"


@dataclass(frozen=True)
class Alternative:
    schema: str | None
    table: str
    columns: tuple[str, ...]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"referred_schema": self.schema, "referred_table": self.table,
                "referred_columns": list(self.columns), "score": self.score}


@dataclass(frozen=True)
class Finding:
    """One foreign key: discovered (with its score and evidence) or already declared."""

    schema: str | None
    table: str
    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]
    score: float
    status: str = "discovered"
    evidence: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[Alternative, ...] = ()
    orphan_sample: tuple[tuple[Any, ...], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.table}_{'_'.join(self.columns)}_fkey"

    @property
    def orphan_rows(self) -> int:
        return int(self.evidence.get("orphan_rows", 0))

    def why(self) -> str:
        """The evidence in one line, for people."""
        e = self.evidence
        if self.status == "declared":
            return "declared in the database"
        parts = []
        if e.get("name_score"):
            parts.append(f"names {e['name_score']:.2f}: {e['name_reason']}")
        else:
            parts.append("names say nothing")
        if e.get("distinct"):
            orphans = e.get("orphan_rows", 0)
            parts.append(f"{e['distinct']} distinct values, {e['inclusion']:.1%} in the parent"
                         + (f" ({orphans} orphan rows)" if orphans else ""))
            parts.append(f"covers {e['coverage']:.0%} of the parent's keys")
        else:
            parts.append("no values to compare (empty or all NULL)")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        from refint.check import jsonable

        return {
            "schema": self.schema, "table": self.table, "columns": list(self.columns),
            "referred_schema": self.referred_schema, "referred_table": self.referred_table,
            "referred_columns": list(self.referred_columns),
            "status": self.status, "score": self.score, "evidence": dict(self.evidence),
            "orphan_sample": [[jsonable(v) for v in row] for row in self.orphan_sample],
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


@dataclass(frozen=True)
class KeyCandidate:
    """A key found in the data of a table that declares none: unique, never NULL."""

    schema: str | None
    table: str
    columns: tuple[str, ...]
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "table": self.table, "columns": list(self.columns), "rows": self.rows}


@dataclass(frozen=True)
class Discovery:
    """Everything ``refint discover`` found (``Database.discover``)."""

    engine: str
    findings: tuple[Finding, ...] = ()
    declared: tuple[Finding, ...] = ()
    key_candidates: tuple[KeyCandidate, ...] = ()
    #: tables profiled, candidates considered, candidates verified by a query
    stats: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "findings": [f.to_dict() for f in self.findings],
            "declared": [f.to_dict() for f in self.declared],
            "primary_key_candidates": [k.to_dict() for k in self.key_candidates],
            "stats": dict(self.stats),
        }

    def to_relations(self) -> Relations:
        """The findings (and the key candidates as primary keys) as :class:`refint.relations.Relations`,
        ready for ``Database.check(relations=...)``."""
        fks = tuple(
            (TableRef(f.schema, f.table, f.columns), TableRef(f.referred_schema, f.referred_table, f.referred_columns),
             f.name, Match.SIMPLE)
            for f in self.findings)
        pks = {table_spec(k.schema, k.table): k.columns for k in self.key_candidates}
        return Relations(foreign_keys=fks, primary_keys=pks)

    def relations_toml(self) -> str:
        """A relations file (docs/check.md) with the key candidates and the findings, scores as comments."""
        s = json.dumps
        lines = ["# written by refint discover: keys found in the data; review before relying on them", ""]
        for k in self.key_candidates:
            lines.append(f"[tables.{s(table_spec(k.schema, k.table), ensure_ascii=False)}]")
            lines.append(f"primary_key = {s(list(k.columns), ensure_ascii=False)}")
            lines.append("")
        for f in self.findings:
            lines.append(f"# score {f.score:.2f}: {f.why()}")
            lines.append("[[relations]]")
            lines.append(f"child = {s(ref_spec(f.schema, f.table, f.columns), ensure_ascii=False)}")
            lines.append(f"parent = {s(ref_spec(f.referred_schema, f.referred_table, f.referred_columns), ensure_ascii=False)}")
            lines.append(f"name = {s(f.name, ensure_ascii=False)}")
            lines.append("")
        return "\n".join(lines)


def sql_script(discovery: Discovery, engine: Engine, target: str) -> str:
    """The statements that would declare the findings on this engine, by refint's add-fk recipe:
    PostgreSQL adds each key NOT VALID and then validates it (no long lock), MySQL/MariaDB adds it; SQLite
    and DuckDB cannot add a key in place, so the ``refint add-fk`` commands that rebuild the table are
    printed as comments."""
    from refint.manage.recipes import fk_clause
    from refint.model import ForeignKey

    name = engine.name
    lines = [f"-- refint discover: {len(discovery.findings)} foreign keys found in the data of {target}",
             "-- review them before running anything; orphans listed by `refint check --relations` first"]
    in_place = name in ("postgresql", "mysql", "mariadb")
    for k in discovery.key_candidates:
        ref = engine.table_ref(k.schema, k.table)
        cols = ", ".join(engine.quote(c) for c in k.columns)
        stmt = f"ALTER TABLE {ref} ADD PRIMARY KEY ({cols});"
        lines.append(stmt if in_place else f"-- {stmt}  (primary-key candidate; {name} needs a rebuild)")
    for f in discovery.findings:
        fk = ForeignKey(f.name, f.columns, f.referred_schema, f.referred_table, f.referred_columns)
        ref = engine.table_ref(f.schema, f.table)
        lines.append(f"-- score {f.score:.2f}: {f.why()}")
        if name == "postgresql":
            lines.append(f"ALTER TABLE {ref} ADD {fk_clause(engine, fk)} NOT VALID;")
            lines.append(f"ALTER TABLE {ref} VALIDATE CONSTRAINT {engine.quote(f.name)};")
        elif in_place:
            lines.append(f"ALTER TABLE {ref} ADD {fk_clause(engine, fk)};")
        else:
            child = ref_spec(None, f.table, f.columns).replace("'", "'\\''")
            parent = ref_spec(None, f.referred_table, f.referred_columns).replace("'", "'\\''")
            extra = " --rebuild" if name == "duckdb" else ""
            lines.append(f"-- refint add-fk {target} '{child}' '{parent}'{extra}")
    return "\n".join(lines) + "\n"
