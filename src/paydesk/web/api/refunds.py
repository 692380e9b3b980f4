"""Refunds through the API: ask for one, follow it, give a waiting refund its account or phone.

``POST /api/orders/{order_id}/refunds`` checks the amount against the local
refundable balance and the PG's rules *before* anything is sent (a refusal is
a problem document naming the rule), records the refund, and tries it at once;
the answer says where it stands (``succeeded``, or ``requested``/``unknown``
while the worker keeps at it, ``needs_refund_account``, ``needs_refund_tel``,
``failed``). With an ``Idempotency-Key`` the same request is answered the same refund.

``refund_tel`` (the holder's phone) goes with a refund account, or on its own where
the PG needs it without one: old smartro's cancels of every pay method (a card's
included). A refund that waits for it (``needs_refund_tel``) gets it from
``POST /api/refunds/{id}/tel``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from fastapi import APIRouter, Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ...core.money import Money
from ...core.pg_rules import REFUND_TEL_PATTERN, domestic_tel
from ...services.errors import RefundRefused
from ...services.idempotency import Answer
from ...services.refunds import RefundAsk, RefundView
from ...store.ledger_records import AttemptRecord, RefundAccount
from ..auth import AUTH_RESPONSES, READ, REFUND
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..problems import Problem, problem_responses
from ..schemas import MAX_ID
from .inputs import NO_NUL
from .refused import answered

__all__ = ["AccountIn", "RefundIn", "RefundOut", "TelIn", "router"]

router = APIRouter(tags=["refunds"],
                   responses=AUTH_RESPONSES | problem_responses(400, 404, 422))  # fmt: skip
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Amount = Annotated[int, Field(ge=1, le=10**12)]
Part = Annotated[int, Field(ge=0, le=10**12)]
Tel = Annotated[str, BeforeValidator(lambda v: domestic_tel(v) if isinstance(v, str) else v),
                Field(pattern=REFUND_TEL_PATTERN, max_length=14,
                      description="The refund holder's phone: digits, hyphens optional "
                      "(010-1234-5678); +82 is taken as the leading 0.")]  # fmt: skip
INLINE_SECONDS = 8.0


class AccountIn(BaseModel):
    """The buyer's account a virtual account's refund is paid into."""

    model_config = ConfigDict(extra="forbid")

    refund_holder: Annotated[str, Field(min_length=1, max_length=16, pattern=NO_NUL)]
    refund_bank: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{2,4}$")]
    refund_account: Annotated[str, Field(pattern=r"^[0-9-]{6,20}$")]
    refund_tel: Tel | None = None

    def account(self) -> RefundAccount:
        return RefundAccount(self.refund_holder, self.refund_bank,
                             self.refund_account.replace("-", ""), self.refund_tel)  # fmt: skip


class RefundIn(BaseModel):
    """A refund request; omit ``amount`` for everything that is left."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=256, pattern=NO_NUL)]
    amount: Amount | None = None
    tax_free: Part | None = None
    vat_amount: Part | None = None
    refund_holder: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    refund_bank: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{2,4}$")] | None = None
    refund_account: Annotated[str, Field(pattern=r"^[0-9-]{6,20}$")] | None = None
    refund_tel: Tel | None = Field(default=None, description="The refund holder's phone, "
                                   "with the account or on its own where the PG needs it "
                                   "(old smartro: every cancel).")  # fmt: skip

    @model_validator(mode="after")
    def _account_whole(self) -> Self:
        given = [self.refund_holder, self.refund_bank, self.refund_account]
        if any(given) and not all(given):
            raise ValueError("refund_holder, refund_bank and refund_account go together")
        return self

    def ask(self, currency: str, requested_by: str | None) -> RefundAsk:
        def money(value: int | None) -> Money | None:
            return None if value is None else Money(value, currency)

        account = None
        if self.refund_holder and self.refund_bank and self.refund_account:
            account = AccountIn(refund_holder=self.refund_holder, refund_bank=self.refund_bank,
                                refund_account=self.refund_account,
                                refund_tel=self.refund_tel).account()  # fmt: skip
        return RefundAsk(self.reason, money(self.amount), money(self.tax_free),
                         money(self.vat_amount), account, requested_by,
                         tel=self.refund_tel)  # fmt: skip


class TelIn(BaseModel):
    """The holder's phone of a refund waiting for it (``needs_refund_tel``)."""

    model_config = ConfigDict(extra="forbid")

    refund_tel: Tel


class AttemptOut(BaseModel):
    """One cancel sent to i'mport, and what its answer meant."""

    number: int
    amount: int
    checksum: int
    classification: str | None = Field(
        description="succeeded, rejected-permanent, rejected-retryable, needs-input, "
        "not-sent or unknown; null while the answer is awaited"
    )
    error: str | None
    request: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, attempt: AttemptRecord) -> AttemptOut:
        return cls(number=attempt.number, amount=attempt.amount.amount,
                   checksum=attempt.checksum.amount, classification=attempt.classification,
                   error=attempt.error, request=attempt.request, started_at=attempt.started_at,
                   finished_at=attempt.finished_at)  # fmt: skip


