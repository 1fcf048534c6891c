"""Callback data is untrusted: only the exact shapes the bot sends are accepted."""

from __future__ import annotations

import pytest

from handlers import callbacks


@pytest.mark.parametrize(
    ("button", "data", "fields"),
    [
        (callbacks.FEEDBACK, "f:12:1", ("12", "1")),
        (callbacks.FEEDBACK, "f:12:-1", ("12", "-1")),
        (callbacks.FEEDBACK, "f:9223372036854775807:1", ("9223372036854775807", "1")),
        (callbacks.ANSWER, "a:begrip:lesson-study", ("begrip:lesson-study",)),
        (callbacks.SCHOOL, "s:-", ("-",)),
        (callbacks.SCHOOL, "s:school:kc-de-wegwijzer", ("school:kc-de-wegwijzer",)),
        (callbacks.PARTNERSHIP, "p:poo-marnix", ("poo-marnix",)),
        (callbacks.ROLE, "r:mentor", ("mentor",)),
        (callbacks.FORGET, "v:ja", ("ja",)),
        (callbacks.RSVP, "rsvp:12:ja", ("12", "ja")),
        (callbacks.RSVP, "rsvp:999999999:nee", ("999999999", "nee")),
        (callbacks.SUBSCRIBE, "sub:off:intervisie", ("off", "intervisie")),
        (callbacks.SUBSCRIBE, "sub:on:overig", ("on", "overig")),
        (callbacks.EVENT_FILE, "ev:7", ("7",)),
        (callbacks.EVENT_FILE, "ev:alles", ("alles",)),
        (callbacks.INBOX_ANSWER, "ib:1763935200123456789", ("1763935200123456789",)),
        (callbacks.INBOX_CONFIRM, "ibok:42:ja", ("42", "", "ja")),  # a button from before versions
        (callbacks.INBOX_CONFIRM, "ibok:42:0a1b2c3d:ja", ("42", "0a1b2c3d", "ja")),
        (callbacks.INBOX_PAGE, "ibp:0", ("0",)),
        (callbacks.INBOX_PAGE, "ibp:12", ("12",)),
        (callbacks.NEW_CATEGORY, "nwc:mentortraining", ("mentortraining",)),
        (callbacks.NEW_DAY, "nwd:2026-12-01", ("2026-12-01",)),
        (callbacks.NEW_TIME, "nwt:1530", ("1530",)),
        (callbacks.NEW_PLACE, "nwp:geen", ("geen",)),
        (callbacks.NEW_AUDIENCE, "nwa:aan:mentor", ("aan", "mentor")),
        (callbacks.NEW_AUDIENCE, "nwa:klaar:-", ("klaar", "-")),
        (callbacks.NEW_CONFIRM, "nwk:opslaan", ("opslaan",)),
        (callbacks.EVENT_MANAGE, "agb:afgelast:12", ("afgelast", "12")),
        (callbacks.EVENT_EDIT, "agw:tijd:12", ("tijd", "12")),
        (callbacks.STATS, "st:365", ("365",)),
        (callbacks.BROADCAST_AUDIENCE, "bca:7:rollen", ("7", "rollen")),
        (callbacks.BROADCAST_ROLE, "bcr:7:aan:mentor", ("7", "aan", "mentor")),
        (callbacks.BROADCAST_ROLE, "bcr:7:klaar:-", ("7", "klaar", "-")),
        (callbacks.BROADCAST_SCHOOL, "bcs:7:school:kc-de-wegwijzer", ("7", "school:kc-de-wegwijzer")),
        (callbacks.BROADCAST_CATEGORY, "bcc:7:intervisie", ("7", "intervisie")),
        (callbacks.BROADCAST_WHEN, "bct:7:later", ("7", "later")),
        (callbacks.BROADCAST_CONFIRM, "bck:7:ja", ("7", "ja")),
        (callbacks.BROADCAST_CANCEL, "bcx:7", ("7",)),
        (callbacks.FILE_IMPORT, "fi:0a1b2c3d:ja", ("0a1b2c3d", "ja")),
        (callbacks.FILE_IMPORT, "fi:0a1b2c3d:school", ("0a1b2c3d", "school")),
    ],
)
def test_the_shapes_the_bot_sends_are_read_back(button: callbacks.Button, data: str, fields: tuple[str, ...]) -> None:
    assert button.parse(data) == fields
    assert button.pack(*fields) == data


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (callbacks.FEEDBACK, "f:²:1"),  # a Unicode digit: int() would raise
        (callbacks.FEEDBACK, "f:" + "9" * 40 + ":1"),  # would overflow a BIGINT
        (callbacks.FEEDBACK, "f:0:1"),
        (callbacks.FEEDBACK, "f:9223372036854775808:1"),  # one past BIGINT
        (callbacks.FEEDBACK, "f:12:2"),
        (callbacks.FEEDBACK, "f:12"),
        (callbacks.FEEDBACK, "f:12:1:extra"),
        (callbacks.FEEDBACK, "f:١٢:1"),  # Arabic-Indic digits
        (callbacks.ANSWER, "a:begrip:Lesson Study"),
        (callbacks.ANSWER, "a:"),
        (callbacks.SCHOOL, "s:--"),
        (callbacks.PARTNERSHIP, "p:../../etc"),
        (callbacks.FORGET, "v:JA"),
        (callbacks.FORGET, None),
        (callbacks.ROLE, "x:mentor"),
        (callbacks.RSVP, "rsvp:2147483648:ja"),  # past an INTEGER id
        (callbacks.RSVP, "rsvp:12:misschien"),
        (callbacks.RSVP, "rsvp:0:ja"),
        (callbacks.SUBSCRIBE, "sub:toggle:intervisie"),  # only on or off, never a toggle
        (callbacks.SUBSCRIBE, "sub:on:vergadering"),
        (callbacks.EVENT_FILE, "ev:-1"),
        (callbacks.INBOX_ANSWER, "ib:vraag over stage"),  # ids only, never text
        (callbacks.INBOX_ANSWER, "ib:9223372036854775808"),
        (callbacks.INBOX_CONFIRM, "ibok:42:misschien"),
        (callbacks.INBOX_CONFIRM, "ibok:42:0A1B2C3D:ja"),
        (callbacks.INBOX_PAGE, "ibp:-1"),
        (callbacks.INBOX_PAGE, "ibp:0001"),
        (callbacks.NEW_CATEGORY, "nwc:vergadering"),
        (callbacks.NEW_TIME, "nwt:2460"),
        (callbacks.NEW_AUDIENCE, "nwa:toggle:mentor"),  # only on or off, never a toggle
        (callbacks.EVENT_MANAGE, "agb:ja:2147483648"),  # past an INTEGER id
        (callbacks.EVENT_EDIT, "agw:beschrijving:12"),
        (callbacks.STATS, "st:14"),
        (callbacks.BROADCAST_ROLE, "bcr:7:toggle:mentor"),  # set or unset, never a blind toggle
        (callbacks.BROADCAST_ROLE, "bcr:7:aan:Mentor"),
        (callbacks.BROADCAST_SCHOOL, "bcs:7:../etc"),
        (callbacks.BROADCAST_CONFIRM, "bck:0:ja"),
        (callbacks.BROADCAST_CANCEL, "bcx:7:ja"),
        (callbacks.FILE_IMPORT, "fi:0A1B2C3D:ja"),  # the key is lower-case hex only
        (callbacks.FILE_IMPORT, "fi:0a1b2c3d:misschien"),
        (callbacks.FILE_IMPORT, "fi:documents/x:ja"),  # never a path or a file id
    ],
)
def test_anything_else_is_refused(button: callbacks.Button, data: str | None) -> None:
    assert button.parse(data) is None


def test_pack_refuses_data_over_telegrams_64_bytes() -> None:
    with pytest.raises(ValueError, match="invalid callback data"):
        callbacks.ANSWER.pack("begrip:" + "a" * 60)


def test_every_prefix_is_unique() -> None:
    prefixes = [button.prefix for button in callbacks.ALL]
    assert len(prefixes) == len(set(prefixes))
