"""Spark (issue 16): the same check on Spark as on DuckDB, on files and on catalog tables, row for row.

One ``local[2]`` session serves the whole run (the ``spark`` fixture in conftest.py), with a Spark
Connect server in the same application for the ``sc://`` tests, which run the CLI in a subprocess: the
test process itself stays a classic pyspark process. Data is written by DuckDB, read by both engines,
and the expected violations are also computed in Python from the rows (an oracle independent of both).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import refint
from refint.errors import InvalidTarget, NoSuchTable
from refint.relations import Relations, parse_relation

ROOT = Path(__file__).resolve().parents[2]

CUSTOMERS = "customers"
ITEMS = "line item"  # a space
STUDENTS = "학생"  # Korean
WEIRD = 'we"ird'  # a double quote in a column name
TICK = "tick`col"  # a backtick: Spark's own quote character


def _rows(seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    rnd = random.Random(seed)
    customers = [(i, rnd.choice("abc")) for i in range(1, 41)] + [(3, "dup"), (17, "dup")]
    items = [(i, rnd.choice([None, *range(0, 50)]), rnd.choice([None, *range(0, 8)])) for i in range(300)]
    parents = [(a, b) for a in range(6) for b in range(3) if (a + b) % 4]
    students = [(i, rnd.choice([None, *range(0, 7)]), rnd.choice([None, *range(0, 4)])) for i in range(200)]
    return {"customers": customers, "items": items, "parents": parents, "students": students}


def _relations(items: str = ITEMS, students: str = STUDENTS) -> Relations:
    rel = Relations(primary_keys={CUSTOMERS: ("id",), "p": ("a", "b")})
    rel = rel.merge(parse_relation(f'"{items}"("{WEIRD.replace(chr(34), chr(34) * 2)}") -> {CUSTOMERS}(id)',
                                   "items_customer"))
    rel = rel.merge(parse_relation(f'"{items}"("{TICK}") -> {CUSTOMERS}(id)', "items_tick"))
    return rel.merge(parse_relation(f'"{students}"(a, b) -> p(a, b)', "students_p", "FULL"))


#: Spark's session catalog takes ASCII letters, digits and _ in table names (INVALID_SCHEMA_OR_RELATION_NAME):
#: there the tables with a space and in Korean are renamed; their hostile column names stay
CATALOG_ITEMS, CATALOG_STUDENTS = "line_item", "students"
FROM_CATALOG = {CATALOG_ITEMS: ITEMS, CATALOG_STUDENTS: STUDENTS}


def _oracle(rows: dict[str, list[tuple[Any, ...]]]) -> Counter[tuple[str, str]]:
    """The violations, counted in Python from the rows themselves."""
    ids = {c[0] for c in rows["customers"]}
    parents = set(rows["parents"])
    out: Counter[tuple[str, str]] = Counter()
    out["customers_pkey"] = sum(n for n in Counter(c[0] for c in rows["customers"]).values() if n > 1)
    out["items_customer"] = sum(1 for r in rows["items"] if r[1] is not None and r[1] not in ids)
    out["items_tick"] = sum(1 for r in rows["items"] if r[2] is not None and r[2] not in ids)
    full = [r for r in rows["students"] if r[1] is not None and r[2] is not None and (r[1], r[2]) not in parents]
    mixed = [r for r in rows["students"] if (r[1] is None) != (r[2] is None)]
    out["students_p"] = len(full) + len(mixed)
    return +out


def _write(folder: Path, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Parquet, CSV and JSON lines, written by DuckDB."""
    import duckdb

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def values(data: list[tuple[Any, ...]]) -> str:
        return ", ".join("(" + ", ".join("NULL" if v is None else repr(v) for v in r) + ")" for r in data)

    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM (VALUES {values(rows['customers'])}) t(id, region)) "
                    f"TO '{folder / 'customers.parquet'}'")
        con.execute(f"COPY (SELECT * FROM (VALUES {values(rows['items'])}) t({q('order id')}, {q(WEIRD)}, "
                    f"{q(TICK)})) TO '{folder / (ITEMS + '.parquet')}'")
        con.execute(f"COPY (SELECT * FROM (VALUES {values(rows['parents'])}) t(a, b)) TO '{folder / 'p.csv'}' "
                    "(HEADER)")
        con.execute(f"COPY (SELECT * FROM (VALUES {values(rows['students'])}) t(id, a, b)) "
                    f"TO '{folder / (STUDENTS + '.json')}' (FORMAT JSON)")
    finally:
        con.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[tuple[Any, ...]]]]:
    folder = tmp_path_factory.mktemp("spark-files")
    rows = _rows()
    _write(folder, rows)
    return folder, rows


