"""A file sent in chat, at the service level on SQLite and PostgreSQL: the preview counts exactly what
the import then does (events, updates, cancellations, reminders; new, updated and unchanged rows),
writes nothing, checks the coordinator's right, and the hostile-file limits of the command line apply."""

from __future__ import annotations

import asyncio
import io
import threading
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.services import Services
from bot.services.coordinators import Authority
from bot.services.file_imports import FileImported, FilePreview
from bot.services.ics import parse_calendar
from db.agenda_repositories import PENDING, REMINDER
from db.engine import SessionFactory
from db.models import AuditEntry, Delivery, Event, KnowledgeItem
from knowledge import Matcher
from knowledge.imports import MAX_XLSX_UNPACKED
from tests.factories import add_coordinator, add_user, services_for
from tests.moments import NOW, local

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

CHIEF, MENTOR, STUDENT, OTHER_CHIEF = 8401, 8402, 8403, 8404
POO = "poo-marnix"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def series(weeks: int, exdate: datetime | None = None) -> bytes:
    """A weekly intervisie for mentors and one single event for everyone; ``exdate`` drops one week."""
    start = local(8, 15)
    dropped = f"EXDATE:{stamp(exdate)}\r\n" if exdate else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n"
        f"BEGIN:VEVENT\r\nUID:reeks@fictief.example.org\r\nSUMMARY:Fictieve intervisie\r\nCATEGORIES:intervisie\r\n"
        f"X-AUDIENCE:mentor\r\nDTSTART:{stamp(start)}\r\nDURATION:PT2H\r\nRRULE:FREQ=WEEKLY;COUNT={weeks}\r\n"
        f"{dropped}END:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:dag@fictief.example.org\r\nSUMMARY:Fictieve partnerscholendag\r\n"
        f"CATEGORIES:partnerscholendag\r\nDTSTART:{stamp(local(20, 9))}\r\nDURATION:PT6H\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()


async def count(sessions: SessionFactory, model: object, *where: object) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def setup(sessions: SessionFactory, matcher: Matcher) -> tuple[Services, Authority]:
    await add_user(sessions, CHIEF, POO, "schoolopleider")
    await add_user(sessions, MENTOR, POO, "mentor")
    await add_user(sessions, STUDENT, POO, "student")
    await add_coordinator(sessions, CHIEF, POO)
    services = services_for(sessions, matcher)
    chief = await services.coordinators.authority(CHIEF)
    assert chief is not None
    return services, chief


async def test_the_calendar_preview_counts_what_the_import_then_does(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await setup(sessions, matcher)
    files = services.file_imports

    preview = await files.preview(chief, "agenda.ics", series(4), "ics", NOW)
    assert preview.errors == ()
    assert preview.calendar is not None
    assert (preview.calendar.events, preview.calendar.added, preview.calendar.updated) == (5, 5, 0)
    assert await count(sessions, Event) == 0  # nothing written
    assert await count(sessions, Delivery) == 0

    done = await files.run(chief, "agenda.ics", series(4), "ics", NOW)
    assert isinstance(done, FileImported)
    assert done.calendar is not None
    assert (done.calendar.added, done.calendar.updated, done.calendar.cancelled) == (5, 0, 0)
    pending = await count(sessions, Delivery, Delivery.kind == REMINDER, Delivery.status == PENDING)
    assert pending == preview.calendar.reminders > 0

    # One week dropped: the preview says it is cancelled, and the import does exactly that.
    again = await files.preview(chief, "agenda.ics", series(4, exdate=local(15, 15)), "ics", NOW)
    assert again.calendar is not None
    assert (again.calendar.events, again.calendar.added, again.calendar.updated, again.calendar.cancelled) == (
        4,
        0,
        4,
        1,
    )
    done = await files.run(chief, "agenda.ics", series(4, exdate=local(15, 15)), "ics", NOW)
    assert isinstance(done, FileImported)
    assert done.calendar is not None
    assert (done.calendar.added, done.calendar.updated, done.calendar.cancelled) == (0, 4, 1)
    pending = await count(sessions, Delivery, Delivery.kind == REMINDER, Delivery.status == PENDING)
    assert pending == again.calendar.reminders

    async with sessions() as session:
        rows = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "event-import")))
    assert [(r.actor_id, r.detail) for r in rows] == [
        (CHIEF, "5 nieuw, 0 bijgewerkt, 0 vervallen"),
        (CHIEF, "0 nieuw, 4 bijgewerkt, 1 vervallen"),
    ]


