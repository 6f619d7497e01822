"""The score: how likely a candidate is a foreign key, in [0, 1], from the evidence (docs/discover.md).

    score = 0.50 * names + 0.30 * data + 0.10 * coverage + 0.10 * type

- names: :func:`refint.discover.candidates.name_evidence` (1 = the same non-generic column name).
- data: inclusion of the child's distinct values in the parent, weighted by how much those values can
  prove: a column of 3 distinct small integers fits almost any integer key by chance, one of 300 does
  not. Integers need about 100 distinct values for full weight, strings and UUIDs about 10.
- coverage: the share of the parent's keys the child uses (a reference usually covers much of its
  parent; a chance fit into a huge key range covers little).
- type: the declared types agree exactly (`integer` and `integer`), not only in class.

A candidate with more orphans than ``max_orphans`` (a share of its distinct values) is no key at all,
whatever its names say. An empty child column has no data evidence: only names that say the same thing
(0.8 or more) with exactly agreeing types carry it to the default threshold of 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from refint.discover.evidence import Inclusion

W_NAME, W_DATA, W_COVER, W_TYPE = 0.50, 0.30, 0.10, 0.10


@dataclass(frozen=True)
class Scored:
    score: float
    inclusion: float
    coverage: float
    strength: float
    rejected: str | None = None


def strength(distinct: int, cls: str) -> float:
    """How much an inclusion of ``distinct`` values proves (0..1): log-scaled, strings sooner."""
    if distinct <= 0:
        return 0.0
    digits = 1.0 if cls in ("str", "uuid") else 2.0
    return min(1.0, math.log10(distinct + 1) / digits)


def score(name: float, inc: Inclusion | None, parent_keys: int, cls: str, same_type: bool,
          max_orphans: float) -> Scored:
    """The score of one candidate (``inc`` None: the child column holds no value)."""
    type_term = W_TYPE * (1.0 if same_type else 0.5)
    if inc is None or inc.distinct == 0:
        return Scored(round(W_NAME * name + type_term, 3), 1.0, 0.0, 0.0)
    inclusion = inc.matched / inc.distinct
    if inc.orphan_distinct > max_orphans * inc.distinct:
        return Scored(0.0, inclusion, 0.0, 0.0,
                      f"{inc.orphan_distinct} of {inc.distinct} distinct values are not in the parent")
    coverage = inc.matched / parent_keys if parent_keys else 0.0
    s = strength(inc.distinct, cls)
    total = W_NAME * name + W_DATA * s * inclusion + W_COVER * min(1.0, coverage) + type_term
    return Scored(round(min(1.0, total), 3), inclusion, coverage, s)
