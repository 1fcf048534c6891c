"""Dutch text normalisation shared by the index and the queries.

Both sides go through the same pipeline, so a keyword in the knowledge base and a question typed by a
user meet in one canonical form: lower case, no accents, no punctuation or HTML, abbreviations and
multi-word names replaced by one canonical word, stop words dropped, every word reduced by the Dutch
Snowball stemmer (``dutch_porter``, through PyStemmer) and synonyms mapped onto the word the knowledge base uses.

The word lists are language data, kept in ``data/algemeen/_taal.yaml``; this module only applies them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import Stemmer  # type: ignore[import-not-found]  # a C extension without stubs
import yaml
from pydantic import BaseModel, ConfigDict

LANGUAGE_FILE = Path(__file__).resolve().parent / "data" / "algemeen" / "_taal.yaml"

_TAG = re.compile(r"<[^>]{0,200}>")
_SCRIPT = re.compile(r"<(script|style)\b[^>]{0,200}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
# Punctuation, emoji and '..' end a clause; an apostrophe or hyphen inside a word ("zo'n") does not.
_CLAUSE_BREAK = re.compile(r"[^a-z0-9\s'\u2019-]+")


class MissingDetail(BaseModel):
    """A kind of detail that no source gives (phone numbers, dates): the words that ask for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    words: list[str] = []
    pairs: list[str] = []
    # When given, the rule holds only for a question that also says one of these ("hoe heet de directeur").
    with_words: list[str] = []
    # A regular expression: an entry whose answer matches it does give this detail (a year, a date).
    answered_by: str | None = None
    text: str


class FollowUpWords(BaseModel):
    """Words that make a message a follow-up of the chat's previous question."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    starters: list[str] = []
    references: list[str] = []
    short: int = 6


class SmallTalkWords(BaseModel):
    """Words that may stand beside small talk ("bedankt voor de info"), and which reply goes first."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    filler: list[str] = []
    priority: list[str] = []


class Language(BaseModel):
    """The contents of ``_taal.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    stop_words: str
    abbreviations: dict[str, str]
    phrases: dict[str, str]
    synonyms: dict[str, str]
    kind_words: dict[str, list[str]]
    missing_details: list[MissingDetail]
    question_words: dict[str, list[str]]
    type_groups: dict[str, list[str]]
    school_facets: dict[str, list[str]]
    # Words after which a message names what the asker is unsure about ("zo'n driehoeksgesprek").
    topic_markers: list[str] = []
    follow_up: FollowUpWords = FollowUpWords()
    small_talk: SmallTalkWords = SmallTalkWords()


@cache
def language() -> Language:
    """``_taal.yaml``, read on first use (never at import)."""
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Language.model_validate(yaml.load(LANGUAGE_FILE.read_text(encoding="utf-8"), Loader=loader))


@dataclass(frozen=True)
class Vocabulary:
    """The language file as lookup tables for the pipeline."""

    stop_words: frozenset[str]
    abbreviations: dict[str, str]
    word_phrases: dict[tuple[str, ...], tuple[str, ...]]
    longest_phrase: int
    synonyms: dict[str, str]
    # The multi-word names again, in token form, for words that the matcher joins after tokenising
    # ("bovenschoolse opleidings coordinator" -> "bovenschools opleidingscoordinator" -> "boc").
    token_phrases: dict[tuple[str, ...], tuple[str, ...]]
    starters: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    """Built once, on first use: the index and the first question pay for it, importing does not."""
    found = language()
    stop_words = frozenset(words(found.stop_words))
    abbreviations = {fold(k): fold(v) for k, v in found.abbreviations.items()}
    word_phrases = {tuple(words(k)): tuple(words(v)) for k, v in found.phrases.items()}
    synonyms = {stem(fold(k)): stem(fold(v)) for k, v in found.synonyms.items()}

    def in_tokens(word: str) -> str:
        stemmed = stem(word)
        return synonyms.get(stemmed, stemmed)

    token_phrases = {
        tuple(in_tokens(abbreviations.get(w, w)) for w in phrase): tuple(in_tokens(v) for v in replacement)
        for phrase, replacement in word_phrases.items()
        if not stop_words.intersection(phrase)
    }
    starters = frozenset(fold(w) for w in found.question_words.get("starters", ()))
    longest = max(len(p) for p in word_phrases)
    return Vocabulary(stop_words, abbreviations, word_phrases, longest, synonyms, token_phrases, starters)


# Small caches: one question is folded and split several times while it is answered.
@lru_cache(maxsize=64)
def fold(text: str) -> str:
    """Lower-case ``text`` and drop accents: "Oriëntatie" -> "orientatie"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Split text into folded ASCII words, ignoring HTML tags and punctuation."""
    return _WORD.findall(fold(_TAG.sub(" ", _SCRIPT.sub(" ", text))))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The Snowball stem of a folded word: "scholen" and "school" both become "schol"."""
    return str(_stemmer().stemWord(word))


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch_porter")  # PyStemmer: the Snowball C library


