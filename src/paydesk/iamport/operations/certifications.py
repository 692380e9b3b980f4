"""Identity verification results and the OTP (SMS/app) flow (§2.10)."""

from __future__ import annotations

from typing import Any

from ..exchange import ApiRequest, Flow, segment
from ..models.certification import Certification, OtpRequest
from .answers import exchange

__all__ = ["certification", "confirm_otp", "delete_certification", "request_otp"]


def certification(imp_uid: str) -> Flow[Certification]:
    """A verification result (``GET /certifications/{imp_uid}``).

    Raises:
        NotFound: no such verification.
    """
    request = ApiRequest(
        "certifications.get", "GET", f"/certifications/{segment(imp_uid)}",
        keys={"imp_uid": imp_uid},
    )  # fmt: skip
    return exchange(request, Certification)


def delete_certification(imp_uid: str) -> Flow[Certification]:
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
    return exchange(request, Certification)


def request_otp(
    *,
    name: str,
    phone: str,
    birth: str,
    gender_digit: str,
    carrier: str,
    channel_key: str | None = None,
    **fields: Any,
) -> Flow[OtpRequest]:
    """Start an SMS/app OTP verification (``POST /certifications/otp/request``).

    Args:
        name: the person's name.
        phone: phone number.
        birth: ``YYMMDD``.
        gender_digit: 7th digit of the resident registration number.
        carrier: SKT / KT / LGT.
        channel_key: the danal / kcp_v2 verification channel.
        **fields: is_mvno, company, merchant_uid, pg, verification_method, bypass.

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
        **fields,
    }
    request = ApiRequest(
        "certifications.otp_request",
        "POST",
        "/certifications/otp/request",
        body=body,
        keys={"merchant_uid": fields.get("merchant_uid")},
    )
    return exchange(request, OtpRequest)


def confirm_otp(imp_uid: str, otp: str | None = None) -> Flow[Certification]:
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
    return exchange(request, Certification)