class RefundOut(BaseModel):
    """A refund: ours (auto, merchant) or seen at i'mport (external), with its attempts."""

    id: int
    order_id: int | None
    imp_uid: str
    amount: int
    currency: str
    reason: str
    state: str = Field(
        description="requested, sending, unknown, needs_refund_account, needs_refund_tel, "
        "succeeded or failed"
    )
    origin: str | None
    cancellation_id: str | None
    last_error: str | None
    tax_free: int | None
    vat_amount: int | None
    refund_account: str | None = Field(description="Masked; kept only until the refund is final.")
    attempts: list[AttemptOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: RefundView) -> RefundOut:
        refund = view.refund
        masked = f"***{refund.account.account[-3:]}" if refund.account else None
        return cls(
            id=refund.id, order_id=refund.order_id, imp_uid=refund.imp_uid,
            amount=refund.amount.amount, currency=refund.amount.currency, reason=refund.reason,
            state=refund.state, origin=refund.origin, cancellation_id=refund.cancellation_id,
            last_error=refund.last_error,
            tax_free=refund.tax_free.amount if refund.tax_free else None,
            vat_amount=refund.vat_amount.amount if refund.vat_amount else None,
            refund_account=masked, attempts=[AttemptOut.of(a) for a in view.attempts],
            created_at=refund.created_at, updated_at=refund.updated_at,
        )  # fmt: skip


@router.post("/api/orders/{order_id}/refunds", status_code=201, response_model=RefundOut,
             dependencies=[REFUND], responses=problem_responses(409, 413))  # fmt: skip
async def ask_refund(
    order_id: Id, body: RefundIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Refund a paid order, fully or partly; tried at once, then by the worker until settled."""

    async def action() -> Answer:
        record = (await answered(services.lookups.order(order_id=order_id))).record
        currency = record.order.paid.currency
        with _refusals():
            view = await services.refunds.ask(order_id, body.ask(currency, idem.token))
        if view.job_key:
            await services.try_now(view.job_key, INLINE_SECONDS)
        view = await services.refunds.view(view.refund.id)
        return Answer(201, RefundOut.of(view).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action,
                           location=lambda made: f"/api/refunds/{made['id']}")  # fmt: skip


@router.get("/api/orders/{order_id}/refunds", response_model=list[RefundOut],
            dependencies=[READ])  # fmt: skip
async def list_refunds(order_id: Id, services: ServicesDep) -> list[RefundOut]:
    """Every refund of the order (ours and those seen at i'mport) with their attempts."""
    views = await answered(services.refunds.of_order(order_id))
    return [RefundOut.of(view) for view in views]


@router.get("/api/refunds/{refund_id}", response_model=RefundOut, dependencies=[READ])
async def get_refund(refund_id: Id, services: ServicesDep) -> RefundOut:
    """One refund with its attempts."""
    return RefundOut.of(await answered(services.refunds.view(refund_id)))


@router.post("/api/refunds/{refund_id}/account", response_model=RefundOut,
             dependencies=[REFUND], responses=problem_responses(409, 413))  # fmt: skip
async def supply_account(
    refund_id: Id, body: AccountIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Give a refund waiting for a refund account (``needs_refund_account``) its account; it runs again."""

    async def action() -> Answer:
        with _refusals():
            view = await answered(services.refunds.supply_account(refund_id, body.account()))
        if view.job_key:
            await services.try_now(view.job_key, INLINE_SECONDS)
        view = await services.refunds.view(refund_id)
        return Answer(200, RefundOut.of(view).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action)


@router.post("/api/refunds/{refund_id}/tel", response_model=RefundOut,
             dependencies=[REFUND], responses=problem_responses(409, 413))  # fmt: skip
async def supply_tel(refund_id: Id, body: TelIn, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Give a refund waiting for the holder's phone (``needs_refund_tel``) the phone; it runs again."""

    async def action() -> Answer:
        with _refusals():
            view = await answered(services.refunds.supply_tel(refund_id, body.refund_tel))
        if view.job_key:
            await services.try_now(view.job_key, INLINE_SECONDS)
        view = await services.refunds.view(refund_id)
        return Answer(200, RefundOut.of(view).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action)


class _refusals:
    """A refused refund as a problem document naming the rule."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        if isinstance(error, RefundRefused):
            headers = {}
            if error.retry_after is not None:
                headers["Retry-After"] = str(int(error.retry_after.total_seconds()))
            raise Problem(error.status, "Refund refused", error.message, headers=headers,
                          rule=error.rule) from error  # fmt: skip
