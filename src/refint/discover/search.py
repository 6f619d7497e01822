"""The discover pipeline: keys, profiles, candidates, verification, choice (docs/discover.md).

1. Referenced keys: declared PRIMARY KEYs and UNIQUEs; for a table declaring neither, the column the
   profile shows unique and never NULL that looks most like its identifier (a primary-key candidate).
2. Profiles: one scan per table (row count; non-NULL, distinct, min and max per key-like column).
3. Candidates: a child column and a key of the same type class whose names agree, or, for a column
   whose name says it holds some key but names no table, the few keys its values could fit at all
   (range and distinct count); composite keys: child columns of the same names, verified with data.
4. Verification: one grouped anti-join per candidate that has values (inclusion, orphans, coverage).
5. Choice: per child column the best-scoring parent; the other fitting parents become alternatives.
"""

from __future__ import annotations

import time
from functools import partial
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from refint.discover import candidates as C
from refint.discover.evidence import Inclusion, TableStats, keyable, orphan_sample, profile, unique_tuple, verify
from refint.discover.output import Alternative, Discovery, Finding, KeyCandidate
from refint.discover.scoring import Scored, score, strength
from refint.errors import BadInput, QueryFailed
from refint.model import Schema, Table

if TYPE_CHECKING:
    from refint.engines.base import Engine

Key = tuple[str | None, str]
T = TypeVar("T")
#: data-only candidates: at most this many parents may fit a column's values, else data cannot choose
MAX_DATA_PARENTS = 3


@dataclass
class _Cand:
    child: Table
    columns: tuple[str, ...]
    parent: Table
    key: tuple[str, ...]
    cls: str
    name: float
    why: str
    same_type: bool
    inc: Inclusion | None = None


def _fits(cs: TableStats, col: str, ps: TableStats, pcol: str, max_orphans: float) -> bool:
    """Whether the child's values could fit the parent's key at all (cheap statistics)."""
    c, p = cs.columns.get(col), ps.columns.get(pcol)
    if c is None or p is None or c.non_null == 0:
        return True
    if p.distinct == 0:
        return False
    if c.distinct > p.distinct + max_orphans * c.distinct:
        return False
    if c.low is not None and p.low is not None:
        try:
            if c.high < p.low or c.low > p.high:
                return False
        except TypeError:
            return True
    return True


def _contained(cs: TableStats, col: str, ps: TableStats, pcol: str) -> bool:
    c, p = cs.columns.get(col), ps.columns.get(pcol)
    if c is None or p is None or c.low is None or p.low is None:
        return c is not None and p is not None and 0 < c.distinct <= p.distinct
    try:
        return bool(p.low <= c.low and c.high <= p.high and c.distinct <= p.distinct)
    except TypeError:
        return False


