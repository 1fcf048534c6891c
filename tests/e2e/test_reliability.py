"""Reliability against the fake Bot API: crash leftovers handled once, floods kept to their own chat."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.context import SERVICES_KEY
from bot.settings import Settings
from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import upgrade
from db.models import InboxUpdate, utcnow
from db.repositories import ChatRepository, UserRepository
from knowledge import Matcher
from tests.bot_runner import BotRunner
from tests.fake_bot_api import FakeBotAPI

ALICE = FakeBotAPI.user(7101, "Fictieve Anna")
BOB = FakeBotAPI.user(7102, "Fictieve Bram")


@pytest.fixture
async def prepared(settings: Settings) -> AsyncIterator[SessionFactory]:
    """The bot's database, migrated, before the bot starts: to leave what a crash would leave."""
    engine = create_engine(settings.effective_database_url)
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


def question_update(update_id: int, user: dict[str, Any], text: str) -> dict[str, Any]:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": chat, "from": user, "text": text},
    }


async def leave_in_inbox(db: SessionFactory, update: dict[str, Any], outcome: str | None = None) -> None:
    user_id = update["message"]["from"]["id"]
    async with db.begin() as session:
        session.add(
            InboxUpdate(
                update_id=update["update_id"],
                user_id=user_id,
                chat_id=user_id,
                payload=json.dumps(update),
                outcome=outcome,
                received_at=utcnow(),
            )
        )


async def inbox_size(db: SessionFactory) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(InboxUpdate))).scalar_one())


async def test_updates_a_crash_left_are_answered_once_after_the_restart(
    api: FakeBotAPI, settings: Settings, matcher: Matcher, prepared: SessionFactory
) -> None:
    left = question_update(900, ALICE, "wat is intervisie")
    await leave_in_inbox(prepared, left)
    api.pending.append(left)  # not yet confirmed to Telegram either: it comes again
    runner = BotRunner(api, settings, matcher)
    await runner.start()
    try:
        answer = await api.reply(ALICE["id"], 0)
        assert answer["text"].startswith("Intervisie")
        await runner.wait_idle()
        assert len(api.sent_to(ALICE["id"])) == 1
        assert await inbox_size(prepared) == 0
    finally:
        await runner.stop()


async def test_a_school_name_saved_before_the_crash_is_confirmed_after_it(
    api: FakeBotAPI, settings: Settings, matcher: Matcher, prepared: SessionFactory
) -> None:
    async with prepared.begin() as session:
        await ChatRepository(session).upsert(ALICE["id"], "private", None)
        await UserRepository(session).upsert(ALICE["id"], "Fictieve Anna", private_chat_id=ALICE["id"])
        user = await UserRepository(session).get(ALICE["id"])
        assert user is not None
        user.partnership, user.role, user.school_name = "groningen-kop-van-drenthe", "mentor", "KC De Wegwijzer"
    await leave_in_inbox(prepared, question_update(901, ALICE, "wegwijzer"), outcome="school")
    runner = BotRunner(api, settings, matcher)
    await runner.start()
    try:
        confirmation = await api.reply(ALICE["id"], 0)
        assert confirmation["text"].startswith("School opgeslagen: KC De Wegwijzer")
        await runner.wait_idle()
        assert len(api.sent_to(ALICE["id"])) == 1  # not also answered as a question
        assert await inbox_size(prepared) == 0
    finally:
        await runner.stop()


# The pacing is what is tested here: Telegram's limits and the pacing both a quarter of a second, so
# the test takes a quarter of the time and the proportions stay as in production.
@pytest.mark.parametrize("extra_settings", [{"chat_pacing_seconds": 0.25}])
async def test_a_flooding_user_is_told_once_and_does_not_hold_up_others(
    api: FakeBotAPI, bot: BotRunner, error_log: Any
) -> None:
    api.flood_limit = 30
    api.chat_limit_per_second = 4
    for number in range(150):
        api.send_text(BOB, f"wat is intervisie {number}")
    await api.wait_until(lambda: api.sent_to(BOB["id"]))
    api.send_text(ALICE, "wat is scorion")
    answer = await api.reply(ALICE["id"], 0)
    assert answer["text"].startswith("Scorion")
    bob_so_far = len(api.sent_to(BOB["id"]))
    await api.wait_until(bot.idle, 30)  # Bram's answers go out at about one a second
    await bot.wait_idle()
    to_bob = [m["text"] for m in api.sent_to(BOB["id"])]
    assert bob_so_far < len(to_bob)  # Anna was answered while Bram's answers were still going out
    assert sum("erg veel berichten" in text for text in to_bob) == 1
    assert len(to_bob) == 15 + 1  # the limit's worth of answers and one notice; the rest ignored
    assert [c for c in api.calls if c.status == 429] == []
    assert error_log.records == []


