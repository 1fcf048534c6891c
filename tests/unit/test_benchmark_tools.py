"""The benchmark helpers must keep working; their timings are never asserted here."""

from __future__ import annotations

from benchmarks.baselines import DifflibScan, NaiveRapidfuzz
from benchmarks.broadcast import FIRST_CHAT
from benchmarks.common import synthetic_kb, table
from benchmarks.load import _busiest_second
from benchmarks.rolling import FIRST_ASKER, count, figures
from knowledge import Matcher
from knowledge.models import ENTRY_ID
from tests.fake_bot_api import Call, FakeBotAPI


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


def test_rolling_counts_a_lost_question_an_apology_and_doubles() -> None:
    api = FakeBotAPI()

    def sent(chat: int, text: str, status: int = 200) -> None:
        api.calls.append(Call("sendMessage", {"chat_id": str(chat), "text": text}, status))

    sent(FIRST_ASKER, "Intervisie is ...")
    sent(FIRST_ASKER + 1, "Intervisie is ...")
    sent(FIRST_ASKER + 1, "Intervisie is ...")  # answered twice
    sent(FIRST_ASKER + 2, "Sorry, er ging iets mis aan mijn kant.")  # an apology is no answer
    sent(FIRST_ASKER + 3, "Intervisie is ...", status=429)  # refused by Telegram: never arrived
    sent(FIRST_CHAT, "Fictieve oproep")
    sent(FIRST_CHAT, "Fictieve oproep")  # delivered twice
    found = figures(count(api), questions=4, recipients=2)
    assert (found["answered"], found["lost"], found["answered_twice"]) == (2, 2, 1)
    assert (found["apologies"], found["no_reply"]) == (1, 1)
    assert (found["reached"], found["not_reached"], found["delivered_twice"]) == (1, 1, 1)