def discover(engine: Engine, schema: Schema, *, tables: Sequence[str] = (), min_score: float = 0.45,
             max_orphans: float = 0.01, timeout: float | None = None,
             progress: Callable[[int, int, str], None] | None = None) -> Discovery:
    """Find undeclared foreign keys (see the module docstring); read-only, one transaction."""
    if not 0 <= min_score <= 1:
        raise BadInput("--min-score must be between 0 and 1")
    if not 0 <= max_orphans < 1:
        raise BadInput("--max-orphans must be at least 0 and below 1")
    wanted = {schema.table(t).key for t in tables}
    skip = C.skipped(schema)
    all_tables = [t for t in schema.tables if t.key not in skip]
    started = time.monotonic()
    with engine.read_only(), engine.cancel_on_interrupt():
        engine.prepare_check()  # the session settings of check's queries, which the verification shares
        if timeout:
            engine.set_statement_timeout(timeout)

        def run(label: str, fn: Callable[[], T]) -> T:
            try:
                return fn()
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                if engine.was_cancelled():
                    raise KeyboardInterrupt from None
                orig = getattr(exc, "orig", None) or exc
                if not hasattr(exc, "orig") and not type(exc).__module__.startswith(("sqlite3", "duckdb")):
                    raise
                first = " ".join(str(orig).split("\n")[0].split()) or type(orig).__name__
                raise QueryFailed(f"discover: {label}: {first}") from exc

        stats: dict[Key, TableStats] = {}
        for i, t in enumerate(all_tables):
            if progress:
                progress(i, len(all_tables), f"profiling {t.qualified_name}")
            stats[t.key] = run(f"profiling {t.qualified_name}", partial(profile, engine, t))

        # 1. referenced keys
        keys: dict[Key, list[tuple[str, ...]]] = {}
        found_keys: list[KeyCandidate] = []
        for t in all_tables:
            sets = [s for s in t.unique_sets() if all(C.type_class(t.column(c).type) for c in s)
                    # a unique column that is itself a reference (`extras_dashboard.user_id`) is no identifier
                    and not ((not t.primary_key or s != t.primary_key.columns) and len(s) == 1
                             and C.id_shaped(s[0]) and not C.owner_of(t, s[0]))]
            if not t.primary_key:
                st = stats[t.key]
                pk = C.pick_primary(t, st.unique_columns())
                if pk is None and st.rows == 0:
                    # no rows to prove anything: a NOT NULL column that names the table as its identifier
                    pk = next((c.name for c in t.columns if not c.nullable and C.type_class(c.type)
                               and C.names_table(t, c.name)), None)
                if pk is not None:
                    found_keys.append(KeyCandidate(t.schema, t.name, (pk,), st.rows))
                    sets.insert(0, (pk,))
                elif not sets:
                    cols = [n for n, _ in keyable(t)][:2]
                    if len(cols) == 2 and run(f"profiling {t.qualified_name}", partial(unique_tuple, engine, t, cols)):
                        found_keys.append(KeyCandidate(t.schema, t.name, tuple(cols), st.rows))
                        sets.insert(0, tuple(cols))
            keys[t.key] = sets

        # 2. candidates
        junctions = {t.key for t in all_tables if C.junction(t)}
        names = {t.key: set(t.column_names()) for t in all_tables}
        joined = {t.key: "".join(C.tokens(t.name)) for t in all_tables}
        composite_keys = {t.key: [k for k in keys[t.key] if 2 <= len(k) <= 3 and any(C.identifies(t, c) for c in k)]
                          for t in all_tables}
        single_keys = {t.key: [(k, t.column(k[0]).type, C.type_class(t.column(k[0]).type))
                               for k in keys[t.key] if len(k) == 1] for t in all_tables}
        cands: list[_Cand] = []
        declared: list[Finding] = []
        for child in all_tables:
            if wanted and child.key not in wanted:
                continue
            taken = set()
            for fk in child.foreign_keys:
                taken.add(fk.columns)
                declared.append(Finding(child.schema, child.name, fk.columns, fk.referred_schema, fk.referred_table,
                                        fk.referred_columns, 1.0, "declared"))
            cs = stats[child.key]
            own_keys = keys[child.key]
            pk_cols = set(own_keys[0]) if own_keys else set()
            for col, cls in keyable(child):
                if (col,) in taken or C.polymorphic(child, col):
                    continue
                if col in pk_cols and C.owner_of(child, col):
                    continue  # the table's own identifier
                child_unique = (col,) in own_keys
                ctype = child.column(col).type.lower()
                bare = C.bare(child, col)
                stem = C.role_stem(col) + C.role_stem(bare)
                is_actor = C.actor(C.tokens(col)) or C.actor(C.tokens(bare))
                named: list[_Cand] = []
                for parent in all_tables:
                    ps = stats[parent.key]
                    for key, ptype, pcls in single_keys[parent.key]:
                        if pcls != cls or (parent.key == child.key and key == (col,)):
                            continue
                        if child.parent == parent.key and key == (col,):
                            continue  # an inheritance child's copy of its parent's key column
                        if not _fits(cs, col, ps, key[0], max_orphans):
                            continue
                        if col != key[0] and parent.key != child.key and not is_actor and not any(
                                w[:3] in joined[parent.key] for w in stem):
                            continue  # no word of the column appears in the parent's name: no evidence
                        ev = C.name_evidence(child, col, parent, key[0], child_unique=child_unique)
                        if ev.score < 0.5 or ev.score >= 0.95:
                            pass
                        elif parent.key != child.key and col in names[parent.key] and col != key[0]:
                            continue  # the parent has the same column: a sibling referring to the same thing
                        elif parent.key in junctions:
                            continue
                        if ev.score >= 0.5:
                            named.append(_Cand(child, (col,), parent, key, cls, ev.score, ev.why,
                                               ptype.lower() == ctype))
                if not named and C.id_shaped(col) and cs.columns[col].distinct > 0 and (col,) not in own_keys:
                    # names say nothing: the keys the values could fit, when there are only a few
                    fit = [(p, k) for p in all_tables for k in keys[p.key]
                           if len(k) == 1 and p.key != child.key and C.type_class(p.column(k[0]).type) == cls
                           and _contained(cs, col, stats[p.key], k[0])]
                    if 0 < len(fit) <= MAX_DATA_PARENTS and strength(cs.columns[col].distinct, cls) >= 0.6:
                        named = [_Cand(child, (col,), p, k, cls, 0.0, "", p.column(k[0]).type.lower() == ctype)
                                 for p, k in fit]
                cands.extend(named)
            # composite keys: the same names (a tuple unique in the child itself is a sibling key)
            for parent in all_tables:
                for ckey in composite_keys[parent.key]:  # holding the parent's own identifier
                    match = C.composite_matches(child, parent, ckey)
                    if match is None or match in taken or set(match) in [set(u) for u in own_keys]:
                        continue
                    classes = [C.type_class(child.column(c).type) for c in match]
                    if classes != [C.type_class(parent.column(k).type) for k in ckey] or None in classes:
                        continue
                    cands.append(_Cand(child, match, parent, ckey, "str", 1.0, "the same column names", True))

        # 3. verification
        todo = [c for c in cands if any(stats[c.child.key].columns.get(col, None) is None
                                        or stats[c.child.key].columns[col].non_null for col in c.columns)]
        for i, c in enumerate(todo):
            if progress:
                progress(i, len(todo), f"{c.child.qualified_name}({', '.join(c.columns)}) -> {c.parent.qualified_name}")
            label = f"verifying {c.child.qualified_name}({', '.join(c.columns)}) -> {c.parent.qualified_name}"
            known = stats[c.child.key].columns.get(c.columns[0]) if len(c.columns) == 1 else None
            c.inc = run(label, partial(verify, engine, c.child, c.columns, c.parent, c.key, known))
        if progress:
            progress(len(todo), len(todo), "scoring")

        # 4. scores and the choice between parents
        by_child: dict[tuple[Key, tuple[str, ...]], list[tuple[float, _Cand, Scored]]] = {}
        for c in cands:
            ps = stats[c.parent.key]
            first = keys[c.parent.key][0] if keys[c.parent.key] else c.key
            pcol = ps.columns.get(first[0]) if len(first) == 1 else None
            parent_keys = (pcol.distinct if pcol else 0) or ps.rows
            sc = score(c.name, c.inc, parent_keys, c.cls, c.same_type, max_orphans)
            if sc.rejected or sc.score < min_score:
                continue
            by_child.setdefault((c.child.key, c.columns), []).append((sc.score, c, sc))
        findings: list[Finding] = []
        for (_, _), options in by_child.items():
            options.sort(key=lambda o: (-o[0], -o[1].name, not C.identifies(o[1].parent, o[1].key[0]),
                                        -o[2].coverage, o[1].parent.qualified_name))
            best_score, best, sc = options[0]
            inc = best.inc
            evidence = {
                "name_score": best.name, "name_reason": best.why,
                "distinct": inc.distinct if inc else 0, "rows": inc.rows if inc else 0,
                "null_share": _null_share(stats[best.child.key], best.columns),
                "inclusion": round(sc.inclusion, 4),
                "orphan_distinct": inc.orphan_distinct if inc else 0, "orphan_rows": inc.orphan_rows if inc else 0,
                "coverage": round(sc.coverage, 4), "same_type": best.same_type,
            }
            sample: list[tuple[object, ...]] = []
            if inc and inc.orphan_rows:
                sample = run("orphans", partial(orphan_sample, engine, best.child, best.columns, best.parent, best.key))
            alts = tuple(Alternative(o[1].parent.schema, o[1].parent.name, o[1].key, o[0]) for o in options[1:])
            findings.append(Finding(best.child.schema, best.child.name, best.columns, best.parent.schema,
                                    best.parent.name, best.key, best_score, "discovered", evidence, alts,
                                    tuple(sample)))
        findings = _drop_implied(findings, schema)
        findings = _drop_covered(findings)
    findings.sort(key=lambda f: (-f.score, f.schema or "", f.table, f.columns))
    return Discovery(engine.name, tuple(findings), tuple(declared), tuple(found_keys), {
        "tables": len(all_tables), "candidates": len(cands), "verified": len(todo),
        "milliseconds": int((time.monotonic() - started) * 1000)})


