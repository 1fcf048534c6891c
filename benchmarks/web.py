"""The web view at the size of a large partnership: p50 / p95 per page and per form sent, against /healthz.

Run: ``python -m benchmarks.web`` (``--quick``: fewer requests). One partnership (poo-marnix) holds
10 000 fictional users (each with a private chat), 1 000 events (half past, half coming; 20 RSVPs on
each of the first 200 coming ones), 10 000 reminders in the outbox, 1 000 open inbox questions (fell
back, not answered; 300 different texts) and 2 000 answered questions spread over the last year.
Through the services, as a coordinator makes them: a broadcast to all mentors (its rows then finished
as the dispatcher would: sent, blocked, refused), the coordinator's draft to all mentors, and 100
questions and answers imported from a CSV file. The web app (``bot.web.server.create_app``, served by
aiohttp on a free local port in this process) is asked for each page, then sent each form, in turn,
by aiohttp's client with a coordinator's session made by ``WebAccessService``, so every request passes
the real middleware (session, coordinator lookup, and the form's CSRF token).

Pages (``PAGES``): the overview, statistics and chart, agenda, import, broadcasts (with a draft's
confirmation and a sent broadcast's report), inbox, knowledge, and the edit forms of an event and of
an imported question. Forms (``POSTS``): a new event, a change of one, a broadcast draft (up to its
confirmation page; nothing is sent to Telegram), an inbox answer (its preview, then "Versturen", which
queues the asker's message in the outbox; no bot runs to send it) and an edit of an imported question.
A form is measured up to its redirect (not followed): the POST's own work.

Target (issue 19): each page answers in <= 200 ms p95. The baseline is /healthz in the same run (a
database round trip through the same server and client). A page that answers 404 is not there yet
(another helper's page not merged): reported as "ontbreekt", not measured. Add pages to ``PAGES``,
forms to ``POSTS``. Measured on the embedded SQLite and, where Debian's PostgreSQL is installed, on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from multidict import MultiDict
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.common import flags, questions, table, write_results
from bot.services import Authority, Services
from bot.services.broadcasts import Audience
from bot.services.file_imports import FileImported
from bot.services.question_inbox import answer_version
from bot.services.schedule import AMSTERDAM, DEFAULT_AUDIENCE, dutch_date, local
from bot.services.web_access import csrf_token
from bot.settings import Settings
from bot.stats_chart import chart_png
from bot.web.agenda import Form as EventForm
from bot.web.server import WebServer, create_app
from db.agenda_repositories import BLOCKED, FAILED, PENDING, REMINDER, SENT
from db.broadcast_repositories import broadcast_key
from db.coordinator_repositories import CoordinatorRepository
from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import upgrade
from db.models import Delivery, Event, Question, Rsvp, User, utcnow
from db.repositories import ChatRepository
from knowledge import Matcher, load_knowledge_base
from knowledge.imports import COLUMNS
from knowledge.overlay import OverlayItem
from tests.postgres import postgres_server

PARTNERSHIP = "poo-marnix"
USERS, EVENTS, OPEN_QUESTIONS, ANSWERED_QUESTIONS, REMINDERS_PER_EVENT = 10_000, 1_000, 1_000, 2_000, 10
OPEN_TEXTS = 300
KNOWLEDGE_ITEMS = 100  # questions and answers the partnership imported
CATEGORIES = tuple(DEFAULT_AUDIENCE)
FIRST_USER = 900_000
COORDINATOR = FIRST_USER  # the first fictional user coordinates the partnership
ROLE_MIX = ("student", "student", "student", "mentor", "mentor", "schoolopleider", "directeur", None)
MENTORS = Audience(("mentor",))
CHANGED_EVENT = EVENTS // 2 + 100  # a coming event with RSVPs: its edit form, and the change sent
NEW_EVENT = "Fictieve nieuwe bijeenkomst"
NEW_EVENT_DAYS = 60  # a new event starts this many days from now
NEW_QUESTION = "Waar vind ik het fictieve stagerooster van volgende week?"
# Each form alternates between two texts, so every round changes what it sends (an edit that changes
# nothing would save nothing) and round 200 stores what round 1 did.
PLACES = ("KC Fictief, zaal 1", "KC Fictief, zaal 2")
BROADCAST_TEXTS = ("Fictieve oproep: de intervisie gaat door.", "Fictieve oproep: de intervisie is verplaatst.")
ANSWERS = ("Het fictieve stagerooster staat op de fictieve site.", "Het fictieve stagerooster staat in de app.")
BASELINE = "/healthz"
CHART = "/statistieken/grafiek.png"
CONFIRM = "/berichten/{draft}/bevestigen"  # a draft to all mentors: the recipients counted on every view
# (label, path): the pages of the web view, each path formatted with ``Bench.ids``; the chart is the
# image /statistieken shows, measured as the same figures again (drawn once, then from memory) and as
# after a new question (drawn anew).
PAGES = (
    ("healthz (basislijn)", BASELINE),
    ("overzicht", "/"),
    ("statistieken", "/statistieken"),
    ("statistieken 365 dagen", "/statistieken?dagen=365"),
    ("grafiek, zelfde cijfers", CHART),
    ("grafiek, na een nieuwe vraag", CHART + "?nieuw"),
    ("agenda (maand)", "/agenda"),
    ("agenda (lijst)", "/agenda/lijst"),
    ("bijeenkomst wijzigen (formulier)", f"/agenda/{CHANGED_EVENT}/wijzigen"),
    ("importeren", "/importeren"),
    ("berichten", "/berichten"),
    ("bericht bevestigen (ontvangers geteld)", CONFIRM),
    ("bericht verstuurd (rapport, alle mentoren)", "/berichten/{report}"),
    ("vragen", "/vragen"),
    ("vragen, na een nieuwe vraag", "/vragen?nieuw"),
    ("kennis", "/kennis"),
    ("kennisitem wijzigen (formulier)", "/kennis/{item}"),
)
TARGET_MS = 200.0
CHUNK = 2_000  # rows per INSERT (SQLite allows 32 766 parameters per statement)


async def _insert(sessions: SessionFactory, model: Any, rows: list[dict[str, Any]]) -> None:
    async with sessions.begin() as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(model), rows[start : start + CHUNK])


async def new_question(sessions: SessionFactory, now: datetime) -> int:
    """One more open question for the inbox to group; its id. Dated before the statistics' longest
    period, so the figures and the chart (measured from memory as "zelfde cijfers") stay the same."""
    async with sessions.begin() as session:
        last = await session.scalar(select(func.max(Question.id)))  # ids were given in the bulk insert
        question_id = (last or 0) + 1
        session.add(
            Question(
                id=question_id,
                user_id=FIRST_USER + 1,
                chat_id=FIRST_USER + 1,
                question=NEW_QUESTION,
                matched=None,
                confidence=0.2,
                fallback=True,
                partnership=PARTNERSHIP,
                created_at=now - timedelta(days=400),
            )
        )
    return question_id


async def fill(sessions: SessionFactory, matcher: Matcher, now: datetime) -> None:
    """The fictional partnership, in bulk through SQLAlchemy core (executemany inserts)."""
    rng = random.Random(19)
    schools = [e.id for e in matcher.kb.entries if e.school is not None and e.partnership == PARTNERSHIP]
    user_ids = [FIRST_USER + n for n in range(USERS)]
    async with sessions.begin() as session:
        chats = [{"id": i, "type": "private", "title": None, "now": now} for i in user_ids]
        for start in range(0, len(chats), CHUNK):
            await ChatRepository(session).upsert_many(chats[start : start + CHUNK])
    await _insert(
        sessions,
        User,
        [
            {
                "id": i,
                "chat_id": i,
                "display_name": f"Fictief {i}",
                "partnership": PARTNERSHIP,
                "role": "coordinator" if i == COORDINATOR else rng.choice(ROLE_MIX),
                "school_id": rng.choice(schools) if schools and n % 4 else None,
                "school_name": f"Fictieve school {n % 40}" if n % 4 == 0 and n % 3 else None,
            }
            for n, i in enumerate(user_ids)
        ],
    )
    start_day = now.replace(hour=15, minute=0, second=0, microsecond=0) - timedelta(days=EVENTS // 2)
    await _insert(
        sessions,
        Event,
        [
            {
                "id": n + 1,
                "partnership": PARTNERSHIP,
                "uid": f"bench-{n}@fictief",
                "occurrence": "",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "title": f"Fictieve intervisie {n}",
                "starts_at": start_day + timedelta(days=n),
                "ends_at": start_day + timedelta(days=n, hours=2),
                "location": "KC Fictief",
                "description": "",
                "audience": "",
                "schools": "",
                "cancelled": n % 50 == 0,
            }
            for n in range(EVENTS)
        ],
    )
    coming = range(EVENTS // 2 + 1, EVENTS // 2 + 201)
    await _insert(
        sessions,
        Rsvp,
        [
            {"event_id": event, "user_id": user, "coming": rng.random() < 0.8, "answered_at": now}
            for event in coming
            for user in rng.sample(user_ids, 20)
        ],
    )
    await _insert(
        sessions,
        Delivery,
        [
            {
                "key": f"reminder:{event}:bench",
                "kind": REMINDER,
                "chat_id": user,
                "user_id": user,
                "event_id": event,
                "due_at": start_day + timedelta(days=event - 2),
                "status": SENT if event <= EVENTS // 2 else PENDING,
                "attempts": 1 if event <= EVENTS // 2 else 0,
                "created_at": now,
            }
            for event in range(1, EVENTS + 1)
            for user in rng.sample(user_ids, REMINDERS_PER_EVENT)
        ],
    )
    texts = questions() or ["Fictieve vraag"]
    open_texts = [f"{rng.choice(texts)} (fictief {n})" for n in range(OPEN_TEXTS)]
    asked = [
        {
            "id": n + 1,
            "user_id": rng.choice(user_ids),
            "chat_id": None,
            "question": rng.choice(open_texts) if fell_back else rng.choice(texts),
            "matched": None if fell_back else "rol:mentor",
            "confidence": 0.2 if fell_back else 0.9,
            "fallback": fell_back,
            "partnership": PARTNERSHIP,
            "created_at": now - timedelta(minutes=rng.randint(1, (30 if fell_back else 365) * 24 * 60)),
        }
        for n, fell_back in enumerate([True] * OPEN_QUESTIONS + [False] * ANSWERED_QUESTIONS)
    ]
    for row in asked:
        row["chat_id"] = row["user_id"]
    await _insert(sessions, Question, asked)
    async with sessions.begin() as session:
        await CoordinatorRepository(session).grant(COORDINATOR, PARTNERSHIP, None, now)


@dataclass
class Bench:
    """What the measured requests need: the services, the coordinator and what was made for them."""

    services: Services
    sessions: SessionFactory
    coordinator: Authority
    now: datetime
    item: OverlayItem  # the imported question whose edit is measured
    ids: dict[str, Any] = field(default_factory=dict)  # formats the paths of PAGES and POSTS


async def sent_broadcast(bench: Bench) -> int:
    """A broadcast to all mentors, confirmed through the service; its rows then finished as the
    dispatcher would have (most sent, some blocked, a few refused by Telegram), so its report counts."""
    broadcasts, actor = bench.services.broadcasts, bench.coordinator
    draft = await broadcasts.compose(actor, "Fictieve oproep van vorige week", MENTORS, None, bench.now)
    await broadcasts.confirm(actor, draft.id, bench.now)
    rows = update(Delivery).where(Delivery.key == broadcast_key(draft.id))
    async with bench.sessions.begin() as session:
        await session.execute(rows.values(status=SENT, attempts=1, sent_at=bench.now))
        await session.execute(
            rows.where(Delivery.id % 30 == 0).values(
                status=BLOCKED, last_error="Forbidden: bot was blocked by the user"
            )
        )
        await session.execute(
            rows.where(Delivery.id % 97 == 0).values(status=FAILED, last_error="Bad Request: chat not found")
        )
    await broadcasts.complete(bench.now)
    return draft.id


async def imported_item(services: Services, actor: Authority, now: datetime) -> OverlayItem:
    """The partnership's own questions and answers, imported from a CSV file as a coordinator does;
    the first is the one edited."""
    rows = ["vraag,antwoord"] + [
        f"Hoe regel ik fictieve zaak {n} voor mijn stage?,Fictief antwoord over zaak {n}."
        for n in range(KNOWLEDGE_ITEMS)
    ]
    done = await services.file_imports.run(actor, "kennis.csv", "\n".join(rows).encode(), "faq", now)
    assert isinstance(done, FileImported), done
    assert done.total == KNOWLEDGE_ITEMS, done
    return (await services.overlay.managed(actor))[0]


Fields = Mapping[str, str]


def new_event_day(now: datetime) -> date:
    return local(now + timedelta(days=NEW_EVENT_DAYS)).date()


async def new_event(bench: Bench, _round: int) -> Fields:
    """The new-event form as a coordinator fills it in (its key made when the form was shown)."""
    day = new_event_day(bench.now)
    return {
        "sleutel": secrets.token_urlsafe(16),
        "categorie": CATEGORIES[0],
        "titel": NEW_EVENT,
        "wanneer": f"{dutch_date(day)} {day.year} 15:00-17:00",
        "plaats": PLACES[0],
        "doelgroep": "standaard",
    }


async def cancel_new_event(bench: Bench) -> None:
    """The new event cancelled again, as a coordinator would: no page shows it and its reminders are
    withdrawn, so every round adds to an agenda of the same 1 000 events (its cancelled row stays, as
    in use)."""
    agenda, actor = bench.services.agenda, bench.coordinator
    start = datetime.combine(new_event_day(bench.now), datetime.min.time(), AMSTERDAM)
    added = [e for e in await agenda.managed_between(actor, start, start + timedelta(days=1)) if e.title == NEW_EVENT]
    assert len(added) == 1, f"{len(added)} new events (the page redirects as if saved when its insert fails)"
    await agenda.cancel_event(actor, added[0].id, bench.now)


async def changed_event(bench: Bench, round_: int) -> Fields:
    """The change form as the edit page fills it (``Form.of``), with another place each round. The
    first change (round 0, not timed) plans the event's reminders for its audience, the whole
    partnership (``fill`` gave it 10); each change after re-plans them: the pending rows and the
    recipients are read and weighed, and since a new place changes no reminder none is written."""
    event = await bench.services.agenda.managed_event(bench.coordinator, CHANGED_EVENT, bench.now)
    assert event is not None, "the changed event is not a coming event of the partnership"
    form = EventForm.of(event)
    fields = MultiDict(
        categorie=form.category, titel=form.title, wanneer=form.when, plaats=PLACES[round_ % 2], doelgroep=form.audience
    )
    fields.extend(("rol", role) for role in form.roles)
    return fields


async def broadcast_draft(_bench: Bench, round_: int) -> Fields:
    """The coordinator's one draft written again (to all mentors): no broadcast is added."""
    return {"tekst": BROADCAST_TEXTS[round_ % 2], "publiek": "rollen", "rol": "mentor", "wanneer": ""}


