"""Identity verification results and the OTP (SMS/app) flow (§2.10)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exchange import ApiRequest, Flow, Timeout, merged, segment, timed
from ..models.certification import Certification, OtpRequest
from .answers import exchange

__all__ = ["certification", "confirm_otp", "delete_certification", "request_otp"]


def certification(imp_uid: str, *, timeout: Timeout | None = None) -> Flow[Certification]:
    """A verification result (``GET /certifications/{imp_uid}``).

    Raises:
        NotFound: no such verification.
    """
    request = ApiRequest(
        "certifications.get", "GET", f"/certifications/{segment(imp_uid)}",
        keys={"imp_uid": imp_uid},
    )  # fmt: skip
    return timed(exchange(request, Certification), timeout)


def delete_certification(imp_uid: str, *, timeout: Timeout | None = None) -> Flow[Certification]:
    """Delete a verification result from i'mport (``DELETE /certifications/{imp_uid}``).

    Returns:
        The deleted ``Certification``.

    Raises:
        NotFound: no such verification.
    """
    request = ApiRequest(
        "certifications.delete", "DELETE", f"/certifications/{segment(imp_uid)}",
        keys={"imp_uid": imp_uid},
    )  # fmt: skip
    return timed(exchange(request, Certification), timeout)


def request_otp(
    *,
    name: str,
    phone: str,
    birth: str,
    gender_digit: str,
    carrier: str,
    channel_key: str | None = None,
    is_mvno: bool | None = None,
    company: str | None = None,
    merchant_uid: str | None = None,
    pg: str | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[OtpRequest]:
    """Start an SMS/app OTP verification (``POST /certifications/otp/request``).

    Args:
        name: the person's name.
        phone: phone number.
        birth: ``YYMMDD``.
        gender_digit: 7th digit of the resident registration number.
        carrier: SKT / KT / LGT.
        channel_key: the danal / kcp_v2 verification channel.
        is_mvno: the phone is on a budget (MVNO) carrier.
        company: the service name shown in the SMS.
        merchant_uid: your id for this verification.
        pg: ``provider`` or ``provider.MID``.
        extra: other documented body fields (``verification_method``, ``bypass``).

    Returns:
        An ``OtpRequest`` whose ``imp_uid`` is confirmed with ``confirm_otp``.

    Raises:
        BadRequest: missing or invalid personal data.
    """
    body = {
        "name": name,
        "phone": phone,
        "birth": birth,
        "gender_digit": gender_digit,
        "carrier": carrier,
        "channel_key": channel_key,
        "is_mvno": is_mvno,
        "company": company,
        "merchant_uid": merchant_uid,
        "pg": pg,
    }
    request = ApiRequest(
        "certifications.otp_request",
        "POST",
        "/certifications/otp/request",
        body=merged(body, extra),
        keys={"merchant_uid": merchant_uid},
    )
    return timed(exchange(request, OtpRequest), timeout)


def confirm_otp(
    imp_uid: str, otp: str | None = None, *, timeout: Timeout | None = None
) -> Flow[Certification]:
    """Confirm an OTP (``POST /certifications/otp/confirm/{imp_uid}``).

    Args:
        imp_uid: from ``request_otp``.
        otp: the 6-digit code (None for the kcp_v2 app method).

    Returns:
        The ``Certification``.

    Raises:
        BadRequest: missing OTP or already confirmed.
        NotFound: no request under ``imp_uid``.
    """
    request = ApiRequest(
        "certifications.otp_confirm",
        "POST",
        f"/certifications/otp/confirm/{segment(imp_uid)}",
        body={"otp": otp},
        keys={"imp_uid": imp_uid},
    )
    return timed(exchange(request, Certification), timeout)
