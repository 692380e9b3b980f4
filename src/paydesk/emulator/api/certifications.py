"""Identity verification results and the SMS/APP OTP flow (``/certifications``).

A verification requested by OTP exists from the request on, but it has no
*result* until the code is confirmed: until then ``GET``/``DELETE`` answer
404 "인증결과가 존재하지 않습니다.", as for an unknown id.  How the emulator
"sends" the OTP is documented in ``certifying``.
"""

from __future__ import annotations

import re
from typing import Any

from ..gateway import pg_rules
from ..gateway.certifying import (
    FIXED_OTP,
    Person,
    birth_date,
    confirm_certification,
    open_certification,
)
from ..gateway.channel_choice import choose_channel
from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Params
from ..gateway.records import Certification
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()

NO_OTP_PG = "OTP 본인인증을 지원하지 않는 PG사입니다. ({pg})"
APP_ONLY_KCP = "verification_method APP은 kcp_v2에서만 사용할 수 있습니다."
ALREADY_CERTIFIED = "이미 본인인증이 완료된 요청입니다."
WRONG_OTP = "인증번호가 일치하지 않습니다."
_PHONE = re.compile(r"^01\d{8,9}$")


def _result(call: Call) -> Certification:
    found = call.gateway.ledger(call.merchant).certifications.get(call.path["imp_uid"])
    if found is None or not found.certified:
        raise ApiFault(404, Messages.CERTIFICATION_NOT_FOUND)
    return found


@routes.op("GET", "/certifications/{imp_uid}")
def get_certification(call: Call) -> dict[str, Any]:
    """A completed verification."""
    return _result(call).wire()


@routes.op("DELETE", "/certifications/{imp_uid}")
def delete_certification(call: Call) -> dict[str, Any]:
    """Forget a completed verification; answers what was deleted."""
    found = _result(call)
    del call.gateway.ledger(call.merchant).certifications[found.imp_uid]
    call.gateway.forget("certifications", call.merchant.book, found.imp_uid)
    return found.wire()


def read_person(params: Params) -> Person:
    """The person's details of an OTP request; 400 on anything missing or malformed."""
    name = params.need_text("name")
    phone = re.sub(r"\D", "", params.need_text("phone"))
    if not _PHONE.match(phone):
        raise params.fail(Messages.invalid("phone", "휴대폰 번호"))
    digit_text = params.need_text("gender_digit")
    digit = int(digit_text) if digit_text.isdigit() and len(digit_text) == 1 else 0
    if not 1 <= digit <= 8:
        raise params.fail(Messages.invalid("gender_digit", "1~8"))
    born = birth_date(re.sub(r"\D", "", params.need_text("birth")), digit)
    if born is None:
        raise params.fail(Messages.invalid("birth", "YYMMDD"))
    carrier = params.need_text("carrier", choices=("SKT", "KT", "LGT"))
    return Person(name, phone, born, digit, carrier, params.flag("is_mvno"))


@routes.op("POST", "/certifications/otp/request")
def request_otp(call: Call) -> dict[str, str]:
    """Start an OTP verification (danal, kcp_v2); the code goes to the phone."""
    params = call.params
    person = read_person(params)
    merchant_uid = params.text("merchant_uid", max_len=40)
    method = params.text("verification_method", choices=("SMS", "APP")) or "SMS"
    channel = choose_channel(call.merchant, params, ("certification",), required=True)
    if not pg_rules.supports(channel.pg_provider, "certification_otp"):
        raise params.fail(NO_OTP_PG.format(pg=channel.pg_provider))
    if method == "APP" and channel.pg_provider != "kcp_v2":
        raise params.fail(APP_ONLY_KCP)
    otp = call.gateway.digits(6) if method == "SMS" else None
    pending = open_certification(
        call.gateway, call.merchant, channel, person, merchant_uid=merchant_uid, otp=otp
    )
    return {"imp_uid": pending.imp_uid}


@routes.op("POST", "/certifications/otp/confirm/{imp_uid}")
def confirm_otp(call: Call) -> dict[str, Any]:
    """Check the code typed by the person and answer the verification result."""
    found = call.gateway.ledger(call.merchant).certifications.get(call.path["imp_uid"])
    if found is None:
        raise ApiFault(404, Messages.CERTIFICATION_NOT_FOUND)
    if found.certified:
        raise call.params.fail(ALREADY_CERTIFIED)
    if found.otp is not None:
        typed = call.params.need_text("otp")
        if typed not in (found.otp, FIXED_OTP):
            raise call.params.fail(WRONG_OTP)
    return confirm_certification(call.gateway, found).wire()
