"""Billing keys (``subscribe.customer``): issue from card data, look up, delete,
and list what was charged or scheduled on a key (reference §2.7).

Deleting a key leaves its pending schedules alone (the docs tell merchants to
check them first); they fail when they come due.  Super billing keys
(``channel_group_id``) are not emulated.
"""

from __future__ import annotations

from typing import Any

from ..gateway.charging import (
    CardRejected,
    find_key,
    issue_billing_key,
    pick_api_channel,
    read_card,
)
from ..gateway.errors import ApiFault, Messages
from ..gateway.pg_rules import supports
from ..gateway.records import BillingKey
from .routing import Call, Reply, RouteTable
from .schedules import list_customer_schedules, paged
from .subscribe import card_fault, require_fields, super_key_fault, unsupported

__all__ = ["routes"]

routes = RouteTable()

CUSTOMER_FIELDS = ("customer_id", "customer_name", "customer_tel", "customer_email",
                   "customer_addr", "customer_postcode")  # fmt: skip
PAGE_SIZE = 20


def not_found(customer_uid: str) -> ApiFault:
    """The unknown-key answer: 404 as the spec documents, code 1 with the server's text."""
    return ApiFault(404, Messages.CUSTOMER_NOT_FOUND.format(customer_uid=customer_uid), code=1)


def _key(call: Call) -> BillingKey:
    uid = call.path["customer_uid"]
    key = find_key(call.gateway, call.merchant, uid)
    if key is None:
        raise not_found(uid)
    return key


@routes.op("GET", "/subscribe/customers")
def get_customers(call: Call) -> Any:
    """Several keys: 200 when all exist, 207 with the found ones, 404 when none does."""
    uids = list(dict.fromkeys(call.params.strings("customer_uid")))
    if not uids:
        raise call.params.fail(Messages.missing("customer_uid[]"))
    found = [k for uid in uids if (k := find_key(call.gateway, call.merchant, uid))]
    missing = [uid for uid in uids if uid not in {k.customer_uid for k in found}]
    if not found:
        raise not_found(", ".join(missing))
    if missing:
        message = Messages.CUSTOMER_NOT_FOUND.format(customer_uid=", ".join(missing))
        return Reply([k.wire() for k in found], status=207, message=message)
    return [k.wire() for k in found]


@routes.op("GET", "/subscribe/customers/{customer_uid}")
def get_customer(call: Call) -> dict[str, Any]:
    """One billing key."""
    return _key(call).wire()


@routes.op("POST", "/subscribe/customers/{customer_uid}")
def issue_customer(call: Call) -> dict[str, Any]:
    """Issue (or re-point) a billing key from card data on an API channel."""
    params = call.params
    if params.has("channel_group_id"):
        raise super_key_fault()
    customer_uid = params.need_text("customer_uid", max_len=80)
    card = read_card(params)
    channel = pick_api_channel(
        call.merchant, params.text("pg", max_len=80), params.text("channel_key", max_len=55)
    )
    if not supports(channel.pg_provider, "customer_issue"):
        raise unsupported(channel.pg_provider, "API 빌링키 발급")
    require_fields(params, channel.pg_provider, "customer_issue")
    customer = {name: params.text(name) for name in CUSTOMER_FIELDS}
    try:
        key = issue_billing_key(call.gateway, call.merchant, channel, customer_uid, card, customer)
    except CardRejected as exc:
        raise card_fault(Messages.BILLING_KEY_FAILED, exc) from None
    return key.wire()


@routes.op("DELETE", "/subscribe/customers/{customer_uid}")
def delete_customer(call: Call) -> dict[str, Any]:
    """Delete a key and answer it as it was; its schedules are left as they are."""
    key = _key(call)
    key.deleted = True
    call.gateway.touch()
    return key.wire()


@routes.op("GET", "/subscribe/customers/{customer_uid}/payments")
def customer_payments(call: Call) -> dict[str, Any]:
    """Payments made with this key, newest first, 20 a page."""
    key = _key(call)
    page = call.params.integer("page", default=1, minimum=1) or 1
    payments = sorted(
        (p for p in call.gateway.ledger(call.merchant).payments.values()
         if p.customer_uid == key.customer_uid),
        key=lambda p: p.started_at,
        reverse=True,
    )  # fmt: skip
    return paged([p.wire() for p in payments], page, PAGE_SIZE)


routes.op("GET", "/subscribe/customers/{customer_uid}/schedules")(list_customer_schedules)
