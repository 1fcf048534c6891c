"""Messages as people really type them (issue 18): small talk, follow-ups, context around a question,
details no source gives, and a partnership's own facts. The phrasings here are our own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.conversations import Conversations
from knowledge import Matcher
from knowledge.models import HELP_ENTRY
from knowledge.overlay import OverlayItem, build_matcher

GRONINGEN, POO = "groningen-kop-van-drenthe", "poo-marnix"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# -- small talk ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("hoi", "praatje:groet"),
        ("Goedemorgen!", "praatje:groet"),
        ("dank je wel!", "praatje:bedankt"),
        ("top bedankt 👍", "praatje:bedankt"),
        ("dankjewel hoor", "praatje:bedankt"),
        ("ok", "praatje:oke"),
        ("doei", "praatje:doei"),
        ("tot ziens!", "praatje:doei"),
        ("wie ben jij?", "praatje:wie-ben-jij"),
        ("wat kun je", "praatje:wat-kun-je"),
        ("help", HELP_ENTRY),
        ("hoi! dank je wel", "praatje:bedankt"),
        ("oké top", "praatje:oke"),
        ("super, bedankt voor de info", "praatje:bedankt"),
        ("hoi hoe gaat het", "praatje:groet"),
    ],
)
def test_small_talk_gets_a_kind_reply(matcher: Matcher, message: str, expected: str) -> None:
    answer = matcher.match(message)
    assert (answer.matched, answer.kind, answer.fallback) == (expected, "chitchat", False)
    assert "weet ik helaas niet" not in answer.text


def test_a_greeting_before_a_question_is_no_small_talk(matcher: Matcher) -> None:
    assert matcher.match("hoi, wat is intervisie?").matched == "begrip:intervisie"
    assert matcher.match("goedemorgen, wat doet een mentor").matched == "rol:mentor"


def test_small_talk_entries_never_answer_a_question(matcher: Matcher) -> None:
    # "wat kun je" is small talk; "wat kun je doen als mentor" is a question about the mentor.
    assert matcher.match("wat kun je doen als mentor").matched != "praatje:wat-kun-je"


# -- context around the question --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "ik werk al jaren als leerkracht in groep 7 en dit jaar heb ik voor het eerst een student, "
            "wat doet een schoolopleider eigenlijk",
            "rol:schoolopleider",
        ),
        ("op mijn school praat iedereen over zo'n intervisiegroep maar ik snap niet wat het is", "begrip:intervisie"),
        ("mijn student moet iets met scorion doen.. hoe zit dat", "begrip:scorion"),
        ("ik ben mentor en wil weten wat lesson study is", "begrip:lesson-study"),
    ],
)
def test_words_about_the_situation_do_not_count_against_the_answer(
    matcher: Matcher, message: str, expected: str
) -> None:
    answer = matcher.match(message)
    assert answer.matched == expected
    assert not answer.fallback


# -- details no source gives -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "honest"),
    [
        ("wat kost de mentorentraining", "Wat iets kost"),
        ("hoeveel verdient een instituutsopleider", "Salarissen"),
        ("hoeveel EC levert de schoolopleidertraining op", "Studiepunten"),
        ("wat zijn de openingstijden van de pabo", "Openingstijden"),
        ("waar kan ik parkeren bij de pabo in Assen", "Parkeermogelijkheden"),
        ("is er parkeergelegenheid bij NHL Stenden", "Parkeermogelijkheden"),
        ("hoe duur is de mentorentraining", "Wat iets kost"),
        ("wie is de directeur van KC De Wegwijzer", "Namen van personen"),
        ("wie is de voorzitter van de stuurgroep", "Namen van personen"),
        ("wanneer is de volgende intervisie", "data en tijden"),
    ],
)
def test_a_detail_no_source_gives_is_answered_honestly(matcher: Matcher, message: str, honest: str) -> None:
    answer = matcher.match(message, GRONINGEN)
    assert answer.fallback
    assert answer.matched is None
    assert honest in answer.text


def test_a_date_the_source_gives_is_not_denied(matcher: Matcher) -> None:
    answer = matcher.match("wanneer moeten alle studenten op een opleidingsschool zitten", GRONINGEN)
    assert not answer.fallback
    assert "2025" in answer.text


def test_an_entry_written_for_the_question_beats_the_detail_rule(matcher: Matcher) -> None:
    question = "Wanneer gaat de fictieve kantine open?"
    fields = {"vraag": question, "antwoord": "Fictief: de kantine gaat om half acht open.", "trefwoorden": ""}
    overlaid = build_matcher(matcher.kb, [OverlayItem(POO, "faq", question, fields, "t")])
    assert matcher.match("wanneer gaat de kantine open?", POO).fallback
    answer = overlaid.match("wanneer gaat de kantine open?", POO)
    assert not answer.fallback
    assert "half acht" in answer.text


# -- a partnership's own facts -----------------------------------------------------------------------
@pytest.mark.parametrize(("asker", "other"), [(GRONINGEN, "Marnix"), (POO, "2025")])
def test_our_partnership_never_gets_the_other_partnerships_fact(matcher: Matcher, asker: str, other: str) -> None:
    answer = matcher.match("wat is de ambitie van ons partnerschap", asker)
    assert not answer.fallback
    assert other not in answer.text


def test_a_concept_of_the_other_partnership_is_still_explained_when_asked_plainly(matcher: Matcher) -> None:
    answer = matcher.match("wat zijn opleidingsclusters", POO)
    assert answer.matched == "begrip:opleidingsclusters"
    assert answer.text.startswith("Groningen – kop van Drenthe:")
    assert matcher.match("hoe werken de opleidingsclusters bij ons", POO).matched != "begrip:opleidingsclusters"


# -- follow-ups -------------------------------------------------------------------------------------
PREVIOUS = "wat doet een schoolopleider?"


def test_a_follow_up_naming_a_partnership_asks_the_previous_question_there(matcher: Matcher) -> None:
    answer = matcher.match("en in Groningen?", POO, previous=PREVIOUS)
    assert answer.matched == "rol:schoolopleider"
    assert "opleidingscluster" in answer.text
    assert answer.about == PREVIOUS
    # Without the previous question there is nothing to follow up on.
    assert matcher.match("en in Groningen?", POO).matched != "rol:schoolopleider"


@pytest.mark.parametrize("message", ["en wie ondersteunt die?", "wie ondersteunt die?"])
def test_a_follow_up_with_a_reference_is_read_against_the_previous_question(matcher: Matcher, message: str) -> None:
    answer = matcher.match(message, None, previous=PREVIOUS)
    assert answer.matched == "rol:bovenschools-opleidingscoordinator"
    assert answer.about is not None
    assert "schoolopleider" in answer.about


def test_a_new_question_is_not_taken_for_a_follow_up(matcher: Matcher) -> None:
    assert matcher.match("wat is intervisie", None, previous=PREVIOUS).matched == "begrip:intervisie"
    assert matcher.match("en wat is intervisie?", None, previous=PREVIOUS).matched == "begrip:intervisie"
    assert matcher.match("hoi", None, previous=PREVIOUS).kind == "chitchat"


def test_the_previous_question_is_kept_per_chat_for_a_short_while() -> None:
    kept = Conversations(timedelta(minutes=10))
    kept.remember(1, 11, PREVIOUS, NOW)
    kept.remember(2, 22, "wat is intervisie", NOW)
    assert kept.previous(1, NOW + timedelta(minutes=9)) == PREVIOUS
    assert kept.previous(2, NOW) == "wat is intervisie"
    assert kept.previous(3, NOW) is None
    assert kept.previous(1, NOW + timedelta(minutes=10)) is None  # expired, and dropped
    assert kept.previous(1, NOW) is None


def test_forgetting_a_user_drops_their_context_in_every_chat() -> None:
    kept = Conversations(timedelta(minutes=10))
    kept.remember(11, 11, PREVIOUS, NOW)  # the private chat
    kept.remember(-100, 11, "wat is intervisie", NOW)  # a group
    kept.remember(-200, 22, "wat is scorion", NOW)  # someone else's question in another group
    kept.forget_user(11, 11)
    assert (kept.previous(11, NOW), kept.previous(-100, NOW)) == (None, None)
    assert kept.previous(-200, NOW) == "wat is scorion"


def test_no_context_is_kept_when_follow_ups_are_off() -> None:
    kept = Conversations(timedelta(0))
    kept.remember(1, 1, PREVIOUS, NOW)
    assert kept.previous(1, NOW) is None


def test_an_answer_offers_its_see_also_entries(matcher: Matcher) -> None:
    answer = matcher.match("wat doet een schoolopleider")
    assert [s.id for s in answer.see_also] == ["rol:instituutsopleider", "rol:mentor", "begrip:schoolopleidertraining"]
    assert all(s.title for s in answer.see_also)
