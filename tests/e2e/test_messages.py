"""Messages as people type them, end to end (issue 18): small talk, follow-ups in a private chat and in
a group with /vraag, and the "Zie ook" buttons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.engine import SessionFactory
from db.models import Question
from handlers.general import HELP
from tests.bot_runner import BotRunner
from tests.fake_bot_api import FakeBotAPI, buttons

ALICE = FakeBotAPI.user(7301, "Fictieve Anna")
BOB = FakeBotAPI.user(7302, "Fictieve Bram")
GROUP: dict[str, Any] = {"id": -100730, "type": "supergroup", "title": "Fictieve mentorengroep"}


async def test_small_talk_gets_a_kind_reply_and_is_no_question(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    hello = await api.ask(ALICE, "hoi")
    assert hello["text"].startswith("Hallo!")
    thanks = await api.ask(ALICE, "top bedankt 👍")
    assert thanks["text"].startswith("Graag gedaan")
    assert buttons(thanks) == []  # no 👍/👎 under small talk
    who = await api.ask(ALICE, "wie ben jij?")
    assert "bot" in who["text"]
    helped = await api.ask(ALICE, "help")
    assert helped["text"] == HELP
    for reply in (hello, thanks, who, helped):
        assert "weet ik helaas niet" not in reply["text"]
    await bot.wait_idle()
    async with db() as session:
        assert list(await session.scalars(select(Question))) == []  # never in /vragen or /stats


async def test_a_follow_up_in_a_private_chat_is_read_against_the_previous_question(
    api: FakeBotAPI, bot: BotRunner
) -> None:
    first = await api.ask(ALICE, "wat doet een schoolopleider?")
    assert first["text"].startswith("Schoolopleider")
    assert "a:rol:mentor" in buttons(first)  # "Zie ook: Mentor"
    there = await api.ask(ALICE, "en in Groningen?")
    assert there["text"].startswith("Schoolopleider")
    assert "opleidingscluster" in there["text"]
    who = await api.ask(ALICE, "en wie ondersteunt die?")
    assert who["text"].startswith("Bovenschools opleidingscoördinator")
    # Someone else's private chat has its own context.
    other = await api.ask(BOB, "en wie ondersteunt die?")
    assert not other["text"].startswith("Bovenschools opleidingscoördinator")


async def test_a_follow_up_with_vraag_in_a_group(api: FakeBotAPI, bot: BotRunner) -> None:
    api.send_text(ALICE, "/vraag wat doet een schoolopleider?", chat=GROUP)
    first = await api.reply(GROUP["id"], 0)
    assert first["text"].startswith("Schoolopleider")
    api.send_text(BOB, "/vraag en wie ondersteunt die?", chat=GROUP)
    second = await api.reply(GROUP["id"], 1)
    assert second["text"].startswith("Bovenschools opleidingscoördinator")


async def test_a_see_also_button_answers_that_entry(api: FakeBotAPI, bot: BotRunner) -> None:
    first = await api.ask(ALICE, "wat is intervisie")
    [see_also, *_] = [b for b in buttons(first) if b.startswith("a:")]
    before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, first, see_also)
    picked = await api.reply(ALICE["id"], before)
    assert not picked["text"].startswith("Intervisie")
    assert "weet ik helaas niet" not in picked["text"]


async def test_forget_me_also_forgets_the_previous_question(api: FakeBotAPI, bot: BotRunner) -> None:
    await api.ask(ALICE, "wat doet een schoolopleider?")
    confirm = await api.ask(ALICE, "/vergeetmij")
    api.press(ALICE, confirm, "v:ja")
    key = (ALICE["id"], confirm["message_id"])
    await api.wait_until(lambda: api.messages[key]["text"].startswith("Klaar: ik heb je profiel"))
    after = await api.ask(ALICE, "en wie ondersteunt die?")
    assert not after["text"].startswith("Bovenschools opleidingscoördinator")
