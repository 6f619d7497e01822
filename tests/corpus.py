"""Loaders for the public sample databases in ``../shared/corpus`` (see its README), and what they contain.

Each ``load_*`` function fills a fresh test database (a ``TestDB`` from the ``make_db`` fixture) the way
the corpus README loads it: with the real command-line clients (``sqlite3``, ``psql``, ``mariadb``), files
fed on stdin, under a bounded timeout. Upstream lines that drop, create or ``USE`` a database with a fixed
name are stripped here in Python, and :func:`_guard` refuses any script that still names another
database, so a load never touches a database the test did not create. Corpus files are only read, never
copied into the repository; ready SQLite files are copied over the test's own (tmp) file.

Every loader returns a :class:`LoadReport` (time taken, and the error lines the client printed), so a test
can check that a load went exactly as the README says, e.g. Pagila's 3 harmless errors on PostgreSQL 15.

``EXPECTED`` holds, per (database, engine), the table and FK counts the README gives, plus the row count
and the FK features it names (composite keys, self-references, NOT VALID, ...). Counts are what refint
reports: tables are ordinary, partitioned, partition and inheritance-child tables (no views); an FK
declared on a partitioned table counts once, not once per copy PostgreSQL clones onto its partitions.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(os.environ.get("REFINT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

#: seconds one client run may take before it is killed (the slowest load, NetBox, takes 3-7 s here)
TIMEOUT = float(os.environ.get("REFINT_CORPUS_TIMEOUT", "300"))


class CorpusUnavailable(Exception):
    """A corpus file, client program or server extension this load needs is missing (tests skip)."""


class LoadFailed(Exception):
    """The client failed in a way the README does not describe (connection refused, killed, ...)."""


@dataclass
class LoadReport:
    database: str
    engine: str
    seconds: float = 0.0
    #: one line per error the client reported (psql ``ERROR:``, ``ERROR 1146 ...``, sqlite ``Parse error``)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Expected:
    """What the README says one loaded database holds, as refint counts it."""

    tables: int
    foreign_keys: int
    #: rows in all tables together (None: the README gives no number, e.g. schema-only items)
    rows: int | None = None
    #: error lines the client prints while loading, per the README (each one explained there)
    load_errors: int = 0
    #: FK features the README names, counted by :func:`fk_features`
    features: dict[str, int] = field(default_factory=dict)
    note: str = ""


# ---------------------------------------------------------------------------------------------------------
# running the clients
# ---------------------------------------------------------------------------------------------------------

_PG_OTHER_DB = re.compile(r"^\s*(\\c(onnect)?\b|(CREATE|DROP|ALTER)\s+DATABASE\b)", re.I | re.M)
_MY_OTHER_DB = re.compile(r"^\s*((CREATE|DROP|ALTER)\s+(DATABASE|SCHEMA)\b|USE\s|\\u\b|connect\b)", re.I | re.M)


def _guard(script: str, engine: str, what: str) -> None:
    """Refuse a script that would still create, drop, alter or switch to a database by name."""
    pattern = _PG_OTHER_DB if engine == "postgresql" else _MY_OTHER_DB
    hit = pattern.search(script)
    if hit:
        line = script[hit.start():script.find("\n", hit.start())].strip()
        raise LoadFailed(f"{what} still names a database after stripping: {line!r}")


def _read(path: Path) -> str:
    """A corpus file exactly as it is: ``newline=""`` keeps CRLF (Northwind's SQLite script and Sakila's
    MySQL data use it, also inside string literals), as ``client < file`` would see it."""
    if not path.is_file():
        raise CorpusUnavailable(f"corpus file {path} is missing")
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _lines(text: str) -> list[str]:
    """Lines ending in LF only, as sed and tail see them (``str.splitlines`` also splits on FF, VT, ...)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CorpusUnavailable(f"the {name!r} command-line client is not installed")
    return found


