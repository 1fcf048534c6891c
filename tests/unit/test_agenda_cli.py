"""``python -m bot events ...`` and agenda questions in ``ask``, on a SQLite file in a temporary folder."""

from __future__ import annotations

import json
import sqlite3
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
                          "reminders", "reminders_past", "rsvp"}  # fmt: skip
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


def database_file(tmp_path: Path) -> Path:
    return tmp_path / "samen-opleiden.sqlite3"


VALARM = "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER{}\nEND:VALARM"
LATER = f"DTSTART:{NEXT_YEAR}0310T140000Z"


@pytest.mark.parametrize(
    ("event", "named"),
    [
        (f"UID:s@fictief\nSUMMARY:Elke seconde\n{LATER}\nRRULE:FREQ=SECONDLY", "Elke seconde"),
        (f"UID:c@fictief\nSUMMARY:Tien miljoen\n{LATER}\nRRULE:FREQ=MINUTELY;COUNT=10000000", "Tien miljoen"),
        (f"UID:a@fictief\nSUMMARY:Verre herinnering\n{LATER}\n{VALARM.format(':-P99999999D')}", "Verre herinnering"),
        ("UID:y@fictief\nSUMMARY:Jaar een\nDTSTART:00010101T000000\nRRULE:FREQ=YEARLY", "Jaar een"),
        (
            f"UID:serie@fictief\nSUMMARY:Vanaf nu anders\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Amsterdam:"
            f"{NEXT_YEAR}0309T150000\n{LATER}",
            "Vanaf nu anders",
        ),
        (f"UID:serie@fictief \nSUMMARY:Spatie\n{LATER}", "regel 4"),
        (f"UID:m@fictief\nSUMMARY:Voor mentoren\nX-AUDIENCE:Mentoren\n{LATER}", "‘mentoren’"),
        (f"UID:{'u' * 300}\nSUMMARY:Lange UID\n{LATER}", "Lange UID"),
        (f"UID:m@fictief\nSUMMARY:Nul\nX-AUDIENCE:mentor\x00\n{LATER}", "Nul"),
    ],
)
def test_a_hostile_file_exits_2_names_the_event_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], event: str, named: str
) -> None:
    path = write(tmp_path, SERIES, event)
    assert main(["events", "import", path, "--partnership", "poo-marnix"]) == 2
    error = capsys.readouterr().err
    assert named in error
    assert "Er is niets geïmporteerd." in error
    assert "Traceback" not in error
    assert "None" not in error
    assert listing(capsys, "--all") == []


def test_an_unused_broken_property_is_no_reason_to_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    google = f"UID:g@fictief\nSUMMARY:Uit Google\nCREATED:00001231T000000Z\n{LATER}"
    assert main(["events", "import", write(tmp_path, google), "--partnership", "poo-marnix"]) == 0
    assert [item["title"] for item in listing(capsys)] == ["Uit Google"]


def test_an_unknown_audience_on_the_command_line_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, SERIES)
    assert main(["events", "import", path, "--partnership", "poo-marnix", "--audience", "docenten"]) == 2
    assert "‘docenten’" in capsys.readouterr().err
    arguments = ["events", "add", "--partnership", "poo-marnix", "--title", "Fictief", "--start", "2030-01-08T15:00"]
    assert main([*arguments, "--audience", "mentor,docenten"]) == 2
    assert main([*arguments, "--uid", "x" * 256]) == 2
    assert main([*arguments, "--title", "Bel\x07"]) == 2
    assert listing(capsys, "--all") == []


