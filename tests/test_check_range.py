"""The anti-join by the parent's key range (refint.check.Checker._orphans_by_range), compared with the
engine's own NOT EXISTS on PostgreSQL, MariaDB and DuckDB (files and Parquet folders).

A one-column integer key whose parent keys fill ``[min, max]`` but for a few integers is checked by a
filter on the child (outside the range, or one of the missing integers) instead of a join. These tests
plant orphans below, above and inside the range, in its holes, next to the type's largest value, with
NULLs, a wider child type than the parent's, a non-unique parent column and an empty parent, and assert
that the counts and the sampled keys equal the engine's, and which path answered.
"""

from __future__ import annotations

from typing import Any

import pytest

import refint
from refint.check import Checker
from refint.engines.base import Engine
from refint.relations import parse_relation

BIG = 9223372036854775807  # the largest BIGINT

# parent layouts: (ids, whether the range path answers)
LAYOUTS: dict[str, tuple[list[int], bool]] = {
    "dense": (list(range(1, 301)), True),
    "holes": ([i for i in range(1, 301) if i not in (2, 150, 151, 152, 299)], True),
    "negative": ([i - 100 for i in range(1, 301) if i not in (50, 100)], True),
    "bigint edge": ([BIG - 300 + i for i in range(1, 301) if i != 10], True),
    "sparse": ([3 * i for i in range(1, 301)], False),  # 598 integers missing: more than the limit
    "empty": ([], True),
}


def _child_keys(ids: list[int], big_orphan: int) -> list[int | None]:
    """Every parent key three times, NULLs, and orphans below, above, inside the holes, and a big one."""
    keys: list[int | None] = [k for k in ids for _ in range(3)] + [None] * 7
    present = set(ids)
    lo, hi = (min(ids), max(ids)) if ids else (1, 1)
    orphans = [lo - 1, lo - 1, lo - 1000, big_orphan] + [k for k in range(lo, hi + 1) if k not in present][:40]
    if hi < BIG:
        orphans += [hi + 1, hi + 7]
    return keys + orphans


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    answers: list[Any] = []
    original = Checker._orphans_by_range

    def spy(self: Checker, *args: Any) -> Any:
        found = original(self, *args)
        answers.append(found)
        return found

    monkeypatch.setattr(Checker, "_orphans_by_range", spy)
    monkeypatch.setattr(Engine, "RANGE_MIN_ROWS", 0)  # small tables here: the estimate gate is tested below
    return answers


def _insert(table: str, rows: list[tuple[Any, ...]]) -> list[str]:
    out = []
    for start in range(0, len(rows), 500):
        values = ", ".join("(" + ", ".join("NULL" if v is None else str(v) for v in row) + ")"
                           for row in rows[start:start + 500])
        out.append(f"INSERT INTO {table} VALUES {values}")
    return out


TYPES = {  # parent key type, child key type, an orphan only the child's type can hold
    "postgresql": ("BIGINT", "BIGINT", 2 ** 62),
    "mariadb": ("BIGINT", "BIGINT UNSIGNED", 2 ** 63 + 5),
    "duckdb": ("BIGINT", "HUGEINT", 2 ** 70),
}

EXPECTED = ("SELECT pid, count(*) FROM child c WHERE pid IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM parent p WHERE p.id = c.pid) GROUP BY pid ORDER BY pid")


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("engine", ["postgresql", "mariadb", "duckdb"])
def test_range_path_equals_the_engine(make_db: Any, monkeypatch: pytest.MonkeyPatch, engine: str,
                                      layout: str) -> None:
    ids, fast = LAYOUTS[layout]
    ptype, ctype, big_orphan = TYPES[engine]
    if engine == "mariadb" and layout in ("negative", "bigint edge"):
        ctype = "BIGINT"  # an unsigned child cannot hold these keys
        big_orphan = -(2 ** 62)
    db = make_db(engine)
    keys = _child_keys(ids, big_orphan)
    if ctype.endswith("UNSIGNED"):
        keys = [k for k in keys if k is None or k >= 0]
    db.run(";".join([
        f"CREATE TABLE parent (id {ptype} PRIMARY KEY, name VARCHAR(10))",
        f"CREATE TABLE child (id INTEGER PRIMARY KEY, pid {ctype})",
        *_insert("parent", [(i, "'p'") for i in ids]),
        *_insert("child", list(enumerate(keys, start=1))),
    ]))
    if engine == "postgresql":
        db.run("ANALYZE")
    elif engine == "mariadb":
        db.run("ANALYZE TABLE parent, child")
    expected = db.query(EXPECTED)
    assert sum(n for _, n in expected) >= 5
    answers = _spy(monkeypatch)
    with refint.connect(db.url if engine != "duckdb" else db.path, readonly=True) as rdb:
        report = rdb.check(kinds=["foreign_key"], relations=parse_relation("child(pid) -> parent(id)"), sample=1000)
    assert len(answers) == 1 and (answers[0] is not None) == fast
    (v,) = report.violations
    assert v.count == sum(n for _, n in expected)
    assert [s["pid"] for s in v.sample] == [k for k, _ in expected]


