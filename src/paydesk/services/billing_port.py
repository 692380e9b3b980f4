"""The slice of i'mport billing keys and subscriptions use, behind one small interface.

``BillingApi`` is what the services see; ``IamportBilling`` implements it over
the async client. Card data passes through here on its way to i'mport and is
never kept: ``CardData`` hides itself from ``repr`` and logs, and what comes
back is a ``MaskedCard`` (the card's name, code and last digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..core.money import Money
from ..iamport import AsyncIamport, Customer, Payment, ScheduleEntry
from .iamport_port import wire_amount

__all__ = ["BillingApi", "CardData", "IamportBilling", "MaskedCard", "last_digits"]

_DIGITS = re.compile(r"(\d{4})$")


def last_digits(masked: str | None) -> str | None:
    """The last four digits of a card number as i'mport shows it (``411111******1111``)."""
    found = _DIGITS.search(masked or "")
    return found.group(1) if found else None


@dataclass(frozen=True)
class CardData:
    """A card as the customer typed it: sent to i'mport once, never stored or logged."""

    number: str = field(repr=False)
    expiry: str = field(repr=False)  # YYYY-MM
    birth: str | None = field(default=None, repr=False)
    pwd_2digit: str | None = field(default=None, repr=False)

    @property
    def last4(self) -> str:
        return re.sub(r"\D", "", self.number)[-4:]

    def __repr__(self) -> str:
        return f"CardData(****{self.last4})"

    __str__ = __repr__


@dataclass(frozen=True)
class MaskedCard:
    """What we keep of a billing key's card."""

    pg_provider: str | None
    card_name: str | None
    card_code: str | None
    card_last4: str | None

    @classmethod
    def of(cls, customer: Customer) -> MaskedCard:
        return cls(customer.pg_provider, customer.card_name, customer.card_code,
                   last_digits(customer.card_number))  # fmt: skip

    def columns(self) -> dict[str, str | None]:
        return {"pg_provider": self.pg_provider, "card_name": self.card_name,
                "card_code": self.card_code, "card_last4": self.card_last4}  # fmt: skip


class BillingApi(Protocol):
    """Billing keys, charges and schedules at i'mport; raises the client's ``IamportError``s."""

    async def issue_key(self, customer_uid: str, card: CardData, *, pg: str | None) -> MaskedCard:
        """Issue (or re-point) the key. Raises ``Declined``/``ApiError`` when refused."""
        ...

    async def key(self, customer_uid: str) -> MaskedCard:
        """The key's masked card. Raises ``NotFound``."""
        ...

    async def delete_key(self, customer_uid: str) -> None:
        """Delete the key. Raises ``NotFound`` when i'mport has none."""
        ...

    async def charge(
        self, customer_uid: str, merchant_uid: str, amount: Money, *, name: str,
        notice_url: str | None,
    ) -> Payment:  # fmt: skip
        """``/subscribe/payments/again``: the Payment, ``paid`` or ``failed``."""
        ...

    async def find(self, merchant_uid: str) -> Payment:
        """The newest payment of ``merchant_uid``. Raises ``NotFound``."""
        ...

    async def fetch(self, imp_uid: str) -> Payment:
        """``GET /payments/{imp_uid}``. Raises ``NotFound``."""
        ...

    async def schedule(
        self, customer_uid: str, merchant_uid: str, at: datetime, amount: Money, *,
        name: str, notice_url: str | None,
    ) -> None:  # fmt: skip
        """Register one charge with i'mport's scheduler."""
        ...

    async def schedule_status(self, merchant_uid: str) -> tuple[str | None, str | None]:
        """``(schedule_status, payment_status)`` of a scheduled charge. Raises ``NotFound``."""
        ...

    async def unschedule(self, customer_uid: str, merchant_uid: str) -> None:
        """Revoke a pending scheduled charge. Raises ``NotFound`` when nothing is pending."""
        ...


class IamportBilling:
    """``BillingApi`` over an ``AsyncIamport``."""

    def __init__(self, client: AsyncIamport, *, include_sandbox: bool = True) -> None:
        self._client = client
        self._include_sandbox = include_sandbox

    async def issue_key(self, customer_uid: str, card: CardData, *, pg: str | None) -> MaskedCard:
        customer = await self._client.issue_billing_key(
            customer_uid, card_number=card.number, expiry=card.expiry, birth=card.birth,
            pwd_2digit=card.pwd_2digit, pg=pg,
        )  # fmt: skip
        return MaskedCard.of(customer)

    async def key(self, customer_uid: str) -> MaskedCard:
        return MaskedCard.of(await self._client.customer(customer_uid))

    async def delete_key(self, customer_uid: str) -> None:
        await self._client.delete_billing_key(customer_uid, reason="deleted by the merchant")

    async def charge(
        self, customer_uid: str, merchant_uid: str, amount: Money, *, name: str,
        notice_url: str | None,
    ) -> Payment:  # fmt: skip
        return await self._client.pay_again(
            customer_uid, merchant_uid, wire_amount(amount), name=name,
            currency=amount.currency, notice_url=notice_url,
        )  # fmt: skip

    async def find(self, merchant_uid: str) -> Payment:
        return await self._client.find_payment(merchant_uid)

    async def fetch(self, imp_uid: str) -> Payment:
        return await self._client.payment(imp_uid, include_sandbox=self._include_sandbox)

    async def schedule(
        self, customer_uid: str, merchant_uid: str, at: datetime, amount: Money, *,
        name: str, notice_url: str | None,
    ) -> None:  # fmt: skip
        entry = ScheduleEntry(
            merchant_uid=merchant_uid, schedule_at=at, amount=wire_amount(amount), name=name,
            currency=amount.currency, notice_url=notice_url,
        )  # fmt: skip
        await self._client.schedule(customer_uid, [entry])

    async def schedule_status(self, merchant_uid: str) -> tuple[str | None, str | None]:
        found = await self._client.scheduled(merchant_uid)
        return found.schedule_status, found.payment_status

    async def unschedule(self, customer_uid: str, merchant_uid: str) -> None:
        await self._client.unschedule(customer_uid, [merchant_uid])
