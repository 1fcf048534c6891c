"""What a coordinator reads in /stats (Dutch, HTML-escaped, always below Telegram's 4096 characters).

Pure functions of plain data: the service returns the figures, the handler passes a way to name
schools (the knowledge base) and sends the text.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from bot.services.roles import ROLES
from bot.services.stats import DeliveryFigures, Stats
from knowledge import KnowledgeBase

MAX_SCHOOLS = 10
TEXT_LIMIT = 4000  # under Telegram's 4096, with room to spare
NO_SCHOOL = "zonder school"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def period_label(days: int) -> str:
    return {7: "de laatste 7 dagen", 30: "de laatste 30 dagen", 365: "het laatste jaar"}.get(days, f"{days} dagen")


def role_label(role: str | None) -> str:
    return ROLES.get(role or "", "nog geen rol gekozen")


def school_namer(kb: KnowledgeBase) -> Callable[[str], str | None]:
    """How a school id is named: the school's name in the knowledge base (None for an unknown id)."""

    def school_name(school_id: str) -> str | None:
        entry = kb.get(school_id)
        return entry.school.name if entry is not None and entry.school is not None else None

    return school_name


def school_rows(stats: Stats, school_name: Callable[[str], str | None]) -> list[tuple[str, int]]:
    """(name, users) of the ``MAX_SCHOOLS`` largest schools, then one row for all the others."""
    names = [(school_name(i) if i else None) or name or NO_SCHOOL for i, name, _ in stats.by_school]
    rows = [(name, number) for name, (_, _, number) in zip(names, stats.by_school, strict=True)][:MAX_SCHOOLS]
    if len(stats.by_school) > MAX_SCHOOLS:
        rest = sum(number for _, _, number in stats.by_school[MAX_SCHOOLS:])
        rows.append((f"{len(stats.by_school) - MAX_SCHOOLS} andere scholen", rest))
    return rows


def _deliveries(label: str, figures: DeliveryFigures) -> str:
    return (
        f"{label}: {figures.sent} verzonden, {figures.waiting} nog onderweg, {figures.not_delivered} niet bezorgd, "
        f"{figures.blocked} geblokkeerd"
    )


def stats_text(stats: Stats, partnership_name: str, school_name: Callable[[str], str | None]) -> str:
    """The figures as HTML; every inserted value escaped, and cut (at a line) below the limit."""
    esc = html.escape
    lines = [f"<b>Statistieken {esc(partnership_name)}</b>", f"Over {period_label(stats.days)}.", ""]
    lines.append(f"<b>Gebruikers</b>: {stats.users} ({stats.reachable} bereikbaar in een privégesprek)")
    for role, number in stats.by_role:
        lines.append(f"• {esc(role_label(role))}: {number}")
    lines.append("")
    lines.append("<b>Per school</b>")
    lines.extend(f"• {esc(name)}: {number}" for name, number in school_rows(stats, school_name))
    lines.append("")
    lines.append("<b>Vragen</b>")
    lines.append(f"Gesteld: {stats.asked} · beantwoord: {stats.answered} · zonder antwoord: {stats.fallback}")
    lines.append(f"Zonder antwoord: {percent(stats.fallback_rate)} · 👍 {stats.thumbs_up} · 👎 {stats.thumbs_down}")
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


__all__ = ["chart_caption", "percent", "period_label", "role_label", "school_namer", "school_rows", "stats_text"]
