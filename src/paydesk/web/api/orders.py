"""``/api/orders``: place an order (priced here, amount registered with i'mport), look one up.

The answer to ``POST`` carries everything the shop page passes to
``IMP.request_pay``: the server-side amount, the merchant_uid made for this
order, and our ``confirm_url``, ``notice_url`` and ``m_redirect_url``. The
buyer chooses products and quantities; never the price.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from ...core.errors import AmountOutOfRange
from ...core.money import CurrencyMismatch
from ...core.orders import MAX_ORDER_AMOUNT, OrderStatus, UnknownProduct
from ...core.stock import Line
from ...services.container import Services
from ...services.iamport_port import wire_amount
from ...services.idempotency import Answer
from ...services.lookups import Lookups, NotOnRecord, OrderView
from ...services.ordering import OrderDesk, OrderRequest, PlacedOrder, RegistrationFailed
from ...services.refusals import Refused
from ...services.virtual_accounts import VbankRefused, VirtualAccounts
from ...settings import Settings
from ...store.orders import OrderQuery
from ..auth import AUTH_RESPONSES, READ, WRITE
from ..confirm_guard import ConfirmGuard
from ..deps import ConfirmGuardDep, ServicesDep, SettingsDep
from ..idempotency import IdempotentDep
from ..problems import Problem, problem_responses
from ..schemas import OrderDetail, OrderPageOut
from .inputs import MAX_ID, NO_NUL, IsoDateTime, JsonBool, JsonInt, RowId

__all__ = ["OrderIn", "OrderPlaced", "RequestPay", "router", "vbank_due"]

_KST = timezone(timedelta(hours=9))


def _number(value: int | Decimal) -> int | float:
    """JSON number for the browser SDK (cents become a decimal fraction only here)."""
    return value if isinstance(value, int) else float(value)


WireAmount = Annotated[int | Decimal, PlainSerializer(_number, when_used="json")]
Text = Annotated[str, Field(max_length=100, pattern=NO_NUL)]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: JsonInt = Field(ge=1, le=MAX_ID)
    quantity: JsonInt = Field(ge=1, le=10_000)


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    email: Text | None = None
    tel: Text | None = None
    addr: Annotated[str, Field(max_length=200, pattern=NO_NUL)] | None = None
    postcode: Annotated[str, Field(max_length=10, pattern=NO_NUL)] | None = None


class OrderIn(BaseModel):
    """What the buyer wants; the amount is computed by the server."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn] = Field(min_length=1, max_length=100)
    buyer: BuyerIn = Field(default_factory=BuyerIn)
    pay_method: Annotated[str, Field(pattern=r"^[a-z_]{2,20}$")] = "card"
    pg: Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)?$", max_length=40)] | None = (
        None
    )
    customer_ref: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:@-]{1,64}$")] | None = Field(
        default=None,
        description="The shop's id of the customer; needed (verified) for age-gated products.",
    )
    language: Literal["ko", "en", "zh"] | None = Field(
        default=None, description="The payment window's language (PG dependent)."
    )
    vbank_due: IsoDateTime | None = Field(
        default=None,
        description="`pay_method: vbank`: the deposit deadline (ISO 8601 with a time zone; "
        "default `PAYDESK_VBANK_DUE_SECONDS` from now).",
    )
    escrow: JsonBool = Field(
        default=False,
        description="An escrow (구매안전) payment: `request_pay` carries `escrow: true`. Only on "
        "a PG with escrow (`pg` required) and for `card`, `trans` or `vbank`; refused otherwise "
        "(`rule`: `pg_without_escrow`, `escrow_pay_method`). A payment whose `escrow` differs "
        "from the order's is flagged and refunded, like a wrong amount.",
    )


class RequestPay(BaseModel):
    """The parameters of ``IMP.request_pay`` for this order."""

    pg: str | None
    pay_method: str
    merchant_uid: str
    name: str
    amount: WireAmount = Field(description="In major units (won), as i'mport expects.")
    currency: str
    buyer_name: str | None
    buyer_email: str | None
    buyer_tel: str | None
    buyer_addr: str | None
    buyer_postcode: str | None
    confirm_url: str
    notice_url: str
    m_redirect_url: str
    tax_free: WireAmount | None = Field(
        default=None, description="The tax-free part (the order's tax-free products)."
    )
    vat_amount: WireAmount | None = Field(
        default=None, description="Explicit VAT (`PAYDESK_EXPLICIT_VAT`, PGs that take one)."
    )
    display: Display | None = Field(
        default=None, description="`display.card_quota`: installment months the window offers."
    )
    app_scheme: str | None = Field(default=None, description="The merchant app's URL scheme.")
    language: str | None = None
    vbank_due: str | None = Field(
        default=None, description="A virtual account's deposit deadline, `YYYYMMDDHHmmss` KST."
    )
    escrow: bool | None = Field(
        default=None, description="`true` for an escrow (구매안전) payment; absent otherwise."
    )

    def wire(self) -> dict[str, Any]:
        """As JSON, the card options only when set: ``IMP.request_pay`` takes it as is."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if not (k in _OPTIONS and v is None)}


_OPTIONS = frozenset(
    {"tax_free", "vat_amount", "display", "app_scheme", "language", "vbank_due", "escrow"}
)


def vbank_due(
    vbanks: VirtualAccounts, pay_method: str | None, asked: datetime | None
) -> str | None:
    """``request_pay.vbank_due`` of a virtual-account order (None for other methods).

    The deadline is decided here, as for a REST issuance, instead of left to the
    PG's default. Raises ``Problem`` (422) for a deadline out of range or not
    for a virtual account.
    """
    if pay_method != "vbank":
        if asked is not None:
            raise Problem(422, "Invalid request",
                          "`vbank_due` is for virtual accounts (`pay_method: vbank`).")  # fmt: skip
        return None
    if asked is not None and asked.tzinfo is None:
        raise Problem(422, "Invalid request", "`vbank_due` needs a time zone.")
    try:
        due = vbanks.deadline(asked)
    except VbankRefused as refused:
        raise Problem(422, "Invalid request", refused.message, rule=refused.rule) from refused
    return due.astimezone(_KST).strftime("%Y%m%d%H%M%S")


class Display(BaseModel):
    """``display`` of ``IMP.request_pay``: ``[]`` lump sum only, ``[2, 3]`` or 2 or 3 months."""

    card_quota: list[int]


class OrderPlaced(BaseModel):
    """The new order, and how to open the payment window for it."""

    order: OrderDetail
    imp_code: str | None = Field(description="For `IMP.init`.")
    request_pay: RequestPay


def _request_pay(
    placed: PlacedOrder, body: OrderIn, settings: Settings, guard: ConfirmGuard, due: str | None
) -> RequestPay:
    base = settings.public_base_url.rstrip("/")
    buyer = body.buyer
    taxes, quota = placed.taxes, placed.card_quota
    card = body.pay_method == "card"
    return RequestPay(
        pg=body.pg, pay_method=body.pay_method, merchant_uid=placed.merchant_uid,
        name=placed.name, amount=wire_amount(placed.amount), currency=placed.amount.currency,
        buyer_name=buyer.name, buyer_email=buyer.email, buyer_tel=buyer.tel,
        buyer_addr=buyer.addr, buyer_postcode=buyer.postcode,
        confirm_url=guard.url_for(placed.merchant_uid), notice_url=settings.notice_url(),
        m_redirect_url=f"{base}/iamport/complete",
        tax_free=None if taxes.tax_free is None else wire_amount(taxes.tax_free),
        vat_amount=None if taxes.vat_amount is None else wire_amount(taxes.vat_amount),
        display=Display(card_quota=list(quota)) if card and quota is not None else None,
        app_scheme=settings.app_scheme, language=body.language, vbank_due=due,
        escrow=True if placed.escrow else None,
    )  # fmt: skip


router = APIRouter(prefix="/api/orders", tags=["orders"],
                   responses=AUTH_RESPONSES | problem_responses(400, 422))  # fmt: skip


@router.post("", status_code=201, response_model=OrderPlaced, dependencies=[WRITE],
             responses=problem_responses(409, 413, 502))  # fmt: skip
async def place_order(
    body: OrderIn,
    services: ServicesDep,
    settings: SettingsDep,
    guard: ConfirmGuardDep,
    idem: IdempotentDep,
) -> Any:
    """Place an order: priced from the catalog, amount registered with i'mport.

    With an `Idempotency-Key`, placing it again returns the same order and
    registers its amount once.
    """
    due = vbank_due(services.vbanks, body.pay_method, body.vbank_due)
    request = OrderRequest(
        [Line(item.product_id, item.quantity) for item in body.items],
        {k: v for k, v in body.buyer.model_dump().items() if v is not None},
        body.pay_method, body.pg, body.customer_ref, body.escrow,
    )  # fmt: skip

    async def action() -> Answer:
        placed = await _place(services.orders, request, idem.token)
        view = await services.lookups.order(order_id=placed.id)
        request_pay = _request_pay(placed, body, settings, guard, due)
        made = OrderPlaced(order=OrderDetail.of_view(view), imp_code=settings.imp_code,
                           request_pay=request_pay)  # fmt: skip
        return Answer(201, {**made.model_dump(mode="json"), "request_pay": request_pay.wire()})

    return await idem.once(body.model_dump(mode="json"), action,
                           location=lambda made: f"/api/orders/{made['order']['id']}")  # fmt: skip


@router.get("", response_model=OrderPageOut, dependencies=[READ])
async def list_orders(
    services: ServicesDep,
    status: Annotated[
        str | None, Query(pattern=f"^({'|'.join(s.value for s in OrderStatus)})$")
    ] = None,
    pay_method: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    pg: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    since: Annotated[IsoDateTime | None, Query(description="Placed at or after.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Placed before.")] = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="The `next_before` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrderPageOut:
    """Orders matching every filter given, newest first, a page at a time.

    Pages are keyed by id, so orders placed during a walk never shift one.
    """
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Problem(422, "Invalid request", f"`{name}` needs a time zone.")
    query = OrderQuery(status=status, pay_method=pay_method, pg=pg, since=since, until=until,
                       before=before, limit=limit)  # fmt: skip
    return OrderPageOut.of(await services.lookups.orders(query), limit)


@router.get("/by-merchant-uid/{merchant_uid}", response_model=OrderDetail, dependencies=[READ],
            responses=problem_responses(404))  # fmt: skip
async def order_by_merchant_uid(
    merchant_uid: Annotated[str, Path(pattern=NO_NUL)], services: ServicesDep
) -> OrderDetail:
    """One order by its merchant_uid, with its payments and refunds."""
    view = await _found(services.lookups, merchant_uid=merchant_uid)
    return OrderDetail.of_view(view, await _bank_names(services, view))


@router.get("/{order_id}", response_model=OrderDetail, dependencies=[READ],
            responses=problem_responses(404))  # fmt: skip
async def order_by_id(order_id: RowId, services: ServicesDep) -> OrderDetail:
    """One order by id, with its payments and refunds."""
    view = await _found(services.lookups, order_id=order_id)
    return OrderDetail.of_view(view, await _bank_names(services, view))


async def _bank_names(services: Services, view: OrderView) -> dict[str, str]:
    """Bank names of the order's transfers and virtual accounts, from i'mport's code table."""
    codes = [p.bank_code or (p.vbank.bank_code if p.vbank else None) for p in view.payments]
    return await services.vbanks.bank_names(codes)


async def _place(desk: OrderDesk, request: OrderRequest, key: str | None) -> PlacedOrder:
    try:
        return await desk.place(request, key=key)
    except UnknownProduct as exc:
        raise Problem(422, "Unknown product", str(exc)) from exc
    except AmountOutOfRange as exc:
        raise Problem(422, "Order amount out of range",
                      f"An order must cost between 1 and {MAX_ORDER_AMOUNT} (smallest unit): "
                      f"{exc}.") from exc  # fmt: skip
    except CurrencyMismatch as exc:
        raise Problem(
            422, "Mixed currencies", "All products of an order need one currency."
        ) from exc
    except Refused as exc:
        raise Problem(exc.status, "Order refused", exc.message, rule=exc.rule) from exc
    except RegistrationFailed as exc:
        raise Problem(502, "Amount registration failed",
                      "i'mport could not be told the amount; try again.") from exc  # fmt: skip


async def _found(lookups: Lookups, **key: Any) -> OrderView:
    try:
        return await lookups.order(**key)
    except NotOnRecord as exc:
        raise Problem(404, "Order not found", f"No order {exc.args[0]}.") from exc
