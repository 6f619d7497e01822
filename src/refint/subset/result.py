"""What ``refint subset`` returns: per table the rows and the keys they came through, what the target lacks,
and the check of the target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refint.check import CheckReport
    from refint.manage.ddl import Untranslated


@dataclass(frozen=True)
class Via:
    """One way rows enter a table: ``seed``, ``parent`` (they refer to selected rows of ``table`` through
    ``constraint``: children) or ``child`` (selected rows of ``table`` refer to them: parents)."""

    kind: str
    constraint: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()
    rows: int | None = None  # in a dry run: how many of the table's rows this way selects (ways overlap)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "constraint": self.constraint, "table": self.table, "columns": list(self.columns),
                "rows": self.rows}


@dataclass(frozen=True)
class TableSubset:
    schema: str | None
    name: str
    rows: int
    via: tuple[Via, ...] = ()
    total: int | None = None  # the source's rows (with --children all, or in a dry run)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "name": self.name, "rows": self.rows, "total": self.total,
                "via": [v.to_dict() for v in self.via]}


@dataclass(frozen=True)
class CutKey:
    """A foreign key the target does not have, and why (``--exclude``, a cycle DuckDB cannot load)."""

    table: str
    constraint: str | None
    referred_table: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "constraint": self.constraint, "referred_table": self.referred_table,
                "reason": self.reason}


@dataclass
class SubsetResult:
    source: str
    target: str | None
    dialect: str | None
    dry_run: bool
    children: str
    depth: int | None
    seeds: list[dict[str, Any]]
    tables: list[TableSubset] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    cut_keys: list[CutKey] = field(default_factory=list)
    untranslated: list[Untranslated] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    check: CheckReport | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def ok(self) -> bool:
        """The target passed ``check`` (a dry run or a script: always)."""
        return self.check is None or self.check.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "target": self.target,
            "dialect": self.dialect,
            "dry_run": self.dry_run,
            "children": self.children,
            "depth": self.depth,
            "seeds": self.seeds,
            "rows": self.rows,
            "tables": [t.to_dict() for t in self.tables],
            "order": list(self.order),
            "excluded": list(self.excluded),
            "cut_keys": [c.to_dict() for c in self.cut_keys],
            "untranslated": [u.to_dict() for u in self.untranslated],
            "warnings": list(self.warnings),
            "check": self.check.to_dict() if self.check is not None else None,
            "seconds": round(self.seconds, 3),
        }
