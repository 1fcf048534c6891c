"""Fuzzy question matching against the knowledge base.

Scoring is explicit: a question and each phrasing of an entry (title and keywords) are reduced to
canonical tokens (see ``normalize``: stemmed, abbreviations and synonyms from the language file).
Every token carries an IDF weight, so rare words count more than common ones. For an entry we compute

* ``question_coverage``: the weighted share of the question's tokens that the entry knows (in any
  of its phrasings, as the name of the entry's partnership, or as a word for its kind), and
* ``phrasing_coverage``: the weighted share of the entry's best phrasing found in the question,

and score the entry with their geometric mean. A misspelt token (one or two letters off) is mapped to
its nearest known token by ``rapidfuzz`` and counts with that similarity. Below the threshold the
answer is an honest fallback. The rules, each in its own method:

1. A word the knowledge base does not know weighs as much as the lightest known word of the question,
   never more; with only partnership names known it keeps the full weight (``_unknown_word_weight``).
2. The known word right after "welke" weighs double; an unknown one does not (``_focus``).
3. A partnership's name says where, not what: it does not count in the question's coverage when the
   question has other words (``_score``).
4. Words after "ik ben" describe the asker, not the question (``_without_self_description``).
5. A compound written as two words is joined, never with a partnership's name ("marnix partnerschap"
   stays two words) (``_join_split_compound``, ``_canonical``).
6. A partnership named in the question wins over the asker's own; entries of other partnerships are
   discounted, and an answer of another partnership than the asker's starts with its name
   (``_named_partnership``, ``render.entry_text``).
7. "verschil tussen A en B", "A of B": when each side matches an entry well, both are answered, A
   first (``_comparison``).
8. Questions about schools in a place, of a type (kindcentra are KC, CKC and CDKC), with a concept, or
   about a whole field ("welke onderwijsconcepten") are answered from the school data; a place or a
   kind of school ("montessorischolen") with no school gets "Ik ken geen ..." with what is known, never
   the whole list (``schools.SchoolLists``). A school named in full, or an entry that matches words
   beyond the list words, wins over a list (``_entry_fits_better``).
9. Ties go to the more specific entry: the partnership's own, then a general one, then the knowledge
   base's order (``_specificity``). Two schools with one name, or two partnerships' entries when the
   asker's partnership is unknown, make the bot ask which is meant.
10. A question for a detail no source gives (a phone number, e-mail address, date, cost, salary,
    study points, opening hours, parking, who directs or chairs) gets an honest "not in my knowledge
    base" with where to ask (``missing_detail``), unless the best entry was written for that question
    (its phrasing asks for the detail: an answer from /vragen, an imported FAQ) or its answer gives
    the detail (a year, a date): then that entry answers (``_Detail.given_by``).
11. A message is read as clauses (``normalize.clauses``): the last one with a question word asks, the
    others are context. Context words count for an entry that knows them, never against one that does
    not; a phrasing found only through context counts half (``_read``, ``_score``). A clause that only
    refers back ("wat is dat?") is answered by the entry the message names most specifically: later
    words and the word after "zo'n" weigh more (``_focus_and_context``, ``_topics``).
12. Small talk ("hoi", "dank je wel", "wie ben jij") is answered from entries of kind ``praatje`` when
    the whole message is small talk (``_small_talk_answer``).
13. A follow-up ("en in Groningen?", "en wie ondersteunt die?") is read against the chat's previous
    question, which the caller passes in (``_follow_up``).
14. "ons partnerschap", "onze pabo": with a known asker, other partnerships' entries are left out.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from itertools import pairwise

from rapidfuzz import fuzz, process

from knowledge.answer import Answer, Suggestion
from knowledge.loader import KnowledgeBase
from knowledge.models import Entry
from knowledge.normalize import canonical, clauses, language, rejoin, terms, tokens, word_set, words
from knowledge.render import bullet_list, entry_text, school_label
from knowledge.schools import Asked, SchoolLists

MAX_QUESTION_CHARS = 1000
DEFAULT_THRESHOLD = 0.6
SUGGESTION_THRESHOLD = 0.3
OTHER_PARTNERSHIP_FACTOR = 0.8
TIE_MARGIN = 0.03
TOP_K = 6  # entries scored exactly: the answer, the tie check and three suggestions
LINKING_LETTERS = ("", "s", "e", "en")
# "Ik ben mentor en ...", "als schoolopleider wil ik ...": who asks, not what is asked.
SUBJECTS = frozenset({"ik", "wij", "we"})
ARTICLES = frozenset({"een", "de", "het"})
FOCUS_FACTOR = 2.0
PREFIX_AT_LEAST = 6  # a detail word this long also counts at the start of a compound
SMALL_TALK_WORDS = 8  # no small talk is longer
CONTEXT_ONLY_FACTOR = 0.5  # a phrasing found only by words of the context ("ik ben mentor, ...")


@dataclass(frozen=True)
class _Detail:
    """A detail no source gives: the words or word pairs that ask for it, and the honest answer."""

    words: frozenset[str]
    pairs: frozenset[tuple[str, ...]]
    with_words: frozenset[str]
    answered_by: re.Pattern[str] | None
    text: str
    long_words: tuple[str, ...] = ()  # the words that also count at the start of a compound

    @property
    def prefixes(self) -> tuple[str, ...]:
        return self.long_words

    def asked_in(self, asked: list[str], pairs: set[tuple[str, ...]]) -> bool:
        """A detail word, a compound that starts with a long one ("parkeergelegenheid"), or a word pair."""
        said = self.words.intersection(asked) or any(word.startswith(self.prefixes) for word in asked)
        if not (said or self.pairs & pairs):
            return False
        return not self.with_words or not self.with_words.isdisjoint(asked)

    def given_by(self, entry: Entry, phrasing: str) -> bool:
        """The entry answers it: it was written for this kind of question, or its answer has the detail."""
        said = words(phrasing)
        if self.words.intersection(said) or self.pairs & set(pairwise(said)):
            return True
        return self.answered_by is not None and self.answered_by.search(entry.answer) is not None


@dataclass(frozen=True)
class _FollowUp:
    starters: frozenset[str]  # "en in Groningen?"
    references: frozenset[str]  # "wie ondersteunt die?"
    short: int  # a message of at most this many words with a reference may be a follow-up


@dataclass(frozen=True)
class MatcherWords:
    """The matcher's words from the language file, built on first use."""

    # Words that say what kind of entry is asked about ("de rol van de mentor", "in welke plaats ligt ...").
    kinds: dict[str, frozenset[str]]
    focus: frozenset[str]
    compare: frozenset[str]
    compare_joins: frozenset[str]  # 'verschil tussen A en B'
    alternative_joins: frozenset[str]  # 'A of B' without a word for difference
    # Details no source gives (phone numbers, costs, opening hours, ...): see ``_missing_detail``.
    missing_details: tuple[_Detail, ...]
    topic_markers: tuple[tuple[str, ...], ...]
    follow_up: _FollowUp


