"""What a coordinator reads in /stats (Dutch, HTML-escaped, always below Telegram's 4096 characters).

Pure functions of plain data: the service returns the figures, the handler passes a way to name
schools (the knowledge base) and sends the text.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from bot.services.roles import ROLES
from bot.services.stats import DeliveryFigures, Stats

MAX_SCHOOLS = 10
TEXT_LIMIT = 4000  # under Telegram's 4096, with room to spare
NO_SCHOOL = "zonder school"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def _period(days: int) -> str:
    return {7: "de laatste 7 dagen", 30: "de laatste 30 dagen", 365: "het laatste jaar"}.get(days, f"{days} dagen")


def _deliveries(label: str, figures: DeliveryFigures) -> str:
    return (
        f"{label}: {figures.sent} verzonden, {figures.waiting} nog onderweg, {figures.not_delivered} niet bezorgd, "
        f"{figures.blocked} geblokkeerd"
    )


def stats_text(stats: Stats, partnership_name: str, school_name: Callable[[str], str | None]) -> str:
    """The figures as HTML; every inserted value escaped, and cut (at a line) below the limit."""
    esc = html.escape
    lines = [f"<b>Statistieken {esc(partnership_name)}</b>", f"Over {_period(stats.days)}.", ""]
    lines.append(f"<b>Gebruikers</b>: {stats.users} ({stats.reachable} bereikbaar in een privégesprek)")
    for role, number in stats.by_role:
        lines.append(f"• {esc(ROLES.get(role or '', 'nog geen rol gekozen'))}: {number}")
    lines.append("")
    lines.append("<b>Per school</b>")
    schools = [(school_name(i) if i else None) or name or NO_SCHOOL for i, name, _ in stats.by_school]
    for name, (_, _, number) in list(zip(schools, stats.by_school, strict=True))[:MAX_SCHOOLS]:
        lines.append(f"• {esc(name)}: {number}")
    if len(stats.by_school) > MAX_SCHOOLS:
        rest = sum(number for _, _, number in stats.by_school[MAX_SCHOOLS:])
        lines.append(f"• {len(stats.by_school) - MAX_SCHOOLS} andere scholen: {rest}")
    lines.append("")
    lines.append("<b>Vragen</b>")
    lines.append(f"Gesteld: {stats.asked} · beantwoord: {stats.answered} · zonder antwoord: {stats.fallback}")
    lines.append(f"Zonder antwoord: {_percent(stats.fallback_rate)} · 👍 {stats.thumbs_up} · 👎 {stats.thumbs_down}")
    if stats.unanswered:
        lines.append("")
        lines.append("<b>Vaakst gesteld zonder goed antwoord</b>")
        lines.extend(f"• {esc(text)} ({number}×)" for text, number in stats.unanswered)
    lines.append("")
    lines.append("<b>Bezorging</b>")
    lines.append(_deliveries("Herinneringen en afgelastingen", stats.reminders))
    lines.append(_deliveries("Berichten", stats.messages))
    return _fit(lines)


def _fit(lines: list[str]) -> str:
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > TEXT_LIMIT:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def chart_caption(stats: Stats) -> str:
    weeks = len(stats.weeks)
    return html.escape(f"Vragen per week en het deel zonder antwoord, de laatste {weeks} weken.")


__all__ = ["chart_caption", "stats_text"]
