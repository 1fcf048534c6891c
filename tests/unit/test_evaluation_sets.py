"""The shared dev sets from ../shared/eval and our own phrasings must pass completely.

The shared sets live next to the project, not in it: without them the test skips, except in CI
(``CI=true``), where a missing set is a failure.
"""

import os
from pathlib import Path

import pytest

from bot.evaluation import load_cases, run_case
from knowledge import Matcher
from tests.conftest import PROJECT_DIR, TESTS_DIR

SHARED_DIR = PROJECT_DIR.parent / "shared" / "eval"
TRUE_VALUES = {"1", "true", "yes", "on"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in TRUE_VALUES


def _failures(matcher: Matcher, path: Path) -> list[tuple[str, list[str]]]:
    results = (run_case(matcher, case) for case in load_cases(path))
    return [(r.case.question, r.failures) for r in results if not r.passed]


@pytest.mark.parametrize("name", ["dev.yaml", "dev-2.yaml", "dev-3.yaml"])
def test_every_shared_case_passes(matcher: Matcher, name: str) -> None:
    path = SHARED_DIR / name
    if not path.exists():
        if _in_ci():
            pytest.fail(f"shared evaluation set missing in CI: {path}")
        pytest.skip(f"shared evaluation set not found at {path} (../shared is not next to the project)")
    assert _failures(matcher, path) == []


def test_every_own_phrasing_passes(matcher: Matcher) -> None:
    assert _failures(matcher, TESTS_DIR / "data" / "phrasings.yaml") == []


def _write_set(tmp_path: Path, case: str) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(f"cases:\n  - {case}\n", encoding="utf-8")
    return path


def test_absent_fails_when_a_wrong_school_is_listed(matcher: Matcher, tmp_path: Path) -> None:
    path = _write_set(
        tmp_path,
        '{q: "welke scholen zitten in Assen", partnership: groningen-kop-van-drenthe, '
        'absent: ["Wegwijzer"], contains: ["Kompas"]}',
    )
    assert _failures(matcher, path) == []
    wrong = _write_set(
        tmp_path, '{q: "welke scholen zitten in Assen", partnership: groningen-kop-van-drenthe, absent: ["Kompas"]}'
    )
    assert _failures(matcher, wrong) != []


def test_a_case_with_only_absent_passes_with_an_honest_fallback(matcher: Matcher, tmp_path: Path) -> None:
    path = _write_set(tmp_path, '{q: "recept voor appeltaart", absent: ["appeltaart met slagroom"]}')
    assert _failures(matcher, path) == []
