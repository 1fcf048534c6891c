"""A file sent in chat to import, end to end against the fake Bot API: an agenda (.ics), contact
people (.csv) and questions or schools (.xlsx), good and bad; and every file that must not be
imported (too big, another kind, from a non-coordinator, in a group) refused politely, storing nothing;
and the hostile files the import's limits are for (a zip bomb, too many rows or occurrences, a file
bigger than Telegram announced, a sheet that is not XML) refused in Dutch, storing nothing."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.services.ics import MAX_OCCURRENCES
from db.agenda_repositories import PENDING, REMINDER
from db.engine import SessionFactory
from db.models import AuditEntry, Delivery, Event, KnowledgeItem
from knowledge.imports import MAX_ROWS, MAX_XLSX_UNPACKED
from tests.bot_runner import BotRunner
from tests.e2e.test_bot import ALICE, BOB, GROUP, onboard
from tests.fake_bot_api import FakeBotAPI, buttons

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

CAROL = FakeBotAPI.user(7003, "Fictieve Carla")


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Alice coordinates poo-marnix, Carla Groningen; Bob is a mentor without rights."""
    return {
        "coordinator_ids": f"{ALICE['id']}:poo-marnix,{CAROL['id']}:groningen-kop-van-drenthe",
        "quiet_hours": "",
        "chat_file_max_bytes": 100_000,
    }


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(*events: tuple[str, str, datetime]) -> bytes:
    """(UID, title, start) each; two hours long."""
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{title}\r\nCATEGORIES:intervisie\r\nLOCATION:Fictieve Basisschool\r\n"
        f"DTSTART:{stamp(start)}\r\nDTEND:{stamp(start + timedelta(hours=2))}\r\nEND:VEVENT\r\n"
        for uid, title, start in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n{body}END:VCALENDAR\r\n".encode()


def workbook(*rows: tuple[str, ...]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def send(api: FakeBotAPI, user: dict[str, Any], name: str, content: bytes, **options: Any) -> dict[str, Any]:
    """The user sends a file in their private chat; returns the bot's answer."""
    before = len(api.sent_to(user["id"]))
    api.send_document(user, name, content, **options)
    return await api.reply(user["id"], before)


async def edited(api: FakeBotAPI, user: dict[str, Any], message: dict[str, Any], text: str) -> dict[str, Any]:
    key = (user["id"], message["message_id"])
    await api.wait_until(lambda: text in api.messages[key].get("text", ""))
    return api.messages[key]


def button(message: dict[str, Any], action: str) -> str:
    [data] = [b for b in buttons(message) if b.endswith(f":{action}")]
    return data


async def count(db: SessionFactory, model: Any, *where: Any) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def audit(db: SessionFactory) -> list[tuple[int | None, str, str]]:
    async with db() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.actor_id, r.action, r.subject) for r in rows if r.action in ("event-import", "kennis-import")]


def last_callback_answer(api: FakeBotAPI) -> str:
    return str(api.calls_to("answerCallbackQuery")[-1].params.get("text", ""))


