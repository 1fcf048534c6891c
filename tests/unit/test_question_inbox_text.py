"""The inbox's messages: HTML that Telegram accepts, under 4096 characters, whatever was asked."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.question_inbox import MAX_ANSWER, PAGE_SIZE, DraftView, GroupView, InboxPage, answer_message
from handlers.question_inbox import page_keyboard, page_text, preview_text
from tests.fake_bot_api import parse_html

NASTY = "<b>&amp; ‘quote’ " * 200  # far longer than any line may be, full of HTML


def test_a_full_page_of_long_questions_is_valid_html_under_the_limit() -> None:
    groups = [GroupView(10**18 + n, NASTY, 3, datetime(2026, 11, 23, tzinfo=UTC)) for n in range(PAGE_SIZE)]
    page = InboxPage(groups, page=1, pages=3, total=3 * PAGE_SIZE, questions=99)
    shown = parse_html(page_text(page, "POO & <Marnix>"))
    assert len(shown) <= 4096
    assert "POO & <Marnix>" in shown
    assert f"{PAGE_SIZE + 1}. (3×)" in shown  # numbered on from the first page
    keyboard = page_keyboard(page)
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data[-2:] == ["ibp:0", "ibp:2"]


def test_the_preview_and_the_delivered_answer_stay_under_the_limit() -> None:
    view = DraftView(1, NASTY, 2, ("<i>&" * MAX_ANSWER)[:MAX_ANSWER], 2)
    assert len(parse_html(preview_text(view, "POO"))) <= 4096
    delivered = parse_html(answer_message(NASTY, view.answer or "", "POO"))
    assert len(delivered) <= 4096
    assert delivered.startswith("💬 Je vroeg eerder: ‘<b>&amp;")
