"""Batch evaluation of the matcher against a YAML set of questions (see shared/eval/README.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from knowledge import Answer
from knowledge.normalize import fold


class Answerer(Protocol):
    """The matcher, or a baseline that answers the same way (see benchmarks/)."""

    def match(self, question: str, partnership: str | None = None) -> Answer: ...


class EvalFileError(Exception):
    """The evaluation file cannot be read or has the wrong shape."""


@dataclass(frozen=True)
class Case:
    question: str
    partnership: str | None = None
    expect: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    fallback: bool | None = None
    tag: str = "zonder tag"


@dataclass
class CaseResult:
    case: Case
    answer: Answer
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise EvalFileError(f"verwacht een tekst of lijst van teksten, kreeg {value!r}")


def load_cases(path: Path) -> list[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalFileError(f"{path}: kan het bestand niet lezen ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise EvalFileError(f"{path}: ongeldige YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise EvalFileError(f"{path}: verwacht een mapping met een lijst 'cases'")
    cases = []
    known = {"q", "partnership", "expect", "contains", "absent", "fallback", "tag"}
    for number, raw in enumerate(data["cases"], start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str):
            raise EvalFileError(f"{path}: geval {number} heeft geen vraag 'q'")
        unknown = set(raw) - known
        if unknown:
            raise EvalFileError(f"{path}: geval {number} heeft onbekende sleutels: {', '.join(sorted(unknown))}")
        fallback = raw.get("fallback")
        if fallback is not None and not isinstance(fallback, bool):
            raise EvalFileError(f"{path}: geval {number}: 'fallback' moet true of false zijn")
        try:
            cases.append(
                Case(
                    question=raw["q"],
                    partnership=raw.get("partnership"),
                    expect=_as_tuple(raw.get("expect")),
                    contains=_as_tuple(raw.get("contains")),
                    absent=_as_tuple(raw.get("absent")),
                    fallback=fallback,
                    tag=str(raw.get("tag") or "zonder tag"),
                )
            )
        except EvalFileError as exc:
            raise EvalFileError(f"{path}: geval {number}: {exc}") from exc
    return cases


def run_case(matcher: Answerer, case: Case) -> CaseResult:
    """Check every key that ``case`` has; nothing else is required.

    So a case with only ``absent`` also passes with an honest fallback: it only checks that nothing
    wrong is listed.
    """
    answer = matcher.match(case.question, case.partnership)
    result = CaseResult(case, answer)
    for needle in case.absent:
        if fold(needle) in fold(answer.text):
            result.failures.append(f"antwoord bevat ‘{needle}’, dat er niet in hoort")
    if case.expect and answer.matched not in case.expect:
        result.failures.append(f"verwacht {' of '.join(case.expect)}, kreeg {answer.matched}")
    folded = fold(answer.text)
    for needle in case.contains:
        if fold(needle) not in folded:
            result.failures.append(f"antwoord bevat ‘{needle}’ niet")
    if case.fallback is not None and answer.fallback != case.fallback:
        result.failures.append(f"verwacht fallback={str(case.fallback).lower()}, kreeg {str(answer.fallback).lower()}")
    return result


def accuracy_by_tag(results: list[CaseResult]) -> dict[str, tuple[int, int]]:
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        table[result.case.tag][0] += int(result.passed)
        table[result.case.tag][1] += 1
    return {tag: (passed, total) for tag, (passed, total) in sorted(table.items())}
