"""A 429 in the middle of a multi-part answer: the user gets every part once, in order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import SessionFactory
from db.models import Question
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import knowledge_with_a_long_answer
from tests.fake_bot_api import FakeBotAPI, buttons

ALICE = FakeBotAPI.user(7201, "Fictieve Anna")
PARAGRAPHS = 12


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """The real knowledge base plus one fictional entry of about 10 000 characters: three parts."""
    filler = "Een zin die alleen ruimte vult in dit fictieve antwoord. " * 14
    return knowledge_with_a_long_answer(
        tmp_path, [f"Fictieve alinea {number:02d}. {filler}" for number in range(1, PARAGRAPHS + 1)]
    )


def paragraphs_in(parts: list[dict[str, Any]]) -> list[int]:
    return [int(number) for part in parts for number in re.findall(r"Fictieve alinea (\d+)\.", part["text"])]


async def questions_logged(db: SessionFactory, user_id: int) -> int:
    async with db() as session:
        return len((await session.scalars(select(Question).where(Question.user_id == user_id))).all())


@pytest.mark.parametrize("failing_part", [2, 3])
async def test_a_429_on_a_later_part_sends_only_that_part_and_the_rest_again(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any, failing_part: int
) -> None:
    api.rate_limit_after, api.rate_limit_next, api.retry_after = failing_part - 1, 1, 1
    api.send_text(ALICE, "heel lang antwoord")
    await api.wait_until(lambda: any(buttons(m) for m in api.sent_to(ALICE["id"])))
    await bot.wait_idle()
    parts = api.sent_to(ALICE["id"])
    assert len(parts) == 3
    assert paragraphs_in(parts) == list(range(1, PARAGRAPHS + 1))  # each part once, in order, nothing lost
    assert [bool(buttons(part)) for part in parts] == [False, False, True]
    statuses = [call.status for call in api.calls_to("sendMessage")]
    assert statuses == [200] * (failing_part - 1) + [429] + [200] * (4 - failing_part)
    assert await questions_logged(db, ALICE["id"]) == 1  # the question is logged once
    assert error_log.records == []


@pytest.mark.parametrize("extra_settings", [{"reply_retry_seconds": 2}])
async def test_an_answer_that_keeps_meeting_429s_ends_in_an_apology_without_repeating_a_part(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    """After the last retry the user hears that something went wrong; what already arrived is not sent again."""
    api.rate_limit_after, api.rate_limit_next, api.retry_after = 1, 3, 1  # the second part: 1 try + 2 retries of 1.1 s
    api.send_text(ALICE, "heel lang antwoord")
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= 2, 30)
    await bot.wait_idle()
    parts = api.sent_to(ALICE["id"])
    assert paragraphs_in(parts) == paragraphs_in(parts[:1])  # the first part, once
    assert parts[-1]["text"].startswith("Sorry, er ging iets mis")
    assert await questions_logged(db, ALICE["id"]) == 1
