"""A fake i'mport for cash receipts, certifications and escrow deliveries (the
``ReceiptsApi``, ``CertificationsApi`` and ``EscrowApi`` ports).

Keeps receipts by imp_uid / merchant_uid, certifications and deliveries in
dicts, refuses as V1 does (a second live receipt, cancelling what is not
issued, registering twice), and lets a test script failures or lose the next
answer after the work is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paydesk.iamport import (
    BadRequest,
    Certification,
    Conflict,
    EscrowLogis,
    EscrowParty,
    EscrowProduct,
    EscrowShipment,
    ExternalReceipt,
    IamportError,
    NotFound,
    OutcomeUnknown,
    Receipt,
)

__all__ = ["FakeMethods"]

APPLIED = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)


class FakeMethods:
    """Receipts, certifications and escrow deliveries at a fake i'mport."""

    def __init__(self) -> None:
        self.receipts: dict[str, Receipt] = {}
        self.external: dict[str, ExternalReceipt] = {}
        self.certifications: dict[str, Certification] = {}
        self.deliveries: dict[str, EscrowLogis] = {}
        self.amounts: dict[str, int] = {}  # imp_uid → what a receipt of that payment is for
        self.sent: list[dict[str, Any]] = []  # every request, as sent
        self.now = APPLIED
        self.failing: dict[str, IamportError] = {}  # operation → the error it raises, always
        self._faults: list[IamportError] = []
        self._lose = 0

    def fail_next(self, *errors: IamportError) -> None:
        self._faults.extend(errors)

    def lose_next_answer(self) -> None:
        """The next write is done at i'mport, then its answer is lost."""
        self._lose += 1

    async def _call(self, operation: str, **sent: Any) -> None:
        self.sent.append({"operation": operation, **sent})
        await asyncio.sleep(0)
        if operation in self.failing:
            raise self.failing[operation]
        if self._faults:
            raise self._faults.pop(0)

    def _answer(self) -> None:
        if self._lose:
            self._lose -= 1
            raise OutcomeUnknown("read timed out after the request was sent", write=True)

    # -- receipts --------------------------------------------------------------------
    async def issue_receipt(
        self, imp_uid: str, *, identifier: str, identifier_type: str, receipt_type: str,
        tax_free: int | None,
    ) -> Receipt:  # fmt: skip
        await self._call("issue", imp_uid=imp_uid, identifier=identifier,
                         identifier_type=identifier_type, type=receipt_type)  # fmt: skip
        current = self.receipts.get(imp_uid)
        if current is not None and not current.cancelled_at:
            raise BadRequest("이미 현금영수증이 발행되었습니다.", http_status=400, code=1)
        amount = self.amounts.get(imp_uid, 10_000)
        vat = round((amount - (tax_free or 0)) / 11)
        self.receipts[imp_uid] = Receipt(imp_uid=imp_uid, apply_num="123456789", type=receipt_type,
                                         amount=amount, vat=vat, applied_at=self.now)  # fmt: skip
        self._answer()
        return self.receipts[imp_uid]

    async def receipt(self, imp_uid: str) -> Receipt:
        await self._call("get", imp_uid=imp_uid)
        if imp_uid not in self.receipts:
            raise NotFound("발행된 현금영수증이 존재하지 않습니다.", http_status=404, code=1)
        return self.receipts[imp_uid]

    async def cancel_receipt(self, imp_uid: str) -> Receipt:
        await self._call("cancel", imp_uid=imp_uid)
        current = self.receipts.get(imp_uid)
        if current is None or current.cancelled_at:
            raise BadRequest("발행된 현금영수증이 존재하지 않습니다.", http_status=400, code=1)
        self.receipts[imp_uid] = current.model_copy(update={"cancelled_at": self.now})
        self._answer()
        return self.receipts[imp_uid]

    async def issue_external_receipt(
        self, merchant_uid: str, *, name: str, amount: int | Decimal, identifier: str,
        identifier_type: str, receipt_type: str, pg: str | None, pay_method: str | None,
        tax_free: int | None,
    ) -> ExternalReceipt:  # fmt: skip
        await self._call("issue_external", merchant_uid=merchant_uid, identifier=identifier,
                         amount=amount, pg=pg)  # fmt: skip
        current = self.external.get(merchant_uid)
        if current is not None and not current.cancelled_at:
            raise BadRequest("이미 현금영수증이 발행되었습니다.", http_status=400, code=1)
        vat = round((int(amount) - (tax_free or 0)) / 11)
        self.external[merchant_uid] = ExternalReceipt(
            merchant_uid=merchant_uid, apply_num="987654321", type=receipt_type, amount=amount,
            vat=vat, applied_at=self.now,
        )  # fmt: skip
        self._answer()
        return self.external[merchant_uid]

    async def external_receipt(self, merchant_uid: str) -> ExternalReceipt:
        await self._call("get_external", merchant_uid=merchant_uid)
        if merchant_uid not in self.external:
            raise NotFound("발행된 현금영수증이 존재하지 않습니다.", http_status=404, code=1)
        return self.external[merchant_uid]

    async def cancel_external_receipt(self, merchant_uid: str) -> ExternalReceipt:
        await self._call("cancel_external", merchant_uid=merchant_uid)
        current = self.external.get(merchant_uid)
        if current is None:
            raise NotFound("발행된 현금영수증이 존재하지 않습니다.", http_status=404, code=1)
        if current.cancelled_at:
            raise BadRequest("발행된 현금영수증이 존재하지 않습니다.", http_status=400, code=1)
        self.external[merchant_uid] = current.model_copy(update={"cancelled_at": self.now})
        self._answer()
        return self.external[merchant_uid]

    # -- certifications -----------------------------------------------------------------
    def certify(self, imp_uid: str, birthday: str, **fields: Any) -> Certification:
        values: dict[str, Any] = {
            "imp_uid": imp_uid, "merchant_uid": f"cert_{imp_uid}", "pg_provider": "danal",
            "name": "홍길동", "gender": "male", "birthday": birthday, "foreigner": False,
            "phone": "01012345678", "carrier": "SKT", "certified": True,
            "certified_at": self.now, "unique_key": f"CI-{fields.pop('person', imp_uid)}",
            "unique_in_site": f"DI-{imp_uid}",
        } | fields  # fmt: skip
        self.certifications[imp_uid] = Certification(**values)
        return self.certifications[imp_uid]

    async def certification(self, imp_uid: str) -> Certification:
        await self._call("certification", imp_uid=imp_uid)
        if imp_uid not in self.certifications:
            raise NotFound("인증결과가 존재하지 않습니다.", http_status=404, code=-1)
        return self.certifications[imp_uid]

    async def delete_certification(self, imp_uid: str) -> Certification:
        await self._call("delete_certification", imp_uid=imp_uid)
        if imp_uid not in self.certifications:
            raise NotFound("인증결과가 존재하지 않습니다.", http_status=404, code=-1)
        return self.certifications.pop(imp_uid)

    # -- escrow -------------------------------------------------------------------------
    async def register_escrow(
        self, imp_uid: str, *, sender: EscrowParty, receiver: EscrowParty,
        logis: EscrowShipment, products: Sequence[EscrowProduct] | None, update: bool,
    ) -> EscrowLogis:  # fmt: skip
        await self._call("escrow_put" if update else "escrow_post", imp_uid=imp_uid,
                         invoice=logis.invoice)  # fmt: skip
        if update and imp_uid not in self.deliveries:
            raise Conflict("등록된 배송정보가 없습니다.", http_status=409, code=1)
        if not update and imp_uid in self.deliveries:
            raise Conflict("이미 배송정보가 등록되어 있습니다.", http_status=409, code=1)
        self.deliveries[imp_uid] = EscrowLogis(company=logis.company, invoice=logis.invoice,
                                               sent_at=logis.sent_at, applied_at=self.now)  # fmt: skip
        self._answer()
        return self.deliveries[imp_uid]

    async def escrow_logis(self, imp_uid: str) -> EscrowLogis:
        await self._call("escrow_get", imp_uid=imp_uid)
        if imp_uid not in self.deliveries:
            raise Conflict("등록된 배송정보가 없습니다.", http_status=409, code=1)
        return self.deliveries[imp_uid]
