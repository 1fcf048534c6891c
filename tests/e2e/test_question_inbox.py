"""The knowledge overlay end to end: /vragen answered in chat reaches the askers through the outbox,
and an import by the command line is answered by the running bot within 10 s, only in its partnership."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.settings import Settings
from knowledge import DEFAULT_DATA_DIR
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, BOB, onboard
from tests.fake_bot_api import FakeBotAPI, buttons

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")
GRONINGEN = "groningen-kop-van-drenthe"
REFUSAL = "alleen voor coördinatoren"
PARKING = "Waar kan ik parkeren bij de fictieve pabo?"
ANSWER = "Fictief antwoord: parkeren kan op het <fictieve> terrein achter de pabo."
WHO = "wie is de schoolopleider van KC De Wegwijzer?"


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Alice coordinates poo-marnix and Carla groningen-kop-van-drenthe; a short outbox poll and reload."""
    return {
        "quiet_hours": "",
        "delivery_poll_seconds": 0.2,
        "knowledge_reload_seconds": 0.5,
        "coordinator_ids": f"{ALICE['id']}:poo-marnix,{CAROL['id']}:groningen-kop-van-drenthe",
    }


async def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *arguments: str) -> tuple[int, str, str]:
    """``python -m bot ...`` in a thread on the bot's database: exit code, stdout and stderr."""
    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return main(list(arguments))

    code = await asyncio.to_thread(run)
    return code, out.getvalue(), err.getvalue()


def refusals(api: FakeBotAPI) -> list[str]:
    return [
        c.params.get("text", "") for c in api.calls_to("answerCallbackQuery") if REFUSAL in c.params.get("text", "")
    ]


async def answer_once_it_knows(
    api: FakeBotAPI, user: dict[str, Any], question: str, expected: str, present: bool = True
) -> dict[str, Any]:
    """Ask until the answer holds ``expected`` (or, with ``present`` False, no longer does)."""
    deadline = time.monotonic() + 60
    while True:
        answer = await api.ask(user, question)
        if (expected in answer["text"]) == present:
            return answer
        assert time.monotonic() < deadline, "the running bot never picked up the change"
        await asyncio.sleep(0.5)


async def test_a_coordinator_answers_from_the_inbox_and_the_askers_get_it(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "een fictieve school")
    for text in (PARKING, "waar kan ik parkeren bij de fictieve pabo"):
        reply = await api.ask(BOB, text)
        assert "Parkeermogelijkheden staan niet in mijn kennisbank" in reply["text"]

    inbox = await api.ask(ALICE, "/vragen")
    assert "(2×)" in inbox["text"]
    assert "parkeren" in inbox["text"]
    assert "Fictieve Bram" not in inbox["text"]  # never who asked
    [answer_button] = [b for b in buttons(inbox) if b.startswith("ib:")]

    # Nobody else acts on it: not a user without rights, not the coordinator of another partnership.
    refused = await api.ask(BOB, "/vragen")
    assert REFUSAL in refused["text"]
    api.press(BOB, refused, answer_button, forged=True)
    api.press(BOB, refused, answer_button.replace("ib:", "ibok:") + ":ja", forged=True)
    api.press(BOB, refused, "ibp:1", forged=True)
    await bot.wait_idle()
    assert len(refusals(api)) == 3
    carla = await api.ask(CAROL, "/vragen")
    assert "De vragenbus is leeg" in carla["text"]
    before = len(api.sent_to(CAROL["id"]))
    api.press(CAROL, carla, answer_button, forged=True)
    api.press(CAROL, carla, answer_button.replace("ib:", "ibok:") + ":ja", forged=True)
    await bot.wait_idle()
    assert len(refusals(api)) == 5  # another partnership's question: refused, as for Bob
    assert len(api.sent_to(CAROL["id"])) == before
    assert "De vragenbus is leeg" in api.messages[(CAROL["id"], carla["message_id"])]["text"]

    # Answering can be stopped; what is typed next is a question again, not an answer.
    api.press(ALICE, inbox, answer_button)
    prompt = await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])))
    assert prompt["text"].startswith("Typ je antwoord op")
    stopped = await api.ask(ALICE, "/annuleer")
    assert stopped["text"] == "Gestopt: er is niets opgeslagen of verstuurd."
    question = await api.ask(ALICE, "Wat is intervisie?")
    assert "Intervisie" in question["text"]

    api.press(ALICE, inbox, answer_button)
    prompt = await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])))
    assert prompt["text"].startswith("Typ je antwoord op")
    preview = await api.ask(ALICE, ANSWER)
    assert "Voorbeeld" in preview["text"]
    assert "&lt;fictieve&gt;" not in preview["text"]  # shown as typed (the fake API parsed the HTML)
    assert ANSWER in preview["text"]
    [send] = [b for b in buttons(preview) if b.endswith(":ja")]
    seen_by_bob = len(api.sent_to(BOB["id"]))
    api.press(ALICE, preview, send)
    key = (ALICE["id"], preview["message_id"])
    await api.wait_until(lambda: api.messages[key]["text"].startswith("Klaar: je antwoord staat in de kennisbank"))
    assert "1 persoon" in api.messages[key]["text"]
    api.press(ALICE, preview, send, forged=True)  # a double tap: the first one sent it, "Klaar" stays
    await bot.wait_idle()
    assert api.messages[key]["text"].startswith("Klaar: je antwoord staat in de kennisbank")

    delivered = await api.reply(BOB["id"], seen_by_bob)
    assert delivered["text"].startswith("💬 Je vroeg eerder:")
    assert ANSWER in delivered["text"]
    again = await api.ask(BOB, "waar kan ik parkeren bij de pabo?")
    assert ANSWER in again["text"]
    emptied = await api.ask(ALICE, "/vragen")
    assert "De vragenbus is leeg" in emptied["text"]
    elsewhere = await api.ask(CAROL, PARKING)
    assert ANSWER not in elsewhere["text"]