def _normalised(report: Any) -> dict[str, Any]:
    data: dict[str, Any] = report.to_dict()
    for v in data["violations"]:  # the files have no schema; the catalog tables a database
        v["schema"] = None
        v["table"] = FROM_CATALOG.get(v["table"], v["table"])
        if "referred_schema" in v:
            v["referred_schema"] = None
    return data


def test_folder_on_spark_equals_duckdb_and_the_oracle(spark: Any, files: tuple[Path, Any]) -> None:
    folder, rows = files
    with refint.connect(folder, relations=_relations()) as duck:
        want = duck.check(relations=_relations(), sample=4)
    with refint.connect(folder, engine="spark", relations=_relations()) as db:
        assert db.name == "spark"
        schema = db.inspect()
        assert {t.name for t in schema.tables} == {CUSTOMERS, ITEMS, "p", STUDENTS}
        assert schema.table(ITEMS).column_names() == ("order id", WEIRD, TICK)
        got = db.check(relations=_relations(), sample=4)
    assert got.to_dict() == want.to_dict()  # counts, samples in key order, messages: row for row
    counted: Counter[str] = Counter()
    for v in got.violations:
        counted[v.constraint or ""] += v.count
    assert counted == _oracle(rows)
    kinds = {v.constraint: v.kind for v in got.violations}
    assert kinds["customers_pkey"] == "primary_key"
    assert any(v.message.startswith("MATCH FULL") for v in got.violations)


@pytest.fixture
def catalog_db(spark: Any, files: tuple[Path, Any]) -> Iterator[str]:
    """A database of the session's catalog holding the files as managed tables."""
    folder, _ = files
    session = spark.session
    name = "refint_t_" + uuid.uuid4().hex[:8]
    session.sql(f"CREATE DATABASE `{name}`")
    reads = {CUSTOMERS: session.read.parquet(str(folder / "customers.parquet")),
             CATALOG_ITEMS: session.read.parquet(str(folder / (ITEMS + ".parquet"))),
             "p": session.read.option("header", "true").option("inferSchema", "true").csv(str(folder / "p.csv")),
             CATALOG_STUDENTS: session.read.json(str(folder / (STUDENTS + ".json")))}
    try:
        for table, df in reads.items():
            df.write.saveAsTable(f"`{name}`.`{table.replace('`', '``')}`")
        yield name
    finally:
        session.sql(f"DROP DATABASE IF EXISTS `{name}` CASCADE")


def test_catalog_tables_equal_the_files_and_the_borrowed_session_keeps_running(
        spark: Any, files: tuple[Path, Any], catalog_db: str) -> None:
    folder, rows = files
    session = spark.session
    session.range(3).createOrReplaceTempView("callers_view")
    with refint.connect(folder, relations=_relations()) as duck:
        want = _normalised(duck.check(relations=_relations(), sample=4))
    db = refint.connect(session, schemas=[catalog_db])
    try:
        tables = db.inspect().tables
        assert {(t.schema, t.name) for t in tables} == {(catalog_db, n)
                                                        for n in (CUSTOMERS, CATALOG_ITEMS, "p", CATALOG_STUDENTS)}
        report = db.check(relations=_relations(CATALOG_ITEMS, CATALOG_STUDENTS), sample=4)
        assert {v.schema for v in report.violations} == {catalog_db}
        assert _normalised(report) == want
        with pytest.raises(NoSuchTable):
            db.check(relations=parse_relation("nowhere(x) -> p(a)"))
    finally:
        db.close()
    # refint never stops a session it did not start, nor drops what the caller registered
    assert session.range(5).count() == 5
    assert session.catalog.tableExists("callers_view")
    session.catalog.dropTempView("callers_view")
    # without --schema: the current database and the session's temporary views
    session.range(2).withColumnRenamed("id", "k").createOrReplaceTempView("callers_view")
    with refint.connect(session) as again:
        names = {(t.schema, t.name, t.kind) for t in again.inspect().tables}
    assert (None, "callers_view", "view") in names
    assert not any(s == catalog_db for s, _, _ in names)
    session.catalog.dropTempView("callers_view")