@cache
def matcher_words() -> MatcherWords:
    found = language()
    return MatcherWords(
        kinds={kind: frozenset(tokens(" ".join(said))) for kind, said in found.kind_words.items()},
        focus=word_set("focus"),
        compare=word_set("compare"),
        compare_joins=word_set("compare_joins"),
        alternative_joins=word_set("alternative_joins"),
        missing_details=tuple(
            _Detail(
                frozenset(words(" ".join(d.words))),
                frozenset(tuple(words(p)) for p in d.pairs),
                frozenset(words(" ".join(d.with_words))),
                re.compile(d.answered_by, re.IGNORECASE) if d.answered_by else None,
                d.text,
                _long_words(frozenset(words(" ".join(d.words)))),
            )
            for d in found.missing_details
        ),
        topic_markers=tuple(tuple(words(marker)) for marker in found.topic_markers),
        follow_up=_FollowUp(
            frozenset(words(" ".join(found.follow_up.starters))),
            frozenset(words(" ".join(found.follow_up.references))),
            found.follow_up.short,
        ),
    )


@cache
def _long_words(found: frozenset[str]) -> tuple[str, ...]:
    """The words long enough to count at the start of a compound (``str.startswith`` takes a tuple)."""
    return tuple(sorted(word for word in found if len(word) >= PREFIX_AT_LEAST))


def missing_detail(asked: list[str]) -> _Detail | None:
    """The detail no source gives that the question's words ask for (a phone number, a date, a cost)."""
    pairs: set[tuple[str, ...]] = set(pairwise(asked))
    return next((d for d in matcher_words().missing_details if d.asked_in(asked, pairs)), None)


def _fuzzy_cutoff(token: str) -> float | None:
    """Minimum rapidfuzz ratio to accept a typo; short words must be exact.

    A five or six letter word may miss or gain a letter but not change one ("kaart" is not "vaart");
    longer words may be one or two letters off.
    """
    if len(token) < 5:
        return None
    if len(token) < 7:
        return 85.0
    return 80.0 if len(token) < 9 else 78.0


class _FuzzyIndex:
    """Nearest known string to a typo, searched among the strings with the same first letter.

    Typos rarely hit the first letter, and the bucket keeps the search small on big knowledge bases
    ("kaart" never becomes "vaart"). Within a bucket only lengths that can reach the cutoff are
    searched: ratio = 2 * matches / (a + b) <= 2 * min(a, b) / (a + b).
    """

    def __init__(self, strings: list[str]) -> None:
        self._buckets: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for text in strings:
            if text:
                self._buckets[text[0]][len(text)].append(text)

    def nearest(self, token: str, cutoff: float) -> tuple[str, float] | None:
        by_length = self._buckets.get(token[:1])
        if not by_length:
            return None
        fraction = cutoff / 100
        shortest = math.ceil(len(token) * fraction / (2 - fraction))
        longest = math.floor(len(token) * (2 - fraction) / fraction)
        best: tuple[str, float] | None = None
        for length in range(shortest, longest + 1):
            choices = by_length.get(length)
            if not choices:
                continue
            found = process.extractOne(token, choices, scorer=fuzz.ratio, score_cutoff=best[1] if best else cutoff)
            if found and (best is None or found[1] > best[1]):
                best = (found[0], found[1])
        return best


@dataclass(frozen=True)
class _Phrasing:
    entry: int
    text: str
    tokens: frozenset[str]
    joined: str


@dataclass(frozen=True)
class _QueryToken:
    token: str
    similarity: float  # 0 for a word the knowledge base does not know


@dataclass(frozen=True)
class _Scored:
    entry: Entry
    score: float
    phrasing: str