async def test_while_the_database_is_unreachable_help_and_questions_are_still_answered(
    api: FakeBotAPI, bot: BotRunner, error_log: Any
) -> None:
    answer = await ask_and_wait(api, ALICE, "wat is intervisie")  # Anna's profile is now known
    assert answer.startswith("Intervisie")
    services = bot.application.bot_data[SERVICES_KEY]
    unreachable = create_engine("postgresql+asyncpg://fictief@127.0.0.1:9/niets")
    working = services.writes.sessions
    services.writes.sessions = session_factory(unreachable)
    object.__setattr__(services, "sessions", session_factory(unreachable))
    try:
        assert "Wat doet een schoolopleider?" in await ask_and_wait(api, BOB, "/help")
        assert (await ask_and_wait(api, ALICE, "wat is scorion")).startswith("Scorion")
        assert (await ask_and_wait(api, BOB, "wat is lesson study")).startswith("Lesson study")
    finally:
        services.writes.sessions = working
        object.__setattr__(services, "sessions", working)
        await unreachable.dispose()
    assert not any(m["text"].startswith("Sorry") for m in api.sent_to(ALICE["id"]) + api.sent_to(BOB["id"]))
    error_log.records.clear()  # the failed writes are logged as warnings and retried, not errors


async def ask_and_wait(api: FakeBotAPI, user: dict[str, Any], text: str) -> str:
    before = len(api.sent_to(user["id"]))
    api.send_text(user, text)
    return str((await api.reply(user["id"], before))["text"])


async def test_a_locked_sqlite_database_gets_a_busy_message_not_silence(
    api: FakeBotAPI, settings: Settings, matcher: Matcher, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's lock: the embedded database only")
    monkeypatch.setattr("db.engine.SQLITE_LOCK_WAIT_SECONDS", 0.3)
    runner = BotRunner(api, settings, matcher)
    await runner.start()
    path = make_url(database_url).database
    assert path is not None
    other_process = sqlite3.connect(path, isolation_level=None)
    try:
        other_process.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        api.send_text(ALICE, "/start")
        reply = await api.reply(ALICE["id"], 0)
        assert reply["text"] == "Ik ben even druk, probeer het zo nog eens."
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
        await runner.stop()


async def test_a_429_for_one_chat_makes_only_that_chat_wait(api: FakeBotAPI, bot: BotRunner, error_log: Any) -> None:
    """PTB's limiter would hold back every chat while it waits out one chat's 429; here only that chat waits."""
    api.rate_limit_next, api.retry_after = 1, 3
    api.send_text(ALICE, "wat is intervisie")  # the answer to Anna gets the 429
    await api.wait_until(lambda: [c for c in api.calls if c.status == 429])
    api.send_text(BOB, "wat is scorion")
    assert (await api.reply(BOB["id"], 0)).get("text", "").startswith("Scorion")
    assert api.sent_to(ALICE["id"]) == []  # Bram did not wait behind Anna's retry_after
    assert (await api.reply(ALICE["id"], 0)).get("text", "").startswith("Intervisie")
    assert len(api.sent_to(ALICE["id"])) == 1
    assert error_log.records == []


CAROL = FakeBotAPI.user(7103, "Fictieve Carla")


@pytest.mark.parametrize("extra_settings", [{"chat_pacing_seconds": 0.25}])  # production's 1 s, scaled
async def test_new_users_are_answered_while_a_flood_of_another_user_is_still_going_out(
    api: FakeBotAPI, bot: BotRunner, error_log: Any
) -> None:
    """The black-box scenario: no waiting between the flood and the others, who are new to the bot."""
    api.flood_limit = 30
    api.chat_limit_per_second = 4  # Telegram: about one message per second in one chat (scaled as the pacing)
    for number in range(150):
        api.send_text(BOB, f"wat is intervisie {number}")
    api.send_text(ALICE, "wat is lesson study?")
    api.send_text(CAROL, "/help")
    answer = await api.reply(ALICE["id"], 0, timeout=60)
    help_text = await api.reply(CAROL["id"], 0, timeout=60)
    bob_so_far = len(api.sent_to(BOB["id"]))
    assert answer["text"].startswith("Lesson study")
    assert "Wat doet een schoolopleider?" in help_text["text"]
    await api.wait_until(bot.idle, 60)
    await bot.wait_idle()
    assert bob_so_far < len(api.sent_to(BOB["id"]))  # answered before the flood's answers were all out
    assert [c for c in api.calls if c.status == 429] == []
    assert error_log.records == []


async def test_an_answer_that_meets_429s_twice_still_arrives_once(
    api: FakeBotAPI, bot: BotRunner, error_log: Any
) -> None:
    """Two instances sending at once can exceed Telegram's 30/s for a moment: no answer may get lost."""
    api.rate_limit_next, api.retry_after = 2, 1
    api.send_text(ALICE, "wat is intervisie")
    answer = await api.reply(ALICE["id"], 0)
    assert answer["text"].startswith("Intervisie")
    await bot.wait_idle()
    assert len(api.sent_to(ALICE["id"])) == 1
    assert len([c for c in api.calls if c.status == 429]) == 2
    assert error_log.records == []
