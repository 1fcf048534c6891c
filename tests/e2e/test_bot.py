"""The real bot, started as in production, against the local fake Bot API."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.context import SERVICES_KEY
from bot.jobs import PURGE_QUESTIONS
from db.engine import SessionFactory
from db.models import Chat, InboxUpdate, Question, utcnow
from db.repositories import QuestionRepository, UserRepository
from knowledge import Matcher, load_knowledge_base
from tests.bot_runner import BotRunner
from tests.fake_bot_api import BOT, FakeBotAPI, buttons

ALICE = FakeBotAPI.user(7001, "Fictieve Anna")
BOB = FakeBotAPI.user(7002, "Fictieve Bram")
GROUP: dict[str, Any] = {"id": -100500, "type": "supergroup", "title": "Fictieve mentorengroep"}


async def chat_is_inactive(db: SessionFactory, chat_id: int, timeout: float = 10.0) -> bool:
    """Whether the bot marks the chat inactive within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db() as session:
            chat = await session.get(Chat, chat_id)
            if chat is not None and not chat.active:
                return True
        await asyncio.sleep(0.02)
    return False


async def onboard(api: FakeBotAPI, user: dict[str, Any], partnership: str, role: str, school: str | None) -> None:
    welcome = await api.ask(user, "/start")
    api.press(user, welcome, f"p:{partnership}")
    await api.wait_until(lambda: "Wat is je rol?" in api.messages[(user["id"], welcome["message_id"])]["text"])
    api.press(user, api.messages[(user["id"], welcome["message_id"])], f"r:{role}")
    await api.wait_until(lambda: "Rol:" in api.messages[(user["id"], welcome["message_id"])]["text"])
    if school is not None:
        saved = await api.ask(user, school)
        assert "School opgeslagen" in saved["text"]


async def test_start_registers_commands_and_onboards(api: FakeBotAPI, bot: BotRunner) -> None:
    [commands] = [c for c in api.calls_to("setMyCommands") if c.status == 200]
    names = {c["command"] for c in commands.params["commands"]}
    assert {"start", "help", "privacy", "vergeetmij", "profiel", "vraag"} <= names

    welcome = await api.ask(ALICE, "/start")
    assert "Bij welk partnerschap hoor je?" in welcome["text"]
    assert set(buttons(welcome)) == {"p:poo-marnix", "p:groningen-kop-van-drenthe", "p:geen"}

    api.press(ALICE, welcome, "p:groningen-kop-van-drenthe")
    key = (ALICE["id"], welcome["message_id"])
    await api.wait_until(lambda: "Wat is je rol?" in api.messages[key]["text"])
    assert "r:coordinator" in buttons(api.messages[key])
    api.press(ALICE, api.messages[key], "r:mentor")
    await api.wait_until(lambda: "Typ de naam van de school" in api.messages[key]["text"])

    saved = await api.ask(ALICE, "wegwijzer")
    assert "School opgeslagen: KC De Wegwijzer (Westerbork)" in saved["text"]

    profile = await api.ask(ALICE, "/profiel")
    assert "Partnerschap: PO Partnerschap Samen Opleiden" in profile["text"]
    assert "Rol: mentor" in profile["text"]
    assert "School: KC De Wegwijzer (Westerbork)" in profile["text"]


async def test_ambiguous_school_name_offers_choices(api: FakeBotAPI, bot: BotRunner) -> None:
    welcome = await api.ask(BOB, "/start")
    api.press(BOB, welcome, "p:groningen-kop-van-drenthe")
    key = (BOB["id"], welcome["message_id"])
    await api.wait_until(lambda: "Wat is je rol?" in api.messages[key]["text"])
    api.press(BOB, api.messages[key], "r:student")
    await api.wait_until(lambda: "school" in api.messages[key]["text"])
    choice = await api.ask(BOB, "de regenboog")
    assert "Welke bedoel je?" in choice["text"]
    assert "s:school:ckc-de-regenboog-assen" in buttons(choice)
    api.press(BOB, choice, "s:school:ckc-de-regenboog-assen")
    await api.wait_until(lambda: "CKC De Regenboog (Assen)" in api.messages[(BOB["id"], choice["message_id"])]["text"])


