"""The knowledge overlay without a database: imports (CSV, Excel) with every bad cell reported, the
index over the base plus a partnership's overlay, grouping of the inbox, and the export format."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from knowledge import KnowledgeBase, Matcher
from knowledge.grouping import Asked, group_questions
from knowledge.imports import overlay_items
from knowledge.models import MAX_ID_LENGTH, EntryFile
from knowledge.overlay import OverlaidMatcher, OverlayItem, build_matcher, entry_dict, entry_id, natural_key

GRONINGEN, POO = "groningen-kop-van-drenthe", "poo-marnix"
QUESTION = "wie is de schoolopleider van KC De Wegwijzer?"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def contacts(tmp_path: Path) -> Path:
    return write(
        tmp_path / "contacten.csv",
        "naam;rol;school;e-mail;telefoon\n"
        "Fictieve Anna;schoolopleider;KC De Wegwijzer;anna@voorbeeld.invalid;06 12345678\n",
    )


def test_an_imported_contact_answers_only_users_of_its_partnership(tmp_path: Path, matcher: Matcher) -> None:
    items, problems = overlay_items(contacts(tmp_path), "contact", GRONINGEN, matcher)
    assert problems == []
    overlaid = build_matcher(matcher.kb, items)

    own = overlaid.match(QUESTION, GRONINGEN)
    assert own.matched == "contact:fictieve-anna-kc-de-wegwijzer"
    assert "Fictieve Anna" in own.text
    assert "anna@voorbeeld.invalid" in own.text
    # Users of another partnership, or without one, get what they got before: never the contact.
    for scope in (POO, None):
        other = overlaid.match(QUESTION, scope)
        assert other == matcher.match(QUESTION, scope)
        assert "Fictieve Anna" not in other.text
    # The base's honest "no e-mail addresses here" gives way to an imported contact that has one.
    asked_for_mail = overlaid.match("wat is het e-mailadres van de schoolopleider van De Wegwijzer?", GRONINGEN)
    assert "anna@voorbeeld.invalid" in asked_for_mail.text
    # General questions about the role still get the role.
    assert overlaid.match("wat doet een schoolopleider?", GRONINGEN).matched == "rol:schoolopleider"


def test_no_overlay_means_the_plain_base_index(matcher: Matcher) -> None:
    assert not isinstance(build_matcher(matcher.kb, []), OverlaidMatcher)


def test_every_bad_cell_is_reported_with_its_row_and_column(tmp_path: Path, matcher: Matcher) -> None:
    file = write(
        tmp_path / "bestand.csv",
        "naam,rol,school,e-mail,telefoon\n"
        "Fictieve Anna,schoolopleider,KC De Wegwijzer,anna@voorbeeld.invalid,0612345678\n"
        "Fictieve Bert,schoolopleider,KC De Wegwijzer,geen-adres,612345678\n"
        ",mentor,,,\n"
        "Fictieve Cor,schoolopleider,Fictieve Nergensschool,,\n"
        "Fictieve Anna,schoolopleider,De Wegwijzer,,\n",
    )
    items, problems = overlay_items(file, "contact", GRONINGEN, matcher)
    assert [str(p) for p in problems] == [
        "bestand.csv:3: kolom e-mail: ‘geen-adres’ is geen e-mailadres",
        "bestand.csv:3: kolom telefoon: ‘612345678’ is geen telefoonnummer (10 cijfers, bijv. 06 12345678; "
        "valt de 0 weg in Excel, zet de kolom dan op tekst)",
        "bestand.csv:4: kolom naam: is leeg, maar verplicht",
        "bestand.csv:5: kolom school: ‘Fictieve Nergensschool’ is geen school van groningen-kop-van-drenthe "
        "(importeer de school eerst, of schrijf de naam zoals in de kennisbank)",
        "bestand.csv:6: dezelfde contactpersoon staat al op rij 2",
    ]
    assert len(items) == 1  # the caller imports nothing while there are problems


def test_a_school_of_another_partnership_is_refused(tmp_path: Path, matcher: Matcher) -> None:
    _, problems = overlay_items(contacts(tmp_path), "contact", POO, matcher)
    assert [p.line for p in problems] == [2]
    assert "geen school van poo-marnix" in problems[0].message


def test_headers_are_checked(tmp_path: Path, matcher: Matcher) -> None:
    file = write(tmp_path / "vragen.csv", "Vraag,Emial\nWat is een fictieve vraag?,x\n")
    _, problems = overlay_items(file, "faq", POO, matcher)
    assert [str(p) for p in problems] == [
        "vragen.csv:1: kolom ‘Emial’ ken ik niet (kolommen: vraag, antwoord, trefwoorden, bron)",
        "vragen.csv:1: kolom antwoord ontbreekt (verplicht)",
        "vragen.csv:2: kolom antwoord: is leeg, maar verplicht",
    ]
    _, wrong_type = overlay_items(write(tmp_path / "x.txt", "vraag\n"), "faq", POO, matcher)
    assert [str(p) for p in wrong_type] == ["x.txt:1: alleen .csv- en .xlsx-bestanden kunnen worden geïmporteerd"]


def test_an_excel_file_is_read_like_a_csv(tmp_path: Path, matcher: Matcher) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Naam", "Soort", "Plaats", "Onderwijsconcept"])
    sheet.append(["De Fictieve Vlinder", "KC", "Fictiefdorp", "Dalton"])
    sheet.append([None, None, None, None])  # an empty row is skipped, but still counted
    sheet.append(["De Wegwijzer", "KC", "Westerbork", None])  # already in the YAML base
    file = tmp_path / "scholen.xlsx"
    workbook.save(file)

    items, problems = overlay_items(file, "school", GRONINGEN, matcher)
    assert [str(p) for p in problems] == [
        "scholen.xlsx:4: deze school staat al in de kennisbank (school:kc-de-wegwijzer)"
    ]
    [school] = items
    assert school.entry_id == "school:kc-de-fictieve-vlinder"
    overlaid = build_matcher(matcher.kb, items)
    answer = overlaid.match("welke scholen liggen in Fictiefdorp?", GRONINGEN)
    assert "KC De Fictieve Vlinder" in answer.text
    assert "Fictieve Vlinder" not in overlaid.match("welke scholen liggen in Fictiefdorp?", POO).text

    broken = write(tmp_path / "kapot.xlsx", "dit is geen Excel")
    _, problems = overlay_items(broken, "school", GRONINGEN, matcher)
    assert [str(p) for p in problems] == ["kapot.xlsx:1: dit is geen geldig Excel-bestand (.xlsx)"]


@pytest.mark.parametrize(
    ("member_name", "damage"),
    [
        # openpyxl reads a sheet only while its rows are iterated: the XML error comes then, not on opening
        ("xl/worksheets/sheet1.xml", (b"</sheetData>", b"<row><c")),
        # an attribute openpyxl does not know: TypeError from its object model
        ("xl/workbook.xml", (b"<workbook ", b'<workbook onbekend="1" ')),
        ("[Content_Types].xml", (b"<Override ", b'<Override onbekend="1" ')),
    ],
)
def test_an_excel_file_with_a_damaged_part_is_refused_not_raised(
    tmp_path: Path, matcher: Matcher, member_name: str, damage: tuple[bytes, bytes]
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Naam", "Soort"])
    sheet.append(["De Fictieve Vlinder", "KC"])
    good = tmp_path / "goed.xlsx"
    workbook.save(good)
    broken = tmp_path / "kapot.xlsx"
    with zipfile.ZipFile(good) as original, zipfile.ZipFile(broken, "w") as changed:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == member_name:
                assert damage[0] in data
                data = data.replace(*damage)
            changed.writestr(member.filename, data)

    items, problems = overlay_items(broken, "school", GRONINGEN, matcher)
    assert items == []
    assert [str(p) for p in problems] == ["kapot.xlsx:1: dit is geen geldig Excel-bestand (.xlsx)"]


def test_a_contact_may_name_a_school_from_the_overlay(tmp_path: Path, matcher: Matcher) -> None:
    school = OverlayItem(
        GRONINGEN, "school", "kc-de-fictieve-vlinder", {"naam": "De Fictieve Vlinder", "soort": "KC"}, "t"
    )
    file = write(tmp_path / "c.csv", "naam,rol,school\nFictieve Dirk,mentor,KC De Fictieve Vlinder\n")
    items, problems = overlay_items(file, "contact", GRONINGEN, build_matcher(matcher.kb, [school]))
    assert problems == []
    assert items[0].fields["school"] == "school:kc-de-fictieve-vlinder"


def test_ids_fit_a_button_and_exported_items_are_valid_entries(kb: KnowledgeBase) -> None:
    long_question = "Hoe zit het met " + "heel erg lange vragen over stages " * 5
    made = entry_id("faq", long_question)
    assert len(made) <= MAX_ID_LENGTH
    assert made != entry_id("faq", long_question + " anders")
    item = OverlayItem(GRONINGEN, "faq", long_question, {"vraag": long_question, "antwoord": "Fictief."}, "t")
    EntryFile.model_validate(entry_dict(item, kb))


def test_alike_questions_are_grouped_most_asked_and_newest_first() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    asked = [
        Asked(1, "Waar kan ik parkeren?", start),
        Asked(2, "waar kan ik parkeren", start + timedelta(days=1)),
        Asked(3, "Waar kan ik parkere?", start + timedelta(days=2)),  # a typo
        Asked(4, "Is er een kantine?", start + timedelta(days=3)),
        Asked(5, "Hoe laat begint de fictieve dag?", start + timedelta(days=4)),
    ]
    groups = group_questions(asked)
    assert [(g.count, g.newest.id) for g in groups] == [(3, 3), (1, 5), (1, 4)]
    assert groups[0].text == "waar kan ik parkeren"  # the way it was asked most often


@pytest.mark.parametrize("question", ["Wat is een pabo?", "wat is de PABO"])
def test_the_matchers_normalisation_decides_what_is_alike(question: str) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    [group] = group_questions([Asked(1, "Wat is een pabo?", now), Asked(2, question, now)])
    assert group.count == 2


def test_a_long_question_gets_a_key_that_fits_its_column_and_still_names_one_item() -> None:
    long_question = "io " * 300  # abbreviations spelled out make the canonical words longer still
    key = natural_key("faq", {"vraag": long_question})
    assert len(key) <= 255
    assert key == natural_key("faq", {"vraag": long_question})
    assert key != natural_key("faq", {"vraag": long_question + " bsa"})


def test_a_formatted_but_empty_range_in_excel_is_no_data(tmp_path: Path, matcher: Matcher) -> None:
    """A column set to text down to row 6000 (as advised for phone numbers) is not 'te veel rijen'."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Vraag", "Antwoord"])
    sheet.append(["Waar staat de fictieve koffieautomaat?", "Fictief: in de hal."])
    for row in range(3, 6001):
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=1).value = ""
    file = tmp_path / "vragen.xlsx"
    workbook.save(file)

    items, problems = overlay_items(file, "faq", POO, matcher)
    assert problems == []
    assert len(items) == 1


