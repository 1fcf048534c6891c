"""The dev set from ../shared/eval and our own phrasings must pass completely."""

from pathlib import Path

import pytest

from bot.evaluation import load_cases, run_case
from knowledge import Matcher
from tests.conftest import SHARED_EVAL, TESTS_DIR


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(SHARED_EVAL, id="shared-dev"),
        pytest.param(TESTS_DIR / "data" / "phrasings.yaml", id="own-phrasings"),
    ],
)
def test_every_case_passes(matcher: Matcher, path: Path) -> None:
    if not path.exists():
        pytest.fail(f"evaluation set missing: {path}")
    failures = [(r.case.question, r.failures) for r in (run_case(matcher, c) for c in load_cases(path)) if not r.passed]
    assert failures == []