async def test_question_answer_and_feedback(api: FakeBotAPI, bot: BotRunner, db: SessionFactory) -> None:
    answer = await api.ask(ALICE, "wat doet een SOL")
    assert answer["text"].startswith("Schoolopleider (SOL)")
    feedback = [b for b in buttons(answer) if b.startswith("f:")]
    assert len(feedback) == 2
    see_also = [b for b in buttons(answer) if b.startswith("a:")]
    assert "a:rol:instituutsopleider" in see_also
    api.press(ALICE, answer, feedback[0])
    key = (ALICE["id"], answer["message_id"])
    # The thumbs go once pressed; the "Zie ook" buttons stay.
    await api.wait_until(lambda: not any(b.startswith("f:") for b in buttons(api.messages[key])))
    assert [b for b in buttons(api.messages[key]) if b.startswith("a:")] == see_also
    thanks = [c for c in api.calls_to("answerCallbackQuery") if c.params.get("text")]
    assert thanks[-1].params["text"] == "Bedankt voor je feedback!"
    async with db() as session:
        [row] = await QuestionRepository(session).for_user(ALICE["id"])
        assert (row.question, row.matched, row.feedback) == ("wat doet een SOL", "rol:schoolopleider", 1)


async def test_a_double_tap_on_feedback_edits_once(api: FakeBotAPI, bot: BotRunner) -> None:
    answer = await api.ask(ALICE, "wat doet een SOL")
    thumbs_up = next(b for b in buttons(answer) if b.startswith("f:"))
    api.press(ALICE, answer, thumbs_up)
    api.press(ALICE, answer, thumbs_up)  # both taps carry the message as it was before the edit
    await api.wait_until(lambda: len(api.calls_to("answerCallbackQuery")) >= 2)
    await bot.wait_idle()
    assert len(api.calls_to("editMessageReplyMarkup")) == 1  # not a second edit that Telegram refuses
    assert [c for c in api.calls if c.status == 400] == []


async def test_feedback_by_someone_else_is_refused(api: FakeBotAPI, bot: BotRunner, db: SessionFactory) -> None:
    answer = await api.ask(ALICE, "wat is intervisie")
    thumbs_down = next(b for b in buttons(answer) if b.endswith(":-1"))
    api.press(BOB, answer, thumbs_down)
    await api.wait_until(
        lambda: any("Alleen wie" in str(c.params.get("text")) for c in api.calls_to("answerCallbackQuery"))
    )
    async with db() as session:
        [row] = await QuestionRepository(session).for_user(ALICE["id"])
        assert row.feedback is None


async def test_help_lists_what_the_bot_does_and_its_commands(api: FakeBotAPI, bot: BotRunner) -> None:
    reply = await api.ask(ALICE, "/help")
    assert "Wat doet een schoolopleider?" in reply["text"]
    for command in ("/start", "/profiel", "/privacy", "/vergeetmij", "/vraag"):
        assert command in reply["text"]


async def test_privacy_says_what_is_kept_and_for_how_long(api: FakeBotAPI, settings: Any, bot: BotRunner) -> None:
    reply = await api.ask(ALICE, "/privacy")
    assert f"Vragen bewaar ik {settings.question_retention_days} dagen" in reply["text"]
    assert "/vergeetmij" in reply["text"]


async def test_profile_without_a_profile_says_how_to_start(api: FakeBotAPI, bot: BotRunner) -> None:
    reply = await api.ask(ALICE, "/profiel")
    assert reply["text"] == "Je hebt nog geen profiel. Met /start stel je het in: partnerschap, rol en school."


