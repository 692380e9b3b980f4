"""What the shop tells the buyer, in plain Korean: order states, refusals, failed attempts,
an escrow order's delivery.

A refused Confirm Process comes back from i'mport as the attempt's
``fail_reason`` with our reason inside it (``core.confirm.Refusal`` values,
e.g. "... (상세사유 : sold out)"): ``attempt_failure`` turns it into a
headline and a sentence a buyer understands. The age gate's rules
(``core.identity.AgeRule``) get the same treatment.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.confirm import Refusal
from ...core.identity import AgeRule
from ...core.money import Money
from ...services.iamport_port import wire_amount
from .methods import PG_LABELS

__all__ = [
    "ESCROW_STEPS",
    "STATUS",
    "EscrowProgress",
    "Explained",
    "age_refusal",
    "attempt_failure",
    "courier_label",
    "escrow_progress",
    "method_label",
    "won",
]

#: Order states, as the buyer reads them.
STATUS = {
    "pending": "결제 대기",
    "held": "결제 확인 중",
    "paid": "결제 완료",
    "failed": "결제 실패",
    "cancelled": "주문 취소",
    "partially_refunded": "부분 환불",
    "refunded": "환불 완료",
    "unverified": "결제 확인 중",
    "flagged": "자동 환불 예정",
}

_METHODS = {
    "card": "신용·체크카드",
    "trans": "실시간 계좌이체",
    "vbank": "가상계좌",
    "phone": "휴대폰 소액결제",
    "kakaopay": "카카오페이",
    "naverpay": "네이버페이",
    "tosspay": "토스페이",
    "point": "간편결제 포인트",
}


@dataclass(frozen=True)
class Explained:
    """A headline and one sentence of explanation."""

    headline: str
    detail: str


_REFUSALS = {
    Refusal.SOLD_OUT: Explained(
        "품절되었습니다",
        "결제 직전에 남은 재고가 모두 팔렸습니다. 결제는 진행되지 않았고 돈은 빠져나가지 않았습니다.",
    ),
    Refusal.SALES_CLOSED: Explained(
        "지금은 판매를 잠시 멈췄습니다", "결제는 진행되지 않았습니다. 잠시 후 다시 시도해주세요."
    ),
    Refusal.NOT_ON_SALE: Explained("판매가 중지된 상품입니다", "결제는 진행되지 않았습니다."),
    Refusal.ORDER_EXPIRED: Explained(
        "주문 유효시간이 지났습니다", "결제는 진행되지 않았습니다. 상품을 다시 주문해주세요."
    ),
    Refusal.AMOUNT_MISMATCH: Explained(
        "결제 금액이 주문과 다릅니다", "결제는 진행되지 않았습니다. 상품을 다시 주문해주세요."
    ),
    Refusal.PAYMENT_IN_PROGRESS: Explained(
        "이 주문은 이미 결제가 진행 중입니다", "진행 중인 결제가 끝난 뒤 주문 상태를 확인해주세요."
    ),
    Refusal.NOT_PAYABLE: Explained(
        "더 이상 결제할 수 없는 주문입니다", "결제는 진행되지 않았습니다."
    ),
    Refusal.ORDER_NOT_FOUND: Explained("주문을 찾을 수 없습니다", "결제는 진행되지 않았습니다."),
}
_CANCELLED_BY_BUYER = "사용자가 결제를 취소"

_AGE = {
    AgeRule.IDENTITY_REQUIRED: "19세 이상만 구매할 수 있는 상품입니다. 먼저 본인인증을 해주세요.",
    AgeRule.IDENTITY_UNKNOWN: "19세 이상만 구매할 수 있는 상품입니다. 먼저 본인인증을 해주세요.",
    AgeRule.AGE_BELOW_MINIMUM: "본인인증 결과 구매 가능 연령에 해당하지 않아 구매할 수 없습니다.",
}


def attempt_failure(fail_reason: str | None) -> Explained:
    """What a failed payment attempt means to the buyer (its reason is i'mport's text)."""
    reason = (fail_reason or "").strip()
    for refusal, explained in _REFUSALS.items():
        if f"상세사유 : {refusal.value}" in reason or reason == refusal.value:
            return explained
    if _CANCELLED_BY_BUYER in reason:
        return Explained(
            "결제를 취소하셨습니다",
            "결제는 진행되지 않았습니다. 상품 페이지에서 다시 주문할 수 있습니다.",
        )
    return Explained("결제가 완료되지 않았습니다", reason or "결제창에서 결제가 끝나지 않았습니다.")


def age_refusal(rule: str) -> str | None:
    """The buyer's words for an age-gate refusal rule, or None for another rule."""
    try:
        return _AGE[AgeRule(rule)]
    except ValueError:
        return None


