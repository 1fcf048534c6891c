"""What operators see (/healthz, /metrics) on both databases: the figures come from the rows."""

from __future__ import annotations

from datetime import timedelta

from db.engine import SessionFactory, create_engine, session_factory
from knowledge import Matcher
from tests.factories import services_for
from tests.integration.test_leases import queue
from tests.moments import NOW


async def test_health_tells_a_late_outbox_and_a_silent_dispatcher(sessions: SessionFactory, matcher: Matcher) -> None:
    ops = services_for(sessions, matcher).ops
    healthy = await ops.health(NOW, last_poll_at=NOW - timedelta(seconds=5))
    assert healthy.ok
    assert healthy.oldest_pending_seconds is None

    await queue(sessions, 9101, 9102, due=NOW - timedelta(minutes=3))
    await queue(sessions, 9103, due=NOW + timedelta(days=1))  # not due yet: not late
    late = await ops.health(NOW, last_poll_at=NOW - timedelta(seconds=5))
    assert late.oldest_pending_seconds == 180

    assert not (await ops.health(NOW, last_poll_at=None)).ok, "a dispatcher that never polled"
    assert not (await ops.health(NOW, last_poll_at=NOW - timedelta(minutes=5))).ok, "one that stopped"


async def test_health_says_when_the_database_is_away(matcher: Matcher) -> None:
    engine = create_engine("postgresql+asyncpg://niemand:fout@127.0.0.1:1/geen")
    try:
        health = await services_for(session_factory(engine), matcher).ops.health(NOW, NOW)
    finally:
        await engine.dispose()
    assert not health.database
    assert not health.ok


async def test_figures_count_deliveries_by_kind_and_status(sessions: SessionFactory, matcher: Matcher) -> None:
    await queue(sessions, 9101, 9102, due=NOW - timedelta(seconds=30))
    figures = await services_for(sessions, matcher).ops.figures(NOW)
    assert figures.deliveries == {("message", "pending"): 2}
    assert figures.oldest_pending_seconds == 30
    assert (figures.answers, figures.fallbacks, figures.open_questions, figures.update_inbox) == (0, 0, 0, 0)