async def test_school_can_be_skipped(api: FakeBotAPI, bot: BotRunner, db: SessionFactory) -> None:
    welcome = await api.ask(ALICE, "/start")
    key = (ALICE["id"], welcome["message_id"])
    api.press(ALICE, welcome, "p:poo-marnix")
    await api.wait_until(lambda: "Wat is je rol?" in api.messages[key]["text"])
    api.press(ALICE, api.messages[key], "r:mentor")
    await api.wait_until(lambda: "Typ de naam van de school" in api.messages[key]["text"])
    api.press(ALICE, api.messages[key], "s:-")
    await api.wait_until(lambda: api.messages[key]["text"].startswith("Geen school opgeslagen."))
    answer = await api.ask(ALICE, "wat is intervisie")  # no longer taken for a school name
    assert answer["text"].startswith("Intervisie")
    async with db() as session:
        user = await UserRepository(session).get(ALICE["id"])
        assert user is not None
        assert (user.role, user.school_name, user.awaiting) == ("mentor", None, None)


async def test_daily_purge_job_removes_questions_past_the_retention_period(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await api.ask(ALICE, "wat is intervisie")
    await api.ask(ALICE, "wat is scorion")
    await bot.wait_idle()
    async with db.begin() as session:
        [old, _] = await QuestionRepository(session).for_user(ALICE["id"])
        old.created_at = utcnow() - timedelta(days=181)
    [job] = bot.application.job_queue.get_jobs_by_name(PURGE_QUESTIONS)
    assert bot.loop is not None
    assert job.trigger.interval == timedelta(days=1)
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(job.run(bot.application), bot.loop))
    async with db() as session:
        left = await QuestionRepository(session).for_user(ALICE["id"])
    assert [q.question for q in left] == ["wat is scorion"]


async def test_fallback_suggestion_button_answers_that_entry(api: FakeBotAPI, bot: BotRunner) -> None:
    fallback = await api.ask(ALICE, "gesprek met mijn begeleider")
    assert fallback["text"].startswith("Dat weet ik helaas niet.")
    assert "a:begrip:driehoeksgesprek" in buttons(fallback)
    before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, fallback, "a:begrip:driehoeksgesprek")
    answer = await api.reply(ALICE["id"], before)
    assert answer["text"].startswith("Driehoeksgesprek")
    assert any(b.startswith("f:") for b in buttons(answer))


async def test_out_of_scope_question_is_answered_honestly(api: FakeBotAPI, bot: BotRunner) -> None:
    answer = await api.ask(ALICE, "Wie won het WK voetbal in 2010?")
    assert answer["text"].startswith("Dat weet ik helaas niet.")


async def test_forget_me_deletes_everything(api: FakeBotAPI, bot: BotRunner, db: SessionFactory) -> None:
    await onboard(api, ALICE, "poo-marnix", "schoolopleider", "een fictieve school")
    await api.ask(ALICE, "wat is lesson study")
    confirm = await api.ask(ALICE, "/vergeetmij")
    assert set(buttons(confirm)) == {"v:ja", "v:nee"}
    api.press(ALICE, confirm, "v:ja")
    key = (ALICE["id"], confirm["message_id"])
    await api.wait_until(lambda: api.messages[key]["text"].startswith("Klaar: ik heb je profiel"))
    async with db() as session:
        assert await UserRepository(session).get(ALICE["id"]) is None
        assert list(await session.scalars(select(Question))) == []
        assert await session.get(Chat, ALICE["id"]) is None
    # Nothing of Alice stays in memory either: the texts of her questions, the per-user dictionaries.
    assert "lesson study" not in repr(bot.application.chat_data.get(ALICE["id"], {}))
    services = bot.application.bot_data[SERVICES_KEY]
    assert ALICE["id"] not in services.cache._generations
    flood_guard = bot.application.update_processor.flood_guard
    assert ALICE["id"] not in flood_guard._recent
    assert ALICE["id"] not in flood_guard._warned


