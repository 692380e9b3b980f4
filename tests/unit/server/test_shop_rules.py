"""The demo shop's pure rules: which iamport.js it loads, which pay methods it offers,
how a failed attempt and an escrow delivery are told to the buyer."""

from __future__ import annotations

import pytest

from paydesk.core.confirm import Refusal
from paydesk.core.escrow import COURIERS, EscrowStatus
from paydesk.settings import IAMPORT_JS_CDN, Settings
from paydesk.web.shop.methods import METHODS, resolve
from paydesk.web.shop.wording import (
    ESCROW_STEPS,
    age_refusal,
    attempt_failure,
    courier_label,
    escrow_progress,
    method_label,
)

CONFIRM_REFUSED = "고객사 요청에 의해 결제를 중단합니다. (상세사유 : {})"


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"iamport_base_url": "http://127.0.0.1:8099/"}, "http://127.0.0.1:8099/v1/iamport.js"),
     ({"iamport_base_url": "https://api.iamport.kr"}, IAMPORT_JS_CDN),
     ({"iamport_base_url": "http://127.0.0.1:8099", "iamport_js_url": IAMPORT_JS_CDN},
      IAMPORT_JS_CDN)],
    ids=["emulator", "real-api", "told"],
)  # fmt: skip
def test_the_iamport_js_the_shop_loads(values: dict[str, str], expected: str) -> None:
    settings = Settings(**{"iamport_js_url": None, **values})  # type: ignore[arg-type]
    assert settings.iamport_js() == expected


def test_an_iamport_js_url_must_be_a_url() -> None:
    with pytest.raises(ValueError):
        Settings(iamport_js_url="javascript:alert(1)")


def test_pay_methods_resolve_only_to_offered_pgs() -> None:
    assert resolve("card", None) == ("card", "html5_inicis")
    assert resolve("vbank", "nice") == ("vbank", "nice")
    assert resolve("kakaopay", None) == ("card", "kakaopay")
    assert resolve("card", "kakaopay") is None
    assert resolve("bitcoin", None) is None
    assert {"card", "trans", "vbank", "phone", "kakaopay", "naverpay", "tosspay"} <= set(METHODS)


def test_a_confirm_refusal_is_told_in_korean() -> None:
    sold_out = attempt_failure(CONFIRM_REFUSED.format(Refusal.SOLD_OUT.value))
    assert sold_out.headline == "품절되었습니다" and "재고" in sold_out.detail
    expired = attempt_failure(CONFIRM_REFUSED.format(Refusal.ORDER_EXPIRED.value))
    assert expired.headline == "주문 유효시간이 지났습니다"
    declined = attempt_failure("[PG 거절] 카드사 승인 거절")
    assert declined.detail == "[PG 거절] 카드사 승인 거절"
    assert attempt_failure("사용자가 결제를 취소하셨습니다").headline == "결제를 취소하셨습니다"
    assert attempt_failure(None).headline == "결제가 완료되지 않았습니다"


def test_age_refusals_and_method_labels() -> None:
    assert age_refusal("identity_required") and "본인인증" in (
        age_refusal("identity_unknown") or ""
    )
    assert age_refusal("something_else") is None
    assert method_label("card", "kcp") == "신용·체크카드 (NHN KCP)"
    assert method_label("card", "naverpay") == "네이버페이"


def test_every_escrow_status_has_the_buyers_words() -> None:
    assert (escrow_progress(None).step, escrow_progress(None).label) == (0, "상품 준비 중")
    told = {status: escrow_progress(status.value) for status in EscrowStatus}
    assert {status: p.step for status, p in told.items() if p.step == 2} == {
        EscrowStatus.PURCHASE_CONFIRMED: 2, EscrowStatus.AUTO_CONFIRMED: 2,
        EscrowStatus.FORCE_CONFIRMED: 2}  # fmt: skip
    assert all(0 <= p.step < len(ESCROW_STEPS) and p.label and p.detail for p in told.values())
    assert told[EscrowStatus.PURCHASE_REFUSED].label == "구매 거절"
    assert escrow_progress("99").label == "배송 중"  # a status we do not know yet: shipped


def test_couriers_by_name_else_by_code() -> None:
    assert (courier_label("CJGLS"), courier_label("HYUNDAI")) == ("CJ대한통운", "롯데택배")
    assert courier_label("DAESIN") == "DAESIN" and "DAESIN" in COURIERS
