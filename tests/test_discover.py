"""discover on the real engines: planted keys (approximate, composite, self-referencing) are found with the
right orphan counts, chance inclusions of small domains are not, and the relations output goes unchanged
into ``check``, which then reports the same orphans (counted again by a naive query as the oracle)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.relations import load_relations_file

REFINT = [sys.executable, "-m", "refint"]


def values(rows: list[tuple[Any, ...]]) -> str:
    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"
    return ", ".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows)


def shop(db: Any) -> None:
    """customers 1..150; orders whose customer_id has 2 orphan rows (one value, 999) among 151 distinct
    values; a self-referencing category tree; order_lines with a composite key referred to by shipments;
    a small-domain column (`level_no` in 1..3) that fits every key by chance."""
    text = "VARCHAR(40)"
    db.run(f"""
CREATE TABLE customers (id INTEGER PRIMARY KEY, name {text} NOT NULL, level_no INTEGER);
CREATE TABLE category (id INTEGER PRIMARY KEY, parent_id INTEGER, label {text});
CREATE TABLE products (code {text} PRIMARY KEY, category_id INTEGER);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, note {text});
CREATE TABLE order_lines (order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, product_code {text},
                          PRIMARY KEY (order_id, line_no));
CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER, line_no INTEGER);
INSERT INTO customers VALUES {values([(i, f"c{i}", 1 + i % 3) for i in range(1, 151)])};
INSERT INTO category VALUES {values([(i, None if i <= 3 else 1 + i % 3, f"k{i}") for i in range(1, 41)])};
INSERT INTO products VALUES {values([(f"P{i:03d}", 1 + (i * 7) % 40) for i in range(1, 51)])};
INSERT INTO orders VALUES {values([(i, 1 + (i * 13) % 150 if i > 2 else 999, f"n{i}") for i in range(1, 401)])};
INSERT INTO order_lines VALUES {values([(1 + i // 3, i % 3, f"P{1 + i % 50:03d}") for i in range(0, 300)])};
INSERT INTO shipments VALUES {values([(i, 1 + (i * 3) % 100, (i * 3) % 3) for i in range(1, 121)])};
""")


def edges(found: refint.discover.Discovery) -> dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]:
    return {(f.table, f.columns): (f.referred_table, f.referred_columns) for f in found.findings}


def test_planted_keys(db: Any) -> None:
    shop(db)
    with refint.connect(db.url) as conn:
        found = conn.discover()
    got = edges(found)
    assert got[("orders", ("customer_id",))] == ("customers", ("id",))
    assert got[("category", ("parent_id",))] == ("category", ("id",))
    assert got[("products", ("category_id",))] == ("category", ("id",))
    assert got[("order_lines", ("product_code",))] == ("products", ("code",))
    assert got[("order_lines", ("order_id",))] == ("orders", ("id",))
    assert got[("shipments", ("order_id", "line_no"))] == ("order_lines", ("order_id", "line_no"))
    # the small domain fits every integer key, but nothing names a parent: not reported
    assert ("customers", ("level_no",)) not in got
    by = {(f.table, f.columns): f for f in found.findings}
    approx = by[("orders", ("customer_id",))]
    # the oracle: rows whose customer_id is not a customer
    orphans = db.query("SELECT count(*) FROM orders o WHERE o.customer_id IS NOT NULL AND NOT EXISTS "
                       "(SELECT 1 FROM customers c WHERE c.id = o.customer_id)")[0][0]
    assert approx.orphan_rows == orphans == 2
    assert [tuple(r) for r in approx.orphan_sample] == [(999,)]
    assert all(f.score >= 0.45 for f in found.findings)
    clean = by[("order_lines", ("product_code",))]
    assert clean.orphan_rows == 0 and clean.score >= 0.7


def test_hierarchies_and_prefixed_columns(db: Any) -> None:
    """A staff hierarchy (`reports_to`, with its root NULL and one orphan) beside a small-domain column of
    the same table (`shift_no` 1..3, which fits the staff ids too); tables whose columns all carry the
    table's prefix (`c_custkey`, `o_custkey`, as in TPC-H)."""
    db.run(f"""
CREATE TABLE staff (id INTEGER PRIMARY KEY, reports_to INTEGER, shift_no INTEGER);
CREATE TABLE nation (n_nationkey INTEGER PRIMARY KEY, n_name VARCHAR(25));
CREATE TABLE customer (c_custkey INTEGER PRIMARY KEY, c_name VARCHAR(25), c_nationkey INTEGER);
CREATE TABLE orders (o_orderkey INTEGER PRIMARY KEY, o_custkey INTEGER, o_priority INTEGER);
INSERT INTO staff VALUES {values([(i, None if i == 1 else (777 if i == 300 else 1 + (i - 2) // 3), 1 + i % 3)
                                  for i in range(1, 301)])};
INSERT INTO nation VALUES {values([(i, f"N{i}") for i in range(0, 25)])};
INSERT INTO customer VALUES {values([(i, f"C{i}", (i * 7) % 25) for i in range(1, 301)])};
INSERT INTO orders VALUES {values([(i * 4, 1 + (i * 11) % 300, 1 + i % 5) for i in range(1, 1001)])};
""")
    with refint.connect(db.url) as conn:
        found = conn.discover()
    got = edges(found)
    assert got[("staff", ("reports_to",))] == ("staff", ("id",))
    assert got[("customer", ("c_nationkey",))] == ("nation", ("n_nationkey",))
    assert got[("orders", ("o_custkey",))] == ("customer", ("c_custkey",))
    assert ("staff", ("shift_no",)) not in got and ("orders", ("o_priority",)) not in got
    boss = next(f for f in found.findings if f.columns == ("reports_to",))
    oracle = db.query("SELECT count(*) FROM staff s WHERE s.reports_to IS NOT NULL AND NOT EXISTS "
                      "(SELECT 1 FROM staff b WHERE b.id = s.reports_to)")[0][0]
    assert boss.orphan_rows == oracle == 1


def test_max_orphans_and_min_score(make_db: Any) -> None:
    db = make_db("sqlite")
    shop(db)
    with refint.connect(db.url) as conn:
        strict = edges(conn.discover(max_orphans=0.0))
        high = conn.discover(min_score=0.9)
    assert ("orders", ("customer_id",)) not in strict  # 1 of 151 distinct values is missing
    assert ("order_lines", ("order_id",)) in strict
    assert all(f.score >= 0.9 for f in high.findings)


def test_relations_go_to_check_unchanged(make_db: Any, tmp_path: Path) -> None:
    """The CLI's relations file, read by check, reports the same orphans discover counted."""
    db = make_db("postgresql")
    shop(db)
    out = subprocess.run(REFINT + ["discover", db.url, "--format", "relations"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    path = tmp_path / "rel.toml"
    path.write_text(out.stdout)
    with refint.connect(db.url) as conn:
        found = conn.discover()
        report = conn.check(relations=load_relations_file(path), kinds=["foreign_key"])
        via_python = conn.check(relations=found.to_relations(), kinds=["foreign_key"])
    counted = {(v.table, v.columns): v.count for v in report.violations}
    assert counted == {(f.table, f.columns): f.orphan_rows for f in found.findings if f.orphan_rows}
    assert counted == {(v.table, v.columns): v.count for v in via_python.violations}
    checked = subprocess.run(REFINT + ["check", db.url, "--relations", str(path), "--format", "json"],
                             capture_output=True, text=True)
    assert checked.returncode == 1
    assert [v["count"] for v in json.loads(checked.stdout)["violations"]] == [2]
    # subset reads the same file: the seed orders bring their customers along
    target = tmp_path / "part.db"
    sub = subprocess.run(REFINT + ["subset", db.url, "--relations", str(path), "--where", "orders: id BETWEEN 10 AND 12",
                                   "--children", "none", "--to", str(target)], capture_output=True, text=True)
    assert sub.returncode == 0, sub.stderr
    import sqlite3

    with sqlite3.connect(target) as part:
        got = {r[0] for r in part.execute("SELECT id FROM customers")}
    assert got == {r[0] for r in db.query("SELECT customer_id FROM orders WHERE id BETWEEN 10 AND 12")}


def test_cli_formats_and_bad_input(make_db: Any) -> None:
    db = make_db("sqlite")
    shop(db)
    js = subprocess.run(REFINT + ["discover", str(db.path), "--format", "json"], capture_output=True, text=True)
    assert js.returncode == 0
    data = json.loads(js.stdout)
    assert {f["table"] for f in data["findings"]} >= {"orders", "shipments"}
    sql = subprocess.run(REFINT + ["discover", str(db.path), "--format", "sql"], capture_output=True, text=True)
    assert sql.returncode == 0 and "-- refint add-fk" in sql.stdout
    bad = subprocess.run(REFINT + ["discover", str(db.path), "--table", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("refint: error:") and len(bad.stderr.strip().splitlines()) == 1


def test_sql_format_declares_the_keys(make_db: Any) -> None:
    """On PostgreSQL the printed statements run and declare exactly the keys found (NOT VALID, then
    VALIDATE fails on the approximate one's orphans: the statements are the recipe, not a repair)."""
    db = make_db("postgresql")
    shop(db)
    sql = subprocess.run(REFINT + ["discover", db.url, "--format", "sql", "--max-orphans", "0"],
                         capture_output=True, text=True)
    assert sql.returncode == 0, sql.stderr
    db.run(sql.stdout)
    with refint.connect(db.url) as conn:
        declared = {(t.name, fk.columns) for t, fk in conn.inspect().foreign_keys}
    assert ("shipments", ("order_id", "line_no")) in declared and ("orders", ("customer_id",)) not in declared


def test_declared_keys_reported_not_rediscovered(make_db: Any) -> None:
    db = make_db("sqlite")
    db.run("""
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
INSERT INTO customers VALUES (1), (2);
INSERT INTO orders VALUES (1, 1), (2, 2);
""")
    with refint.connect(db.url) as conn:
        found = conn.discover()
    assert not found.findings
    assert [(f.table, f.columns, f.status) for f in found.declared] == [("orders", ("customer_id",), "declared")]


def test_no_primary_key_found_in_data(make_db: Any) -> None:
    db = make_db("duckdb")
    db.run("""
CREATE TABLE artist (artist_id INTEGER, name VARCHAR);
CREATE TABLE album (album_id INTEGER, artist_id INTEGER, title VARCHAR);
INSERT INTO artist SELECT i, 'a' || i FROM range(1, 41) t(i);
INSERT INTO album SELECT i, 1 + i % 40, 't' || i FROM range(1, 201) t(i);
""")
    with refint.connect(db.url) as conn:
        found = conn.discover()
    assert {(k.table, k.columns) for k in found.key_candidates} == {("artist", ("artist_id",)),
                                                                    ("album", ("album_id",))}
    assert edges(found) == {("album", ("artist_id",)): ("artist", ("artist_id",))}


def test_score_rejects_beyond_max_orphans() -> None:
    from refint.discover.evidence import Inclusion
    from refint.discover.scoring import score

    inc = Inclusion(distinct=100, rows=300, orphan_distinct=2, orphan_rows=3)
    assert score(1.0, inc, 120, "int", True, 0.01).rejected
    kept = score(1.0, inc, 120, "int", True, 0.05)
    assert not kept.rejected and kept.inclusion == 0.98
    # three small integers prove little; three hundred prove much
    few = score(0.0, Inclusion(3, 50, 0, 0), 10, "int", True, 0.01)
    many = score(0.0, Inclusion(300, 900, 0, 0), 300, "int", True, 0.01)
    assert few.score < 0.45 <= many.score


def test_folder_of_csv_files(tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    folder.mkdir()
    (folder / "customers.csv").write_text("id,name\n" + "".join(f"{i},c{i}\n" for i in range(1, 41)))
    (folder / "orders.csv").write_text("order_no,customer_id\n" + "".join(f"{i},{1 + i % 40}\n" for i in range(1, 121)))
    out = subprocess.run(REFINT + ["discover", str(folder), "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(f["table"], f["columns"], f["referred_table"], f["referred_columns"]) for f in data["findings"]] == [
        ("orders", ["customer_id"], "customers", ["id"])]
    assert {k["table"]: k["columns"] for k in data["primary_key_candidates"]} == {
        "customers": ["id"], "orders": ["order_no"]}


def test_timeout_is_one_line(make_db: Any) -> None:
    db = make_db("postgresql")
    db.run("CREATE TABLE big AS SELECT g AS id, g % 1000 AS other_id FROM generate_series(1, 300000) g")
    out = subprocess.run(REFINT + ["discover", db.url, "--timeout", "0.001"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("refint: error:") and len(out.stderr.strip().splitlines()) == 1


def test_name_rules() -> None:
    """The name evidence on hand-made tables (no engine): each rule, and the pairs it must refuse."""
    from refint.discover.candidates import name_evidence, polymorphic
    from refint.model import Column, PrimaryKey, Table

    def t(name: str, *cols: str, pk: str = "id") -> Table:
        return Table(None, name, tuple(Column(c, "integer") for c in (pk, *cols)), PrimaryKey(None, (pk,)))

    users, orders = t("users"), t("orders", "customer_id", "created_by", "author_id", "record_id")
    customers, sites = t("customers"), t("dcim_site", pk="id")
    device = t("dcim_device", "site_id", "group_id")
    sitegroup = t("dcim_sitegroup")

    def ev(child: Table, col: str, parent: Table) -> float:
        return name_evidence(child, col, parent, parent.primary_key.columns[0]).score  # type: ignore[union-attr]

    assert ev(orders, "customer_id", customers) == 0.95
    assert ev(orders, "customer_id", users) < ev(orders, "customer_id", customers)
    assert ev(device, "site_id", sites) == 0.95         # the shared prefix dcim_ set aside
    assert ev(device, "group_id", sites) == 0.0
    assert ev(t("dcim_site", "group_id"), "group_id", sitegroup) == 0.9  # the site's own kind of group
    assert ev(orders, "created_by", users) == 0.7 and ev(orders, "author_id", users) == 0.7
    assert ev(orders, "author_id", customers) == 0.0
    staff = t("employee", "manager_id", "reports_to", "replaced_by", "shift_no")
    for col in ("manager_id", "reports_to", "replaced_by"):
        assert ev(staff, col, staff) == 0.8, col
    assert ev(staff, "shift_no", staff) == 0.0 and ev(staff, "manager_id", customers) == 0.0
    nation, region = t("nation", "n_name", "n_regionkey", pk="n_nationkey"), t("region", "r_name", pk="r_regionkey")
    assert ev(nation, "n_regionkey", region) == 1.0    # the tables' column prefixes set aside
    assert ev(nation, "n_regionkey", t("customer", "c_name", pk="c_custkey")) == 0.0
    mixed = t("mixed", "o_regionkey", pk="id")          # not every column carries o_: nothing set aside
    assert ev(mixed, "o_regionkey", region) < 1.0 == ev(t("orders", "o_regionkey", pk="o_orderkey"), "o_regionkey", region)
    rails = Table(None, "attachments", (Column("record_id", "integer"), Column("record_type", "varchar(40)")))
    assert polymorphic(rails, "record_id") and not polymorphic(orders, "customer_id")


def test_profile_trusts_only_uniqueness_the_engine_keeps(make_db: Any, tmp_path: Path) -> None:
    """A primary key the engine enforces has as many distinct values as rows; one a relations file declares
    over a folder of files does not, and its distinct count is counted (oracle: Python over the rows)."""
    from refint.discover.evidence import profile

    db = make_db("postgresql")
    db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, other INTEGER);\n"
           "INSERT INTO t SELECT g, g % 7 FROM generate_series(1, 500) g;")
    with refint.connect(db.url) as conn, conn.engine.read_only():
        stats = profile(conn.engine, conn.inspect().table("t")).columns
    assert (stats["id"].distinct, stats["other"].distinct) == (500, 7)
    folder = tmp_path / "lake"
    folder.mkdir()
    ids = [1 + i % 40 for i in range(100)]  # 40 distinct ids over 100 rows: the declared key does not hold
    (folder / "customers.csv").write_text("id,name\n" + "".join(f"{i},n{n}\n" for n, i in enumerate(ids)))
    rel = tmp_path / "rel.toml"
    rel.write_text('[tables.customers]\nprimary_key = ["id"]\n')
    from dataclasses import replace

    from refint.model import PrimaryKey

    with refint.connect(folder, relations=load_relations_file(rel)) as conn, conn.engine.read_only():
        # the key as a relations file puts it into the model (check's path): not kept by the engine
        table = replace(conn.inspect().table("customers"), primary_key=PrimaryKey(None, ("id",)))
        stats = profile(conn.engine, table).columns
    assert stats["id"].distinct == len(set(ids)) == 40