def canonical(word: str) -> str:
    """A folded word's stem, mapped onto the knowledge base's own word when it is a synonym."""
    stemmed = stem(word)
    return vocabulary().synonyms.get(stemmed, stemmed)


def _replace_phrases(items: list[str], table: Mapping[tuple[str, ...], Sequence[str]]) -> list[str]:
    """Replace every run of ``items`` that is a key of ``table``, longest runs first."""
    out: list[str] = []
    i = 0
    while i < len(items):
        for size in range(min(vocabulary().longest_phrase, len(items) - i), 1, -1):
            replacement = table.get(tuple(items[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(items[i])
            i += 1
    return out


def terms(text: str) -> list[str]:
    """The words of ``text`` that matter, abbreviations and names replaced, not yet stemmed."""
    known = vocabulary()
    expanded = _replace_phrases([known.abbreviations.get(w, w) for w in words(text)], known.word_phrases)
    return [w for w in expanded if w not in known.stop_words and (len(w) > 1 or w.isdigit())]


def tokens(text: str) -> list[str]:
    """The canonical tokens of ``text``: what the matcher compares."""
    return [canonical(w) for w in terms(text)]


def rejoin(canonical_tokens: list[str]) -> list[str]:
    """Apply the multi-word names to a list of tokens (see ``tokens``)."""
    return _replace_phrases(canonical_tokens, vocabulary().token_phrases)


def word_set(key: str) -> frozenset[str]:
    """The folded question words of ``question_words[key]`` in the language file."""
    return frozenset(fold(w) for w in language().question_words.get(key, ()))


@lru_cache(maxsize=64)
def _clauses(text: str) -> tuple[tuple[str, ...], ...]:
    breaks = word_set("clause_breaks")
    found: list[tuple[str, ...]] = []
    for piece in _CLAUSE_BREAK.split(fold(_TAG.sub(" ", _SCRIPT.sub(" ", text)))):
        current: list[str] = []
        for word in _WORD.findall(piece):
            if word in breaks:
                if current:
                    found.append(tuple(current))
                current = []
            else:
                current.append(word)
        if current:
            found.append(tuple(current))
    return tuple(found)


def clauses(text: str) -> list[list[str]]:
    """The words of ``text`` per clause: split at punctuation, emoji and words like "maar".

    "ik ben mentor 😅 wat doet een mentor nou precies" -> [[ik, ben, mentor], [wat, doet, ...]].
    """
    return [list(part) for part in _clauses(text)]


def looks_like_question(text: str) -> bool:
    """A question mark, or a first word that starts a Dutch question ("Wat doet ...", "Hoe ...")."""
    first = words(text)[:1]
    return text.rstrip().endswith("?") or bool(first and first[0] in vocabulary().starters)
