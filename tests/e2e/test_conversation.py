"""Conversation details that tripped real users, end to end against the fake Bot API."""

from __future__ import annotations

from db.engine import SessionFactory
from db.repositories import UserRepository
from tests.bot_runner import BotRunner
from tests.fake_bot_api import FakeBotAPI, buttons

ALICE = FakeBotAPI.user(7201, "Fictieve Anna")
PHOTO = [{"file_id": "p1", "file_unique_id": "u1", "width": 1, "height": 1}]


async def until_school_is_asked(api: FakeBotAPI, partnership: str) -> None:
    welcome = await api.ask(ALICE, "/start")
    key = (ALICE["id"], welcome["message_id"])
    api.press(ALICE, welcome, f"p:{partnership}")
    await api.wait_until(lambda: "Wat is je rol?" in api.messages[key]["text"])
    api.press(ALICE, api.messages[key], "r:mentor")
    await api.wait_until(lambda: "Typ de naam van de school" in api.messages[key]["text"])


async def test_a_question_while_the_school_is_asked_is_answered_and_the_school_asked_again(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await until_school_is_asked(api, "groningen-kop-van-drenthe")
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "Wat doet een schoolopleider?")
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= before + 2)
    answer, again = api.sent_to(ALICE["id"])[before : before + 2]
    assert answer["text"].startswith("Schoolopleider")
    assert again["text"].startswith("Dan nog je profiel: op welke school")
    assert "s:-" in buttons(again)
    saved = await api.ask(ALICE, "wegwijzer")
    assert saved["text"].startswith("School opgeslagen: KC De Wegwijzer")
    async with db() as session:
        user = await UserRepository(session).get(ALICE["id"])
        assert user is not None
        assert user.school_name == "KC De Wegwijzer (Westerbork)"


async def test_a_poo_mentor_saves_a_school_the_knowledge_base_does_not_list(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await until_school_is_asked(api, "poo-marnix")
    saved = await api.ask(ALICE, "De Regenboog")
    assert saved["text"].startswith("School opgeslagen: De Regenboog")
    async with db() as session:
        user = await UserRepository(session).get(ALICE["id"])
        assert user is not None
        assert (user.school_name, user.school_id) == ("De Regenboog", None)


async def test_a_question_in_a_photo_caption_is_answered(api: FakeBotAPI, bot: BotRunner) -> None:
    api.send_other(ALICE, "photo", PHOTO, caption="wat is intervisie")
    answer = await api.reply(ALICE["id"], 0)
    assert answer["text"].startswith("Intervisie")


async def test_an_edited_question_is_answered_again_once(api: FakeBotAPI, bot: BotRunner) -> None:
    message_id = api.send_text(ALICE, "wat is scorion")
    first = await api.reply(ALICE["id"], 0)
    assert first["text"].startswith("Scorion")
    api.send_text(ALICE, "wat is intervisie", edited=True, message_id=message_id)
    second = await api.reply(ALICE["id"], 1)
    assert second["text"].startswith("Intervisie")
    api.send_text(ALICE, "wat is intervisie", edited=True, message_id=message_id)  # same text again
    await bot.wait_idle()
    assert len(api.sent_to(ALICE["id"])) == 2
