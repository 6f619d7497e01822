"""``refint subset`` on public sample databases: one Sakila customer (SQLite, PostgreSQL, MariaDB sources), a
Pagila store, a NetBox site with its deferrable cycles. ``check`` on every target finds nothing, and the
rows the seed directly touches are the ones the engine itself counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import refint
from tests.corpus import load


def _subset(db: Any, to: str, **options: Any) -> Any:
    with refint.connect(db.url, readonly=True) as src:
        return src.subset(to, **options)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_one_sakila_customer_with_rentals_and_payments(make_db: Any, corpus: Path, tmp_path: Path,
                                                        engine: str) -> None:
    db = make_db(engine)
    load("sakila", db, root=corpus)
    result = _subset(db, str(tmp_path / "one.db"), where=["customer: customer_id = 7"])
    assert result.check is not None and result.check.ok, result.check.to_dict()
    rows = {t.name: t.rows for t in result.tables}
    (rentals,) = db.query("SELECT count(*) FROM rental WHERE customer_id = 7")[0]
    (payments,) = db.query("SELECT count(*) FROM payment WHERE customer_id = 7")[0]
    assert rows["customer"] >= 1 and rows["rental"] >= rentals > 0
    assert rows["payment"] >= payments > 0
    # parents pulled in, but never other customers' rentals through a shared film
    assert rows["rental"] < db.query("SELECT count(*) FROM rental")[0][0] / 10


def test_one_pagila_store(make_db: Any, corpus: Path, tmp_path: Path) -> None:
    db = make_db("postgresql")
    load("pagila", db, root=corpus)
    result = _subset(db, str(tmp_path / "store.db"), where=["store: store_id = 1"], children="none")
    assert result.check is not None and result.check.ok, result.check.to_dict()
    rows = {t.name: t.rows for t in result.tables}
    assert rows["store"] >= 1 and rows["staff"] >= 1 and rows["address"] >= 1


def test_one_netbox_site_with_its_cycles(make_db: Any, corpus: Path, tmp_path: Path) -> None:
    db = make_db("postgresql")
    load("netbox", db, root=corpus)
    (site,) = db.query("SELECT min(id) FROM dcim_site")[0]
    target = make_db("postgresql")
    result = _subset(db, target.url, where=[f"dcim_site: id = {site}"], depth=1)
    assert result.check is not None and result.check.ok, result.check.to_dict()
    rows = {t.name: t.rows for t in result.tables}
    assert rows["dcim_site"] >= 1
    (devices,) = db.query(f"SELECT count(*) FROM dcim_device WHERE site_id = {site}")[0]
    assert rows["dcim_device"] >= devices
