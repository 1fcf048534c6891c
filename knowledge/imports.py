"""Read a CSV or Excel file of contact persons, schools or questions for the knowledge overlay.

Pure: no database. ``read_table`` returns the rows of the file, ``overlay_items`` checks every cell
and turns the rows into overlay items. Every problem names the row as a spreadsheet numbers it (the
header is row 1) and the column: ``bestand.csv:3: kolom e-mail: ...``. One problem means the whole
file is refused: the caller imports nothing.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.loader import Problem
from knowledge.matcher import Matcher
from knowledge.models import Entry
from knowledge.normalize import fold, tokens
from knowledge.overlay import OverlayItem, OverlayKind, natural_key, resolve_school

logger = logging.getLogger(__name__)
# The limits of one import (README, "Grenzen van een import"). An .xlsx file is a zip archive: its
# members are measured unpacked before openpyxl opens anything, so a zip bomb costs nothing.
MAX_ROWS = 5000
EMPTY_RUN = 1000  # empty rows in a row that end a sheet
MAX_FILE_BYTES = 5_000_000
MAX_XLSX_UNPACKED = 50_000_000  # all members of the archive together, unpacked
MAX_XLSX_MEMBERS = 1000
SNIFF_SAMPLE = 64 * 1024  # characters of a CSV the dialect is guessed from
FORMULA = object()  # an Excel cell with a formula but no value Excel computed and saved
NOT_XLSX = "dit is geen geldig Excel-bestand (.xlsx)"


@dataclass(frozen=True)
class Column:
    name: str  # the Dutch header, as the README documents it
    required: bool
    max_length: int
    aliases: tuple[str, ...] = ()


COLUMNS: dict[str, tuple[Column, ...]] = {
    "contact": (
        Column("naam", True, 100),
        Column("rol", True, 60, ("functie",)),
        Column("school", False, 120),
        Column("e-mail", False, 120, ("email", "e-mailadres", "emailadres", "mail", "mailadres")),
        Column("telefoon", False, 30, ("telefoonnummer", "tel", "mobiel")),
    ),
    "school": (
        Column("naam", True, 100),
        Column("soort", False, 16, ("type",)),
        Column("plaats", False, 60, ("woonplaats", "plaatsnaam")),
        Column("concept", False, 60, ("onderwijsconcept",)),
        Column("bestuur", False, 120, ("schoolbestuur",)),
    ),
    "faq": (
        Column("vraag", True, 300),
        Column("antwoord", True, 3000),
        Column("trefwoorden", False, 1000, ("zoekwoorden", "keywords")),
        Column("bron", False, 200),
    ),
}
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]  # column name -> value, stripped


def _header(text: str) -> str:
    return " ".join(fold(text).replace("_", " ").split())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is FORMULA:
        return "="
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


@dataclass(frozen=True)
class TableFile:
    """A file already read (sent in chat, say): its name and its bytes."""

    name: str
    content: bytes


def _suffix_ok(name: str, shown: str, problems: list[Problem]) -> bool:
    if Path(name).suffix.lower() not in (".csv", ".xlsx"):
        problems.append(Problem(shown, 1, "alleen .csv- en .xlsx-bestanden kunnen worden geïmporteerd"))
        return False
    return True


def _too_big(size: int, shown: str, problems: list[Problem]) -> bool:
    if size > MAX_FILE_BYTES:
        problems.append(Problem(shown, 1, f"het bestand is te groot (meer dan {MAX_FILE_BYTES // 1_000_000} MB)"))
        return True
    return False


def load(source: Path | TableFile, problems: list[Problem]) -> TableFile | None:
    """The file's name and bytes, or None after reporting why not (kind, size, unreadable): a file on
    disk is measured before it is read."""
    if isinstance(source, TableFile):
        ok = _suffix_ok(source.name, source.name, problems) and not _too_big(len(source.content), source.name, problems)
        return source if ok else None
    shown = source.name
    if not _suffix_ok(source.name, shown, problems):
        return None
    try:
        if _too_big(source.stat().st_size, shown, problems):
            return None
        return TableFile(source.name, source.read_bytes())
    except OSError:
        problems.append(Problem(shown, 1, "het bestand bestaat niet of is niet leesbaar"))
        return None


def _raw_rows(source: Path | TableFile, shown: str, problems: list[Problem]) -> list[list[Any]]:
    table = load(source, problems)
    if table is None:
        return []
    if Path(table.name).suffix.lower() == ".xlsx":
        return _xlsx_rows(table.content, shown, problems)
    return _csv_rows(table.content, shown, problems)


def _decoded(data: bytes, shown: str, problems: list[Problem]) -> str | None:
    """UTF-8 (with or without BOM); a file without any UTF-8 character is Excel's cp1252 ("CSV
    (gescheiden door lijstscheidingsteken)"). A UTF-8 file with a stray byte is refused by line:
    decoding all of it as cp1252 would turn every "ö" into "Ã¶"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    if not any(127 < ord(character) < 0xDC80 or ord(character) > 0xDCFF for character in text):
        return data.decode("cp1252", errors="replace")
    bad = [number for number, line in enumerate(text.splitlines(), start=1) if re.search("[\udc80-\udcff]", line)]
    for number in bad[:3]:
        problems.append(
            Problem(
                shown,
                number,
                "deze regel bevat een teken dat geen UTF-8 is, terwijl de rest van het bestand UTF-8 is; "
                "verbeter het teken of sla het bestand op als ‘CSV UTF-8’",
            )
        )
    return None


