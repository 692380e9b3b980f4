"""The emulated PG charge: one card charge, whichever door the payment came through.

Key-in (``onetime``), billing-key (``again``), scheduled charges and, later,
the payment window all end in ``charge_card``: open the payment, let the test
card decide the PG's answer (``cards.card_profile``), approve or fail it
through the ``Gateway``.  Billing keys are issued here too, because issuing
one is the same card authentication.  The decisions (card validity, expiry,
tax split, merchant_uid rules) are plain functions; the rest is a thin shell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .cards import TEST_CARDS, card_profile, mask_card, normalize_card
from .errors import ApiFault, Messages
from .gateway import Gateway
from .merchants import Channel, Merchant
from .params import Amount, Params, custom_data_text
from .records import BillingKey, Payment

__all__ = [
    "ISSUER_PGS",
    "VAT_PGS",
    "CardInput",
    "CardRejected",
    "Decision",
    "charge_card",
    "check_merchant_uid",
    "decide",
    "expiry_passed",
    "find_key",
    "hangs",
    "issue_billing_key",
    "issuer_fields",
    "key_channel",
    "pick_api_channel",
    "read_card",
    "read_custom_data",
    "tax_split",
]

KST = timezone(timedelta(hours=9))
INVALID_CARD_DETAIL = "[F112]" + Messages.INVALID_CARD + " (card_bin 없음)"
EXPIRED_REASON = "[PG 거절] 유효기간이 경과한 카드입니다"
# PGs that honour an explicit ``vat_amount`` (reference §2.5 "only:" lists).
VAT_PGS: dict[str, frozenset[str]] = {
    "onetime": frozenset({"nice", "html5_inicis", "nice_v2", "welcome"}),
    "again": frozenset({"nice", "html5_inicis", "nice_v2", "welcome", "tosspay_v2"}),
}
# PGs that report the card's issuer and publisher separately (reference §3).
ISSUER_PGS = frozenset(
    "tosspayments ksnet paypal_v2 smartro_v2 nice_v2 toss_brandpay welcome tosspay_v2".split()
)
_EXPIRY = re.compile(r"^(\d{4})-?(\d{2})$")


class CardRejected(Exception):
    """The PG refused to authenticate the card: no payment, no key."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CardInput:
    """Card data as a merchant sends it for key-in payments and key issuance."""

    number: str
    expiry_year: int
    expiry_month: int
    birth: str | None = None
    pwd_2digit: str | None = None
    cvc: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the emulated PG answers for one charge."""

    outcome: str
    card_fields: dict[str, Any]
    fail_reason: str | None = None

    @property
    def approved(self) -> bool:
        return self.outcome in ("approve", "hang")


# -- pure decisions ------------------------------------------------------------
def read_card(params: Params) -> CardInput:
    """``card_number`` (with or without dashes) and ``expiry`` (``YYYY-MM``) from a request."""
    number = normalize_card(params.need_text("card_number"))
    match = _EXPIRY.match(params.need_text("expiry").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise params.fail(Messages.invalid("expiry", "YYYY-MM"))
    return CardInput(
        number=number,
        expiry_year=int(match.group(1)),
        expiry_month=int(match.group(2)),
        birth=params.text("birth"),
        pwd_2digit=params.text("pwd_2digit"),
        cvc=params.text("cvc"),
    )


def expiry_passed(card: CardInput, now: int) -> bool:
    """A card is valid through the last day of its expiry month, Korean time."""
    today = datetime.fromtimestamp(now, KST)
    return (today.year, today.month) > (card.expiry_year, card.expiry_month)


def _reason_for(outcome: str) -> str | None:
    return next((p.fail_reason for p in TEST_CARDS.values() if p.outcome == outcome), None)


def decide(card: CardInput | BillingKey, now: int) -> Decision:
    """The PG's answer for ``card``; raises ``CardRejected`` for an invalid number."""
    if isinstance(card, BillingKey):
        fields = {
            "card_code": card.card_code,
            "card_name": card.card_name,
            "card_type": card.card_type,
            "card_number": card.card_number,
        }
        return Decision(card.card_outcome, fields, _reason_for(card.card_outcome))
    profile = card_profile(card.number)
    if profile is None:
        raise CardRejected(INVALID_CARD_DETAIL)
    fields = {
        "card_code": profile.card_code,
        "card_name": profile.card_name,
        "card_type": profile.card_type,
        "card_number": mask_card(card.number),
    }
    if expiry_passed(card, now):
        return Decision("expired", fields, EXPIRED_REASON)
    return Decision(profile.outcome, fields, profile.fail_reason)


