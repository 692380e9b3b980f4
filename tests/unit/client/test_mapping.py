"""Answers and httpx exceptions become the right error, with the right flags."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from paydesk.iamport.errors import (
    AlreadyCancelled,
    ApiError,
    BadRequest,
    CancelAmountExceeded,
    ChecksumMismatch,
    Conflict,
    Declined,
    DuplicateMerchantUid,
    IamportError,
    NotFound,
    NotSent,
    NotSupported,
    OutcomeUnknown,
    PaymentNotCancellable,
    ServerError,
    Unauthorized,
    UnreadableAnswer,
)
from paydesk.iamport.exchange import ApiRequest
from paydesk.iamport.mapping import read_envelope, translate

READ = ApiRequest("payments.get", "GET", "/payments/imp_1", keys={"imp_uid": "imp_1"})
CANCEL = ApiRequest(
    "payments.cancel", "POST", "/payments/cancel", keys={"imp_uid": "imp_1", "checksum": 500}
)
ONETIME = ApiRequest("subscribe.onetime", "POST", "/subscribe/payments/onetime")


def answer(
    request: ApiRequest, status: int, code: int | None, message: str | None, **extra: Any
) -> Any:
    body = json.dumps({"code": code, "message": message, "response": None, **extra}).encode()
    return read_envelope(request, status, httpx.Headers({"x-request-id": "req-9"}), body)


def error_of(request: ApiRequest, status: int, code: int | None, message: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        answer(request, status, code, message)
    return caught.value


def test_success_and_partial_multi_lookup_are_not_errors() -> None:
    assert answer(READ, 200, 0, None).code == 0
    partial = answer(READ, 207, 1, "일부 결제건을 찾을 수 없습니다.")
    assert partial.http_status == 207 and partial.request_id == "req-9"


@pytest.mark.parametrize(
    ("request_", "status", "code", "message", "kind"),
    [
        (READ, 401, -1, "Unauthorized", Unauthorized),
        (READ, 404, -1, "존재하지 않는 결제정보입니다.", NotFound),
        (READ, 400, -1, "지원되지 않는 상태값입니다.", BadRequest),
        (READ, 409, 1, "배송정보가 이미 등록되었습니다.", Conflict),
        (READ, 501, -1, "지원하지 않는 PG사입니다.", NotSupported),
        (READ, 503, -1, "일시적인 오류", ServerError),
        (READ, 200, 1, "요청하신 customer_uid(c1)로 등록된 정보를 찾을 수 없습니다.", NotFound),
        (CANCEL, 200, 1, "취소할 결제건이 존재하지 않습니다.", NotFound),
        (CANCEL, 200, 1, "이미 전액취소된 주문입니다.", AlreadyCancelled),
        (
            CANCEL,
            200,
            1,
            "결제취소에 실패하였습니다.(취소가능잔액 검증에 실패하였습니다. "
            "요청 checksum 500, 실제 취소가능잔액 400)",
            ChecksumMismatch,
        ),
        (
            CANCEL,
            200,
            1,
            "결제취소에 실패하였습니다.(취소요청금액 900이 취소가능잔액 400보다 큽니다)",
            CancelAmountExceeded,
        ),
        (
            CANCEL,
            200,
            1,
            "결제취소에 실패하였습니다.(requested cancel amount is bigger than cancelable amount)",
            CancelAmountExceeded,
        ),
        (CANCEL, 200, 1, "결제취소에 실패하였습니다.(PG사 오류)", PaymentNotCancellable),
        (ONETIME, 200, -1, "카드정보 인증에 실패하였습니다. 유효기간 오류", Declined),
        (ONETIME, 200, -1, "등록되지 않은 구매자입니다.", NotFound),
        (ONETIME, 200, 1, "비인증결제모듈 사용정보를 찾을 수 없습니다.", NotSupported),
    ],
)
def test_answer_to_error(
    request_: ApiRequest, status: int, code: int, message: str, kind: type[ApiError]
) -> None:
    error = error_of(request_, status, code, message)
    assert type(error) is kind
    assert error.http_status == status and error.code == code and error.message == message
    assert error.request_id == "req-9"
    assert error.operation == request_.operation and error.path == request_.path
    assert error.keys == dict(request_.keys)


TOKEN = ApiRequest("auth.token", "POST", "/users/getToken", auth=False)
PREPARE = ApiRequest("payments.prepare", "POST", "/payments/prepare")
PREPARED = ApiRequest("payments.prepared", "GET", "/payments/prepare/o_1")
BILLING_KEY = ApiRequest("customers.issue", "POST", "/subscribe/customers/c_1")
CUSTOMER = ApiRequest("customers.get", "GET", "/subscribe/customers/c_1")
SCHEDULE = ApiRequest("schedules.add", "POST", "/subscribe/payments/schedule")
UNSCHEDULE = ApiRequest("schedules.revoke", "POST", "/subscribe/payments/unschedule")
CERTIFICATION = ApiRequest("certifications.get", "GET", "/certifications/imp_1")
VBANK = ApiRequest("vbanks.issue", "POST", "/vbanks")
STATUS = ApiRequest("payments.by_status", "GET", "/payments/status/bad")


@pytest.mark.parametrize(
    ("request_", "status", "code", "message", "kind"),
    [
        (TOKEN, 200, -1, "imp_key, imp_secret 파라메터가 누락되었습니다.", BadRequest),
        (TOKEN, 400, -1, "imp_key, imp_secret 파라메터가 누락되었습니다.", BadRequest),
        (TOKEN, 401, None, "Unauthorized", Unauthorized),
        (READ, 401, -1, "Unauthorized", Unauthorized),
        (READ, 404, -1, "존재하지 않는 결제정보입니다.", NotFound),
        (READ, 200, -1, "존재하지 않는 결제정보입니다.", NotFound),
        (STATUS, 400, -1, "지원되지 않는 상태값입니다.", BadRequest),
        (PREPARED, 404, 1, "사전등록된 결제정보가 존재하지 않습니다.", NotFound),
        (
            PREPARE,
            200,
            1,
            "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).",
            DuplicateMerchantUid,
        ),
        (CANCEL, 200, 1, "취소할 결제건이 존재하지 않습니다.", NotFound),
        (CANCEL, 200, -1, "imp_uid 또는 merchant_uid 중 하나는 지정해주셔야합니다.", BadRequest),
        (CANCEL, 400, -1, "imp_uid 또는 merchant_uid 중 하나는 지정해주셔야합니다.", BadRequest),
        (CANCEL, 200, 1, "이미 전액취소된 주문입니다.", AlreadyCancelled),
        (CANCEL, 200, 1, "결제취소에 실패하였습니다.(카드사 전산 오류)", PaymentNotCancellable),
        (
            CUSTOMER,
            404,
            1,
            "요청하신 customer_uid(c_1)로 등록된 정보를 찾을 수 없습니다.",
            NotFound,
        ),
        (
            CUSTOMER,
            200,
            1,
            "요청하신 customer_uid(c_1)로 등록된 정보를 찾을 수 없습니다.",
            NotFound,
        ),
        (BILLING_KEY, 200, -1, "유효하지않은 카드번호를 입력하셨습니다.", Declined),
        (BILLING_KEY, 200, -1, "카드정보 인증 및 빌키 발급에 실패하였습니다. [F112]", Declined),
        (BILLING_KEY, 200, 1, "비인증결제모듈 사용정보를 찾을 수 없습니다.", NotSupported),
        (ONETIME, 200, -1, "카드정보 인증에 실패하였습니다. 유효기간 오류", Declined),
        (ONETIME, 200, -1, "[F113] 유효하지않은 카드번호를 입력하셨습니다.", Declined),
        (ONETIME, 200, -1, "등록되지 않은 구매자입니다.", NotFound),
        (SCHEDULE, 200, 1, "등록된 고객정보가 없습니다. (c_1)", NotFound),
        (UNSCHEDULE, 200, 1, "취소할 예약결제 기록이 존재하지 않습니다.", NotFound),
        (CERTIFICATION, 404, -1, "인증결과가 존재하지 않습니다.", NotFound),
        (VBANK, 200, 1, "가상계좌 발급을 위해서는 별도 계약이 필요합니다.", NotSupported),
        (VBANK, 400, 1, "가상계좌 발급을 위해서는 별도 계약이 필요합니다.", NotSupported),
    ],
)
def test_every_observed_message_of_reference_section_10_has_its_error(
    request_: ApiRequest, status: int, code: int | None, message: str, kind: type[ApiError]
) -> None:
    """Reference §10, row by row (with each HTTP status it is observed with): nobody has to
    match a Korean text to know what happened."""
    error = error_of(request_, status, code, message)
    assert type(error) is kind, (message, type(error))
    assert not error.reconcile and not error.retryable


def test_explicit_refusals_are_neither_retryable_nor_to_reconcile() -> None:
    for kind_message in ("이미 전액취소된 주문입니다.", "결제취소에 실패하였습니다.(PG사 오류)"):
        error = error_of(CANCEL, 200, 1, kind_message)
        assert not error.retryable and not error.reconcile
    mismatch = error_of(CANCEL, 200, 1, "결제취소에 실패하였습니다.(취소가능잔액 검증에 실패)")
    assert mismatch.reconcile  # someone else refunded: re-read before deciding


def test_a_5xx_is_retryable_for_reads_and_must_be_reconciled_for_writes() -> None:
    read = error_of(READ, 502, None, "bad gateway")
    write = error_of(CANCEL, 500, -1, "결제취소에 실패하였습니다.(PG 통신 오류)")
    assert isinstance(read, ServerError) and isinstance(write, ServerError)
    assert read.retryable and not read.reconcile
    assert write.reconcile and not write.retryable


def test_an_html_error_page_is_a_server_error_and_garbage_200_is_unreadable() -> None:
    with pytest.raises(ServerError) as server:
        read_envelope(READ, 502, {}, b"<html>Bad Gateway</html>")
    assert "Bad Gateway" in server.value.message
    with pytest.raises(UnreadableAnswer) as garbage:
        read_envelope(CANCEL, 200, {}, b"<html>captive portal</html>")
    assert isinstance(garbage.value, OutcomeUnknown)
    assert garbage.value.reconcile and garbage.value.keys["checksum"] == 500


def fake_request() -> httpx.Request:
    return httpx.Request("POST", "https://api.iamport.kr/payments/cancel")


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused", request=fake_request()),
        httpx.ConnectTimeout("slow connect", request=fake_request()),
        httpx.PoolTimeout("pool full", request=fake_request()),
    ],
)
def test_failures_before_sending_are_not_sent(exc: httpx.HTTPError) -> None:
    error = translate(exc, CANCEL)
    assert type(error) is NotSent
    assert error.retryable and not error.reconcile
    assert error.keys == {"imp_uid": "imp_1", "checksum": 500}


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("slow answer", request=fake_request()),
        httpx.ReadError("reset", request=fake_request()),
        httpx.RemoteProtocolError("peer closed", request=fake_request()),
        httpx.WriteError("broken pipe", request=fake_request()),
        httpx.WriteTimeout("slow upload", request=fake_request()),
    ],
)
def test_failures_after_sending_are_outcome_unknown(exc: httpx.HTTPError) -> None:
    write = translate(exc, CANCEL)
    assert type(write) is OutcomeUnknown
    assert write.reconcile and not write.retryable
    assert write.operation == "payments.cancel" and write.method == "POST"
    read = translate(exc, READ)
    assert read.retryable and not read.reconcile


def test_error_text_names_the_operation() -> None:
    error: IamportError = translate(httpx.ReadTimeout("t", request=fake_request()), CANCEL)
    assert "payments.cancel (POST /payments/cancel)" in str(error)
