"""COORDINATOR_IDS: the documented format, and a clear refusal of anything else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings, parse_coordinator_ids


def test_pairs_separated_by_commas_or_spaces() -> None:
    assert parse_coordinator_ids(" 123:poo-marnix,456:groningen-kop-van-drenthe 789:poo-marnix ") == [
        (123, "poo-marnix"),
        (456, "groningen-kop-van-drenthe"),
        (789, "poo-marnix"),
    ]
    assert parse_coordinator_ids("") == []


@pytest.mark.parametrize("spec", ["123", "abc:poo-marnix", "123:POO", "123:poo-marnix:extra"])
def test_a_malformed_value_is_refused_with_a_dutch_message(spec: str) -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_USER_ID:partnerschap"):
        Settings(coordinator_ids=spec)
