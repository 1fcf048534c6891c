from __future__ import annotations

import html

import pytest

from bot.rendering import TELEGRAM_LIMIT, render_answer, split_html
from knowledge import Answer


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
