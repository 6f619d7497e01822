"""``Database``: the Python surface of refint. Every CLI command is a thin client of one method here.

``refint.connect(target)`` accepts a URL, a file path, or a connection the caller already holds (which
refint never closes). The schema is read once, lazily, and cached; call :meth:`Database.refresh` after
changing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from refint.target import Opened, open_target

if TYPE_CHECKING:
    import sqlalchemy as sa

    from refint.check import CheckReport
    from refint.changeplan import ChangeResult
    from refint.ddl import DDLResult
    from refint.order import Order
    from refint.plan import Plan
    from refint.graph import Graph
    from refint.lint import LintReport
    from refint.report import Report
    from refint.relations import Relations
    from refint.engines.base import Capabilities, Engine
    from refint.model import Schema, Table


class Database:
    """A connected database, its engine and its (cached) schema model."""

    def __init__(self, opened: Opened, *, schemas: Sequence[str] | None = None) -> None:
        from refint.engines import engine_for

        self._opened = opened
        self.engine: Engine = engine_for(opened.conn, borrowed=opened.borrowed)
        self.schemas = list(schemas) if schemas else None
        self._schema: Schema | None = None
        #: callbacks run after close (e.g. an in-memory DuckDB refint created for a folder of files)
        self._on_close: list[Callable[[], object]] = []

    # -- connection --------------------------------------------------------------------------------
    @property
    def conn(self) -> sa.Connection:
        """A SQLAlchemy connection to the database (for a file opened read-only, built on request
        around the driver connection refint reads through: they share one transaction)."""
        from refint.direct import DirectConnection

        conn = self._opened.conn
        if isinstance(conn, DirectConnection):
            return conn.as_sqlalchemy()  # type: ignore[no-any-return]
        return conn

    @property
    def name(self) -> str:
        """The engine's name: sqlite, postgresql, mysql, mariadb, duckdb or generic."""
        return self.engine.name

    @property
    def capabilities(self) -> Capabilities:
        return self.engine.capabilities

    @property
    def display(self) -> str:
        """The target as it may be printed (password hidden)."""
        return self._opened.display

    def close(self) -> None:
        """Close what refint opened; a connection the caller handed in stays open."""
        self._opened.close()
        for callback in self._on_close:
            callback()
        self._on_close.clear()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inspect -----------------------------------------------------------------------------------
    def inspect(self) -> Schema:
        """Read every constraint into the engine-neutral model (in a read-only transaction)."""
        if self._schema is None:
            with self.engine.read_only():
                self._schema = self.engine.read_schema(self.schemas)
        return self._schema

    @property
    def schema(self) -> Schema:
        return self.inspect()

    def refresh(self) -> Schema:
        self._schema = None
        return self.inspect()

    def table(self, name: str, schema: str | None = None) -> Table:
        return self.inspect().table(name, schema)

    # -- verbs -------------------------------------------------------------------------------------
    def check(self, **kwargs: Any) -> CheckReport:
        """Every row that breaks a declared constraint; see :func:`refint.check.check`."""
        from refint.check import check

        return check(self, **kwargs)

    # -- managing foreign keys (refint.manage, refint.ddl) -------------------------------------------
    def add_foreign_key(self, child: str, parent: str, **kwargs: Any) -> ChangeResult:
        """Add ``child(cols) -> parent(cols)`` safely; see :func:`refint.manage.add_foreign_key`."""
        from refint.manage import add_foreign_key

        return add_foreign_key(self, child, parent, **kwargs)

    def drop_foreign_key(self, table: str, name: str, **kwargs: Any) -> ChangeResult:
        """Drop one foreign key; see :func:`refint.manage.drop_foreign_key`."""
        from refint.manage import drop_foreign_key

        return drop_foreign_key(self, table, name, **kwargs)

    def validate(self, **kwargs: Any) -> ChangeResult:
        """Validate NOT VALID keys (elsewhere: check every key); see :func:`refint.manage.validate`."""
        from refint.manage import validate

        return validate(self, **kwargs)

    def index_foreign_keys(self, **kwargs: Any) -> ChangeResult:
        """Create missing supporting indexes; see :func:`refint.manage.index_foreign_keys`."""
        from refint.manage import index_foreign_keys

        return index_foreign_keys(self, **kwargs)

    def drop_table(self, table: str, **kwargs: Any) -> ChangeResult:
        """Drop a table (and, with cascade_constraints, the keys to it); see :func:`refint.manage.drop_table`."""
        from refint.manage import drop_table

        return drop_table(self, table, **kwargs)

    def ddl(self, dialect: str, **kwargs: Any) -> DDLResult:
        """The schema's constraints as DDL for another dialect; see :func:`refint.ddl.render_ddl`."""
        from refint.ddl import render_ddl

        with self.engine.read_only():
            return render_ddl(self.inspect(), dialect, **kwargs)

    def plan_delete(self, table: str, where: str, *, sample: int = 3) -> Plan:
        """What ``DELETE FROM table WHERE where`` would do through every key; see :mod:`refint.plan`."""
        from refint.plan import plan_delete

        return plan_delete(self, table, where, sample=sample)

    def plan_update(self, table: str, set: str, where: str, *, sample: int = 3) -> Plan:
        """What ``UPDATE table SET set WHERE where`` would do through every key; see :mod:`refint.plan`."""
        from refint.plan import plan_update

        return plan_update(self, table, set, where, sample=sample)

    def order(self, purpose: str = "load") -> Order:
        """Table order for load, delete or drop, with the keys to defer; see :mod:`refint.order`."""
        from refint.order import order

        return order(self.inspect(), purpose, capabilities=self.capabilities, engine=self.name)

    def lint(self, **kwargs: Any) -> LintReport:
        """Design findings for every foreign key; see :func:`refint.lint.lint`."""
        from refint.lint import lint

        return lint(self, **kwargs)

    def graph(self, table: str | None = None, depth: int = 1) -> Graph:
        """The foreign-key graph (or one table's neighbourhood); see :func:`refint.graph.build_graph`."""
        from refint.graph import build_graph

        with self.engine.read_only():
            return build_graph(self.inspect(), table, depth)

    def report(self, **kwargs: Any) -> Report:
        """A self-contained HTML report; see :func:`refint.report.report` (``.write(path)`` saves it)."""
        from refint.report import report

        return report(self, **kwargs)


def connect(target: Any = None, *, schemas: Sequence[str] | None = None, readonly: bool = False,
            relations: Relations | None = None) -> Database:
    """Open ``target`` (URL, path, ``REFINT_URL`` when None, or an open connection) as a Database.

    A folder opens as a database of its Parquet/CSV files (see :mod:`refint.files`).
    """
    import os

    if isinstance(target, (str, os.PathLike)) and "://" not in str(target) and os.path.isdir(target):
        from refint.files import open_folder

        return open_folder(os.fspath(target), relations)
    opened = open_target(target, readonly=readonly)
    try:
        return Database(opened, schemas=schemas)
    except BaseException:
        opened.close()
        raise
