from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge import DEFAULT_DATA_DIR, KnowledgeBase, KnowledgeBaseError, Matcher, load_knowledge_base


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def write_broken(data_dir: Path, body: str) -> Path:
    path = data_dir / "algemeen" / "kapot.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def problems_of(data_dir: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(data_dir)
    return [str(p) for p in caught.value.problems]


def test_shipped_knowledge_base_is_valid() -> None:
    kb = load_knowledge_base()
    assert len(kb.entries) > 80
    assert set(kb.partnerships) == {"poo-marnix", "groningen-kop-van-drenthe"}


def test_unknown_key_is_reported_with_file_and_line(data_dir: Path) -> None:
    write_broken(
        data_dir,
        "source: algemeen\nentries:\n  - id: begrip:test\n    title: Test\n    answer: Iets.\n    antwoord: fout\n",
    )
    assert problems_of(data_dir) == ["data/algemeen/kapot.yaml:6: onbekende sleutel 'antwoord'"]


def test_missing_title_is_reported(data_dir: Path) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: begrip:test\n    answer: Iets.\n")
    assert problems_of(data_dir) == ["data/algemeen/kapot.yaml:3: verplichte sleutel ontbreekt: 'entries.0.title'"]


def test_missing_answer_is_reported(data_dir: Path) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: begrip:test\n    title: Test\n")
    assert problems_of(data_dir) == ["data/algemeen/kapot.yaml:3: begrip:test: verplichte sleutel ontbreekt: 'answer'"]


def test_duplicate_id_names_both_places(data_dir: Path) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: begrip:intervisie\n    title: Dubbel\n    answer: x\n")
    [problem] = problems_of(data_dir)
    assert problem.startswith("data/algemeen/kapot.yaml:3: dubbel id 'begrip:intervisie' (ook in data/algemeen/")


def test_broken_cross_reference(data_dir: Path) -> None:
    write_broken(
        data_dir,
        "source: algemeen\nentries:\n  - id: begrip:test\n    title: Test\n    answer: x\n"
        "    see_also:\n      - rol:mentor\n      - rol:bestaat-niet\n",
    )
    assert problems_of(data_dir) == ["data/algemeen/kapot.yaml:8: verwijzing naar onbekend id 'rol:bestaat-niet'"]


def test_bad_id_shape(data_dir: Path) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: Begrip:Met Spatie\n    title: T\n    answer: x\n")
    [problem] = problems_of(data_dir)
    assert problem.startswith("data/algemeen/kapot.yaml:3: entries.0.id: id moet de vorm")


def test_too_long_id_is_reported(data_dir: Path) -> None:
    long_id = "begrip:" + "-".join(["woord"] * 10)
    write_broken(data_dir, f"source: algemeen\nentries:\n  - id: {long_id}\n    title: T\n    answer: x\n")
    [problem] = problems_of(data_dir)
    assert problem.startswith("data/algemeen/kapot.yaml:3: entries.0.id: id is te lang")


def test_app_refuses_to_start_on_an_invalid_knowledge_base(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: begrip:test\n    title: T\n")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(data_dir))
    monkeypatch.setenv("DATA_DIR", str(data_dir.parent / "appdata"))
    assert main(["run"]) == 2
    assert "data/algemeen/kapot.yaml:3: begrip:test: verplichte sleutel ontbreekt: 'answer'" in capsys.readouterr().err
    assert not (data_dir.parent / "appdata").exists()  # nothing started


def test_yaml_syntax_error_has_a_line(data_dir: Path) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: begrip:test\n    title: [niet gesloten\n")
    [problem] = problems_of(data_dir)
    assert problem.startswith("data/algemeen/kapot.yaml:")
    assert "ongeldige YAML" in problem


def test_unknown_partnership_in_per_partnership(data_dir: Path) -> None:
    write_broken(
        data_dir,
        "source: algemeen\nentries:\n  - id: begrip:test\n    title: T\n    answer: x\n"
        "    per_partnership:\n      verzonnen: iets\n",
    )
    assert problems_of(data_dir) == ["data/algemeen/kapot.yaml:7: onbekend partnerschap 'verzonnen' in per_partnership"]


def test_required_role_missing(data_dir: Path) -> None:
    rollen = data_dir / "algemeen" / "rollen.yaml"
    rollen.write_text(rollen.read_text(encoding="utf-8").replace("rol:studiecoach", "rol:coach"), encoding="utf-8")
    assert "de vaste rol 'rol:studiecoach' ontbreekt" in " ".join(problems_of(data_dir))


def test_all_problems_are_reported_at_once(data_dir: Path) -> None:
    write_broken(
        data_dir,
        "source: algemeen\nentries:\n  - id: begrip:a\n    title: A\n    extra: 1\n    answer: x\n"
        "  - id: begrip:b\n    title: B\n",
    )
    assert len(problems_of(data_dir)) == 2


def test_cli_validate_prints_problems_and_exits_2(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_broken(data_dir, "source: algemeen\nentries:\n  - id: begrip:test\n    title: T\n    answer: x\n    foo: 1\n")
    assert main(["kb", "validate", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "data/algemeen/kapot.yaml:6: onbekende sleutel 'foo'" in err


def test_cli_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "validate"]) == 0
    assert "Kennisbank in orde" in capsys.readouterr().out


def test_shipped_knowledge_base_has_a_source_line_for_every_partnership_fact() -> None:
    assert load_knowledge_base().warnings == ()


def test_partnership_fact_without_source_line_is_warned_about(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = data_dir / "poo-marnix" / "extra.yaml"
    path.write_text(
        "source: 000_7dcca35af525fcef.txt\nentries:\n  - id: faq:extra\n    title: Extra\n    answer: Iets.\n",
        encoding="utf-8",
    )
    kb = load_knowledge_base(data_dir)  # a warning, not an error: the bot still starts
    [warning] = [str(w) for w in kb.warnings]
    assert warning.startswith("data/poo-marnix/extra.yaml:3: faq:extra: geen bronverwijzing")
    assert "faq:extra" in caplog.text


def test_general_entry_with_an_unreferenced_partnership_note_is_warned_about(data_dir: Path) -> None:
    write_broken(
        data_dir,
        "source: algemeen\nentries:\n  - id: begrip:test\n    title: Test\n    answer: Iets.\n"
        "    per_partnership:\n      poo-marnix: Staat op de praatplaat.\n",
    )
    [warning] = [str(w) for w in load_knowledge_base(data_dir).warnings]
    assert "begrip:test: wat poo-marnix toevoegt heeft geen bronverwijzing" in warning


def test_general_answer_says_it_is_general_and_what_the_source_adds(kb: KnowledgeBase) -> None:
    matcher = Matcher(kb)
    marnix = matcher.match("wat doet een relatiebeheerder", "poo-marnix").text
    assert marnix.startswith("Algemeen: ")
    assert "In POO – Marnix Academie: " in marnix
    groningen = matcher.match("wat is een partnerscholendag", "groningen-kop-van-drenthe").text
    assert "noemt geen partnerscholendag" in groningen
    assert "workshops" not in groningen
