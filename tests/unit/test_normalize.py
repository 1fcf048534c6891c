import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.normalize import fold, tokens, words


def test_fold_drops_accents_and_case() -> None:
    assert fold("Oriëntatie Coördinator Één") == "orientatie coordinator een"


def test_words_ignore_html_and_punctuation() -> None:
    assert words("<b>Wat</b> is   intervisie?!") == ["wat", "is", "intervisie"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wat doet een SOL?", ["schoolopleider"]),
        ("wat doet de IO", ["instituutsopleider"]),
        ("RB", ["relatiebeheerder"]),
        ("bovenschools opleidingscoördinator", ["boc"]),
        ("Wat is de BOC", ["boc"]),
        ("speciaal basisonderwijs", ["sbo"]),
        ("Partners in Opleiding en Ontwikkeling", ["poo"]),
        ("kindcentrum", ["kc"]),
    ],
)
def test_abbreviations_and_full_names_meet(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_plurals_are_stemmed_like_singulars() -> None:
    assert tokens("schoolopleiders") == tokens("schoolopleider")
    assert tokens("mentoren") == tokens("mentor")
    assert tokens("trainingen") == tokens("training")


def test_stop_words_are_dropped() -> None:
    assert tokens("Wat is het adres van het partnerschap?") == tokens("adres partnerschap")
    assert len(tokens("adres partnerschap")) == 2


def test_source_misspelling_maps_to_correct_place() -> None:
    assert tokens("Exoërmond") == tokens("Exloërmond")


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("scholen", "school"),
        ("opleidingsclusters", "opleidingscluster"),
        ("dorpen", "plaats"),
        ("waar ligt", "plaats"),
        ("adresgegevens", "adres"),
        ("hogescholen", "pabo"),
        ("schoolbesturen", "bestuur"),
        ("coördineert", "coordinator"),
        ("kindcentra", "kindcentrum"),
    ],
)
def test_inflections_and_synonyms_meet_the_knowledge_base_word(text: str, same_as: str) -> None:
    assert tokens(text) == tokens(same_as)


def test_importing_the_knowledge_package_reads_no_file() -> None:
    """Nothing happens at import time: the language file is read when the first text is normalised."""
    code = (
        "import knowledge, knowledge.normalize as n\n"
        "assert n.language.cache_info().currsize == 0, 'read at import'\n"
        "n.tokens('Wat doet een BOC?')\n"
        "assert n.language.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
