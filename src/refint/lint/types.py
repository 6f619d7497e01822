"""Column types and defaults as lint compares them: SQLite affinity, normalised type names, literal defaults.

Kept apart from the rules so that the normalisation tables can grow without the rule module growing.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any


# SQLite's affinity rules (https://www.sqlite.org/datatype3.html#determination_of_column_affinity)
def sqlite_affinity(declared: str) -> str:
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


_ALIASES = {
    "INT": "INTEGER", "INT4": "INTEGER", "SERIAL": "INTEGER", "SERIAL4": "INTEGER", "MEDIUMINT": "MEDIUMINT",
    "INT8": "BIGINT", "BIGSERIAL": "BIGINT", "SERIAL8": "BIGINT", "INT2": "SMALLINT", "SMALLSERIAL": "SMALLINT",
    "CHARACTER VARYING": "VARCHAR", "CHARACTER": "CHAR", "BPCHAR": "CHAR", "BOOL": "BOOLEAN",
    "FLOAT8": "DOUBLE", "DOUBLE PRECISION": "DOUBLE", "FLOAT4": "REAL", "DECIMAL": "NUMERIC",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "TIME WITHOUT TIME ZONE": "TIME", "TIME WITH TIME ZONE": "TIMETZ", "STRING": "VARCHAR",
}
#: types whose parenthesised number is a display width, not a length (MySQL's INT(11))
_WIDTH_ONLY = {"INTEGER", "BIGINT", "SMALLINT", "TINYINT", "MEDIUMINT"}


def normalise_type(declared: str) -> tuple[str, str]:
    """``'int(11) unsigned'`` -> ``('INTEGER UNSIGNED', '')``; ``'character varying(20)'`` -> ``('VARCHAR', '20')``."""
    t = " ".join(declared.upper().split())
    m = re.match(r"^(.*?)\s*\(([^)]*)\)(.*)$", t)
    params = ""
    if m:
        t = (m.group(1) + m.group(3)).strip()
        params = m.group(2).replace(" ", "")
    words = t.split(" ")
    suffix = [w for w in words if w in ("UNSIGNED", "ZEROFILL")]
    base = " ".join(w for w in words if w not in ("UNSIGNED", "ZEROFILL", "SIGNED"))
    base = _ALIASES.get(base, base)
    if base in _WIDTH_ONLY:
        params = ""
    if "UNSIGNED" in suffix:
        base += " UNSIGNED"
    return base, params


_NUMBER = re.compile(r"^\(?\s*(-?\d+(\.\d+)?)\s*\)?(::[\w\s]+)?$")
_STRING = re.compile(r"^\(?\s*[Nn_]?'((?:[^']|'')*)'\s*\)?(::[\w\s\"]+(\(\d+\))?)?$")


def literal_default(default: str | None) -> tuple[bool, Any]:
    """A column default as a Python value, when it is a plain literal (``(True, value)``).

    Expressions (``nextval(...)``, ``CURRENT_DATE``) are never evaluated: lint must not have side effects.
    """
    if default is None:
        return True, None
    text = default.strip()
    if text.upper() == "NULL":
        return True, None
    if m := _NUMBER.match(text):
        try:
            value = Decimal(m.group(1))
        except InvalidOperation:
            return False, None
        return True, int(value) if value == value.to_integral_value() and "." not in m.group(1) else value
    if m := _STRING.match(text):
        return True, m.group(1).replace("''", "'")
    return False, None
