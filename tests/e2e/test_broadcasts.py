"""Broadcasts end to end: /bericht through the fake Bot API to the recipients and the report, the
refusals (a non-coordinator, another partnership's coordinator, forged buttons), /berichten with a
planned broadcast cancelled, and ``python -m bot broadcast`` delivered by the running bot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import Settings
from db.engine import SessionFactory
from db.models import AuditEntry, Broadcast, Delivery
from tests.bot_runner import BotRunner
from tests.e2e.test_agenda import cli
from tests.e2e.test_bot import ALICE, BOB, onboard
from tests.fake_bot_api import FakeBotAPI, buttons

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")
DAVE = FakeBotAPI.user(7004, "Fictieve Daan")
REFUSAL = "alleen voor coördinatoren"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Alice coordinates poo-marnix, Carla groningen; a short outbox poll."""
    return {
        "coordinator_ids": f"{ALICE['id']}:poo-marnix,{CAROL['id']}:groningen-kop-van-drenthe",
        "delivery_poll_seconds": 0.2,
        "quiet_hours": "",
    }


def bold(text: str, part: str) -> dict[str, Any]:
    return {"type": "bold", "offset": text.index(part), "length": len(part)}


def last(api: FakeBotAPI, user: dict[str, Any]) -> dict[str, Any]:
    return api.sent_to(user["id"])[-1]


async def press(api: FakeBotAPI, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
    """Press a button; returns the bot's next new message in that chat."""
    before = len(api.sent_to(user["id"]))
    api.press(user, message, data)
    return await api.reply(user["id"], before)


async def test_a_coordinator_sends_a_formatted_message_to_a_role_and_gets_the_report(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, DAVE, "poo-marnix", "student", "een fictieve school")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "wegwijzer")

    asked = await api.ask(ALICE, "/bericht")
    assert "Typ het bericht" in asked["text"]
    text = "Fictieve training morgen <3 & koffie"
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, text, entities=[bold(text, "morgen")])
    audience = await api.reply(ALICE["id"], before)
    assert audience["text"] == "Wie krijgt het bericht?"
    [draft_id] = {b.split(":")[1] for b in buttons(audience)}
    roles = (ALICE["id"], audience["message_id"])
    api.press(ALICE, audience, f"bca:{draft_id}:rollen")
    await api.wait_until(lambda: f"bcr:{draft_id}:aan:mentor" in buttons(api.messages[roles]))
    api.press(ALICE, api.messages[roles], f"bcr:{draft_id}:aan:mentor")
    await api.wait_until(lambda: f"bcr:{draft_id}:uit:mentor" in buttons(api.messages[roles]))
    when = await press(api, ALICE, api.messages[roles], f"bcr:{draft_id}:klaar:-")
    assert "rollen: mentor — nu 1 ontvanger" in when["text"]
    summary_before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, when, f"bct:{draft_id}:nu")
    summary = await api.wait_until(lambda: api.sent_to(ALICE["id"])[summary_before + 1 :])
    preview = api.sent_to(ALICE["id"])[summary_before]
    assert preview["text"].endswith(text)  # exactly as the recipients get it
    assert "Aantal: 1 ontvanger" in summary[0]["text"]

    bob_before = _count(api, BOB)
    api.press(ALICE, summary[0], f"bck:{draft_id}:ja")
    delivered = await api.reply(BOB["id"], bob_before)
    assert delivered["text"].startswith("📢 Bericht van de coördinatoren van POO")
    assert delivered["text"].endswith(text)  # a stray < and & arrive as typed
    [sent] = [
        c for c in api.calls_to("sendMessage") if int(c.params["chat_id"]) == BOB["id"] and "koffie" in c.params["text"]
    ]
    assert "<b>morgen</b>" in sent.params["text"]
    assert "&lt;3 &amp; koffie" in sent.params["text"]
    assert "allow_paid_broadcast" not in sent.params  # off unless ALLOW_PAID_BROADCAST

    report = await api.wait_until(lambda: next((m for m in api.sent_to(ALICE["id"]) if "Rapport" in m["text"]), None))
    assert "Verzonden: 1\nGeblokkeerd: 0\nMislukt: 0" in report["text"]
    # Nobody else got it: not the student, not Groningen.
    assert not any("koffie" in m["text"] for m in api.sent_to(DAVE["id"]) + api.sent_to(CAROL["id"]))
    listed = await api.ask(ALICE, "/berichten")
    assert "Fictieve training" in listed["text"]
    assert "Verzonden: 1" in listed["text"]
    async with db() as session:
        [entry] = await session.scalars(select(AuditEntry).where(AuditEntry.action == "bericht-verstuurd"))
        assert (entry.actor_id, entry.subject) == (ALICE["id"], f"broadcast:{draft_id}")


