"""The update inbox with several instances on one database (SQLite and PostgreSQL): rows belong to the
instance that received them while it lives; a starting instance takes over only what a dead or stopped
instance left; a refused second copy of an update leaves no row to replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from telegram import Chat, Message, Update, User

from bot.inbox import Inbox
from bot.services import Services
from db.engine import SessionFactory
from db.models import InboxUpdate
from knowledge import Matcher
from tests.factories import services_for
from tests.moments import NOW

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

LEASE = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def message_update(update_id: int, user_id: int = 7501) -> Update:
    user = User(user_id, "Fictief", is_bot=False)
    message = Message(update_id, datetime.now(UTC), Chat(user_id, "private"), from_user=user, text="wat is intervisie")
    return Update(update_id, message=message)


def instance(sessions: SessionFactory, matcher: Matcher, clock: Clock) -> tuple[Services, Inbox]:
    services = services_for(sessions, matcher, clock, inbox_lease_seconds=LEASE)
    inbox = Inbox()
    inbox.attach(services)
    return services, inbox


async def stored(sessions: SessionFactory) -> dict[int, str | None]:
    async with sessions() as session:
        return {row.update_id: row.owner for row in await session.scalars(select(InboxUpdate))}


async def test_a_starting_instance_leaves_the_rows_of_a_live_one_and_takes_over_those_of_a_dead_one(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    _, first_inbox = instance(sessions, matcher, clock)
    await first_inbox.receive([message_update(1), message_update(2)])
    second, second_inbox = instance(sessions, matcher, clock)
    clock.now = NOW + timedelta(seconds=LEASE / 2)
    assert await second_inbox.left_over(None) == ([], [])  # type: ignore[arg-type]
    await first_inbox.renew()  # the first is alive
    clock.now = NOW + timedelta(seconds=LEASE + 1)
    assert await second_inbox.left_over(None) == ([], [])  # type: ignore[arg-type]
    clock.now = NOW + timedelta(seconds=LEASE * 2)  # the first stopped renewing: it died
    again, _ = await second_inbox.left_over(None)  # type: ignore[arg-type]
    assert [update.update_id for update in again] == [1, 2]
    assert set((await stored(sessions)).values()) == {second.instance}
    assert await first_inbox.left_over(None) == ([], [])  # type: ignore[arg-type]


async def test_an_instance_that_stops_releases_its_rows_to_the_next_at_once(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    clock = Clock()
    _, old = instance(sessions, matcher, clock)
    await old.receive([message_update(3)])
    await old.release()
    new_services, new = instance(sessions, matcher, clock)
    again, _ = await new.left_over(None)  # type: ignore[arg-type]
    assert [update.update_id for update in again] == [3]
    assert await stored(sessions) == {3: new_services.instance}


async def test_a_refused_second_copy_leaves_no_row_to_replay_at_the_next_start(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, inbox = instance(sessions, matcher, Clock())
    update = message_update(4)
    await inbox.receive([update])
    assert inbox.first_time(update)
    await inbox.handled(update)
    await services.writes.flush()
    await inbox.receive([update])  # Telegram sends it again: written again on receipt
    assert not inbox.first_time(update)
    await inbox.refused(update)
    await services.writes.flush()
    assert await stored(sessions) == {}


async def test_a_second_copy_while_the_first_is_under_way_keeps_the_row_until_the_first_is_done(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, inbox = instance(sessions, matcher, Clock())
    update = message_update(5)
    await inbox.receive([update])
    assert inbox.first_time(update)
    assert not inbox.first_time(update)
    await inbox.refused(update)
    await services.writes.flush()
    assert list(await stored(sessions)) == [5]  # still protected while the first copy is handled
    await inbox.handled(update)
    await services.writes.flush()
    assert await stored(sessions) == {}


@pytest.mark.parametrize("first_to_write", ["old", "new"])
async def test_an_update_telegram_gives_to_two_live_instances_is_handled_by_one_of_them(
    sessions: SessionFactory, matcher: Matcher, first_to_write: str
) -> None:
    """A rolling deploy: the new instance's first getUpdates can come after the old one received a batch
    and before its next poll confirmed it, so Telegram gives that batch to both. The instance whose row
    it is answers it; the other leaves it alone (and takes it over only if the owner dies)."""
    clock = Clock()
    old_services, old = instance(sessions, matcher, clock)
    new_services, new = instance(sessions, matcher, clock)
    update = message_update(6)
    order = [old, new] if first_to_write == "old" else [new, old]
    for inbox in order:
        await inbox.receive([update])
    owner = order[0]
    assert [inbox.first_time(update) for inbox in (old, new)] == [inbox is owner for inbox in (old, new)]
    other = new if owner is old else old
    await other.refused(update)
    await old_services.writes.flush()
    await new_services.writes.flush()
    owner_id = (old_services if owner is old else new_services).instance
    assert await stored(sessions) == {6: owner_id}  # still the owner's, who removes it once answered
    clock.now = NOW + timedelta(seconds=LEASE * 2)  # the owner died without answering it
    again, _ = await other.left_over(None)  # type: ignore[arg-type]
    assert [u.update_id for u in again] == [6]
    assert other.first_time(again[0])
