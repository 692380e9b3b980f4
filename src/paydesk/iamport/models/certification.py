"""Identity verification results (``CertificationAnnotation``)."""

from __future__ import annotations

from .wire import Timestamp, WireModel

__all__ = ["Certification", "OtpRequest"]


class Certification(WireModel):
    """The result of an identity verification.

    ``birthday`` is the spec's ``YYYY-MM-DD``; older servers send ``birth`` as
    unix seconds, kept as given.
    """

    imp_uid: str
    merchant_uid: str | None = None
    pg_tid: str | None = None
    pg_provider: str | None = None
    name: str | None = None
    gender: str | None = None
    birthday: str | None = None
    birth: int | None = None
    foreigner: bool | None = None
    foreigner_v2: bool | None = None
    phone: str | None = None
    carrier: str | None = None
    certified: bool | None = None
    certified_at: Timestamp = None
    unique_key: str | None = None
    unique_in_site: str | None = None
    origin: str | None = None


class OtpRequest(WireModel):
    """A started OTP verification: confirm it later with ``imp_uid``."""

    imp_uid: str