def _null_share(st: TableStats, columns: tuple[str, ...]) -> float:
    if not st.rows:
        return 0.0
    nn = min(st.columns[c].non_null if c in st.columns else st.rows for c in columns)
    return round(1 - nn / st.rows, 4)


def _drop_covered(findings: list[Finding]) -> list[Finding]:
    """A single-column finding on a column of a composite finding that scores as high or higher is the
    composite key's first part pointing elsewhere (`node_tags.node_id` beside `(node_id, version)`)."""
    composite = [f for f in findings if len(f.columns) > 1]
    out = []
    for f in findings:
        if len(f.columns) == 1 and any((c.schema, c.table) == (f.schema, f.table) and f.columns[0] in c.columns
                                       and c.score >= f.score for c in composite):
            continue
        out.append(f)
    return out


def _drop_implied(findings: list[Finding], schema: Schema) -> list[Finding]:
    """A composite finding whose parent key consists only of references (a link table pointing at the
    same parents as the child) says nothing the single-column findings do not: drop it."""
    refs: dict[Key, set[str]] = {}
    for f in findings:
        if len(f.columns) == 1:
            refs.setdefault((f.schema, f.table), set()).add(f.columns[0])
    for t in schema.tables:
        for fk in t.foreign_keys:
            refs.setdefault(t.key, set()).update(fk.columns)
    out = []
    for f in findings:
        if len(f.columns) > 1 and set(f.referred_columns) <= refs.get((f.referred_schema, f.referred_table), set()):
            continue
        out.append(f)
    return out
