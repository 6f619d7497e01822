"""``refint subset``: a referentially complete slice of a database, copied into a new target.

- :mod:`refint.subset.seeds`: ``--where`` / ``--percent`` / ``--limit`` as seed predicates;
- :mod:`refint.subset.closure`: the closure rules as set-based SQL in the source (cycles: recursive CTEs);
- :mod:`refint.subset.stream`: rows out of the source in batches;
- :mod:`refint.subset.schema_out`: the tables in the target's dialect (types, keys, what is lost);
- :mod:`refint.subset.writers`: SQLite, DuckDB, PostgreSQL and MariaDB targets, nothing left on failure;
- :mod:`refint.subset.run`: the whole run; :mod:`refint.subset.result`: what it returns.
"""

from refint.subset.result import CutKey, SubsetResult, TableSubset, Via
from refint.subset.run import CHILDREN, subset

__all__ = ["CHILDREN", "CutKey", "SubsetResult", "TableSubset", "Via", "subset"]
