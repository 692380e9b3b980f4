"""Every answer to a cancel has its class in the refund taxonomy (``services.refund_outcomes``)."""

from __future__ import annotations

import pytest

from paydesk.core.refund_lifecycle import Classification
from paydesk.iamport import (
    AlreadyCancelled,
    ApiError,
    CancelAmountExceeded,
    ChecksumMismatch,
    ForeignAnswer,
    NotSent,
    OutcomeUnknown,
    RefundAccountRequired,
    ServerError,
)
from paydesk.services.refund_outcomes import classify


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NotSent("refused"), Classification.NOT_SENT),
        (OutcomeUnknown("timeout", write=True), Classification.UNKNOWN),
        (ForeignAnswer("html", write=True, http_status=502), Classification.UNKNOWN),
        (ServerError("bad gateway", write=True, http_status=502, code=None), Classification.UNKNOWN),
        (ChecksumMismatch("x", http_status=200, code=1), Classification.REJECTED_RETRYABLE),
        (AlreadyCancelled("x", http_status=200, code=1), Classification.REJECTED_PERMANENT),
        (CancelAmountExceeded("x", http_status=200, code=1), Classification.REJECTED_PERMANENT),
        (RefundAccountRequired("환불계좌 정보가 필요합니다", http_status=200, code=1),
         Classification.NEEDS_INPUT),
        (ApiError("결제취소에 실패하였습니다.(가상계좌 환불은 23:00~06:00에는 요청할 수 없습니다)",
                  http_status=200, code=1), Classification.REJECTED_RETRYABLE),
        (ApiError("결제취소에 실패하였습니다.(휴대폰 소액결제는 결제한 달에만 취소할 수 있습니다)",
                  http_status=200, code=1), Classification.REJECTED_PERMANENT),
    ],
)  # fmt: skip
def test_every_answer_has_its_class(error: Exception, expected: Classification) -> None:
    assert classify(error) is expected  # type: ignore[arg-type]