def hangs(card: CardInput | BillingKey, now: int) -> bool:
    """Whether the PG withholds its answer for this card (the charge still commits)."""
    try:
        return decide(card, now).outcome == "hang"
    except CardRejected:
        return False


def tax_split(
    pg: str, operation: str, amount: Amount, tax_free: Amount | None, vat_amount: Amount | None
) -> tuple[Amount, Amount | None]:
    """``(tax_free, vat_amount)`` to store; ``vat_amount`` None means "1/11 of the taxable part".

    An explicit VAT counts only for the PGs that honour it.  Raises ``ValueError``
    with the refusal message when the split does not fit the amount.
    """
    free = tax_free or 0
    if free > amount:
        raise ValueError(Messages.invalid("tax_free", "결제금액 이하"))
    if vat_amount is None or pg not in VAT_PGS[operation]:
        return free, None
    if vat_amount > amount - free:
        raise ValueError(Messages.invalid("vat_amount", "과세금액 이하"))
    if pg == "welcome" and vat_amount * 10 > amount:
        raise ValueError(Messages.invalid("vat_amount", "welcome: 결제금액의 10% 이하"))
    return free, vat_amount


def read_custom_data(params: Params) -> str | None:
    """``custom_data``: objects are stored as a JSON string, as i'mport does."""
    value = params.raw("custom_data")
    return custom_data_text(value if isinstance(value, dict | list | str | None) else str(value))


# -- lookups ---------------------------------------------------------------------
def pick_api_channel(merchant: Merchant, pg: str | None, channel_key: str | None) -> Channel:
    """The API (non-authenticated) channel to charge on, by ``channel_key`` or ``pg``."""
    if channel_key:
        channel = merchant.channel(channel_key)
        if channel is None:
            raise ApiFault(200, f"channel_key({channel_key})에 해당하는 채널이 없습니다.", code=1)
        if channel.type != "api_payment":
            raise ApiFault(200, Messages.NO_API_PG, code=1)
        return channel
    picked = merchant.pick(pg, "api_payment")
    if picked is None:
        raise ApiFault(200, Messages.NO_API_PG, code=1)
    return picked


def find_key(gateway: Gateway, merchant: Merchant, customer_uid: str) -> BillingKey | None:
    """The live billing key stored under ``customer_uid`` (deleted keys are gone)."""
    key = gateway.ledger(merchant).billing_keys.get(customer_uid)
    return None if key is None or key.deleted else key


def key_channel(merchant: Merchant, key: BillingKey) -> Channel:
    """The channel a key was issued on (rebuilt from the key if the setting is gone)."""
    found = merchant.channel(key.channel_key) if key.channel_key else None
    return found or Channel(
        pg_provider=key.pg_provider,
        pg_id=key.pg_id,
        type="api_payment",
        sandbox=key.sandbox,
        channel_key=key.channel_key or f"channel-key-{key.pg_provider}",
    )


def check_merchant_uid(
    gateway: Gateway,
    merchant: Merchant,
    merchant_uid: str,
    amount: Amount,
    currency: str | None = None,
) -> None:
    """Refuse a charge the merchant_uid rules forbid (HTTP 200, code 1).

    A merchant_uid that already reached a paid payment cannot pay again (earlier
    failed attempts may be retried under a new imp_uid).  The real server checks a
    pre-registered amount (``POST /payments/prepare``) in the window flow; for API
    payments the emulator applies the same rule and refuses the whole request
    before charging, so a mismatching amount leaves no payment behind.
    """
    if gateway.has_paid_attempt(merchant, merchant_uid):
        raise ApiFault(200, f"이미 결제가 완료된 merchant_uid({merchant_uid})입니다.", code=1)
    prepared = gateway.ledger(merchant).prepared.get(merchant_uid)
    if prepared is None:
        return
    if prepared.amount != amount or (prepared.currency and currency != prepared.currency):
        raise ApiFault(
            200,
            f"사전등록된 결제정보와 금액이 일치하지 않습니다. "
            f"(사전등록 금액: {prepared.amount}, 요청 금액: {amount})",
            code=1,
        )


