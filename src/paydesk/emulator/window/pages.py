"""The pages of the emulated PG window: what each one shows, rendered from templates.

Only presentation lives here (labels, choices, the context of each template);
what a submitted page does is in ``methods``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..gateway.cards import TEST_CARDS
from ..gateway.records import Payment
from ..templating import Templates, money_label
from .methods import bank_choices
from .pay_request import BILLING_AT_ONCE_PGS, INSTALLMENT_MINIMUM, installment_choices
from .session import WindowSession

__all__ = ["PG_LABELS", "WindowPages"]

PG_LABELS = {
    "html5_inicis": "KG이니시스",
    "inicis": "KG이니시스",
    "kcp": "NHN KCP",
    "kcp_billing": "NHN KCP 정기결제",
    "uplus": "토스페이먼츠(구모듈)",
    "tosspayments": "토스페이먼츠",
    "nice": "나이스페이",
    "nice_v2": "나이스페이먼츠",
    "kicc": "KICC 이지페이",
    "danal": "다날 휴대폰",
    "danal_tpay": "다날",
    "mobilians": "KG모빌리언스",
    "daou": "키움페이",
    "paymentwall": "Paymentwall",
    "smartro": "스마트로",
    "smartro_v2": "스마트로",
    "settle": "헥토파이낸셜",
    "settle_acc": "헥토 내통장결제",
    "ksnet": "KSNET",
    "welcome": "웰컴페이먼츠",
    "eximbay": "엑심베이",
    "jtnet": "JTNet",
    "bluewalnut": "블루월넛",
    "galaxia": "갤럭시아머니트리",
}
EASY_LABELS = {
    "kakaopay": "카카오페이",
    "naverpay": "네이버페이",
    "naverco": "네이버페이(주문형)",
    "payco": "페이코",
    "tosspay": "토스페이",
    "tosspay_v2": "토스페이",
    "samsungpay": "삼성페이",
    "ssgpay": "SSGPAY",
    "lpay": "L.PAY",
    "applepay": "Apple Pay",
    "toss_brandpay": "브랜드페이",
    "paypal": "PayPal",
    "paypal_v2": "PayPal",
    "chai": "차이",
    "alipay": "Alipay",
    "smilepay": "스마일페이",
    "kpay": "KPAY",
    "pinpay": "PINPAY",
    "skpay": "SKPAY",
    "syrup": "시럽페이",
}
_OUTCOME_LABELS = {
    "approve": "승인",
    "decline": "거절",
    "insufficient": "잔액 부족",
    "hang": "승인 후 응답 없음",
    "expired": "유효기간 경과",
}


def _dashed(number: str) -> str:
    return "-".join(number[i : i + 4] for i in range(0, len(number), 4))


def _billing_note(session: WindowSession, payment: Payment) -> str | None:
    if not payment.customer_uid:
        return None
    if payment.amount == 0:
        charged = "결제 없이 빌링키만 발급합니다"
    else:
        charged = f"발급과 함께 {money_label(payment.amount, payment.currency)}을 결제합니다"
    at_once = session.channel.pg_provider in BILLING_AT_ONCE_PGS
    if not at_once and session.request and session.request.amount:
        charged += " (이 PG는 발급과 동시 결제를 지원하지 않습니다)"
    return f"빌링키 발급 · customer_uid={payment.customer_uid} · {charged}"


class WindowPages:
    """Renders the window's pages for one session."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def _base(self, request: Request, session: WindowSession | None, stage: str) -> dict[str, Any]:
        root = request.scope.get("root_path", "")
        pg = session.channel.pg_provider if session else ""
        return {
            "root": root,
            "session": session,
            "stage": stage,
            "pg_label": PG_LABELS.get(pg) or EASY_LABELS.get(pg) or pg or "paydesk",
            "cancel_url": f"{root}/window/{session.sid}/cancel" if session else None,
        }

    def checkout(
        self,
        request: Request,
        session: WindowSession,
        payment: Payment,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """The PG page for the session's pay method (``error``: stay and explain)."""
        base = self._base(request, session, "checkout")
        quota = session.request.card_quota if session.request else None
        easy = payment.emb_pg_provider or session.channel.pg_provider
        return self.templates.render(
            "window/checkout.html",
            **base,
            request=session.request,
            amount_label=money_label(payment.amount, payment.currency),
            billing=_billing_note(session, payment),
            error=error,
            form=form or {},
            submit_url=f"{base['root']}/window/{session.sid}/submit",
            quota_choices=installment_choices(payment.amount, quota),
            amount_below_installments=payment.amount < INSTALLMENT_MINIMUM,
            banks=bank_choices(session.channel.pg_provider),
            easy_label=EASY_LABELS.get(easy, easy),
            test_cards=[
                (_dashed(n), f"{p.card_name} · {_OUTCOME_LABELS[p.outcome]}")
                for n, p in TEST_CARDS.items()
            ],
        )

    def result(self, request: Request, session: WindowSession, rsp: dict[str, Any]) -> HTMLResponse:
        """The last page: hands ``rsp`` to the merchant page (window.js)."""
        done = "가상계좌가 발급되었습니다." if rsp.get("vbank_num") else "처리가 완료되었습니다."
        return self.templates.render(
            "window/result.html",
            **self._base(request, session, "result"),
            rsp=rsp,
            done_label=done,
        )

    def certification(
        self,
        request: Request,
        session: WindowSession,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """The identity verification form."""
        base = self._base(request, session, "checkout")
        return self.templates.render(
            "window/certification.html",
            **base,
            params=session.params,
            error=error,
            form=form or {},
            submit_url=f"{base['root']}/window/{session.sid}/certify",
        )

    def error(self, request: Request, message: str, status: int = 400) -> HTMLResponse:
        """A window that cannot even start (no session to report to)."""
        base = {**self._base(request, None, "error"), "cancel_url": None}
        return self.templates.render("window/error.html", **base, error=message, status=status)
