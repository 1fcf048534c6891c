from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest

from bot.agenda_text import event_preview_text, managed_agenda_text, managed_event_text
from bot.rendering import TELEGRAM_LIMIT, render_answer, split_html
from bot.services.agenda import EventView
from knowledge import Answer
from tests.fake_bot_api import parse_html


def test_html_is_escaped() -> None:
    [chunk] = split_html("<b>vet</b> & <script>")
    assert chunk == "&lt;b&gt;vet&lt;/b&gt; &amp; &lt;script&gt;"


@pytest.mark.parametrize(
    "text",
    [
        "\n\n".join(f"Alinea {i}: " + "woord " * 60 for i in range(40)),
        "x" * 10_000,
        "& " * 5000,
        "lang" + "<" * 9000,
    ],
)
def test_long_text_is_split_below_the_limit_without_losing_text(text: str) -> None:
    chunks = split_html(text)
    assert len(chunks) > 1
    assert all(len(chunk) <= TELEGRAM_LIMIT for chunk in chunks)
    rejoined = html.unescape("".join(chunks))
    assert "".join(rejoined.split()) == "".join(text.split())


def test_entry_answer_gets_a_bold_escaped_title() -> None:
    answer = Answer(text="tekst", confidence=1, matched="x:y", fallback=False, kind="entry", title="A & B")
    assert render_answer(answer) == ["<b>A &amp; B</b>\n\ntekst"]


# -- the coordinator's agenda -------------------------------------------------------------------


def _event(number: int, title: str) -> EventView:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC) + timedelta(days=number)
    return EventView(
        id=number + 1,
        uid=f"{number}@fictief",
        occurrence="",
        category="intervisie",
        title=title,
        start=start,
        end=start + timedelta(hours=2),
        location="KC <Fictief> & zo",
        description="",
        audience=("mentor",),
        cancelled=False,
        reminders=(),
        rsvp_yes=3,
        rsvp_no=1,
    )


def test_the_coordinators_overview_shows_counts_escaped_and_fits() -> None:
    text, shown = managed_agenda_text([_event(0, "Intervisie <mentoren> & co")], "Fictief & Co")
    plain = parse_html(text)
    assert shown == 1
    assert "Beheer: agenda van Fictief & Co" in plain
    assert "1. Intervisie <mentoren> & co (intervisie)" in plain
    assert "KC <Fictief> & zo" in plain
    assert "Ik kom: 3 · Ik kan niet: 1" in plain

    text, shown = managed_agenda_text([_event(n, "T" * 255) for n in range(30)], "Fictief")
    assert len(text) <= 4096
    assert shown < 30
    assert f"en nog {30 - shown} later" in text


def test_the_preview_and_the_event_text_escape_everything() -> None:
    preview = parse_html(event_preview_text("<Titel> & zo", "overig", "dinsdag 1 december, 15:00–17:00", "", ()))
    assert "<Titel> & zo (overige bijeenkomsten)" in preview
    assert "Plaats: geen plaats" in preview
    assert "Voor: het hele partnerschap" in preview
    managed = parse_html(managed_event_text(_event(0, "<x>")))
    assert "Voor: mentor" in managed