def _count(api: FakeBotAPI, user: dict[str, Any]) -> int:
    return len(api.sent_to(user["id"]))


async def test_everyone_else_is_refused_and_forged_buttons_send_nothing(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "coordinator", None)  # the role grants nothing
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "wegwijzer")
    await api.ask(ALICE, "/bericht")
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "Fictief geheim concept")
    audience = await api.reply(ALICE["id"], before)
    [draft_id] = {b.split(":")[1] for b in buttons(audience)}

    for command in ("/bericht", "/berichten"):
        refused = await api.ask(BOB, command)
        assert REFUSAL in refused["text"]
    # Bob, then Carla (coordinator of another partnership), forge every button of Alice's draft.
    for user in (BOB, CAROL):
        own = await api.ask(user, "/help")
        for data in (
            f"bck:{draft_id}:ja",
            f"bca:{draft_id}:alle",
            f"bca:{draft_id}:rollen",
            f"bcr:{draft_id}:aan:mentor",
            f"bcs:{draft_id}:school:kc-de-wegwijzer",
            f"bcc:{draft_id}:intervisie",
            f"bct:{draft_id}:nu",
            f"bcx:{draft_id}",
        ):
            api.press(user, own, data, forged=True)
        await bot.wait_idle()
    answers = [c.params.get("text", "") for c in api.calls_to("answerCallbackQuery")]
    assert sum(REFUSAL in text for text in answers) == 16
    carla_list = await api.ask(CAROL, "/berichten")
    assert "geheim" not in carla_list["text"]
    async with db() as session:
        assert list(await session.scalars(select(Delivery))) == []
        [draft] = await session.scalars(select(Broadcast))
        assert (draft.status, draft.roles) == ("concept", "")
        assert list(await session.scalars(select(AuditEntry).where(AuditEntry.action.like("bericht%")))) == []
    # In a group even a coordinator is sent to the private chat.
    group = {"id": -4001, "type": "group", "title": "Fictieve groep"}
    api.send_text(ALICE, "/bericht", chat=group)
    await api.wait_until(lambda: any("privégesprek" in m["text"] for m in api.sent_to(-4001)))


async def test_a_planned_broadcast_typed_in_dutch_is_listed_and_cancelled(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await api.ask(ALICE, "/bericht")
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "Fictieve oproep voor later")
    audience = await api.reply(ALICE["id"], before)
    [draft_id] = {b.split(":")[1] for b in buttons(audience)}
    when = await press(api, ALICE, audience, f"bca:{draft_id}:alle")
    assert "iedereen in het partnerschap — nu 2 ontvangers" in when["text"]
    asked = await press(api, ALICE, when, f"bct:{draft_id}:later")
    assert "Wanneer moet het weg?" in asked["text"]
    past = await api.ask(ALICE, "1 jan 2020 10:00")
    assert "al voorbij" in past["text"]
    count = _count(api, ALICE)
    api.send_text(ALICE, "1 dec 2030 15:00")
    summary = await api.wait_until(lambda: api.sent_to(ALICE["id"])[count + 1 :])
    assert "gepland op zondag 1 december om 15:00" in summary[0]["text"]
    done = (ALICE["id"], summary[0]["message_id"])
    api.press(ALICE, summary[0], f"bck:{draft_id}:ja")
    await api.wait_until(lambda: api.messages[done]["text"].startswith("Gepland"))

    listed = await api.ask(ALICE, "/berichten")
    assert "gepland op zondag 1 december om 15:00" in listed["text"]
    assert buttons(listed) == [f"bcx:{draft_id}"]
    key = (ALICE["id"], listed["message_id"])
    api.press(ALICE, listed, f"bcx:{draft_id}")
    await api.wait_until(lambda: "geannuleerd" in api.messages[key]["text"])
    assert buttons(api.messages[key]) == []
    async with db() as session:
        assert list(await session.scalars(select(Delivery))) == []
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("bericht%")).order_by(AuditEntry.id)
            )
        )
        assert actions == ["bericht-gepland", "bericht-geannuleerd"]
    assert not any("oproep" in m["text"] for m in api.sent_to(BOB["id"]))


