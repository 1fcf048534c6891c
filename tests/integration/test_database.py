from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Table, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import alembic_config, downgrade, upgrade
from db.models import (
    AuditEntry,
    Base,
    Broadcast,
    Chat,
    Coordinator,
    Delivery,
    Event,
    EventDraft,
    InboxDraft,
    InboxUpdate,
    Question,
    Rsvp,
    Subscription,
    WebToken,
    utcnow,
)
from db.repositories import ChatRepository, QuestionRepository, UserRepository
from tests.conftest import PROJECT_DIR

HEAD_REVISION = ScriptDirectory.from_config(alembic_config()).get_current_head()
QUESTIONS_TABLE = Question.__table__


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


# -- time stamps ----------------------------------------------------------------------------------

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_timestamps_come_back_aware_in_utc_whatever_zone_went_in(sessions: SessionFactory) -> None:
    nine_in_amsterdam = datetime(2026, 12, 1, 9, 0, tzinfo=AMSTERDAM)  # winter: UTC+1
    async with sessions.begin() as session:
        question_id = await QuestionRepository(session).add(
            user_id=None, chat_id=None, question="q", matched=None, confidence=0, fallback=True, partnership=None
        )
        row = await QuestionRepository(session).get(question_id)
        assert row is not None
        row.created_at = nine_in_amsterdam
    async with sessions() as session:
        stored = await QuestionRepository(session).get(question_id)
        assert stored is not None
        assert stored.created_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        assert stored.created_at.utcoffset() == timedelta(0)
    async with sessions.begin() as session:
        # A moment in another zone compares as the same instant on both databases.
        just_after = datetime(2026, 12, 1, 9, 0, 1, tzinfo=AMSTERDAM)
        assert await QuestionRepository(session).purge_older_than(just_after) == 1


async def test_a_naive_timestamp_is_refused(sessions: SessionFactory) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessions.begin() as session:
            await QuestionRepository(session).purge_older_than(datetime(2026, 12, 1, 9, 0))


async def test_server_default_timestamps_are_utc(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO chats (id, type, active) VALUES (42, 'private', true)"))
    async with sessions() as session:
        chat = await ChatRepository(session).get(42)
        assert chat is not None
        assert chat.created_at.tzinfo is not None
        assert abs(chat.created_at - utcnow()) < timedelta(minutes=5)


# -- savepoints -----------------------------------------------------------------------------------


async def test_savepoint_rolls_back_only_its_own_work(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(2001, "private", None)
        nested = await session.begin_nested()
        await ChatRepository(session).upsert(2002, "private", None)
        await nested.rollback()
        async with session.begin_nested():
            await ChatRepository(session).upsert(2003, "private", None)
    async with sessions() as session:
        found = set(await session.scalars(select(Chat.id).where(Chat.id.in_([2001, 2002, 2003]))))
    assert found == {2001, 2003}


async def test_failed_statement_inside_a_savepoint_leaves_the_transaction_usable(sessions: SessionFactory) -> None:
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(2010, "private", None)
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(text("INSERT INTO chats (id, type, active) VALUES (2010, 'private', true)"))
        await ChatRepository(session).upsert(2011, "private", None)
    async with sessions() as session:
        found = set(await session.scalars(select(Chat.id).where(Chat.id.in_([2010, 2011]))))
    assert found == {2010, 2011}


# -- migrations -----------------------------------------------------------------------------------


async def test_upgrade_keeps_every_row_of_an_older_schema(database_url: str) -> None:
    """A batch ALTER of ``users`` on SQLite rebuilds the table; its cascade must not empty the log."""
    engine = create_engine(database_url)
    try:
        await downgrade(engine, "base")  # the test's database starts at the newest revision
        await upgrade(engine, "0001")
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO chats (id, type, active) VALUES (3001, 'private', true)"))
            await connection.execute(
                text(
                    "INSERT INTO users (id, chat_id, display_name, partnership, role, is_coordinator) "
                    "VALUES (3001, 3001, 'Fictieve Oud', 'poo-marnix', 'mentor', false)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO questions (user_id, chat_id, question, confidence, fallback) "
                    "VALUES (3001, 3001, 'wat is intervisie', 0.9, false)"
                )
            )
        await upgrade(engine)
        async with session_factory(engine)() as session:
            user = await UserRepository(session).get(3001)
            assert user is not None
            assert (user.display_name, user.partnership, user.role, user.chat_id) == (
                "Fictieve Oud",
                "poo-marnix",
                "mentor",
                3001,
            )
            assert [q.question for q in await QuestionRepository(session).for_user(3001)] == ["wat is intervisie"]
        async with engine.connect() as connection:
            columns = await connection.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns("users")})
        assert "is_coordinator" not in columns
    finally:
        await engine.dispose()


