"""``Database.subset``: the facade's method for ``refint subset``, kept here so that database.py stays short.

:class:`refint.database.Database` inherits it; this module never imports the facade (the layout rule).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refint.engines.base import Engine
    from refint.model import Schema
    from refint.relations import Relations
    from refint.subset.result import SubsetResult


class SubsetMethod:
    """The ``subset`` method of :class:`refint.database.Database`."""

    if TYPE_CHECKING:
        engine: Engine

        @property
        def display(self) -> str: ...

        def inspect(self) -> Schema: ...

    def subset(self, to: str | None = None, *, where: Sequence[str] = (), percent: Sequence[str] = (),
               limit: Sequence[str] = (), children: str = "down", depth: int | None = None,
               relations: Relations | None = None, exclude: Sequence[str] = (), dry_run: bool = False,
               force: bool = False, random_seed: int = 0,
               progress: Callable[[str, int, int, str], None] | None = None) -> SubsetResult:
        """Copy a referentially complete slice into a new SQLite/DuckDB file or an empty PostgreSQL/MariaDB
        database, then check it (`refint subset`; rules and pictures in docs/subset.md).

        Args:
            to: a new file (`.duckdb` for DuckDB, else SQLite) or the URL of an empty database.
            where: seeds, `'TABLE: PREDICATE'` (repeatable; on one table they AND together).
            percent: seeds, `'TABLE: P'`: a deterministic P% sample (see `random_seed`).
            limit: seeds, `'TABLE: N'`: the first N rows by key (after `where` and `percent`).
            children: `none`, `down` (children of seed rows, recursively) or `all` (both directions).
            depth: at most this many child hops from a seed row (`down`).
            relations: keys the database does not declare, followed like declared ones.
            exclude: tables left out, with their keys.
            dry_run: count per table and per key, write nothing.
            force: replace an existing target file.
            random_seed: the seed of `percent`'s sample.
            progress: called as `progress(phase, done, total, label)`.

        Returns:
            A [SubsetResult][refint.subset.SubsetResult] (`.tables`, `.check`, `.ok`).

        Raises:
            refint.errors.BadInput: a malformed seed, an unknown column, an existing or non-empty target.
            refint.errors.NoSuchTable: an unknown table.
            refint.errors.ConnectionFailed: the target refused the connection.
            refint.errors.QueryFailed: a query failed (the target is removed).
        """
        from refint.subset.run import subset

        return subset(self.engine, self.inspect(), display=self.display, to=to, where=where, percent=percent,
                      limit=limit, children=children, depth=depth, relations=relations, exclude=exclude,
                      dry_run=dry_run, force=force, random_seed=random_seed, progress=progress)

