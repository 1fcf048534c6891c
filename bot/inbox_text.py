"""The question inbox's Dutch wording, shared by the chat's /vragen and the web view's /vragen, so
that both say the same thing in the same words."""

from __future__ import annotations

from bot.services.question_inbox import MAX_ANSWER

GONE = "Deze vraag staat niet meer in de vragenbus: misschien heeft een andere coördinator haar al beantwoord."
TOO_SHORT = "Typ een antwoord van minstens een paar woorden."


def people(count: int) -> str:
    return "1 persoon" if count == 1 else f"{count} personen"


def too_long(length: int | None = None) -> str:
    typed = f"{length} tekens, " if length is not None else ""
    return f"Je antwoord is te lang ({typed}hooguit {MAX_ANSWER} tekens). Maak het korter."


def sent_answer(recipients: int, questions: int) -> str:
    return (
        f"je antwoord staat in de kennisbank van je partnerschap en gaat naar {people(recipients)} "
        f"die de vraag stelden ({questions}×)."
    )
