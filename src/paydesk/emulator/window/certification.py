"""``IMP.certification``: the identity verification window (reference §7.5).

The page collects name, birth date, carrier and phone number and completes at
once (the emulated carrier needs no SMS code here); the result is the same
``Certification`` the OTP API makes (``certifying.record_certification``), so
``GET /certifications/{imp_uid}`` finds it.  The callback carries ``success``,
``imp_uid``, ``merchant_uid`` and, on failure, ``error_code``/``error_msg``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..gateway import Gateway
from ..gateway.certifying import KST, Person, birth_date, record_certification
from ..gateway.channel_choice import choose_channel
from ..gateway.errors import ApiFault
from ..gateway.params import Params
from .reply import ErrorCodes, Failure
from .session import Mode, WindowDesk, WindowSession, window_merchant

__all__ = ["CERTIFICATION_CANCELLED", "cancel_certification", "certify", "open_certification"]

CERTIFICATION_CANCELLED = "사용자가 본인인증을 취소하셨습니다"


def _rsp(session: WindowSession, imp_uid: str | None, failure: Failure | None) -> dict[str, Any]:
    return {
        "success": failure is None,
        "imp_uid": imp_uid,
        "merchant_uid": session.params.get("merchant_uid"),
        "pg_provider": session.channel.pg_provider,
        "error_code": failure.code if failure else None,
        "error_msg": failure.message if failure else None,
    }


def open_certification(
    desk: WindowDesk,
    imp_code: str,
    tier: str | None,
    params: dict[str, Any],
    *,
    mode: Mode,
    opener_origin: str,
    sid: str | None = None,
) -> WindowSession | Failure:
    """A certification window, or why it cannot open."""
    merchant = window_merchant(desk.gateway, imp_code, tier)
    if isinstance(merchant, Failure):
        return merchant
    chosen = Params(
        {
            "channel_key": params.get("channelKey") or params.get("channel_key"),
            "pg": params.get("pg"),
        }
    )
    try:
        channel = choose_channel(merchant, chosen, ("certification",))
    except ApiFault as fault:
        return Failure(ErrorCodes.NO_CHANNEL, fault.message)
    return desk.remember(
        WindowSession(
            sid=desk.new_sid(sid),
            kind="certification",
            merchant=merchant,
            mode=mode,
            opener_origin=opener_origin,
            channel=channel,
            params=params,
            page="certification",
        )
    )


def read_person(form: dict[str, str]) -> Person | str:
    """The person the form describes, or what is wrong with it."""
    name = form.get("name", "").strip()
    phone = re.sub(r"\D", "", form.get("phone", ""))
    digit = form.get("gender_digit", "").strip()
    if not name:
        return "이름을 입력해주세요."
    if not re.fullmatch(r"01\d{8,9}", phone):
        return "휴대폰 번호를 정확히 입력해주세요."
    if form.get("carrier") not in ("SKT", "KT", "LGT"):
        return "통신사를 선택해주세요."
    born = birth_date(form.get("birth", "").strip(), int(digit)) if digit.isdigit() else None
    if born is None:
        return "생년월일과 주민번호 뒷자리 첫 숫자를 확인해주세요."
    carrier = form["carrier"]
    return Person(name, phone, born, int(digit), carrier, form.get("is_mvno") == "true")


def _too_young(gateway: Gateway, person: Person, min_age: Any) -> bool:
    if not isinstance(min_age, int | float) or min_age <= 0:
        return False
    today = datetime.fromtimestamp(gateway.now(), KST).date()
    age = (
        today.year
        - person.birth.year
        - ((today.month, today.day) < (person.birth.month, person.birth.day))
    )
    return age < min_age


def certify(desk: WindowDesk, session: WindowSession, form: dict[str, str]) -> dict[str, Any] | str:
    """Complete the verification (``rsp``), or say what to correct (a string)."""
    if session.rsp is not None:
        return session.rsp
    person = read_person(form)
    if isinstance(person, str):
        return person
    if _too_young(desk.gateway, person, session.params.get("min_age")):
        failure = Failure(ErrorCodes.PG_DECLINED, "본인인증 최소 연령 조건을 충족하지 않습니다.")
        session.rsp = _rsp(session, None, failure)
        return session.rsp
    merchant_uid = session.params.get("merchant_uid")
    certification = record_certification(
        desk.gateway,
        session.merchant,
        session.channel,
        person,
        merchant_uid=str(merchant_uid) if merchant_uid else None,
        origin=session.opener_origin or None,
    )
    session.imp_uid = certification.imp_uid
    session.rsp = _rsp(session, certification.imp_uid, None)
    return session.rsp


def cancel_certification(session: WindowSession) -> dict[str, Any]:
    """The person closed the window."""
    if session.rsp is None:
        session.rsp = _rsp(session, None, Failure(ErrorCodes.BUYER_CANCEL, CERTIFICATION_CANCELLED))
    return session.rsp
