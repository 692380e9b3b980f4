"""The admin console's labels, in Korean (the default) and English.

Templates call ``t("key")``; each page adds its own keys to ``LABELS``
(grouped by a ``page.`` prefix). A key nobody defined shows itself, so a
missing label is visible on the page rather than an error.
"""

from __future__ import annotations

from typing import Protocol

__all__ = [
    "DEFAULT_LANG",
    "LABELS",
    "LANGS",
    "CodeLabel",
    "Translator",
    "code_labels",
    "translate",
    "translator",
]

DEFAULT_LANG = "ko"
LANGS = ("ko", "en")


class Translator(Protocol):
    """``t("key")``, or ``t("key", name=...)`` to fill ``{name}`` in the label."""

    def __call__(self, key: str, /, **values: object) -> str: ...


class CodeLabel(Protocol):
    """``code_label("status", "paid")``: the label ``status.paid``, or the code itself."""

    def __call__(self, prefix: str, code: str | None, /) -> str: ...


LABELS: dict[str, dict[str, str]] = {
    # -- the frame: title, navigation, language ------------------------------------------
    "app.title": {"ko": "paydesk 관리자", "en": "paydesk admin"},
    "nav.dashboard": {"ko": "대시보드", "en": "Dashboard"},
    "nav.payments": {"ko": "거래 조회", "en": "Payments"},
    "nav.retries": {"ko": "재시도 큐", "en": "Retry queue"},
    "nav.subscriptions": {"ko": "구독", "en": "Subscriptions"},
    "nav.vbanks": {"ko": "가상계좌", "en": "Virtual accounts"},
    "nav.receipts": {"ko": "현금영수증", "en": "Cash receipts"},
    "nav.escrows": {"ko": "에스크로", "en": "Escrow"},
    "nav.keys": {"ko": "API 키", "en": "API keys"},
    "nav.checklist": {"ko": "오픈 체크리스트", "en": "Launch checklist"},
    "nav.logout": {"ko": "로그아웃", "en": "Log out"},
    "nav.menu": {"ko": "메뉴", "en": "Menu"},
    "lang.label": {"ko": "언어", "en": "Language"},
    "lang.ko": {"ko": "한국어", "en": "한국어"},
    "lang.en": {"ko": "English", "en": "English"},
    "lang.switch": {"ko": "English", "en": "한국어"},
    "common.signed_in_as": {"ko": "로그인 사용자", "en": "Signed in as"},
    "common.forbidden": {"ko": "요청이 거부되었습니다", "en": "Request refused"},
    "common.csrf_refused": {
        "ko": "보안 토큰이 없거나 맞지 않아 요청을 처리하지 않았습니다. 페이지를 새로 고친 뒤 "
        "다시 시도하세요.",
        "en": "The form's security token was missing or wrong, so nothing was done. Reload "
        "the page and try again.",
    },
    "common.back": {"ko": "돌아가기", "en": "Back"},
    "common.not_found": {"ko": "찾을 수 없습니다", "en": "Not found"},
    # -- login -----------------------------------------------------------------------------
    "login.title": {"ko": "관리자 로그인", "en": "Admin login"},
    "login.username": {"ko": "아이디", "en": "Username"},
    "login.password": {"ko": "비밀번호", "en": "Password"},
    "login.submit": {"ko": "로그인", "en": "Log in"},
    "login.failed": {
        "ko": "아이디 또는 비밀번호가 올바르지 않습니다.",
        "en": "Wrong username or password.",
    },
    "login.throttled": {
        "ko": "로그인 실패가 너무 많습니다. {minutes}분 후에 다시 시도하세요.",
        "en": "Too many failed logins. Try again in {minutes} min.",
    },
    "login.expired": {
        "ko": "세션이 만료되었거나 로그인이 필요합니다.",
        "en": "Your session ended, or you need to log in.",
    },
    "login.logged_out": {"ko": "로그아웃했습니다.", "en": "You are logged out."},
    # -- dashboard ---------------------------------------------------------------------------
    "dashboard.title": {"ko": "대시보드", "en": "Dashboard"},
    "dashboard.today": {"ko": "오늘 (한국 시간)", "en": "Today (Korea time)"},
    "dashboard.sales": {"ko": "매출", "en": "Sales"},
    "dashboard.refunds": {"ko": "환불", "en": "Refunds"},
    "dashboard.net": {"ko": "순매출", "en": "Net"},
    "dashboard.count": {"ko": "{n}건", "en": "{n} payments"},
    "dashboard.refund_count": {"ko": "{n}건", "en": "{n} refunds"},
    "dashboard.chart": {
        "ko": "최근 {days}일 매출과 환불",
        "en": "Sales and refunds, last {days} days",
    },
    "dashboard.chart_fallback": {
        "ko": "차트를 그릴 수 없습니다. 아래 표를 보세요.",
        "en": "The chart could not be drawn; see the table below.",
    },
    "dashboard.day": {"ko": "날짜", "en": "Day"},
    "dashboard.attention": {"ko": "확인이 필요한 항목", "en": "Needs a look"},
    "dashboard.pending": {"ko": "결제 대기", "en": "Awaiting payment"},
    "dashboard.unverified": {"ko": "미검증", "en": "Unverified"},
    "dashboard.unknown": {"ko": "결과 불명", "en": "Outcome unknown"},
    "dashboard.needs_input": {"ko": "환불 계좌 필요", "en": "Refund account needed"},
    "dashboard.flagged": {"ko": "환불 필요 (주문 처리 불가)", "en": "Refund owed (flagged)"},
    "dashboard.reconciliation": {"ko": "대사 (i'mport와 장부 비교)", "en": "Reconciliation"},
    "dashboard.no_reconciliation": {
        "ko": "아직 대사 기록이 없습니다.",
        "en": "No reconciliation yet.",
    },
    "dashboard.last_finished": {"ko": "마지막 완료", "en": "Last finished"},
    "dashboard.last_sweep": {"ko": "최근 실행", "en": "Latest run"},
    "dashboard.checked": {"ko": "확인한 결제", "en": "Payments checked"},
    "dashboard.drift": {"ko": "불일치", "en": "Drift"},
    "dashboard.no_drift": {"ko": "불일치 없음", "en": "No drift"},
    "dashboard.reconcile_now": {"ko": "지금 대사 실행", "en": "Run a reconciliation now"},
    "dashboard.reconcile_queued": {
        "ko": "대사를 예약했습니다. 워커가 곧 실행합니다.",
        "en": "Reconciliation queued; the worker runs it shortly.",
    },
    "dashboard.reconcile_busy": {
        "ko": "이미 대기 중이거나 실행 중인 대사가 있습니다.",
        "en": "A reconciliation is already queued or running.",
    },
    "dashboard.queue": {"ko": "재시도 큐", "en": "Retry queue"},
    "dashboard.retrying": {"ko": "재시도 중", "en": "Retrying"},
    "dashboard.dead": {"ko": "실패(데드레터)", "en": "Dead letters"},
    "dashboard.open_queue": {"ko": "재시도 큐 열기", "en": "Open the retry queue"},
    # -- transaction search ------------------------------------------------------------------
    "payments.title": {"ko": "거래 조회", "en": "Payments"},
    "payments.search": {"ko": "검색", "en": "Search"},
    "payments.reset": {"ko": "초기화", "en": "Reset"},
    "payments.export": {"ko": "CSV 내보내기", "en": "Export CSV"},
    "payments.imp_uid": {"ko": "imp_uid", "en": "imp_uid"},
    "payments.merchant_uid": {"ko": "주문번호 (merchant_uid)", "en": "merchant_uid"},
    "payments.apply_num": {"ko": "승인번호", "en": "Approval number"},
    "payments.pg_tid": {"ko": "PG 거래번호 (pg_tid)", "en": "PG tid"},
    "payments.buyer": {"ko": "구매자 (이름·이메일)", "en": "Buyer (name or e-mail)"},
    "payments.status": {"ko": "주문 상태", "en": "Order status"},
    "payments.method": {"ko": "결제수단", "en": "Method"},
    "payments.attention": {"ko": "확인 필요", "en": "Needs a look"},
    "payments.date_from": {"ko": "시작일", "en": "From"},
    "payments.date_to": {"ko": "종료일", "en": "To"},
    "payments.any": {"ko": "전체", "en": "Any"},
    "payments.total": {"ko": "{total}건 중 {first}–{last}", "en": "{first}–{last} of {total}"},
    "payments.none": {"ko": "조건에 맞는 거래가 없습니다.", "en": "No matching payments."},
    "payments.bad_filter": {
        "ko": "검색 조건이 올바르지 않습니다",
        "en": "The search filter is not valid",
    },
    "payments.order": {"ko": "주문", "en": "Order"},
    "payments.name": {"ko": "상품명", "en": "Item"},
    "payments.amount": {"ko": "금액", "en": "Amount"},
    "payments.refunded": {"ko": "환불액", "en": "Refunded"},
    "payments.created_at": {"ko": "주문 시각", "en": "Ordered"},
    "payments.paid_at": {"ko": "결제 시각", "en": "Paid"},
    "payments.previous": {"ko": "이전", "en": "Previous"},
    "payments.next": {"ko": "다음", "en": "Next"},
    "payments.page": {"ko": "{page} / {pages} 페이지", "en": "Page {page} of {pages}"},
    "attention.unknown": {"ko": "결과 불명", "en": "Outcome unknown"},
    "attention.needs_input": {"ko": "환불 계좌 필요", "en": "Refund account needed"},
    "status.pending": {"ko": "결제 대기", "en": "Pending"},
    "status.held": {"ko": "확인 중", "en": "Held"},
    "status.paid": {"ko": "결제 완료", "en": "Paid"},
    "status.failed": {"ko": "결제 실패", "en": "Failed"},
    "status.cancelled": {"ko": "취소됨", "en": "Cancelled"},
    "status.partially_refunded": {"ko": "부분 환불", "en": "Partly refunded"},
    "status.refunded": {"ko": "전액 환불", "en": "Refunded"},
    "status.unverified": {"ko": "미검증", "en": "Unverified"},
    "status.flagged": {"ko": "조치 필요", "en": "Flagged"},
    "method.card": {"ko": "신용카드", "en": "Card"},
    "method.trans": {"ko": "실시간 계좌이체", "en": "Bank transfer"},
    "method.vbank": {"ko": "가상계좌", "en": "Virtual account"},
    "method.phone": {"ko": "휴대폰 소액결제", "en": "Phone"},
    "method.point": {"ko": "포인트·간편결제", "en": "Points / easy pay"},
    # -- order detail ------------------------------------------------------------------------
    "order.title": {"ko": "주문 {merchant_uid}", "en": "Order {merchant_uid}"},
    "order.not_found": {"ko": "그런 주문이 없습니다.", "en": "No such order."},
    "order.summary": {"ko": "주문 정보", "en": "Order"},
    "order.payment": {"ko": "결제 정보", "en": "Payment"},
    "order.buyer": {"ko": "구매자", "en": "Buyer"},
    "order.amount": {"ko": "주문 금액", "en": "Order amount"},
    "order.paid": {"ko": "결제 금액", "en": "Paid"},
    "order.refunded": {"ko": "환불 금액", "en": "Refunded"},
    "order.remaining": {"ko": "환불 가능 금액", "en": "Refundable"},
    "order.created_at": {"ko": "주문 시각", "en": "Ordered"},
    "order.payment_status": {"ko": "결제 상태", "en": "Payment status"},
    "order.pg": {"ko": "PG", "en": "PG"},
    "order.no_payment": {"ko": "아직 결제가 없습니다.", "en": "No payment yet."},
    "order.timeline": {"ko": "타임라인", "en": "Timeline"},
    "order.raw": {"ko": "원본 보기", "en": "Raw"},
    "order.raw_body": {"ko": "수신한 원본 본문", "en": "Body as received"},
    "order.replay": {"ko": "웹훅 다시 처리", "en": "Replay webhook"},
    "order.replayed": {
        "ko": "웹훅 #{inbox_id}을(를) 다시 처리했습니다: {outcome}",
        "en": "Webhook #{inbox_id} replayed: {outcome}",
    },
    "order.replay_failed": {
        "ko": "웹훅 #{inbox_id}을(를) 다시 처리하지 못했습니다: {error}",
        "en": "Webhook #{inbox_id} could not be replayed: {error}",
    },
    "order.no_webhook": {
        "ko": "이 주문의 웹훅이 아닙니다.",
        "en": "That webhook is not one of this order's.",
    },
    "kind.order": {"ko": "주문", "en": "Order"},
    "kind.decision": {"ko": "컨펌 판단", "en": "Confirm decision"},
    "kind.webhook": {"ko": "웹훅 수신", "en": "Webhook"},
    "kind.call": {"ko": "i'mport API 호출", "en": "i'mport call"},
    "kind.payment": {"ko": "결제", "en": "Payment"},
    "kind.refund": {"ko": "환불", "en": "Refund"},
    "kind.refund_attempt": {"ko": "환불 시도", "en": "Refund attempt"},
    "kind.job": {"ko": "작업", "en": "Job"},
    "kind.drift": {"ko": "대사 불일치", "en": "Reconciliation drift"},
    # -- the refund form -----------------------------------------------------------------------
    "refund.title": {"ko": "환불", "en": "Refund"},
    "refund.intro": {
        "ko": "금액을 비우면 남은 금액 전체를 환불합니다.",
        "en": "Leave the amount empty to refund everything left.",
    },
    "refund.amount": {"ko": "환불 금액 (원)", "en": "Amount"},
    "refund.reason": {"ko": "환불 사유", "en": "Reason"},
    "refund.tax_free": {"ko": "면세 금액 (선택)", "en": "Tax-free part (optional)"},
    "refund.vat_amount": {"ko": "부가세 (선택)", "en": "VAT part (optional)"},
    "refund.account": {"ko": "환불 계좌 (가상계좌·계좌이체)", "en": "Refund account"},
    "refund.holder": {"ko": "예금주", "en": "Holder"},
    "refund.bank": {"ko": "은행 코드 (예: 004)", "en": "Bank code (e.g. 004)"},
    "refund.account_number": {"ko": "계좌번호", "en": "Account number"},
    "refund.tel": {"ko": "예금주 연락처", "en": "Holder's phone"},
    "refund.submit": {"ko": "환불하기", "en": "Refund"},
    "refund.not_refundable": {
        "ko": "이 주문은 지금 환불할 수 없습니다.",
        "en": "This order cannot be refunded now.",
    },
    "refund.done": {
        "ko": "환불 #{id} ({amount}원): {state}",
        "en": "Refund #{id} ({amount}): {state}",
    },
    "refund.again": {
        "ko": "이미 제출된 환불 양식입니다. 환불 #{id}: {state}",
        "en": "This form was already submitted. Refund #{id}: {state}",
    },
    "refund.in_flight": {
        "ko": "같은 환불 요청을 처리하는 중입니다. 잠시 후 새로 고치세요.",
        "en": "This refund is being processed; reload in a moment.",
    },
    "refund.form_reused": {
        "ko": "이미 제출한 양식의 내용이 바뀌었습니다. 페이지를 새로 고친 뒤 다시 입력하세요.",
        "en": "This form was already submitted with other values. Reload the page and try again.",
    },
    "refund.form_expired": {
        "ko": "양식이 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.",
        "en": "The form is not valid. Reload the page and try again.",
    },
    "refund.try_later": {
        "ko": "지금은 확인할 수 없습니다. 잠시 후 다시 시도하세요.",
        "en": "This cannot be checked right now; try again shortly.",
    },
    "refund.refused": {"ko": "환불할 수 없습니다", "en": "Refund refused"},
    "refund.give_account": {"ko": "환불 계좌 입력", "en": "Give the refund account"},
    "refund.no_such_refund": {
        "ko": "이 주문의 환불이 아닙니다.",
        "en": "No such refund on this order.",
    },
    "refund.rule.not_waiting": {
        "ko": "이 환불은 환불 계좌를 기다리고 있지 않습니다.",
        "en": "This refund is not waiting for a refund account.",
    },
    "refund.invalid": {"ko": "입력을 확인하세요", "en": "Check the form"},
    "refund.error.reason": {
        "ko": "환불 사유를 입력하세요 (256자 이내).",
        "en": "Give a reason (at most 256 characters).",
    },
    "refund.error.amount": {
        "ko": "환불 금액은 1 이상의 정수여야 합니다.",
        "en": "The amount must be a whole number of at least 1.",
    },
    "refund.error.part": {
        "ko": "면세 금액과 부가세는 0 이상의 정수여야 합니다.",
        "en": "Tax-free and VAT parts must be whole numbers, 0 or more.",
    },
    "refund.error.account": {
        "ko": "환불 계좌는 예금주, 은행 코드(숫자·영문 2–4자), 계좌번호(6–20자리)를 모두 입력하세요.",
        "en": "A refund account needs the holder, a bank code (2-4 letters or digits) and an account number (6-20 digits).",
    },
    "refund.error.tel": {
        "ko": "연락처는 숫자와 -로 8–16자입니다.",
        "en": "The phone is 8-16 digits and dashes.",
    },
    "refund.state.requested": {"ko": "요청됨", "en": "requested"},
    "refund.state.sending": {"ko": "전송 중", "en": "sending"},
    "refund.state.unknown": {"ko": "결과 확인 중", "en": "outcome unknown"},
    "refund.state.needs_input": {"ko": "환불 계좌 필요", "en": "needs a refund account"},
    "refund.state.succeeded": {"ko": "환불 완료", "en": "succeeded"},
    "refund.state.failed": {"ko": "환불 실패", "en": "failed"},
    "refund.rule.amount": {
        "ko": "환불 금액은 0보다 커야 합니다.",
        "en": "The amount must be positive.",
    },
    "refund.rule.balance": {
        "ko": "환불 가능 금액을 넘었습니다.",
        "en": "More than is left to refund.",
    },
    "refund.rule.tax_free": {
        "ko": "면세 금액이 맞지 않습니다.",
        "en": "The tax-free part does not fit.",
    },
    "refund.rule.vat_amount": {"ko": "부가세가 맞지 않습니다.", "en": "The VAT part does not fit."},
    "refund.rule.reason": {
        "ko": "이 PG는 환불 사유가 필요합니다.",
        "en": "This PG needs a reason.",
    },
    "refund.rule.phone_partial": {
        "ko": "이 PG의 휴대폰 결제는 부분 환불할 수 없습니다.",
        "en": "This PG cannot partly refund phone payments.",
    },
    "refund.rule.phone_month": {
        "ko": "휴대폰 결제는 결제한 달에만 취소할 수 있습니다.",
        "en": "Phone payments can be cancelled only in the month paid.",
    },
    "refund.rule.partial_limit": {
        "ko": "부분 환불 횟수 한도를 넘었습니다.",
        "en": "Too many partial refunds for this PG.",
    },
    "refund.rule.refund_account": {
        "ko": "환불 계좌가 필요하거나 올바르지 않습니다.",
        "en": "A refund account is needed, or it is wrong.",
    },
    "refund.rule.refund_tel": {
        "ko": "이 PG는 예금주 연락처가 필요합니다.",
        "en": "This PG needs the holder's phone.",
    },
    "refund.rule.refund_holder": {
        "ko": "예금주가 계좌와 일치하지 않습니다.",
        "en": "The holder does not match the account.",
    },
    "refund.rule.vbank_quiet_hours": {
        "ko": "이 시간에는 가상계좌 환불을 받지 않습니다.",
        "en": "No virtual-account refunds at this hour.",
    },
    "refund.rule.not_refundable": {
        "ko": "결제 완료된 주문만 환불할 수 있습니다.",
        "en": "Only a paid order can be refunded.",
    },
    # -- API keys --------------------------------------------------------------------------
    "keys.title": {"ko": "API 키", "en": "API keys"},
    "keys.intro": {
        "ko": "가맹점 API(/api/*)를 부르는 키입니다. 키는 만들 때 한 번만 보여 주며 해시만 "
        "저장합니다.",
        "en": "Keys that call the merchant API (/api/*). A key is shown once, when it is made; "
        "only its hash is kept.",
    },
    "keys.create": {"ko": "새 키 만들기", "en": "Create a key"},
    "keys.name": {"ko": "이름", "en": "Name"},
    "keys.scopes": {"ko": "권한", "en": "Scopes"},
    "keys.scope.read": {"ko": "조회 (read)", "en": "read"},
    "keys.scope.write": {"ko": "쓰기 (write)", "en": "write"},
    "keys.scope.refund": {"ko": "환불 (refund)", "en": "refund"},
    "keys.submit": {"ko": "만들기", "en": "Create"},
    "keys.prefix": {"ko": "접두어", "en": "Prefix"},
    "keys.created_at": {"ko": "만든 시각", "en": "Created"},
    "keys.last_used": {"ko": "마지막 사용", "en": "Last used"},
    "keys.state": {"ko": "상태", "en": "State"},
    "keys.active": {"ko": "사용 중", "en": "Active"},
    "keys.revoked": {"ko": "폐기됨", "en": "Revoked"},
    "keys.revoke": {"ko": "폐기", "en": "Revoke"},
    "keys.revoke_confirm": {
        "ko": "이 키를 폐기할까요? 되돌릴 수 없습니다.",
        "en": "Revoke this key? This cannot be undone.",
    },
    "keys.none": {"ko": "아직 API 키가 없습니다.", "en": "No API keys yet."},
    "keys.new_secret": {
        "ko": "새 키입니다. 지금 복사해 두세요. 다시는 보여 주지 않습니다.",
        "en": "Your new key. Copy it now: it will not be shown again.",
    },
    "keys.revoked_done": {"ko": "키 {name}을(를) 폐기했습니다.", "en": "Key {name} revoked."},
    "keys.not_found": {"ko": "그런 키가 없습니다.", "en": "No such key."},
}


def translate(key: str, lang: str = DEFAULT_LANG) -> str:
    """The label ``key`` in ``lang`` (Korean when English is missing); ``key`` itself if unknown."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get(DEFAULT_LANG) or key


def translator(lang: str) -> Translator:
    """``t`` for templates: ``t("key")``, or ``t("key", name=...)`` to fill ``{name}``."""

    def t(key: str, /, **values: object) -> str:
        text = translate(key, lang)
        return text.format(**values) if values else text

    return t


def code_labels(t: Translator) -> CodeLabel:
    """``code_label`` for templates: a code's label (``prefix.code``) when there is one, else
    the code as it is (statuses, methods, kinds that have no label yet); ``-`` for none."""

    def code_label(prefix: str, code: str | None, /) -> str:
        if not code:
            return "-"
        key = f"{prefix}.{code}"
        return t(key) if key in LABELS else code

    return code_label
