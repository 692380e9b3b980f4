"""Virtual accounts: when an unpaid one has expired, and how its number may be shown.

i'mport sends nothing when a virtual account's deadline (``vbank_date``)
passes: the payment simply stays ``ready`` (reference §13). Left alone, the
stock held for it would stay held for good — the next buyer refused "sold
out", the same buyer unable to switch to a card. So the merchant decides:
once the deadline plus a grace period (late bank notices, clock skew) has
passed, the account counts as failed and its hold is released.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

__all__ = ["EXPIRED_REASON", "REVOKED_REASON", "expired", "masked_account"]

#: The fail reason recorded when we give up on an unpaid account.
EXPIRED_REASON: Final = "virtual account expired unpaid"
#: The reason recorded when the merchant deletes an unpaid account.
REVOKED_REASON: Final = "virtual account deleted by the merchant"


def expired(due: datetime | None, now: datetime, grace: timedelta) -> bool:
    """Whether an unpaid account due at ``due`` is past its deadline plus ``grace``.

    An account without a deadline never expires by itself.
    """
    return due is not None and now > due + grace


def masked_account(number: str) -> str:
    """An account number as logs may show it: all but the last four digits hidden."""
    digits = "".join(ch for ch in number if ch.isalnum())
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
