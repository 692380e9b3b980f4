"""A fake i'mport behind ``BillingApi``: keys, ``again`` charges, lookups, scripted trouble."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

from paydesk.core.money import Money
from paydesk.iamport import IamportError, NotFound, OutcomeUnknown, Payment
from paydesk.services.billing_port import CardData, MaskedCard

from .iamport import payment

__all__ = ["FakeBilling"]

DECLINING = "4000-0000-0000-0002"


class FakeBilling:
    """``BillingApi`` over dicts; a key issued with ``DECLINING`` declines its charges."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}  # customer_uid → card number
        self.payments: dict[str, Payment] = {}  # merchant_uid → payment
        self.charged: list[str] = []  # every charge that reached i'mport (merchant_uid)
        self.calls: list[tuple[str, str]] = []
        self._faults: list[IamportError] = []
        self._lose = 0
        self._ids = itertools.count(1)

    def fail_next(self, *errors: IamportError) -> None:
        self._faults.extend(errors)

    def lose_next_answer(self) -> None:
        """The next charge is made, then its answer is lost."""
        self._lose += 1

    async def issue_key(self, customer_uid: str, card: CardData, *, pg: str | None) -> MaskedCard:
        await self._call("issue", customer_uid)
        self.keys[customer_uid] = card.number
        return MaskedCard(pg or "nice", "신한카드", "366", card.last4)

    async def key(self, customer_uid: str) -> MaskedCard:
        await self._call("key", customer_uid)
        if customer_uid not in self.keys:
            raise NotFound("no key", http_status=404, code=1)
        return MaskedCard("nice", "신한카드", "366", self.keys[customer_uid][-4:])

    async def delete_key(self, customer_uid: str) -> None:
        await self._call("delete", customer_uid)
        if self.keys.pop(customer_uid, None) is None:
            raise NotFound("no key", http_status=404, code=1)

    async def charge(self, customer_uid: str, merchant_uid: str, amount: Money, *, name: str,
                     notice_url: str | None) -> Payment:  # fmt: skip
        await self._call("charge", merchant_uid)
        if customer_uid not in self.keys:
            raise NotFound("등록되지 않은 구매자입니다.", http_status=200, code=-1)
        status = "failed" if self.keys[customer_uid] == DECLINING else "paid"
        made = payment(f"imp_{next(self._ids):012d}", merchant_uid, amount.amount, status,
                       customer_uid=customer_uid)  # fmt: skip
        self.payments[merchant_uid] = made
        self.charged.append(merchant_uid)
        if self._lose:
            self._lose -= 1
            raise OutcomeUnknown("read timed out after the request was sent", write=True)
        return made

    async def find(self, merchant_uid: str) -> Payment:
        await self._call("find", merchant_uid)
        if merchant_uid not in self.payments:
            raise NotFound("존재하지 않는 결제정보입니다.", http_status=404, code=-1)
        return self.payments[merchant_uid]

    async def fetch(self, imp_uid: str) -> Payment:
        await self._call("fetch", imp_uid)
        for made in self.payments.values():
            if made.imp_uid == imp_uid:
                return made
        raise NotFound("존재하지 않는 결제정보입니다.", http_status=404, code=-1)

    async def schedule(self, customer_uid: str, merchant_uid: str, at: datetime, amount: Money,
                       *, name: str, notice_url: str | None) -> None:  # fmt: skip
        await self._call("schedule", merchant_uid)

    async def schedule_status(self, merchant_uid: str) -> tuple[str | None, str | None]:
        await self._call("scheduled", merchant_uid)
        raise NotFound("no schedule", http_status=404, code=1)

    async def unschedule(self, customer_uid: str, merchant_uid: str) -> None:
        await self._call("unschedule", merchant_uid)

    async def _call(self, operation: str, key: str) -> None:
        self.calls.append((operation, key))
        await asyncio.sleep(0)
        if self._faults:
            raise self._faults.pop(0)