def _run(cmd: list[str], script: str, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a client with ``script`` on stdin; stdout (query results) is discarded, stderr kept."""
    full_env = {k: v for k, v in os.environ.items() if k != "PGOPTIONS"}
    full_env.update(env or {})
    try:
        return subprocess.run(cmd, input=script, text=True, encoding="utf-8", errors="replace",
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full_env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise LoadFailed(f"{cmd[0]} did not finish within {exc.timeout} s") from None


def psql(db: Any, script: str, *, search_path: str | None = None, what: str = "script") -> list[str]:
    """Feed ``script`` to ``psql`` on stdin, as the README does (errors do not stop the load).

    Returns the ``ERROR:`` lines psql printed. ``-X`` keeps the user's ``~/.psqlrc`` out of the load.
    """
    _guard(script, "postgresql", what)
    cmd = [_tool("psql"), "-X", "-h", "127.0.0.1", "-U", "postgres", "-d", db.name, "-v", "ON_ERROR_STOP=0",
           "-q"]
    env = {"PGCONNECT_TIMEOUT": "10"}
    if search_path:
        env["PGOPTIONS"] = f"-c search_path={search_path}"
    proc = _run(cmd, script, env=env)
    errors = [ln for ln in proc.stderr.splitlines() if re.search(r"\b(ERROR|FATAL|PANIC):", ln)]
    # 0: done (errors or not); 3: the script set ON_ERROR_STOP itself, hit an error and stopped there
    if proc.returncode not in (0, 3) or (proc.returncode == 3 and not errors):
        raise LoadFailed(f"psql exited with {proc.returncode} loading {what}: {proc.stderr.strip()[-2000:]}")
    if proc.returncode == 3:
        errors.append(f"psql stopped {what} at its first error (the script sets ON_ERROR_STOP)")
    return errors


def mariadb(db: Any, script: str, *, what: str = "script") -> list[str]:
    """Feed ``script`` to the ``mariadb`` client on stdin.

    ``--force`` lets the load go on past an error, as the README's counts assume (Sakila's ``actor_info``
    view fails in a database not named ``sakila``, and the views and triggers after it still load).
    """
    _guard(script, "mariadb", what)
    client = shutil.which("mariadb") or _tool("mysql")
    cmd = [client, "-h", "127.0.0.1", "-u", "root", "--force", "--connect-timeout=10",
           "--default-character-set=utf8mb4", db.name]
    proc = _run(cmd, script)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR")]
    if proc.returncode != 0 and not errors:
        raise LoadFailed(f"{client} exited with {proc.returncode} loading {what}: {proc.stderr.strip()[-2000:]}")
    return errors


def sqlite3(db: Any, script: str, *, what: str = "script") -> list[str]:
    """Feed ``script`` to the ``sqlite3`` shell on ``db.path``; its SELECT output is discarded.

    ``PRAGMA synchronous=OFF`` first: the scripts commit every INSERT on its own, and without it each
    commit waits for the disk (Northwind: 4-13 s instead of 0.4 s). It lasts for this session only and
    changes nothing in the file (same ``.dump``).
    """
    assert db.path is not None
    proc = _run([_tool("sqlite3"), str(db.path)], "PRAGMA synchronous=OFF;\n" + script)
    errors = [ln for ln in proc.stderr.splitlines() if re.match(r"(Parse error|Runtime error|Error)\b", ln)]
    if proc.returncode != 0 and not errors:
        raise LoadFailed(f"sqlite3 exited with {proc.returncode} loading {what}: {proc.stderr.strip()[-2000:]}")
    return errors


def copy_sqlite(db: Any, source: Path) -> None:
    """Put a ready SQLite file in place of the test's empty one (the corpus copy stays untouched)."""
    assert db.path is not None
    if not source.is_file():
        raise CorpusUnavailable(f"corpus file {source} is missing")
    shutil.copyfile(source, db.path)
    for suffix in ("-journal", "-wal", "-shm"):
        Path(f"{db.path}{suffix}").unlink(missing_ok=True)


def _strip_lines(text: str, pattern: str) -> str:
    """Drop every line matching ``pattern`` (the README's ``sed '/pattern/d'``)."""
    rx = re.compile(pattern)
    return "".join(ln for ln in _lines(text) if not rx.search(ln))


def _skip_lines(text: str, n: int) -> str:
    """The README's ``tail -n +N+1``: drop the first ``n`` lines."""
    return "".join(_lines(text)[n:])


def _join(parts: Iterable[str]) -> str:
    """Several files in one client session (like ``psql -f a -f b``); never glue two lines together."""
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _unsupported(database: str, engine: str) -> CorpusUnavailable:
    return CorpusUnavailable(f"the corpus has no {engine} variant of {database}")


def _timed(database: str, db: Any, body: Callable[[], list[str]]) -> LoadReport:
    start = time.monotonic()
    errors = body()
    return LoadReport(database, db.engine, round(time.monotonic() - start, 2), errors)


# ---------------------------------------------------------------------------------------------------------
# the loaders
# ---------------------------------------------------------------------------------------------------------

