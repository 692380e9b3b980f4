"""The emulator's one error type: an i'mport answer that is not a success.

Every refusal the emulator gives is an ``ApiFault`` carrying the HTTP status,
the envelope ``code`` and the (Korean, where the real server's text is known)
``message``.  Handlers raise it; the app turns it into the i'mport envelope.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiFault", "Messages"]


class ApiFault(Exception):
    """A non-success i'mport answer: ``{code, message, response}`` with a status."""

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        code: int = -1,
        response: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.response = response
        self.headers = headers or {}


class Messages:
    """Server texts recorded in the reference (§10); reused so they stay exact."""

    MISSING_TOKEN_PARAMS = "imp_key, imp_secret 파라메터가 누락되었습니다."
    UNAUTHORIZED = "Unauthorized"
    PAYMENT_NOT_FOUND = "존재하지 않는 결제정보입니다."
    BAD_STATUS = "지원되지 않는 상태값입니다."
    PREPARE_NOT_FOUND = "사전등록된 결제정보가 존재하지 않습니다."
    PREPARE_DUPLICATE = "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."
    CANCEL_NOT_FOUND = "취소할 결제건이 존재하지 않습니다."
    CANCEL_NO_TARGET = "imp_uid 또는 merchant_uid 중 하나는 지정해주셔야합니다."
    ALREADY_CANCELLED = "이미 전액취소된 주문입니다."
    CANCEL_FAILED_PREFIX = "결제취소에 실패하였습니다."
    CUSTOMER_NOT_FOUND = "요청하신 customer_uid({customer_uid})로 등록된 정보를 찾을 수 없습니다."
    INVALID_CARD = "유효하지않은 카드번호를 입력하셨습니다."
    BILLING_KEY_FAILED = "카드정보 인증 및 빌키 발급에 실패하였습니다."
    NO_API_PG = "비인증결제모듈 사용정보를 찾을 수 없습니다."
    CARD_AUTH_FAILED = "카드정보 인증에 실패하였습니다."
    UNKNOWN_BUYER = "등록되지 않은 구매자입니다."
    SCHEDULE_NO_CUSTOMER = "등록된 고객정보가 없습니다."
    NOTHING_TO_UNSCHEDULE = "취소할 예약결제 기록이 존재하지 않습니다."
    CERTIFICATION_NOT_FOUND = "인증결과가 존재하지 않습니다."
    VBANK_CONTRACT = "가상계좌 발급을 위해서는 PG사와의 계약이 필요합니다."
    CONFIRM_REFUSED = "고객사 요청에 의해 결제를 중단합니다. (상세사유 : {reason})"
    CONFIRM_UNKNOWN_REASON = "알 수 없음"
    NOT_EMULATED = "paydesk 에뮬레이터가 지원하지 않는 API입니다. ({method} {path})"
    NO_ROUTE = "존재하지 않는 API입니다. ({method} {path})"
    METHOD_NOT_ALLOWED = "허용되지 않는 HTTP method입니다. ({method} {path})"

    @staticmethod
    def missing(name: str) -> str:
        return f"{name} 파라메터가 누락되었습니다."

    @staticmethod
    def invalid(name: str, detail: str) -> str:
        return f"{name} 파라메터가 올바르지 않습니다. ({detail})"
