"""Billing keys, plans and subscriptions: ``/api/customers/{customer_uid}/billing-key``,
``/api/plans``, ``/api/subscriptions``.

Card data (``POST .../billing-key``) is passed to i'mport and forgotten: it is
not stored (the Idempotency-Key fingerprint covers only its last digits), not
logged, and not repeated in any answer or error. Answers show the masked card
i'mport returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...core.money import Money
from ...core.subscriptions import Interval
from ...services.billing_port import CardData
from ...services.errors import BillingRefused, TryLater
from ...services.idempotency import Answer
from ...services.subscriptions import SubscriptionView
from ...store.billing import ChargeRecord, KeyRecord, NewPlan, PlanRecord, SubscriptionRecord
from ..auth import AUTH_RESPONSES, READ, WRITE
from ..deps import ServicesDep, SettingsDep
from ..idempotency import IdempotentDep
from ..problems import Problem, problem_responses
from ..schemas import MAX_ID
from .refused import answered

__all__ = ["router"]

router = APIRouter(
    tags=["billing"],
    responses=AUTH_RESPONSES | problem_responses(400, 404, 409, 413, 422, 502, 503),
)
INLINE_SECONDS = 8.0

CustomerUid = Annotated[
    str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:@-]+$",
              description="Your id of the billing key (one per customer and card).")
]  # fmt: skip
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PgCode = Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)?$", max_length=40)]


# -- schemas ---------------------------------------------------------------------------
class CardIn(BaseModel):
    """Card data for a billing key (sent to i'mport, never stored)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    card_number: Annotated[str, Field(pattern=r"^[0-9]{4}-?[0-9]{4}-?[0-9]{4}-?[0-9]{2,7}$")]
    expiry: Annotated[str, Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
    birth: Annotated[str, Field(pattern=r"^([0-9]{6}|[0-9]{10})$")] | None = Field(
        default=None, description="YYMMDD, or a 10-digit business number"
    )
    pwd_2digit: Annotated[str, Field(pattern=r"^[0-9]{2}$")] | None = None
    pg: PgCode | None = Field(default=None, description="The API channel's PG (default: any).")

    def card(self) -> CardData:
        return CardData(self.card_number, self.expiry, self.birth, self.pwd_2digit)

    def fingerprint(self) -> dict[str, Any]:
        """What an Idempotency-Key remembers of this request: no card data."""
        return {"pg": self.pg, "card": f"****{self.card().last4}"}


class KeyOut(BaseModel):
    """A billing key: masked card metadata only."""

    customer_uid: str
    state: str = Field(description="active or deleted")
    pg_provider: str | None
    card_name: str | None
    card_code: str | None
    card_last4: str | None
    issued_via: str = Field(description="api (card key-in) or window")
    issued_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, key: KeyRecord) -> KeyOut:
        return cls(customer_uid=key.customer_uid, state=key.state, pg_provider=key.pg_provider,
                   card_name=key.card_name, card_code=key.card_code, card_last4=key.card_last4,
                   issued_via=key.issued_via, issued_at=key.issued_at,
                   deleted_at=key.deleted_at)  # fmt: skip


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=100)] | None = None
    tel: Annotated[str, Field(max_length=100)] | None = None


class WindowIn(BaseModel):
    """A key issued through the payment window of ``pg`` (one with window issuance)."""

    model_config = ConfigDict(extra="forbid")

    pg: PgCode
    buyer: BuyerIn = Field(default_factory=BuyerIn)


class WindowOut(BaseModel):
    merchant_uid: str
    imp_code: str | None = Field(description="For `IMP.init`.")
    request_pay: dict[str, Any] = Field(
        description="`IMP.request_pay` parameters: `customer_uid`, amount 0 (key only)."
    )


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imp_uid: Annotated[str, Field(min_length=1, max_length=32)]


