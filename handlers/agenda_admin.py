"""The agenda for coordinators in chat: /nieuw (a new event, step by step), the overview under /agenda
with the "Ik kom" / "Ik kan niet" counts, and changing or cancelling an event.

One ConversationHandler holds both flows (a new event, and a change of one field of an event), so
that at most one of them waits for typed text in a chat. The draft lives in the database
(``EventDraftService``): a restart loses the conversation's state but no text, and /nieuw continues
the draft. Every command and button goes through ``require_coordinator``, and every service call
checks the right and the partnership of the event again (callback data can be forged).
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.agenda_questions import CATEGORIES
from bot.agenda_text import event_preview_text, managed_agenda_text, managed_event_text
from bot.context import current_time
from bot.services import Authority, EventView
from bot.services.agenda import EventChange
from bot.services.dutch_dates import EXAMPLE, WhenError, next_days, parse_when
from bot.services.event_drafts import (
    AUDIENCE,
    CATEGORY,
    CONFIRM,
    EDIT,
    MAX_PLACE,
    MAX_TITLE,
    NEW,
    PLACE,
    TIME,
    TITLE,
    WHEN,
    Draft,
    DraftError,
    clean_text,
)
from bot.services.roles import ROLES
from bot.services.schedule import AMSTERDAM, WEEKDAYS, dutch_date, dutch_when
from handlers import callbacks
from handlers.common import STALE_BUTTON, Context, acknowledge, edit, label, services
from handlers.coordinators import require_coordinator
from handlers.flows import CoordinatorFlow, arbiter_of, telling_chat

# Conversation states: one per step that waits for input.
CATEGORY_STATE, TITLE_STATE, WHEN_STATE, PLACE_STATE, AUDIENCE_STATE, CONFIRM_STATE, EDIT_STATE = range(7)
STATE_OF_STEP = {
    CATEGORY: CATEGORY_STATE,
    TITLE: TITLE_STATE,
    WHEN: WHEN_STATE,
    TIME: WHEN_STATE,
    PLACE: PLACE_STATE,
    AUDIENCE: AUDIENCE_STATE,
    CONFIRM: CONFIRM_STATE,
}
TIMEOUT = timedelta(minutes=30)
NEW_BUTTONS = r"^nw[a-z]:"  # every button of /nieuw's steps
TIMES = ("0900", "1000", "1300", "1400", "1500", "1530", "1600", "1900")
GONE = "Deze bijeenkomst bestaat niet (meer) in jouw partnerschap, is afgelast of is al begonnen."
HOW_TO_STOP = "Met /annuleer stop je."
EDIT_PROMPTS = {
    "titel": "Wat wordt de nieuwe titel van ‘{title}’?",
    "tijd": "Wanneer is ‘{title}’ nu? " + EXAMPLE,
    "plek": "Wat is de nieuwe plaats van ‘{title}’? Typ de plaats, of tik op ‘Geen plaats’.",
}


def _name(context: Context, authority: Authority) -> str:
    found = services(context).matcher.kb.partnerships.get(authority.partnership)
    return found.name if found is not None else authority.partnership


# -- the steps of /nieuw ---------------------------------------------------------------------------


def _short_day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()][:2]} {day.day}-{day.month}"


def step_prompt(draft: Draft, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question of the draft's current step (HTML) and its buttons."""
    if draft.step == CATEGORY:
        rows = [
            [InlineKeyboardButton(name.capitalize(), callback_data=callbacks.NEW_CATEGORY.pack(category))]
            for category, name in CATEGORIES.items()
        ]
        return f"Wat voor bijeenkomst wordt het? {HOW_TO_STOP}", InlineKeyboardMarkup(rows)
    if draft.step == TITLE:
        return "Wat is de titel? Bijvoorbeeld ‘Intervisie mentoren’.", None
    if draft.step == WHEN:
        days = next_days(now)
        rows = [
            [InlineKeyboardButton(_short_day(d), callback_data=callbacks.NEW_DAY.pack(d.isoformat())) for d in part]
            for part in (days[:4], days[4:])
        ]
        return f"Wanneer is het? {html.escape(EXAMPLE)} Of kies hieronder een dag.", InlineKeyboardMarkup(rows)
    if draft.step == TIME:
        day = draft.day or now.astimezone(AMSTERDAM).date()
        buttons = [InlineKeyboardButton(f"{t[:2]}:{t[2:]}", callback_data=callbacks.NEW_TIME.pack(t)) for t in TIMES]
        rows = [buttons[:4], buttons[4:]]
        text = f"Hoe laat op {dutch_date(day)}? Typ bijvoorbeeld 15:00 of 15:00-17:00, of kies een tijd."
        return text, InlineKeyboardMarkup(rows)
    if draft.step == PLACE:
        button = InlineKeyboardButton("Geen plaats", callback_data=callbacks.NEW_PLACE.pack("geen"))
        return "Waar is het? Typ de plaats, of tik op ‘Geen plaats’.", InlineKeyboardMarkup([[button]])
    if draft.step == AUDIENCE:
        return _audience_prompt(draft)
    new = draft.as_new_event()
    if new is None:  # never after the steps in order; a damaged draft starts over where it lacks
        return step_prompt(_effective(draft), now)
    preview = event_preview_text(new.title, new.category, dutch_when(new.start, new.end), new.location, new.audience)
    rows = [
        [
            InlineKeyboardButton("Opslaan", callback_data=callbacks.NEW_CONFIRM.pack("opslaan")),
            InlineKeyboardButton("Annuleren", callback_data=callbacks.NEW_CONFIRM.pack("annuleren")),
        ]
    ]
    return preview, InlineKeyboardMarkup(rows)


