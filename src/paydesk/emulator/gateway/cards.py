"""Test cards: what a card number makes the emulated PG do.

Documented in the README.  Any other number that passes the Luhn check is
approved; a number that fails it is refused as invalid before any charge.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Literal

__all__ = ["TEST_CARDS", "CardProfile", "card_profile", "luhn_ok", "mask_card", "normalize_card"]

Outcome = Literal["approve", "decline", "insufficient", "hang", "expired"]


@dataclass(frozen=True, slots=True)
class CardProfile:
    outcome: Outcome
    card_code: str
    card_name: str
    card_type: int  # 0 credit, 1 check
    fail_reason: str | None = None


TEST_CARDS: dict[str, CardProfile] = {
    "4111111111111111": CardProfile("approve", "366", "신한카드", 0),
    "5555555555554444": CardProfile("approve", "381", "KB국민카드", 0),
    "9410000000000005": CardProfile("approve", "361", "BC카드", 1),
    "4000000000000002": CardProfile(
        "decline", "365", "삼성카드", 0, "[PG 거절] 카드사 승인 거절 (거래정지 카드)"
    ),
    "4000000000009995": CardProfile(
        "insufficient", "367", "현대카드", 1, "[PG 거절] 잔액이 부족합니다"
    ),
    "4000000000000259": CardProfile("hang", "368", "롯데카드", 0),
}

_BY_PREFIX: tuple[tuple[str, str, str], ...] = (
    ("94", "361", "BC카드"),
    ("4", "366", "신한카드"),
    ("5", "381", "KB국민카드"),
    ("3", "365", "삼성카드"),
    ("6", "371", "NH농협카드"),
)


def normalize_card(number: str) -> str:
    return re.sub(r"[\s-]", "", number)


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mask_card(digits: str) -> str:
    """Mask digits 7-12 as Korean PGs do: ``411111******1111``."""
    # interned: the same test cards recur, and a payment keeps its masked number
    return sys.intern(digits[:6] + "*" * max(len(digits) - 10, 0) + digits[-4:])


def card_profile(number: str) -> CardProfile | None:
    """The test profile of ``number``, or None when the number is invalid."""
    digits = normalize_card(number)
    if digits in TEST_CARDS:
        return TEST_CARDS[digits]
    if not luhn_ok(digits):
        return None
    for prefix, code, name in _BY_PREFIX:
        if digits.startswith(prefix):
            return CardProfile("approve", code, name, 0)
    return CardProfile("approve", "361", "BC카드", 0)