class CompleteOut(BaseModel):
    issuance: str = Field(description="issued, failed or open")
    billing_key: KeyOut | None


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    name: Annotated[str, Field(min_length=1, max_length=40)]
    amount: Annotated[int, Field(ge=1, le=10**12, description="In the currency's minor unit.")]
    currency: Literal["KRW"] = "KRW"
    interval_unit: Literal["day", "month"] = "month"
    interval_count: Annotated[int, Field(ge=1, le=366)] = 1
    dunning_days: Annotated[list[Annotated[int, Field(ge=1, le=90)]], Field(max_length=10)] = Field(
        default_factory=lambda: [1, 3, 7], description="Retry after these days."
    )
    billing: Literal["again", "schedule"] = Field(
        default="again",
        description="again: we charge each period; schedule: i'mport's scheduler does.",
    )

    @field_validator("dunning_days")
    @classmethod
    def _increasing(cls, days: list[int]) -> list[int]:
        if days != sorted(set(days)):
            raise ValueError("dunning_days must be strictly increasing")
        return days

    def plan(self) -> NewPlan:
        return NewPlan(self.code, self.name, Money(self.amount, self.currency),
                       Interval(self.interval_unit, self.interval_count),
                       tuple(self.dunning_days), self.billing)  # fmt: skip


class PlanOut(BaseModel):
    id: int
    code: str
    name: str
    amount: int
    currency: str
    interval_unit: str
    interval_count: int
    dunning_days: list[int]
    billing: str
    active: bool

    @classmethod
    def of(cls, plan: PlanRecord) -> PlanOut:
        return cls(id=plan.id, code=plan.code, name=plan.name, amount=plan.price.amount,
                   currency=plan.price.currency, interval_unit=plan.interval.unit,
                   interval_count=plan.interval.count, dunning_days=list(plan.dunning_days),
                   billing=plan.billing, active=plan.active)  # fmt: skip


class ChargeOut(BaseModel):
    """One attempt to charge a period, under its own merchant_uid."""

    period: int
    attempt: int
    merchant_uid: str
    amount: int
    currency: str
    via: str = Field(description="again or schedule")
    state: str = Field(description="sending, unknown, scheduled, paid, failed, void, cancelled")
    imp_uid: str | None
    fail_reason: str | None
    due_at: datetime
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, charge: ChargeRecord) -> ChargeOut:
        return cls(period=charge.period, attempt=charge.attempt,
                   merchant_uid=charge.merchant_uid, amount=charge.amount.amount,
                   currency=charge.amount.currency, via=charge.via, state=charge.state.value,
                   imp_uid=charge.imp_uid, fail_reason=charge.fail_reason, due_at=charge.due_at,
                   created_at=charge.created_at, finished_at=charge.finished_at)  # fmt: skip


class SubscriptionOut(BaseModel):
    id: int
    plan_id: int
    customer_uid: str
    status: str = Field(description="active, past_due or cancelled")
    retrying: bool = Field(description="A failed charge is being retried (dunning).")
    needs_new_card: bool = Field(description="Past due: reissue the billing key.")
    period: int = Field(description="Periods paid so far.")
    current_period_start: datetime | None
    current_period_end: datetime | None
    next_charge_at: datetime | None
    failures: int
    cancel_at_period_end: bool
    cancelled_at: datetime | None
    last_error: str | None
    created_at: datetime
    charges: list[ChargeOut] | None = None

    @classmethod
    def of(
        cls, record: SubscriptionRecord, charges: list[ChargeOut] | None = None
    ) -> SubscriptionOut:
        s = record.subscription
        return cls(
            id=record.id, plan_id=record.plan.id, customer_uid=record.customer_uid,
            status=s.status.value, retrying=s.retrying, needs_new_card=s.status == "past_due",
            period=s.period, current_period_start=s.period_start,
            current_period_end=s.period_end, next_charge_at=s.next_charge_at,
            failures=s.failures, cancel_at_period_end=s.cancel_at_period_end,
            cancelled_at=s.cancelled_at, last_error=record.last_error,
            created_at=record.created_at, charges=charges,
        )  # fmt: skip

    @classmethod
    def of_view(cls, view: SubscriptionView) -> SubscriptionOut:
        return cls.of(view.record, [ChargeOut.of(c) for c in view.charges])


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    customer_uid: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:@-]+$")]


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at_period_end: bool = Field(default=False, description="Let the paid period run out first.")