@pytest.mark.parametrize("engine", ["postgresql", "mariadb", "duckdb"])
def test_range_path_on_a_declared_key_with_an_index(make_db: Any, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """The declared foreign key (NOT VALID / checks off) with an index on the child's key: a range scan."""
    db = make_db(engine)
    ids = [i for i in range(1, 2001) if i % 97 != 0]
    keys = [None if i % 13 == 0 else (i * 7) % 2100 for i in range(1, 6001)]
    if engine == "duckdb":
        db.run(";".join(["CREATE TABLE parent (id INTEGER PRIMARY KEY)", *_insert("parent", [(i,) for i in ids]),
                         "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER)",
                         *_insert("child", list(enumerate(keys, start=1)))]))
        rel: Any = parse_relation("child(pid) -> parent(id)")
    else:
        fk_off = "SET FOREIGN_KEY_CHECKS = 0;" if engine == "mariadb" else ""
        not_valid = " NOT VALID" if engine == "postgresql" else ""
        db.run(";".join([
            fk_off + "CREATE TABLE parent (id INTEGER PRIMARY KEY)", *_insert("parent", [(i,) for i in ids]),
            "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER)",
            "CREATE INDEX ix_child_pid ON child (pid)",
            *_insert("child", list(enumerate(keys, start=1))),
            f"ALTER TABLE child ADD CONSTRAINT child_pid_fk FOREIGN KEY (pid) REFERENCES parent (id){not_valid}",
        ]))
        db.run("ANALYZE" if engine == "postgresql" else "ANALYZE TABLE parent, child")
        rel = None
    expected = db.query(EXPECTED)
    answers = _spy(monkeypatch)
    with refint.connect(db.url if engine != "duckdb" else db.path, readonly=True) as rdb:
        report = rdb.check(kinds=["foreign_key"], relations=rel, sample=3)
    assert len(answers) == 1 and answers[0] is not None
    (v,) = report.violations
    assert v.count == sum(n for _, n in expected) > 0
    assert [s["pid"] for s in v.sample] == [k for k, _ in expected[:3]]
    assert v.message == f'Key (pid)=({expected[0][0]}) is not present in table "parent".'


def test_range_path_over_parquet_files_with_a_non_unique_parent(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files declare no keys: the parent's keys are counted DISTINCT (here each appears twice)."""
    import duckdb

    folder = tmp_path / "files"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("CREATE TABLE parent AS SELECT (i % 400) + 1 AS id FROM range(800) t(i) WHERE (i % 400) + 1 <> 77")
    con.execute("CREATE TABLE child AS SELECT i AS id, CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 13) % 405 END AS pid "
                "FROM range(1, 3000) t(i)")
    expected = con.execute(EXPECTED).fetchall()
    con.execute(f"COPY parent TO '{folder / 'parent.parquet'}'")
    con.execute(f"COPY child TO '{folder / 'child.parquet'}'")
    con.close()
    answers = _spy(monkeypatch)
    with refint.connect(folder) as rdb:
        report = rdb.check(kinds=["foreign_key"], relations=parse_relation("child(pid) -> parent(id)"), sample=1000)
    assert len(answers) == 1 and answers[0] is not None
    (v,) = report.violations
    assert v.count == sum(n for _, n in expected)
    assert [s["pid"] for s in v.sample] == [k for k, _ in expected]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_no_range_path_without_integer_types_or_for_small_children(make_db: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   engine: str) -> None:
    """SQLite's INTEGER columns hold reals (2.5 lies between two parent keys and is an orphan); a
    NUMERIC key is not an integer one; and by default a small child keeps the join."""
    db = make_db(engine)
    ktype = "INTEGER" if engine == "sqlite" else "NUMERIC"
    db.run(f"CREATE TABLE parent (id {ktype} PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, pid {ktype});"
           "INSERT INTO parent VALUES (1), (2), (3); INSERT INTO child VALUES (1, 1), (2, 2.5), (3, 4), (4, NULL)")
    answers = _spy(monkeypatch)
    with refint.connect(db.url, readonly=True) as rdb:
        report = rdb.check(kinds=["foreign_key"], relations=parse_relation("child(pid) -> parent(id)"), sample=5)
        assert answers == [None]
        (v,) = report.violations
        assert v.count == db.query("SELECT count(*) FROM child c WHERE pid IS NOT NULL AND NOT EXISTS "
                                   "(SELECT 1 FROM parent p WHERE p.id = c.pid)")[0][0] == 2
        monkeypatch.undo()
        answers = _spy(monkeypatch)
        monkeypatch.setattr(Engine, "RANGE_MIN_ROWS", 100_000)
        db.run("CREATE TABLE p2 (id INTEGER PRIMARY KEY); CREATE TABLE c2 (id INTEGER PRIMARY KEY, pid INTEGER);"
               "INSERT INTO p2 VALUES (1); INSERT INTO c2 VALUES (1, 5)")
    with refint.connect(db.url, readonly=True) as rdb:
        rdb.check(kinds=["foreign_key"], relations=parse_relation("c2(pid) -> p2(id)"), tables=["c2"])
    assert answers == [None]


def test_a_key_declared_only_in_the_relations_file_is_not_trusted_to_be_distinct(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """parent.id declared a primary key in relations.toml but holding 5 twice and no 77: as many rows as
    integers in [1, 400], yet 77 is missing. Counting the rows would call the range full and miss the
    orphans at 77; refint counts the distinct keys, and also reports the duplicate."""
    import duckdb

    folder = tmp_path / "files"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("CREATE TABLE parent AS SELECT CASE WHEN i = 77 THEN 5 ELSE i END AS id FROM range(1, 401) t(i)")
    con.execute("CREATE TABLE child AS SELECT i AS id, (i % 400) + 1 AS pid FROM range(1, 2001) t(i)")
    expected = con.execute(EXPECTED).fetchall()
    assert expected == [(77, 5)]
    con.execute(f"COPY parent TO '{folder / 'parent.parquet'}'")
    con.execute(f"COPY child TO '{folder / 'child.parquet'}'")
    con.close()
    rel_file = tmp_path / "relations.toml"
    rel_file.write_text('[tables.parent]\nprimary_key = ["id"]\n\n[[relations]]\nrelation = "child(pid) -> parent(id)"\n')
    answers = _spy(monkeypatch)
    with refint.connect(folder) as rdb:
        report = rdb.check(relations=refint.relations.load_relations_file(rel_file), sample=10)
    assert len(answers) == 1 and answers[0] is not None
    by_kind = {v.kind: v for v in report.violations}
    assert by_kind["foreign_key"].count == 5 and by_kind["foreign_key"].sample == ({"pid": 77},)
    assert by_kind["primary_key"].count == 2


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
def test_range_path_only_where_every_statement_reads_one_snapshot(make_db: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   engine: str) -> None:
    """The range path answers from several statements. Under READ COMMITTED each sees the latest commits,
    so a parent and its child inserted between them would make a false orphan: there the join (one
    statement) answers. refint's own read-only transaction on PostgreSQL is REPEATABLE READ."""
    db = make_db(engine)
    db.run(";".join(["CREATE TABLE parent (id INTEGER PRIMARY KEY)", *_insert("parent", [(i,) for i in range(1, 101)]),
                     "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER)",
                     *_insert("child", [(i, i % 103) for i in range(1, 401)])]))
    db.run("ANALYZE" if engine == "postgresql" else "ANALYZE TABLE parent, child")
    expected = db.query(EXPECTED)
    rel = parse_relation("child(pid) -> parent(id)")
    answers = _spy(monkeypatch)
    if engine == "postgresql":
        import psycopg

        conn: Any = psycopg.connect(f"host=127.0.0.1 user=postgres dbname={db.name}")
        levels = ["READ COMMITTED", "REPEATABLE READ"]
    else:
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", user="root", password="", database=db.name)
        levels = ["READ COMMITTED", "REPEATABLE READ"]
    try:
        for level in levels:
            cur = conn.cursor()
            cur.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}"
                        if engine == "postgresql" else f"SET SESSION TRANSACTION ISOLATION LEVEL {level}")
            conn.commit()
            with refint.connect(conn) as rdb:
                report = rdb.check(kinds=["foreign_key"], relations=rel, sample=100)
            (v,) = report.violations
            assert v.count == sum(n for _, n in expected)
            assert [s["pid"] for s in v.sample] == [k for k, _ in expected]
    finally:
        conn.close()
    assert answers[0] is None and answers[1] is not None
    with refint.connect(db.url, readonly=True) as rdb:
        rdb.check(kinds=["foreign_key"], relations=rel)
    assert answers[2] is not None
