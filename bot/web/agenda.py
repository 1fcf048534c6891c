"""/agenda: the partnership's events as a month and as a list, with the "Ik kom" / "Ik kan niet"
counts; a new event, a change and a cancellation.

The same services and rules as the chat (handlers/agenda_admin.py): ``AgendaService.add`` /
``change`` / ``cancel_event`` check the right, write the audit row and plan (or cancel) the
reminders; the form's values go through /nieuw's checks (``clean_text``, ``check_choices``) and the
moment through ``parse_when``, so its Dutch messages are the chat's. Cancelled events are left out,
as in the chat's overview. An id of another partnership's event gets a 403 and changes nothing.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.exc import IntegrityError

from bot.agenda_questions import CATEGORIES
from bot.agenda_text import audience_text, counts_line
from bot.services import EventView, NewEvent
from bot.services.agenda import EventChange
from bot.services.dutch_dates import EXAMPLE, When, WhenError, parse_when
from bot.services.event_drafts import MAX_PLACE, MAX_TITLE, DraftError, check_choices, clean_text
from bot.services.roles import ROLES
from bot.services.schedule import AMSTERDAM, DEFAULT_AUDIENCE, MONTHS, WEEKDAYS, dutch_date, dutch_when, local
from bot.web.context import authority, now, services
from bot.web.render import refusal, render

routes = web.RouteTableDef()

GONE = "Deze bijeenkomst bestaat niet (meer) in jouw partnerschap, is afgelast of is al begonnen."
DONE = {  # ?klaar=... after a change: a fixed message, never the request's text
    "nieuw": "De bijeenkomst staat in de agenda. Wie erbij hoort, krijgt op tijd een herinnering.",
    "gewijzigd": "De bijeenkomst is gewijzigd en de herinneringen zijn opnieuw gepland.",
    "afgelast": "De bijeenkomst is afgelast. Wie al een herinnering kreeg, krijgt bericht dat het niet doorgaat.",
}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
PAGE = re.compile(r"^[1-9]\d{0,5}$")
PER_PAGE = 50  # events on one page of the list
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,43}")
# Who an event is for: the category's default (as /nieuw starts), everyone, or the roles ticked.
DEFAULT, EVERYONE, CHOSEN = "standaard", "iedereen", "rollen"
NO_ROLE = "Kies minstens één rol, of ‘Het hele partnerschap’."


# -- showing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One event as the pages show it (Amsterdam time; the chat's wording)."""

    event: EventView
    when: str
    hours: str
    category: str
    audience: str
    counts: str
    changeable: bool


def _shown(event: EventView, moment: datetime) -> Shown:
    start, end = local(event.start), local(event.end)
    return Shown(
        event=event,
        when=dutch_when(event.start, event.end),
        hours=f"{start:%H:%M}–{end:%H:%M}",
        category=CATEGORIES[event.category],
        audience=audience_text(event.audience),
        counts=counts_line(event),
        changeable=event.start > moment and not event.cancelled,
    )


def _month_of(text: str, today: date) -> date:
    """The first day of the month in ``?maand=2026-12``; this month for anything else."""
    found = MONTH.match(text)
    if found is not None and 1900 < int(found.group(1)) < 9000 and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1)
    return today.replace(day=1)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _done(request: web.Request) -> str | None:
    return DONE.get(request.query.get("klaar", ""))