async def test_forget_me_can_be_cancelled(api: FakeBotAPI, bot: BotRunner, db: SessionFactory) -> None:
    await api.ask(ALICE, "wat is intervisie")
    confirm = await api.ask(ALICE, "/vergeetmij")
    api.press(ALICE, confirm, "v:nee")
    await api.wait_until(lambda: "niets verwijderd" in api.messages[(ALICE["id"], confirm["message_id"])]["text"])
    await bot.wait_idle()  # the sender record of her question is written behind the reply
    async with db() as session:
        assert await UserRepository(session).get(ALICE["id"]) is not None


async def test_a_group_question_deleted_before_the_answer_is_answered_anyway(api: FakeBotAPI, bot: BotRunner) -> None:
    question = api.send_text(ALICE, "/vraag wat is intervisie", chat=GROUP)
    api.delete(GROUP["id"], question)  # gone before the bot replies to it
    answer = await api.reply(GROUP["id"], 0)
    assert answer["text"].startswith("Intervisie")


async def test_group_answers_only_vraag_and_mentions(api: FakeBotAPI, bot: BotRunner) -> None:
    api.send_text(ALICE, "wat is intervisie", chat=GROUP)
    api.send_text(ALICE, "/vraag wat is lesson study", chat=GROUP)
    first = await api.reply(GROUP["id"], 0)
    assert first["text"].startswith("Lesson study")
    api.send_text(BOB, f"🙂🙂 @{BOT['username']} wat doet een studiecoach", chat=GROUP)
    second = await api.reply(GROUP["id"], 1)
    assert second["text"].startswith("Studiecoach")
    api.send_text(BOB, "@iemand_anders wat is scorion", chat=GROUP)
    api.send_text(BOB, f"/vraag@{BOT['username']} wat is scorion", chat=GROUP)
    third = await api.reply(GROUP["id"], 2)
    assert third["text"].startswith("Scorion")
    await bot.wait_idle()
    assert len(api.sent_to(GROUP["id"])) == 3  # the plain message and the other mention got no answer
    api.send_text(ALICE, "/profiel", chat=GROUP)
    private = await api.reply(GROUP["id"], 3)
    assert private["text"] == "Dat kan alleen in een privégesprek met mij."


async def test_non_text_messages_get_a_friendly_reply_or_silence(
    api: FakeBotAPI, bot: BotRunner, error_log: Any
) -> None:
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    api.send_other(ALICE, "sticker", sticker)
    reply = await api.reply(ALICE["id"], 0)
    assert "alleen tekstvragen" in reply["text"]
    api.send_other(ALICE, "photo", [{"file_id": "p1", "file_unique_id": "u2", "width": 1, "height": 1}])
    api.send_other(ALICE, "voice", {"file_id": "v1", "file_unique_id": "u3", "duration": 1})
    api.send_other(ALICE, "document", {"file_id": "d1", "file_unique_id": "u4"})
    await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) == 4)
    api.send_text(ALICE, "/help", edited=True)
    unknown = await api.ask(ALICE, "/onbekend")
    assert "Dat commando ken ik niet" in unknown["text"]
    await bot.wait_idle()
    assert len(api.sent_to(ALICE["id"])) == 5  # an edited command is not run again
    assert error_log.records == []


async def test_html_is_escaped_everywhere(api: FakeBotAPI, bot: BotRunner, error_log: Any) -> None:
    tricky = FakeBotAPI.user(7003, "<b>Fictief</b> & <script>")
    answer = await api.ask(tricky, "<b>wat</b> is <i>intervisie</i> & <script>alert(1)</script>")
    assert answer["text"].startswith("Intervisie")
    profile = await api.ask(tricky, "/profiel")
    assert "Naam: <b>Fictief</b> & <script>" in profile["text"]  # shown literally, not as markup
    assert all(c.status == 200 for c in api.calls_to("sendMessage"))
    assert error_log.records == []