def method_label(pay_method: str | None, pg: str | None) -> str:
    """ "카드 (KG이니시스)"-style label of how an order is (being) paid."""
    if pg in ("kakaopay", "naverpay", "tosspay"):
        return PG_LABELS[pg]
    label = _METHODS.get(pay_method or "", pay_method or "-")
    return f"{label} ({PG_LABELS.get(pg or '', pg)})" if pg else label


def won(money: Money) -> str:
    """``15,000원`` (other currencies: ``12.50 USD``)."""
    if money.currency == "KRW":
        return f"{money.amount:,}원"
    return f"{wire_amount(money)} {money.currency}"


#: The steps of an escrow (구매안전) order, as the buyer follows them.
ESCROW_STEPS = ("결제 완료", "배송 중", "구매 확정")


@dataclass(frozen=True)
class EscrowProgress:
    """Where an escrow order stands: the last step reached (an index of ``ESCROW_STEPS``),
    in words, and what comes next."""

    step: int
    label: str
    detail: str


_SHIPPED = EscrowProgress(
    1, "배송 중", "상품을 받으신 뒤 결제하신 곳의 안내에 따라 구매를 확정하거나 거절해주세요."
)
#: Our escrow record's ``status`` (``core.escrow.EscrowStatus`` values); None: no delivery yet.
_ESCROW: dict[str | None, EscrowProgress] = {
    None: EscrowProgress(0, "상품 준비 중", "상품이 발송되면 택배사와 송장번호를 알려드립니다."),
    "registered": _SHIPPED,
    "delivery_registered": _SHIPPED,
    "purchase_confirmed": EscrowProgress(2, "구매 확정", "구매를 확정하셨습니다."),
    "auto_confirmed": EscrowProgress(
        2, "자동 구매 확정", "구매 확정 기간이 지나 자동으로 확정되었습니다."
    ),
    "force_confirmed": EscrowProgress(2, "구매 확정", "구매가 확정 처리되었습니다."),
    "purchase_refused": EscrowProgress(
        1, "구매 거절", "구매를 거절하셨습니다. 판매자가 확인한 뒤 처리됩니다."
    ),
    "refusal_confirmed": EscrowProgress(
        1, "구매 거절 확인", "판매자가 구매 거절을 확인했습니다. 환불이 진행됩니다."
    ),
    "transaction_cancelled": EscrowProgress(1, "거래 취소", "에스크로 거래가 취소되었습니다."),
}

#: Courier names of escrow ``logis.company`` codes (reference §8.5); others show their code.
_COURIERS = {
    "CJGLS": "CJ대한통운",
    "EPOST": "우체국택배",
    "HANJIN": "한진택배",
    "HYUNDAI": "롯데택배",
    "KGB": "로젠택배",
    "SAGAWA": "SC로지스",
    "HONAM": "우리택배",
}


def escrow_progress(status: str | None) -> EscrowProgress:
    """Where an escrow order stands, from our escrow record's status (None: no delivery)."""
    return _ESCROW.get(status, _SHIPPED)


def courier_label(company: str) -> str:
    """The courier's name for a ``logis.company`` code (the code itself if unknown)."""
    return _COURIERS.get(company, company)
