"""Non-authenticated card payments: key-in ``onetime`` (and legacy ``foreign``) and
billing-key ``again`` (reference §2.5, §2.17).

Both answer HTTP 200 with the Payment whether the card was approved or declined
(``status`` tells); only a request the PG cannot even authenticate is an error.
The request-reading helpers here are shared with the customers and schedules
groups, which read the same fields.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..gateway.charging import (
    CardInput,
    CardRejected,
    charge_card,
    check_merchant_uid,
    expiry_passed,
    find_key,
    hangs,
    issue_billing_key,
    key_channel,
    pick_api_channel,
    read_card,
    read_custom_data,
    tax_split,
)
from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Amount, Params
from ..gateway.pg_rules import missing_fields, supports
from ..gateway.records import BillingKey, Payment
from .routing import Call, RouteTable

__all__ = [
    "card_fault",
    "order_fields",
    "require_fields",
    "routes",
    "super_key_fault",
    "unsupported",
]

routes = RouteTable()

# PGs whose onetime ignores ``customer_uid`` (the spec's "not used by").
_NO_KEY_ON_ONETIME = frozenset({"ksnet", "tosspayments"})
_BUYER = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")


# -- shared request reading ------------------------------------------------------
def super_key_fault() -> ApiFault:
    """Super billing keys (smart routing groups) are not emulated."""
    return ApiFault(
        501, "paydesk 에뮬레이터는 슈퍼 빌링키(채널 그룹, channel_group_id)를 지원하지 않습니다."
    )


def unsupported(pg: str, feature: str) -> ApiFault:
    """The channel's PG does not offer ``feature`` (HTTP 200, code 1)."""
    return ApiFault(200, f"{pg} PG사는 {feature}을(를) 지원하지 않습니다.", code=1)


def require_fields(params: Params, pg: str, operation: str) -> None:
    """Refuse when ``pg`` needs a field for ``operation`` that the request lacks (§9.6)."""
    missing = missing_fields(pg, operation, params.data)
    if missing:
        raise params.fail(f"{Messages.missing(missing[0])} ({pg} 필수)")


def card_fault(prefix: str, error: CardRejected) -> ApiFault:
    """The PG refused the card itself: HTTP 200, code -1, as the real server answers (§10)."""
    return ApiFault(200, f"{prefix} {error.detail}", code=-1)


def order_fields(params: Params, pg: str, operation: str, amount: Amount) -> dict[str, Any]:
    """Payment fields of a charge request: order name, buyer, tax split, webhook URL."""
    try:
        tax_free, vat = tax_split(
            pg, operation, amount, params.amount("tax_free"), params.amount("vat_amount")
        )
    except ValueError as exc:
        raise params.fail(str(exc)) from None
    return {
        "name": params.text("name"),
        "currency": params.text("currency") or "KRW",
        **{field: params.text(field) for field in _BUYER},
        "custom_data": read_custom_data(params),
        "notice_urls": params.strings("notice_url"),
        "tax_free": tax_free,
        "vat_amount": vat,
        "vat_explicit": vat is not None,
        "card_quota": params.integer("card_quota", minimum=0),
    }


async def answer(call: Call, payment: Payment, card: CardInput | BillingKey) -> dict[str, Any]:
    """The Payment, or, for the hanging test card, nothing until the client gave up."""
    if hangs(card, call.gateway.now()):
        call.gateway.flush()  # committed before the answer is withheld
        await asyncio.sleep(call.gateway.hang_seconds)
    return payment.wire()


# -- handlers ----------------------------------------------------------------------
@routes.op("POST", "/subscribe/payments/onetime")
async def onetime(call: Call) -> dict[str, Any]:
    """Key-in card payment; with ``customer_uid`` the card is also kept as a billing key."""
    return await key_in(call)


@routes.op("POST", "/subscribe/payments/foreign")
async def foreign(call: Call) -> dict[str, Any]:
    """Deprecated foreign-card key-in: a ``onetime`` without birth date or PIN digits."""
    return await key_in(call)


async def key_in(call: Call) -> dict[str, Any]:
    """The key-in charge behind ``onetime`` and ``foreign``."""
    params = call.params
    if params.has("channelGroupId"):
        raise super_key_fault()
    merchant_uid = params.need_text("merchant_uid", max_len=40)
    amount = params.need_amount("amount")
    card = read_card(params)
    channel = pick_api_channel(
        call.merchant, params.text("pg", max_len=80), params.text("channel_key")
    )
    pg = channel.pg_provider
    if not supports(pg, "onetime"):
        raise unsupported(pg, "비인증 결제(onetime)")
    require_fields(params, pg, "onetime")
    fields = order_fields(params, pg, "onetime", amount)
    check_merchant_uid(call.gateway, call.merchant, merchant_uid, amount, fields["currency"])
    customer_uid = params.text("customer_uid", max_len=80)
    keep = customer_uid if pg not in _NO_KEY_ON_ONETIME else None
    try:
        # The key is issued when the card authenticates, before the charge: a
        # declined charge still leaves the key (an expired card gets none).
        if keep and not expiry_passed(card, call.gateway.now()):
            customer = {"customer_id": params.text("customer_id")}
            customer |= {f"customer_{f[6:]}": fields[f] for f in _BUYER}
            issue_billing_key(call.gateway, call.merchant, channel, keep, card, customer)
        else:
            keep = None
        payment = charge_card(
            call.gateway, call.merchant, channel, merchant_uid=merchant_uid, amount=amount,
            card=card, usage="issue" if keep else None, customer_uid=keep, **fields,
        )  # fmt: skip
    except CardRejected as exc:
        raise card_fault(Messages.CARD_AUTH_FAILED, exc) from None
    return await answer(call, payment, card)


@routes.op("POST", "/subscribe/payments/again")
async def again(call: Call) -> dict[str, Any]:
    """Charge the card stored under ``customer_uid``, on the PG that issued the key."""
    params = call.params
    customer_uid = params.need_text("customer_uid", max_len=80)
    merchant_uid = params.need_text("merchant_uid", max_len=40)
    amount = params.need_amount("amount")
    params.need_text("name")
    key = find_key(call.gateway, call.merchant, customer_uid)
    if key is None:
        raise ApiFault(200, Messages.UNKNOWN_BUYER, code=-1)
    pg = key.pg_provider
    if not supports(pg, "again"):
        raise unsupported(pg, "빌링키 결제(again)")
    require_fields(params, pg, "again")
    fields = order_fields(params, pg, "again", amount)
    check_merchant_uid(call.gateway, call.merchant, merchant_uid, amount, fields["currency"])
    payment = charge_card(
        call.gateway, call.merchant, key_channel(call.merchant, key), merchant_uid=merchant_uid,
        amount=amount, card=key, usage="payment", customer_uid=customer_uid, **fields,
    )  # fmt: skip
    return await answer(call, payment, key)
