"""A local fake of the Telegram Bot API for end-to-end tests.

It speaks HTTP like the real server (status codes, ``{"ok": ..., "result"/"description"}`` bodies) and
applies the checks users would otherwise hit in production: the 4096-character limit, Telegram's HTML
entity parser, 64-byte callback data, message ids counted per chat, 403 for a user who blocked the bot
or was deleted, 400 for an unknown chat and for a group that became a supergroup (with
``migrate_to_chat_id``), 409 when a second instance polls, and 429 with ``retry_after`` for the
overall, per-chat and per-group limits when a test switches them on. Documents and photos are kept so
tests can read what the bot sent. A user can send a document (``send_document``); the bot gets it
back as Telegram serves files: ``getFile`` gives a ``file_path``, downloaded from
``/file/bot<token>/<file_path>`` (``downloads`` counts what was fetched).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-fictief-token"
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Samen Opleiden",
    "username": "SamenOpleidenTestBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "blockquote",
    "span",  # <span class="tg-spoiler">, as PTB's text_html writes a spoiler
    "tg-emoji",
}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"</?([a-zA-Z-]+)(\s[^<>]*)?>")


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


class _Nesting(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag {tag}")


def parse_html(text: str) -> str:
    """Telegram's HTML mode: only its tags, only its entities; returns the plain text."""
    for match in TAG.finditer(text):
        if match.group(1).lower() not in ALLOWED_TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unsupported start tag "{match.group(1)}"')
    stripped = TAG.sub("", text)
    if "<" in stripped or ">" in stripped:
        raise ApiError(400, "Bad Request: can't parse entities: unexpected < or > in text")
    for position in (m.start() for m in re.finditer("&", stripped)):
        if not ENTITY.match(stripped, position):
            raise ApiError(400, "Bad Request: can't parse entities: unsupported entity")
    checker = _Nesting()
    checker.feed(text)
    if checker.stack:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed tag")
    return html.unescape(stripped)


@dataclass
class Upload:
    file_name: str
    content: bytes


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


def buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of the inline buttons under a message."""
    return [b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


class FakeBotAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.pending: list[dict[str, Any]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.blocked_chats: set[int] = set()
        self.deactivated_chats: set[int] = set()
        self.unknown_chats: set[int] = set()
        self.migrated_chats: dict[int, int] = {}  # group id -> its new supergroup id
        self.uploads: dict[str, Upload] = {}  # file_id -> what the bot sent
        self.user_files: dict[str, Upload] = {}  # file_id -> what a user sent (served by getFile)
        self.downloads: list[str] = []  # file_path of every file the bot downloaded
        self.file_size_claims: dict[str, int] = {}  # file_id -> a file_size to report instead of the real one
        self.user_messages: set[tuple[int, int]] = set()  # (chat, message id) the users sent and did not delete
        self.rate_limit_next = 0
        self.rate_limit_after = 0  # sends accepted before ``rate_limit_next`` starts (a 429 on a later part)
        self.bad_gateway_next = 0  # the next sends fail with 502, as Telegram's front end sometimes does
        self.retry_after = 1
        self._polls = 0  # getUpdates calls so far: a newer one ends the one waiting (409)
        self.send_delay = 0.0  # seconds each send* call takes before it is accepted (a slow network)
        self.draining = False
        self.conflict = False  # another instance polls with this token
        self.flood_limit: int | None = None  # messages per second, as Telegram enforces per bot
        self.chat_limit_per_second: int | None = None  # per private chat
        self.group_limit_per_minute: int | None = None  # per group or supergroup
        self._recent_sends: list[float] = []
        self._sends_by_chat: dict[int, list[float]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.confirmed_offset = 0
        self.handed_out: Counter[int] = Counter()  # update id -> getUpdates answers that carried it
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- server ---------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.file.read())
                continue
            text = value if isinstance(value, str) else ""
            try:
                params[key] = json.loads(text) if text[:1] in "[{" else text
            except json.JSONDecodeError:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if request.match_info["token"] != self.token:
            return self._error(method, params, ApiError(401, "Unauthorized"))
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"api_{method}", None)
        if handler is None:
            return self._error(method, params, ApiError(404, "Not Found"))
        call = Call(method, params, 0)
        self.calls.append(call)  # recorded when it starts, so a held long poll is visible
        if self.send_delay and method.startswith("send"):
            await asyncio.sleep(self.send_delay)
        try:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            return self._error(method, params, error, call)
        call.status = 200
        return web.json_response({"ok": True, "result": result})

    def _error(self, method: str, params: dict[str, Any], error: ApiError, call: Call | None = None) -> web.Response:
        if call is None:
            self.calls.append(Call(method, params, error.status))
        else:
            call.status = error.status
        body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.status)

    async def _download(self, request: web.Request) -> web.Response:
        """A file a user sent, as Telegram's file server gives it to the bot (404 for anything else)."""
        path = request.match_info["path"]
        file_id = path.removeprefix("documents/")
        if request.match_info["token"] != self.token or file_id not in self.user_files:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(path)
        return web.Response(body=self.user_files[file_id].content, content_type="application/octet-stream")

    # -- Bot API methods ------------------------------------------------------------------------
    def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.user_files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = self.file_size_claims.get(file_id, len(self.user_files[file_id].content))
        if size > 20_000_000:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": size,
            "file_path": f"documents/{file_id}",
        }

    def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT

    def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def api_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be non-empty")
        return True

    def api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def api_setChatMenuButton(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {}
        if button.get("type") == "web_app" and not str(button.get("web_app", {}).get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: only HTTPS links are allowed")
        return True

    def api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.conflict:
            raise ApiError(409, CONFLICT)
        # As Telegram does: a new getUpdates call ends the one still waiting, which gets 409.
        self._polls += 1
        mine = self._polls
        self._new_update.set()
        offset = int(params.get("offset") or 0)
        self.confirmed_offset = max(self.confirmed_offset, offset)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self.pending and timeout > 0 and not self.draining:
            # set() above already woke the older poll; clearing now cannot undo that
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        if mine != self._polls:
            raise ApiError(409, CONFLICT)
        limit = int(params.get("limit") or 100)
        batch = self.pending[:limit]
        self.handed_out.update(update["update_id"] for update in batch)
        return batch

    def _check_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return dict(markup)

    def _text(self, params: dict[str, Any], key: str = "text", limit: int = 4096, required: bool = True) -> str:
        raw = str(params.get(key) or "")
        text = parse_html(raw) if str(params.get("parse_mode", "")).upper() == "HTML" else raw
        if required and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: message {'caption' if key == 'caption' else 'text'} is too long")
        return text

    @staticmethod
    def chat_type(chat_id: int) -> str:
        if chat_id > 0:
            return "private"
        return "supergroup" if str(chat_id).startswith("-100") else "group"

    def next_message_id(self, chat_id: int) -> int:
        """Telegram counts message ids per chat; the user's and the bot's messages share the count."""
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _check_recipient(self, chat_id: int) -> None:
        if chat_id in self.migrated_chats:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated_chats[chat_id]},
            )
        if chat_id in self.unknown_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.deactivated_chats:
            raise ApiError(403, "Forbidden: user is deactivated")

    def _check_limits(self, chat_id: int) -> None:
        """Telegram's flood limits, each only when a test switches it on: overall, per chat, per group."""
        now = time.monotonic()
        if self.flood_limit is not None:
            self._recent_sends = [at for at in self._recent_sends if now - at < 1.0]
            if len(self._recent_sends) >= self.flood_limit:
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        window, limit = (1.0, self.chat_limit_per_second) if chat_id > 0 else (60.0, self.group_limit_per_minute)
        recent = [at for at in self._sends_by_chat.get(chat_id, []) if now - at < window]
        if limit is not None and len(recent) >= limit:
            wait = max(1, int(window - (now - recent[0])) + 1)
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        if self.rate_limit_next > 0 and self.rate_limit_after > 0:
            self.rate_limit_after -= 1
        elif self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            raise ApiError(429, f"Too Many Requests: retry after {self.retry_after}", {"retry_after": self.retry_after})
        self._recent_sends.append(now)
        self._sends_by_chat[chat_id] = [*recent, now]

    def _check_reply(self, chat_id: int, params: dict[str, Any]) -> None:
        """A reply to a message that is gone fails, unless the bot allows sending it without the reply."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target, anyway = int(reply.get("message_id", 0)), bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id"):
            target = int(params["reply_to_message_id"])
            anyway = str(params.get("allow_sending_without_reply", "")).lower() in {"true", "1"}
        else:
            return
        exists = (chat_id, target) in self.user_messages or (chat_id, target) in self.messages
        if not exists and not anyway:
            raise ApiError(400, "Bad Request: message to be replied not found")

    def _new_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if self.bad_gateway_next > 0:
            self.bad_gateway_next -= 1
            raise ApiError(502, "Bad Gateway")
        self._check_recipient(chat_id)
        self._check_reply(chat_id, params)
        self._check_limits(chat_id)
        message_id = self.next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": self.chat_type(chat_id)},
            "from": BOT,
            **content,
        }
        markup = self._check_markup(params)
        if markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        return message

    def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._new_message(params, {"text": self._text(params)})

    def _upload(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        upload = params.get(key)
        if not isinstance(upload, Upload) or not upload.content:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        file_id = f"{key}-{next(self._file_ids)}"
        self.uploads[file_id] = upload
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(upload.content)}

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = self._text(params, "caption", limit=1024, required=False)
        return {"caption": caption} if caption else {}

    def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        document = self._upload(params, "document")
        document["file_name"] = params["document"].file_name
        return self._new_message(params, {"document": document, **self._caption(params)})

    def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = self._upload(params, "photo")
        if not params["photo"].content.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        return self._new_message(params, {"photo": [{**photo, "width": 1, "height": 1}], **self._caption(params)})

    def _stored(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        text, markup = self._text(params), self._check_markup(params)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        markup = self._check_markup(params)
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def drain(self, on: bool) -> None:
        """While draining, long polls return at once: lets a test stop the bot without the 10 s poll."""
        self.draining = on
        if on:
            self._new_update.set()

    # -- driving the bot ------------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        self.pending.append(update)
        self._new_update.set()

    @staticmethod
    def user(user_id: int, first_name: str = "Fictief") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "nl"}

    def send_text(
        self,
        user: dict[str, Any],
        text: str,
        chat: dict[str, Any] | None = None,
        edited: bool = False,
        message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """The user sends (or, with ``edited`` and the ``message_id``, edits) a text; returns its id.
        ``entities``: formatting the user applied (bold, italic, links), as Telegram sends it."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message_id = message_id or self.next_message_id(chat["id"])
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        entities = list(entities or [])
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        for match in re.finditer(r"@\w+", text):
            # Telegram counts offsets and lengths in UTF-16 code units.
            offset = len(text[: match.start()].encode("utf-16-le")) // 2
            length = len(match.group().encode("utf-16-le")) // 2
            entities.append({"type": "mention", "offset": offset, "length": length})
        if entities:
            message["entities"] = entities
        if edited:
            message["edit_date"] = int(time.time())
        self.user_messages.add((chat["id"], message_id))
        self._push({"edited_message" if edited else "message": message})
        return message_id

    def delete(self, chat_id: int, message_id: int) -> None:
        """The user (or a group admin) deletes a message."""
        self.user_messages.discard((chat_id, message_id))
        self.messages.pop((chat_id, message_id), None)

    def send_other(
        self,
        user: dict[str, Any],
        kind: str,
        payload: dict[str, Any] | list[dict[str, Any]],
        caption: str | None = None,
    ) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message_id = self.next_message_id(chat["id"])
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": user}
        self.user_messages.add((chat["id"], message_id))
        message[kind] = payload
        if caption is not None:
            message["caption"] = caption
        self._push({"message": message})

    def send_document(
        self,
        user: dict[str, Any],
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        chat: dict[str, Any] | None = None,
        file_size: int | None = None,
    ) -> str:
        """The user sends a file (in their private chat, or in ``chat``); returns its file_id.
        ``file_size``: what Telegram reports, when a test wants a size other than the content's."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        file_id = f"userdoc-{next(self._file_ids)}"
        self.user_files[file_id] = Upload(file_name, content)
        if file_size is not None:
            self.file_size_claims[file_id] = file_size
        message_id = self.next_message_id(chat["id"])
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(content) if file_size is None else file_size,
            },
        }
        self.user_messages.add((chat["id"], message_id))
        self._push({"message": message})
        return file_id

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str, forged: bool = False) -> None:
        """A button press; ``forged`` sends callback data that is not under the message (any client can)."""
        buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        if not forged and data not in {b.get("callback_data") for b in buttons}:
            raise AssertionError(f"no button {data!r} under message {message.get('text')!r}")
        self._push(
            {
                "callback_query": {
                    "id": str(next(self._callback_ids)),
                    "from": user,
                    "message": message,
                    "chat_instance": "fictief",
                    "data": data,
                }
            }
        )

    def block(self, user: dict[str, Any]) -> None:
        """The user blocks the bot: Telegram answers 403 and sends a my_chat_member update."""
        self.blocked_chats.add(user["id"])
        self._member_change(user, {"status": "member", "user": BOT}, {"status": "kicked", "user": BOT, "until_date": 0})

    def unblock(self, user: dict[str, Any]) -> None:
        """The user unblocks the bot: Telegram sends a my_chat_member update, and no message."""
        self.blocked_chats.discard(user["id"])
        self._member_change(user, {"status": "kicked", "user": BOT, "until_date": 0}, {"status": "member", "user": BOT})

    def _member_change(self, user: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        change = {"chat": chat, "from": user, "date": int(time.time()), "old_chat_member": old, "new_chat_member": new}
        self._push({"my_chat_member": change})

    # -- observing --------------------------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, in order, as they are now (after edits)."""
        return [m for (chat, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1]) if chat == chat_id]

    def all_confirmed(self) -> bool:
        """Whether the bot has fetched and confirmed every update pushed so far."""
        return all(update["update_id"] < self.confirmed_offset for update in self.pending)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            await asyncio.sleep(0.01)
        raise AssertionError("timed out waiting for the bot")

    async def ask(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        """The user writes ``text`` in their private chat; returns the bot's next message there."""
        before = len(self.sent_to(user["id"]))
        self.send_text(user, text)
        return await self.reply(user["id"], before)

    async def reply(self, chat_id: int, after: int, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the bot's next message to ``chat_id`` after it had sent ``after`` messages there."""
        messages = await self.wait_until(lambda: self.sent_to(chat_id)[after:], timeout)
        return dict(messages[0])
