"""Cash receipts (현금영수증): what they are issued to, and the states they move through.

A receipt names its recipient by an identifier: a phone number or a cash-receipt
card number (income deduction, ``person``), or a business registration number
(expense proof, ``company``). The identifier is personal data: it is sent to
i'mport once and stored only masked (the last four digits).

States (both for receipts of i'mport payments and for external ones)::

    issuing ──▶ issued ──▶ cancelling ──▶ cancelled
       │  └──▶ failed          └──▶ issued (the cancel was refused)
       └──▶ unknown ──▶ issued | failed   (the answer was lost; looked up later)

Only one receipt of a payment (or external sale) is *live* (``issuing``,
``issued``, ``cancelling`` or ``unknown``) at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CASH_METHODS",
    "EXTERNAL_RECEIPT_PGS",
    "LIVE",
    "RECEIPT_CANCEL_PGS",
    "RECEIPT_PGS",
    "IdentifierType",
    "InvalidIdentifier",
    "ReceiptState",
    "Recipient",
    "mask_identifier",
    "recipient",
]


#: Payment methods a receipt can be issued for: money that moved as cash (§2.9).
CASH_METHODS = frozenset({"trans", "vbank"})
#: PGs that issue receipts for their payments, and that cancel them (§9.1).
RECEIPT_PGS = frozenset(
    "html5_inicis kcp nice kicc settle daou tosspayments ksnet smartro smartro_v2 nice_v2 "
    "welcome".split()
)
RECEIPT_CANCEL_PGS = frozenset(
    "html5_inicis kcp settle nice daou tosspayments nice_v2 ksnet smartro_v2 welcome".split()
)
#: PGs that issue (and cancel) receipts for sales made elsewhere (§2.9).
EXTERNAL_RECEIPT_PGS = frozenset(
    "html5_inicis kcp settle nice tosspayments nice_v2 ksnet smartro_v2 welcome".split()
)


class ReceiptState(StrEnum):
    ISSUING = "issuing"
    ISSUED = "issued"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    FAILED = "failed"
    UNKNOWN = "unknown"


#: States in which a receipt stands for its payment (a second one is refused).
LIVE = frozenset({ReceiptState.ISSUING, ReceiptState.ISSUED, ReceiptState.CANCELLING,
                  ReceiptState.UNKNOWN})  # fmt: skip


class IdentifierType(StrEnum):
    """What the identifier is; i'mport's names are in ``iamport_name``."""

    PHONE = "phone"
    BUSINESS = "business"
    CARD = "card"

    @property
    def iamport_name(self) -> str:
        return "taxcard" if self is IdentifierType.CARD else self.value

    @property
    def receipt_type(self) -> str:
        """``company`` (expense proof) for a business number, else ``person`` (deduction)."""
        return "company" if self is IdentifierType.BUSINESS else "person"


_PATTERNS = {
    IdentifierType.PHONE: re.compile(r"01[016789]\d{7,8}"),
    IdentifierType.BUSINESS: re.compile(r"\d{10}"),
    IdentifierType.CARD: re.compile(r"\d{13,19}"),
}


class InvalidIdentifier(ValueError):
    """The identifier does not look like its type (the message never repeats it)."""


@dataclass(frozen=True)
class Recipient:
    """Who the receipt is for: the digits (sent, never stored) and their masked form."""

    kind: IdentifierType
    digits: str

    @property
    def masked(self) -> str:
        return mask_identifier(self.digits)

    def __repr__(self) -> str:  # never show the digits in a log or traceback
        return f"Recipient({self.kind.value}, {self.masked})"


def recipient(kind: IdentifierType, identifier: str) -> Recipient:
    """The recipient of ``identifier`` (dashes and spaces allowed); raises ``InvalidIdentifier``."""
    digits = re.sub(r"[\s-]", "", identifier)
    if not _PATTERNS[kind].fullmatch(digits):
        raise InvalidIdentifier(f"not a valid {kind.value} identifier")
    return Recipient(kind, digits)


def mask_identifier(digits: str) -> str:
    """All but the last four digits hidden: ``*******5678``."""
    return "*" * max(len(digits) - 4, 0) + digits[-4:]
