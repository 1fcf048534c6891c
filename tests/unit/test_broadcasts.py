"""Broadcast pieces without Telegram or a running bot: Dutch moments, the report's text, the command
line's waiting (with an injected clock) and its refusal when nobody confirms."""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.broadcast_cli import run_broadcast, wait_for_report
from bot.services import Audience, BroadcastView
from bot.services.broadcasts import Report, dutch_reason, excerpt, report_lines, report_message
from bot.services.deliveries import INACTIVE
from bot.settings import Settings
from db.engine import create_engine, session_factory
from db.migrate import upgrade
from knowledge import Matcher
from tests.factories import add_user

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Amsterdam


def view(report: Report, text: str = "Fictief <b>nieuws</b> &amp; <i>meer</i>") -> BroadcastView:
    return BroadcastView(
        id=7,
        partnership="poo-marnix",
        status="done",
        text=text,
        audience=Audience(),
        audience_text="rollen: mentor & student",
        due_at=None,
        recipients=5,
        created_at=NOW,
        confirmed_at=NOW,
        reported_at=NOW,
        report=report,
    )


def test_the_report_names_counts_and_dutch_reasons_and_escapes_what_it_inserts() -> None:
    report = Report(sent=3, blocked=1, failed=1, reasons=(("chat niet gevonden", 1), ("a <b> & c", 1)))
    text = report_message(view(report))
    assert "Verzonden: 3\nGeblokkeerd: 1\nMislukt: 1" in text
    assert "‘Fictief nieuws &amp; meer’ aan rollen: mentor &amp; student (5 ontvangers)" in text
    assert "• a &lt;b&gt; &amp; c: 1" in text
    assert report_lines(view(Report(sent=1, gone=2)))[-1] == "Niet meer verstuurd (afgemeld of gegevens verwijderd): 2"
    assert excerpt("<b>" + "x" * 100 + "</b>", 10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (INACTIVE, "heeft de bot geblokkeerd of is niet meer bereikbaar"),
        ("geblokkeerd: Forbidden: bot was blocked by the user", "heeft de bot geblokkeerd"),
        ("geblokkeerd: Forbidden: user is deactivated", "Telegram-account bestaat niet meer"),
        ("Bad Request: chat not found", "chat niet gevonden"),
        ("na 8 pogingen: TimedOut: Timed out", "lukte niet na herhaald proberen"),
        ("Bad Request: something new", "geweigerd door Telegram (something new)"),
    ],
)
def test_reasons_are_dutch(error: str, reason: str) -> None:
    assert dutch_reason(error) == reason


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_waiting_ends_with_the_report_or_when_nothing_moves_for_the_time_out() -> None:
    clock = FakeTime()
    states = iter([Report(waiting=5), Report(sent=2, waiting=3), Report(sent=5)])

    async def moving() -> BroadcastView:
        return view(next(states))

    done = await wait_for_report(moving, 10, poll_seconds=1, clock=clock, sleep=clock.sleep)
    assert done is not None
    assert done.report.sent == 5

    async def stuck() -> BroadcastView:
        return view(Report(sent=1, waiting=4))

    clock.now = 0.0
    assert await wait_for_report(stuck, 10, poll_seconds=1, clock=clock, sleep=clock.sleep) is None
    assert clock.now == 10.0  # it gave up after the time-out without progress, not before


def arguments(text_file: Path, **extra: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "partnership": "poo-marnix",
        "role": [],
        "school": None,
        "category": None,
        "text_file": text_file,
        "yes": False,
        "no_wait": False,
        "timeout": None,
    }
    return argparse.Namespace(**(values | extra))


def test_the_command_line_sends_nothing_without_confirmation(
    tmp_path: Path, matcher: Matcher, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}", data_dir=tmp_path)
    file = tmp_path / "bericht.txt"
    file.write_text("Fictief bericht", encoding="utf-8")
    asked = io.StringIO()

    def answer(prompt: str) -> str:
        asked.write(prompt)
        return "n"

    assert run_broadcast(settings, matcher, arguments(file), ask=answer) == 1
    assert asked.getvalue() == "Versturen? [j/N] "
    out = capsys.readouterr().out
    assert "Ontvangers: 0" in out
    assert "Niets verstuurd." in out
    # Unknown roles and schools are refused before anything is queued.
    assert run_broadcast(settings, matcher, arguments(file, role=["kok"], yes=True)) == 2
    assert "onbekende rol" in capsys.readouterr().err
    assert run_broadcast(settings, matcher, arguments(file, school="school:kc-de-wegwijzer", yes=True)) == 2
    assert "onbekende school" in capsys.readouterr().err
    # Nobody in the audience: nothing to send.
    assert run_broadcast(settings, matcher, arguments(file, yes=True)) == 2
    assert "niemand in dit publiek" in capsys.readouterr().err


def test_the_command_line_says_when_the_bot_does_not_seem_to_run(
    tmp_path: Path, matcher: Matcher, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"

    async def somebody() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        await add_user(session_factory(engine), 9901, "poo-marnix", "mentor")
        await engine.dispose()

    asyncio.run(somebody())
    monkeypatch.setattr("bot.broadcast_cli.POLL_SECONDS", 0.01)
    file = tmp_path / "bericht.txt"
    file.write_text("Fictief bericht", encoding="utf-8")
    settings = Settings(database_url=url, data_dir=tmp_path)
    assert run_broadcast(settings, matcher, arguments(file, yes=True, timeout=0.05)) == 3
    captured = capsys.readouterr()
    assert "Ontvangers: 1" in captured.out
    assert "In de wachtrij: 1 berichten" in captured.out
    assert "De bot lijkt niet te draaien" in captured.err
    # --no-wait returns at once, with the rows queued for the bot.
    assert run_broadcast(settings, matcher, arguments(file, yes=True, no_wait=True)) == 0
    assert "De bot lijkt niet te draaien" not in capsys.readouterr().err
