"""Dutch text normalisation shared by the index and the queries.

Both sides go through the same pipeline, so a keyword in the knowledge base and a question typed by a
user meet in one canonical form: lower case, no accents, no punctuation or HTML, field abbreviations
expanded to one canonical token, stop words dropped and a light plural stemming.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

_TAG = re.compile(r"<[^>]{0,200}>")
_SCRIPT = re.compile(r"<(script|style)\b[^>]{0,200}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")

STOP_WORDS = frozenset(
    """
    a aan al alle als bij dan dat de deze die dit doe doen doet door een eigenlijk en er graag heb hebben
    heeft het hier hoe hou houdt ik in is ja je jij jou jouw jullie kan kun kunnen leg me mee mag meer
    met mij mijn moet moeten na naar nee niet nog nu of om ons onze ook op over precies s staat staan t te
    tot u uit uw van vertel voor waar wanneer wat welk welke wie wij wil willen word wordt worden ze zich
    zijn zit zitten zo zou graag even betekent betekenis bedoeld bedoelt weten info informatie uitleg
    taak taken eens ben bent vroeg afvragen benieuwd hallo hoi vanuit iemand weet
    """.split()
)

# Abbreviations and multi-word names that users and sources write in several ways. Each maps to one
# canonical token so that "SOL", "schoolopleider" and "schoolopleiders" meet in the index.
ABBREVIATIONS: dict[str, str] = {
    "sol": "schoolopleider",
    "io": "instituutsopleider",
    "rb": "relatiebeheerder",
    "kindcentrum": "kc",
    "kindcentra": "kc",
    "ikc": "kc",
    "basisschool": "school",
    "basisscholen": "school",
    "leerkracht": "leraar",
    "leerkrachten": "leraar",
    "leraren": "leraar",
    "exoermond": "exloermond",
    "bovenschoolse": "bovenschools",
    "nhl": "nhlstenden",
    "stenden": "nhlstenden",
}
PHRASES: dict[tuple[str, ...], str] = {
    ("bovenschools", "opleidingscoordinator"): "boc",
    ("bovenschoolse", "opleidingscoordinator"): "boc",
    ("speciaal", "basisonderwijs"): "sbo",
    ("christelijke", "basisschool"): "cbs",
    ("partners", "in", "opleiding", "en", "ontwikkeling"): "poo",
    ("lesson", "study"): "lessonstudy",
    ("feed", "forward"): "feedforward",
    ("nhl", "stenden"): "nhlstenden",
    ("real", "life"): "real live",
}
_LONGEST_PHRASE = max(len(p) for p in PHRASES)
_WORD_PHRASES = {phrase: tuple(canonical.split()) for phrase, canonical in PHRASES.items()}


def fold(text: str) -> str:
    """Lower-case ``text`` and drop accents: "Oriëntatie" -> "orientatie"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Split text into folded ASCII words, ignoring HTML tags and punctuation."""
    return _WORD.findall(fold(_TAG.sub(" ", _SCRIPT.sub(" ", text))))


def stem(token: str) -> str:
    """Strip a Dutch plural ending; good enough for matching, not linguistics."""
    if len(token) > 5 and token.endswith("en"):
        return token[:-2]
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def _replace_phrases(items: list[str], table: Mapping[tuple[str, ...], Sequence[str]]) -> list[str]:
    """Replace every run of ``items`` that is a key of ``table``, longest runs first."""
    out: list[str] = []
    i = 0
    while i < len(items):
        for size in range(min(_LONGEST_PHRASE, len(items) - i), 1, -1):
            replacement = table.get(tuple(items[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(items[i])
            i += 1
    return out


def tokens(text: str) -> list[str]:
    """The canonical tokens of ``text``: what the matcher compares."""
    expanded = _replace_phrases([ABBREVIATIONS.get(w, w) for w in words(text)], _WORD_PHRASES)
    return [stem(w) for w in expanded if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]


# The multi-word names again, in token form, for words that the matcher joins after tokenising
# ("bovenschoolse opleidings coordinator" -> "bovenschools opleidingscoordinator" -> "boc").
_TOKEN_PHRASES = {
    tuple(stem(ABBREVIATIONS.get(w, w)) for w in phrase): tuple(stem(v) for v in canonical.split())
    for phrase, canonical in PHRASES.items()
    if not STOP_WORDS.intersection(phrase)
}


def rejoin(canonical: list[str]) -> list[str]:
    """Apply the multi-word names to a list of tokens (see ``tokens``)."""
    return _replace_phrases(canonical, _TOKEN_PHRASES)