def test_composite_nullable_keys_match_simple_and_full(spark: Any, tmp_path: Path) -> None:
    """MATCH SIMPLE skips a key with any NULL; FULL reports the partly-NULL ones apart."""
    rows = {"customers": [(1, "a")], "items": [(1, 1, 1)], "parents": [(1, 1), (2, 2)],
            "students": [(1, 1, 1), (2, 1, None), (3, None, None), (4, 2, 3), (5, None, 7), (6, 2, 3)]}
    _write(tmp_path, rows)
    simple = parse_relation(f'"{STUDENTS}"(a, b) -> p(a, b)', "s")
    full = parse_relation(f'"{STUDENTS}"(a, b) -> p(a, b)', "f", "FULL")
    with refint.connect(tmp_path, engine="spark") as db:
        by_simple = db.check(relations=simple).violations
        by_full = db.check(relations=full, kinds=["foreign_key"]).violations
    assert [(v.count, v.sample) for v in by_simple] == [(2, ({"a": 2, "b": 3},))]
    assert sorted((v.message.split()[0], v.count) for v in by_full) == [("Key", 2), ("MATCH", 2)]
    mixed = next(v for v in by_full if v.message.startswith("MATCH"))
    assert mixed.sample == ({"a": 1, "b": None}, {"a": None, "b": 7})  # NULLS LAST, as DuckDB orders them


def test_cli_on_a_folder_with_engine_spark(spark: Any, files: tuple[Path, Any], tmp_path: Path) -> None:
    """A process of its own: refint starts (and stops) its local session; stderr stays clean."""
    folder, _ = files
    relations = tmp_path / "relations.toml"
    relations.write_text(f'[tables.{CUSTOMERS}]\nprimary_key = ["id"]\n\n[[relations]]\n'
                         f'relation = \'"{ITEMS}"("{WEIRD.replace(chr(34), chr(34) * 2)}") -> {CUSTOMERS}(id)\'\n')
    args = [sys.executable, "-m", "refint", "check", str(folder), "--relations", str(relations), "--format", "json"]
    duck = subprocess.run(args, capture_output=True, text=True)
    proc = subprocess.run(args + ["--engine", "spark"], capture_output=True, text=True, timeout=300)
    assert (duck.returncode, proc.returncode) == (1, 1), proc.stderr
    assert json.loads(proc.stdout) == json.loads(duck.stdout)
    assert proc.stderr == ""


