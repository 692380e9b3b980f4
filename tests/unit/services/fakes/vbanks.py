"""A fake i'mport behind the ``VbankApi`` port, sharing the payments of a ``FakeIamport``.

``issue`` opens a ``ready`` vbank payment; ``revoke`` turns one ``failed`` with
"계좌말소" (or refuses, for a PG listed in ``unrevocable`` or an account no longer
awaiting its deposit); ``find_ready`` answers the newest ``ready`` attempt of an
order. Scripted faults of the ``FakeIamport`` apply to every call, and
``lose_next_answer`` makes the next issue or revoke happen with its answer lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from paydesk.iamport import BadRequest, NotFound, OutcomeUnknown, Payment
from paydesk.services.vbank_port import VbankRequest

from .iamport import PAID_AT, FakeIamport, payment

__all__ = ["FakeVbanks"]

BANKS = {"004": "KB국민은행", "088": "신한은행"}


class FakeVbanks:
    """``VbankApi`` over the payments of ``iamport``."""

    def __init__(self, iamport: FakeIamport) -> None:
        self.iamport = iamport
        self.issued: list[VbankRequest] = []
        self.revoked: list[str] = []
        self.unrevocable: set[str] = set()  # PGs that refuse revocation
        self._lose = 0

    def lose_next_answer(self) -> None:
        self._lose += 1

    async def issue(self, request: VbankRequest) -> Payment:
        await self.iamport._call("vbank.issue", request.merchant_uid)
        self.issued.append(request)
        issued = payment(
            f"imp_v{len(self.issued)}", request.merchant_uid, request.amount.amount, "ready",
            pay_method="vbank", pg_provider=(request.pg or "nice").split(".")[0],
            vbank_code=request.bank_code, vbank_name=BANKS.get(request.bank_code),
            vbank_num=f"9000{len(self.issued):010d}", vbank_holder=request.holder,
            vbank_date=request.due,
        )  # fmt: skip
        self.iamport.put(issued)
        return self._answer(issued)

    async def revoke(self, imp_uid: str, pg: str | None) -> Payment:
        await self.iamport._call("vbank.revoke", imp_uid)
        current = self.iamport.payments.get(imp_uid)
        if current is None:
            raise NotFound("no payment", http_status=404, code=-1)
        if current.pg_provider in self.unrevocable or not current.awaiting_deposit:
            raise BadRequest("입금대기 상태의 가상계좌가 아닙니다.", http_status=400, code=-1)
        revoked = current.model_copy(update={"status": "failed", "fail_reason": "계좌말소",
                                             "failed_at": PAID_AT})  # fmt: skip
        self.iamport.put(revoked)
        self.revoked.append(imp_uid)
        return self._answer(revoked)

    async def fetch(self, imp_uid: str) -> Payment:
        return await self.iamport.fetch(imp_uid)

    async def find_ready(self, merchant_uid: str) -> Payment:
        await self.iamport._call("find", merchant_uid)
        ready = [p for p in self.iamport.payments.values()
                 if p.merchant_uid == merchant_uid and p.status == "ready"]  # fmt: skip
        if not ready:
            raise NotFound("존재하지 않는 결제정보입니다.", http_status=404, code=-1)
        return ready[-1]

    async def bank_name(self, code: str) -> str | None:
        await self.iamport._call("banks", code)
        return BANKS.get(code)

    def _answer(self, done: Payment) -> Payment:
        if self._lose:
            self._lose -= 1
            raise OutcomeUnknown("read timed out after the request was sent", write=True)
        return done


def vbank_fields(due_in: timedelta, **more: Any) -> dict[str, Any]:
    """The fields of a ``ready`` vbank payment due ``due_in`` after ``PAID_AT``."""
    return {"pay_method": "vbank", "pg_provider": "nice", "vbank_code": "004",
            "vbank_name": "KB국민은행", "vbank_num": "90001234567890", "vbank_holder": "상점",
            "vbank_date": PAID_AT + due_in, "paid_at": None, **more}  # fmt: skip
