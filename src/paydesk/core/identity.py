"""Verified identities and the age gate: who a customer is, and may they buy this.

A certification (i'mport's identity verification) gives a name, a birth date, a
phone number and two unique keys: CI (the same person everywhere) and DI (the
same person at this merchant). The keys are only ever compared, so only their
hashes are kept. The age gate compares the age *on the day of the order*
(Korean "만 나이": full years since birth) with the highest ``min_age`` of the
products ordered; the adult flag stored with an identity uses the same rule at
``ADULT_AGE``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "ADULT_AGE",
    "AgeRule",
    "GateRefusal",
    "age_on",
    "check_age_gate",
    "hash_unique_key",
    "required_age",
]

#: Adulthood under the Youth Protection Act (청소년 보호법): 19 full years.
ADULT_AGE = 19


def age_on(birth: date, today: date) -> int:
    """Full years between ``birth`` and ``today`` (0 before the first birthday).

    A 29 February birthday is reached on 1 March in common years.
    """
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return max(years, 0)


def hash_unique_key(value: str) -> str:
    """The stored form of a CI or DI: SHA-256 hex (equality is all the shop needs)."""
    return hashlib.sha256(value.encode()).hexdigest()


def required_age(min_ages: Iterable[int | None]) -> int | None:
    """The age an order needs: the highest ``min_age`` of its products (None: no gate)."""
    ages = [age for age in min_ages if age]
    return max(ages) if ages else None


class AgeRule(StrEnum):
    """Why the age gate refused an order (stable names for programs)."""

    IDENTITY_REQUIRED = "identity_required"
    IDENTITY_UNKNOWN = "identity_unknown"
    AGE_BELOW_MINIMUM = "age_below_minimum"


@dataclass(frozen=True)
class GateRefusal:
    """An order the age gate refuses: the rule and words for the shop."""

    rule: AgeRule
    message: str


def check_age_gate(
    needed: int | None, customer_named: bool, birth: date | None, today: date
) -> GateRefusal | None:
    """None when the order may go on; otherwise why not.

    ``customer_named``: the order names a customer; ``birth``: that customer's
    verified birth date (None when the customer has no verified identity).
    """
    if needed is None:
        return None
    if not customer_named:
        return GateRefusal(AgeRule.IDENTITY_REQUIRED,
                           f"This order includes a product for ages {needed}+: "
                           "name a customer whose identity is verified.")  # fmt: skip
    if birth is None:
        return GateRefusal(AgeRule.IDENTITY_UNKNOWN,
                           f"This order includes a product for ages {needed}+ and the customer "
                           "has no verified identity: verify it first (IMP.certification).")  # fmt: skip
    if age_on(birth, today) < needed:
        return GateRefusal(AgeRule.AGE_BELOW_MINIMUM,
                           f"This order includes a product for ages {needed}+; "
                           "the customer is younger.")  # fmt: skip
    return None
