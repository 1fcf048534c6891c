"""Importing a file in the web view: the same checks, preview and import as a file sent in chat."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import SessionFactory
from db.models import AuditEntry, Event, KnowledgeItem
from tests.bot_runner import BotRunner
from tests.e2e.test_files import calendar, count
from tests.e2e.web.conftest import ALICE, WEB_SETTINGS, log_in, screenshot, web_address
from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

LIMIT = 1_000_000  # large enough that the confirm form's base64 (4/3 of the file) outweighs the form's overhead


async def upload(page: Any, bot: BotRunner, name: str, content: bytes, kind: str = "") -> None:
    await page.goto(web_address(bot) + "importeren")
    await page.set_input_files(
        "#bestand", files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}]
    )
    await page.select_option("#soort", kind)
    await page.get_by_role("button", name="Controleren").click()


async def test_a_calendar_is_previewed_then_imported_and_the_chat_shows_it(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    content = calendar(("web@fictief", "Fictieve webintervisie", start), ("twee@fictief", "Fictief tweede", start))
    await upload(page, bot, "agenda.ics", content)
    assert "2 bijeenkomsten" in await page.inner_text("main")
    await screenshot(page, "importeren")
    assert await count(db, Event) == 0, "a preview writes nothing"

    await page.get_by_role("button", name="Importeren").click()
    assert "Geïmporteerd uit agenda.ics: 2 nieuw" in await page.inner_text("main")
    agenda = await api.ask(ALICE, "/agenda")
    assert "Fictieve webintervisie" in agenda["text"]
    await page.goto(web_address(bot))
    assert "2 komende bijeenkomsten" in await page.inner_text("main"), "the overview counts them"
    async with db() as session:
        actions = [a.action for a in await session.scalars(select(AuditEntry))]
    assert "event-import" in actions


async def test_bad_files_are_refused_with_their_errors_and_nothing_is_stored(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    await upload(page, bot, "<i>contacten</i>.csv", b"naam;rol\nFictieve Fenna;\n", "contact")
    text = await page.inner_text("main")
    assert "<i>contacten</i>.csv:2: kolom rol: is leeg, maar verplicht" in text  # row and column, as the CLI
    assert await page.locator("main i").count() == 0, "a typed name is shown as text, never as markup"

    await upload(page, bot, "brochure.pdf", b"%PDF-1.4 fictief")
    assert "Dit soort bestand kan ik niet importeren" in await page.inner_text("main")
    assert await count(db, KnowledgeItem) == 0


def padded_to(content: bytes, size: int) -> bytes:
    """The calendar grown to exactly ``size`` bytes with a property the importer does not use."""
    end = b"END:VCALENDAR\r\n"
    missing = size - len(content)
    full = (missing - 200) // 100  # lines of 100 bytes, then one of 200 to 299
    lines = [b"X-FICTIEVE-OPVULLING:" + b"x" * 77 + b"\r\n"] * full
    lines.append(b"X-FICTIEVE-OPVULLING:" + b"x" * (missing - 100 * full - 23) + b"\r\n")
    padded = content[: -len(end)] + b"".join(lines) + end
    assert len(padded) == size
    return padded


@pytest.mark.parametrize("extra_settings", [{**WEB_SETTINGS, "chat_file_max_bytes": LIMIT}])
async def test_a_file_of_exactly_the_limit_is_imported_and_one_byte_more_is_refused(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    content = calendar(("groot@fictief", "Fictieve grote agenda", start))
    await upload(page, bot, "groot.ics", padded_to(content, LIMIT + 1))
    assert "te groot" in await page.inner_text("main")

    await upload(page, bot, "groot.ics", padded_to(content, LIMIT))
    assert "1 bijeenkomst" in await page.inner_text("main")
    await page.get_by_role("button", name="Importeren").click()  # the file rides in the form: 4/3 of it
    assert "Geïmporteerd uit groot.ics: 1 nieuw" in await page.inner_text("main")
    assert await count(db, Event) == 1


async def test_a_changed_form_is_checked_again_before_anything_is_written(
    api: FakeBotAPI, bot: BotRunner, page: Any, db: SessionFactory
) -> None:
    await log_in(api, page)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    await upload(page, bot, "agenda.ics", calendar(("web@fictief", "Fictieve webintervisie", start)))
    broken = base64.b64encode(b"BEGIN:VCALENDAR\r\nDit is geen agenda\r\n").decode()
    await page.locator("input[name=inhoud]").evaluate("(field, value) => field.value = value", broken)
    await page.get_by_role("button", name="Importeren").click()
    assert "kan ik niet importeren" in await page.inner_text("main")
    assert await count(db, Event) == 0


async def test_without_a_session_there_is_no_import(api: FakeBotAPI, bot: BotRunner, page: Any) -> None:
    refused = await page.request.post(web_address(bot) + "importeren/bevestigen", form={"naam": "x.ics"})
    assert refused.status == 403