def test_excel_doubled_quotes_survive_in_a_csv(tmp_path: Path, matcher: Matcher) -> None:
    """The header has no quotes: the dialect comes from a real sample, with Excel's doubled quotes."""
    file = write(
        tmp_path / "vragen.csv",
        "vraag;antwoord;bron\n"
        'Waar staat het fictieve handboek?;"Zie het ""Handboek"", hoofdstuk 2.";Fictief\n'
        'Wat is fictieve lesson study?;"Samen een les ontwerpen; ""onderzoeken"" en bijstellen.";\n',
    )
    items, problems = overlay_items(file, "faq", POO, matcher)
    assert problems == []
    answers = sorted(item.fields["antwoord"] for item in items)
    assert answers == ['Samen een les ontwerpen; "onderzoeken" en bijstellen.', 'Zie het "Handboek", hoofdstuk 2.']


def test_a_utf8_csv_with_one_stray_byte_is_refused_by_line(tmp_path: Path, matcher: Matcher) -> None:
    file = tmp_path / "contacten.csv"
    file.write_bytes(
        "naam;rol;school\nFictieve Jörg;mentor;\n".encode() + b"Fictieve Ren\xe9;mentor;\n"  # é in cp1252
    )
    items, problems = overlay_items(file, "contact", POO, matcher)
    assert [problem.line for problem in problems] == [3]
    assert "UTF-8" in problems[0].message
    # A file that is wholly cp1252 (Excel's plain "CSV") is still read as such.
    file.write_bytes("naam;rol;school\nFictieve Jörg;mentor;\n".encode("cp1252"))
    items, problems = overlay_items(file, "contact", POO, matcher)
    assert problems == []
    assert items[0].fields["naam"] == "Fictieve Jörg"


