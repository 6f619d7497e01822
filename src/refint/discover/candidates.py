"""Candidates: which column (tuple) might refer to which key, before any row is read.

Referenced sides are the declared PRIMARY KEYs and UNIQUEs (unique indexes included) and, for tables
without a declared key, a primary-key candidate found in the data (see :func:`data_keys`). Referring
sides are the columns of every table whose type class matches the key's. What decides whether a pair is
worth a query is its *name evidence* (:func:`name_evidence`) and, for names that say nothing, whether
the cheap column statistics leave only a few parents the values could come from.

Nothing here knows any particular database: the name rules are generic (identifier splitting, plural
and singular, an id-like suffix, a shared table prefix, abbreviations by prefix).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from refint.model import Schema, Table

#: trailing tokens that mark a column as holding a key of something (`customer_id`, `emp_no`, `DeptCode`)
ID_SUFFIXES = frozenset({"id", "no", "nr", "num", "code", "key", "fk", "ref", "sk", "uuid", "guid", "uid"})
#: key column names that say nothing about what they identify
GENERIC_KEYS = frozenset({"id", "no", "nr", "num", "code", "key", "pk", "uuid", "guid", "name", "rowid", "oid", "uid"})
#: column words that point back at the row's own table: trees, hierarchies of people, chains of versions
SELF_WORDS = frozenset({"parent", "manager", "supervisor", "superior", "boss", "mentor", "predecessor",
                        "successor", "replacement"})
#: phrases that do the same (`ReportsTo`, `replaced_by`, `merged_into`, `duplicate_of`)
SELF_PHRASES = (("report", "to"), ("reports", "to"), ("replaced", "by"), ("merged", "into"), ("duplicate", "of"),
                ("copy", "of"), ("child", "of"))
#: tables of people: an actor column (`author_id`, `created_by`) refers to one of them
PEOPLE = frozenset({"user", "person", "account", "member"})
#: words ending like agent nouns that are not people
NOT_ACTORS = frozenset({"order", "number", "counter", "filter", "folder", "layer", "parameter", "header",
                        "footer", "marker", "container", "cluster", "router", "server", "adapter", "sector",
                        "vector", "factor", "color", "colour", "floor", "door", "error", "master", "center",
                        "centre", "letter", "paper", "water", "power", "tower", "monitor", "sensor", "motor",
                        "chapter", "quarter", "register", "provider", "supplier", "carrier", "issuer"})


@lru_cache(maxsize=65536)
def type_class(type_: str) -> str | None:
    """``int``, ``str`` or ``uuid``: what a key column holds; None for types that are never keys here
    (floating point, dates, booleans, blobs, JSON, arrays, geometry)."""
    t = type_.strip().lower()
    if not t or t.endswith("[]") or "array" in t:
        return None
    base = t.split("(")[0].strip()
    if "uuid" in base or "uniqueidentifier" in base:
        return "uuid"
    if any(w in base for w in ("bool", "bit", "float", "double", "real", "date", "time", "interval", "json",
                               "blob", "bytea", "binary", "geometry", "geography", "point", "money", "enum")):
        return None
    if "int" in base or "serial" in base:
        return "int"
    if base in ("numeric", "decimal", "number"):
        m = re.search(r"\(\s*\d+\s*(?:,\s*(\d+)\s*)?\)", t)
        return "int" if m and not (m.group(1) and int(m.group(1)) > 0) else None
    if any(w in base for w in ("char", "text", "string", "clob", "citext")):
        return "str"
    return None


@lru_cache(maxsize=65536)
def tokens(name: str) -> tuple[str, ...]:
    """``SupportRepId`` -> (support, rep, id); ``order_items`` -> (order, items); ``HTTPCode`` -> (http, code);
    letters of any script are word characters (``학생_id`` -> (학생, id))."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return tuple(p for p in re.split(r"[\W_]+", spaced.lower()) if p)


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """English plural to singular, for table names (categories, addresses, statuses, people)."""
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes", "uses")):
        return word[:-2]
    if word.endswith("people"):
        return word[:-6] + "person"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _sing(toks: Sequence[str]) -> tuple[str, ...]:
    return tuple(singular(t) for t in toks)


