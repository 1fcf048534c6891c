"""What operators watch (/healthz, /metrics): plain figures, read from the database on each request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db.engine import SessionFactory
from db.ops_repositories import OpsRepository


@dataclass(frozen=True)
class Health:
    database: bool
    dispatcher_alive: bool
    oldest_pending_seconds: float | None  # how late the oldest due delivery is; None: nothing due

    @property
    def ok(self) -> bool:
        return self.database and self.dispatcher_alive


@dataclass(frozen=True)
class Figures:
    answers: int
    fallbacks: int
    deliveries: dict[tuple[str, str], int]  # (kind, status) -> count
    open_questions: int
    update_inbox: int
    oldest_pending_seconds: float | None


class OpsService:
    def __init__(self, sessions: SessionFactory, poll_seconds: float) -> None:
        self.sessions = sessions
        self.poll_seconds = poll_seconds

    async def health(self, now: datetime, last_poll_at: datetime | None) -> Health:
        """The dispatcher counts as alive when it polled within a few poll intervals (a long drain
        of a large broadcast polls again only when done, hence the generous margin)."""
        alive = last_poll_at is not None and now - last_poll_at <= timedelta(seconds=max(60, 10 * self.poll_seconds))
        try:
            async with self.sessions() as session:
                repository = OpsRepository(session)
                await repository.ping()
                oldest = await repository.oldest_due_pending(now)
        except Exception:  # any failure to reach the database is the answer itself
            return Health(False, alive, None)
        return Health(True, alive, _seconds_since(oldest, now))

    async def figures(self, now: datetime) -> Figures:
        async with self.sessions() as session:
            repository = OpsRepository(session)
            questions = await repository.questions_by_outcome()
            return Figures(
                answers=questions.get(False, 0),
                fallbacks=questions.get(True, 0),
                deliveries=await repository.deliveries_by_status(),
                open_questions=await repository.open_questions(),
                update_inbox=await repository.update_inbox_depth(),
                oldest_pending_seconds=_seconds_since(await repository.oldest_due_pending(now), now),
            )


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())