async def inbox_answer(bench: Bench, round_: int) -> Fields:
    """A question came in and the coordinator saw it in the inbox (grouped before the clock starts);
    the answer goes to its group, which also holds the one "vragen, na een nieuwe vraag" added: once
    sent, the inbox holds the same 1 000 open questions again."""
    bench.ids["question"] = await new_question(bench.sessions, bench.now)
    await bench.services.question_inbox.page(bench.coordinator)
    return {"antwoord": ANSWERS[round_ % 2]}


async def inbox_send(_bench: Bench, round_: int) -> Fields:
    """ "Versturen" under the preview: the version of the answer it showed."""
    return {"versie": answer_version(ANSWERS[round_ % 2])}


async def regroup(bench: Bench) -> None:
    """The answered group left the inbox: grouped again now, as the next look at the inbox would, so
    the next round's pages find the grouping made, as they did before forms were measured. The
    answer's question-and-answer item is the same item each round (same question), written anew."""
    await bench.services.question_inbox.page(bench.coordinator)


async def knowledge_edit(bench: Bench, round_: int) -> Fields:
    """Every column as the edit form sends it, the answer changed."""
    item = bench.item
    return {column.name: item.fields.get(column.name, "") for column in COLUMNS[item.kind]} | {
        "antwoord": ANSWERS[round_ % 2]
    }


