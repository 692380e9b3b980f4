"""Escrow shipments (``/admin/escrows``): our escrow records, and a form to register a delivery.

The list shows each escrow payment's courier, invoice and where the buyer's
decision stands (from i'mport's ``Inicis.Escrow.Changed`` events); sender and
receiver are kept for i'mport but not shown. The form registers (or, ticked,
changes) a paid escrow payment's delivery through ``services.escrows``, which
checks the payment with i'mport first; a refusal comes back as the page's
message, in i'mport's or the rule's words.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...core.escrow import COURIERS
from ...iamport import EscrowParty
from ...services.errors import NotOnRecord, TryLater
from ...services.escrow import Delivery
from ...services.refusals import Refused
from ...services.transaction_csv import KST
from ..deps import ServicesDep
from .i18n import Translator, translator
from .rendering import render, see_other
from .session import FormStaffDep, StaffDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()
PER_PAGE = 50
Text = Annotated[str, Form(max_length=200)]
IMP_UID = re.compile(r"imp_[0-9A-Za-z]{1,28}")
INVOICE = re.compile(r"[0-9A-Za-z-]{1,40}")
TEL = re.compile(r"[0-9+ -]{6,20}")
POSTCODE = re.compile(r"[0-9-]{5,7}")


@router.get("/escrows")
async def escrows_page(
    request: Request,
    staff: StaffDep,
    services: ServicesDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Escrow records, the latest changed first, and the registration form."""
    found = await services.escrows.listing(limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    context = {"escrows": found[:PER_PAGE], "page": page, "more": len(found) > PER_PAGE,
               "couriers": sorted(COURIERS)}  # fmt: skip
    return render(request, staff, "admin/escrows.html", context)


@router.post("/escrows")
async def register_delivery(
    request: Request,
    staff: FormStaffDep,
    services: ServicesDep,
    imp_uid: Text = "",
    company: Text = "",
    invoice: Text = "",
    sent_at: Text = "",
    sender_name: Text = "",
    sender_tel: Text = "",
    sender_addr: Text = "",
    sender_postcode: Text = "",
    receiver_name: Text = "",
    receiver_tel: Text = "",
    receiver_addr: Text = "",
    receiver_postcode: Text = "",
    update: Text = "",
) -> Response:
    """Register (or change) a delivery at i'mport; back to the list with what happened."""
    t = translator(staff.lang)
    imp_uid = imp_uid.strip()
    try:
        delivery = _delivery(t, company.strip(), invoice.strip(), sent_at.strip(),
                             _party(t, sender_name, sender_tel, sender_addr, sender_postcode),
                             _party(t, receiver_name, receiver_tel, receiver_addr,
                                    receiver_postcode))  # fmt: skip
        if not IMP_UID.fullmatch(imp_uid):
            raise ValueError(t("escrows.bad_imp_uid"))
    except ValueError as bad:
        return see_other(request, "/admin/escrows", str(bad), kind="error")
    try:
        record = await services.escrows.register(imp_uid, delivery, update=bool(update))
    except NotOnRecord:
        return see_other(request, "/admin/escrows", t("escrows.not_ours", imp_uid=imp_uid),
                         kind="error")  # fmt: skip
    except Refused as refused:
        return see_other(request, "/admin/escrows", refused.message, kind="error")
    except TryLater:
        return see_other(request, "/admin/escrows", t("escrows.unreachable"), kind="error")
    log.info("staff user %s registered the escrow delivery of %s", staff.username, imp_uid)
    return see_other(request, "/admin/escrows", t("escrows.registered", imp_uid=record.imp_uid))


def _party(t: Translator, name: str, tel: str, addr: str, postcode: str) -> EscrowParty:
    name, tel, addr, postcode = (v.strip() for v in (name, tel, addr, postcode))
    if (
        len(name) > 40
        or (tel and not TEL.fullmatch(tel))
        or (postcode and not POSTCODE.fullmatch(postcode))
    ):
        raise ValueError(t("escrows.bad_party"))
    values = {"name": name, "tel": tel, "addr": addr, "postcode": postcode}
    return EscrowParty(**{k: v for k, v in values.items() if v})


def _delivery(
    t: Translator, company: str, invoice: str, sent_at: str, sender: EscrowParty,
    receiver: EscrowParty,
) -> Delivery:  # fmt: skip
    if company not in COURIERS:
        raise ValueError(t("escrows.bad_company"))
    if not INVOICE.fullmatch(invoice):
        raise ValueError(t("escrows.bad_invoice"))
    try:
        sent = datetime.fromisoformat(sent_at)
    except ValueError:
        raise ValueError(t("escrows.bad_sent_at")) from None
    if sent.tzinfo is None:  # the form's datetime-local is Korean time
        sent = sent.replace(tzinfo=KST)
    return Delivery(sender, receiver, company, invoice, sent)
