"""The fake Bot API answers like Telegram: PTB's own Bot turns its answers into the same errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter

from tests.fake_bot_api import TOKEN, FakeBotAPI

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as client:
        yield client


async def test_message_ids_count_per_chat(api: FakeBotAPI, bot: Bot) -> None:
    first = await bot.send_message(1, "een")
    other = await bot.send_message(2, "ander")
    second = await bot.send_message(1, "twee")
    assert (first.message_id, other.message_id, second.message_id) == (1, 1, 2)


async def test_chat_types_follow_the_id(api: FakeBotAPI, bot: Bot) -> None:
    assert (await bot.send_message(-1001234, "x")).chat.type == "supergroup"
    assert (await bot.send_message(-4321, "x")).chat.type == "group"
    assert (await bot.send_message(4321, "x")).chat.type == "private"


async def test_blocked_deactivated_unknown_and_migrated_chats(api: FakeBotAPI, bot: Bot) -> None:
    api.blocked_chats.add(10)
    api.deactivated_chats.add(11)
    api.unknown_chats.add(12)
    api.migrated_chats[-13] = -10013
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(10, "x")
    with pytest.raises(Forbidden, match="deactivated"):
        await bot.send_message(11, "x")
    with pytest.raises(BadRequest, match="not found"):
        await bot.send_message(12, "x")
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-13, "x")
    assert migrated.value.new_chat_id == -10013


async def test_per_chat_and_per_group_limits(api: FakeBotAPI, bot: Bot) -> None:
    api.chat_limit_per_second = 1
    api.group_limit_per_minute = 20
    await bot.send_message(20, "een")
    with pytest.raises(RetryAfter):
        await bot.send_message(20, "twee")
    await bot.send_message(21, "een andere chat mag wel")
    for number in range(20):
        await bot.send_message(-2000, f"groep {number}")
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(-2000, "een te veel")
    assert int(limited.value.retry_after) > 1  # type: ignore[arg-type]  # seconds (int), or timedelta in PTB 23


async def test_a_second_poller_gets_409(api: FakeBotAPI, bot: Bot) -> None:
    api.conflict = True
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)


async def test_documents_and_photos_are_kept(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_document(
        30, b"BEGIN:VCALENDAR", filename="agenda.ics", caption="<b>Agenda</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.document.file_name == "agenda.ics"
    assert sent.caption == "Agenda"
    assert api.uploads[sent.document.file_id].content == b"BEGIN:VCALENDAR"
    photo = await bot.send_photo(30, PNG, caption="grafiek")
    assert api.uploads[photo.photo[-1].file_id].content == PNG
    with pytest.raises(BadRequest):
        await bot.send_photo(30, b"geen plaatje")


async def test_a_reply_to_a_deleted_message_needs_allow_sending_without_reply(api: FakeBotAPI, bot: Bot) -> None:
    user = FakeBotAPI.user(21)
    question = api.send_text(user, "vraag", chat={"id": -1005, "type": "supergroup", "title": "Fictief"})
    await bot.send_message(-1005, "antwoord", reply_parameters=ReplyParameters(question))
    api.delete(-1005, question)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(-1005, "antwoord", reply_parameters=ReplyParameters(question))
    sent = await bot.send_message(
        -1005, "antwoord", reply_parameters=ReplyParameters(question, allow_sending_without_reply=True)
    )
    assert sent.text == "antwoord"


async def test_an_edit_that_changes_nothing_is_refused(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(1, "tekst")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("tekst", 1, sent.message_id)