async def test_an_import_is_answered_within_ten_seconds_and_only_in_its_partnership(
    api: FakeBotAPI, bot: BotRunner, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "mentor", "een fictieve school")
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    header = "naam;rol;school;e-mail;telefoon\n"
    bad = tmp_path / "contacten.csv"
    bad.write_text(
        header + "Fictieve Anna;schoolopleider;KC De Wegwijzer;anna@voorbeeld.invalid;06 12345678\n"
        "Fictieve Bert;mentor;KC De Wegwijzer;bert-at-voorbeeld;\n",
        encoding="utf-8",
    )
    code, _, problems = await cli(
        monkeypatch,
        settings,
        "kb",
        "import",
        str(bad),
        "--kind",
        "contact",
        "--partnership",
        "groningen-kop-van-drenthe",
    )
    assert code == 2
    assert "contacten.csv:3: kolom e-mail: ‘bert-at-voorbeeld’ is geen e-mailadres" in problems
    assert "Niets geïmporteerd" in problems

    good = tmp_path / "contacten.xlsx"
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (
        ["naam", "rol", "school", "e-mail", "telefoon"],
        ["Fictieve Anna", "Schoolopleider", "KC De Wegwijzer", "anna@voorbeeld.invalid", "06 12345678"],
    ):
        sheet.append(row)
    workbook.save(good)
    code, printed, _ = await cli(
        monkeypatch,
        settings,
        "kb",
        "import",
        str(good),
        "--kind",
        "contact",
        "--partnership",
        "groningen-kop-van-drenthe",
    )
    assert (code, printed.strip()) == (0, "Geïmporteerd: 1 nieuw, 0 bijgewerkt, 0 ongewijzigd.")
    # The running bot looks every KNOWLEDGE_RELOAD_SECONDS (at most 10, by the settings' bounds).
    answer = await answer_once_it_knows(api, CAROL, WHO, "Fictieve Anna")
    assert "anna@voorbeeld.invalid" in answer["text"]
    assert "Fictieve Anna" not in (await api.ask(BOB, WHO))["text"]

    code, exported, _ = await cli(monkeypatch, settings, "kb", "export", "--partnership", "groningen-kop-van-drenthe")
    assert code == 0
    assert "id: contact:fictieve-anna-kc-de-wegwijzer" in exported
    # A person who left is withdrawn by the id the export shows; the running bot stops naming her.
    anna = "contact:fictieve-anna-kc-de-wegwijzer"
    code, _, _ = await cli(monkeypatch, settings, "kb", "remove", anna, "--partnership", "poo-marnix")
    assert code == 2  # not an item of that partnership
    code, printed, _ = await cli(monkeypatch, settings, "kb", "remove", anna, "--partnership", GRONINGEN)
    assert (code, printed.startswith(f"Verwijderd: {anna}")) == (0, True)
    await answer_once_it_knows(api, CAROL, WHO, "Fictieve Anna", present=False)
    # Round trip: next to the YAML files, the export is a valid part of the knowledge base.
    data = tmp_path / "kennisbank"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    (data / "groningen-kop-van-drenthe" / "aanvulling.yaml").write_text(exported, encoding="utf-8")
    code, checked, _ = await cli(monkeypatch, settings, "kb", "validate", str(data))
    assert code == 0
    assert checked.startswith("Kennisbank in orde")

    # An agenda for the people of an imported school is accepted too.
    school = tmp_path / "scholen.csv"
    school.write_text("naam,soort,plaats\nDe Fictieve Vlinder,KC,Fictiefdorp\n", encoding="utf-8")
    code, _, _ = await cli(
        monkeypatch,
        settings,
        "kb",
        "import",
        str(school),
        "--kind",
        "school",
        "--partnership",
        "groningen-kop-van-drenthe",
    )
    assert code == 0
    code, _, _ = await cli(
        monkeypatch,
        settings,
        "events",
        "add",
        "--partnership",
        "groningen-kop-van-drenthe",
        "--title",
        "Fictief",
        "--start",
        "2031-12-01T15:00",
        "--schools",
        "school:kc-de-fictieve-vlinder",
    )
    assert code == 0


