"""A file sent in chat to import: an agenda (.ics), or contact people, schools or questions (.csv,
.xlsx) for the knowledge overlay.

Thin: the checks, the preview and the import are bot/services/file_imports.py, the same code as
``python -m bot events import`` / ``kb import``. Between the preview and "Importeren" only Telegram's
file id is kept (in the coordinator's user data, under a short random key that the buttons carry);
"Importeren" downloads the file again and imports it once: the entry is taken out before the import,
so a second press (or a press after a restart) hears that the file is already handled. Nothing is
stored for a non-coordinator, a file of another kind, a file over ``CHAT_FILE_MAX_BYTES`` or a file
in a group.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import import_text
from bot.context import current_time
from bot.services import Authority
from bot.services.file_imports import FileImported, FileKind, suffix_kind
from handlers import callbacks
from handlers.common import Context, acknowledge, edit, own_press, services
from handlers.coordinators import require_coordinator
from handlers.general import NOT_TEXT

PENDING_KEY = "pending-files"
MAX_PENDING = 5  # files per coordinator waiting for a button; older ones are forgotten
TABLE_KINDS: tuple[FileKind, ...] = ("contact", "school", "faq")


@dataclass(frozen=True)
class PendingFile:
    file_id: str
    name: str
    kind: FileKind | None  # None: the coordinator still picks what the spreadsheet holds
    partnership: str


def _pending(context: Context) -> OrderedDict[str, PendingFile]:
    data = context.user_data if context.user_data is not None else {}
    return cast(OrderedDict[str, PendingFile], data.setdefault(PENDING_KEY, OrderedDict()))


def _keep(context: Context, pending: PendingFile) -> str:
    waiting = _pending(context)
    key = secrets.token_hex(4)
    waiting[key] = pending
    while len(waiting) > MAX_PENDING:
        waiting.popitem(last=False)
    return key


def _partnership_name(context: Context, authority: Authority) -> str:
    found = services(context).matcher.kb.partnerships.get(authority.partnership)
    return found.name if found is not None else authority.partnership


def _confirm_buttons(key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Importeren", callback_data=callbacks.FILE_IMPORT.pack(key, "ja")),
                InlineKeyboardButton("Annuleren", callback_data=callbacks.FILE_IMPORT.pack(key, "nee")),
            ]
        ]
    )


def _kind_buttons(key: str) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(import_text.kind_label(kind), callback_data=callbacks.FILE_IMPORT.pack(key, kind))]
        for kind in TABLE_KINDS
    ]
    rows.append([InlineKeyboardButton("Annuleren", callback_data=callbacks.FILE_IMPORT.pack(key, "nee"))])
    return InlineKeyboardMarkup(rows)


async def _download(context: Context, file_id: str) -> bytes | str:
    """The file's bytes, or the Dutch reason it could not be had (Telegram failed, or it is too big)."""
    limit = services(context).settings.chat_file_max_bytes
    try:
        found = await context.bot.get_file(file_id)
        if found.file_size is not None and found.file_size > limit:
            return import_text.too_big(limit)
        content = bytes(await found.download_as_bytearray())
    except TelegramError:
        return import_text.DOWNLOAD_FAILED
    return content if len(content) <= limit else import_text.too_big(limit)


async def _reply(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def document(update: Update, context: Context) -> None:
    """A document in a private chat: refused politely, or checked and previewed with buttons."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    name = message.document.file_name or ""
    importable = suffix_kind(name)
    found = await services(context).coordinators.authority(user.id)
    if found is None:
        await message.reply_text(import_text.NOT_A_COORDINATOR if importable else NOT_TEXT)
        return
    authority = await require_coordinator(update, context)  # the shared guard (private chat, right)
    if authority is None:
        return
    if importable is None:
        await message.reply_text(import_text.NOT_IMPORTABLE)
        return
    limit = services(context).settings.chat_file_max_bytes
    if message.document.file_size is not None and message.document.file_size > limit:
        await message.reply_text(import_text.too_big(limit))
        return
    content = await _download(context, message.document.file_id)
    if isinstance(content, str):
        await message.reply_text(content)
        return
    pending = PendingFile(message.document.file_id, name, "ics" if importable == "ics" else None, authority.partnership)
    if pending.kind is None:
        kind, problems = await services(context).file_imports.table_kind(name, content)
        if problems:
            await _reply(message, import_text.errors_text(name, problems))
            return
        if kind is None:
            await _reply(message, import_text.ask_kind_text(name), _kind_buttons(_keep(context, pending)))
            return
        pending = replace(pending, kind=kind)
    text, markup = await _previewed(context, authority, pending, content)
    await _reply(message, text, markup)


async def _previewed(
    context: Context, authority: Authority, pending: PendingFile, content: bytes
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The preview with Importeren / Annuleren (the file kept under a new key), or the errors."""
    assert pending.kind is not None
    now = current_time(context)
    preview = await services(context).file_imports.preview(authority, pending.name, content, pending.kind, now)
    if preview.errors:
        return import_text.errors_text(pending.name, preview.errors), None
    text = import_text.preview_text(pending.name, preview, _partnership_name(context, authority))
    return text, _confirm_buttons(_keep(context, pending))


async def pressed(update: Update, context: Context) -> None:
    """Importeren / Annuleren, or the kind of a spreadsheet."""
    found = await own_press(update, context, callbacks.FILE_IMPORT)
    if found is None:
        return
    query, (key, action) = found
    authority = await require_coordinator(update, context)
    if authority is None:
        return
    waiting = _pending(context)
    pending = waiting.pop(key, None)  # taken out first: whatever happens next, it happens once
    if pending is None or pending.partnership != authority.partnership:
        await acknowledge(context, query, import_text.GONE)
        return
    if action == "nee":
        await acknowledge(context, query)
        await edit(
            context,
            query,
            import_text.CANCELLED.format(name=import_text.shown_name(pending.name)),
            parse_mode=ParseMode.HTML,
        )
        return
    if action == "ja" and pending.kind is None:
        waiting[key] = pending
        await acknowledge(context, query, "Kies eerst wat er in het bestand staat.")
        return
    await acknowledge(context, query)
    content = await _download(context, pending.file_id)
    if isinstance(content, str):
        await edit(context, query, content)
        return
    if action != "ja":
        chosen = replace(pending, kind=cast(FileKind, action))
        text, markup = await _previewed(context, authority, chosen, content)
        await edit(context, query, text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    assert pending.kind is not None
    now = current_time(context)
    done = await services(context).file_imports.run(authority, pending.name, content, pending.kind, now)
    if isinstance(done, FileImported):
        text = import_text.imported_text(pending.name, done)
    else:
        text = import_text.errors_text(pending.name, done.errors)
    await edit(context, query, text, parse_mode=ParseMode.HTML)


async def document_in_group(update: Update, context: Context) -> None:
    """A coordinator's file to import sent in a group: told that importing is done in a private chat.
    Anyone else's spreadsheet or calendar is ordinary group traffic, and the bot keeps quiet."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.document is None or user is None:
        return
    if suffix_kind(message.document.file_name or "") and await services(context).coordinators.authority(user.id):
        await message.reply_text(import_text.IN_A_GROUP)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    documents = filters.UpdateType.MESSAGE & filters.Document.ALL
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & documents, document))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & documents, document_in_group))
    application.add_handler(CallbackQueryHandler(pressed, pattern=callbacks.FILE_IMPORT.pattern))