def test_engine_spark_refuses_what_is_not_a_folder() -> None:
    proc = subprocess.run([sys.executable, "-m", "refint", "check", str(ROOT / "examples" / "school.db"),
                           "--engine", "spark"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("refint: error: --engine spark reads a folder") and proc.stderr.count("\n") == 1
    with pytest.raises(InvalidTarget):
        refint.connect(ROOT / "examples" / "school.db", engine="spark")


def test_an_unreachable_spark_connect_url_is_one_line(spark: Any) -> None:
    """At once and in one line (the Connect client alone would retry for ten minutes), token hidden."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket is closed
    proc = subprocess.run([sys.executable, "-m", "refint", "check", f"sc://127.0.0.1:{port}/;token=s3cret",
                           "--relation", "a(x) -> b(y)"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"refint: error: cannot connect to sc://127.0.0.1:{port}/;token=***")
    assert proc.stderr.count("\n") == 1 and "s3cret" not in proc.stderr


# -- Ctrl-C and Spark Connect --------------------------------------------------------------------------------

def _running_tasks(session: Any) -> int:
    tracker = session.sparkContext._jsc.sc().statusTracker()
    return sum(e.numRunningTasks() for e in tracker.getExecutorInfos())


def _busy_views(session: Any, where: str) -> None:
    """A 10^12-row child (hours of work) and a small parent. The keys are scrambled, as in a file: on
    ``range()``'s own sorted, unique ids Spark plans the grouping without a shuffle, and then one task of
    the cancelled stage ignores its interrupt and runs on (Spark 4.3, seen here), which refint cannot
    stop."""
    session.sql(f"CREATE OR REPLACE {where} VIEW big AS SELECT (id * 7919) % 1000000000000 AS k "
                "FROM range(1000000000000)")
    session.sql(f"CREATE OR REPLACE {where} VIEW small AS SELECT id FROM range(10)")


def test_ctrl_c_cancels_the_spark_jobs_of_a_borrowed_session(spark: Any) -> None:
    session = spark.session
    _busy_views(session, "TEMPORARY")
    main = threading.main_thread().ident
    assert main is not None
    seen: list[int] = []

    labels: list[str] = []

    def running() -> bool:  # the check's query runs and its task progress has been reported
        return any(label.endswith(" tasks") for label in labels) and bool(
            session.sparkContext.statusTracker().getActiveJobsIds())

    def interrupt() -> None:  # once the check's query runs (reading the catalog runs jobs too)
        deadline = time.monotonic() + 120
        while not running() and time.monotonic() < deadline:
            time.sleep(0.1)
        seen.extend(session.sparkContext.statusTracker().getActiveJobsIds())
        time.sleep(0.5)
        signal.pthread_kill(main, signal.SIGINT)

    db = refint.connect(session)
    timer = threading.Thread(target=interrupt, daemon=True)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            db.check(relations=parse_relation("big(k) -> small(id)", "c_p"),
                     progress=lambda done, total, label: labels.append(label))
    finally:
        timer.join()
        db.close()
    assert seen, "the check never started a Spark job"
    # while the query ran, progress came from Spark's status tracker: tasks of the running stages
    assert any(re.fullmatch(r"big c_p: \d+/\d+ tasks", label) for label in labels), labels[:5]
    # refint returned only after the jobs were cancelled and their tasks had stopped
    assert session.sparkContext.statusTracker().getActiveJobsIds() == []
    assert _running_tasks(session) == 0
    assert session.range(4).count() == 4  # the borrowed session is still usable
    session.sql("DROP VIEW big")
    session.sql("DROP VIEW small")


def _refint(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "refint", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def test_spark_connect_url_checks_catalog_tables(spark: Any, catalog_db: str, tmp_path: Path) -> None:
    relations = tmp_path / "relations.toml"
    relations.write_text(f'[tables.{CUSTOMERS}]\nprimary_key = ["id"]\n\n[[relations]]\n'
                         f'relation = "{CATALOG_STUDENTS}(a, b) -> p(a, b)"\nmatch = "FULL"\n')
    proc = _refint("check", spark.connect_url, "--schema", catalog_db, "--relations", str(relations),
                   "--format", "json")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    from refint.relations import load_relations_file

    with refint.connect(spark.session, schemas=[catalog_db]) as db:
        want = db.check(relations=load_relations_file(relations))
    assert json.loads(out) == want.to_dict()


def test_ctrl_c_on_spark_connect_exits_130_and_cancels_the_server_jobs(spark: Any) -> None:
    session = spark.session
    _busy_views(session, "GLOBAL TEMPORARY")
    proc = _refint("check", spark.connect_url, "--schema", "global_temp", "--relation", "big(k) -> small(id)")
    try:
        deadline = time.monotonic() + 120
        while not session.sparkContext.statusTracker().getActiveJobsIds():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the check never started a Spark job"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        deadline = time.monotonic() + 30  # the server cancels on its own time after the client went
        while (session.sparkContext.statusTracker().getActiveJobsIds() or _running_tasks(session)) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session.sparkContext.statusTracker().getActiveJobsIds() == []
        assert _running_tasks(session) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        session.sql("DROP VIEW global_temp.big")
        session.sql("DROP VIEW global_temp.small")


# -- what does not run on Spark: one line, exit 2, nothing changed ---------------------------------------------

#: the verbs that change a database, and subset (which streams rows through one connection)
REFUSED = {"add-fk": [f'"{ITEMS}"("{WEIRD.replace(chr(34), chr(34) * 2)}")', f"{CUSTOMERS}(id)"],
           "drop-fk": [ITEMS, "items_customer"], "validate": [], "index-fks": [], "drop-table": [CUSTOMERS],
           "subset": ["--where", f"{CUSTOMERS}: id = 1", "--to", "out.db"]}


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("verb", sorted(REFUSED))
def test_cli_refuses_the_changing_verbs_on_a_spark_folder(spark: Any, files: tuple[Path, Any], tmp_path: Path,
                                                         verb: str) -> None:
    """Refused before a local session starts (seconds of JVM for a no), in one line; the files stay
    byte for byte, and nothing appears beside them or in the working directory."""
    folder, _ = files
    before = _tree(folder)
    for target in ([str(folder), "--engine", "spark"], [spark.connect_url, "--schema", "default"]):
        proc = subprocess.run([sys.executable, "-m", "refint", verb, *target, *REFUSED[verb]],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"refint: error: {verb} does not run on spark: "), proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert proc.stdout == ""
    assert _tree(folder) == before
    assert list(tmp_path.iterdir()) == []


def _snapshot(session: Any, database: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the database with its rows, sorted: what a change would show in."""
    out = {}
    for t in session.catalog.listTables(database):
        if t.isTemporary:  # listed with every database
            continue
        rows = session.table(f"`{database}`.`{t.name}`").collect()
        out[t.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def test_borrowed_session_refuses_changes_and_runs_the_reading_verbs(
        spark: Any, files: tuple[Path, Any], catalog_db: str) -> None:
    from refint.errors import NotSupported

    folder, rows = files
    session = spark.session
    before = _snapshot(session, catalog_db)
    calls = {"add-fk": lambda db: db.add_foreign_key(f'{CATALOG_ITEMS}("{TICK}")', f"{CUSTOMERS}(id)"),
             "drop-fk": lambda db: db.drop_foreign_key(CATALOG_ITEMS, "items_customer", if_exists=True),
             "validate": lambda db: db.validate(),
             "index-fks": lambda db: db.index_foreign_keys(dry_run=True),
             "drop-table": lambda db: db.drop_table(CUSTOMERS, dry_run=True),
             "subset": lambda db: db.subset(where=[f"{CUSTOMERS}: id = 1"], dry_run=True)}
    assert sorted(calls) == sorted(REFUSED)
    with refint.connect(session, schemas=[catalog_db]) as db:
        for verb, call in calls.items():
            with pytest.raises(NotSupported) as info:
                call(db)
            assert str(info.value).startswith(f"{verb} does not run on spark: ") and "\n" not in str(info.value)
        # the reading verbs run: Spark declares no keys, so there is no edge, cycle or finding to report
        names = {CUSTOMERS, CATALOG_ITEMS, "p", CATALOG_STUDENTS}
        assert set(db.order("load").order) == names
        assert {n["table"] for n in db.graph().to_dict()["nodes"]} == names and not db.graph().edges
        assert db.lint().findings == ()
        assert db.ddl("postgresql").text().strip() == ""
        plan = db.plan_delete(CUSTOMERS, "id <= 3")
        assert plan.ok and plan.rows == sum(1 for c in rows["customers"] if c[0] <= 3)
    with refint.connect(folder, engine="spark") as files_db:  # a folder's session refuses the same way
        with pytest.raises(NotSupported):
            files_db.validate()
    assert _snapshot(session, catalog_db) == before