async def test_a_draft_survives_annuleer_only_when_kept_and_questions_are_not_part_of_the_flow(
    api: FakeBotAPI, bot: BotRunner
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await api.ask(ALICE, "/bericht")
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "Fictieve tekst")
    await api.reply(ALICE["id"], before)
    # Typing while the buttons are waiting repeats the step; it is never answered as a question.
    repeated = await api.ask(ALICE, "wat is intervisie")
    assert "kies met de knoppen hierboven" in repeated["text"]
    # /bericht again continues the draft.
    again = await api.ask(ALICE, "/bericht")
    assert "Je hebt nog een concept: ‘Fictieve tekst’" in again["text"]
    stopped = await api.ask(ALICE, "/annuleer")
    assert "niets verstuurd" in stopped["text"]
    fresh = await api.ask(ALICE, "/bericht")
    assert "Typ het bericht" in fresh["text"]


async def test_the_command_line_broadcast_is_delivered_by_the_running_bot_and_prints_the_report(
    api: FakeBotAPI, bot: BotRunner, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await onboard(api, BOB, "groningen-kop-van-drenthe", "mentor", "wegwijzer")
    await onboard(api, DAVE, "groningen-kop-van-drenthe", "student", "wegwijzer")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "lichtbaak")
    file = tmp_path / "bericht.txt"
    file.write_text("Fictief: <b> is geen opmaak & dat blijft zo\n", encoding="utf-8")
    arguments = ["broadcast", "--partnership", "groningen-kop-van-drenthe", "--role", "mentor"]
    code, printed = await cli(
        monkeypatch, settings, *arguments, "--school", "school:kc-de-wegwijzer", "--text-file", str(file), "--yes"
    )
    assert code == 0, printed
    assert "Ontvangers: 1" in printed
    assert printed.rstrip().endswith("Verzonden: 1\nGeblokkeerd: 0\nMislukt: 0")
    [message] = [m for m in api.sent_to(BOB["id"]) if "Fictief:" in m["text"]]
    assert message["text"].endswith("Fictief: <b> is geen opmaak & dat blijft zo")
    assert not any("Fictief:" in m["text"] for m in api.sent_to(DAVE["id"]) + api.sent_to(CAROL["id"]))