@dataclass(frozen=True)
class Post:
    """A form a coordinator sends: its fields are made before the clock starts, ``after`` runs after it."""

    label: str
    path: str  # formatted with ``Bench.ids``
    fields: Callable[[Bench, int], Awaitable[Fields]]
    after: Callable[[Bench], Awaitable[None]] | None = None


# The forms, in turn after the pages; each keeps the data the size it was (see ``after`` and the fields).
POSTS = (
    Post("bijeenkomst toevoegen (POST)", "/agenda/nieuw", new_event, cancel_new_event),
    Post("bijeenkomst wijzigen (POST)", f"/agenda/{CHANGED_EVENT}/wijzigen", changed_event),
    Post("bericht opstellen, tot bevestigen (POST)", "/berichten", broadcast_draft),
    Post("vraag beantwoorden, tot voorbeeld (POST)", "/vragen/{question}", inbox_answer),
    Post("antwoord versturen (POST)", "/vragen/{question}/versturen", inbox_send, regroup),
    Post("kennisitem wijzigen (POST)", "/kennis/{item}", knowledge_edit),
)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def prepare(services: Services, sessions: SessionFactory, now: datetime) -> tuple[Bench, str]:
    """What the pages and forms need, made through the services; and the coordinator's session token."""
    link = await services.web_access.new_link(COORDINATOR, now)
    assert link is not None, "the fictional coordinator got no link"
    session_token = await services.web_access.open_link(link, now)
    assert session_token is not None
    coordinator = await services.coordinators.authority(COORDINATOR)
    assert coordinator is not None
    bench = Bench(services, sessions, coordinator, now, await imported_item(services, coordinator, now))
    report = await sent_broadcast(bench)
    draft = await services.broadcasts.compose(coordinator, BROADCAST_TEXTS[0], MENTORS, None, now)
    bench.ids.update(draft=draft.id, report=report, item=quote(bench.item.entry_id, safe=""))
    return bench, session_token


