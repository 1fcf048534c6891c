"""Coordinator rights end to end: COORDINATOR_IDS, /coordinator with confirmation, and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from db.engine import SessionFactory
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, BOB, onboard
from tests.fake_bot_api import FakeBotAPI, buttons

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")
REFUSAL = "alleen voor coördinatoren"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Alice coordinates poo-marnix from the start; nobody else has a right."""
    return {"coordinator_ids": f"{ALICE['id']}:poo-marnix"}


async def test_a_coordinator_makes_someone_of_the_partnership_coordinator_after_confirming(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "een fictieve school")

    picked = await api.ask(ALICE, "/coordinator fictieve")
    assert picked["text"] == "Wie bedoel je?"
    # Only people of Alice's own partnership are offered: Carla is not.
    assert buttons(picked) == [f"co:kies:{ALICE['id']}", f"co:kies:{BOB['id']}"]
    key = (ALICE["id"], picked["message_id"])
    api.press(ALICE, picked, f"co:kies:{BOB['id']}")
    await api.wait_until(lambda: "Wil je Fictieve Bram coördinator maken" in api.messages[key]["text"])
    api.press(ALICE, api.messages[key], f"co:ja:{BOB['id']}")
    await api.wait_until(lambda: api.messages[key]["text"].startswith("Klaar: Fictieve Bram is nu coördinator"))

    # Bob now has the coordinator menu in his chat, and can use /coordinator himself.
    def scoped_to_bob() -> bool:
        scopes = [c.params.get("scope") for c in api.calls_to("setMyCommands")]
        return {"type": "chat", "chat_id": BOB["id"]} in scopes

    await api.wait_until(scoped_to_bob)
    answer = await api.ask(BOB, "/coordinator")
    assert "Stuur /coordinator gevolgd door" in answer["text"]


async def test_everyone_else_gets_a_polite_refusal_and_nothing_happens(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    # Bob picked the role "coördinator" in onboarding: that grants nothing.
    await onboard(api, BOB, "poo-marnix", "coordinator", None)
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "een fictieve school")

    refused = await api.ask(BOB, "/coordinator Carla")
    assert REFUSAL in refused["text"]
    # A forged "ja" button for himself, under any message of his chat: refused, no right appears.
    last = api.sent_to(BOB["id"])[-1]
    api.press(BOB, last, f"co:ja:{BOB['id']}", forged=True)
    await bot.wait_idle()
    answers = [c.params.get("text", "") for c in api.calls_to("answerCallbackQuery")]
    assert any(REFUSAL in text for text in answers)
    again = await api.ask(BOB, "/coordinator")
    assert REFUSAL in again["text"]

    # Alice cannot reach Carla of another partnership, not even with forged data.
    picked = await api.ask(ALICE, "/coordinator Carla")
    assert "Ik vind niemand" in picked["text"]
    api.press(ALICE, picked, f"co:ja:{CAROL['id']}", forged=True)
    await bot.wait_idle()
    assert "hoort niet (meer) bij je partnerschap" in api.messages[(ALICE["id"], picked["message_id"])]["text"]
    refused_for_carol = await api.ask(CAROL, "/coordinator")
    assert REFUSAL in refused_for_carol["text"]


async def test_a_forgotten_coordinator_loses_the_right_and_the_menu(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    confirm = await api.ask(ALICE, "/vergeetmij")
    api.press(ALICE, confirm, "v:ja")
    await api.wait_until(lambda: {"type": "chat", "chat_id": ALICE["id"]} in _deleted_menus(api))
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    refused = await api.ask(ALICE, "/coordinator")
    assert REFUSAL in refused["text"]


def _deleted_menus(api: FakeBotAPI) -> list[Any]:
    return [c.params.get("scope") for c in api.calls_to("deleteMyCommands")]
