"""The i'mport calls of cash receipts, identity verification and escrow, behind small interfaces.

``ReceiptsApi``, ``CertificationsApi`` and ``EscrowApi`` are what the services
of those methods see; ``IamportMethods`` implements all three over the async
client. Errors are the client's ``IamportError``s.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from ..iamport import (
    AsyncIamport,
    Certification,
    EscrowLogis,
    EscrowParty,
    EscrowProduct,
    EscrowShipment,
    ExternalReceipt,
    Receipt,
)

__all__ = ["CertificationsApi", "EscrowApi", "IamportMethods", "ReceiptsApi"]


class ReceiptsApi(Protocol):
    async def issue_receipt(
        self, imp_uid: str, *, identifier: str, identifier_type: str, receipt_type: str,
        tax_free: int | None,
    ) -> Receipt: ...  # fmt: skip

    async def receipt(self, imp_uid: str) -> Receipt: ...

    async def cancel_receipt(self, imp_uid: str) -> Receipt: ...

    async def issue_external_receipt(
        self, merchant_uid: str, *, name: str, amount: int | Decimal, identifier: str,
        identifier_type: str, receipt_type: str, pg: str | None, pay_method: str | None,
        tax_free: int | None,
    ) -> ExternalReceipt: ...  # fmt: skip

    async def external_receipt(self, merchant_uid: str) -> ExternalReceipt: ...

    async def cancel_external_receipt(self, merchant_uid: str) -> ExternalReceipt: ...


class CertificationsApi(Protocol):
    async def certification(self, imp_uid: str) -> Certification: ...

    async def delete_certification(self, imp_uid: str) -> Certification: ...


class EscrowApi(Protocol):
    async def register_escrow(
        self, imp_uid: str, *, sender: EscrowParty, receiver: EscrowParty,
        logis: EscrowShipment, products: Sequence[EscrowProduct] | None, update: bool,
    ) -> EscrowLogis: ...  # fmt: skip

    async def escrow_logis(self, imp_uid: str) -> EscrowLogis: ...


class IamportMethods:
    """The three interfaces over an ``AsyncIamport``."""

    def __init__(self, client: AsyncIamport) -> None:
        self._client = client

    async def issue_receipt(
        self, imp_uid: str, *, identifier: str, identifier_type: str, receipt_type: str,
        tax_free: int | None,
    ) -> Receipt:  # fmt: skip
        """``POST /receipts/{imp_uid}``."""
        return await self._client.issue_receipt(
            imp_uid, identifier=identifier, identifier_type=identifier_type,
            receipt_type=receipt_type, tax_free=tax_free,
        )  # fmt: skip

    async def receipt(self, imp_uid: str) -> Receipt:
        """``GET /receipts/{imp_uid}``."""
        return await self._client.receipt(imp_uid)

    async def cancel_receipt(self, imp_uid: str) -> Receipt:
        """``DELETE /receipts/{imp_uid}``."""
        return await self._client.cancel_receipt(imp_uid)

    async def issue_external_receipt(
        self, merchant_uid: str, *, name: str, amount: int | Decimal, identifier: str,
        identifier_type: str, receipt_type: str, pg: str | None, pay_method: str | None,
        tax_free: int | None,
    ) -> ExternalReceipt:  # fmt: skip
        """``POST /receipts/external/{merchant_uid}``."""
        return await self._client.issue_external_receipt(
            merchant_uid, name=name, amount=amount, identifier=identifier,
            identifier_type=identifier_type, receipt_type=receipt_type, pg=pg,
            pay_method=pay_method, tax_free=tax_free,
        )  # fmt: skip

    async def external_receipt(self, merchant_uid: str) -> ExternalReceipt:
        """``GET /receipts/external/{merchant_uid}``."""
        return await self._client.external_receipt(merchant_uid)

    async def cancel_external_receipt(self, merchant_uid: str) -> ExternalReceipt:
        """``DELETE /receipts/external/{merchant_uid}``."""
        return await self._client.cancel_external_receipt(merchant_uid)

    async def certification(self, imp_uid: str) -> Certification:
        """``GET /certifications/{imp_uid}``."""
        return await self._client.certification(imp_uid)

    async def delete_certification(self, imp_uid: str) -> Certification:
        """``DELETE /certifications/{imp_uid}``."""
        return await self._client.delete_certification(imp_uid)

    async def register_escrow(
        self, imp_uid: str, *, sender: EscrowParty, receiver: EscrowParty,
        logis: EscrowShipment, products: Sequence[EscrowProduct] | None, update: bool,
    ) -> EscrowLogis:  # fmt: skip
        """``POST`` (or, with ``update``, ``PUT``) ``/escrows/logis/{imp_uid}``."""
        call = self._client.update_escrow_logis if update else self._client.register_escrow_logis
        return await call(imp_uid, sender=sender, receiver=receiver, logis=logis,
                          products=products)  # fmt: skip

    async def escrow_logis(self, imp_uid: str) -> EscrowLogis:
        """``GET /escrows/logis/{imp_uid}``."""
        return await self._client.escrow_logis(imp_uid)