async def settle_postgres(engine: AsyncEngine) -> None:
    """On PostgreSQL, what use would have done after the bulk writes: the events' id sequence moved
    past the ids ``fill`` gave (else a new event's id is taken, and the form's insert fails), and the
    planner's statistics made, as autovacuum does within a minute (without them, the statistics
    page's join over the broadcast's rows took 0.5 s instead of 6 ms)."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.begin() as connection:
        await connection.execute(
            text("SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))")
        )
        await connection.execute(text("ANALYZE"))


class Client:
    """Requests as the coordinator's browser sends them (the session cookie; a form's CSRF token),
    timed in wall-clock and in this process's CPU time (server and client) per label."""

    def __init__(self, client: aiohttp.ClientSession, address: str, session_token: str) -> None:
        self.client, self.address, self.csrf = client, address, csrf_token(session_token)
        self.timings: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    async def send(self, label: str, path: str, fields: Fields | None = None, timed: bool = True) -> int:
        """The response's status; a redirect is not followed (a form's figure is the POST's own work)."""
        data = None if fields is None else MultiDict(fields, csrf=self.csrf)
        method = "GET" if fields is None else "POST"
        start, start_cpu = time.perf_counter(), time.process_time()
        async with self.client.request(method, self.address + path, data=data, allow_redirects=False) as response:
            await response.read()
        if timed:
            self.timings.setdefault(label, []).append(time.perf_counter() - start)
            self.cpu.setdefault(label, []).append(time.process_time() - start_cpu)
        return response.status

    async def post(self, bench: Bench, post: Post, round_: int, timed: bool = True) -> None:
        fields = await post.fields(bench, round_)
        path = post.path.format(**bench.ids)
        status = await self.send(post.label, path, fields, timed)
        assert status in (302, 303), f"POST {path}: {status}"
        if post.after is not None:
            await post.after(bench)