async def _to_summary(api: FakeBotAPI, text: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Alice writes ``text`` for everyone; returns the draft id, the "Wanneer?" message and the summary."""
    return await _to_summary_with(api, text, [])


def _answers(api: FakeBotAPI, user: dict[str, Any]) -> list[str | None]:
    """The texts of the callback answers so far, in order (None: answered without text); one user
    presses at a time in these tests."""
    return [c.params.get("text") for c in api.calls_to("answerCallbackQuery") if c.status == 200]


async def test_cancel_pressed_right_after_send_says_it_was_sent(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    draft_id, when, summary = await _to_summary(api, "Fictieve oefening van de brandweer")
    bob_before = _count(api, BOB)
    answers_before = len(_answers(api, ALICE))
    api.press(ALICE, summary, f"bck:{draft_id}:ja")
    api.press(ALICE, summary, f"bck:{draft_id}:nee")  # before the bot edited the message
    await api.reply(BOB["id"], bob_before)
    await api.wait_until(lambda: len(_answers(api, ALICE)) >= answers_before + 2)
    await bot.wait_idle()
    shown = api.messages[(ALICE["id"], summary["message_id"])]["text"]
    assert shown.startswith("Verstuurd naar 2 ontvangers")
    assert not any("niets verstuurd" in m["text"] for m in api.sent_to(ALICE["id"]))
    assert "al verstuurd" in str(_answers(api, ALICE)[-1])

    # An old "Nu versturen": one answer, and it explains.
    answers_before = len(_answers(api, ALICE))
    api.press(ALICE, when, f"bct:{draft_id}:nu")
    await api.wait_until(lambda: len(_answers(api, ALICE)) > answers_before)
    await bot.wait_idle()
    [answer] = _answers(api, ALICE)[answers_before:]
    assert "bestaat niet meer" in str(answer)
    # Twice "bestaat niet meer": no edit that changes nothing (Telegram answers 400).
    api.press(ALICE, summary, f"bck:{draft_id}:ja", forged=True)
    api.press(ALICE, summary, f"bck:{draft_id}:ja", forged=True)
    await api.wait_until(lambda: len(_answers(api, ALICE)) > answers_before + 2)
    await bot.wait_idle()
    assert [c for c in api.calls if c.status == 400] == []


async def test_a_forged_cancel_from_another_partnership_is_not_reported_as_done(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "coordinator", None)
    draft_id, _, summary = await _to_summary(api, "Fictief concept van Anna")
    carol_view = {**summary, "chat": {"id": CAROL["id"], "type": "private"}}
    answers_before = len(_answers(api, CAROL))
    api.press(CAROL, carol_view, f"bck:{draft_id}:nee", forged=True)
    await api.wait_until(lambda: len(_answers(api, CAROL)) > answers_before)
    await bot.wait_idle()
    assert "weggegooid" not in str(_answers(api, CAROL)[-1])
    assert not any("weggegooid" in str(c.params.get("text")) for c in api.calls_to("editMessageText"))
    async with db() as session:
        assert await session.get(Broadcast, int(draft_id)) is not None  # Anna's draft is still there


async def test_a_message_with_many_long_links_is_sent_whole(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    words = [f"bron{number:02d}" for number in range(60)]
    text = "Fictieve leeslijst: " + " ".join(words)
    links = [
        {
            "type": "text_link",
            "offset": text.index(word),
            "length": len(word),
            "url": f"https://fictief.example/{word}/" + "pad/" * 100,
        }
        for word in words
    ]
    draft_id, _, summary = await _to_summary_with(api, text, links)
    bob_before = _count(api, BOB)
    api.press(ALICE, summary, f"bck:{draft_id}:ja")
    delivered = await api.reply(BOB["id"], bob_before)
    assert delivered["text"].endswith(text)  # whole: the last link too
    [sent] = [
        c
        for c in api.calls_to("sendMessage")
        if c.status == 200 and int(c.params["chat_id"]) == BOB["id"] and "leeslijst" in c.params["text"]
    ]
    assert sent.params["text"].count("<a href=") == 60


async def test_a_message_whose_formatting_is_too_long_is_refused_up_front(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await api.ask(ALICE, "/bericht")
    words = [f"b{number:03d}" for number in range(400)]
    text = " ".join(words)
    links = [
        {"type": "text_link", "offset": text.index(w), "length": len(w), "url": "https://fictief.example/" + "x" * 600}
        for w in words
    ]
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, text, entities=links)
    refused = await api.reply(ALICE["id"], before)
    assert "te lang" in refused["text"]
    assert "opmaak" in refused["text"]


async def _to_summary_with(
    api: FakeBotAPI, text: str, entities: list[dict[str, Any]]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    await api.ask(ALICE, "/bericht")
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, text, entities=entities)
    audience = await api.reply(ALICE["id"], before)
    [draft_id] = {b.split(":")[1] for b in buttons(audience)}
    when = await press(api, ALICE, audience, f"bca:{draft_id}:alle")
    summary_before = len(api.sent_to(ALICE["id"]))
    api.press(ALICE, when, f"bct:{draft_id}:nu")
    [summary] = await api.wait_until(lambda: api.sent_to(ALICE["id"])[summary_before + 1 :])
    return draft_id, when, summary
