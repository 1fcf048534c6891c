"""``python -m bot backup FILE``: a consistent copy of the SQLite database while another connection
writes, a clear refusal for PostgreSQL, and no Telegram import."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")


def add(title: str) -> None:
    arguments = ["events", "add", "--partnership", "poo-marnix", "--title", title, "--start", "2030-01-08T15:00"]
    assert main(arguments) == 0


def test_a_backup_while_another_connection_writes_is_one_committed_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add("Fictieve intervisie")
    live = sqlite3.connect(tmp_path / "samen-opleiden.sqlite3")
    try:
        # The running bot is half-way through a transaction: the copy holds only what was committed.
        live.execute("BEGIN IMMEDIATE")
        live.execute("UPDATE events SET title = 'half af'")
        assert main(["backup", str(tmp_path / "kopie.sqlite3")]) == 0
        live.rollback()
    finally:
        live.close()
    assert "Back-up gemaakt" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "kopie.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT title FROM events").fetchall() == [("Fictieve intervisie",)]
    # An existing file is never overwritten.
    assert main(["backup", str(tmp_path / "kopie.sqlite3")]) == 2
    assert "bestaat al" in capsys.readouterr().err


def test_postgresql_is_told_to_use_pg_dump(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot@localhost/samen")
    assert main(["backup", "kopie.sqlite3"]) == 2
    assert "pg_dump" in capsys.readouterr().err


def test_backup_does_not_import_telegram(tmp_path: Path) -> None:
    add("Fictief")
    script = (
        "import sys; from bot.cli import main; code = main(['backup', sys.argv[1]]); "
        "assert 'telegram' not in sys.modules, 'telegram geladen'; sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "kopie.sqlite3")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