def _audience_prompt(draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    chosen = set(draft.audience or ())
    everyone = "✅ Hele partnerschap" if not chosen else "Hele partnerschap"
    rows = [[InlineKeyboardButton(everyone, callback_data=callbacks.NEW_AUDIENCE.pack("alle", "-"))]]
    role_buttons = [
        InlineKeyboardButton(
            ("✅ " if role in chosen else "▫️ ") + name,
            callback_data=callbacks.NEW_AUDIENCE.pack("uit" if role in chosen else "aan", role),
        )
        for role, name in ROLES.items()
    ]
    rows += [role_buttons[i : i + 2] for i in range(0, len(role_buttons), 2)]
    rows.append([InlineKeyboardButton("Klaar", callback_data=callbacks.NEW_AUDIENCE.pack("klaar", "-"))])
    text = (
        "Voor wie is het? Kies het hele partnerschap of tik rollen aan of uit; "
        "de standaard van deze soort bijeenkomst staat al aan. Tik daarna op ‘Klaar’."
    )
    return text, InlineKeyboardMarkup(rows)


def _effective(draft: Draft) -> Draft:
    """The step to ask: the draft's own, or the first missing value before a confirmation."""
    if draft.step not in (AUDIENCE, CONFIRM) or draft.as_new_event() is not None:
        return draft
    missing = CATEGORY if draft.category is None else TITLE if draft.title is None else WHEN
    return replace(draft, step=missing)


async def _ask(context: Context, message: Message, draft: Draft, intro: str = "") -> int:
    draft = _effective(draft)
    text, markup = step_prompt(draft, current_time(context))
    await message.reply_text(intro + text, parse_mode=ParseMode.HTML, reply_markup=markup)
    return STATE_OF_STEP[draft.step]


async def _show(context: Context, update: Update, draft: Draft, intro: str = "") -> int:
    """The next question: in place of the pressed message for a button, else as a reply."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        draft = _effective(draft)
        text, markup = step_prompt(draft, current_time(context))
        await edit(context, query, intro + text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return STATE_OF_STEP[draft.step]
    message = update.effective_message
    assert message is not None
    return await _ask(context, message, draft, intro)


async def new_event(update: Update, context: Context) -> int:
    """/nieuw: start a new event, or go on with the draft the coordinator left."""
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None:
        return ConversationHandler.END
    draft, resumed = await services(context).event_drafts.begin(authority, current_time(context))
    if resumed:
        intro = "Je was al bezig met een nieuwe bijeenkomst; we gaan verder waar je was. "
        return await _ask(context, message, draft, html.escape(intro) + HOW_TO_STOP + "\n\n")
    intro = f"Een nieuwe bijeenkomst in de agenda van {html.escape(_name(context, authority))}.\n\n"
    return await _ask(context, message, draft, intro)


async def _pressed(
    update: Update, context: Context, button: callbacks.Button
) -> tuple[Authority, tuple[str, ...]] | None:
    """A coordinator's press of ``button`` with valid data, acknowledged; None after a refusal."""
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None:
        return None
    parsed = button.parse(query.data)
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return None
    await acknowledge(context, query)
    return authority, parsed


async def _gone(update: Update) -> int:
    if update.effective_message is not None:
        await update.effective_message.reply_text("Er is geen concept meer. Met /nieuw begin je opnieuw.")
    return ConversationHandler.END


async def picked_category(update: Update, context: Context) -> int:
    pressed = await _pressed(update, context, callbacks.NEW_CATEGORY)
    if pressed is None:
        return ConversationHandler.END
    authority, (category,) = pressed
    draft = await services(context).event_drafts.update(authority, current_time(context), TITLE, category=category)
    return await _show(context, update, draft) if draft is not None else await _gone(update)


async def typed_title(update: Update, context: Context) -> int:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    drafts = services(context).event_drafts
    try:
        title = clean_text(message.text, MAX_TITLE, "titel")
    except DraftError as error:
        await message.reply_text(str(error))
        return TITLE_STATE
    draft = await drafts.update(authority, current_time(context), WHEN, title=title)
    return await _ask(context, message, draft) if draft is not None else await _gone(update)


async def typed_when(update: Update, context: Context) -> int:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    drafts = services(context).event_drafts
    current = await drafts.current(authority, NEW)
    if current is None:
        return await _gone(update)
    now = current_time(context)
    try:
        when = parse_when(message.text, now, day=current.day if current.step == TIME else None)
    except WhenError as error:
        await message.reply_text(str(error))
        return WHEN_STATE
    draft = await drafts.update(authority, now, PLACE, starts_at=when.start, ends_at=when.end)
    if draft is None:
        return await _gone(update)
    return await _ask(context, message, draft, html.escape(f"Genoteerd: {dutch_when(when.start, when.end)}.") + "\n\n")


async def picked_day(update: Update, context: Context) -> int:
    pressed = await _pressed(update, context, callbacks.NEW_DAY)
    if pressed is None:
        return ConversationHandler.END
    authority, (day,) = pressed
    try:
        picked = date.fromisoformat(day)
    except ValueError:
        return WHEN_STATE
    draft = await services(context).event_drafts.update(authority, current_time(context), TIME, day=picked.isoformat())
    return await _show(context, update, draft) if draft is not None else await _gone(update)


async def picked_time(update: Update, context: Context) -> int:
    pressed = await _pressed(update, context, callbacks.NEW_TIME)
    if pressed is None:
        return ConversationHandler.END
    authority, (clock,) = pressed
    drafts = services(context).event_drafts
    current = await drafts.current(authority, NEW)
    if current is None or current.day is None:
        return await _gone(update)
    now = current_time(context)
    try:
        when = parse_when(f"{clock[:2]}:{clock[2:]}", now, day=current.day)
    except WhenError as error:
        await _reply(update, str(error))
        return WHEN_STATE
    draft = await drafts.update(authority, now, PLACE, starts_at=when.start, ends_at=when.end)
    if draft is None:
        return await _gone(update)
    return await _show(context, update, draft, html.escape(f"Genoteerd: {dutch_when(when.start, when.end)}.") + "\n\n")


async def typed_place(update: Update, context: Context) -> int:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    try:
        place = clean_text(message.text, MAX_PLACE, "plaats")
    except DraftError as error:
        await message.reply_text(str(error))
        return PLACE_STATE
    place = "" if place.lower() == "geen" else place
    draft = await services(context).event_drafts.update(authority, current_time(context), AUDIENCE, location=place)
    return await _ask(context, message, draft) if draft is not None else await _gone(update)


async def no_place(update: Update, context: Context) -> int:
    pressed = await _pressed(update, context, callbacks.NEW_PLACE)
    if pressed is None:
        return ConversationHandler.END
    draft = await services(context).event_drafts.update(pressed[0], current_time(context), AUDIENCE, location="")
    return await _show(context, update, draft) if draft is not None else await _gone(update)


async def picked_audience(update: Update, context: Context) -> int:
    """Roles on and off (idempotent: "aan"/"uit", never a toggle), everyone, or done."""
    pressed = await _pressed(update, context, callbacks.NEW_AUDIENCE)
    if pressed is None:
        return ConversationHandler.END
    authority, (action, role) = pressed
    drafts = services(context).event_drafts
    current = await drafts.current(authority, NEW)
    if current is None:
        return await _gone(update)
    chosen = list(current.audience or ())
    if action == "aan" and role in ROLES and role not in chosen:
        chosen.append(role)
    elif action == "uit" and role in chosen:
        chosen.remove(role)
    elif action == "alle":
        chosen = []
    step = CONFIRM if action == "klaar" else AUDIENCE
    draft = await drafts.update(authority, current_time(context), step, audience=",".join(chosen))
    return await _show(context, update, draft) if draft is not None else await _gone(update)


async def confirmed(update: Update, context: Context) -> int:
    pressed = await _pressed(update, context, callbacks.NEW_CONFIRM)
    query = update.callback_query
    if pressed is None or query is None:
        return ConversationHandler.END
    authority, (choice,) = pressed
    drafts = services(context).event_drafts
    if choice == "annuleren":
        await drafts.discard(authority, NEW)
        await edit(context, query, "Oké, de bijeenkomst is niet opgeslagen en het concept is weg.")
        return ConversationHandler.END
    try:
        saved = await drafts.save(authority, current_time(context))
    except DraftError as error:
        current = await drafts.update(authority, current_time(context), WHEN)
        if current is None:
            return await _gone(update)
        return await _show(context, update, current, html.escape(str(error)) + "\n\n")
    if saved is None:
        await edit(context, query, "Er is geen volledig concept meer. Met /nieuw begin je opnieuw.")
        return ConversationHandler.END
    when = dutch_when(saved.start, saved.end, saved.location)
    await edit(
        context,
        query,
        f"Opgeslagen: <b>{html.escape(saved.title)}</b>\n{html.escape(when)}\n\n"
        f"Herinneringsmomenten: {len(saved.reminders)}. Met /agenda zie je wie komt.",
        parse_mode=ParseMode.HTML,
    )
    return ConversationHandler.END


# -- changing an event -----------------------------------------------------------------------------


async def begin_edit(update: Update, context: Context) -> int:
    """A "wijzig" button: the service checks that the event is of the coordinator's partnership."""
    pressed = await _pressed(update, context, callbacks.EVENT_EDIT)
    if pressed is None:
        return ConversationHandler.END
    authority, (field, event_id) = pressed
    view = await services(context).event_drafts.begin_edit(authority, int(event_id), field, current_time(context))
    if view is None:
        await _reply(update, GONE)
        return ConversationHandler.END
    markup = None
    if field == "plek":
        button = InlineKeyboardButton("Geen plaats", callback_data=callbacks.NEW_PLACE.pack("geen"))
        markup = InlineKeyboardMarkup([[button]])
    await _reply(update, EDIT_PROMPTS[field].format(title=view.title) + f" {HOW_TO_STOP}", markup)
    return EDIT_STATE


async def typed_edit(update: Update, context: Context) -> int:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    return await _apply_edit(update, context, authority, message.text)


async def edit_no_place(update: Update, context: Context) -> int:
    pressed = await _pressed(update, context, callbacks.NEW_PLACE)
    if pressed is None:
        return ConversationHandler.END
    return await _apply_edit(update, context, pressed[0], None)


async def _apply_edit(update: Update, context: Context, authority: Authority, text: str | None) -> int:
    drafts = services(context).event_drafts
    current = await drafts.current(authority, EDIT)
    if current is None:
        await _reply(update, "Er wordt niets meer gewijzigd. Kies opnieuw via /agenda.")
        return ConversationHandler.END
    now = current_time(context)
    try:
        if current.step == "titel":
            change = EventChange(title=clean_text(text or "", MAX_TITLE, "titel"))
        elif current.step == "tijd":
            when = parse_when(text or "", now)
            change = EventChange(start=when.start, end=when.end if when.end_given else None)
        else:
            place = "" if text is None else clean_text(text, MAX_PLACE, "plaats")
            change = EventChange(location="" if place.lower() == "geen" else place)
    except (DraftError, WhenError) as error:
        await _reply(update, str(error))
        return EDIT_STATE
    view = await drafts.finish_edit(authority, change, now)
    if view is None:
        await _reply(update, GONE)
        return ConversationHandler.END
    await _reply(
        update,
        f"Gewijzigd: <b>{html.escape(view.title)}</b>\n{html.escape(dutch_when(view.start, view.end, view.location))}"
        "\n\nDe herinneringen zijn opnieuw gepland.",
        parse_mode=ParseMode.HTML,
    )
    return ConversationHandler.END


# -- fallbacks -------------------------------------------------------------------------------------


async def cancel(update: Update, context: Context) -> int:
    """/annuleer: the draft of the running flow is thrown away."""
    authority = await require_coordinator(update, context)
    if authority is None:
        return ConversationHandler.END
    drafts = services(context).event_drafts
    if await drafts.discard(authority, EDIT):  # a change of an event: a /nieuw draft stays
        await _reply(update, "Gestopt; er is niets gewijzigd.")
    elif await drafts.discard(authority, NEW):
        await _reply(update, "Gestopt; het concept is weg.")
    else:
        await _reply(update, "Gestopt.")
    return ConversationHandler.END


async def repeat_step(update: Update, context: Context) -> int:
    """Anything else while a step waits: the same question again (never treated as a question)."""
    authority = await require_coordinator(update, context)
    if authority is None:
        return ConversationHandler.END
    if update.callback_query is not None:
        await acknowledge(context, update.callback_query, "Die knop hoort niet bij deze stap.")
    drafts = services(context).event_drafts
    editing = await drafts.current(authority, EDIT)
    if editing is not None:
        await _reply(update, f"Ik wacht nog op de nieuwe {editing.step}. {HOW_TO_STOP}")
        return EDIT_STATE
    current = await drafts.current(authority, NEW)
    if current is None or update.effective_message is None:
        return await _gone(update)
    return await _ask(context, update.effective_message, current, html.escape("Dat past niet bij deze stap. ") + "\n")


async def step_button_outside_a_flow(update: Update, context: Context) -> None:
    """A step's button when no flow runs (an old message after a restart, or forged): refused for
    everyone but coordinators, who are pointed to /nieuw (their draft is kept)."""
    query = update.callback_query
    if query is not None and await require_coordinator(update, context) is not None:
        await acknowledge(context, query, "Deze knop werkt niet meer. Met /nieuw ga je verder met je concept.")


timed_out = telling_chat(
    "Ik ben gestopt met wachten op je antwoord. Wat je voor een nieuwe bijeenkomst al had ingevuld, "
    "is bewaard: met /nieuw ga je verder. Een wijziging begin je opnieuw via /agenda."
)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None, **options: object) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup, **options)  # type: ignore[arg-type]