def load_chinook(db: Any, *, root: Path = CORPUS, source: str = "sql") -> LoadReport:
    """Chinook on sqlite (``source="sql"``: run Chinook_Sqlite.sql; ``"sqlite"``: copy the built file),
    postgresql and mariadb (both skip upstream lines 1-28: DROP/CREATE DATABASE and ``\\c``/``USE``)."""
    base = root / "chinook"

    def body() -> list[str]:
        if db.engine == "sqlite":
            if source == "sqlite":
                copy_sqlite(db, base / "sqlite" / "Chinook_Sqlite.sqlite")
                return []
            return sqlite3(db, _read(base / "sqlite" / "Chinook_Sqlite.sql"), what="Chinook_Sqlite.sql")
        if db.engine == "postgresql":
            return psql(db, _skip_lines(_read(base / "postgresql" / "Chinook_PostgreSql.sql"), 28),
                        what="Chinook_PostgreSql.sql")
        if db.engine == "mariadb":
            return mariadb(db, _skip_lines(_read(base / "mysql" / "Chinook_MySql.sql"), 28), what="Chinook_MySql.sql")
        raise _unsupported("chinook", db.engine)

    return _timed("chinook", db, body)


def load_northwind(db: Any, *, root: Path = CORPUS) -> LoadReport:
    """Northwind: sqlite (jpwhite3's create.sql, built at ``db.path``) or postgresql (pthom's dump)."""
    base = root / "northwind"

    def body() -> list[str]:
        if db.engine == "sqlite":
            return sqlite3(db, _read(base / "sqlite" / "create.sql"), what="create.sql")
        if db.engine == "postgresql":
            return psql(db, _read(base / "postgresql" / "northwind.sql"), what="northwind.sql")
        raise _unsupported("northwind", db.engine)

    return _timed("northwind", db, body)


def load_sakila(db: Any, *, root: Path = CORPUS, source: str = "db") -> LoadReport:
    """Sakila on sqlite (``source="db"``: copy siara-cc's sakila.db; ``"jooq"``: jOOQ's schema, no rows),
    postgresql (jOOQ schema + COPY data, one session) and mariadb (Maxia's files, with the README's
    ``DROP SCHEMA``/``CREATE SCHEMA``/``USE sakila`` lines stripped)."""
    base = root / "sakila"

    def body() -> list[str]:
        if db.engine == "sqlite":
            if source == "db":
                copy_sqlite(db, base / "sqlite" / "sakila.db")
                return []
            return sqlite3(db, _read(base / "sqlite" / "jooq-sqlite-sakila-schema.sql"),
                           what="jooq-sqlite-sakila-schema.sql")
        if db.engine == "postgresql":
            pg = base / "postgresql"
            return psql(db, _join([_read(pg / "postgres-sakila-schema.sql"),
                                   _read(pg / "postgres-sakila-insert-data-using-copy.sql")]), what="sakila")
        if db.engine == "mariadb":
            strip = r"^(DROP SCHEMA IF EXISTS sakila|CREATE SCHEMA sakila|USE sakila);"
            errors = []
            for name in ("sakila-mv-schema.sql", "sakila-mv-data.sql"):
                errors += mariadb(db, _strip_lines(_read(base / "mysql" / name), strip), what=name)
            return errors
        raise _unsupported("sakila", db.engine)

    return _timed("sakila", db, body)


def load_pagila(db: Any, *, root: Path = CORPUS) -> LoadReport:
    """Pagila 17.a (xzilla) on postgresql: schema + data in one session (3 PG-17-only errors on PG 15)."""
    base = root / "pagila" / "postgresql"

    def body() -> list[str]:
        if db.engine != "postgresql":
            raise _unsupported("pagila", db.engine)
        return psql(db, _join([_read(base / "pagila-schema.sql"), _read(base / "pagila-data.sql")]), what="pagila")

    return _timed("pagila", db, body)