def _stem(toks: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens before an id-like suffix: (customer, id) -> (customer,); (id,) stays (id,)."""
    if len(toks) > 1 and toks[-1] in ID_SUFFIXES:
        return toks[:-1]
    return toks


def _ends_with(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return 0 < len(b) <= len(a) and a[-len(b):] == b


def _abbreviates(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """``cust`` for ``customer``, ``dept`` for ``department`` (a prefix of 3+ letters, or the word's
    consonant skeleton: ``dept``, ``mgr``; at most 4 letters, so that a whole word such as ``tunnel`` does
    not abbreviate ``tunnelgroup``), token by token against the end of ``long``."""
    if not short or len(short) > len(long):
        return False
    for s, w in zip(short, long[-len(short):]):
        if s == w:
            continue
        if len(s) < 3:
            return False
        skeleton = w[0] + re.sub(r"[aeiou]", "", w[1:])
        if len(s) > 4 or not (w.startswith(s) or skeleton.startswith(s)):
            return False
    return True


@dataclass(frozen=True)
class NameEvidence:
    score: float
    why: str


@lru_cache(maxsize=4096)
def _column_prefix(names: tuple[str, ...]) -> str:
    first = names[0] if names else ""
    cut = first.find("_")
    if len(names) < 2 or not 0 < cut <= 4 or not first[:cut].isalpha():
        return ""
    prefix = first[:cut + 1].lower()
    return prefix if all(n.lower().startswith(prefix) and len(n) > len(prefix) for n in names) else ""


def bare(table: Table, column: str) -> str:
    """The column's name without its table's column prefix, where every column of the table carries the
    same short one (`c_custkey`, `c_name` in TPC-H's customer; `ss_item_sk` in TPC-DS): warehouse schemas
    name columns so, and only the rest of the name can match another table's."""
    prefix = _column_prefix(tuple(c.name for c in table.columns))
    return column[len(prefix):] if prefix and column.lower().startswith(prefix) else column


def _names_own_table(toks: tuple[str, ...], stem: tuple[str, ...]) -> bool:
    """`parent_id`, `manager_id`, `ReportsTo`, `replaced_by`: words that point back at the row's own table."""
    if set(stem) & SELF_WORDS or set(toks) & SELF_WORDS:
        return True
    return any(toks[i:i + len(p)] == p for p in SELF_PHRASES for i in range(len(toks) - len(p) + 1))


@lru_cache(maxsize=65536)
def role_stem(column: str) -> tuple[str, ...]:
    """The singular stem of a column, without its id-like suffix and without trailing role letters or
    numbers (`termination_a_id` -> termination, `address2_id` -> address)."""
    stem = list(_sing(_stem(tokens(column))))
    while len(stem) > 1 and (len(stem[-1]) == 1 or stem[-1].isdigit()):
        stem.pop()
    return tuple(stem)


def name_evidence(child: Table, column: str, parent: Table, key: str, *, child_unique: bool = False) -> NameEvidence:
    """The evidence of the names as they are, or, where a table's columns all carry its short prefix, of
    the names without it (:func:`bare`), whichever is stronger."""
    ev = _name_evidence(child, column, parent, key, column, key, child_unique)
    b_col, b_key = bare(child, column), bare(parent, key)
    if (b_col, b_key) != (column, key):
        other = _name_evidence(child, column, parent, key, b_col, b_key, child_unique)
        if other.score > ev.score:
            return NameEvidence(other.score, other.why + " (the tables' column prefixes set aside)")
    return ev


def _name_evidence(child: Table, column: str, parent: Table, key: str, c_name: str, k_name: str,
                   child_unique: bool) -> NameEvidence:
    """How strongly the names say ``child.column`` refers to ``parent.key`` (0 = they say nothing).

    A prefix the two table names share (`dcim_device`, `dcim_site`) is set aside first. Then, strongest
    first: the same non-generic column name (`customer_id` = `customer_id`); the stem is the parent table
    (`customer_id` -> customers(id), `device_type_id` -> devicetype); the parent table ends with the stem;
    the parent is the child table's own role (`site.group_id` -> sitegroup); the stem ends with the
    parent's name or its key's stem, a role (`manager_staff_id` -> staff(staff_id), `untagged_vlan_id` ->
    ipam_vlan); an abbreviation (`cust_id` -> customer); `parent_id` to its own table. A column that is
    unique in its own table (a 1:1 link) needs names that point at the parent table, not just the same
    column name.
    """
    c = tokens(c_name)
    k = tokens(k_name)
    full = _sing(tokens(parent.name))
    own = _sing(tokens(child.name))
    shared = 0
    while shared < min(len(full), len(own)) - 1 and full[shared] == own[shared]:
        shared += 1
    t = full[shared:]
    cs, ks = role_stem(c_name), _sing(_stem(k))
    cj, tj = "".join(cs), "".join(t)
    generic = "".join(k) in GENERIC_KEYS
    table_rel = cs == t or cj == tj or _ends_with(t, cs) or _ends_with(cs, t)
    if child.key == parent.key:
        if c != k and _names_own_table(c, cs):
            return NameEvidence(0.8, f"'{column}' names its own table's rows")
        return NameEvidence(0.0, "")
    if c == k and not generic:
        if child_unique and not table_rel:
            return NameEvidence(0.0, "")
        if cs == own and not _ends_with(full, cs):
            return NameEvidence(0.6, "same column name, but it names the child's own table")
        return NameEvidence(1.0 if table_rel or ks == cs else 0.85, "same column name")
    if c == k:  # both generic: `id` = `id`
        return NameEvidence(0.0, "")
    has_suffix = len(c) > 1 and c[-1] in ID_SUFFIXES
    if not has_suffix and not (generic and c[-1] == singular(c[-1])):
        # `customer` -> customer(id) only when the key's own name is generic (and the column singular)
        return NameEvidence(0.0, "")
    if not has_suffix and not (parent.primary_key and parent.primary_key.columns == (key,)):
        return NameEvidence(0.0, "")
    ev = NameEvidence(0.0, "")
    if not generic and not identifies(parent, key):
        # the key is not the parent's identifier (`store.manager_staff_id`): only its own name can match
        if _ends_with(cs, ks):
            ev = NameEvidence(0.8, "the column ends with the key's name (a role)")
    elif cs == t or cj == tj:
        ev = NameEvidence(0.95, "the column names the parent table")
    elif _ends_with(t, cs) or any("".join(t[i:]) == cj for i in range(1, len(t))):
        ev = NameEvidence(0.9 if shared else 0.8, "the parent table's name ends with the column's stem"
                          + (" (shared prefix)" if shared else ""))
    elif own and tj == own[-1] + cj:
        ev = NameEvidence(0.9, "the parent is the child table's own kind of it (`site.group_id` -> sitegroup)")
    elif _ends_with(cs, t):
        ev = NameEvidence(0.8, "the column ends with the parent table's name (a role)")
    elif not generic and _ends_with(cs, ks):
        ev = NameEvidence(0.8, "the column ends with the key's name (a role)")
    elif shared and tj.endswith(cj) and len(cj) >= 4:
        ev = NameEvidence(0.85, "the parent table's name ends with the column's stem (shared prefix)")
    elif len(full) > 1 and cs and cs[-1] == full[-1] and len(cs) > 1:
        ev = NameEvidence(0.7, "the column ends with the parent table's last word (a role)")
    elif _abbreviates(cs, t) or (not generic and _abbreviates(cs, ks)):
        ev = NameEvidence(0.7, "the column abbreviates the parent's name")
    elif full[-1] in PEOPLE and actor(c):
        ev = NameEvidence(0.7, "a column naming who did something (`author_id`, `created_by`) refers to people")
    if child_unique and ev.score < 0.9:
        return NameEvidence(0.0, "")
    if not has_suffix and ev.score < 0.95 and not actor(c):
        return NameEvidence(0.0, "")  # `disk`, `metadata`: without an id suffix only the parent's exact name
    return ev


def actor(toks: tuple[str, ...]) -> bool:
    """`author_id`, `creator_id`, `resolved_by`, `created_by_id`: a column naming who did something."""
    words = [w for w in toks if w not in ID_SUFFIXES]
    if not words or (len(words) == len(toks) and words[-1] != "by"):
        return False  # `identifier`, `owner`: no id suffix, not `..._by`
    last = words[-1]
    return last == "by" or (len(last) >= 5 and last.endswith(("er", "or")) and words[-1] not in NOT_ACTORS)


def polymorphic(table: Table, column: str) -> bool:
    """`record_id` beside `record_type` (Rails, Django generic relations; the type a string or an enum, not
    a reference itself): the id refers to a row of
    whichever table the type names, so it is no foreign key of one table."""
    cs = _stem(tokens(column))
    return len(cs) < len(tokens(column)) and any(
        tokens(c.name) == cs + ("type",) and type_class(c.type) != "int" for c in table.columns)


def identifies(table: Table, column: str) -> bool:
    """Whether the column is the table's own identifier by name: `id`, `<table>_id`, or the table's last
    word (`order_lines.line_no`)."""
    toks = tokens(column)
    return toks in (("id",), ("uid",)) or _ends_with(_sing(tokens(table.name)), _sing(_stem(toks)))


def names_table(table: Table, column: str) -> bool:
    """`id`, or the table's whole name with an id-like suffix (`users.id`, `gpx_files.gpx_file_id`)."""
    toks = tokens(column)
    return toks in (("id",), ("uid",)) or (id_shaped(column) and _sing(_stem(toks)) == _sing(tokens(table.name)))


def junction(table: Table) -> bool:
    """A link table (an id, then only references: `users_user_groups(id, user_id, group_id)`): other
    tables rarely refer to one, so it is a parent only when a column names it outright."""
    pk = set(table.primary_key.columns) if table.primary_key else {"id"}
    rest = [c.name for c in table.columns if c.name not in pk]
    return len(rest) >= 2 and all(id_shaped(c) for c in rest)


def id_shaped(column: str) -> bool:
    """Whether a column's name says it holds some key (`SupportRepId`, `owner_code`)."""
    toks = tokens(column)
    return len(toks) > 1 and toks[-1] in ID_SUFFIXES


def owner_of(table: Table, column: str) -> bool:
    """Whether ``column`` is the table's own identifier (`film.film_id`, `customers.customer_id`, `id`)."""
    cs = _sing(_stem(tokens(column)))
    return cs == _sing(tokens(table.name)) or "".join(tokens(column)) in GENERIC_KEYS


def pick_primary(table: Table, unique_columns: Sequence[str]) -> str | None:
    """Of the columns the data shows unique and never NULL, the one most likely to be the primary key:
    the table's own identifier by name, then any id-like name, then the first column."""
    if not unique_columns:
        return None
    t = _sing(tokens(table.name))
    for col in unique_columns:
        stem = _sing(_stem(tokens(col)))
        if identifies(table, col) or (id_shaped(col) and _abbreviates(stem, t)):
            return col
    for col in unique_columns:
        if id_shaped(col):
            return col
    order = table.column_names()
    return min(unique_columns, key=order.index) if unique_columns[0] == order[0] else None


def composite_matches(child: Table, parent: Table, key: tuple[str, ...]) -> tuple[str, ...] | None:
    """Child columns for every column of a composite key, by the same name (or `id` as `<parent>_id`)."""
    names = {c.name: c.name for c in child.columns}
    lower = {c.name.lower(): c.name for c in child.columns}
    out: list[str] = []
    for k in key:
        found = names.get(k) or lower.get(k.lower())
        if found is None and "".join(tokens(k)) in GENERIC_KEYS:
            t = _sing(tokens(parent.name))
            found = next((c.name for c in child.columns if _sing(_stem(tokens(c.name))) == t
                          and id_shaped(c.name)), None)
        if found is None:
            return None
        out.append(found)
    if len(set(out)) != len(out):
        return None
    if child.key == parent.key and tuple(out) == key:
        return None
    return tuple(out)


def skipped(schema: Schema) -> set[tuple[str | None, str]]:
    """Tables left out: partitions (their rows are read, and their keys declared, through the
    partitioned table)."""
    return {t.key for t in schema.tables if t.kind == "partition"}