# -- the shell -------------------------------------------------------------------
def issuer_fields(pg: str, card_fields: dict[str, Any]) -> dict[str, Any]:
    """Issuer/publisher fields, which only some PGs report (reference §3)."""
    if pg not in ISSUER_PGS:
        return {}
    return {
        "card_issuer_code": card_fields.get("card_code"),
        "card_issuer_name": card_fields.get("card_name"),
        "card_publisher_code": card_fields.get("card_code"),
        "card_publisher_name": card_fields.get("card_name"),
    }


def charge_card(
    gateway: Gateway,
    merchant: Merchant,
    channel: Channel,
    *,
    merchant_uid: str,
    amount: Amount,
    card: CardInput | BillingKey,
    usage: str | None = None,
    announce_failure: bool = False,
    origin: str = "api",
    **fields: Any,
) -> Payment:
    """Charge ``card`` on ``channel``: a payment that ends ``paid`` or ``failed``.

    ``fields`` are Payment fields (name, buyer_*, tax_free, notice_urls...).
    A declined card gives a failed payment, not an error; ``announce_failure``
    sends the ``failed`` webhook (scheduled charges only, reference §5). The
    payment remembers whether it used webhooks (a ``notice_url`` or the
    merchant's webhook URL), which decides an API cancel's webhook (§4.8).
    Raises ``CardRejected`` (before any payment exists) for an invalid number.
    """
    decision = decide(card, gateway.now())
    quota = fields.pop("card_quota", None) or 0
    # "used webhooks when it was made" (§4.8): a notice_url, or the console URL set then
    fields.setdefault("uses_webhook", bool(fields.get("notice_urls") or merchant.webhook_url))
    payment = gateway.start_payment(
        merchant,
        channel,
        merchant_uid=merchant_uid,
        amount=amount,
        pay_method="card",
        origin=origin,
        customer_uid_usage=usage,
        **fields,
    )
    card_fields = {
        **decision.card_fields,
        **issuer_fields(channel.pg_provider, decision.card_fields),
    }
    if decision.approved:
        # Installments apply from 50,000 KRW; below that the PG charges in one go.
        installments = quota if quota >= 2 and amount >= 50000 else 0
        return gateway.approve(payment, card_quota=installments, **card_fields)
    for name, value in card_fields.items():
        setattr(payment, name, value)
    return gateway.fail(
        payment, decision.fail_reason or "[PG 거절] 승인 거절", announce=announce_failure
    )


def issue_billing_key(
    gateway: Gateway,
    merchant: Merchant,
    channel: Channel,
    customer_uid: str,
    card: CardInput,
    customer: dict[str, str | None],
) -> BillingKey:
    """Authenticate ``card`` and store it under ``customer_uid`` (re-pointing an old key).

    ``customer`` holds ``customer_id`` and ``customer_*`` values; absent ones keep
    the previous key's values.  The key remembers the card's test outcome, so a
    key issued with a declining card declines later charges.  Raises
    ``CardRejected`` for an invalid or expired card.
    """
    now = gateway.now()
    decision = decide(card, now)
    if decision.outcome == "expired":
        raise CardRejected(EXPIRED_REASON)
    ledger = gateway.ledger(merchant)
    previous = find_key(gateway, merchant, customer_uid)
    kept = previous.model_dump() if previous else {}
    details: dict[str, Any] = {k: v if v is not None else kept.get(k) for k, v in customer.items()}
    key = BillingKey(
        customer_uid=customer_uid,
        pg_provider=channel.pg_provider,
        pg_id=channel.pg_id,
        sandbox=channel.sandbox,
        inserted=previous.inserted if previous else now,
        updated=now,
        imp_code=merchant.book,
        channel_key=channel.channel_key,
        card_outcome=decision.outcome,
        **decision.card_fields,
        **issuer_fields(channel.pg_provider, decision.card_fields),
        **details,
    )
    ledger.billing_keys[customer_uid] = key
    gateway.touch()
    return key