# -- the coordinator's agenda and cancelling ---------------------------------------------------------


async def show_managed_agenda(message: Message, context: Context, authority: Authority) -> None:
    """Under /agenda for a coordinator: the partnership's upcoming events with counts and a button each."""
    events = await services(context).agenda.managed(authority, current_time(context))
    text, shown = managed_agenda_text(events, _name(context, authority))
    rows = [
        [InlineKeyboardButton(label(f"{n}. {e.title}"), callback_data=callbacks.EVENT_MANAGE.pack("kies", e.id))]
        for n, e in enumerate(events[:shown], start=1)
    ]
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


def _manage_keyboard(event: EventView) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Titel wijzigen", callback_data=callbacks.EVENT_EDIT.pack("titel", event.id)),
                InlineKeyboardButton("Moment wijzigen", callback_data=callbacks.EVENT_EDIT.pack("tijd", event.id)),
            ],
            [
                InlineKeyboardButton("Plaats wijzigen", callback_data=callbacks.EVENT_EDIT.pack("plek", event.id)),
                InlineKeyboardButton("Afgelasten", callback_data=callbacks.EVENT_MANAGE.pack("afgelast", event.id)),
            ],
        ]
    )


async def manage_button(update: Update, context: Context) -> None:
    """Pick an event (kies), ask to cancel it (afgelast), then yes (ja) or no (nee)."""
    pressed = await _pressed(update, context, callbacks.EVENT_MANAGE)
    query = update.callback_query
    if pressed is None or query is None:
        return
    authority, (action, event_id) = pressed
    agenda, now = services(context).agenda, current_time(context)
    if action == "ja":
        cancelled = await agenda.cancel_event(authority, int(event_id), now)
        if cancelled is None:
            await edit(context, query, GONE)
            return
        when = dutch_when(cancelled.start, cancelled.end, cancelled.location)
        await edit(
            context,
            query,
            f"Afgelast: <b>{html.escape(cancelled.title)}</b>\n{html.escape(when)}\n\n"
            "Wie al een herinnering kreeg, krijgt bericht dat het niet doorgaat.",
            parse_mode=ParseMode.HTML,
        )
        return
    view = await agenda.managed_event(authority, int(event_id), now)
    if view is None:
        await edit(context, query, GONE)
    elif action == "kies":
        await edit(
            context, query, managed_event_text(view), parse_mode=ParseMode.HTML, reply_markup=_manage_keyboard(view)
        )
    elif action == "nee":
        await edit(context, query, f"Oké, ‘{view.title}’ gaat gewoon door.")
    else:
        when = dutch_when(view.start, view.end, view.location)
        yes = InlineKeyboardButton("Ja, afgelasten", callback_data=callbacks.EVENT_MANAGE.pack("ja", view.id))
        no = InlineKeyboardButton("Nee", callback_data=callbacks.EVENT_MANAGE.pack("nee", view.id))
        await edit(
            context,
            query,
            f"Wil je <b>{html.escape(view.title)}</b> ({html.escape(when)}) afgelasten? Wie al een herinnering "
            "kreeg, krijgt bericht dat het niet doorgaat.",
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[yes, no]]),
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Before questions.register: text typed in a step is never taken for a question."""
    new_message = filters.UpdateType.MESSAGE & ~filters.COMMAND  # an edit of an older message is no answer
    text = new_message & filters.TEXT
    application.add_handler(
        CoordinatorFlow(
            arbiter_of(application),
            "agenda-beheer",
            entry_points=[
                CommandHandler("nieuw", new_event),
                CallbackQueryHandler(begin_edit, pattern=callbacks.EVENT_EDIT.pattern),
            ],
            states={
                CATEGORY_STATE: [CallbackQueryHandler(picked_category, pattern=callbacks.NEW_CATEGORY.pattern)],
                TITLE_STATE: [MessageHandler(text, typed_title)],
                WHEN_STATE: [
                    MessageHandler(text, typed_when),
                    CallbackQueryHandler(picked_day, pattern=callbacks.NEW_DAY.pattern),
                    CallbackQueryHandler(picked_time, pattern=callbacks.NEW_TIME.pattern),
                ],
                PLACE_STATE: [
                    MessageHandler(text, typed_place),
                    CallbackQueryHandler(no_place, pattern=callbacks.NEW_PLACE.pattern),
                ],
                AUDIENCE_STATE: [CallbackQueryHandler(picked_audience, pattern=callbacks.NEW_AUDIENCE.pattern)],
                CONFIRM_STATE: [CallbackQueryHandler(confirmed, pattern=callbacks.NEW_CONFIRM.pattern)],
                EDIT_STATE: [
                    MessageHandler(text, typed_edit),
                    CallbackQueryHandler(edit_no_place, pattern=callbacks.NEW_PLACE.pattern),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                CommandHandler("annuleer", cancel),
                MessageHandler(new_message, repeat_step),
                CallbackQueryHandler(repeat_step, pattern=NEW_BUTTONS),
            ],
            conversation_timeout=TIMEOUT,
            allow_reentry=True,
            per_message=False,
        )
    )
    application.add_handler(CallbackQueryHandler(manage_button, pattern=callbacks.EVENT_MANAGE.pattern))
    application.add_handler(CallbackQueryHandler(step_button_outside_a_flow, pattern=NEW_BUTTONS))
