"""Services read time only from the injected clock: a service on the wall clock makes tests go red
when the calendar moves on (issue 17)."""

from __future__ import annotations

import ast
from datetime import datetime

import pytest

from bot.services.clock import fixed_clock
from tests.conftest import PROJECT_DIR
from tests.moments import NOW

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

WALL_CLOCK_READS = {"utcnow", "now", "today", "time", "time_ns"}


def wall_clock_reads(source: str) -> list[str]:
    """Calls like ``utcnow()``, ``datetime.now(...)``, ``date.today()``, ``time.time()``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        owner = function.value if isinstance(function, ast.Attribute) else None
        owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
        if name == "utcnow" or (name in WALL_CLOCK_READS and owner_name in {"datetime", "date", "time"}):
            found.append(f"{node.lineno}: {ast.unparse(function)}()")
    return found


def test_no_service_reads_the_wall_clock() -> None:
    offenders = {
        str(path.relative_to(PROJECT_DIR)): reads
        for path in sorted((PROJECT_DIR / "bot" / "services").rglob("*.py"))
        if (reads := wall_clock_reads(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    ["utcnow()", "datetime.now(UTC)", "datetime.datetime.now()", "date.today()", "time.time()", "x = time.time_ns()"],
)
def test_the_check_finds_each_way_of_reading_the_wall_clock(source: str) -> None:
    assert wall_clock_reads(source)


def test_a_fixed_clock_gives_its_aware_moment_and_refuses_a_naive_one() -> None:
    assert fixed_clock(NOW)() == NOW
    with pytest.raises(ValueError, match="aware"):
        fixed_clock(datetime(2026, 1, 1))
