"""The agenda end to end: the real bot against the fake Bot API, and the real CLI on the same database."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from bot.cli import main
from bot.jobs import WAKE_UP
from bot.settings import Settings
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, onboard
from tests.fake_bot_api import FakeBotAPI, buttons

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """A short outbox poll and no quiet hours (the test may run at night)."""
    return {"quiet_hours": "", "delivery_poll_seconds": 0.2}


async def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *arguments: str) -> tuple[int, str]:
    """``python -m bot ...`` in a thread (it runs its own event loop), on the bot's database."""
    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("QUIET_HOURS", "")
    output = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(output):
            return main(list(arguments))

    code = await asyncio.to_thread(run)
    return code, output.getvalue()


def soon_calendar(start: datetime) -> str:
    stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    end = (start + timedelta(hours=2)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    # The reminder is due two seconds after the import: a VALARM 2 h minus 2 s before the start.
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\nBEGIN:VEVENT\r\nUID:e2e@fictief\r\n"
        f"SUMMARY:Fictieve intervisie\r\nLOCATION:KC Fictief\r\nDTSTART:{stamp}\r\nDTEND:{end}\r\n"
        "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT1H59M58S\r\nEND:VALARM\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def test_import_subscribe_reminder_rsvp_and_the_coordinators_list(
    api: FakeBotAPI, bot: BotRunner, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await onboard(api, ALICE, "poo-marnix", "mentor", "een fictieve school")

    choices = await api.ask(ALICE, "/herinneringen")
    assert "sub:off:intervisie" in buttons(choices)
    key = (ALICE["id"], choices["message_id"])
    api.press(ALICE, choices, "sub:off:intervisie")
    await api.wait_until(lambda: "sub:on:intervisie" in buttons(api.messages[key]))
    api.press(ALICE, api.messages[key], "sub:on:intervisie")
    await api.wait_until(lambda: "sub:off:intervisie" in buttons(api.messages[key]))

    file = tmp_path / "agenda.ics"
    file.write_text(soon_calendar(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)))
    code, printed = await cli(monkeypatch, settings, "events", "import", str(file), "--partnership", "poo-marnix")
    assert (code, printed.strip()) == (0, "Geïmporteerd: 1 nieuw, 0 bijgewerkt, 0 vervallen.")

    def reminder() -> dict[str, Any] | None:
        return next((m for m in api.sent_to(ALICE["id"]) if m.get("text", "").startswith("🔔 Herinnering")), None)

    message = await api.wait_until(reminder, timeout=15)
    assert "Fictieve intervisie" in message["text"]
    assert "KC Fictief" in message["text"]
    [yes] = [b for b in buttons(message) if b.startswith("rsvp:") and b.endswith(":ja")]
    api.press(ALICE, message, yes)
    answered = (ALICE["id"], message["message_id"])
    await api.wait_until(lambda: "✅ Ik kom" in json.dumps(api.messages[answered]["reply_markup"], ensure_ascii=False))

    code, printed = await cli(monkeypatch, settings, "events", "list", "--partnership", "poo-marnix", "--json")
    [listed] = json.loads(printed)
    assert listed["rsvp"] == {"yes": 1, "no": 0}
    assert listed["uid"] == "e2e@fictief"

    agenda = await api.ask(ALICE, "/agenda")
    assert "Fictieve intervisie" in agenda["text"]
    assert "je komt ✅" in agenda["text"]
    api.press(ALICE, agenda, "ev:alles")
    document = await api.wait_until(lambda: next((m for m in api.sent_to(ALICE["id"]) if "document" in m), None))
    assert document["document"]["file_name"] == "agenda.ics"
    calendar = icalendar.Calendar.from_ical(api.uploads[document["document"]["file_id"]].content)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == ["e2e@fictief"]
    answer = await api.ask(ALICE, "wanneer is de volgende intervisie?")
    assert answer["text"].startswith("De volgende intervisie: Fictieve intervisie")
    # Nothing is sent twice, however often the dispatcher polled meanwhile.
    await asyncio.sleep(0.5)
    assert len([m for m in api.sent_to(ALICE["id"]) if m.get("text", "").startswith("🔔 Herinnering")]) == 1


