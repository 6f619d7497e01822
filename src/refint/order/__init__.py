"""``refint order``: table order for load, delete or drop; cycles are returned as data.

- :mod:`refint.order.core`: the order and the keys each cycle must defer;
- :mod:`refint.order.sql`: the order as a runnable SQL script (``--format sql``).
"""

from refint.order.core import PURPOSES, Deferred, Order, order

__all__ = ["PURPOSES", "Deferred", "Order", "order"]
