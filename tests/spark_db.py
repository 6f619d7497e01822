"""The engine-neutral tests' databases on Spark: the same tables, built by the same SQL, for Spark to read.

A Spark TestDB (tests/conftest.py) keeps its tables in a DuckDB file, its staging copy, where the test's
own SQL runs unchanged (Spark has no INSERT into files, and no keys to declare). After each script every
table is written by DuckDB to ``<table>.parquet`` in a new folder (``spark-files``: that folder is the
target) and, for ``spark-catalog``, saved from those files as a managed table of a database of the
session's catalog (the target is the session with ``schemas=[that database]``). Both Spark forms thus
read the rows the other engines get, and the DuckDB engine can read the very same files (``duckdb_twin``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import TestDB


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _bq(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def new_spark_db(engine: str, name: str, tmp_path: Path, spark: Any) -> TestDB:
    import duckdb

    staging = tmp_path / f"{name}.duckdb"
    duckdb.connect(str(staging)).close()
    root = tmp_path / name
    root.mkdir()
    db = TestDB(engine, f"{engine}:{name}", name, None, folder=root / "v0", spark=spark, staging_path=staging)
    db.folder.mkdir()  # type: ignore[union-attr]
    if engine == "spark-catalog":
        spark.session.sql(f"CREATE DATABASE {_bq(name)}")
    return db


def tables(db: TestDB) -> list[str]:
    """The staging copy's tables."""
    rows = db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                    "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [str(r[0]) for r in rows]


def publish(db: TestDB) -> None:
    """Write the staging copy's tables where Spark reads them: Parquet files in a new folder (a file
    rewritten in place could be served from Spark's file-status cache), and the catalog's database."""
    import duckdb

    assert db.folder is not None and db.staging_path is not None
    version = int(db.folder.name[1:]) + 1
    db.folder = db.folder.parent / f"v{version}"
    db.folder.mkdir()
    names = tables(db)
    con = duckdb.connect(str(db.staging_path))
    try:
        for name in names:
            con.execute(f"COPY {_quote(name)} TO {_literal(str(db.folder / (name + '.parquet')))} (FORMAT PARQUET)")
    finally:
        con.close()
    if db.engine == "spark-catalog":
        session = db.spark.session
        session.sql(f"DROP DATABASE IF EXISTS {_bq(db.name)} CASCADE")
        session.sql(f"CREATE DATABASE {_bq(db.name)}")
        for name in names:
            session.read.parquet(str(db.folder / (name + ".parquet"))).write.saveAsTable(
                f"{_bq(db.name)}.{_bq(name)}")


def reset(db: TestDB) -> None:
    """An empty database again (the property tests load one schema after another)."""
    assert db.staging_path is not None
    db.close_all()
    db.staging_path.unlink()
    db.run("SELECT 1")  # a new, empty staging file, published: no files, an empty catalog database


def duckdb_twin(db: TestDB, **kwargs: Any) -> Any:
    """The DuckDB engine on the same Parquet files Spark reads (``refint.connect(folder)``)."""
    import refint

    return refint.connect(db.folder, **kwargs)


def as_files(report: dict[str, Any]) -> dict[str, Any]:
    """A check report's JSON with the catalog's database taken out of it (the files have no schema)."""
    for v in report["violations"]:
        v["schema"] = None
        if "referred_schema" in v:
            v["referred_schema"] = None
    return report
