"""discover on Spark (issue 16, item 4): a folder of Parquet files read by Spark finds what the same folder
read by DuckDB finds, with the same evidence, and the planted keys (an approximate key with its orphan
rows counted by a Python oracle over the rows, a self-reference, a composite key) are among them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import refint

CUSTOMERS = [(i, f"c{i}") for i in range(1, 121)]
CATEGORY = [(i, None if i <= 3 else 1 + i % 3) for i in range(1, 41)]
ORDERS = [(i, 1 + (i * 13) % 120 if i > 3 else 999, 1 + (i * 7) % 40) for i in range(1, 501)]
LINES = [(1 + i // 3, i % 3, 1 + i % 40) for i in range(0, 600)]
SHIPMENTS = [(i, 1 + (i * 3) % 200, (i * 3) % 3) for i in range(1, 151)]


def _folder(tmp_path: Path) -> Path:
    import duckdb

    folder = tmp_path / "lake"
    folder.mkdir()
    con = duckdb.connect()
    tables = {
        "customers": ("id INTEGER, name VARCHAR", CUSTOMERS),
        "category": ("id INTEGER, parent_id INTEGER", CATEGORY),
        "orders": ("id INTEGER, customer_id INTEGER, category_id INTEGER", ORDERS),
        "order_lines": ("order_id INTEGER, line_no INTEGER, category_id INTEGER", LINES),
        "shipments": ("id INTEGER, order_id INTEGER, line_no INTEGER", SHIPMENTS),
    }
    for name, (columns, rows) in tables.items():
        con.execute(f"CREATE TABLE {name} ({columns})")
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        con.execute(f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT parquet)")
    con.close()
    return folder


def _summary(found: Any) -> dict[tuple[str, tuple[str, ...]], tuple[Any, ...]]:
    return {(f.table, f.columns): (f.referred_table, f.referred_columns, f.score, f.orphan_rows,
                                   tuple(tuple(r) for r in f.orphan_sample))
            for f in found.findings}


def test_discover_on_spark_equals_duckdb_and_finds_the_planted_keys(spark: Any, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with refint.connect(folder, engine="spark") as db:
        assert db.engine.name == "spark"
        on_spark = db.discover()
    with refint.connect(folder) as db:
        on_duck = db.discover()
    assert _summary(on_spark) == _summary(on_duck)
    assert sorted((k.table, k.columns) for k in on_spark.key_candidates) == sorted(
        (k.table, k.columns) for k in on_duck.key_candidates)
    got = _summary(on_spark)
    assert got[("orders", ("customer_id",))][:2] == ("customers", ("id",))
    assert got[("category", ("parent_id",))][:2] == ("category", ("id",))
    assert got[("orders", ("category_id",))][:2] == ("category", ("id",))
    assert got[("shipments", ("order_id", "line_no"))][:2] == ("order_lines", ("order_id", "line_no"))
    known = {c[0] for c in CUSTOMERS}
    orphans = [o for o in ORDERS if o[1] is not None and o[1] not in known]
    assert got[("orders", ("customer_id",))][3:] == (len(orphans), ((999,),))
    assert not spark.session.sparkContext._jsc.sc().isStopped()  # the test run's session was left running