async def measured_rounds(client: Client, bench: Bench, rounds: int) -> list[str]:
    """Round 0 warms up (and finds the pages that are missing); then ``rounds`` rounds of every page
    and every form in turn, so a busy moment of the machine hits them alike. The missing pages' labels."""
    present, missing = [], []
    for label, page in PAGES:
        path = page.format(**bench.ids)
        status = await client.send(label, path, timed=False)
        if status == 404:
            missing.append(label)
            continue
        assert status == 200, f"{path}: {status}"
        present.append((label, path))
    for post in POSTS:
        await client.post(bench, post, 0, timed=False)
    for round_ in range(1, rounds + 1):
        for label, path in present:
            if path == CHART + "?nieuw":
                chart_png.cache_clear()  # as when a question came in since: drawn anew
            elif path.endswith("?nieuw"):
                await new_question(bench.sessions, bench.now)  # the open questions are grouped anew
            status = await client.send(label, path)
            assert status == 200, f"{path}: {status}"
        for post in POSTS:
            await client.post(bench, post, round_)
    return missing


async def measure(database_url: str, rounds: int) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        matcher = Matcher(load_knowledge_base())
        now = utcnow()
        started = time.perf_counter()
        await fill(sessions, matcher, now)
        fill_seconds = time.perf_counter() - started
        services = Services(Settings(coordinator_ids=f"{COORDINATOR}:{PARTNERSHIP}"), matcher, sessions, clock=utcnow)
        bench, session_token = await prepare(services, sessions, now)
        await settle_postgres(engine)
        server = WebServer(create_app(services, utcnow), "127.0.0.1", 0)
        address = (await server.start()).rstrip("/")
        try:
            async with aiohttp.ClientSession(headers={"Cookie": f"sessie={session_token}"}) as session:
                client = Client(session, address, session_token)
                missing = await measured_rounds(client, bench, rounds)
        finally:
            await server.stop()
        base_p50 = percentile(client.timings[PAGES[0][0]], 0.5)
        base_p95 = percentile(client.timings[PAGES[0][0]], 0.95)
        pages = {
            label: {
                "p50_ms": 1000 * percentile(samples, 0.5),
                "p95_ms": 1000 * percentile(samples, 0.95),
                "p50_x_baseline": percentile(samples, 0.5) / base_p50,
                "p95_x_baseline": percentile(samples, 0.95) / base_p95,
                "cpu_ms": 1000 * statistics.mean(client.cpu[label]),
                "requests": len(samples),
            }
            for label, samples in client.timings.items()
        }
        return {"fill_s": fill_seconds, "pages": pages, "missing": missing}
    finally:
        await engine.dispose()