def _dialect(text: str) -> type[csv.Dialect]:
    """Excel's dialect (a quote in a field is doubled: ""Handboek"") with the separator found in a
    real sample of the file, not in the header line alone."""
    try:
        delimiter = csv.Sniffer().sniff(text[:SNIFF_SAMPLE], delimiters=",;\t").delimiter
    except csv.Error:
        header = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=header.count)

    class Found(csv.excel):
        pass

    Found.delimiter = delimiter
    return Found


def csv_broken() -> str:
    """Why the csv reader stopped, in Dutch; its field limit read now, as the reader uses it."""
    limit = f"{csv.field_size_limit():,}".replace(",", ".")
    return f"ongeldige CSV: een veld is te lang (meer dan {limit} tekens) of de aanhalingstekens kloppen niet"


def _csv_rows(content: bytes, shown: str, problems: list[Problem]) -> list[list[Any]]:
    text = _decoded(content, shown, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        return [list(row) for row in reader]
    except csv.Error:  # its reason is English: say in Dutch what it can be
        problems.append(Problem(shown, max(1, reader.line_num), csv_broken()))
        return []


def _unpacked_size_problem(content: bytes) -> str | None:
    """Why an .xlsx archive is refused before it is opened (too big unpacked), or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return NOT_XLSX
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_XLSX_MEMBERS or unpacked > MAX_XLSX_UNPACKED:
        return (
            f"het Excel-bestand is uitgepakt te groot (meer dan {MAX_XLSX_UNPACKED // 1_000_000} MB of "
            f"{MAX_XLSX_MEMBERS} onderdelen); sla alleen de tabel op in een nieuw bestand"
        )
    return None


def _xlsx_rows(content: bytes, shown: str, problems: list[Problem]) -> list[list[Any]]:
    import openpyxl  # only this command needs it: `python -m bot ask` stays light

    refused = _unpacked_size_problem(content)
    if refused is not None:
        problems.append(Problem(shown, 1, refused))
        return []
    # A damaged workbook raises whatever openpyxl meets first (BadZipFile, KeyError, ParseError for XML
    # that is not well-formed or an entity bomb, TypeError for an attribute it does not know, ...), when
    # it is opened or, read-only, while the rows are read: to the coordinator they all mean the same.
    try:
        # The values Excel computed and saved, and the cells themselves (to tell a formula without a
        # saved value from an empty cell).
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:
        problems.append(Problem(shown, 1, NOT_XLSX))
        return []
    try:
        if not workbook.worksheets or not formulas.worksheets:  # a workbook.xml that lists no sheet
            problems.append(Problem(shown, 1, NOT_XLSX))
            return []
        sheet = workbook.worksheets[0]
        rows: list[list[Any]] = []
        filled = empty_run = 0
        # A formatted but empty range (a column set to text down to row 6000) is no data: trailing
        # empty rows are dropped, and a long run of them ends the sheet.
        for row, written in zip(
            sheet.iter_rows(values_only=True), formulas.worksheets[0].iter_rows(values_only=True), strict=False
        ):
            values = [
                FORMULA if value is None and isinstance(formula, str) and formula.startswith("=") else value
                for value, formula in zip(row, written, strict=False)
            ]
            empty = not any(_cell(value) for value in values)
            empty_run = empty_run + 1 if empty else 0
            if empty_run > EMPTY_RUN or filled > MAX_ROWS + 1:
                break
            filled += not empty
            rows.append(values)
        while rows and not any(_cell(value) for value in rows[-1]):
            rows.pop()
        return rows
    except Exception:  # our own code runs here too: leave its reason in the log
        logger.info("xlsx %s refused while reading its rows", shown, exc_info=True)
        problems.append(Problem(shown, 1, NOT_XLSX))
        return []
    finally:
        workbook.close()
        formulas.close()


def read_table(source: Path | TableFile, kind: str, problems: list[Problem]) -> list[Row]:
    """The data rows of ``source`` keyed by column name; header problems go to ``problems``."""
    shown = source.name
    raw = _raw_rows(source, shown, problems)
    columns = COLUMNS[kind]
    if not raw and not problems:
        problems.append(Problem(shown, 1, "het bestand is leeg: de eerste rij moet de kolomnamen bevatten"))
    if not raw:
        return []
    by_header = {_header(name): c.name for c in columns for name in (c.name, *c.aliases)}
    by_header.update({h.replace("-", ""): n for h, n in list(by_header.items())})
    positions: dict[int, str] = {}
    for position, value in enumerate(raw[0]):
        header = _header(_cell(value))
        if not header:
            continue
        name = by_header.get(header) or by_header.get(header.replace("-", ""))
        if name is None:
            expected = ", ".join(c.name for c in columns)
            problems.append(Problem(shown, 1, f"kolom ‘{_cell(value)}’ ken ik niet (kolommen: {expected})"))
        elif name in positions.values():
            problems.append(Problem(shown, 1, f"kolom {name}: staat twee keer in de eerste rij"))
        else:
            positions[position] = name
    for column in columns:
        if column.required and column.name not in positions.values():
            problems.append(Problem(shown, 1, f"kolom {column.name} ontbreekt (verplicht)"))
    if sum(1 for values in raw[1:] if any(_cell(v) for v in values)) > MAX_ROWS:
        problems.append(Problem(shown, 1, f"te veel rijen: hooguit {MAX_ROWS} per bestand"))
        return []
    rows = []
    for index, values in enumerate(raw[1:], start=2):
        formulas = [name for p, name in positions.items() if p < len(values) and values[p] is FORMULA]
        for name in formulas:
            problems.append(
                Problem(
                    shown,
                    index,
                    f"kolom {name}: een formule zonder opgeslagen uitkomst (open het bestand in Excel en sla "
                    "het opnieuw op, of zet er de waarde in)",
                )
            )
        cells = {name: _cell(values[p]) if p < len(values) else "" for p, name in positions.items()}
        if any(cells.values()) and not formulas:
            rows.append(Row(index, cells))
    if not rows and not problems:
        problems.append(Problem(shown, 2, "het bestand heeft geen rijen onder de kolomnamen"))
    return rows


def _check_cells(row: Row, kind: str, shown: str, problems: list[Problem]) -> bool:
    found = len(problems)
    for column in COLUMNS[kind]:
        value = row.cells.get(column.name, "")
        if column.required and not value:
            problems.append(Problem(shown, row.number, f"kolom {column.name}: is leeg, maar verplicht"))
        elif len(value) > column.max_length:
            problems.append(
                Problem(
                    shown,
                    row.number,
                    f"kolom {column.name}: te lang ({len(value)} tekens, hooguit {column.max_length})",
                )
            )
    email, phone = row.cells.get("e-mail", ""), row.cells.get("telefoon", "")
    if kind == "contact" and email and not EMAIL.match(email):
        problems.append(Problem(shown, row.number, f"kolom e-mail: ‘{email}’ is geen e-mailadres"))
    if kind == "contact" and phone:
        digits = sum(ch.isdigit() for ch in phone)
        if not PHONE.match(phone) or not 10 <= digits <= 15:
            problems.append(
                Problem(
                    shown,
                    row.number,
                    f"kolom telefoon: ‘{phone}’ is geen telefoonnummer (10 cijfers, bijv. 06 12345678; "
                    "valt de 0 weg in Excel, zet de kolom dan op tekst)",
                )
            )
    if kind == "faq" and row.cells.get("vraag") and not tokens(row.cells["vraag"]):
        problems.append(Problem(shown, row.number, "kolom vraag: daar staat geen vraag in (alleen losse woordjes)"))
    return len(problems) == found


def _school_of(row: Row, matcher: Matcher, partnership: str, shown: str, problems: list[Problem]) -> str | None:
    """The id of the school a contact row names ("" for none), or None after reporting why not."""
    named = row.cells.get("school", "")
    if not named:
        return ""
    found = resolve_school(matcher, partnership, named)
    if isinstance(found, Entry):
        return found.id
    if found:
        options = "; ".join(f"{e.title} ({e.id})" for e in found[:4])
        problems.append(Problem(shown, row.number, f"kolom school: ‘{named}’ past bij meer scholen: {options}"))
    else:
        problems.append(
            Problem(
                shown,
                row.number,
                f"kolom school: ‘{named}’ is geen school van {partnership} (importeer de school eerst, "
                "of schrijf de naam zoals in de kennisbank)",
            )
        )
    return None


def overlay_items(
    path: Path | TableFile, kind: OverlayKind, partnership: str, matcher: Matcher, source: str | None = None
) -> tuple[list[OverlayItem], list[Problem]]:
    """The file's rows as overlay items of ``partnership``, and every problem found.

    ``matcher`` answers the partnership's users (base plus current overlay): a contact's school must
    be one of its schools, and an item must not take the id of an entry of the YAML base.
    """
    problems: list[Problem] = []
    shown = path.name
    rows = read_table(path, kind, problems)
    items: list[OverlayItem] = []
    seen: dict[str, int] = {}
    base_ids = _base_ids(matcher)
    for row in rows:
        if not _check_cells(row, kind, shown, problems):
            continue
        fields: dict[str, str] = dict(row.cells)
        if kind == "contact":
            school = _school_of(row, matcher, partnership, shown, problems)
            if school is None:
                continue
            fields["school"] = school
        key = natural_key(kind, fields)
        if key in seen:
            problems.append(Problem(shown, row.number, f"dezelfde {_noun(kind)} staat al op rij {seen[key]}"))
            continue
        seen[key] = row.number
        item = OverlayItem(partnership, kind, key, _without_empty(fields), source or f"import {shown}")
        if item.entry_id in base_ids:
            problems.append(
                Problem(shown, row.number, f"deze {_noun(kind)} staat al in de kennisbank ({item.entry_id})")
            )
            continue
        items.append(item)
    return items, problems


FORM = "formulier"  # where a problem with an edited item is (the web view shows only the message)


def edited_item(
    item: OverlayItem, cells: Mapping[str, str], matcher: Matcher
) -> tuple[OverlayItem | None, list[Problem]]:
    """``item`` with the fields a form sent (its kind's columns), checked cell by cell as a row of an
    import is: required, length, e-mail, telephone and a contact's school (one of the partnership's,
    by id, title or name). Its key, id and source stay, so what points at it (a user's school, a
    button) keeps pointing at it. None and the problems when a cell is wrong."""
    problems: list[Problem] = []
    typed = {c.name: _cell(cells.get(c.name, "").replace("\r\n", "\n")) for c in COLUMNS[item.kind]}
    row = Row(1, typed)
    if not _check_cells(row, item.kind, FORM, problems):
        return None, problems
    fields = dict(row.cells)
    if item.kind == "contact":
        school = _school_of(row, matcher, item.partnership, FORM, problems)
        if school is None:
            return None, problems
        fields["school"] = school
    return replace(item, fields=_without_empty(fields)), problems


def _base_ids(matcher: Matcher) -> set[str]:
    return {e.id for e in matcher.kb.entries}


def _noun(kind: str) -> str:
    return {"contact": "contactpersoon", "school": "school", "faq": "vraag"}[kind]


def _without_empty(fields: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if v}


def guess_kind(source: Path | TableFile, problems: list[Problem]) -> OverlayKind | None:
    """The kind the first row's column names say (a column only one kind has); None when they say
    none or more than one (then ask), or after reporting why the file cannot be read."""
    raw = _raw_rows(source, source.name, problems)
    headers = {_header(_cell(value)) for value in (raw[0] if raw else ())}
    headers |= {header.replace("-", "") for header in headers}
    found: list[OverlayKind] = []
    kind: OverlayKind
    for kind in ("contact", "school", "faq"):
        own = {
            _header(name)
            for column in COLUMNS[kind]
            if not any(column.name in (c.name for c in COLUMNS[other]) for other in COLUMNS if other != kind)
            for name in (column.name, *column.aliases)
        }
        own |= {name.replace("-", "") for name in own}
        if own & headers:
            found.append(kind)
    return found[0] if len(found) == 1 else None


__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_XLSX_UNPACKED",
    "Column",
    "Row",
    "TableFile",
    "edited_item",
    "guess_kind",
    "load",
    "overlay_items",
    "read_table",
]
