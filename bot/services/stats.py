"""Figures for the coordinators of one partnership (/stats): who uses the bot, what they ask, whether
the bot could answer, and how reminders and messages were delivered. Plain data, no names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.services.coordinators import Authority, require_right
from db.agenda_repositories import BLOCKED, CANCELLED, FAILED, MESSAGE, PENDING, REMINDER, SENDING, SENT, SKIPPED
from db.engine import SessionFactory
from db.stats_repositories import StatsRepository

PERIODS = (7, 30, 365)
DEFAULT_PERIOD = 30
TOP_UNANSWERED = 5
CHART_WEEKS = 12
MAX_QUESTION_TEXT = 120


@dataclass(frozen=True)
class DeliveryFigures:
    sent: int = 0
    waiting: int = 0  # pending or being sent
    not_delivered: int = 0  # failed, or skipped (the chat was inactive, the event had started or was called off)
    blocked: int = 0  # the user had blocked the bot


@dataclass(frozen=True)
class Week:
    monday: date
    asked: int
    fallback: int

    @property
    def fallback_rate(self) -> float | None:
        return self.fallback / self.asked if self.asked else None


@dataclass(frozen=True)
class Stats:
    partnership: str
    days: int
    users: int
    reachable: int
    by_role: tuple[tuple[str | None, int], ...]  # most first; None: no role yet
    by_school: tuple[tuple[str | None, str | None, int], ...]  # (school id, typed name, users)
    asked: int
    answered: int
    fallback: int
    thumbs_up: int
    thumbs_down: int
    unanswered: tuple[tuple[str, int], ...]
    reminders: DeliveryFigures
    messages: DeliveryFigures
    weeks: tuple[Week, ...]

    @property
    def fallback_rate(self) -> float | None:
        return self.fallback / self.asked if self.asked else None


def _figures(counts: dict[tuple[str, str], int], kinds: tuple[str, ...]) -> DeliveryFigures:
    def total(statuses: tuple[str, ...]) -> int:
        return sum(n for (kind, status), n in counts.items() if kind in kinds and status in statuses)

    return DeliveryFigures(total((SENT,)), total((PENDING, SENDING)), total((FAILED, SKIPPED)), total((BLOCKED,)))


def weeks_of(per_day: dict[date, tuple[int, int]], today: date, weeks: int = CHART_WEEKS) -> tuple[Week, ...]:
    """Days summed into ISO weeks (Monday first), the last ``weeks`` weeks up to this one, empty ones too."""
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    totals = {monday: [0, 0] for monday in mondays}
    for day, (asked, fallback) in per_day.items():
        monday = day - timedelta(days=day.weekday())
        if monday in totals:
            totals[monday][0] += asked
            totals[monday][1] += fallback
    return tuple(Week(monday, *totals[monday]) for monday in mondays)


class StatsService:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def figures(self, actor: Authority, days: int, now: datetime) -> Stats:
        """The figures of the coordinator's own partnership over the last ``days`` days."""
        if days not in PERIODS:
            raise ValueError(f"period {days} not offered")
        since = now - timedelta(days=days)
        chart_since = now - timedelta(weeks=CHART_WEEKS)
        partnership = actor.partnership
        async with self.sessions() as session:
            await require_right(session, actor, partnership)
            stats = StatsRepository(session)
            groups = await stats.users(partnership)
            asked, fallback, up, down = await stats.questions(partnership, since)
            unanswered = await stats.unanswered(partnership, since, TOP_UNANSWERED)
            deliveries = await stats.deliveries(partnership, since)
            per_day = await stats.questions_per_day(partnership, min(since, chart_since))
        by_role: Counter[str | None] = Counter()
        by_school: Counter[tuple[str | None, str | None]] = Counter()
        for role, school_id, school_name, number, _ in groups:
            by_role[role] += number
            by_school[school_id, school_name] += number
        return Stats(
            partnership=partnership,
            days=days,
            users=sum(by_role.values()),
            reachable=sum(active for *_, active in groups),
            by_role=tuple(sorted(by_role.items(), key=lambda item: (-item[1], item[0] or "~"))),
            by_school=tuple(
                (school_id, name, number)
                for (school_id, name), number in sorted(
                    by_school.items(), key=lambda item: (-item[1], item[0][0] or "", item[0][1] or "")
                )
            ),
            asked=asked,
            answered=asked - fallback,
            fallback=fallback,
            thumbs_up=up,
            thumbs_down=down,
            unanswered=tuple((_short(text), number) for text, number in unanswered),
            reminders=_figures(deliveries, (REMINDER, CANCELLED)),
            messages=_figures(deliveries, (MESSAGE,)),
            weeks=weeks_of(per_day, now.date()),
        )

    async def weeks(self, actor: Authority, now: datetime) -> tuple[Week, ...]:
        """The chart's weeks alone (as ``figures(...).weeks``), for a chart asked for by itself."""
        partnership = actor.partnership
        async with self.sessions() as session:
            await require_right(session, actor, partnership)
            since = now - timedelta(weeks=CHART_WEEKS)
            per_day = await StatsRepository(session).questions_per_day(partnership, since)
        return weeks_of(per_day, now.date())


def _short(text: str) -> str:
    cleaned = " ".join(text.split())
    return cleaned if len(cleaned) <= MAX_QUESTION_TEXT else cleaned[: MAX_QUESTION_TEXT - 1] + "…"


__all__ = ["DEFAULT_PERIOD", "PERIODS", "DeliveryFigures", "Stats", "StatsService", "Week", "weeks_of"]
