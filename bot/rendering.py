"""Answer text to Telegram HTML: escaped, and split into messages under Telegram's 4096 characters."""

from __future__ import annotations

import html

from knowledge import Answer

TELEGRAM_LIMIT = 4096


def _pieces(text: str) -> list[str]:
    """Paragraphs, then lines, then words: the places where a long text may be cut."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        out.extend(line + "\n" for line in paragraph.split("\n"))
        out[-1] += "\n"
    return out


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Escape ``text`` and cut it at paragraph, line or word boundaries into chunks of at most ``limit``."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text):
        escaped = html.escape(piece, quote=False)
        if len(escaped) > limit:
            words = piece.split(" ")
            for word in words:
                part = html.escape(word + " ", quote=False)
                while len(part) > limit:  # a single monster word
                    cut = part[:limit].rsplit("&", 1)[0] if "&" in part[limit - 6 : limit] else part[:limit]
                    chunks.append(current)
                    current, part = "", part[len(cut) :]
                    chunks.append(cut)
                if len(current) + len(part) > limit:
                    chunks.append(current)
                    current = ""
                current += part
            continue
        if len(current) + len(escaped) > limit:
            chunks.append(current)
            current = ""
        current += escaped
    chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def render_answer(answer: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The HTML messages for an answer; an entry answer starts with its title in bold."""
    chunks = split_html(answer.text, limit)
    if answer.kind == "entry" and answer.title:
        heading = f"<b>{html.escape(answer.title, quote=False)}</b>\n\n"
        if len(heading) + len(chunks[0]) <= limit:
            chunks[0] = heading + chunks[0]
    return chunks
