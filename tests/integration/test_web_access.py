"""Ways into the web view on both databases: one-time links, sessions and Mini App initData."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from db.engine import SessionFactory
from db.repositories import UserRepository
from knowledge import Matcher
from tests.e2e.web.conftest import signed_init_data
from tests.factories import add_coordinator, add_user, services_for
from tests.moments import NOW

TOKEN = "123:FICTIEF"
COORDINATOR, MENTOR = 8101, 8102


async def _setup(sessions: SessionFactory) -> None:
    await add_user(sessions, COORDINATOR, "poo-marnix", "coordinator")
    await add_user(sessions, MENTOR, "poo-marnix", "mentor")
    await add_coordinator(sessions, COORDINATOR, "poo-marnix")


async def test_a_link_opens_one_session_within_its_ten_minutes(sessions: SessionFactory, matcher: Matcher) -> None:
    await _setup(sessions)
    access = services_for(sessions, matcher, telegram_bot_token=TOKEN).web_access
    assert await access.new_link(MENTOR, NOW) is None, "only coordinators get a link"
    link = await access.new_link(COORDINATOR, NOW)
    assert link is not None
    late = await access.new_link(COORDINATOR, NOW)
    assert late is not None

    session = await access.open_link(link, NOW + timedelta(minutes=9))
    assert session is not None
    assert await access.session_user(session, NOW + timedelta(hours=11)) == COORDINATOR
    assert await access.session_user(session, NOW + timedelta(hours=13)) is None, "sessions end after 12 hours"
    assert await access.open_link(link, NOW + timedelta(minutes=9)) is None, "a link works once"
    assert await access.open_link(late, NOW + timedelta(minutes=10, seconds=1)) is None, "and ten minutes"
    assert await access.open_link("verzonnen", NOW) is None


async def test_a_session_ends_with_the_right_and_with_vergeetmij(sessions: SessionFactory, matcher: Matcher) -> None:
    await _setup(sessions)
    access = services_for(sessions, matcher, telegram_bot_token=TOKEN).web_access
    link = await access.new_link(COORDINATOR, NOW)
    assert link is not None
    session = await access.open_link(link, NOW)
    assert session is not None
    async with sessions.begin() as db:
        await UserRepository(db).delete_everything(COORDINATOR)
    assert await access.session_user(session, NOW) is None


async def test_init_data_must_be_signed_for_this_bot_recently(sessions: SessionFactory, matcher: Matcher) -> None:
    await _setup(sessions)
    access = services_for(sessions, matcher, telegram_bot_token=TOKEN).web_access
    coordinator = {"id": COORDINATOR, "first_name": "Fictief"}
    signed_now = NOW.timestamp()
    assert await access.open_mini_app(signed_init_data(coordinator, signed_now, TOKEN), NOW) is not None
    hour = timedelta(hours=1)
    assert await access.open_mini_app(signed_init_data(coordinator, signed_now, TOKEN), NOW + 2 * hour) is None
    assert await access.open_mini_app(signed_init_data(coordinator, signed_now + 600, TOKEN), NOW) is None
    assert await access.open_mini_app(signed_init_data(coordinator, signed_now, "999:ANDER"), NOW) is None
    mentor = {"id": MENTOR, "first_name": "Fictief"}
    assert await access.open_mini_app(signed_init_data(mentor, signed_now, TOKEN), NOW) is None
    signed = signed_init_data(mentor, signed_now, TOKEN)
    forged = signed.replace(quote(f'"id":{MENTOR}'), quote(f'"id":{COORDINATOR}'))
    assert forged != signed
    assert await access.open_mini_app(forged, NOW) is None, "the signature covers the user"
    unsigned_but_deep = "user=" + quote("[" * 100_000) + "&auth_date=1&hash=00"
    assert await access.open_mini_app(unsigned_but_deep, NOW) is None
    assert await access.open_mini_app("user=" + quote("[" * 5_000) + "&auth_date=1&hash=00", NOW) is None
    assert await access.open_mini_app("hash=&&&", NOW) is None

    without_token = services_for(sessions, matcher).web_access
    unsigned = signed_init_data(coordinator, signed_now, "")
    assert await without_token.open_mini_app(unsigned, NOW) is None, "no bot token, no Mini App"


async def test_used_links_and_ended_sessions_are_purged(sessions: SessionFactory, matcher: Matcher) -> None:
    await _setup(sessions)
    access = services_for(sessions, matcher, telegram_bot_token=TOKEN).web_access
    link = await access.new_link(COORDINATOR, NOW)
    assert link is not None
    session = await access.open_link(link, NOW)
    assert session is not None
    assert await access.purge_expired(NOW + timedelta(minutes=11)) == 1, "the link, used or not, ended"
    assert await access.session_user(session, NOW + timedelta(minutes=11)) == COORDINATOR
    assert await access.purge_expired(NOW + timedelta(hours=13)) == 1, "then the session"
