"""Folders of Parquet/CSV/JSON files as a database: ``refint check data/ --relations relations.toml``.

Each table is one file or one glob, read by an in-memory DuckDB through a view, so ``check`` runs the
same set-based SQL on files as on tables and nothing is copied. Discovery: ``name.parquet``,
``name.csv`` (also ``.csv.gz``, ``.tsv``), ``name.json`` (JSON lines; also ``.jsonl``, ``.ndjson``) at
the top of the folder, and a sub-folder ``name/`` holding such files, are table ``name``; a relations
file's ``[tables.NAME] file = "..."`` adds or overrides one. ``--engine spark`` reads the same layout
with a Spark session instead (``refint.engines.spark.open_folder``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from refint.errors import BadInput, InvalidTarget
from refint.model import Column, Schema, Table

if TYPE_CHECKING:
    from refint.relations import Relations
    from refint.target import Opened

#: the file names that make a table, longest first
SUFFIXES = (".csv.gz", ".tsv.gz", ".parquet", ".ndjson", ".jsonl", ".parq", ".json", ".csv", ".tsv")


def _reader(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".parquet") or lower.endswith(".parq"):
        return "read_parquet"
    if lower.endswith((".csv", ".tsv", ".csv.gz", ".tsv.gz", ".txt")):
        return "read_csv_auto"
    if lower.endswith((".json", ".jsonl", ".ndjson")):
        return "read_json_auto"
    raise BadInput(f"cannot tell the format of {path} (expected .parquet, .csv, .tsv or .json)")



def folder_tables(folder: str | Path, relations: Relations | None) -> dict[str, str]:
    """The table files of ``folder`` (``discover``), plus those a relations file names; an error if none."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidTarget(f"no such folder: {folder}")
    tables = discover(root)
    if relations is not None:
        tables.update(relations.files)
    if not tables:
        raise InvalidTarget(f"{folder} holds no .parquet, .csv or .json files")
    return tables

def discover(folder: Path) -> dict[str, str]:
    """Table name -> file or glob, from the folder's layout."""
    found: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file():
            name = entry.name
            for suffix in SUFFIXES:
                if name.lower().endswith(suffix):
                    found[name[: -len(suffix)]] = str(entry)
                    break
        elif entry.is_dir() and not entry.name.startswith("."):
            for pattern in ("*.parquet", "*.csv", "*.json", "*.jsonl"):
                if any(entry.glob(pattern)):
                    found[entry.name] = str(entry / pattern)
                    break
    return found


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_folder(target: Any) -> bool:
    """Whether a target (a path or a URL string, a connection, a session) is a folder of files."""
    import os

    return isinstance(target, (str, os.PathLike)) and "://" not in str(target) and os.path.isdir(target)


#: what a refusal on a folder of files read by DuckDB calls it
FOLDER_WHERE = "a folder of files"
#: what a folder of files read by DuckDB does not do: its keys live in a relations file, not in the files
FOLDER_REFUSED = {
    **dict.fromkeys(("add-fk", "drop-fk", "validate"), "files declare no keys (declare them in a relations file and "
                                                       "run refint check FOLDER --relations FILE)"),
    "index-fks": "files have no indexes",
    "drop-table": "refint does not delete files",
}


def open_folder(folder: str | Path, relations: Relations | None = None) -> tuple[Opened, Schema]:
    """An in-memory DuckDB with one view per table file, and the schema the files' columns make."""
    import duckdb  # type: ignore[import-untyped,unused-ignore]

    from refint.direct import wrap_duckdb
    from refint.target import Opened

    tables = folder_tables(folder, relations)
    con: Any = duckdb.connect(":memory:")
    model = []
    try:
        for name, pattern in sorted(tables.items()):
            con.execute(f"CREATE VIEW {quote(name)} AS SELECT * FROM {_reader(pattern)}({_literal(pattern)})")
            described = con.execute(f"DESCRIBE {quote(name)}").fetchall()
            columns = tuple(Column(str(r[0]), str(r[1]).upper(), True, None) for r in described)
            model.append(Table(None, name, columns, kind="file"))
    except duckdb.Error as exc:
        con.close()
        raise InvalidTarget(f"cannot read {folder}: {str(exc).splitlines()[0]}") from None
    # the read-only verbs run on the driver itself: no SQLAlchemy to import (refint.direct)
    return Opened(wrap_duckdb(con), None, True, str(Path(folder))), Schema("duckdb", tuple(model))
