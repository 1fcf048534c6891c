"""The benchmark helpers must keep working; their timings are never asserted here."""

from __future__ import annotations

from benchmarks.baselines import DifflibScan, NaiveRapidfuzz
from benchmarks.common import synthetic_kb, table
from benchmarks.load import _busiest_second
from knowledge import Matcher
from knowledge.models import ENTRY_ID


def test_synthetic_knowledge_base_has_the_requested_size_and_real_shape() -> None:
    kb = synthetic_kb(300)
    assert len(kb.entries) == 300
    assert len({e.id for e in kb.entries}) == 300
    assert all(ENTRY_ID.match(e.id) for e in kb.entries)
    assert Matcher(kb).match("wat doet een schoolopleider").matched == "rol:schoolopleider"


def test_baselines_answer_in_the_same_shape() -> None:
    kb = synthetic_kb(120)
    for baseline in (DifflibScan(kb), NaiveRapidfuzz(kb)):
        answer = baseline.match("intervisie")
        assert answer.matched == "begrip:intervisie"
        assert baseline.match("qqqqqqqq zzzzzz").fallback


def test_busiest_second_counts_a_sliding_window() -> None:
    assert _busiest_second([0.0, 0.5, 0.99, 1.2, 1.3, 3.0]) == 4
    assert _busiest_second([]) == 0


def test_table_aligns_columns() -> None:
    lines = table(["a", "bb"], [[1.5, "x"], [1234.0, "yy"]]).splitlines()
    assert len({len(line) for line in lines}) == 1