# -- billing keys ----------------------------------------------------------------------
@router.post(
    "/api/customers/{customer_uid}/billing-key",
    status_code=201,
    response_model=KeyOut,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def issue_key(
    customer_uid: CustomerUid, body: CardIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Issue the customer's billing key from card data, or reissue it with a new card.

    A subscription waiting for a new card (past due, or retrying) is charged again at once.
    """

    async def action() -> Answer:
        with _refusals():
            issued = await services.billing_keys.issue(customer_uid, body.card(), pg=body.pg)
        for key in issued.job_keys:
            await services.try_now(key, INLINE_SECONDS)
        return Answer(201, KeyOut.of(issued.key).model_dump(mode="json"))

    return await idem.once(body.fingerprint(), action)


@router.get(
    "/api/customers/{customer_uid}/billing-key",
    response_model=KeyOut,
    dependencies=[READ],
    responses=AUTH_RESPONSES,
)
async def get_key(customer_uid: CustomerUid, services: ServicesDep) -> KeyOut:
    """The customer's billing key (masked card)."""
    return KeyOut.of(await answered(services.billing_keys.key(customer_uid)))


@router.delete(
    "/api/customers/{customer_uid}/billing-key",
    response_model=KeyOut,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def delete_key(customer_uid: CustomerUid, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Delete the billing key at i'mport and here; its subscriptions then need a new card."""

    async def action() -> Answer:
        with _refusals():
            key = await answered(services.billing_keys.delete(customer_uid))
        return Answer(200, KeyOut.of(key).model_dump(mode="json"))

    return await idem.once({}, action)


@router.post("/api/customers/{customer_uid}/billing-key/window", status_code=201,
             response_model=WindowOut, dependencies=[WRITE])  # fmt: skip
async def start_window(
    customer_uid: CustomerUid, body: WindowIn, services: ServicesDep, settings: SettingsDep,
    idem: IdempotentDep,
) -> Any:  # fmt: skip
    """The `IMP.request_pay` parameters that issue the key in the payment window (amount 0).

    After the window, call `.../billing-key/window/complete` with its `imp_uid`
    (the webhook records the key too).
    """

    async def action() -> Answer:
        issue = await services.billing_keys.start_window(customer_uid)
        request_pay = {
            "pg": body.pg, "pay_method": "card", "merchant_uid": issue.merchant_uid,
            "customer_uid": customer_uid, "amount": 0, "name": "정기결제 카드 등록",
            "buyer_name": body.buyer.name, "buyer_email": body.buyer.email,
            "buyer_tel": body.buyer.tel, "notice_url": settings.notice_url(),
        }  # fmt: skip
        made = WindowOut(merchant_uid=issue.merchant_uid, imp_code=settings.imp_code,
                         request_pay={k: v for k, v in request_pay.items() if v is not None})  # fmt: skip
        return Answer(201, made.model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action)


@router.post("/api/customers/{customer_uid}/billing-key/window/complete",
             response_model=CompleteOut, dependencies=[WRITE])  # fmt: skip
async def complete_window(
    customer_uid: CustomerUid, body: CompleteIn, services: ServicesDep
) -> CompleteOut:
    """The window's result: checked with i'mport, then the key is recorded."""
    with _refusals():
        outcome, key = await services.billing_keys.complete(customer_uid, body.imp_uid)
    return CompleteOut(issuance=outcome.split(":")[-1],
                       billing_key=KeyOut.of(key) if key else None)  # fmt: skip


# -- plans -----------------------------------------------------------------------------
@router.post(
    "/api/plans",
    status_code=201,
    response_model=PlanOut,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def add_plan(body: PlanIn, services: ServicesDep, idem: IdempotentDep) -> Any:
    """A plan: what is charged how often, how failed charges are retried."""

    async def action() -> Answer:
        with _refusals():
            plan = await services.subscriptions.add_plan(body.plan())
        return Answer(201, PlanOut.of(plan).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action,
                           location=lambda made: f"/api/plans/{made['id']}")  # fmt: skip


@router.get(
    "/api/plans", response_model=list[PlanOut], dependencies=[READ], responses=AUTH_RESPONSES
)
async def list_plans(services: ServicesDep) -> list[PlanOut]:
    return [PlanOut.of(p) for p in await services.subscriptions.plans()]


@router.get(
    "/api/plans/{plan_id}", response_model=PlanOut, dependencies=[READ], responses=AUTH_RESPONSES
)
async def get_plan(plan_id: Id, services: ServicesDep) -> PlanOut:
    return PlanOut.of(await answered(services.subscriptions.plan(plan_id)))


# -- subscriptions ---------------------------------------------------------------------
@router.post(
    "/api/subscriptions",
    status_code=201,
    response_model=SubscriptionOut,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def subscribe(body: SubscribeIn, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Subscribe a customer with a billing key to a plan; the first period is charged at once."""

    async def action() -> Answer:
        with _refusals():
            view, job_key = await answered(
                services.subscriptions.subscribe(body.plan_id, body.customer_uid)
            )
        await services.try_now(job_key, INLINE_SECONDS)
        view = await services.subscriptions.view(view.record.id)
        return Answer(201, SubscriptionOut.of_view(view).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action,
                           location=lambda made: f"/api/subscriptions/{made['id']}")  # fmt: skip


@router.get(
    "/api/subscriptions",
    response_model=list[SubscriptionOut],
    dependencies=[READ],
    responses=AUTH_RESPONSES,
)
async def list_subscriptions(
    services: ServicesDep,
    customer_uid: Annotated[str | None, Query(max_length=80)] = None,
    status: Annotated[str | None, Query(pattern=r"^(active|past_due|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SubscriptionOut]:
    """Subscriptions, newest first."""
    found = await services.subscriptions.listing(customer_uid=customer_uid, status=status,
                                                 limit=limit)  # fmt: skip
    return [SubscriptionOut.of(record) for record in found]


@router.get(
    "/api/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    dependencies=[READ],
    responses=AUTH_RESPONSES,
)
async def get_subscription(subscription_id: Id, services: ServicesDep) -> SubscriptionOut:
    """One subscription with its charge history."""
    return SubscriptionOut.of_view(await answered(services.subscriptions.view(subscription_id)))


@router.get(
    "/api/subscriptions/{subscription_id}/charges",
    response_model=list[ChargeOut],
    dependencies=[READ],
    responses=AUTH_RESPONSES,
)
async def list_charges(subscription_id: Id, services: ServicesDep) -> list[ChargeOut]:
    """Every attempt to charge the subscription, oldest first."""
    view = await answered(services.subscriptions.view(subscription_id))
    return [ChargeOut.of(c) for c in view.charges]


@router.post(
    "/api/subscriptions/{subscription_id}/cancel",
    response_model=SubscriptionOut,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def cancel_subscription(
    subscription_id: Id, body: CancelIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Cancel at once, or at the end of the paid period (`at_period_end`)."""

    async def action() -> Answer:
        view = await answered(
            services.subscriptions.cancel(subscription_id, at_period_end=body.at_period_end)
        )
        return Answer(200, SubscriptionOut.of_view(view).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action)


class _refusals:
    """Billing refusals and i'mport trouble as problem documents (never with card data)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        if isinstance(error, BillingRefused):
            raise Problem(error.status, "Billing refused", error.message,
                          rule=error.rule) from None  # fmt: skip
        if isinstance(error, TryLater):
            raise Problem(503, "i'mport unavailable", "i'mport did not answer; try again.",
                          headers={"Retry-After": "5"}) from None  # fmt: skip