def test_a_csv_the_reader_cannot_split_is_refused_by_line_in_dutch(tmp_path: Path, matcher: Matcher) -> None:
    """The csv module's own reason ("field larger than field limit") is English: never shown."""
    file = write(tmp_path / "vragen.csv", "vraag;antwoord\nWat is fictief?;Kort.\n" + "Lang?;" + "x" * 140_000 + "\n")
    items, problems = overlay_items(file, "faq", POO, matcher)
    assert items == []
    assert [(problem.line, problem.message) for problem in problems] == [
        (3, "ongeldige CSV: een veld is te lang (meer dan 131.072 tekens) of de aanhalingstekens kloppen niet")
    ]


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path, matcher: Matcher) -> None:
    import zipfile

    file = tmp_path / "bom.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["naam", "rol"])
    workbook.save(file)
    with (
        zipfile.ZipFile(file, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/vulling.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(60):
            member.write(bytes(1_000_000))
    assert file.stat().st_size < 1_000_000  # small on disk, 60 MB unpacked
    items, problems = overlay_items(file, "contact", POO, matcher)
    assert items == []
    assert [(problem.line, "uitgepakt te groot" in problem.message) for problem in problems] == [(1, True)]


def test_a_formula_without_a_saved_value_is_named_not_called_empty(tmp_path: Path, matcher: Matcher) -> None:
    file = tmp_path / "contacten.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["naam", "rol"])
    sheet.append(["Fictieve Anna", '=CONCAT("mentor", "")'])  # openpyxl saves no computed value
    workbook.save(file)
    _, problems = overlay_items(file, "contact", POO, matcher)
    assert [problem.line for problem in problems] == [2]
    assert "formule zonder opgeslagen uitkomst" in problems[0].message
    assert "leeg" not in problems[0].message