def test_a_past_event_with_an_absurd_alarm_stored_earlier_breaks_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imported before the import checked alarms: listing and exporting still work for everyone."""
    assert (
        main(["events", "add", "--partnership", "poo-marnix", "--title", "Voorbij", "--start", "2020-01-08T15:00"]) == 0
    )
    with sqlite3.connect(database_file(tmp_path)) as connection:
        connection.execute("UPDATE events SET alarms = ?", ('[{"days": 99999999, "seconds": 0}]',))
    capsys.readouterr()
    assert main(["events", "list", "--partnership", "poo-marnix", "--all"]) == 0
    assert "Voorbij" in capsys.readouterr().out
    assert main(["events", "export", "--partnership", "poo-marnix"]) == 0
    assert "Voorbij" in capsys.readouterr().out


def test_control_characters_are_never_printed_nor_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT15:00")
    assert main(["events", "add", "--partnership", "poo-marnix", "--title", "Fictief", "--start", start]) == 0
    with sqlite3.connect(database_file(tmp_path)) as connection:  # stored before titles were checked
        connection.execute("UPDATE events SET title = ?, location = ?", ("Bel\x07 \x1b[2J", "Zaal\x00 1"))
    capsys.readouterr()
    for command in ("list", "export"):
        assert main(["events", command, "--partnership", "poo-marnix"]) == 0
        out = capsys.readouterr().out
        assert "Bel" in out
        assert not any(character in out for character in "\x07\x1b\x00")


def test_a_reminder_already_past_when_planned_is_listed_as_past_not_as_coming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An 'overig' event in three hours: its reminder (09:00 the day before) has passed and is not sent."""
    soon = (datetime.now(UTC) + timedelta(hours=3)).strftime("%Y%m%dT%H%M00Z")
    path = write(tmp_path, f"UID:straks@fictief\nSUMMARY:Straks\nDTSTART:{soon}")
    assert main(["events", "import", path, "--partnership", "poo-marnix"]) == 0
    [item] = listing(capsys)
    assert item["reminders"] == []
    assert len(item["reminders_past"]) == 1  # type: ignore[arg-type]


def test_export_then_import_changes_nothing(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Alarms from the file, the category's default audience, an explicit audience, the whole partnership."""
    mentors = f"UID:m@fictief\nSUMMARY:Fictieve mentortraining\n{LATER}\n{VALARM.format(':-PT30M')}"
    everyone = f"UID:e@fictief\nSUMMARY:Fictieve mentortraining voor iedereen\nX-AUDIENCE:\n{LATER}"
    students = f"UID:s@fictief\nSUMMARY:Fictief overleg\nX-AUDIENCE:student\n{LATER}"
    path = write(tmp_path, SERIES, mentors, everyone, students)
    assert main(["events", "import", path, "--partnership", "poo-marnix"]) == 0
    assert main(["events", "add", "--partnership", "poo-marnix", "--title", "Fictief", "--start",
                 f"{NEXT_YEAR}-04-01T15:00", "--category", "mentortraining", "--audience", "boc"]) == 0  # fmt: skip

    def state() -> list[dict[str, object]]:
        capsysbinary.readouterr()
        assert main(["events", "list", "--partnership", "poo-marnix", "--json", "--all"]) == 0
        return list(json.loads(capsysbinary.readouterr().out))

    before = state()
    assert main(["events", "export", "--partnership", "poo-marnix"]) == 0
    exported = tmp_path / "export.ics"
    exported.write_bytes(capsysbinary.readouterr().out)
    assert main(["events", "import", str(exported), "--partnership", "poo-marnix"]) == 0
    assert b"0 nieuw, 7 bijgewerkt" in capsysbinary.readouterr().out
    assert state() == before
    assert {str(item["title"]): item["audience"] for item in before}["Fictieve mentortraining voor iedereen"] == []


def test_the_schools_of_an_event_survive_the_round_trip(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    groningen = ["--partnership", "groningen-kop-van-drenthe"]
    assert main(["events", "add", *groningen, "--title", "Fictief", "--start", f"{NEXT_YEAR}-04-01T15:00",
                 "--schools", "school:kc-de-wegwijzer"]) == 0  # fmt: skip
    capsysbinary.readouterr()
    assert main(["events", "export", *groningen]) == 0
    exported = tmp_path / "export.ics"
    exported.write_bytes(capsysbinary.readouterr().out)
    assert main(["events", "import", str(exported), *groningen]) == 0
    assert main(["events", "export", *groningen]) == 0
    assert b"X-SCHOOLS:school:kc-de-wegwijzer" in capsysbinary.readouterr().out
    # A school of another partnership in X-SCHOOLS is refused, naming the event.
    assert main(["events", "import", str(exported), "--partnership", "poo-marnix"]) == 2
    assert "X-SCHOOLS" in capsysbinary.readouterr().err.decode()
