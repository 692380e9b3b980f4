"""Everything the emulated gateway remembers, and how it is saved to ``--state FILE``.

State is one pydantic model so that saving and loading is a dump and a
validate; the merchant_uid index is derived and rebuilt on load.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr

from .records import (
    BillingKey,
    Certification,
    ConfirmRecord,
    Escrow,
    ExternalReceipt,
    Payment,
    Prepared,
    Receipt,
    Schedule,
    Token,
    WebhookRecord,
)

__all__ = ["GatewayState", "Ledger", "load_state", "save_state"]


class Ledger(BaseModel):
    """One merchant's books."""

    payments: dict[str, Payment] = Field(default_factory=dict)
    prepared: dict[str, Prepared] = Field(default_factory=dict)
    billing_keys: dict[str, BillingKey] = Field(default_factory=dict)
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    receipts: dict[str, Receipt] = Field(default_factory=dict)
    external_receipts: dict[str, ExternalReceipt] = Field(default_factory=dict)
    certifications: dict[str, Certification] = Field(default_factory=dict)
    escrows: dict[str, Escrow] = Field(default_factory=dict)
    _by_merchant_uid: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: object) -> None:
        for payment in self.payments.values():
            self._by_merchant_uid.setdefault(payment.merchant_uid, []).append(payment.imp_uid)

    def add_payment(self, payment: Payment) -> None:
        self.payments[payment.imp_uid] = payment
        self._by_merchant_uid.setdefault(payment.merchant_uid, []).append(payment.imp_uid)

    def by_merchant_uid(self, merchant_uid: str) -> list[Payment]:
        """Every payment attempt made under one merchant_uid, oldest first."""
        return [self.payments[i] for i in self._by_merchant_uid.get(merchant_uid, [])]


class GatewayState(BaseModel):
    ledgers: dict[str, Ledger] = Field(default_factory=dict)
    tokens: dict[str, Token] = Field(default_factory=dict)
    webhooks: list[WebhookRecord] = Field(default_factory=list)
    confirms: list[ConfirmRecord] = Field(default_factory=list)
    clock_offset: float = 0.0
    sequence: int = 0

    def ledger(self, imp_code: str) -> Ledger:
        return self.ledgers.setdefault(imp_code, Ledger())


def load_state(path: Path) -> GatewayState:
    if not path.exists() or path.stat().st_size == 0:
        return GatewayState()
    return GatewayState.model_validate_json(path.read_text(encoding="utf-8"))


def save_state(state: GatewayState, path: Path) -> None:
    """Write atomically: a crash mid-write never leaves a torn state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(state.model_dump(mode="json"), ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
