"""``python -m bot events ...`` and agenda questions in ``ask``, on a SQLite file in a temporary folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("QUIET_HOURS", "21:00-07:00")


def write(tmp_path: Path, *events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    path = tmp_path / "agenda.ics"
    path.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n{body}END:VCALENDAR\r\n")
    return str(path)


NEXT_YEAR = datetime.now(UTC).year + 1
SERIES = f"""
UID:serie@fictief
SUMMARY:Fictieve intervisie
LOCATION:KC Fictief
DTSTART;TZID=Europe/Amsterdam:{NEXT_YEAR}0302T150000
DTEND;TZID=Europe/Amsterdam:{NEXT_YEAR}0302T170000
RRULE:FREQ=WEEKLY;COUNT=3
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT18H
END:VALARM
"""


def listing(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["events", "list", "--partnership", "poo-marnix", "--json", *extra]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list)
    return data


def test_import_list_reimport_and_the_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, SERIES)
    assert main(["events", "import", path, "--partnership", "poo-marnix"]) == 0
    assert "3 nieuw" in capsys.readouterr().out
    assert main(["events", "import", path, "--partnership", "poo-marnix"]) == 0
    assert "0 nieuw, 3 bijgewerkt" in capsys.readouterr().out
    items = listing(capsys)
    assert len(items) == 3
    first = items[0]
    assert set(first) == {"uid", "category", "title", "start", "end", "location", "audience", "cancelled",
                          "reminders", "rsvp"}  # fmt: skip
    assert first["start"] == f"{NEXT_YEAR}-03-02T15:00:00+01:00"
    assert first["category"] == "intervisie"
    assert first["audience"] == []
    # 18 h before 15:00 is 21:00 the evening before: quiet, so it waits until 07:00.
    assert first["reminders"] == [f"{NEXT_YEAR}-03-02T07:00:00+01:00"]
    assert first["rsvp"] == {"yes": 0, "no": 0}


def test_a_broken_file_exits_2_and_names_the_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = "UID:kapot@fictief\nSUMMARY:Kapotte mentortraining\nDTSTART:morgen"
    path = write(tmp_path, SERIES, broken)
    assert main(["events", "import", path, "--partnership", "poo-marnix"]) == 2
    error = capsys.readouterr().err
    assert "Kapotte mentortraining" in error
    assert "kapot@fictief" in error
    assert "Er is niets geïmporteerd." in error
    assert listing(capsys, "--all") == []


def test_add_cancel_export_and_audience(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT15:00")
    assert main(["events", "add", "--partnership", "poo-marnix", "--title", "Fictieve mentortraining",
                 "--start", start, "--category", "mentortraining", "--uid", "m@fictief"]) == 0  # fmt: skip
    [item] = listing(capsys)
    assert item["audience"] == ["mentor", "schoolopleider"]
    assert str(item["end"])[:19] == start[:11] + "17:00:00"  # two hours by default, in local time
    assert main(["events", "cancel", "m@fictief", "--partnership", "poo-marnix"]) == 0
    [item] = listing(capsys)
    assert item["cancelled"] is True
    assert main(["events", "cancel", "m@fictief", "--partnership", "poo-marnix"]) == 1
    capsys.readouterr()
    assert main(["events", "export", "--partnership", "poo-marnix"]) == 0


def test_export_is_a_valid_calendar(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["events", "import", write(tmp_path, SERIES), "--partnership", "poo-marnix"]) == 0
    capsysbinary.readouterr()
    assert main(["events", "export", "--partnership", "poo-marnix"]) == 0
    calendar = icalendar.Calendar.from_ical(capsysbinary.readouterr().out)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Fictieve intervisie"] * 3


def test_ask_answers_from_the_agenda_without_inventing_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "wanneer is de volgende intervisie?"
    assert main(["ask", "--partnership", "poo-marnix", question]) == 0
    nothing = capsys.readouterr().out
    assert "Er staat nog geen intervisie gepland" in nothing
    assert str(NEXT_YEAR) not in nothing
    assert main(["events", "import", write(tmp_path, SERIES), "--partnership", "poo-marnix"]) == 0
    capsys.readouterr()
    assert main(["ask", "--partnership", "poo-marnix", "--json", question]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["answer"].startswith("De volgende intervisie: Fictieve intervisie")
    assert "2 maart, 15:00–17:00, KC Fictief" in answer["answer"]
    assert answer["matched"] == "agenda:intervisie"


def test_an_unknown_school_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["events", "add", "--partnership", "poo-marnix", "--title", "Fictief", "--start", "2030-01-08T15:00"]
    assert main([*arguments, "--schools", "school:kc-de-wegwijzer"]) == 2  # a Groningen school
    assert "Onbekende school" in capsys.readouterr().err
    assert listing(capsys, "--all") == []
