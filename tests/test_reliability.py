"""Faults an adversarial user finds (issue 12): exit codes under --debug, passwords that break URL
parsers, dropped connections, foreign error texts. Each test runs the real CLI against the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_cli import assert_one_line_error, refint

#: every character that ends a URL's userinfo early for some parser: @ : / % #
PASSWORD = "Zq@Xv:Wk/Pm%Jr#Ty"
FRAGMENTS = ("Xv", "Wk", "Pm", "Jr", "Ty", "Zq")


def test_debug_keeps_exit_code_2(tmp_path: Any) -> None:
    proc = refint("check", str(tmp_path / "nonexistent.db"), "--debug")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("refint: error: no such database file")


def _no_secret(proc: Any) -> None:
    out = proc.stdout + proc.stderr
    for fragment in FRAGMENTS:
        assert fragment not in out, out


def test_raw_password_postgres_connects_and_never_shows(make_db: Any) -> None:
    db = make_db("postgresql")  # trust authentication: the password is parsed, not checked
    db.run("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int)")
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/{db.name}"
    for args in (("inspect", url), ("check", url), ("lint", url), ("order", url),
                 ("plan", "delete", url, "p", "--where", "id = 1"),
                 ("add-fk", url, "c(p_id)", "p", "--dry-run"), ("index-fks", url, "--dry-run")):
        proc = refint(*args)
        assert proc.returncode in (0, 1), proc.stderr
        _no_secret(proc)
    assert "postgres:***@127.0.0.1:5432" in refint("inspect", url).stdout
    proc = refint("inspect", f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/{db.name}")
    assert_one_line_error(proc, "cannot connect")
    _no_secret(proc)


def test_raw_password_mariadb_connects_and_never_shows(make_db: Any) -> None:
    db = make_db("mariadb")
    user = db.name[-12:]
    db.run(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'; "
           f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{PASSWORD}'; "
           f"GRANT ALL ON `{db.name}`.* TO '{user}'@'%'; GRANT ALL ON `{db.name}`.* TO '{user}'@'localhost'")
    try:
        db.run("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int)")
        url = f"mariadb://{user}:{PASSWORD}@127.0.0.1:3306/{db.name}"
        for args in (("inspect", url), ("check", url), ("plan", "delete", url, "p", "--where", "id = 1"),
                     ("add-fk", url, "c(p_id)", "p", "--dry-run")):
            proc = refint(*args)
            assert proc.returncode in (0, 1), proc.stderr
            _no_secret(proc)
        wrong = f"mariadb://{user}:{PASSWORD}x@127.0.0.1:3306/{db.name}"
        for command in ("inspect", "add-fk"):
            extra = ("c(p_id)", "p") if command == "add-fk" else ()
            proc = refint(command, wrong, *extra)
            assert_one_line_error(proc, "Access denied")
            _no_secret(proc)
    finally:
        db.run(f"DROP USER '{user}'@'%'; DROP USER '{user}'@'localhost'")