async def test_a_draft_outlives_the_conversation_and_a_restart(
    api: FakeBotAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conversation times out (shortened here) and the bot restarts: the typed answer is kept,
    and "Beantwoorden" continues with its preview."""
    from datetime import timedelta

    from handlers import question_inbox
    from knowledge import Matcher, load_knowledge_base

    monkeypatch.setattr(question_inbox, "TIMEOUT", timedelta(seconds=4))  # long enough to type, on a busy machine too
    runner = BotRunner(api, settings, Matcher(load_knowledge_base()))
    await runner.start()
    try:
        await onboard(api, ALICE, "poo-marnix", "coordinator", None)
        await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
        await api.ask(BOB, PARKING)
        inbox = await api.ask(ALICE, "/vragen")
        [answer_button] = [b for b in buttons(inbox) if b.startswith("ib:")]
        api.press(ALICE, inbox, answer_button)
        await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])))
        preview = await api.ask(ALICE, ANSWER)
        assert "Voorbeeld" in preview["text"]
        timed_out = await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])), timeout=10)
        assert timed_out["text"].startswith("Je antwoord is bewaard")
    finally:
        await runner.stop()

    restarted = BotRunner(api, settings, Matcher(load_knowledge_base()))
    await restarted.start()
    try:
        api.press(ALICE, inbox, answer_button)
        again = await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])))
        assert "Voorbeeld" in again["text"]
        assert ANSWER in again["text"]
        [send] = [b for b in buttons(again) if b.endswith(":ja")]
        seen_by_bob = len(api.sent_to(BOB["id"]))
        api.press(ALICE, again, send)
        delivered = await api.reply(BOB["id"], seen_by_bob)
        assert ANSWER in delivered["text"]
    finally:
        await restarted.stop()


async def test_text_goes_to_the_flow_entered_last_and_annuleer_stops_that_one(api: FakeBotAPI, bot: BotRunner) -> None:
    """/nieuw waits for a title, then the coordinator answers from the inbox: the typed answer is the
    answer (not the title), /annuleer stops answering, and the next text is a question again."""
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    await api.ask(BOB, PARKING)
    start = await api.ask(ALICE, "/nieuw")
    api.press(ALICE, start, "nwc:intervisie")
    await api.wait_until(lambda: "Wat is de titel?" in api.messages[(ALICE["id"], start["message_id"])]["text"])

    inbox = await api.ask(ALICE, "/vragen")
    [answer_button] = [b for b in buttons(inbox) if b.startswith("ib:")]
    api.press(ALICE, inbox, answer_button)
    prompt = await api.reply(ALICE["id"], len(api.sent_to(ALICE["id"])))
    assert prompt["text"].startswith("Typ je antwoord op")
    # An edit of an older message is no answer either.
    api.send_text(ALICE, "Fictieve bewerking", edited=True, message_id=start["message_id"] - 1)
    await bot.wait_idle()
    preview = await api.ask(ALICE, ANSWER)
    assert "Voorbeeld" in preview["text"]
    assert ANSWER in preview["text"]
    assert "Fictieve bewerking" not in preview["text"]

    stopped = await api.ask(ALICE, "/annuleer")
    assert stopped["text"] == "Gestopt: er is niets opgeslagen of verstuurd."
    question = await api.ask(ALICE, "Wat is intervisie?")
    assert "Intervisie" in question["text"]
    # The /nieuw draft was left behind, not lost: /nieuw carries on at the title.
    again = await api.ask(ALICE, "/nieuw")
    assert "titel" in again["text"].lower()