async def test_foreign_keys_are_on_again_after_migrating(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        with pytest.raises(IntegrityError):
            await connection.execute(
                text("INSERT INTO users (id, chat_id, display_name) VALUES (3100, 999999, 'Fictief')")
            )


async def test_two_instances_starting_together_both_migrate(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):  # a new file: its first migration also switches on WAL
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        if not database_url.startswith("sqlite"):
            await downgrade(engines[0], "base")  # the test's database starts at the newest revision
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        async with engines[0].connect() as connection:
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        assert version == HEAD_REVISION
    finally:
        for engine in engines:
            await engine.dispose()


# -- erasure --------------------------------------------------------------------------------------

FORGOTTEN_USER = 4001
OTHER_USER = 4002
GROUP_CHAT = -4500


async def _fill_every_table(session: AsyncSession) -> None:
    """One row per table for the user to forget, and one for someone else who must stay."""
    for user_id in (FORGOTTEN_USER, OTHER_USER):
        await ChatRepository(session).upsert(user_id, "private", None)
        await UserRepository(session).upsert(user_id, f"Fictief {user_id}", private_chat_id=user_id)
    await ChatRepository(session).upsert(GROUP_CHAT, "supergroup", "Fictieve groep")
    for update_id, (user_id, chat_id) in enumerate(
        ((FORGOTTEN_USER, FORGOTTEN_USER), (FORGOTTEN_USER, GROUP_CHAT), (OTHER_USER, OTHER_USER))
    ):
        await QuestionRepository(session).add(
            user_id=user_id, chat_id=chat_id, question="q", matched=None, confidence=0, fallback=True, partnership=None
        )
        session.add(InboxUpdate(update_id=update_id, user_id=user_id, chat_id=chat_id, payload="{}"))
    now = utcnow()
    event = Event(
        partnership="poo-marnix",
        uid="fictief@test",
        occurrence="",
        category="intervisie",
        title="Fictieve intervisie",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        location="",
        description="",
        audience="",
        schools="",
        cancelled=False,
    )
    session.add(event)
    await session.flush()
    for user_id in (FORGOTTEN_USER, OTHER_USER):
        # Each granted the other's right: the forgotten user's id must go from granted_by too.
        granted_by = OTHER_USER if user_id == FORGOTTEN_USER else FORGOTTEN_USER
        session.add(Coordinator(user_id=user_id, partnership="poo-marnix", granted_by=granted_by, granted_at=now))
        session.add(AuditEntry(partnership="poo-marnix", actor_id=user_id, actor_name="Fictief", action="x", at=now))
        session.add(Subscription(user_id=user_id, category="overig", enabled=False))
        session.add(InboxDraft(user_id=user_id, partnership="poo-marnix", question_id=1, answer="x", updated_at=now))
        session.add(Rsvp(event_id=event.id, user_id=user_id, coming=True))
        session.add(EventDraft(user_id=user_id, purpose="nieuw", partnership="poo-marnix", title="Fictief concept"))
        expires = now + timedelta(hours=1)
        session.add(
            WebToken(token_hash=f"{user_id:064}", kind="session", user_id=user_id, created_at=now, expires_at=expires)
        )
        session.add(
            Delivery(
                key=f"reminder:{event.id}:x",
                kind="reminder",
                chat_id=user_id,
                user_id=user_id,
                event_id=event.id,
                due_at=now + timedelta(days=2),
                status="pending",
                attempts=0,
            )
        )
        # A sent broadcast (stays, without its author) and a draft (the author's own text: goes).
        for status in ("done", "concept"):
            session.add(
                Broadcast(
                    partnership="poo-marnix",
                    author_id=user_id,
                    report_chat_id=user_id,
                    text="Fictief bericht",
                    status=status,
                    recipients=1,
                )
            )


FILLED_TABLES = {
    "chats",
    "users",
    "questions",
    "inbox",
    "subscriptions",
    "rsvps",
    "deliveries",
    "coordinators",
    "audit_log",
    "inbox_drafts",
    "event_drafts",
    "broadcasts",
    "web_tokens",
}
PERSON_TABLES = {"users", "chats"}


def _person_columns() -> list[tuple[Table, Column[Any]]]:
    """Every column that can hold a user id or a chat id: the keys of users and chats, and references to them."""
    found: list[tuple[Table, Column[Any]]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            references = {key.column.table.name for key in column.foreign_keys}
            own_key = table.name in PERSON_TABLES and column.primary_key
            if own_key or references & PERSON_TABLES or column.name in ("user_id", "chat_id", "actor_id", "granted_by"):
                found.append((table, column))
    return found


async def test_forgetting_leaves_no_row_with_the_users_id_or_private_chat_in_any_table(
    sessions: SessionFactory,
) -> None:
    tables_with_people = {table.name for table, _ in _person_columns()}
    assert tables_with_people <= FILLED_TABLES, "add rows for the new tables to _fill_every_table"
    async with sessions.begin() as session:
        await _fill_every_table(session)
    async with sessions.begin() as session:
        assert await UserRepository(session).delete_everything(FORGOTTEN_USER)
    async with sessions() as session:
        for table, column in _person_columns():
            left = (
                await session.execute(select(func.count()).select_from(table).where(column == FORGOTTEN_USER))
            ).scalar()
            assert left == 0, f"{table.name}.{column.name} still holds the forgotten user"
        others = (await session.execute(select(func.count()).select_from(QUESTIONS_TABLE))).scalar()
        assert others == 1  # the other user's question stays
        assert (await session.execute(select(func.count()).select_from(InboxUpdate))).scalar() == 1
        for model in (
            Subscription,
            Rsvp,
            Delivery,
            Coordinator,
            InboxDraft,
        ):  # the other user's rows stay, the event too
            assert (await session.execute(select(func.count()).select_from(model))).scalar() == 1
        # The forgotten author's sent broadcast stays without them, their draft is gone; the other's both stay.
        kept = (await session.execute(select(Broadcast.author_id, Broadcast.report_chat_id, Broadcast.status))).all()
        assert sorted(kept, key=str) == sorted(
            [(None, None, "done"), (OTHER_USER, OTHER_USER, "done"), (OTHER_USER, OTHER_USER, "concept")], key=str
        )
        assert await UserRepository(session).get(OTHER_USER) is not None
        # The audit log keeps both actions; only the forgotten person's name and id are gone.
        actors = (await session.execute(select(AuditEntry.actor_id, AuditEntry.actor_name))).all()
        assert sorted(actors, key=str) == sorted([(None, None), (OTHER_USER, "Fictief")], key=str)


def test_the_alembic_command_works_for_the_next_developer(tmp_path: Path) -> None:
    """`alembic upgrade head` and `alembic check` (what --autogenerate compares) from the project folder."""
    environment = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    for arguments in (["upgrade", "head"], ["check"]):
        result = subprocess.run(
            [sys.executable, "-m", "alembic", *arguments],
            cwd=PROJECT_DIR,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr
