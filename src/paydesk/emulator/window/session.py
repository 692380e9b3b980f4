"""Opening a payment window: the checks the SDK makes first, then a ``ready`` payment.

``admit`` applies the refusals the real platform makes before any PG window
opens (unknown merchant or tier, malformed parameters, no channel, a billing
key on a PG without window issuance, a merchant_uid already paid, an amount
that differs from the pre-registered one), so the callback gets ``imp_uid``
null for them (§7.3).  ``WindowDesk.open_payment`` then starts the payment
through the gateway and remembers the open window as a ``WindowSession``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

from ..delivery.courier import Courier
from ..delivery.outbound import Outbound
from ..gateway import Gateway, pg_rules
from ..gateway.channel_choice import choose_channel
from ..gateway.charging import check_merchant_uid
from ..gateway.errors import ApiFault
from ..gateway.merchants import Channel, Merchant
from ..gateway.params import Params
from ..gateway.records import Payment
from .pay_request import (
    BILLING_AT_ONCE_PGS,
    BILLING_WINDOW_PGS,
    PageKind,
    PayRequest,
    RequestError,
    emb_provider,
    page_kind,
    read_request,
    stored_pay_method,
)
from .reply import ErrorCodes, Failure

__all__ = ["Admission", "WindowDesk", "WindowSession", "admit", "is_mobile", "window_merchant"]

Mode = Literal["modal", "popup", "redirect"]
ALREADY_PAID = "이미 결제가 이루어진 거래건입니다."
_MOBILE = re.compile(r"Mobi|Android|iPhone|iPad|iPod", re.IGNORECASE)
_SESSION_LIMIT = 500
_SID = re.compile(r"win_[A-Za-z0-9_-]{16,64}")


def is_mobile(user_agent: str | None) -> bool:
    """Whether the buyer's browser counts as mobile (the ``channel`` of the payment)."""
    return bool(user_agent and _MOBILE.search(user_agent))


@dataclass(frozen=True, slots=True)
class Admission:
    """A request the platform lets through to the PG window."""

    merchant: Merchant
    channel: Channel
    request: PayRequest


@dataclass(slots=True)
class WindowSession:
    """One open window (payment or certification) and how to answer its page."""

    sid: str
    kind: Literal["pay", "certification"]
    merchant: Merchant
    mode: Mode
    opener_origin: str
    channel: Channel
    params: dict[str, Any]
    request: PayRequest | None = None
    imp_uid: str | None = None
    page: PageKind | Literal["certification"] = "card"
    rsp: dict[str, Any] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def m_redirect_url(self) -> str | None:
        """Where the redirect flow sends the browser back (None: use the callback)."""
        value = self.params.get("m_redirect_url")
        return str(value) if value else None


def _channel(merchant: Merchant, request: PayRequest) -> Channel:
    picked = Params({"channel_key": request.channel_key, "pg": request.pg})
    try:
        return choose_channel(merchant, picked, ("payment",))
    except ApiFault as fault:
        raise RequestError(fault.message) from None


def window_merchant(gateway: Gateway, imp_code: str, tier: str | None) -> Merchant | Failure:
    """The merchant a window opens for (``IMP.init(code)``), or as its sub-merchant
    (``IMP.agency(code, tier)``: the tier's own books); or why the SDK refuses it."""
    merchant = gateway.merchants.get(imp_code or "")
    if merchant is None:
        return Failure(ErrorCodes.BAD_REQUEST, f"등록되지 않은 가맹점 식별코드입니다. ({imp_code})")
    if not tier:
        return merchant
    acting = merchant.as_tier(tier)
    if acting is None:
        return Failure(ErrorCodes.BAD_REQUEST, f"등록되지 않은 하위가맹점(tier)입니다. ({tier})")
    return acting


