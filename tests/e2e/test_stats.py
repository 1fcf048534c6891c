"""/stats end to end: the figures of the coordinator's partnership, other periods by button (the
message is edited), and the chart sent as a real PNG photo; everyone else is refused."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from db.engine import SessionFactory
from db.models import Question
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, BOB, onboard
from tests.fake_bot_api import FakeBotAPI, buttons

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")
REFUSAL = "alleen voor coördinatoren"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {"coordinator_ids": f"{ALICE['id']}:poo-marnix,{CAROL['id']}:groningen-kop-van-drenthe"}


async def wait_logged(db: SessionFactory, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db() as session:
            if (await session.execute(select(func.count()).select_from(Question))).scalar_one() >= count:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the questions were not logged")


async def test_a_coordinator_gets_the_figures_and_the_chart(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "een fictieve school")
    await api.ask(BOB, "Wat is intervisie?")
    await api.ask(BOB, "Xqzv blorp fnarg?")
    await api.ask(CAROL, "Wat is intervisie?")
    await wait_logged(db, 3)  # the question log is written behind the answers

    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "/stats")
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= before + 2)
    text, photo = api.sent_to(ALICE["id"])[before : before + 2]
    assert "Statistieken" in text["text"]
    assert "Gebruikers: 2" in text["text"]  # Carla is of another partnership
    assert "• mentor: 1" in text["text"]
    assert "Gesteld: 2 · beantwoord: 1 · zonder antwoord: 1" in text["text"]
    assert "Xqzv blorp fnarg? (1×)" in text["text"]
    assert "Fictieve Bram" not in text["text"]  # no names
    assert buttons(text) == ["st:7", "st:30", "st:365"]
    assert "de laatste 30 dagen" in text["text"]

    [call] = [c for c in api.calls_to("sendPhoto") if c.status == 200]
    assert call.params["photo"].content.startswith(PNG)
    assert call.params["photo"].file_name.endswith(".png")
    assert "Vragen per week" in photo["caption"]

    api.press(ALICE, text, "st:365")
    key = (ALICE["id"], text["message_id"])
    await api.wait_until(lambda: "het laatste jaar" in api.messages[key]["text"])
    assert "✅ 365 dagen" in [b["text"] for row in api.messages[key]["reply_markup"]["inline_keyboard"] for b in row]


async def test_everyone_else_is_refused(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, BOB, "poo-marnix", "coordinator", None)
    refused = await api.ask(BOB, "/stats")
    assert REFUSAL in refused["text"]
    api.press(BOB, refused, "st:7", forged=True)
    await bot.wait_idle()
    assert any(REFUSAL in c.params.get("text", "") for c in api.calls_to("answerCallbackQuery"))
    assert api.calls_to("sendPhoto") == []
