"""The one place where answers and httpx exceptions become the client's errors.

i'mport signals refusals three ways: the HTTP status (401, 404, 409, 5xx...),
a non-zero envelope ``code`` with HTTP 200, and the Korean ``message`` text
(the only thing telling "already cancelled" from "checksum mismatch").  The
rules here read all three; the texts matched are the ones of the reference
§10 and of the emulator's refund rules (``결제취소에 실패하였습니다.(<detail>)``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .errors import (
    AlreadyCancelled,
    ApiError,
    BadRequest,
    CancelAmountExceeded,
    ChecksumMismatch,
    Conflict,
    Declined,
    DuplicateMerchantUid,
    ForeignAnswer,
    IamportError,
    NotFound,
    NotSent,
    NotSupported,
    OutcomeUnknown,
    PaymentNotCancellable,
    RateLimited,
    RefundAccountRequired,
    ServerError,
    Unauthorized,
    UnreadableAnswer,
)
from .exchange import ApiRequest, Envelope, decode_json

__all__ = ["error_for", "foreign", "read_envelope", "request_id", "retry_after", "translate"]

CANCEL_OPERATIONS = frozenset({"payments.cancel"})
REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "x-amz-request-id")

NOT_FOUND_TEXTS = (
    "존재하지 않는 결제정보",  # GET /payments/{imp_uid}, find, findAll
    "사전등록된 결제정보가 존재하지 않습니다",  # GET/PUT /payments/prepare
    "취소할 결제건이 존재하지 않습니다",  # cancel, unknown target
    "로 등록된 정보를 찾을 수 없습니다",  # customer_uid(...) unknown
    "등록되지 않은 구매자입니다",  # again, unknown customer_uid
    "등록된 고객정보가 없습니다",  # schedule, unknown customer_uid without card
    "취소할 예약결제 기록이 존재하지 않습니다",  # unschedule, nothing to revoke
    "인증결과가 존재하지 않습니다",  # certifications
)
ALREADY_CANCELLED_TEXTS = ("이미 전액취소된 주문입니다",)
CHECKSUM_TEXTS = ("취소가능잔액 검증에 실패",)
AMOUNT_EXCEEDED = re.compile(
    r"취소요청금액.*취소가능잔액.*보다 큽니다"  # emulator: 취소요청금액 X이 취소가능잔액 Y보다 큽니다
    r"|bigger than cancelable amount"  # Kakao Pay through i'mport [ISS-java20]
)
DUPLICATE_TEXTS = (
    "이미 등록된 merchant_uid",  # POST /payments/prepare again (§10)
    "이미 결제가 완료된 merchant_uid",  # onetime/again/vbanks on a paid order
    "이미 사용된 merchant_uid",  # schedule with a merchant_uid already scheduled
)
BAD_REQUEST_TEXTS = (
    "파라메터가 누락되었습니다",  # missing parameter (§10, getToken and others)
    "파라미터가 누락되었습니다",
    "지정해주셔야합니다",  # cancel without imp_uid/merchant_uid (§10)
    "파라메터가 올바르지 않습니다",
    "지원되지 않는 상태값",  # bad payment_status (§10)
    "범위를 벗어났습니다",  # page beyond the end of a listing
    "사전등록된 결제정보와 금액이 일치하지 않습니다",
)
NOT_SUPPORTED_TEXTS = (
    "계약이 필요합니다",  # POST /vbanks without a vbank contract (§10)
    "비인증결제모듈 사용정보를 찾을 수 없습니다",  # no API-type PG channel (§10)
)
REFUND_ACCOUNT = re.compile(r"환불계좌.*필요합니다|refund_tel\)?가 필요합니다")
DECLINED_TEXTS = (
    "카드정보 인증에 실패",
    "유효하지않은 카드번호",
    "빌키 발급에 실패",
)

NOT_SENT_EXCEPTIONS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def _has(message: str, texts: tuple[str, ...]) -> bool:
    return any(text in message for text in texts)


def request_id(headers: Mapping[str, str]) -> str | None:
    """The request id header of an answer, if it has one."""
    return next((headers[h] for h in REQUEST_ID_HEADERS if h in headers), None)


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def foreign(
    request: ApiRequest, http_status: int, headers: Mapping[str, str], content: bytes
) -> ForeignAnswer:
    """The error for a 3xx/4xx answer that is not an i'mport envelope."""
    kind = RateLimited if http_status == 429 else ForeignAnswer
    return kind(
        f"HTTP {http_status} that is not an i'mport answer (a proxy?): {_excerpt(content)}",
        write=not request.safe,
        http_status=http_status,
        retry_after=retry_after(headers),
        location=headers.get("location"),
        **request.context(),
    )