def load_employees(db: Any, *, root: Path = CORPUS, with_orphans: bool = False) -> LoadReport:
    """The employees subset on mariadb: schema, departments, the four subset dumps.

    ``with_orphans=True`` also loads ``load_dept_manager.dump`` with ``SET FOREIGN_KEY_CHECKS=0`` in the
    same session: its 24 managers are not in the subset, so they become 24 orphan rows of
    ``dept_manager_ibfk_1`` (emp_no -> employees).
    """
    base = root / "employees" / "mysql"

    def body() -> list[str]:
        if db.engine != "mariadb":
            raise _unsupported("employees", db.engine)
        errors = mariadb(db, _read(base / "employees-schema.sql"), what="employees-schema.sql")
        subset = base / "subset-10001-11000"
        files = [base / "load_departments.dump"] + [
            subset / f"load_{name}.dump" for name in ("employees", "dept_emp", "titles", "salaries")]
        for path in files:
            errors += mariadb(db, _read(path), what=path.name)
        if with_orphans:
            errors += mariadb(db, "SET FOREIGN_KEY_CHECKS=0;\n" + _read(base / "load_dept_manager.dump"),
                              what="load_dept_manager.dump")
        return errors

    return _timed("employees", db, body)


def load_tpch(db: Any, *, root: Path = CORPUS) -> LoadReport:
    """TPC-H DDL (tvondra/pg_tpch) on postgresql: tables, primary keys, then the FKs by ALTER TABLE."""
    base = root / "tpch" / "postgresql"

    def body() -> list[str]:
        if db.engine != "postgresql":
            raise _unsupported("tpch", db.engine)
        return psql(db, _join(_read(base / f) for f in ("tpch-create.sql", "tpch-pkeys.sql", "tpch-alter.sql")),
                    what="tpch")

    return _timed("tpch", db, body)


def pg_extension_available(db: Any, name: str) -> bool:
    return bool(db.query(f"SELECT 1 FROM pg_available_extensions WHERE name = '{name}'"))


def load_musicbrainz(db: Any, *, root: Path = CORPUS, indexes: bool = False) -> LoadReport:
    """MusicBrainz's core ``musicbrainz`` schema (no data) on postgresql.

    Needs the ``cube`` extension. The files run with ``search_path=musicbrainz,public`` in upstream order;
    ``indexes=True`` adds CreateIndexes.sql without its ``ON_ERROR_STOP``/``BEGIN``/``COMMIT`` lines, so the
    9 indexes that need MusicBrainz functions (not in the corpus) fail alone and the other 530 load.
    """
    base = root / "musicbrainz" / "postgresql"

    def body() -> list[str]:
        if db.engine != "postgresql":
            raise _unsupported("musicbrainz", db.engine)
        if not pg_extension_available(db, "cube"):
            raise CorpusUnavailable("MusicBrainz needs the PostgreSQL 'cube' extension, which is not available")
        errors = psql(db, "CREATE SCHEMA musicbrainz; CREATE EXTENSION cube WITH SCHEMA public;\n",
                      what="musicbrainz setup")
        # one psql session per file, as ``psql -f`` per file: the files set ON_ERROR_STOP themselves, and
        # in a shared session that setting would stop the filtered CreateIndexes.sql at its first failure
        files = ["CreateCollations.sql", "CreateTypes.sql", "CreateTables.sql", "CreatePrimaryKeys.sql"]
        files += ["CreateIndexes.sql"] if indexes else []
        files += ["CreateFKConstraints.sql"]
        for name in files:
            text = _read(base / name)
            if name == "CreateIndexes.sql":
                text = _strip_lines(text, r"ON_ERROR_STOP|^BEGIN;|^COMMIT;")
            errors += psql(db, text, search_path="musicbrainz,public", what=name)
        return errors

    return _timed("musicbrainz", db, body)


def load_openstreetmap(db: Any, *, root: Path = CORPUS) -> LoadReport:
    """The openstreetmap-website ``structure.sql`` on postgresql. Without PostGIS, ``moderation_zones``
    (a geometry column), its indexes and its 2 FKs fail: 10 errors, 56/57 tables, 69/71 FKs."""

    def body() -> list[str]:
        if db.engine != "postgresql":
            raise _unsupported("openstreetmap", db.engine)
        return psql(db, _read(root / "openstreetmap" / "postgresql" / "structure.sql"), what="structure.sql")

    return _timed("openstreetmap", db, body)


def load_netbox(db: Any, *, root: Path = CORPUS) -> LoadReport:
    """The NetBox 4.2 demo dump on postgresql, without its ``ALTER ... OWNER TO netbox;`` lines."""

    def body() -> list[str]:
        if db.engine != "postgresql":
            raise _unsupported("netbox", db.engine)
        text = _strip_lines(_read(root / "netbox" / "postgresql" / "netbox-demo-v4.2.sql"), r" OWNER TO netbox;$")
        return psql(db, text, what="netbox-demo-v4.2.sql")

    return _timed("netbox", db, body)


