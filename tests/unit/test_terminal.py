from __future__ import annotations

from collections.abc import Iterator

from bot.terminal import PROMPT, run_chat
from knowledge import Matcher


def scripted(lines: list[str]) -> tuple[Iterator[str], list[str]]:
    return iter(lines), []


def chat(matcher: Matcher, lines: list[str], partnership: str | None = None) -> str:
    feed = iter(lines)
    out: list[str] = []

    def read(prompt: str) -> str:
        assert prompt == PROMPT
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    run_chat(matcher, partnership, matcher.match, read=read, write=out.append)
    return "\n".join(out)


def test_chat_answers_questions_until_stop(matcher: Matcher) -> None:
    output = chat(matcher, ["wat doet een SOL", "/stop", "wat is intervisie"])
    assert "schoolopleider (SOL) is een leerkracht" in output
    assert "Intervisie is" not in output
    assert output.endswith("Tot ziens!")


def test_chat_switches_partnership(matcher: Matcher) -> None:
    output = chat(matcher, ["/partnerschap groningen-kop-van-drenthe", "hoeveel studenten"])
    assert "180 studenten" in output


def test_chat_rejects_unknown_partnership_and_ends_on_eof(matcher: Matcher) -> None:
    output = chat(matcher, ["/partnerschap nergens"])
    assert "Onbekend partnerschap ‘nergens’" in output
    assert output.endswith("Tot ziens!")