def read_envelope(
    request: ApiRequest, http_status: int, headers: Mapping[str, str], content: bytes
) -> Envelope:
    """Decode an HTTP answer into an ``Envelope`` and raise if it is a refusal.

    Args:
        request: the request that was answered.
        http_status: the answer's status.
        headers: the answer's headers (case-insensitive mapping, e.g. ``httpx.Headers``).
        content: the raw body.

    Returns:
        The envelope of a successful (``code 0``, or partial 207) answer.

    Raises:
        ApiError: a subclass chosen by ``error_for``.
        ForeignAnswer: a 3xx/4xx (but 401) whose body is not an i'mport envelope,
            or any 429 (``RateLimited``).
        UnreadableAnswer: a 2xx whose body is not an i'mport envelope.
    """
    request_id_ = request_id(headers)
    try:
        data = decode_json(content)
    except ValueError:
        data = None
    envelope_like = isinstance(data, dict) and "code" in data
    if http_status == 429 or (
        not envelope_like and 300 <= http_status < 500 and http_status != 401
    ):
        raise foreign(request, http_status, headers, content)
    if not isinstance(data, dict) or not envelope_like:
        data = {"code": None, "message": _excerpt(content), "response": None}
    code = data.get("code")
    envelope = Envelope(
        request=request,
        http_status=http_status,
        code=code if isinstance(code, int) else None,
        message=data.get("message") if isinstance(data.get("message"), str) else None,
        response=data.get("response"),
        request_id=request_id_,
    )
    error = error_for(envelope)
    if error is not None:
        if isinstance(error, ApiError):
            error.retry_after = retry_after(headers)
        raise error
    return envelope


def _excerpt(content: bytes) -> str:
    return content[:200].decode("utf-8", "replace").strip() or "(empty answer)"


def error_for(envelope: Envelope) -> IamportError | None:
    """The error an envelope stands for, or None when it is a success.

    207 (partial multi-lookup) counts as a success; the caller reads what was found.
    """
    status, code = envelope.http_status, envelope.code
    if (status == 207 and code is not None) or (status == 200 and code == 0):
        return None
    request = envelope.request
    message = envelope.message or f"HTTP {status}"
    if 200 <= status < 300 and code is None:
        return UnreadableAnswer(
            f"not an i'mport answer: {message}",
            write=not request.safe,
            http_status=status,
            **request.context(),
        )
    kind = _kind(request, status, message)
    context: dict[str, Any] = {
        **request.context(),
        "http_status": status,
        "code": code,
        "request_id": envelope.request_id,
        "response": envelope.response,
    }
    if kind is ServerError:
        return ServerError(message, write=not request.safe, **context)
    return kind(message, **context)


def _kind(request: ApiRequest, status: int, message: str) -> type[ApiError]:
    """Status first where it is unambiguous (401, 5xx), then the text, then the status."""
    if status == 401:
        return Unauthorized
    if status >= 500 and status != 501:
        return ServerError
    by_text = _kind_by_text(request, message)
    if by_text is not None:
        return by_text
    return _kind_by_status(status)


def _kind_by_text(request: ApiRequest, message: str) -> type[ApiError] | None:
    if _has(message, NOT_FOUND_TEXTS):
        return NotFound
    if _has(message, DUPLICATE_TEXTS):
        return DuplicateMerchantUid
    if _has(message, BAD_REQUEST_TEXTS):
        return BadRequest
    if _has(message, NOT_SUPPORTED_TEXTS):
        return NotSupported
    if _has(message, DECLINED_TEXTS):
        return Declined
    if request.operation not in CANCEL_OPERATIONS:
        return None
    if _has(message, ALREADY_CANCELLED_TEXTS):
        return AlreadyCancelled
    if _has(message, CHECKSUM_TEXTS):
        return ChecksumMismatch
    if AMOUNT_EXCEEDED.search(message):
        return CancelAmountExceeded
    if REFUND_ACCOUNT.search(message):
        return RefundAccountRequired
    return PaymentNotCancellable


def _kind_by_status(status: int) -> type[ApiError]:
    return {
        400: BadRequest,
        404: NotFound,
        405: BadRequest,
        409: Conflict,
        422: BadRequest,
        501: NotSupported,
    }.get(status, ApiError)


def translate(exc: httpx.HTTPError, request: ApiRequest) -> IamportError:
    """The client error for an httpx exception raised while exchanging ``request``.

    Only failures before any byte left (connect, pool, a request httpx refused to
    build) are ``NotSent``; everything after that — timeouts while writing or
    reading, a dropped connection, a protocol error — is ``OutcomeUnknown``.
    """
    name = type(exc).__name__
    if isinstance(exc, NOT_SENT_EXCEPTIONS):
        return NotSent(f"not sent: {name}: {exc}", **request.context())
    return OutcomeUnknown(f"no answer: {name}: {exc}", write=not request.safe, **request.context())