async def test_restart_keeps_the_profile(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "groningen-kop-van-drenthe", "directeur", "prinses beatrix")
    await bot.stop()
    await bot.start()
    profile = await api.ask(ALICE, "/profiel")
    assert "Rol: directeur" in profile["text"]
    assert "KC Prinses Beatrix (Beilen)" in profile["text"]
    answer = await api.ask(ALICE, "hoeveel studenten")
    assert "180" in answer["text"]  # still answered in the stored partnership


async def test_rate_limited_reply_is_retried(api: FakeBotAPI, bot: BotRunner) -> None:
    api.rate_limit_next = 1
    answer = await api.ask(ALICE, "wat is scorion")
    assert answer["text"].startswith("Scorion")
    statuses = [c.status for c in api.calls_to("sendMessage")]
    assert statuses == [429, 200]
    first, second = api.calls_to("sendMessage")
    assert second.at - first.at >= api.retry_after * 0.9


async def test_user_who_blocked_the_bot_is_marked_inactive(api: FakeBotAPI, bot: BotRunner, db: SessionFactory) -> None:
    await api.ask(ALICE, "wat is intervisie")
    api.block(ALICE)
    assert await chat_is_inactive(db, ALICE["id"])


async def test_a_user_who_unblocks_the_bot_is_active_again_without_a_message(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await api.ask(ALICE, "wat is intervisie")
    api.block(ALICE)
    assert await chat_is_inactive(db, ALICE["id"])
    api.unblock(ALICE)

    async def active() -> bool:
        async with db() as session:
            chat = await session.get(Chat, ALICE["id"])
            return chat is not None and chat.active

    deadline = time.monotonic() + 10
    while not await active():
        assert time.monotonic() < deadline, "the unblock was not recorded"
        await asyncio.sleep(0.02)


async def test_forbidden_reply_marks_inactive_without_retrying(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await api.ask(BOB, "wat is intervisie")
    api.blocked_chats.add(BOB["id"])
    api.send_text(BOB, "wat is scorion")
    await api.wait_until(lambda: [c for c in api.calls_to("sendMessage") if c.status == 403])
    assert await chat_is_inactive(db, BOB["id"])
    assert len([c for c in api.calls_to("sendMessage") if c.status == 403]) == 1
    assert error_log.records == []


LONG_ENTRY = """\
source: algemeen
entries:
  - id: begrip:fictief-lang-antwoord
    title: Fictief lang antwoord
    keywords: [heel lang antwoord]
    answer: |
{body}
"""


def knowledge_with_a_long_answer(tmp_path: Path, paragraphs: list[str]) -> Path:
    """The real knowledge base plus one fictional entry whose answer is ``paragraphs``."""
    import shutil

    from knowledge import DEFAULT_DATA_DIR

    target = tmp_path / "kb"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    body = "\n".join(f"      {paragraph}\n" for paragraph in paragraphs)
    (target / "algemeen" / "fictief.yaml").write_text(LONG_ENTRY.format(body=body), encoding="utf-8")
    return target


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    paragraph = "Fictieve uitleg met <tekens> & symbolen die ge-escaped moeten worden. " * 12
    return knowledge_with_a_long_answer(tmp_path, [paragraph] * 12)


async def test_answer_over_4096_characters_is_split(api: FakeBotAPI, bot: BotRunner, error_log: Any) -> None:
    api.send_text(ALICE, "heel lang antwoord")
    parts = await api.wait_until(lambda: len(api.sent_to(ALICE["id"])) >= 2 and api.sent_to(ALICE["id"]))
    await api.wait_until(lambda: any(buttons(m) for m in api.sent_to(ALICE["id"])))
    parts = api.sent_to(ALICE["id"])
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert sum(len(p["text"]) for p in parts) > 4096
    assert "<tekens> & symbolen" in parts[0]["text"]
    assert [bool(buttons(p)) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert all(c.status == 200 for c in api.calls_to("sendMessage"))
    assert error_log.records == []


async def test_error_is_logged_and_user_gets_dutch_message(
    api: FakeBotAPI, bot: BotRunner, error_log: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("fictieve storing")

    monkeypatch.setattr(bot.matcher, "match", broken)
    reply = await api.ask(ALICE, "wat is intervisie")
    assert reply["text"].startswith("Sorry, er ging iets mis")
    await api.wait_until(lambda: error_log.records)
    assert any(r.exc_info and "fictieve storing" in str(r.exc_info[1]) for r in error_log.records)
    error_log.records.clear()


def webhook_settings(settings: Any, port: int, secret: str | None) -> Any:
    return settings.model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{port}/telegram",
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
            "webhook_secret_token": SecretStr(secret) if secret else None,
        }
    )


def private_update(update_id: int, user: dict[str, Any], text: str) -> dict[str, Any]:
    chat = {"id": user["id"], "type": "private"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": user, "text": text}
    return {"update_id": update_id, "message": message}


async def post_update(url: str, update: dict[str, Any], secret: str | None) -> int:
    """POST an update as Telegram would; retries while PTB's server is not listening yet."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
    raise AssertionError("the webhook never listened")


async def test_webhook_mode_receives_updates_and_replies(
    api: FakeBotAPI, settings: Any, error_log: Any, unused_tcp_port: int
) -> None:
    webhook = webhook_settings(settings, unused_tcp_port, "fictief-geheim")
    runner = BotRunner(api, webhook, Matcher(load_knowledge_base()))
    await runner.start()
    try:
        [call] = api.calls_to("setWebhook")
        assert call.params["url"] == webhook.webhook_url
        assert call.params["secret_token"] == "fictief-geheim"
        update = private_update(1, ALICE, "wat is intervisie")
        assert await post_update(webhook.webhook_url, update, "fout") == 403
        assert await post_update(webhook.webhook_url, update, "fictief-geheim") == 200
        reply = await api.reply(ALICE["id"], 0)
        assert reply["text"].startswith("Intervisie")
    finally:
        await runner.stop()
    assert error_log.records == []


async def test_webhook_mode_stores_an_update_in_the_inbox_before_it_answers_200(
    api: FakeBotAPI, settings: Any, db: Any, unused_tcp_port: int
) -> None:
    """So several webhook instances on one database lose nothing when one is killed mid-answer: the row
    is there with its owner and lease, for another instance to take over (tests/integration/test_inbox_leases.py)."""
    webhook = webhook_settings(settings, unused_tcp_port, "fictief-geheim")
    runner = BotRunner(api, webhook, Matcher(load_knowledge_base()))
    await runner.start()
    try:
        api.send_delay = 2.0  # the answer is still on its way when we look
        update = private_update(41, ALICE, "wat is intervisie")
        assert await post_update(webhook.webhook_url, update, "fictief-geheim") == 200
        async with db() as session:
            row = await session.get(InboxUpdate, 41)
        assert row is not None
        assert row.owner is not None
        assert row.lease_until is not None
        assert api.sent_to(ALICE["id"]) == []
        await api.reply(ALICE["id"], 0)
        api.send_delay = 0
        await runner.wait_idle()
        async with db() as session:
            assert await session.get(InboxUpdate, 41) is None  # handled: gone
    finally:
        await runner.stop()


async def test_webhook_without_a_configured_secret_still_refuses_forged_updates(
    api: FakeBotAPI, settings: Any, unused_tcp_port: int
) -> None:
    """A forged /profiel 'from' another user must never reach the bot, also with the default settings."""
    webhook = webhook_settings(settings, unused_tcp_port, None)
    runner = BotRunner(api, webhook, Matcher(load_knowledge_base()))
    await runner.start()
    try:
        [call] = api.calls_to("setWebhook")
        secret = str(call.params["secret_token"])
        assert len(secret) >= 32
        forged = private_update(1, ALICE, "/profiel")
        assert await post_update(webhook.webhook_url, forged, None) == 403
        assert await post_update(webhook.webhook_url, forged, "geraden") == 403
        assert await post_update(webhook.webhook_url, private_update(2, BOB, "/help"), secret) == 200
        await api.reply(BOB["id"], 0)
        await runner.wait_idle()
        assert api.sent_to(ALICE["id"]) == []
    finally:
        await runner.stop()


# -- hostile and clumsy buttons -------------------------------------------------------------------

CAROL = FakeBotAPI.user(7004, "Fictieve Carla")


def answers_to_presses(api: FakeBotAPI) -> list[str | None]:
    return [c.params.get("text") for c in api.calls_to("answerCallbackQuery")]


@pytest.mark.parametrize("data", ["f:²:1", "f:" + "9" * 40 + ":1", "p:", "v:JA", "s:school:<b>", "zz:1"])
async def test_malformed_callback_data_is_refused_calmly(
    api: FakeBotAPI, bot: BotRunner, error_log: Any, data: str
) -> None:
    answer = await api.ask(ALICE, "wat is intervisie")
    api.press(ALICE, answer, data, forged=True)
    await api.wait_until(lambda: api.calls_to("answerCallbackQuery"))
    await bot.wait_idle()
    assert answers_to_presses(api) == ["Deze knop werkt niet meer."]
    assert error_log.records == []


async def test_a_forged_profile_button_in_a_group_changes_nothing(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "mentor", "een fictieve school")
    api.send_text(BOB, "/vraag wat is intervisie", chat=GROUP)
    in_group = await api.reply(GROUP["id"], 0)
    for data in ("p:groningen-kop-van-drenthe", "r:directeur", "s:-", "v:ja"):
        api.press(ALICE, in_group, data, forged=True)
    await bot.wait_idle()
    assert answers_to_presses(api)[-4:] == ["Deze knop is niet voor jou."] * 4
    assert api.messages[(GROUP["id"], in_group["message_id"])]["text"] == in_group["text"]  # not edited
    async with db() as session:
        user = await UserRepository(session).get(ALICE["id"])
        assert user is not None
        assert (user.partnership, user.role, user.school_name) == ("poo-marnix", "mentor", "een fictieve school")
    assert error_log.records == []


async def test_a_suggestion_pressed_by_a_group_member_without_a_profile_is_answered(
    api: FakeBotAPI, bot: BotRunner, error_log: Any
) -> None:
    api.send_text(ALICE, "/vraag gesprek met mijn begeleider", chat=GROUP)
    fallback = await api.reply(GROUP["id"], 0)
    assert "a:begrip:driehoeksgesprek" in buttons(fallback)
    api.press(CAROL, fallback, "a:begrip:driehoeksgesprek")
    answer = await api.reply(GROUP["id"], 1)
    assert answer["text"].startswith("Driehoeksgesprek")
    assert not any(b.startswith("f:") for b in buttons(answer))  # nobody to attribute feedback to
    assert error_log.records == []


async def test_double_taps_are_harmless(api: FakeBotAPI, bot: BotRunner, error_log: Any) -> None:
    welcome = await api.ask(ALICE, "/start")
    api.press(ALICE, welcome, "p:poo-marnix")
    api.press(ALICE, welcome, "p:poo-marnix")
    await bot.wait_idle()
    answer = await api.ask(ALICE, "wat is intervisie")
    thumbs_up = next(b for b in buttons(answer) if b.endswith(":1"))
    api.press(ALICE, answer, thumbs_up)
    api.press(ALICE, answer, thumbs_up)
    await bot.wait_idle()
    presses = api.calls_to("answerCallbackQuery")
    assert sorted(c.params["callback_query_id"] for c in presses) == ["1", "2", "3", "4"]  # each answered once
    assert "Wat is je rol?" in api.messages[(ALICE["id"], welcome["message_id"])]["text"]
    assert error_log.records == []