def admit(
    gateway: Gateway, imp_code: str, tier: str | None, params: dict[str, Any]
) -> Admission | Failure:
    """Let a ``request_pay`` through, or say why the SDK refuses it."""
    merchant = window_merchant(gateway, imp_code, tier)
    if isinstance(merchant, Failure):
        return merchant
    try:
        request = read_request(params)
        channel = _channel(merchant, request)
    except RequestError as error:
        return Failure(ErrorCodes.BAD_REQUEST, error.message)
    if request.tax_free > request.amount:
        return Failure(ErrorCodes.BAD_REQUEST, "면세금액(tax_free)이 결제금액보다 큽니다.")
    if request.customer_uid and channel.pg_provider not in BILLING_WINDOW_PGS:
        return Failure(
            ErrorCodes.NO_CHANNEL,
            f"{channel.pg_provider}는 결제창을 통한 빌링키 발급을 지원하지 않습니다.",
        )
    if gateway.has_paid_attempt(merchant, request.merchant_uid):
        return Failure(ErrorCodes.ALREADY_PAID, ALREADY_PAID)
    try:
        check_merchant_uid(
            gateway, merchant, request.merchant_uid, request.amount, request.currency
        )
    except ApiFault as fault:
        return Failure(ErrorCodes.PREPARE_MISMATCH, fault.message)
    return Admission(merchant, channel, request)


def charged_amount(request: PayRequest, pg: str) -> int | float:
    """What the window will charge: a key-only issuance charges nothing (§9.2)."""
    if request.customer_uid and pg not in BILLING_AT_ONCE_PGS:
        return 0
    return request.amount


class WindowDesk:
    """The open windows of one emulator, and the collaborators their pages need."""

    def __init__(self, gateway: Gateway, courier: Courier, outbound: Outbound) -> None:
        self.gateway = gateway
        self.courier = courier
        self.outbound = outbound
        self.sessions: OrderedDict[str, WindowSession] = OrderedDict()

    def find(self, sid: str) -> WindowSession | None:
        """The open (or recently finished) window ``sid``."""
        return self.sessions.get(sid)

    def remember(self, session: WindowSession) -> WindowSession:
        """Keep ``session`` (the oldest are forgotten past a few hundred)."""
        self.sessions[session.sid] = session
        while len(self.sessions) > _SESSION_LIMIT:
            self.sessions.popitem(last=False)
        return session

    def new_sid(self, proposed: str | None = None) -> str:
        """A fresh session id; the SDK proposes one so it can report a closed popup."""
        if proposed and _SID.fullmatch(proposed) and proposed not in self.sessions:
            return proposed
        return "win_" + secrets.token_urlsafe(12)

    def open_payment(
        self,
        admission: Admission,
        *,
        mode: Mode,
        opener_origin: str,
        user_agent: str | None,
        sid: str | None = None,
    ) -> WindowSession:
        """Start the payment (``ready``) and hold its webhooks while the window is open."""
        request, channel = admission.request, admission.channel
        pg = channel.pg_provider
        payment = self.gateway.start_payment(
            admission.merchant,
            channel,
            merchant_uid=request.merchant_uid,
            amount=charged_amount(request, pg),
            pay_method=stored_pay_method(pg, request.pay_method),
            origin="mobile" if mode == "redirect" or is_mobile(user_agent) else "pc",
            uses_webhook=bool(request.notice_urls or admission.merchant.webhook_url),
            **_payment_fields(request, pg, user_agent),
        )
        self.courier.hold(payment.imp_uid)
        return self.remember(
            WindowSession(
                sid=self.new_sid(sid),
                kind="pay",
                merchant=admission.merchant,
                mode=mode,
                opener_origin=opener_origin,
                channel=channel,
                params=request.raw,
                request=request,
                imp_uid=payment.imp_uid,
                page=page_kind(pg, request.pay_method),
            )
        )

    def payment(self, session: WindowSession) -> Payment | None:
        """The session's payment (None after a gateway reset)."""
        if session.imp_uid is None:
            return None
        return self.gateway.find_payment(session.merchant, session.imp_uid)


def _payment_fields(request: PayRequest, pg: str, user_agent: str | None) -> dict[str, Any]:
    return {
        "name": request.name,
        "currency": request.currency,
        **request.buyer,
        "custom_data": request.custom_data_text,
        "tax_free": request.tax_free,
        "vat_amount": request.vat_amount,
        "vat_explicit": request.vat_amount is not None,
        "notice_urls": list(request.notice_urls),
        "confirm_url": request.confirm_url,
        "m_redirect_url": request.m_redirect_url,
        "escrow": request.escrow and pg_rules.supports(pg, "escrow"),  # needs a PG contract
        "emb_pg_provider": emb_provider(pg, request.pay_method),
        "customer_uid": request.customer_uid,
        "customer_uid_usage": "issue" if request.customer_uid else None,
        "user_agent": user_agent,
    }