async def test_a_calendar_is_previewed_imported_once_and_shown_in_the_agenda(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    now = datetime.now(UTC).replace(microsecond=0)
    content = calendar(
        ("een@fictief.example.org", "Fictieve intervisie", now + timedelta(days=10)),
        ("twee@fictief.example.org", "Fictieve intervisie II", now + timedelta(days=20)),
    )

    preview = await send(api, ALICE, "agenda.ics", content, mime_type="text/calendar")
    assert "agenda.ics" in preview["text"]
    assert "2 bijeenkomsten" in preview["text"]
    assert "herinneringen gepland (2 nieuw, 0 bijgewerkt)" in preview["text"]
    planned = int(preview["text"].split("bijeenkomsten, ")[1].split(" herinnering")[0])
    assert planned > 0
    assert [b.rsplit(":", 1)[1] for b in buttons(preview)] == ["ja", "nee"]
    assert await count(db, Event) == 0  # a preview writes nothing

    # Bob cannot press Alice's button (a forged press from his own chat).
    api.press(BOB, preview, button(preview, "ja"), forged=True)
    await bot.wait_idle()
    assert "niet voor jou" in last_callback_answer(api)
    assert await count(db, Event) == 0

    api.press(ALICE, preview, button(preview, "ja"))
    done = await edited(api, ALICE, preview, "Geïmporteerd uit agenda.ics")
    assert "2 nieuw, 0 bijgewerkt, 0 vervallen" in done["text"]
    assert buttons(done) == []
    assert await count(db, Event) == 2
    # Exactly the reminders the preview announced are waiting in the outbox.
    assert await count(db, Delivery, Delivery.kind == REMINDER, Delivery.status == PENDING) == planned
    assert await audit(db) == [(ALICE["id"], "event-import", "import:ics")]

    # A second press (a double tap, or the old message) imports nothing again.
    api.press(ALICE, preview, button(preview, "ja"), forged=True)
    await bot.wait_idle()
    assert "al geïmporteerd of geannuleerd" in last_callback_answer(api)
    assert len(await audit(db)) == 1

    agenda = await api.ask(BOB, "/agenda")
    assert "Fictieve intervisie" in agenda["text"]

    # The same file again: nothing new, both updated.
    again = await send(api, ALICE, "agenda.ics", content)
    assert "(0 nieuw, 2 bijgewerkt)" in again["text"]


async def test_cancel_stores_nothing_and_a_broken_calendar_names_the_line(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    now = datetime.now(UTC)
    preview = await send(
        api, ALICE, "agenda.ics", calendar(("een@fictief", "Fictieve intervisie", now + timedelta(days=5)))
    )
    api.press(ALICE, preview, button(preview, "nee"))
    await edited(api, ALICE, preview, "Geannuleerd: er is niets geïmporteerd")
    api.press(ALICE, preview, button(preview, "ja"), forged=True)  # Importeren after Annuleren
    await bot.wait_idle()
    assert "al geïmporteerd of geannuleerd" in last_callback_answer(api)
    assert await count(db, Event) == 0

    broken = calendar(("kapot@fictief", "Fictieve kapotte afspraak", now + timedelta(days=5))).replace(
        b"DTSTART:", b"DTSTART:2026XX"
    )
    refused = await send(api, ALICE, "kapot.ics", broken)
    assert "kapot.ics kan ik niet importeren (1 fout)" in refused["text"]
    assert "regel" in refused["text"]
    assert "Er is niets geïmporteerd" in refused["text"]
    assert buttons(refused) == []
    assert await count(db, Event) == 0
    assert await audit(db) == []


async def test_contact_people_from_a_csv_answer_at_once_and_bad_rows_are_named(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, CAROL, "groningen-kop-van-drenthe", "coordinator", None)
    question = "wie is de schoolopleider van KC De Wegwijzer?"
    assert "Fictieve Anna" not in (await api.ask(CAROL, question))["text"]

    bad = "naam;rol;school;e-mail\r\nFictieve Anna;schoolopleider;KC De Wegwijzer;anna-at-example.org\r\n"
    refused = await send(api, CAROL, "contacten.csv", bad.encode(), mime_type="text/csv")
    assert "contacten.csv:2: kolom e-mail: ‘anna-at-example.org’ is geen e-mailadres" in refused["text"]
    assert await count(db, KnowledgeItem) == 0

    good = (
        "naam;rol;school;e-mail\r\n"
        "Fictieve Anna;schoolopleider;KC De Wegwijzer;anna@example.org\r\n"
        "Fictieve Bert;ICT-coördinator;KC De Wegwijzer;bert@example.org\r\n"
    )
    preview = await send(api, CAROL, "contacten.csv", good.encode(), mime_type="text/csv")
    assert "2 contactpersonen, 2 nieuw, 0 bijgewerkt" in preview["text"]
    api.press(CAROL, preview, button(preview, "ja"))
    await edited(api, CAROL, preview, "Geïmporteerd uit contacten.csv: 2 contactpersonen")
    assert await count(db, KnowledgeItem) == 2
    assert await audit(db) == [(CAROL["id"], "kennis-import", "import:contact")]
    # The running bot answers with it at once (no wait for the reload job).
    assert "Fictieve Anna" in (await api.ask(CAROL, question))["text"]

    # Sent again with one change: one updated, one unchanged.
    changed = good.replace("bert@example.org", "b.fictief@example.org")
    again = await send(api, CAROL, "contacten.csv", changed.encode())
    assert "2 contactpersonen, 0 nieuw, 1 bijgewerkt, 1 ongewijzigd" in again["text"]


async def test_an_xlsx_of_questions_and_one_whose_kind_is_asked(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    faq = workbook(
        ("Vraag", "Antwoord"),
        ("Wanneer is de fictieve toetsweek?", "De fictieve toetsweek is in week 12 (voorbeeld)."),
    )
    preview = await send(api, ALICE, "vragen.xlsx", faq)
    assert "1 vraag, 1 nieuw, 0 bijgewerkt" in preview["text"]
    api.press(ALICE, preview, button(preview, "ja"))
    await edited(api, ALICE, preview, "Geïmporteerd uit vragen.xlsx")
    assert "week 12" in (await api.ask(ALICE, "Wanneer is de fictieve toetsweek?"))["text"]

    # Only a "naam" column: a contact person or a school? The bot asks.
    names = workbook(("Naam",), ("Fictieve Basisschool De Voorbeeldboom",), ("Fictieve Basisschool Het Testlab",))
    asked = await send(api, ALICE, "lijst.xlsx", names)
    assert "Aan de kolommen zie ik het niet" in asked["text"]
    assert [b.rsplit(":", 1)[1] for b in buttons(asked)] == ["contact", "school", "faq", "nee"]
    # Picking "vragen" shows what is missing, and nothing is kept.
    api.press(ALICE, asked, button(asked, "faq"))
    wrong = await edited(api, ALICE, asked, "kan ik niet importeren")
    assert "lijst.xlsx:1: kolom vraag ontbreekt (verplicht)" in wrong["text"]

    asked = await send(api, ALICE, "lijst.xlsx", names)
    api.press(ALICE, asked, button(asked, "school"))
    preview = await edited(api, ALICE, asked, "2 scholen, 2 nieuw")
    api.press(ALICE, preview, button(preview, "ja"))
    await edited(api, ALICE, asked, "Geïmporteerd uit lijst.xlsx: 2 scholen")
    assert await count(db, KnowledgeItem, KnowledgeItem.kind == "school") == 2
    assert [a for _, a, _ in await audit(db)] == ["kennis-import", "kennis-import"]


async def test_files_that_are_not_imported_get_a_polite_answer_and_store_nothing(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")
    ics = calendar(("een@fictief", "Fictieve intervisie", datetime.now(UTC) + timedelta(days=5)))

    too_big = await send(api, ALICE, "groot.ics", ics, file_size=150_000)
    assert "Dit bestand is te groot: ik neem bestanden tot 100 kB aan" in too_big["text"]
    pdf = await send(api, ALICE, "rooster.pdf", b"%PDF-1.4 fictief", mime_type="application/pdf")
    assert "Dit soort bestand kan ik niet importeren" in pdf["text"]
    not_mine = await send(api, BOB, "agenda.ics", ics)
    assert "alleen een coördinator" in not_mine["text"]
    bob_pdf = await send(api, BOB, "verslag.pdf", b"%PDF-1.4 fictief")
    assert "Ik kan alleen tekstvragen beantwoorden" in bob_pdf["text"]
    before = len(api.sent_to(ALICE["id"]))
    api.send_other(ALICE, "photo", [{"file_id": "foto-1", "file_unique_id": "ufoto-1", "width": 1, "height": 1}])
    photo = await api.reply(ALICE["id"], before)
    assert "Ik kan alleen tekstvragen beantwoorden" in photo["text"]

    api.send_document(BOB, "rooster.xlsx", b"PK fictief", chat=GROUP)  # group traffic: the bot keeps quiet
    api.send_document(ALICE, "agenda.ics", ics, chat=GROUP)
    in_group = await api.reply(GROUP["id"], 0)
    assert "privégesprek" in in_group["text"]

    await bot.wait_idle()
    assert len(api.sent_to(GROUP["id"])) == 1
    assert api.calls_to("getFile") == []
    assert api.downloads == []
    assert await count(db, Event) == 0
    assert await audit(db) == []
    for message in [*api.sent_to(ALICE["id"]), *api.sent_to(BOB["id"]), *api.sent_to(GROUP["id"])]:
        assert len(message.get("text", "")) <= 4096
        assert "Traceback" not in message.get("text", "")


async def test_a_long_list_of_errors_is_cut_to_one_message(api: FakeBotAPI, bot: BotRunner) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    rows = "".join(f"Fictieve Persoon {n};schoolopleider;geen-mailadres-{n}\r\n" for n in range(300))
    refused = await send(api, ALICE, "veel.csv", f"naam;rol;e-mail\r\n{rows}".encode())
    assert len(refused["text"]) <= 4096
    assert "(300 fouten)" in refused["text"]
    assert "veel.csv:2: kolom e-mail" in refused["text"]
    assert "… en nog " in refused["text"]
    assert " fouten" in refused["text"].rsplit("… en nog ", 1)[1]


# -- Hostile files (the limits of the work-queue issue), end to end -----------------------------------
# A refusal must read as the bot's own Dutch, not as a library's English reason.
ENGLISH = re.compile(r"\b(error|exception|invalid|expected|failed|bad|zip|not|file|line|column)\b", re.IGNORECASE)


def assert_polite(message: dict[str, Any], *expected: str) -> None:
    """One Dutch answer without buttons: nothing waits to be imported."""
    text = str(message.get("text", ""))
    for part in expected:
        assert part in text
    assert 0 < len(text) <= 4096
    assert "Traceback" not in text
    assert ENGLISH.search(text) is None, text
    assert buttons(message) == []


async def stored(db: SessionFactory) -> dict[str, int]:
    return {model.__name__: await count(db, model) for model in (Event, Delivery, KnowledgeItem, AuditEntry)}


def with_sheet(sheet: Callable[[bytes], Iterable[bytes]], member: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A workbook of one fictional question whose ``member`` (the first sheet's XML) is replaced by
    what ``sheet`` writes, in chunks, given the member as openpyxl wrote it."""
    source = workbook(("Vraag", "Antwoord"), ("Fictieve bomvraag?", "Fictief bomantwoord."))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as changed:
        for info in original.infolist():
            data = original.read(info)
            if info.filename != member:
                changed.writestr(info.filename, data)
                continue
            with changed.open(info.filename, "w") as written:
                for chunk in sheet(data):
                    written.write(chunk)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A valid .xlsx whose sheet unpacks to well over MAX_XLSX_UNPACKED (whitespace inside the sheet
    element), while the archive stays far under the chat's 100 kB."""

    def padded(data: bytes) -> Iterator[bytes]:
        head, tail = data.rsplit(b"</worksheet>", 1)
        yield head
        for _ in range(MAX_XLSX_UNPACKED // 1_000_000 + 5):
            yield b" " * 1_000_000
        yield b"</worksheet>" + tail

    return with_sheet(padded)


def entity_bomb(data: bytes) -> Iterator[bytes]:
    """ "Billion laughs": a sheet whose one cell is an entity nine levels deep (10^9 characters)."""
    entities = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    yield f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol0 "hahahaha">{entities}]>'.encode()
    yield re.sub(rb'<c r="A2".*?</c>', b'<c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c>', data)


async def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    before = await stored(db)
    bomb = zip_bomb()
    assert len(bomb) < 100_000  # not refused for its size in chat: for what it unpacks to

    refused = await send(api, ALICE, "bom.xlsx", bomb)
    assert_polite(
        refused,
        "bom.xlsx kan ik niet importeren (1 fout)",
        f"uitgepakt te groot (meer dan {MAX_XLSX_UNPACKED // 1_000_000} MB",
        "Er is niets geïmporteerd",
    )
    await bot.wait_idle()
    assert await stored(db) == before
    assert await audit(db) == []
    assert error_log.records == []


async def test_a_csv_and_an_xlsx_over_the_row_limit_are_refused_naming_it(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    before = await stored(db)
    rows = [(f"Vraag {n}?", "ja") for n in range(MAX_ROWS + 1)]

    csv_content = "vraag;antwoord\r\n" + "".join(f"{q};{a}\r\n" for q, a in rows)
    assert len(csv_content.encode()) < 100_000  # under the chat's size limit: the rows refuse it
    refused = await send(api, ALICE, "te-veel.csv", csv_content.encode(), mime_type="text/csv")
    assert_polite(refused, "te-veel.csv kan ik niet importeren", f"te veel rijen: hooguit {MAX_ROWS} per bestand")

    xlsx_content = workbook(("Vraag", "Antwoord"), *rows)
    assert len(xlsx_content) < 100_000
    refused = await send(api, ALICE, "te-veel.xlsx", xlsx_content)
    assert_polite(refused, "te-veel.xlsx kan ik niet importeren", f"te veel rijen: hooguit {MAX_ROWS} per bestand")

    # One row fewer is a preview (the limit is where it says), and still nothing is stored.
    under = "vraag;antwoord\r\n" + "".join(f"{q};{a}\r\n" for q, a in rows[:MAX_ROWS])
    preview = await send(api, ALICE, "net-goed.csv", under.encode())
    assert f"{MAX_ROWS} vragen, {MAX_ROWS} nieuw" in preview["text"]

    await bot.wait_idle()
    assert await stored(db) == before
    assert await audit(db) == []
    assert error_log.records == []


def endless(uid: str, start: datetime, rule: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Fictief minuutoverleg\r\nCATEGORIES:intervisie\r\n"
        f"DTSTART:{stamp(start)}\r\nDTEND:{stamp(start + timedelta(seconds=30))}\r\nRRULE:{rule}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


async def test_a_calendar_over_the_occurrence_limit_is_refused_and_plans_nothing(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    await onboard(api, BOB, "poo-marnix", "mentor", "een fictieve school")  # someone to remind
    before = await stored(db)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    for name, rule in (("zonder-eind.ics", "FREQ=MINUTELY"), ("heel-vaak.ics", "FREQ=MINUTELY;COUNT=10000000")):
        refused = await send(api, ALICE, name, endless(f"{name}@fictief.example.org", start, rule))
        assert_polite(
            refused,
            f"{name} kan ik niet importeren (1 fout)",
            f"meer dan {MAX_OCCURRENCES} afspraken binnen de agenda",
            "Er is niets geïmporteerd",
        )

    await bot.wait_idle()
    assert await stored(db) == before
    assert await count(db, Event) == 0
    assert await count(db, Delivery) == 0
    assert await audit(db) == []
    assert error_log.records == []


async def test_a_file_bigger_than_telegram_announced_is_refused_after_the_download(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    before = await stored(db)
    people = "".join(f"Fictieve Persoon {n};schoolopleider;fictieve.persoon{n}@example.org\r\n" for n in range(2000))
    content = f"naam;rol;e-mail\r\n{people}".encode()
    assert len(content) > 100_000  # importable but for its size
    assert len(people.splitlines()) < MAX_ROWS

    before_sent = len(api.sent_to(ALICE["id"]))
    file_id = api.send_document(ALICE, "contacten.csv", content, mime_type="text/csv", file_size=5_000)
    refused = await api.reply(ALICE["id"], before_sent)
    assert_polite(refused, "Dit bestand is te groot: ik neem bestanden tot 100 kB aan", "Er is niets geïmporteerd")

    await bot.wait_idle()
    # Telegram said 5 kB in the message and in getFile: the bytes themselves refused it.
    assert [c.params["file_id"] for c in api.calls_to("getFile")] == [file_id]
    assert api.downloads == [f"documents/{file_id}"]
    assert len(api.sent_to(ALICE["id"])) == before_sent + 1
    assert await stored(db) == before
    assert await audit(db) == []
    assert error_log.records == []


async def test_an_xlsx_whose_sheet_is_not_xml_an_entity_bomb_or_missing_is_refused_as_invalid(
    api: FakeBotAPI, bot: BotRunner, db: SessionFactory, error_log: Any
) -> None:
    await onboard(api, ALICE, "poo-marnix", "coordinator", None)
    before = await stored(db)
    broken = with_sheet(lambda data: [data.replace(b"</sheetData>", b"<row><c")])
    no_sheet = with_sheet(lambda data: [re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data)], "xl/workbook.xml")
    files = (("kapot.xlsx", broken), ("lachbom.xlsx", with_sheet(entity_bomb)), ("zonder-blad.xlsx", no_sheet))
    for name, content in files:
        refused = await send(api, ALICE, name, content)
        assert_polite(
            refused,
            f"{name} kan ik niet importeren (1 fout)",
            "dit is geen geldig Excel-bestand (.xlsx)",
            "Er is niets geïmporteerd",
        )

    await bot.wait_idle()
    assert await stored(db) == before
    assert await audit(db) == []
    assert error_log.records == []
