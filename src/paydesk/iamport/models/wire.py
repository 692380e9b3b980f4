"""The shared vocabulary of the i'mport wire models: base class, money, time.

Every i'mport object is parsed into a ``WireModel``: unknown fields are kept
(i'mport adds fields without notice, and a lost field cannot be re-read
later), money is exact (``int`` for whole amounts, ``Decimal`` otherwise,
never a float) and timestamps are aware UTC datetimes, with i'mport's ``0``
("has not happened") read as ``None``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

__all__ = [
    "Amount",
    "InputAmount",
    "Instant",
    "Timestamp",
    "WireModel",
    "exact_amount",
    "exact_input",
    "from_unix",
    "to_unix",
]


class WireModel(BaseModel):
    """Base of every wire model: unknown fields tolerated and kept, values frozen."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


def exact_amount(value: Any) -> int | Decimal:
    """An exact amount: whole numbers as ``int``, fractions as ``Decimal``.

    Raises:
        ValueError: for booleans and anything that is not a number.
    """
    if isinstance(value, bool):
        raise ValueError("an amount must be a number, not a boolean")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return int(number) if number == number.to_integral_value() else number


def from_unix(value: Any) -> datetime | None:
    """Aware UTC datetime of a unix-seconds value; ``0``/``None`` mean "not happened".

    Raises:
        ValueError: a naive datetime (its moment is ambiguous) or a non-number.
    """
    if type(value) is int:  # what i'mport sends; the rest of the checks for anything else
        return None if value == 0 else datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a timestamp must be a number")
    seconds = int(Decimal(str(value)))
    return None if seconds == 0 else datetime.fromtimestamp(seconds, UTC)


def to_unix(value: datetime | None) -> int:
    """Unix seconds of ``value``; ``None`` becomes i'mport's ``0``.

    Raises:
        ValueError: a naive datetime (Python would read it as local time, 9 hours
            off under ``TZ=Asia/Seoul``): give a timezone.
    """
    if value is None:
        return 0
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone (e.g. datetime.now(UTC))")
    return int(value.timestamp())


def exact_input(value: Any) -> int | Decimal:
    """An amount we send: ``int`` or ``Decimal``, never a float (or a boolean).

    Raises:
        ValueError: a float or anything else that is not exact money.
    """
    if isinstance(value, float):
        raise ValueError("money must not be a float; use int or Decimal")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"not an amount: {value!r}")
    return exact_amount(value)


Amount = Annotated[int | Decimal, BeforeValidator(exact_amount)]
"""Money on the wire: ``int`` (always, for KRW) or an exact ``Decimal``."""

InputAmount = Annotated[int | Decimal, BeforeValidator(exact_input)]
"""Money in a model we send (``ScheduleEntry``...): ``int`` or ``Decimal``, floats refused."""

Timestamp = Annotated[
    datetime | None,
    BeforeValidator(from_unix),
    PlainSerializer(to_unix, return_type=int, when_used="json"),
]
"""A unix-seconds timestamp read as an aware UTC datetime; 0 reads as None."""

Instant = Annotated[
    datetime,
    BeforeValidator(from_unix),
    PlainSerializer(to_unix, return_type=int, when_used="json"),
]
"""A moment that must be present: aware datetime (or unix seconds, never 0)."""
