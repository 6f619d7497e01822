"""``refint discover``: foreign keys nobody declared, found from the data, the names and the types.

:mod:`~refint.discover.candidates` pairs columns with keys and weighs their names,
:mod:`~refint.discover.evidence` measures inclusion and coverage in the engine,
:mod:`~refint.discover.scoring` turns the evidence into a score, :mod:`~refint.discover.output` holds the
result (:class:`Discovery`) and its renderings; :func:`discover` (in :mod:`~refint.discover.search`) is what
:meth:`refint.Database.discover` calls.
"""

from refint.discover.output import Alternative, Discovery, Finding, KeyCandidate
from refint.discover.search import discover

__all__ = ["Alternative", "Discovery", "Finding", "KeyCandidate", "discover"]