async def test_agenda_without_a_profile_and_in_a_group(api: FakeBotAPI, bot: BotRunner) -> None:
    reply = await api.ask(ALICE, "/agenda")
    assert "Je hebt nog geen profiel" in reply["text"]
    reply = await api.ask(ALICE, "/herinneringen")
    assert "Je hebt nog geen profiel" in reply["text"]


async def test_a_reminder_due_between_two_polls_goes_out_on_time(
    api: FakeBotAPI, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 6 s poll, a poll between the import and the due moment sets one wake-up at that moment;
    without it the reminder would wait for the next poll (up to 6 s late)."""
    from knowledge import Matcher, load_knowledge_base

    slow = settings.model_copy(update={"delivery_poll_seconds": 6.0})
    runner = BotRunner(api, slow, Matcher(load_knowledge_base()))
    await runner.start()
    try:
        await onboard(api, ALICE, "poo-marnix", "mentor", "een fictieve school")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
        file = tmp_path / "agenda.ics"
        file.write_text(soon_calendar(start).replace("TRIGGER:-PT1H59M58S", "TRIGGER:-PT1H59M53S"))
        code, _ = await cli(monkeypatch, slow, "events", "import", str(file), "--partnership", "poo-marnix")
        assert code == 0
        due = start - timedelta(hours=1, minutes=59, seconds=53)

        def wake_up_at_due() -> bool:
            wake_ups = runner.application.job_queue.get_jobs_by_name(WAKE_UP)
            return any(abs(job.next_t - due) < timedelta(seconds=1) for job in wake_ups if job.next_t)

        await api.wait_until(wake_up_at_due, 10)  # set by the poll before the due moment
        sent = await api.wait_until(
            lambda: [c for c in api.calls_to("sendMessage") if "Herinnering" in str(c.params.get("text"))], 15
        )
        late = datetime.now(UTC) - due - timedelta(seconds=time.monotonic() - sent[0].at)
        assert late < timedelta(seconds=3), "half a poll: without the wake-up it waits for the next poll"
    finally:
        await runner.stop()


async def test_a_long_agenda_is_split_over_several_messages_not_refused(
    api: FakeBotAPI, bot: BotRunner, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await onboard(api, ALICE, "poo-marnix", "mentor", "een fictieve school")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    events = []
    for number in range(10):
        stamp = (start + timedelta(days=number)).strftime("%Y%m%dT%H%M%SZ")
        title = f"Fictieve intervisie {number} " + "met een heel lange titel " * 10
        location = f"Fictieve locatie {number} " + "aan een heel lange straat " * 10
        events.append(
            f"BEGIN:VEVENT\r\nUID:lang-{number}@fictief\r\nSUMMARY:{title.strip()}\r\nLOCATION:{location.strip()}\r\n"
            f"DTSTART:{stamp}\r\nDURATION:PT2H\r\nEND:VEVENT\r\n"
        )
    file = tmp_path / "lang.ics"
    file.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    )
    code, _ = await cli(monkeypatch, settings, "events", "import", str(file), "--partnership", "poo-marnix")
    assert code == 0
    before = len(api.sent_to(ALICE["id"]))
    api.send_text(ALICE, "/agenda")
    await api.wait_until(lambda: "ev:alles" in str(api.sent_to(ALICE["id"])[before:]))
    parts = [m["text"] for m in api.sent_to(ALICE["id"])[before:]]
    assert len(parts) > 1
    assert parts[0].startswith("Jouw agenda")
    for number in range(10):
        assert sum(f"Fictieve intervisie {number} " in part for part in parts) == 1
    assert [c for c in api.calls_to("sendMessage") if c.status != 200] == []
    assert buttons(api.sent_to(ALICE["id"])[-1]) == ["ev:alles"]
