"""``python -m bot coordinators add|list|remove`` on a SQLite file in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")


def test_add_list_and_remove_a_coordinator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coordinators", "add", "123456", "--partnership", "poo-marnix"]) == 0
    assert main(["coordinators", "add", "123456", "--partnership", "poo-marnix"]) == 0
    assert main(["coordinators", "list"]) == 0
    assert main(["coordinators", "remove", "123456", "--partnership", "poo-marnix"]) == 0
    assert main(["coordinators", "list", "--partnership", "poo-marnix"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Gebruiker 123456 is nu coördinator van poo-marnix."
    assert printed[1] == "Gebruiker 123456 was al coördinator van poo-marnix."
    assert printed[2].startswith("poo-marnix\t123456\t(heeft de bot nog niet gesproken)\tsinds ")
    assert printed[3] == "Gebruiker 123456 is geen coördinator meer van poo-marnix."
    assert printed[4] == "Er zijn nog geen coördinatoren."


def test_an_unknown_partnership_is_refused_in_dutch() -> None:
    with pytest.raises(SystemExit, match="Onbekend partnerschap ‘bestaat-niet’"):
        main(["coordinators", "add", "1", "--partnership", "bestaat-niet"])
