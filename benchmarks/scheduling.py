"""Scheduling at scale: one dispatcher claim with 100 000 pending rows, and importing 1 000 events.

Run: ``python -m benchmarks.scheduling``. The outbox holds 100 000 pending rows of which 1 000 are due
(the rest lie in the coming weeks); each claim takes a batch of 5 and marks it sent, as the
dispatcher does. Measured on the embedded SQLite and, where Debian's PostgreSQL is installed, on
PostgreSQL. Target: p99 of one claim <= 20 ms. Then the import of an ICS file with 1 000 events (one
transaction), without subscribers (parsing and writing) and with 50 (planning two reminders each).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import summary, table, write_results
from bot.services import Outcome, Result, Services
from bot.settings import Settings
from db.agenda_repositories import MESSAGE, PENDING, DeliveryRepository
from db.engine import create_engine, session_factory
from db.migrate import upgrade
from db.models import User, utcnow
from db.repositories import ChatRepository
from knowledge import Matcher, load_knowledge_base
from tests.postgres import postgres_server

CHATS = 1000
FIRST_CHAT = 800_000


async def claims(database_url: str, pending: int, due: int, samples: int) -> dict[str, float]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        now = utcnow()
        async with sessions.begin() as session:
            rows = [{"id": FIRST_CHAT + n, "type": "private", "title": None, "now": now} for n in range(CHATS)]
            await ChatRepository(session).upsert_many(rows)
            await DeliveryRepository(session).add(
                [
                    {
                        "key": f"bench:{n // CHATS}",
                        "kind": MESSAGE,
                        "chat_id": FIRST_CHAT + n % CHATS,
                        "text": "Fictief",
                        "due_at": now - timedelta(seconds=1) if n < due else now + timedelta(minutes=1 + n % 40_000),
                        "status": PENDING,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for n in range(pending)
                ]
            )
        services = Services(Settings(), Matcher(load_knowledge_base()), sessions, clock=utcnow)
        measured = []
        for _ in range(samples):
            start = time.perf_counter()
            batch = await services.deliveries.claim(now, 5)
            measured.append(time.perf_counter() - start)
            await services.deliveries.record([Outcome(o.id, o.chat_id, Result.SENT) for o in batch], now)
        return summary(measured)
    finally:
        await engine.dispose()


def calendar(events: int) -> bytes:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fictief//NL\r\n"]
    start = utcnow().replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=2)
    for n in range(events):
        moment = start + timedelta(hours=n * 7)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        end = (moment + timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
        parts.append(
            f"BEGIN:VEVENT\r\nUID:bench-{n}@fictief\r\nSUMMARY:Fictieve intervisie {n}\r\n"
            f"DTSTART:{stamp}\r\nDTEND:{end}\r\nLOCATION:KC Fictief\r\nEND:VEVENT\r\n"
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


async def import_time(database_url: str, events: int, subscribers: int) -> dict[str, float]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        now = utcnow()
        async with sessions.begin() as session:
            rows = [{"id": FIRST_CHAT + n, "type": "private", "title": None, "now": now} for n in range(subscribers)]
            await ChatRepository(session).upsert_many(rows)
            session.add_all(
                User(id=FIRST_CHAT + n, chat_id=FIRST_CHAT + n, display_name="Fictief", partnership="poo-marnix")
                for n in range(subscribers)
            )
        services = Services(Settings(), Matcher(load_knowledge_base()), sessions, clock=utcnow)
        content = calendar(events)
        start = time.perf_counter()
        await services.agenda.import_calendar(content, "poo-marnix", utcnow())
        seconds = time.perf_counter() - start
        async with sessions() as session:
            planned = sum((await DeliveryRepository(session).counts()).values())
        return {"seconds": seconds, "events": events, "subscribers": subscribers, "reminders_planned": planned}
    finally:
        await engine.dispose()


async def run(quick: bool = False) -> dict[str, Any]:
    pending = 10_000 if quick else 100_000
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["claim_sqlite"] = await claims(
            f"sqlite+aiosqlite:///{Path(folder) / 'claim.sqlite3'}", pending, 1000, 200
        )
        with postgres_server() as admin_url:
            if admin_url is not None:
                results["claim_postgresql"] = await claims(admin_url, pending, 1000, 200)
        for subscribers in (0, 50):
            results[f"import_sqlite_{subscribers}"] = await import_time(
                f"sqlite+aiosqlite:///{Path(folder) / f'import{subscribers}.sqlite3'}", 1000, subscribers
            )
    rows = [[key, pending, r["median_ms"], r["p99_ms"]] for key, r in results.items() if key.startswith("claim")]
    print(table(["claim (batch van 5)", "wachtend", "mediaan ms", "p99 ms"], rows))
    for imported in (results["import_sqlite_0"], results["import_sqlite_50"]):
        print(
            f"import van {imported['events']} afspraken, {imported['subscribers']} abonnees "
            f"({imported['reminders_planned']} herinneringen gepland), SQLite: {imported['seconds']:.2f} s"
        )
    targets = {
        f"p99 claim <= 20 ms ({key})": r["p99_ms"] <= 20 for key, r in results.items() if key.startswith("claim")
    }
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    results["targets"] = targets
    print(f"resultaten: {write_results('scheduling', results)}")
    return results


if __name__ == "__main__":
    asyncio.run(run(quick="--quick" in sys.argv))