LOADERS: dict[str, Callable[..., LoadReport]] = {
    "chinook": load_chinook,
    "northwind": load_northwind,
    "sakila": load_sakila,
    "pagila": load_pagila,
    "employees": load_employees,
    "tpch": load_tpch,
    "musicbrainz": load_musicbrainz,
    "openstreetmap": load_openstreetmap,
    "netbox": load_netbox,
}


def load(database: str, db: Any, *, root: Path = CORPUS, **options: Any) -> LoadReport:
    """``load("sakila", db)``: the loader for ``database`` (see ``LOADERS``) on ``db``'s engine."""
    return LOADERS[database](db, root=root, **options)


# ---------------------------------------------------------------------------------------------------------
# what the README says each one holds
# ---------------------------------------------------------------------------------------------------------

#: (database, engine, variant) -> expectations. ``variant`` names loader options (see ``VARIANTS``).
EXPECTED: dict[tuple[str, str, str], Expected] = {
    ("chinook", "sqlite", ""): Expected(
        11, 11, rows=15_607, features={"self_references": 1, "on_delete:NO ACTION": 11, "on_update:NO ACTION": 11}),
    ("chinook", "sqlite", "prebuilt"): Expected(
        11, 11, rows=15_607, features={"self_references": 1, "on_delete:NO ACTION": 11, "on_update:NO ACTION": 11}),
    ("chinook", "postgresql", ""): Expected(
        11, 11, rows=15_607, features={"self_references": 1, "on_delete:NO ACTION": 11, "on_update:NO ACTION": 11}),
    ("chinook", "mariadb", ""): Expected(
        11, 11, rows=15_607, features={"self_references": 1, "on_delete:NO ACTION": 11, "on_update:NO ACTION": 11}),
    ("northwind", "sqlite", ""): Expected(13, 13, rows=3_310, features={"self_references": 1}),
    ("northwind", "postgresql", ""): Expected(
        14, 13, rows=3_362, features={"self_references": 1, "isolated_tables": 1}, note="us_states: no FK in or out"),
    ("sakila", "sqlite", ""): Expected(
        16, 22, rows=47_273,
        features={"two_table_cycles": 1, "on_delete:RESTRICT": 21, "on_delete:SET NULL": 1, "on_update:CASCADE": 22}),
    ("sakila", "sqlite", "jooq"): Expected(
        16, 22, rows=0,
        features={"two_table_cycles": 1, "on_delete:NO ACTION": 21, "on_delete:SET NULL": 1,
                  "on_update:CASCADE": 13, "on_update:NO ACTION": 9}),
    ("sakila", "postgresql", ""): Expected(
        21, 40, rows=46_273, features={"two_table_cycles": 1},
        note="15 tables + 6 INHERITS children of payment; FKs repeated on the children"),
    ("sakila", "mariadb", ""): Expected(
        16, 22, rows=47_273, load_errors=1,
        # MariaDB keeps no difference between a declared RESTRICT and an undeclared action, and refint
        # reports both as NO ACTION (engines/mysql.py); the test checks this against the catalog's RESTRICT.
        features={"two_table_cycles": 1, "on_delete:NO ACTION": 21, "on_delete:SET NULL": 1,
                  "on_update:CASCADE": 22},
        note="actor_info names sakila.actor and fails in any other database (1 error)"),
    ("pagila", "postgresql", ""): Expected(
        23, 37, rows=46_268, load_errors=3,
        features={"two_table_cycles": 1, "on_delete:RESTRICT": 18, "on_delete:NO ACTION": 19,
                  "on_update:CASCADE": 18},
        note="15 tables + 8 partitions of payment; 3 errors from PG 17 features (transaction_timeout, JSON_TABLE)"),
    ("employees", "mariadb", ""): Expected(6, 6, rows=13_070, features={"on_delete:CASCADE": 6}),
    ("employees", "mariadb", "orphans"): Expected(6, 6, rows=13_094, features={"on_delete:CASCADE": 6}),
    ("tpch", "postgresql", ""): Expected(8, 8, rows=0, features={"composite": 1}),
    ("musicbrainz", "postgresql", ""): Expected(
        375, 762, rows=0, features={"self_references": 57, "on_delete:CASCADE": 33},
        note="371 tables + 4 partitions; pg_constraint has 770 FK rows, 8 of them clones (conparentid <> 0)"),
    ("musicbrainz", "postgresql", "indexes"): Expected(
        375, 762, rows=0, load_errors=9, features={"self_references": 57, "on_delete:CASCADE": 33, "unindexed": 287},
        note="CreateIndexes.sql: 9 indexes need MusicBrainz functions the corpus does not have"),
    ("openstreetmap", "postgresql", ""): Expected(
        56, 69, load_errors=10, features={"composite": 5, "not_valid": 5, "on_delete:CASCADE": 1},
        note="PostGIS missing: moderation_zones, its indexes and its 2 FKs fail (57/71 with PostGIS)"),
    ("netbox", "postgresql", ""): Expected(
        189, 380, rows=21_458,
        features={"deferred": 380, "self_references": 17, "self_referencing_tables": 14, "two_table_cycles": 4}),
}

#: loader options for each variant named in ``EXPECTED``
VARIANTS: dict[tuple[str, str], dict[str, Any]] = {
    ("chinook", "prebuilt"): {"source": "sqlite"},
    ("sakila", "jooq"): {"source": "jooq"},
    ("employees", "orphans"): {"with_orphans": True},
    ("musicbrainz", "indexes"): {"indexes": True},
}


def expected_for(case: tuple[str, str, str], db: Any) -> Expected:
    """``EXPECTED[case]``, adjusted to what this server can load.

    Only OpenStreetMap depends on the server: with PostGIS installed, ``moderation_zones`` and its 2 FKs
    load too (57 tables, 71 FKs, per the README; not verified here, where PostGIS is missing).
    """
    import dataclasses

    expected = EXPECTED[case]
    if case[:2] == ("openstreetmap", "postgresql") and pg_extension_available(db, "postgis"):
        expected = dataclasses.replace(expected, tables=57, foreign_keys=71, load_errors=0)
    return expected


def fk_features(schema: Any) -> dict[str, int]:
    """Count the FK features the README names, from a refint Schema.

    Keys: ``on_delete:<ACTION>``, ``on_update:<ACTION>``, ``composite``, ``self_references``,
    ``self_referencing_tables``, ``two_table_cycles`` (pairs of tables referencing each other),
    ``isolated_tables`` (no FK in or out), ``not_valid``, ``deferred`` (DEFERRABLE INITIALLY DEFERRED) and
    ``unindexed`` (no index starts with the FK's columns, in any order).
    """
    counts: dict[str, int] = {}

    def bump(key: str, n: int = 1) -> None:
        counts[key] = counts.get(key, 0) + n

    edges: set[tuple[Any, Any]] = set()
    for table, fk in schema.foreign_keys:
        bump(f"on_delete:{fk.on_delete.value}")
        bump(f"on_update:{fk.on_update.value}")
        n = len(fk.columns)
        if n > 1:
            bump("composite")
        if fk.referred == table.key:
            bump("self_references")
        if fk.validated is False:
            bump("not_valid")
        if fk.deferrable and fk.initially_deferred:
            bump("deferred")
        if not any(len(ix.columns) >= n and set(ix.columns[:n]) == set(fk.columns) for ix in table.indexes):
            bump("unindexed")
        edges.add((table.key, fk.referred))
    bump("self_referencing_tables", sum(1 for a, b in edges if a == b))
    bump("two_table_cycles", sum(1 for a, b in edges if a < b and (b, a) in edges))
    linked = {key for edge in edges for key in edge}
    bump("isolated_tables", sum(1 for t in schema.tables if t.key not in linked))
    return counts


def count_rows(db: Any, tables: Sequence[tuple[str | None, str]]) -> int:
    """Rows in all ``tables`` together, each row counted once (``ONLY`` on PostgreSQL: a partitioned or
    inheritance parent does not count its children's rows again)."""
    if not tables:
        return 0
    if db.engine == "postgresql":
        def ref(schema: str | None, name: str) -> str:
            return "ONLY " + ".".join('"' + p.replace('"', '""') + '"' for p in (schema, name) if p)
    elif db.engine == "mariadb":
        def ref(schema: str | None, name: str) -> str:
            return ".".join("`" + p.replace("`", "``") + "`" for p in (schema, name) if p)
    else:
        def ref(schema: str | None, name: str) -> str:
            return '"' + name.replace('"', '""') + '"'
    total = 0
    for start in range(0, len(tables), 100):
        chunk = tables[start:start + 100]
        sql = " + ".join(f"(SELECT count(*) FROM {ref(s, n)})" for s, n in chunk)
        total += int(db.query(f"SELECT {sql}")[0][0])
    return total