class Matcher:
    """Indexes a knowledge base once; ``match`` is then cheap and side-effect free."""

    def __init__(self, kb: KnowledgeBase, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.kb = kb
        self.threshold = threshold
        # Small talk is matched on whole messages (``_small_talk``), never by the scoring below.
        self._entries = tuple(e for e in kb.entries if not e.small_talk)
        self._small_talk = {
            " ".join(words(text)): entry for entry in kb.entries if entry.small_talk for text in entry.keywords
        }
        self._small_talk_phrases = list(self._small_talk)
        # Words of small talk: a clause with two other words is a question (a quick "no").
        self._small_talk_words = frozenset(w for phrase in self._small_talk for w in phrase.split()) | frozenset(
            language().small_talk.filler
        )
        self._labels: dict[str, str] = {}
        self._phrasings: list[_Phrasing] = []
        self._universe: list[frozenset[str]] = []
        for index, entry in enumerate(self._entries):
            universe: set[str] = set()
            for text in self._texts(entry):
                toks = tokens(text)
                if toks:
                    self._phrasings.append(_Phrasing(index, text, frozenset(toks), "".join(toks)))
                    universe.update(toks)
            for slug in {entry.partnership, *entry.per_partnership} - {None}:
                universe.update(self._partnership_tokens(str(slug)))
            universe.update(matcher_words().kinds.get(entry.kind, ()))
            self._universe.append(frozenset(universe))

        document_frequency: dict[str, int] = defaultdict(int)
        for known in self._universe:
            for token in known:
                document_frequency[token] += 1
        count = len(self._entries)
        self._weight = {t: math.log(1 + count / df) for t, df in document_frequency.items()}
        self._unknown_weight = math.log(1 + count)
        self._vocabulary = sorted(self._weight)
        self._compounds: dict[str, tuple[str, ...]] = {}
        for phrasing in self._phrasings:
            ordered = tokens(phrasing.text)
            for a, b in pairwise(ordered):
                self._compounds.setdefault(a + b, (a, b))
        self._vocabulary_index = _FuzzyIndex(self._vocabulary)
        self._compound_index = _FuzzyIndex(list(self._compounds))
        self._by_token: dict[str, list[int]] = defaultdict(list)
        for position, phrasing in enumerate(self._phrasings):
            for token in phrasing.tokens:
                self._by_token[token].append(position)
        self._phrasing_weight = [sum(self._weight[t] for t in p.tokens) for p in self._phrasings]
        for postings in self._by_token.values():  # lightest phrasings first: see _score
            postings.sort(key=lambda position: self._phrasing_weight[position])
        # A word in more phrasings than this only re-scores candidates that rarer words found.
        self._common_postings = max(50, len(self._phrasings) // 50)
        self._by_joined: dict[str, list[int]] = defaultdict(list)
        for position, phrasing in enumerate(self._phrasings):
            self._by_joined[phrasing.joined].append(position)
        self._joined_index = _FuzzyIndex(list(self._by_joined))
        self._schools = self.kb.schools
        self._school_names = {e.id: tuple(tokens(e.school.name)) for e in self._schools if e.school}
        self._namesakes: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
        for entry in self._schools:
            self._namesakes[self._school_names[entry.id]].append(entry)
        self._names = [
            (frozenset(tokens(alias)), slug)
            for slug, partnership in kb.partnerships.items()
            for alias in (*partnership.aliases, partnership.short_name)
            if tokens(alias)
        ]
        self._name_tokens = frozenset(token for alias, _ in self._names for token in alias)
        self._lists = SchoolLists(kb, self._name_tokens, self._label)

    # -- index helpers ------------------------------------------------------------------------
    @staticmethod
    def _texts(entry: Entry) -> list[str]:
        texts = [entry.title, *entry.keywords]
        if entry.school is not None:
            school = entry.school
            texts.append(school.name)
            if school.place:
                texts.append(f"{school.name} {school.place}")
            if school.type:
                texts.append(f"{school.type} {school.name}")
        return texts

    def _partnership_tokens(self, slug: str) -> set[str]:
        partnership = self.kb.partnerships.get(slug)
        if partnership is None:
            return set()
        found = set(tokens(partnership.name)) | set(tokens(partnership.short_name)) | {"partnerschap"}
        for alias in partnership.aliases:
            found.update(tokens(alias))
        return found

    # -- query analysis -----------------------------------------------------------------------
    def _join_split_compound(self, first: str, second: str) -> str | None:
        """A known compound written as two words, with Dutch linking letters.

        'school opleider' -> 'schoolopleider'; 'opleidings coordinator' -> 'opleidingscoordinator'.
        Only these joins: fuzzier ones turn 'school opleiden' into 'schoolopleider'.
        """
        for linker in LINKING_LETTERS:
            joined = canonical(first + linker + second)
            if joined in self._weight:
                return joined
        return None

    def _canonical(self, raw: list[str]) -> list[_QueryToken]:
        """The question's terms (see ``normalize.terms``) as known tokens, typos mapped to the nearest."""
        merged: list[str] = []
        i = 0
        while i < len(raw):
            joined = self._join_split_compound(raw[i], raw[i + 1]) if i + 1 < len(raw) else None
            if joined is not None and self._name_tokens.intersection((canonical(raw[i]), canonical(raw[i + 1]))):
                joined = None  # 'marnix partnerschap' stays two words: the name says which partnership
            if joined is not None:
                merged.append(joined)
                i += 2
            else:
                merged.append(canonical(raw[i]))
                i += 1
        merged = rejoin(merged)
        result: list[_QueryToken] = []
        for token in merged:
            if token in self._weight:
                result.append(_QueryToken(token, 1.0))
                continue
            if token in self._compounds:
                result.extend(_QueryToken(part, 1.0) for part in self._compounds[token])
                continue
            cutoff = _fuzzy_cutoff(token)
            best = self._vocabulary_index.nearest(token, cutoff) if cutoff else None
            compound = self._compound_index.nearest(token, cutoff) if cutoff else None
            if best and (not compound or best[1] >= compound[1]):
                result.append(_QueryToken(best[0], best[1] / 100))
            elif compound:
                result.extend(_QueryToken(part, compound[1] / 100) for part in self._compounds[compound[0]])
            else:
                result.append(_QueryToken(token, 0.0))
        return result

    def _without_self_description(self, asked: list[str], raw: list[str]) -> tuple[list[str], list[str]]:
        """Move the word after 'ik ben (een)' or 'als (een)' to the context, when the question says more.

        Returns (what is asked, the self-description). The asker's role only helps an entry that
        knows it; the question keeps it when nothing else it says is as specific ("wat moet ik als
        directeur doen in het partnerschap" asks about the directeur).
        """
        described: set[str] = set()
        for index, word in enumerate(asked[:-1]):
            previous = asked[index - 1] if index else None
            if word == "ben" or (word == "als" and (previous is None or previous in SUBJECTS)):
                following = asked[index + 1]
                if following in ARTICLES and index + 2 < len(asked):
                    following = asked[index + 2]
                described.update(terms(following))
        rest = [token for token in raw if token not in described]
        if rest and self._specificity_of(rest) >= self._specificity_of([t for t in raw if t in described]):
            return rest, [token for token in raw if token in described]
        return raw, []

    def _specificity_of(self, said: list[str]) -> float:
        """The weight of the rarest known word (partnership names not counted); 0 when none is known."""
        known = (self._weight.get(canonical(term), 0.0) for term in said if canonical(term) not in self._name_tokens)
        return max(known, default=0.0)

    @staticmethod
    def _focus(asked: list[str]) -> set[str]:
        """The word right after 'welke' names what is asked for ('met welke pabo ...')."""
        return {token for before, word in pairwise(asked) if before in matcher_words().focus for token in tokens(word)}

    def _unknown_word_weight(self, query: list[_QueryToken]) -> float:
        """An unknown word weighs as much as the lightest known word of the question, never more.

        A partnership's name says where, not what: with only names known, the unknown word is what
        is asked and keeps the weight of the rarest word.
        """
        known = [self._weight[q.token] for q in query if q.similarity > 0 and q.token not in self._name_tokens]
        return min(known) if known else self._unknown_weight

    def _ranked_by_coverage(self, found: dict[str, float]) -> Iterator[tuple[float, int]]:
        """(phrasing coverage, phrasing) for every phrasing a rare known word occurs in, best first.

        Very common words only add to phrasings that rarer words found; when there are no others, only
        their lightest phrasings are ranked (postings are lightest first: those a word covers most).
        A heap, not a sort: the caller usually stops after a few dozen phrasings.
        """
        rare = [t for t in found if len(self._by_token.get(t, ())) <= self._common_postings]
        common = [t for t in found if t not in rare]
        covered: dict[int, float] = defaultdict(float)
        for token in rare or common:
            postings = self._by_token.get(token, [])
            for position in postings if rare else postings[: self._common_postings]:
                covered[position] += self._weight[token] * found[token]
        if rare:
            for position in covered:
                tokens_here = self._phrasings[position].tokens
                covered[position] += sum(self._weight[t] * found[t] for t in common if t in tokens_here)
        heap = [(-w / self._phrasing_weight[p], p) for p, w in covered.items()]
        heapq.heapify(heap)
        while heap:
            coverage, position = heapq.heappop(heap)
            yield -coverage, position

    def _score(
        self,
        query: list[_QueryToken],
        scope: str | None,
        focus: set[str],
        schools_only: bool = False,
        context: list[_QueryToken] | None = None,
        emphasis: dict[str, float] | None = None,
        context_only: float = CONTEXT_ONLY_FACTOR,
        own_only: bool = False,
    ) -> list[_Scored]:
        """The best ``TOP_K`` entries (and any tied with them) by score, best first.

        ``context`` (the words around the question) counts for an entry that knows a word of it and
        never against one that does not: for that entry the word is added to both sides of its
        question coverage. ``own_only``: "ons partnerschap" leaves out other partnerships' entries.
        """
        context = context or []
        found = {q.token: q.similarity for q in query if q.similarity > 0}
        for q in context:
            found.setdefault(q.token, q.similarity)

        unknown = self._unknown_word_weight(query)
        # A partnership's name says where, not what: it does not count when the question says more.
        where_only = self._name_tokens if any(q.token not in self._name_tokens for q in query) else frozenset()

        def weight(token: str) -> float:
            base = self._weight.get(token)
            if base is None:
                return unknown
            if token in where_only:
                return 0.0
            base *= emphasis.get(token, 1.0) if emphasis else 1.0
            return base * FOCUS_FACTOR if token in focus else base

        total_query = sum(weight(q.token) for q in query)
        if total_query <= 0 and not context:
            return []
        ranked: Iterable[tuple[float, int]]
        if len(found) == 1:
            # One known word: its postings, lightest phrasing first, are already in coverage order.
            [(token, similarity)] = found.items()
            share = self._weight[token] * similarity
            ranked = ((share / self._phrasing_weight[p], p) for p in self._by_token.get(token, ()))
        else:
            ranked = self._ranked_by_coverage(found)

        best: dict[int, tuple[float, str]] = {}

        def offer(index: int, score: float, text: str) -> None:
            entry = self._entries[index]
            if schools_only and entry.school is None:
                return
            if scope is not None and entry.partnership not in (None, scope):
                if own_only:
                    return
                score *= OTHER_PARTNERSHIP_FACTOR
            if score > best.get(index, (0.0, ""))[0]:
                best[index] = (score, text)

        joined = "".join(q.token for q in query)
        if len(joined) >= 6:
            close = self._joined_index.nearest(joined, 85)
            if close is not None:
                for position in self._by_joined[close[0]]:
                    offer(self._phrasings[position].entry, close[1] / 100, self._phrasings[position].text)

        # score <= sqrt(phrasing coverage * share of the question known at all): visit candidates by
        # that bound and stop once it cannot reach the TOP_K-th best score any more.
        known_at_all = (
            1.0
            if context or total_query <= 0
            else sum(weight(q.token) * q.similarity for q in query if q.similarity > 0) / total_query
        )
        matched_weight: dict[int, float] = {}
        asked_tokens = {q.token for q in query if q.similarity > 0}
        question_coverage: dict[int, float] = {}
        floor = 0.0
        for visited, (phrasing_coverage, position) in enumerate(ranked):
            if math.sqrt(phrasing_coverage * known_at_all) < floor - 1e-9:
                break
            phrasing = self._phrasings[position]
            if context and phrasing.tokens.isdisjoint(asked_tokens):
                phrasing_coverage *= context_only  # it names the situation, not what is asked
            if phrasing.entry not in question_coverage:
                universe = self._universe[phrasing.entry]
                known = sum(weight(q.token) * q.similarity for q in query if q.token in universe)
                helping = sum(weight(q.token) * q.similarity for q in context if q.token in universe)
                matched_weight[phrasing.entry] = known + helping
                denominator = total_query + helping
                question_coverage[phrasing.entry] = (known + helping) / denominator if denominator > 0 else 0.0
            offer(phrasing.entry, math.sqrt(phrasing_coverage * question_coverage[phrasing.entry]), phrasing.text)
            if visited % 32 == 31 and len(best) >= TOP_K:
                floor = heapq.nlargest(TOP_K, (score for score, _ in best.values()))[-1]

        # Only the best TOP_K (and whatever ties with them) are ranked. On a tie the more specific entry
        # wins: the partnership's own, then a general one; then the knowledge base's order.
        cut = heapq.nlargest(TOP_K, (score for score, _ in best.values()))[-1] - 1e-9 if best else 0.0
        leaders = [(index, found) for index, found in best.items() if found[0] >= cut]
        # With context, of two entries that fit as well the one matching more (rarer) words wins.
        leaders.sort(
            key=lambda item: (
                -round(item[1][0], 9),
                -round(matched_weight.get(item[0], 0.0), 9) if context else 0.0,
                self._specificity(item[0], scope),
                item[0],
            )
        )
        return [_Scored(self._entries[index], score, text) for index, (score, text) in leaders]

    def _specificity(self, index: int, scope: str | None) -> int:
        owner = self._entries[index].partnership
        if owner is not None and owner == scope:
            return 0
        return 1 if owner is None else 2

    # -- answers ------------------------------------------------------------------------------
    def match(self, question: str, partnership: str | None = None, previous: str | None = None) -> Answer:
        """The answer to ``question`` for a user of ``partnership``.

        ``previous`` is the chat's previous question (kept by the caller for a short while): a
        follow-up like "en in Groningen?" or "en wie ondersteunt die?" is read against it.
        """
        asker = partnership if partnership in self.kb.partnerships else None
        question = question.strip()
        if not question:
            return self._invalid("Stel gerust een vraag, bijvoorbeeld: ‘Wat doet een schoolopleider?’", asker)
        if len(question) > MAX_QUESTION_CHARS:
            return self._invalid(
                f"Je vraag is te lang ({len(question)} tekens). Stel een korte vraag van hooguit "
                f"{MAX_QUESTION_CHARS} tekens, bijvoorbeeld: ‘Wat is intervisie?’",
                asker,
            )
        small_talk = self._small_talk_answer(question)
        if small_talk is not None:
            return small_talk
        asked, context_words, asking = self._focus_and_context(question)
        alone = replace(self._read(question, asked, context_words, asking, asker), about=question)
        if previous and len(previous) <= MAX_QUESTION_CHARS:
            followed, certain = self._follow_up(question, previous, asker)
            if followed is not None and (certain or alone.fallback or followed.confidence > alone.confidence):
                return followed
        return alone

    def _follow_up(self, question: str, previous: str, asker: str | None) -> tuple[Answer | None, bool]:
        """ "en in Groningen?" asks the previous question again for that partnership; "en wie
        ondersteunt die?" is read with the previous question as its context.

        Returns the answer (None: not a follow-up, or one the previous question does not help) and
        whether the message surely is one (it starts with "en"); a short message that only refers
        ("wie ondersteunt die?") is a follow-up when that reading answers it better.
        """
        said = words(question)
        follow = matcher_words().follow_up
        starts = bool(said) and said[0] in follow.starters
        refers = len(said) <= follow.short and not follow.references.isdisjoint(said)
        if not (starts or refers):
            return None, False
        rest = said[1:] if starts else said
        query = self._canonical(terms(" ".join(rest)))
        named = self._named_partnership(query)
        if named is not None and all(q.token in self._name_tokens for q in query):
            answer = self.match(previous, named)
            return (None if answer.fallback else replace(answer, about=previous)), starts
        answer = self._read(question, rest, words(previous), rest, asker, follow_up=True)
        if answer.fallback:
            return None, False
        return replace(answer, about=f"{previous} {' '.join(rest)}"), starts

    def _read(
        self,
        question: str,
        asked: list[str],
        context_words: list[str],
        asking: list[str],
        asker: str | None,
        follow_up: bool = False,
    ) -> Answer:
        """Answer the words that ask (``asked``) with the words around them (``context_words``).

        A phrasing found only through the context counts half: it names the situation, not what is
        asked. Not so when the asking clause of a message points back into it ("wat is daar het plan
        mee"); a follow-up does ask about something else than the previous question ("en wie
        ondersteunt die?").
        """
        points_back = not matcher_words().follow_up.references.isdisjoint(asking)
        context_only = CONTEXT_ONLY_FACTOR if follow_up or not points_back else 1.0
        raw, described = self._without_self_description(asked, terms(" ".join(asked)))
        context_terms = described + terms(" ".join(context_words))
        if not raw and not context_terms:
            if not words(question):
                return self._invalid(
                    "Ik zie geen woorden in je bericht. Stel je vraag in een paar woorden, "
                    "bijvoorbeeld: ‘Wat is lesson study?’",
                    asker,
                )
            return self._fallback([], asker, "Kun je je vraag wat uitgebreider stellen?")
        emphasis: dict[str, float] = {}
        if raw:
            query = self._canonical(raw)
            in_focus = {q.token for q in query}
            context = [q for q in self._canonical(context_terms) if q.similarity > 0 and q.token not in in_focus]
        else:
            # "... wat is dat?": what it refers to is among the known words; the later one is meant more
            # likely. Who the asker is ("ik ben student") is not what they refer to.
            said, _ = self._without_self_description(context_words, context_terms)
            query = [q for q in self._canonical(said) if q.similarity > 0]
            context = []
            last = max(len(query) - 1, 1)
            emphasis = {q.token: 0.5 + position / last for position, q in enumerate(query)}
            emphasis.update(dict.fromkeys(self._topics(context_words), 2.0))
        named = self._named_partnership([*query, *context])
        scope = named or asker
        whole = words(question)
        # "ons partnerschap", "onze studenten": the asker's own partnership, never another's facts.
        own_only = asker is not None and named in (None, asker) and not word_set("own").isdisjoint(whole)
        return self._comparison(whole, scope, asker) or self._answer(
            asked, query, scope, asker, context, asking, emphasis, context_only, own_only
        )

    def _focus_and_context(self, question: str) -> tuple[list[str], list[str], list[str]]:
        """(the words that say what is asked, the words around them, the clause that asks).

        The asking clause is the last one with a question word (else the last one). When it says
        nothing of its own ("kan je het uitleggen"), or points back and names nothing the knowledge
        base knows ("wat is daar het plan mee"), it refers back: then the whole
        message is context and the entry it names most specifically is the answer. Context words
        help an entry that knows them; an entry is not blamed for those it does not know
        ("ik ben net mentor 😅 wat doet een mentor").
        """
        parts = clauses(question)
        if len(parts) < 2:
            only = parts[0] if parts else []
            return only, [], only
        markers = word_set("question_markers")
        ask = next((i for i in range(len(parts) - 1, -1, -1) if markers.intersection(parts[i])), len(parts) - 1)
        asking = parts[ask]
        refers = not matcher_words().follow_up.references.isdisjoint(asking)
        if not terms(" ".join(asking)) or (refers and not self._names_something(asking)):
            return [], [w for part in parts for w in part], asking
        context = [w for i, part in enumerate(parts) if i != ask for w in part]
        return asking, context, asking

    def _small_talk_answer(self, question: str) -> Answer | None:
        """ "hoi", "top bedankt 👍", "wie ben jij?": a message that is small talk as a whole, typos allowed.

        A message of several clauses is small talk when each clause is ("hoi! dank je wel"), and so
        is a clause of small-talk words only ("oké top", "super bedankt voor de info"); the weightiest
        one is answered (thanks before a goodbye before a greeting, see ``small_talk`` in the language
        file). "hoi, wat is intervisie?" is a question.
        """
        if len(question.split()) > SMALL_TALK_WORDS:
            return None
        parts = clauses(question)
        if not parts or len(parts) > 3:
            return None
        if any(sum(word not in self._small_talk_words for word in part) > 1 for part in parts):
            return None
        found: list[Entry] = []
        for part in parts:
            entry = self._small_talk_phrase(" ".join(part))
            if entry is not None:
                found.append(entry)
                continue
            pieces = self._small_talk_pieces(part)
            if not pieces:
                return None
            found.extend(pieces)
        order = language().small_talk.priority
        best = min(found, key=lambda e: order.index(e.id) if e.id in order else len(order))
        return Answer(
            text=best.answer,
            confidence=1.0,
            matched=best.id,
            fallback=False,
            kind="chitchat",
            explanation=f"{best.id}: een praatje",
            title=best.title,
        )

    def _small_talk_pieces(self, said: list[str]) -> list[Entry]:
        """A clause cut into small-talk phrases and filler words ("hoi hoe gaat het", "ok dankje");
        empty when it cannot be. Exact phrases only: a typo is forgiven in a whole clause."""
        fillers = language().small_talk.filler
        best: list[list[Entry] | None] = [[], *([None] * len(said))]
        for end in range(1, len(said) + 1):
            for start in range(end):
                before = best[start]
                if before is None:
                    continue
                piece = said[start:end]
                if all(word in fillers for word in piece):
                    best[end] = before
                    break
                entry = self._small_talk.get(" ".join(piece))
                if entry is not None:
                    best[end] = [*before, entry]
                    break
        return best[-1] or []

    def _small_talk_phrase(self, said: str) -> Entry | None:
        entry = self._small_talk.get(said)
        if entry is None and len(said) >= 5:
            close = process.extractOne(said, self._small_talk_phrases, scorer=fuzz.ratio, score_cutoff=88)
            entry = self._small_talk[close[0]] if close else None
        return entry

    @staticmethod
    def _topics(said: list[str]) -> set[str]:
        """Tokens of the word after "zo'n", "iets met", "over": what the asker is unsure about."""
        markers = matcher_words().topic_markers
        found: set[str] = set()
        for index in range(len(said)):
            for marker in markers:
                size = len(marker)
                if tuple(said[index : index + size]) != marker:
                    continue
                rest = [w for w in said[index + size :] if w not in ARTICLES]
                if rest:
                    found.update(tokens(rest[0]))
        return found

    def _names_something(self, clause: list[str]) -> bool:
        return any(
            (token := canonical(term)) in self._weight and token not in self._name_tokens
            for term in terms(" ".join(clause))
        )

    def _answer(
        self,
        asked: list[str],
        query: list[_QueryToken],
        scope: str | None,
        asker: str | None,
        context: list[_QueryToken] | None = None,
        asking: list[str] | None = None,
        emphasis: dict[str, float] | None = None,
        context_only: float = CONTEXT_ONLY_FACTOR,
        own_only: bool = False,
    ) -> Answer:
        scored = self._score(
            query,
            scope,
            self._focus(asked),
            context=context or [],
            emphasis=emphasis,
            context_only=context_only,
            own_only=own_only,
        )
        top = scored[0] if scored else None
        missing = missing_detail(asked if asking is None else asking)
        # A question for a detail ("hoeveel EC ...") is no list question.
        listed = self._school_list(asked, query, scope, top) if missing is None else None
        if listed is not None:
            return listed
        if top is None or top.score < self.threshold:
            # The detail's own answer only when the question is about something in the knowledge base.
            in_scope = missing is not None and (
                (top is not None and top.score >= SUGGESTION_THRESHOLD) or any(q.similarity > 0 for q in query)
            )
            return self._fallback(scored, scope, missing.text if missing and in_scope else "Dat weet ik helaas niet.")
        if top.entry.school is not None:
            same_name = self._same_name_choice(top.entry, query)
            if same_name is not None:
                return same_name
        if scope is None and len(scored) > 1:
            second = scored[1]
            parts = {top.entry.partnership, second.entry.partnership}
            if second.score >= top.score - TIE_MARGIN and None not in parts and len(parts) == 2:
                return self._ambiguous(
                    "Dat verschilt per partnerschap. Welke bedoel je?",
                    [top.entry, second.entry],
                    top.score,
                )
        if missing is not None and not missing.given_by(top.entry, top.phrasing):
            return self._fallback(scored[:1], scope, missing.text)
        return self._entry_answer(top.entry, scope, top.score, f"via ‘{top.phrasing}’", asker)

    def _named_partnership(self, query: list[_QueryToken]) -> str | None:
        """The one partnership whose name (or alias) the question uses: 'POO', 'in Drenthe', 'NHL Stenden'."""
        asked = {q.token for q in query if q.similarity == 1.0}
        named = {slug for alias, slug in self._names if alias <= asked}
        return named.pop() if len(named) == 1 else None

    def _comparison(self, asked: list[str], scope: str | None, asker: str | None) -> Answer | None:
        """'verschil tussen A en B', 'A of B': both entries, A first, when each side matches one well."""
        known = matcher_words()
        compares = not known.compare.isdisjoint(asked)
        joins = known.compare_joins if compares else known.alternative_joins
        split = next((i for i, word in enumerate(asked) if word in joins), None)
        if split is None:
            return None
        sides = [[w for w in part if w not in known.compare] for part in (asked[:split], asked[split + 1 :])]
        found: list[_Scored] = []
        for side in sides:
            side_terms = terms(" ".join(side))
            scored = self._score(self._canonical(side_terms), scope, set()) if side_terms else []
            if not scored or scored[0].score < self.threshold:
                return None
            found.append(scored[0])
        first, second = found
        if first.entry.id == second.entry.id:
            return None
        texts = [f"{s.entry.title}\n{entry_text(s.entry, self.kb.partnerships, scope, asker)}" for s in found]
        return Answer(
            text="\n\n".join(texts),
            confidence=min(first.score, second.score),
            matched=first.entry.id,
            fallback=False,
            kind="entry",
            partnership=first.entry.partnership,
            explanation=f"vergelijking: {first.entry.id} en {second.entry.id}",
            title=f"{first.entry.title} en {second.entry.title}",
        )

    def answer_entry(self, entry_id: str, partnership: str | None = None) -> Answer | None:
        """The answer of a known entry, e.g. after the user picked a suggestion."""
        entry = self.kb.get(entry_id)
        if entry is None:
            return None
        scope = partnership if partnership in self.kb.partnerships else None
        return self._entry_answer(entry, scope, 1.0, "gekozen suggestie", scope)

    def _entry_answer(self, entry: Entry, scope: str | None, score: float, why: str, asker: str | None) -> Answer:
        return Answer(
            text=entry_text(entry, self.kb.partnerships, scope, asker),
            confidence=min(score, 1.0),
            matched=entry.id,
            fallback=False,
            kind="entry",
            partnership=entry.partnership,
            explanation=f"{entry.id} {why} (score {score:.2f})",
            title=entry.title,
            see_also=self._see_also(entry),
        )

    def _see_also(self, entry: Entry) -> tuple[Suggestion, ...]:
        found = (self.kb.get(ref) for ref in entry.see_also)
        return tuple(Suggestion(e.id, self._label(e)) for e in found if e is not None)

    def find_schools(self, name: str, partnership: str | None = None, limit: int = 5) -> list[Entry]:
        """Schools whose name fits ``name`` best first; one result when it is clear which is meant."""
        raw = terms(name[:MAX_QUESTION_CHARS])
        if not raw:
            return []
        scope = partnership if partnership in self.kb.partnerships else None
        query = self._canonical(raw)
        scored = self._score(query, scope, set(), schools_only=True)
        scored = [s for s in scored if s.score >= SUGGESTION_THRESHOLD + 0.2]
        if len(scored) > 1 and scored[0].score >= 0.9 and scored[1].score < scored[0].score - 0.1:
            return [scored[0].entry]
        return [s.entry for s in scored[:limit]]

    def _label(self, entry: Entry) -> str:
        """The entry's title for a button or list, with its partnership when the title lacks it (cached)."""
        label = self._labels.get(entry.id)
        if label is None:
            label = self._labels[entry.id] = self._make_label(entry)
        return label

    def _make_label(self, entry: Entry) -> str:
        if entry.school is not None:
            return school_label(entry.title, entry.school)
        owner = self.kb.partnerships.get(entry.partnership or "")
        if owner is None or self._partnership_tokens(owner.slug) & set(tokens(entry.title)) - {"partnerschap"}:
            return entry.title
        return f"{entry.title} ({owner.short_name})"

    def _where_to_ask(self, scope: str | None) -> str:
        owner = self.kb.partnerships.get(scope or "")
        return owner.where_to_ask if owner else self.kb.where_to_ask

    def _invalid(self, text: str, scope: str | None) -> Answer:
        return Answer(text=text, confidence=0.0, matched=None, fallback=True, kind="invalid", partnership=scope)

    def _fallback(self, scored: list[_Scored], scope: str | None, opening: str = "Dat weet ik helaas niet.") -> Answer:
        suggestions = tuple(
            Suggestion(s.entry.id, self._label(s.entry)) for s in scored[:3] if s.score >= SUGGESTION_THRESHOLD
        )
        parts = [opening]
        if suggestions:
            parts.append("Bedoelde je misschien:\n" + bullet_list(s.title for s in suggestions))
        parts.append(self._where_to_ask(scope))
        confidence = scored[0].score if scored else 0.0
        return Answer(
            text="\n\n".join(parts),
            confidence=confidence,
            matched=None,
            fallback=True,
            kind="fallback",
            suggestions=suggestions,
            partnership=scope,
            explanation=f"beste score {confidence:.2f} onder drempel {self.threshold:.2f}",
        )

    def _ambiguous(self, opening: str, entries: list[Entry], score: float) -> Answer:
        suggestions = tuple(Suggestion(e.id, self._label(e)) for e in entries)
        return Answer(
            text=opening + "\n" + bullet_list(s.title for s in suggestions),
            confidence=score,
            matched=None,
            fallback=False,
            kind="ambiguous",
            suggestions=suggestions,
            explanation="meerdere items passen even goed",
        )

    def _same_name_choice(self, entry: Entry, query: list[_QueryToken]) -> Answer | None:
        """Schools that share a name are told apart by place; a type prefix (KC, CKC) is not enough."""
        assert entry.school is not None
        namesakes = self._namesakes[self._school_names[entry.id]]
        if len(namesakes) < 2:
            return None
        asked = {q.token for q in query}
        by_place = [e for e in namesakes if e.school and e.school.place and set(tokens(e.school.place)) & asked]
        if len(by_place) == 1:
            school = by_place[0]
            return self._entry_answer(school, school.partnership, 1.0, "naam en plaats", school.partnership)
        return self._ambiguous(
            f"Er zijn {len(namesakes)} scholen met de naam {entry.school.name}. Welke bedoel je?",
            namesakes,
            1.0,
        )

    def _school_list(
        self, asked_list: list[str], query: list[_QueryToken], scope: str | None, top: _Scored | None
    ) -> Answer | None:
        """Answer 'welke scholen in Assen', 'welke kindcentra', 'scholen in Zwolle' from the school data."""
        known = {q.token for q in query}
        asked = Asked(asked_list, known, {q.token for q in query if q.similarity == 0}, scope)
        if not self._lists.may_answer(asked) or (top is not None and self._entry_fits_better(top, asked)):
            return None
        return self._lists.answer(asked)

    def _entry_fits_better(self, top: _Scored, asked: Asked) -> bool:
        """A school named in full, or an entry that matches words beyond the structure, beats a list.

        'In welke plaats ligt KC Het Kompas' is about that school; 'welke pabo zit in Assen' is an entry.
        """
        if top.entry.school is not None:
            name = set(self._school_names[top.entry.id])
            return bool(name) and name <= asked.tokens
        remaining = {t for t in asked.tokens if t in self._weight} - self._lists.structural_tokens(asked)
        return bool(remaining) and top.score >= self.threshold