@routes.get("/agenda")
async def month(request: web.Request) -> web.Response:
    """A calendar of one month (weeks from Monday), with the previous and next month."""
    moment = now(request)
    today = moment.astimezone(AMSTERDAM).date()
    first = _month_of(request.query.get("maand", ""), today)
    following = _shift(first, 1)
    start = datetime.combine(first, datetime.min.time(), AMSTERDAM)
    end = datetime.combine(following, datetime.min.time(), AMSTERDAM)
    events = await services(request).agenda.managed_between(authority(request), start, end)
    by_day: dict[date, list[Shown]] = {}
    for event in events:
        by_day.setdefault(local(event.start).date(), []).append(_shown(event, moment))
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return render(
        request,
        "agenda.html",
        title=f"{MONTHS[first.month - 1]} {first.year}",
        weeks=[[(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week] for week in weeks],
        weekdays=[name[:2] for name in WEEKDAYS],
        previous=_key(_shift(first, -1)),
        next=_key(following),
        this_month=_key(today.replace(day=1)) if first != today.replace(day=1) else None,
        count=len(events),
        done=_done(request),
    )


def _page_of(text: str) -> int:
    """The page in ``?pagina=3``; the first for anything else."""
    return int(text) if PAGE.match(text) else 1


@routes.get("/agenda/lijst")
async def listing(request: web.Request) -> web.Response:
    """The upcoming events, as the chat's overview under /agenda, ``PER_PAGE`` at a time (a year of
    a large partnership holds a thousand: all on one page took seconds to show)."""
    moment = now(request)
    number = _page_of(request.query.get("pagina", ""))
    agenda = services(request).agenda
    total, events = await agenda.next_managed(authority(request), moment, PER_PAGE, (number - 1) * PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if number > pages:  # an old link after events went by or were cancelled: the last page there is
        raise web.HTTPSeeOther(f"/agenda/lijst?pagina={pages}")
    first = (number - 1) * PER_PAGE + 1
    return render(
        request,
        "agenda_list.html",
        events=[_shown(e, moment) for e in events],
        total=total,
        shown_range=f"{first}–{first + len(events) - 1}",
        previous=number - 1 if number > 1 else None,
        next=number + 1 if number < pages else None,
        done=_done(request),
    )


# -- the form --------------------------------------------------------------------------------------


@dataclass
class Form:
    """The form's values as typed (shown again with the errors), and what they mean when valid."""

    category: str = "intervisie"
    title: str = ""
    when: str = ""
    place: str = ""
    audience: str = DEFAULT
    roles: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    # Made when the new-event form is shown and saved as the event's UID: a form sent twice (a double
    # click, a reload) meets the UID's unique constraint and adds the event once.
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def posted(cls, values: MultiDictProxy[Any]) -> Form:
        def text(name: str) -> str:
            value = values.get(name, "")
            return value if isinstance(value, str) else ""

        return cls(
            category=text("categorie"),
            title=text("titel"),
            when=text("wanneer"),
            place=text("plaats"),
            audience=text("doelgroep"),
            roles=tuple(role for role in values.getall("rol", []) if isinstance(role, str)),
            key=key if FORM_KEY.fullmatch(key := text("sleutel")) else secrets.token_urlsafe(16),
        )

    @classmethod
    def of(cls, event: EventView) -> Form:
        """A change starts from the event as it is: its moment in words that ``parse_when`` reads back."""
        start, end = local(event.start), local(event.end)
        when = f"{dutch_date(start.date())} {start.year} {start:%H:%M}"
        if end.date() == start.date():
            when += f"-{end:%H:%M}"  # an end on another day is left out: a new start keeps the length
        return cls(
            category=event.category,
            title=event.title,
            when=when,
            place=event.location,
            audience=CHOSEN if event.audience else EVERYONE,
            roles=event.audience,
        )


@dataclass(frozen=True)
class Valid:
    category: str
    title: str
    when: When
    place: str
    audience: tuple[str, ...] | None  # None: the category's default


def _check(form: Form, moment: datetime) -> Valid | None:
    """The chat's rules for each field; their Dutch messages go into ``form.errors`` (None then)."""
    title = place = ""
    when = None
    try:
        check_choices(form.category, None)
    except DraftError as error:
        form.errors["categorie"] = str(error)
    try:
        title = clean_text(form.title, MAX_TITLE, "titel")
    except DraftError as error:
        form.errors["titel"] = str(error)
    try:
        when = parse_when(form.when, moment)
    except WhenError as error:
        form.errors["wanneer"] = str(error)
    try:
        place = clean_text(form.place, MAX_PLACE, "plaats") if form.place.strip() else ""
    except DraftError as error:
        form.errors["plaats"] = str(error)
    try:
        _check_audience(form)
    except DraftError as error:
        form.errors["doelgroep"] = str(error)
    if form.errors or when is None:
        return None
    audience = None if form.audience == DEFAULT else () if form.audience == EVERYONE else form.roles
    return Valid(form.category, title, when, place, audience)


def _check_audience(form: Form) -> None:
    if form.audience not in (DEFAULT, EVERYONE, CHOSEN):
        raise DraftError("Kies voor wie de bijeenkomst is.")
    check_choices(None, form.roles)
    if form.audience == CHOSEN and not form.roles:
        raise DraftError(NO_ROLE)


def _form_page(request: web.Request, form: Form, event: EventView | None, status: int = 200) -> web.Response:
    return render(
        request,
        "agenda_form.html",
        status=status,
        form=form,
        event=event,
        categories=CATEGORIES,
        default_audience={category: audience_text(roles) for category, roles in DEFAULT_AUDIENCE.items()},
        roles=ROLES,
        example=EXAMPLE,
        choices=(DEFAULT, EVERYONE, CHOSEN),
    )


def _after(first_day: datetime, done: str) -> web.HTTPSeeOther:
    """To the month of the event, with the confirmation."""
    day = local(first_day).date()
    return web.HTTPSeeOther(f"/agenda?maand={_key(day.replace(day=1))}&klaar={done}")


@routes.get("/agenda/nieuw")
async def new_form(request: web.Request) -> web.Response:
    return _form_page(request, Form(), None)


@routes.post("/agenda/nieuw")
async def add(request: web.Request) -> web.Response:
    actor, moment = authority(request), now(request)
    form = Form.posted(await request.post())
    valid = _check(form, moment)
    if valid is None:
        return _form_page(request, form, None, status=422)
    new = NewEvent(
        partnership=actor.partnership,
        title=valid.title,
        start=valid.when.start,
        end=valid.when.end,
        category=valid.category,
        location=valid.place,
        audience=valid.audience,
        uid=f"web-{form.key}@samen-opleiden",
    )
    with contextlib.suppress(IntegrityError):  # this form was saved already (sent twice): the event exists once
        await services(request).agenda.add(new, moment, actor)
    raise _after(valid.when.start, "nieuw")


async def _own_event(request: web.Request) -> EventView | None:
    """The upcoming event of the URL, when it is of the coordinator's own partnership."""
    event_id = int(request.match_info["event_id"])
    return await services(request).agenda.managed_event(authority(request), event_id, now(request))


# Nine digits at most: a larger id exists nowhere (and would not fit the column); it gets the 404 page.
@routes.get(r"/agenda/{event_id:\d{1,9}}/wijzigen")
async def change_form(request: web.Request) -> web.Response:
    event = await _own_event(request)
    if event is None:
        return refusal(request, GONE)
    return _form_page(request, Form.of(event), event)


@routes.post(r"/agenda/{event_id:\d{1,9}}/wijzigen")
async def change(request: web.Request) -> web.Response:
    event = await _own_event(request)
    if event is None:
        return refusal(request, GONE)
    actor, moment = authority(request), now(request)
    form = Form.posted(await request.post())
    valid = _check(form, moment)
    if valid is None:
        return _form_page(request, form, event, status=422)
    audience = valid.audience if valid.audience is not None else DEFAULT_AUDIENCE[valid.category]
    wanted = EventChange(
        title=valid.title,
        start=valid.when.start,
        end=valid.when.end if valid.when.end_given else None,  # not typed: the event keeps its length
        location=valid.place,
        category=valid.category,
        audience=audience,
    )
    changed = await services(request).agenda.change(actor, event.id, wanted, moment)
    if changed is None:
        return refusal(request, GONE)
    raise _after(changed.start, "gewijzigd")


@routes.get(r"/agenda/{event_id:\d{1,9}}/afgelasten")
async def cancel_form(request: web.Request) -> web.Response:
    """The confirmation step, as the chat's "Ja, afgelasten" / "Nee"."""
    event = await _own_event(request)
    if event is None:
        return refusal(request, GONE)
    return render(request, "agenda_cancel.html", shown=_shown(event, now(request)))


@routes.post(r"/agenda/{event_id:\d{1,9}}/afgelasten")
async def cancel(request: web.Request) -> web.Response:
    event_id = int(request.match_info["event_id"])
    cancelled = await services(request).agenda.cancel_event(authority(request), event_id, now(request))
    if cancelled is None:
        return refusal(request, GONE)
    raise web.HTTPSeeOther("/agenda/lijst?klaar=afgelast")


__all__ = ["routes"]