async def run(quick: bool = False) -> dict[str, Any]:
    rounds = 30 if quick else 200
    results: dict[str, Any] = {
        "users": USERS,
        "events": EVENTS,
        "open_questions": OPEN_QUESTIONS,
        "rounds": rounds,
    }
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = await measure(f"sqlite+aiosqlite:///{Path(folder) / 'web.sqlite3'}", rounds)
        with postgres_server() as admin_url:
            if admin_url is not None:
                results["postgresql"] = await measure(admin_url, rounds)
    rows = []
    for database in ("sqlite", "postgresql"):
        if database not in results:
            continue
        found = results[database]
        for label, figures in found["pages"].items():
            rows.append(
                [
                    database,
                    label,
                    figures["p50_ms"],
                    figures["p95_ms"],
                    figures["p50_x_baseline"],
                    figures["p95_x_baseline"],
                    figures["cpu_ms"],
                ]
            )
        rows.extend([database, label, "ontbreekt", "", "", "", ""] for label in found["missing"])
    print(
        f"{USERS} gebruikers, {EVENTS} afspraken, {OPEN_QUESTIONS} open vragen; {rounds} keer elke pagina en "
        "elk formulier (POST, tot de doorverwijzing; ms: de cijfers van deze machine)"
    )
    headers = ["database", "verzoek", "p50 ms", "p95 ms", "p50 x basislijn", "p95 x basislijn", "CPU ms"]
    print(table(headers, rows))
    print("CPU ms: gemiddelde processortijd van dit proces per verzoek (server en client; PostgreSQL niet)")
    targets = {
        f"p95 <= {TARGET_MS:.0f} ms ({database}, {label})": figures["p95_ms"] <= TARGET_MS
        for database in ("sqlite", "postgresql")
        if database in results
        for label, figures in results[database]["pages"].items()
        if label != PAGES[0][0]
    }
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    results["targets"] = targets
    print(f"resultaten: {write_results('web', results)}")
    return results


if __name__ == "__main__":
    asyncio.run(run(quick="--quick" in flags("--quick")))