async def test_a_calendar_is_read_while_the_bot_goes_on(
    sessions: SessionFactory, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file at the occurrence limit takes seconds to read: it is read in a worker thread, so the
    event loop (every chat and page) is not held up meanwhile. Here the reading waits for the loop."""
    services, chief = await setup(sessions, matcher)

    def read_once_the_loop_ran(*args: object, **kwargs: object) -> object:
        assert loop_ran.wait(5), "the event loop stood still while the file was read"
        return parse_calendar(*args, **kwargs)  # type: ignore[arg-type]

    async def meanwhile() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    monkeypatch.setattr("bot.services.agenda.parse_calendar", read_once_the_loop_ran)
    for step in (services.file_imports.preview, services.file_imports.run):
        loop_ran = threading.Event()
        outcome, _ = await asyncio.gather(step(chief, "agenda.ics", series(2), "ics", NOW), meanwhile())
        assert isinstance(outcome, FilePreview | FileImported)
    assert await count(sessions, Event) == 3


async def test_only_the_partnerships_own_coordinator_previews_or_imports(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, _ = await setup(sessions, matcher)
    await add_user(sessions, OTHER_CHIEF, "groningen-kop-van-drenthe", "schoolopleider")
    await add_coordinator(sessions, OTHER_CHIEF, "groningen-kop-van-drenthe")
    forged = Authority(OTHER_CHIEF, "Fictief", POO)
    with pytest.raises(PermissionError):
        await services.file_imports.preview(forged, "agenda.ics", series(2), "ics", NOW)
    with pytest.raises(PermissionError):
        await services.file_imports.run(forged, "agenda.ics", series(2), "ics", NOW)
    faq = b"vraag,antwoord\r\nWanneer is de fictieve toetsweek?,In week 12 (voorbeeld).\r\n"
    with pytest.raises(PermissionError):
        await services.file_imports.run(forged, "vragen.csv", faq, "faq", NOW)
    assert await count(sessions, Event) == 0
    assert await count(sessions, KnowledgeItem) == 0


async def test_a_spreadsheet_preview_counts_new_updated_and_unchanged_and_answers_at_once(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await setup(sessions, matcher)
    files = services.file_imports
    question = "Wanneer is de fictieve toetsweek?"
    first = f"vraag;antwoord\r\n{question};In week 12 (voorbeeld).\r\nWaar is het fictieve archief?;Kamer 0.01.\r\n"
    assert await files.table_kind("vragen.csv", first.encode()) == ("faq", ())

    preview = await files.preview(chief, "vragen.csv", first.encode(), "faq", NOW)
    assert preview.table is not None
    assert (len(preview.table.items), preview.table.new, preview.table.updated) == (2, 2, 0)
    assert await count(sessions, KnowledgeItem) == 0
    done = await files.run(chief, "vragen.csv", first.encode(), "faq", NOW)
    assert isinstance(done, FileImported)
    assert "week 12" in services.matcher.match(question, POO).text  # reloaded right after the commit

    changed = first.replace("Kamer 0.01.", "Kamer 0.02.")
    preview = await files.preview(chief, "vragen.csv", changed.encode(), "faq", NOW)
    assert preview.table is not None
    assert (preview.table.new, preview.table.updated, preview.table.unchanged) == (0, 1, 1)
    done = await files.run(chief, "vragen.csv", changed.encode(), "faq", NOW)
    assert isinstance(done, FileImported)
    assert done.counts is not None
    assert (done.counts.new, done.counts.updated) == (0, 1)


def zip_bomb() -> bytes:
    """A small .xlsx-named archive that unpacks past the limit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_XLSX_UNPACKED + 1))
    return out.getvalue()


async def test_the_command_lines_limits_refuse_hostile_files(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief = await setup(sessions, matcher)
    files = services.file_imports
    bomb = zip_bomb()
    assert len(bomb) < 200_000
    kind, problems = await files.table_kind("lijst.xlsx", bomb)
    assert kind is None
    assert problems == (
        "lijst.xlsx:1: het Excel-bestand is uitgepakt te groot (meer dan 50 MB of 1000 onderdelen); "
        "sla alleen de tabel op in een nieuw bestand",
    )
    refused = await files.preview(chief, "lijst.xlsx", bomb, "school", NOW)
    assert isinstance(refused, FilePreview)
    assert "uitgepakt te groot" in refused.errors[0]

    stray = "naam;rol\r\nFictieve Jörg;mentor\r\n".encode() + b"Fictieve J\xf6rn;mentor\r\n"
    refused = await files.preview(chief, "contacten.csv", stray, "contact", NOW)
    assert refused.errors == (
        "contacten.csv:3: deze regel bevat een teken dat geen UTF-8 is, terwijl de rest van het bestand UTF-8 is; "
        "verbeter het teken of sla het bestand op als ‘CSV UTF-8’",
    )

    rule = b"RRULE:FREQ=SECONDLY\r\n"
    hostile = series(2).replace(b"RRULE:FREQ=WEEKLY;COUNT=2\r\n", rule)
    refused = await files.preview(chief, "agenda.ics", hostile, "ics", NOW)
    assert len(refused.errors) == 1
    assert refused.errors[0].startswith("agenda.ics: ")
    assert await count(sessions, Event) == 0
    assert await count(sessions, KnowledgeItem) == 0
