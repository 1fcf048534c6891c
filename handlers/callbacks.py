"""Every kind of button the bot sends: its callback-data prefix, how to pack it and how to parse it.

Callback data comes back from Telegram as untrusted input (anyone can forge it), so ``parse`` is
strict: ASCII only, the exact shape, bounded numbers; anything else gives None, which the handlers
treat as a button that no longer works. Data must fit Telegram's 64 bytes (checked by ``pack``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TELEGRAM_CALLBACK_LIMIT = 64
ENTRY_ID = r"[a-z]{1,12}:[a-z0-9]+(?:-[a-z0-9]+)*"
DATABASE_ID = r"[1-9][0-9]{0,18}"
MAX_DATABASE_ID = 2**63 - 1  # BIGINT
INTEGER_ID = r"[1-9][0-9]{0,8}"  # ids of INTEGER columns (events): below 2**31 by their length


@dataclass(frozen=True)
class Button:
    prefix: str
    payload: str  # regular expression of what follows "<prefix>:", with one group per field
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = re.compile(rf"{re.escape(self.prefix)}:{self.payload}", re.ASCII)
        object.__setattr__(self, "_regex", compiled)

    @property
    def pattern(self) -> str:
        """For CallbackQueryHandler: every data with this prefix (malformed ones included)."""
        return rf"^{re.escape(self.prefix)}:"

    def pack(self, *fields: str | int) -> str:
        data = ":".join([self.prefix, *(str(f) for f in fields if f != "")])  # "": an optional field left out
        if len(data.encode()) > TELEGRAM_CALLBACK_LIMIT or self.parse(data) is None:
            raise ValueError(f"invalid callback data {data!r}")
        return data

    def parse(self, data: str | None) -> tuple[str, ...] | None:
        """The fields ("" for an optional one that is absent), or None when the data is malformed."""
        found = self._regex.fullmatch(data) if data is not None else None
        if found is None or any(f.isdigit() and int(f) > MAX_DATABASE_ID for f in found.groups("")):
            return None
        return found.groups("")


ANSWER = Button("a", rf"({ENTRY_ID})")
FEEDBACK = Button("f", rf"({DATABASE_ID}):(1|-1)")
PARTNERSHIP = Button("p", r"([a-z0-9]+(?:-[a-z0-9]+)*)")
ROLE = Button("r", r"([a-z]{1,32})")
SCHOOL = Button("s", rf"(-|{ENTRY_ID})")
FORGET = Button("v", r"(ja|nee)")
# The agenda: answers to a reminder, reminders per category, an event or the agenda as an .ics file.
RSVP = Button("rsvp", rf"({INTEGER_ID}):(ja|nee)")
SUBSCRIBE = Button("sub", r"(on|off):(intervisie|mentortraining|partnerscholendag|overig)")
EVENT_FILE = Button("ev", rf"({INTEGER_ID}|alles)")
# Coordinators: pick a user to make coordinator, then confirm (ja) or not (nee).
COORDINATOR = Button("co", rf"(kies|ja|nee):({DATABASE_ID})")

# The question inbox (/vragen): answer a group (by the id of its newest question), confirm or cancel
# the answer (with the version of the answer the preview showed; a button from before has none), or
# turn the page.
INBOX_ANSWER = Button("ib", rf"({DATABASE_ID})")
INBOX_CONFIRM = Button("ibok", rf"({DATABASE_ID}):(?:([0-9a-f]{{8}}):)?(ja|nee)")
INBOX_PAGE = Button("ibp", r"(0|[1-9][0-9]{0,2})")
# /nieuw: the category, a day and a time, no place, the audience (roles on/off, everyone, done), save or not.
NEW_CATEGORY = Button("nwc", r"(intervisie|mentortraining|partnerscholendag|overig)")
NEW_DAY = Button("nwd", r"(20[0-9]{2}-[01][0-9]-[0-3][0-9])")
NEW_TIME = Button("nwt", r"((?:[01][0-9]|2[0-3])[0-5][0-9])")
NEW_PLACE = Button("nwp", r"(geen)")
NEW_AUDIENCE = Button("nwa", r"(aan|uit|alle|klaar):([a-z]{1,32}|-)")
NEW_CONFIRM = Button("nwk", r"(opslaan|annuleren)")
# A coordinator's agenda: pick an event, cancel it (confirmed: ja / nee), change its title, time or place.
EVENT_MANAGE = Button("agb", rf"(kies|afgelast|ja|nee):({INTEGER_ID})")
EVENT_EDIT = Button("agw", rf"(titel|tijd|plek):({INTEGER_ID})")
# /stats over another period (days).
STATS = Button("st", r"(7|30|365)")
# /bericht, each button carrying the draft's id: the kind of audience, roles on/off (or done), a
# school, a category's subscribers, now or later, send or not; /berichten: cancel a planned one.
BROADCAST_AUDIENCE = Button("bca", rf"({DATABASE_ID}):(alle|rollen|school|soort)")
BROADCAST_ROLE = Button("bcr", rf"({DATABASE_ID}):(aan|uit|klaar):([a-z]{{1,32}}|-)")
BROADCAST_SCHOOL = Button("bcs", rf"({DATABASE_ID}):({ENTRY_ID})")
BROADCAST_CATEGORY = Button("bcc", rf"({DATABASE_ID}):(intervisie|mentortraining|partnerscholendag|overig)")
BROADCAST_WHEN = Button("bct", rf"({DATABASE_ID}):(nu|later)")
BROADCAST_CONFIRM = Button("bck", rf"({DATABASE_ID}):(ja|nee)")
BROADCAST_CANCEL = Button("bcx", rf"({DATABASE_ID})")
# A file sent in chat to import: its short key (kept in the user's data) and what to do: the kind of a
# spreadsheet whose columns did not say it, import, or cancel.
FILE_IMPORT = Button("fi", r"([0-9a-f]{8}):(contact|school|faq|ja|nee)")

ALL = (
    ANSWER,
    FEEDBACK,
    PARTNERSHIP,
    ROLE,
    SCHOOL,
    FORGET,
    RSVP,
    SUBSCRIBE,
    EVENT_FILE,
    COORDINATOR,
    INBOX_ANSWER,
    INBOX_CONFIRM,
    INBOX_PAGE,
    NEW_CATEGORY,
    NEW_DAY,
    NEW_TIME,
    NEW_PLACE,
    NEW_AUDIENCE,
    NEW_CONFIRM,
    EVENT_MANAGE,
    EVENT_EDIT,
    STATS,
    BROADCAST_AUDIENCE,
    BROADCAST_ROLE,
    BROADCAST_SCHOOL,
    BROADCAST_CATEGORY,
    BROADCAST_WHEN,
    BROADCAST_CONFIRM,
    BROADCAST_CANCEL,
    FILE_IMPORT,
)
