from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import SessionFactory
from db.migrate import downgrade, upgrade
from db.models import Base, utcnow
from db.repositories import ChatRepository, QuestionRepository, UserRepository


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    assert diff == []


async def test_upgrade_is_idempotent_and_downgrade_works(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await downgrade(engine, "base")
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await upgrade(engine)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert {"users", "chats", "questions"} <= set(tables)


async def test_user_profile_round_trip(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(1001, "private", None)
        await UserRepository(session).upsert(1001, "Fictieve Mentor", private_chat_id=1001)
        user = await UserRepository(session).get(1001)
        assert user is not None
        user.partnership, user.role = "poo-marnix", "mentor"
    async with sessions() as session:
        user = await UserRepository(session).get(1001)
        assert user is not None
        assert (user.display_name, user.partnership, user.role, user.active) == (
            "Fictieve Mentor",
            "poo-marnix",
            "mentor",
            True,
        )


async def test_upsert_keeps_the_private_chat_and_returns_the_profile(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(1010, "private", None)
        first = await UserRepository(session).upsert(1010, "Oude Naam", private_chat_id=1010)
        assert (first.id, first.partnership, first.awaiting) == (1010, None, None)
    async with sessions.begin() as session:
        user = await UserRepository(session).get(1010)
        assert user is not None
        user.partnership = "poo-marnix"
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(-77, "group", "Fictieve groep")
        again = await UserRepository(session).upsert(1010, "Nieuwe Naam", private_chat_id=None)
        assert again.partnership == "poo-marnix"
    async with sessions() as session:
        user = await UserRepository(session).get(1010)
        assert user is not None
        assert (user.display_name, user.chat_id) == ("Nieuwe Naam", 1010)


async def test_repositories_do_not_commit(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await ChatRepository(session).upsert(1002, "private", None)
        await UserRepository(session).upsert(1002, "Weg", private_chat_id=1002)
        await session.rollback()
    async with sessions() as session:
        assert await UserRepository(session).get(1002) is None


async def test_blocked_chat_is_inactive_until_heard_from_again(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(1003, "private", None)
        await UserRepository(session).upsert(1003, "X", private_chat_id=1003)
    async with sessions.begin() as session:
        assert await ChatRepository(session).mark_blocked(1003)
        assert not await ChatRepository(session).mark_blocked(1003)
    async with sessions() as session:
        user = await UserRepository(session).get(1003)
        assert user is not None
        assert not user.active
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(1003, "private", None)
    async with sessions() as session:
        user = await UserRepository(session).get(1003)
        assert user is not None
        assert user.active


async def test_forget_deletes_user_chat_and_questions(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(1004, "private", None)
        await UserRepository(session).upsert(1004, "X", private_chat_id=1004)
        questions = QuestionRepository(session)
        for text in ("vraag een", "vraag twee"):
            await questions.add(
                user_id=1004, chat_id=1004, question=text, matched=None, confidence=0.1, fallback=True, partnership=None
            )
        await ChatRepository(session).upsert(-5000, "group", "Fictieve groep")
        await questions.add(
            user_id=1004,
            chat_id=-5000,
            question="in groep",
            matched=None,
            confidence=0,
            fallback=True,
            partnership=None,
        )
    async with sessions.begin() as session:
        assert await UserRepository(session).delete_everything(1004)
    async with sessions() as session:
        assert await UserRepository(session).get(1004) is None
        assert await ChatRepository(session).get(1004) is None
        assert await QuestionRepository(session).for_user(1004) == []
        assert await ChatRepository(session).get(-5000) is not None  # the group itself stays


async def test_feedback_only_on_own_question(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        for uid in (1005, 1006):
            await ChatRepository(session).upsert(uid, "private", None)
            await UserRepository(session).upsert(uid, "X", private_chat_id=uid)
        question_id = await QuestionRepository(session).add(
            user_id=1005,
            chat_id=1005,
            question="q",
            matched="rol:mentor",
            confidence=1,
            fallback=False,
            partnership=None,
        )
    async with sessions.begin() as session:
        assert not await QuestionRepository(session).set_feedback(question_id, 1006, 1)
        assert await QuestionRepository(session).set_feedback(question_id, 1005, -1)
    async with sessions() as session:
        row2 = await QuestionRepository(session).get(question_id)
        assert row2 is not None
        assert row2.feedback == -1


async def test_purge_removes_only_old_questions(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        old_id = await QuestionRepository(session).add(
            user_id=None, chat_id=None, question="oud", matched=None, confidence=0, fallback=True, partnership=None
        )
        old = await QuestionRepository(session).get(old_id)
        assert old is not None
        old.created_at = utcnow() - timedelta(days=400)
        await QuestionRepository(session).add(
            user_id=None, chat_id=None, question="nieuw", matched=None, confidence=0, fallback=True, partnership=None
        )
    async with sessions.begin() as session:
        assert await QuestionRepository(session).purge_older_than(utcnow() - timedelta(days=180)) == 1


@pytest.mark.parametrize("url", ["postgresql://u:p@h/db", "postgres://u:p@h/db"])
def test_plain_postgres_urls_get_the_async_driver(url: str) -> None:
    from db.engine import async_url

    assert async_url(url).startswith("postgresql+asyncpg://u:p@h/db")
