"""Writes behind the reply: nothing lost, nothing resurrected, answers while the database is away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, select, text

from bot.services import Asked, Sender, Services
from bot.services import writes as write_module
from bot.services.writes import ProfileCache
from db.engine import SessionFactory, create_engine, session_factory
from db.models import Chat, InboxUpdate, Question, User, utcnow
from db.repositories import Profile, QuestionRepository, UserRepository
from knowledge import Matcher
from tests.factories import services_for
from tests.moments import ticking_clock

ANNA = Sender(9101, "Fictieve Anna", 9101, "private")
BRAM = Sender(9102, "Fictieve Bram", 9102, "private")
GRONINGEN = "groningen-kop-van-drenthe"
OTHER_CONNECTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()"
)
DROP_OTHER_CONNECTIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE pid <> pg_backend_pid() AND datname = current_database()"
)
OTHER_CONNECTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()"
)
DROP_OTHER_CONNECTIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE pid <> pg_backend_pid() AND datname = current_database()"
)


@pytest.fixture
def services(matcher: Matcher, sessions: SessionFactory) -> Services:
    return services_for(sessions, matcher, ticking_clock())


@pytest.fixture
async def unreachable() -> AsyncIterator[SessionFactory]:
    """Sessions on a PostgreSQL address where nothing listens: every statement fails quickly."""
    engine = create_engine("postgresql+asyncpg://fictief@127.0.0.1:9/niets")
    yield session_factory(engine)
    await engine.dispose()


async def ask(services: Services, sender: Sender, text: str) -> Asked:
    result = await services.questions.ask_from(sender, text)
    assert isinstance(result, Asked)
    return result


async def logged(sessions: SessionFactory, user_id: int) -> list[str]:
    async with sessions() as session:
        return [q.question for q in await QuestionRepository(session).for_user(user_id)]


async def test_the_question_is_logged_after_the_reply_under_the_id_its_buttons_carry(
    services: Services, sessions: SessionFactory
) -> None:
    asked = await ask(services, ANNA, "wat is intervisie")
    assert asked.question_id is not None
    assert await logged(sessions, ANNA.user_id) == []  # not yet: the reply did not wait for it
    assert await services.questions.feedback(ANNA.user_id, asked.question_id, 1)  # writes what is pending first
    async with sessions() as session:
        row = await QuestionRepository(session).get(asked.question_id)
        assert row is not None
        assert (row.question, row.feedback) == ("wat is intervisie", 1)


async def test_a_sender_that_did_not_change_is_not_written_again(services: Services, sessions: SessionFactory) -> None:
    await ask(services, ANNA, "wat is intervisie")
    await services.writes.flush()
    async with sessions() as session:
        first = (await session.scalars(select(User.updated_at).where(User.id == ANNA.user_id))).one()
    await ask(services, ANNA, "wat is scorion")
    await services.writes.flush()
    renamed = Sender(ANNA.user_id, "Fictieve Anna B.", ANNA.chat_id, "private")
    async with sessions() as session:
        assert (await session.scalars(select(User.updated_at).where(User.id == ANNA.user_id))).one() == first
    await ask(services, renamed, "wat is lesson study")
    await services.writes.flush()
    async with sessions() as session:
        user = await UserRepository(session).get(ANNA.user_id)
        assert user is not None
        assert user.display_name == "Fictieve Anna B."
    assert len(await logged(sessions, ANNA.user_id)) == 3


async def test_while_the_database_is_away_questions_are_answered_and_logged_later(
    services: Services, sessions: SessionFactory, unreachable: SessionFactory
) -> None:
    await services.onboarding.begin(ANNA)
    await services.onboarding.choose_partnership(ANNA.user_id, GRONINGEN)
    await ask(services, ANNA, "wat is intervisie")  # caches the profile
    await services.writes.flush()
    services.writes.sessions = unreachable
    object.__setattr__(services, "sessions", unreachable)

    cached = await ask(services, ANNA, "hoeveel besturen")
    assert "8 besturen" in cached.answer.text  # still the asker's own partnership
    stranger = await ask(services, BRAM, "wat is scorion")  # never seen: answered without a partnership
    assert stranger.answer.matched == "begrip:scorion"
    with pytest.raises(OSError, match=r"Connect call failed|connection"):
        await services.writes.flush()
    assert services.writes.pending > 0  # kept for later

    services.writes.sessions = sessions
    await services.writes.flush()
    assert await logged(sessions, ANNA.user_id) == ["wat is intervisie", "hoeveel besturen"]
    assert await logged(sessions, BRAM.user_id) == ["wat is scorion"]


async def test_a_long_outage_drops_the_oldest_questions_not_the_newest(
    services: Services, sessions: SessionFactory, unreachable: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "MAX_PENDING", 2)
    await ask(services, ANNA, "wat is intervisie")
    await services.writes.flush()
    services.writes.sessions = unreachable
    for question in ("wat is scorion", "wat is lesson study", "wat doet een SOL"):
        await ask(services, ANNA, question)
    services.writes.sessions = sessions
    await services.writes.flush()
    assert await logged(sessions, ANNA.user_id) == ["wat is intervisie", "wat is lesson study", "wat doet een SOL"]


async def test_forgetting_also_drops_what_was_not_written_yet(services: Services, sessions: SessionFactory) -> None:
    await ask(services, ANNA, "wat is intervisie")
    await services.writes.flush()
    await ask(services, ANNA, "wat is scorion")  # pending
    assert await services.profiles.forget(ANNA.user_id, ANNA.chat_id)
    await services.writes.flush()
    async with sessions() as session:
        assert await UserRepository(session).get(ANNA.user_id) is None
        assert await session.get(Chat, ANNA.chat_id) is None
    assert await logged(sessions, ANNA.user_id) == []


async def test_a_block_is_not_undone_by_a_record_written_later(services: Services, sessions: SessionFactory) -> None:
    await ask(services, ANNA, "wat is intervisie")  # its sender record is pending
    await services.profiles.mark_blocked(ANNA.chat_id)
    await services.writes.flush()
    async with sessions() as session:
        chat = await session.get(Chat, ANNA.chat_id)
        assert chat is not None
        assert not chat.active
    await ask(services, ANNA, "wat is scorion")  # writing again means reachable again
    await services.writes.flush()
    async with sessions() as session:
        chat = await session.get(Chat, ANNA.chat_id)
        assert chat is not None
        assert chat.active


async def test_a_row_the_database_refuses_does_not_block_the_others(
    services: Services, sessions: SessionFactory
) -> None:
    await ask(services, ANNA, "wat is intervisie")
    await ask(services, BRAM, "wat is intervisie")
    await services.writes.flush()
    await ask(services, ANNA, "wat is scorion")  # cached: only the question is pending
    await ask(services, BRAM, "wat is scorion")
    async with sessions.begin() as session:  # another instance forgets Anna meanwhile
        await session.execute(delete(Question).where(Question.user_id == ANNA.user_id))
        await session.execute(delete(User).where(User.id == ANNA.user_id))
    await services.writes.flush()
    assert await logged(sessions, BRAM.user_id) == ["wat is intervisie", "wat is scorion"]
    assert await logged(sessions, ANNA.user_id) == []
    assert services.writes.pending == 0


async def test_after_the_server_dropped_its_connections_the_profile_is_read_again(
    services: Services, sessions: SessionFactory, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a server that drops connections: PostgreSQL only")
    await services.onboarding.begin(ANNA)
    await services.onboarding.choose_partnership(ANNA.user_id, GRONINGEN)
    async with sessions() as session:  # a pooled connection that the server will drop
        await session.execute(select(1))
    admin = create_engine(database_url)
    async with admin.connect() as connection:
        await connection.execute(DROP_OTHER_CONNECTIONS)
        for _ in range(100):  # terminating is asynchronous: wait until the server is done with it
            if not (await connection.execute(OTHER_CONNECTIONS)).scalar():
                break
            await asyncio.sleep(0.02)
    await admin.dispose()
    asked = await ask(services, ANNA, "hoeveel besturen")
    assert "8 besturen" in asked.answer.text  # the asker's partnership, read on a fresh connection


async def test_text_the_database_refuses_is_cleaned_before_storing(
    services: Services, sessions: SessionFactory
) -> None:
    """PostgreSQL refuses NUL in text: a user with one in their name must not be locked out."""
    odd = Sender(9150, "Fictieve\x00 Naam" + "x" * 400, -9150, "supergroup", "Fictieve\x00 groep" + "y" * 400)
    asked = await ask(services, odd, "wat is\x00 intervisie")
    assert asked.answer.matched == "begrip:intervisie"
    await services.writes.flush()
    async with sessions() as session:
        user = await UserRepository(session).get(odd.user_id)
        chat = await session.get(Chat, odd.chat_id)
        assert user is not None
        assert chat is not None
        assert user.display_name.startswith("Fictieve Naam")
        assert len(user.display_name) == 255
        assert chat.title is not None
        assert "\x00" not in chat.title
    assert await logged(sessions, odd.user_id) == ["wat is intervisie"]


async def test_pending_rows_survive_a_transaction_that_fails(services: Services, sessions: SessionFactory) -> None:
    await ask(services, ANNA, "wat is intervisie")  # pending
    with pytest.raises(RuntimeError, match="fictieve fout"):
        async with services.writes.transaction():
            raise RuntimeError("fictieve fout")  # the caller's statement fails after the pending rows
    assert services.writes.pending > 0
    await services.writes.flush()
    assert await logged(sessions, ANNA.user_id) == ["wat is intervisie"]


async def test_many_handled_updates_are_removed_from_the_inbox_in_one_go(
    services: Services, sessions: SessionFactory
) -> None:
    """asyncpg takes at most 32 767 parameters per statement: a long outage must not jam the writer."""
    async with sessions.begin() as session:
        for update_id in (1, 20_000, 39_999):
            session.add(
                InboxUpdate(update_id=update_id, user_id=None, chat_id=None, payload="{}", received_at=utcnow())
            )
    for update_id in range(1, 40_001):
        services.writes.handled(update_id)
    await services.writes.flush()
    async with sessions() as session:
        assert list(await session.scalars(select(InboxUpdate.update_id))) == []


async def test_a_read_that_began_before_forgetting_does_not_bring_the_profile_back(services: Services) -> None:
    cache = services.cache
    began = cache.generation(ANNA.user_id)
    cache.forget_user(ANNA.user_id)  # /vergeetmij lands while the read is under way
    cache.remember(ANNA.user_id, ANNA.name, Profile(ANNA.user_id, GRONINGEN, None), True, read_in=began)
    assert cache.user(ANNA.user_id) is None


async def test_forgetting_again_also_removes_what_was_logged_without_a_profile(
    services: Services, sessions: SessionFactory
) -> None:
    await ask(services, ANNA, "wat is intervisie")
    await services.writes.flush()
    assert await services.profiles.forget(ANNA.user_id, ANNA.chat_id)
    await services.questions.pick(ANNA.user_id, ANNA.chat_id, "begrip:scorion")  # an old button, pressed later
    await services.writes.flush()
    assert not await services.profiles.forget(ANNA.user_id, ANNA.chat_id)
    async with sessions() as session:
        left = list(await session.scalars(select(Question).where(Question.chat_id == ANNA.chat_id)))
    assert left == []


def test_the_profile_cache_keeps_its_forget_numbers_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.services.writes.CACHE_USERS", 10)
    cache = ProfileCache()
    for user_id in range(50):
        cache.forget_user(user_id)
    assert len(cache._generations) <= 10
    read_in = cache.generation(3)
    cache.forget_user(3, erase=True)  # /vergeetmij: no entry left, and a read under way still refused
    assert 3 not in cache._generations
    cache.remember(3, "Fictief", Profile(3, "poo-marnix", None), True, read_in=read_in)
    assert cache.user(3) is None
