"""Identity verification (본인인증): how a person's details become a certification record.

Two doors lead here: the OTP API (``POST /certifications/otp/request`` then
``/confirm``) and the ``IMP.certification`` window.  Both end in
``confirm_certification``, so a result looks the same whichever way it came.

Emulator rules, documented for tests and people:

* The OTP "sent by SMS" is random and can be read through the control API
  (``GET /_emulator/certifications/{imp_uid}/otp``); ``FIXED_OTP`` ("123456")
  is also always accepted.
* ``unique_key`` (CI, 88 chars) is derived from name + birth date + phone, so
  one person gets the same CI at every merchant; ``unique_in_site`` (DI, 64
  chars) also mixes in the merchant and PG, so it differs between sites.
* ``birth`` is the birthday's midnight in Korea (UTC+9) as a unix timestamp;
  ``birthday`` is the same date as ``YYYY-MM-DD`` (reference §2.17: emit both).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .gateway import Gateway
from .merchants import Channel, Merchant
from .records import Certification

__all__ = [
    "FIXED_OTP",
    "Person",
    "birth_date",
    "confirm_certification",
    "find_certification",
    "open_certification",
    "record_certification",
]

FIXED_OTP = "123456"
KST = timezone(timedelta(hours=9))
# 7th digit of the resident registration number: century and sex (5-8: foreigners).
_CENTURY = {1: 1900, 2: 1900, 3: 2000, 4: 2000, 5: 1900, 6: 1900, 7: 2000, 8: 2000}


@dataclass(frozen=True, slots=True)
class Person:
    """Who is being verified, as the carrier knows them."""

    name: str
    phone: str
    birth: date
    gender_digit: int
    carrier: str
    is_mvno: bool = False

    @property
    def gender(self) -> str:
        return "male" if self.gender_digit % 2 == 1 else "female"

    @property
    def foreigner(self) -> bool:
        return self.gender_digit >= 5

    @property
    def carrier_label(self) -> str:
        return f"{self.carrier}_MVNO" if self.is_mvno else self.carrier


def birth_date(yymmdd: str, gender_digit: int) -> date | None:
    """The birth date from ``YYMMDD`` and the resident-number digit, or None if invalid."""
    century = _CENTURY.get(gender_digit)
    if century is None or len(yymmdd) != 6 or not yymmdd.isdigit():
        return None
    try:
        return date(century + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None


def find_certification(gateway: Gateway, imp_uid: str) -> Certification | None:
    """A certification of any merchant (the control API is not per merchant)."""
    for ledger in gateway.state.ledgers.values():
        if imp_uid in ledger.certifications:
            return ledger.certifications[imp_uid]
    return None


def _new_uid(gateway: Gateway) -> str:
    while True:
        candidate = gateway.new_imp_uid()
        if find_certification(gateway, candidate) is None:
            return candidate


def open_certification(
    gateway: Gateway,
    merchant: Merchant,
    channel: Channel,
    person: Person,
    *,
    merchant_uid: str | None = None,
    origin: str | None = None,
    otp: str | None = None,
) -> Certification:
    """A verification waiting for confirmation (``otp`` None: nothing to type, e.g. APP)."""
    now = gateway.now()
    certification = Certification(
        imp_uid=_new_uid(gateway),
        merchant_uid=merchant_uid,
        pg_tid=gateway.new_pg_tid(channel.pg_provider),
        pg_provider=channel.pg_provider,
        name=person.name,
        gender=person.gender,
        birthday=person.birth.isoformat(),
        birth=int(datetime.combine(person.birth, datetime.min.time(), KST).timestamp()),
        foreigner=person.foreigner,
        foreigner_v2=person.foreigner,
        phone=person.phone,
        carrier=person.carrier_label,
        origin=origin,
        imp_code=merchant.book,
        otp=otp,
        created_at=now,
    )
    gateway.ledger(merchant).certifications[certification.imp_uid] = certification
    gateway.touch()
    return certification


def confirm_certification(gateway: Gateway, certification: Certification) -> Certification:
    """Complete a verification: ``certified``, its time, and the CI/DI keys."""
    ci = base64.b64encode(
        hashlib.sha512(
            f"{certification.name}|{certification.birthday}|{certification.phone}".encode()
        ).digest()
    ).decode()
    site = f"{ci}|{certification.imp_code}|{certification.pg_provider}"
    certification.unique_key = ci
    certification.unique_in_site = hashlib.sha256(site.encode()).hexdigest()
    certification.certified = True
    certification.certified_at = gateway.now()
    certification.otp = None
    gateway.touch()
    return certification


def record_certification(
    gateway: Gateway,
    merchant: Merchant,
    channel: Channel,
    person: Person,
    *,
    merchant_uid: str | None = None,
    origin: str | None = None,
) -> Certification:
    """A completed verification in one step, as the ``IMP.certification`` window makes it."""
    pending = open_certification(
        gateway, merchant, channel, person, merchant_uid=merchant_uid, origin=origin
    )
    return confirm_certification(gateway, pending)
