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
    "common.bad_request": {
        "ko": "요청을 처리할 수 없습니다. 입력값을 확인해 주세요",
        "en": "The request could not be handled; check what was entered",
    },
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
    "dashboard.needs_tel": {"ko": "예금주 연락처 필요", "en": "Holder's phone needed"},
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
    "attention.needs_refund_account": {"ko": "환불 계좌 필요", "en": "Refund account needed"},
    "attention.needs_refund_tel": {"ko": "예금주 연락처 필요", "en": "Holder's phone needed"},
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
    "order.escrow": {"ko": "에스크로(구매안전)", "en": "Escrow"},
    "order.escrow_yes": {"ko": "에스크로 결제", "en": "Escrow payment"},
    "order.escrow_no": {"ko": "아니오", "en": "No"},
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
    "refund.tel_only": {
        "ko": "환불 연락처 (이 PG는 취소마다 필요)",
        "en": "Refund contact (this PG needs it on every cancel)",
    },
    "refund.give_tel": {"ko": "예금주 연락처 입력", "en": "Give the holder's phone"},
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
        "ko": "이 환불은 그 입력(환불 계좌 또는 예금주 연락처)을 기다리고 있지 않습니다.",
        "en": "This refund is not waiting for that (a refund account, or the holder's phone).",
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
        "ko": "연락처는 숫자와 -로 입력하세요 (예: 010-1234-5678, +82 10-1234-5678).",
        "en": "Type a Korean phone as digits, dashes optional (010-1234-5678, +82 10-1234-5678).",
    },
    "refund.state.requested": {"ko": "요청됨", "en": "requested"},
    "refund.state.sending": {"ko": "전송 중", "en": "sending"},
    "refund.state.unknown": {"ko": "결과 확인 중", "en": "outcome unknown"},
    "refund.state.needs_input": {"ko": "환불 계좌 필요", "en": "needs a refund account"},
    "refund.state.needs_refund_account": {"ko": "환불 계좌 필요", "en": "needs a refund account"},
    "refund.state.needs_refund_tel": {"ko": "예금주 연락처 필요", "en": "needs the holder's phone"},
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
    # -- shared by the operations pages --------------------------------------------------
    "common.all": {"ko": "전체", "en": "All"},
    "common.filter": {"ko": "조회", "en": "Filter"},
    "common.first_page": {"ko": "처음으로", "en": "First page"},
    "common.prev_page": {"ko": "이전", "en": "Previous"},
    "common.next_page": {"ko": "다음", "en": "Next"},
    # -- retry queue -----------------------------------------------------------------------
    "retries.title": {"ko": "재시도 큐", "en": "Retry queue"},
    "retries.intro": {
        "ko": "실패 후 재시도 중인 작업과 시도 횟수를 모두 쓴 작업(데드 레터)입니다. 다시 시도하면 "
        "지금 바로 실행되고, 종료하면 더 이상 실행하지 않습니다(기록은 남습니다).",
        "en": "Jobs retrying after a failure, and jobs that ran out of attempts (dead letters). "
        "Re-attempt runs one now; dismiss stops it for good (it stays on record).",
    },
    "retries.filter": {"ko": "상태별 보기", "en": "Show by state"},
    "retries.view.open": {"ko": "재시도 중 + 실패", "en": "Retrying + dead"},
    "retries.view.dead": {"ko": "실패(데드 레터)", "en": "Dead letters"},
    "retries.view.retrying": {"ko": "재시도 중", "en": "Retrying"},
    "retries.view.dismissed": {"ko": "종료됨", "en": "Dismissed"},
    "retries.kind": {"ko": "작업", "en": "Job"},
    "retries.state": {"ko": "상태", "en": "State"},
    "retries.state.retrying": {"ko": "재시도 중", "en": "Retrying"},
    "retries.state.dead": {"ko": "실패", "en": "Dead"},
    "retries.state.dismissed": {"ko": "종료됨", "en": "Dismissed"},
    "retries.state.queued": {"ko": "대기", "en": "Queued"},
    "retries.state.running": {"ko": "실행 중", "en": "Running"},
    "retries.state.done": {"ko": "완료", "en": "Done"},
    "retries.attempts": {"ko": "시도", "en": "Attempts"},
    "retries.run_at": {"ko": "다음 시도", "en": "Next attempt"},
    "retries.updated_at": {"ko": "마지막 변경", "en": "Last change"},
    "retries.last_error": {"ko": "마지막 오류", "en": "Last error"},
    "retries.retry": {"ko": "다시 시도", "en": "Re-attempt"},
    "retries.dismiss": {"ko": "종료", "en": "Dismiss"},
    "retries.dismiss_confirm": {
        "ko": "이 작업을 종료할까요? 다시 실행되지 않습니다.",
        "en": "Dismiss this job? It will not run again.",
    },
    "retries.none": {"ko": "해당하는 작업이 없습니다.", "en": "No jobs here."},
    "retries.not_found": {"ko": "그런 작업이 없습니다.", "en": "No such job."},
    "retries.retry_done": {
        "ko": "작업 {id} ({kind})을(를) 다시 시도하도록 넣었습니다.",
        "en": "Job {id} ({kind}) queued to run now.",
    },
    "retries.dismiss_done": {
        "ko": "작업 {id} ({kind})을(를) 종료했습니다.",
        "en": "Job {id} ({kind}) dismissed.",
    },
    "retries.retry_refused": {
        "ko": "다시 시도할 수 없습니다: {reason}",
        "en": "Not re-attempted: {reason}",
    },
    "retries.dismiss_refused": {
        "ko": "종료할 수 없습니다: {reason}",
        "en": "Not dismissed: {reason}",
    },
    # -- subscriptions and billing keys ------------------------------------------------------
    "subs.title": {"ko": "구독과 빌링키", "en": "Subscriptions and billing keys"},
    "subs.subscriptions": {"ko": "구독", "en": "Subscriptions"},
    "subs.plan": {"ko": "플랜", "en": "Plan"},
    "subs.status": {"ko": "상태", "en": "Status"},
    "subs.status.active": {"ko": "이용 중", "en": "Active"},
    "subs.status.past_due": {"ko": "결제 실패(카드 변경 필요)", "en": "Past due"},
    "subs.status.cancelled": {"ko": "해지됨", "en": "Cancelled"},
    "subs.ends_at_period_end": {"ko": "기간 만료 시 해지", "en": "ends at period end"},
    "subs.failures": {"ko": "실패 {n}회", "en": "{n} failed"},
    "subs.cycles": {"ko": "결제 회차", "en": "Periods paid"},
    "subs.next_charge": {"ko": "다음 결제", "en": "Next charge"},
    "subs.last_charge": {"ko": "최근 결제 시도", "en": "Latest charge"},
    "subs.period": {"ko": "{n}회차", "en": "period {n}"},
    "subs.charge.sending": {"ko": "요청 중", "en": "Sending"},
    "subs.charge.unknown": {"ko": "결과 미확인", "en": "Unknown"},
    "subs.charge.scheduled": {"ko": "예약됨", "en": "Scheduled"},
    "subs.charge.paid": {"ko": "결제 완료", "en": "Paid"},
    "subs.charge.failed": {"ko": "실패", "en": "Failed"},
    "subs.charge.void": {"ko": "무효", "en": "Void"},
    "subs.charge.cancelled": {"ko": "취소됨", "en": "Cancelled"},
    "subs.created_at": {"ko": "가입 시각", "en": "Started"},
    "subs.none": {"ko": "구독이 없습니다.", "en": "No subscriptions."},
    "subs.keys": {"ko": "빌링키", "en": "Billing keys"},
    "subs.keys_intro": {
        "ko": "카드 정보는 카드사 이름과 끝 4자리만 보관합니다.",
        "en": "Only the card's issuer and last four digits are kept.",
    },
    "subs.card": {"ko": "카드", "en": "Card"},
    "subs.issued_via": {"ko": "발급 경로", "en": "Issued via"},
    "subs.issued_at": {"ko": "발급 시각", "en": "Issued"},
    "subs.key_state": {"ko": "상태", "en": "State"},
    "subs.key_active": {"ko": "사용 중", "en": "Active"},
    "subs.key_deleted": {"ko": "삭제됨", "en": "Deleted"},
    "subs.no_keys": {"ko": "빌링키가 없습니다.", "en": "No billing keys."},
    # -- virtual accounts ------------------------------------------------------------------
    "vbanks.title": {"ko": "가상계좌", "en": "Virtual accounts"},
    "vbanks.intro": {
        "ko": "입금을 기다리는 가상계좌와 최근 입금된 가상계좌입니다. 입금은 i'mport의 웹훅을 "
        "확인한 뒤에 반영됩니다.",
        "en": "Virtual accounts awaiting a deposit, and the latest paid. A deposit shows once "
        "i'mport's webhook was verified.",
    },
    "vbanks.waiting": {"ko": "입금 대기", "en": "Awaiting deposit"},
    "vbanks.paid": {"ko": "최근 입금 완료", "en": "Recently paid"},
    "vbanks.amount": {"ko": "금액", "en": "Amount"},
    "vbanks.bank": {"ko": "은행", "en": "Bank"},
    "vbanks.number": {"ko": "계좌번호", "en": "Account"},
    "vbanks.holder": {"ko": "예금주", "en": "Holder"},
    "vbanks.due": {"ko": "입금 기한", "en": "Due"},
    "vbanks.issued_at": {"ko": "발급 시각", "en": "Issued"},
    "vbanks.paid_at": {"ko": "입금 시각", "en": "Paid"},
    "vbanks.state": {"ko": "상태", "en": "State"},
    "vbanks.deposited": {"ko": "입금 완료", "en": "Paid"},
    "vbanks.overdue": {"ko": "기한 지남", "en": "Overdue"},
    "vbanks.none_waiting": {
        "ko": "입금을 기다리는 가상계좌가 없습니다.",
        "en": "No virtual account awaits a deposit.",
    },
    "vbanks.none_paid": {"ko": "입금된 가상계좌가 없습니다.", "en": "No paid virtual accounts."},
    # -- cash receipts ---------------------------------------------------------------------
    "receipts.title": {"ko": "현금영수증", "en": "Cash receipts"},
    "receipts.iamport": {"ko": "i'mport 결제의 현금영수증", "en": "Receipts of i'mport payments"},
    "receipts.iamport_intro": {
        "ko": "이 시스템에서 받은 결제(계좌이체, 가상계좌)에 발급한 현금영수증입니다.",
        "en": "Receipts issued for payments made here (transfer, virtual account).",
    },
    "receipts.external": {"ko": "외부 거래 현금영수증", "en": "External receipts"},
    "receipts.external_intro": {
        "ko": "다른 곳에서 이루어진 판매에 발급한 현금영수증입니다(merchant_uid 기준).",
        "en": "Receipts of sales made elsewhere (by merchant_uid).",
    },
    "receipts.name": {"ko": "거래명", "en": "Sale"},
    "receipts.state": {"ko": "상태", "en": "State"},
    "receipts.state.issuing": {"ko": "발급 중", "en": "Issuing"},
    "receipts.state.issued": {"ko": "발급됨", "en": "Issued"},
    "receipts.state.cancelling": {"ko": "취소 중", "en": "Cancelling"},
    "receipts.state.cancelled": {"ko": "취소됨", "en": "Cancelled"},
    "receipts.state.failed": {"ko": "실패", "en": "Failed"},
    "receipts.state.unknown": {"ko": "결과 미확인", "en": "Unknown"},
    "receipts.type": {"ko": "용도", "en": "Type"},
    "receipts.type.person": {"ko": "소득공제", "en": "Deduction"},
    "receipts.type.company": {"ko": "지출증빙", "en": "Expense proof"},
    "receipts.identifier": {"ko": "발급 번호", "en": "Identifier"},
    "receipts.identifier.phone": {"ko": "휴대폰", "en": "Phone"},
    "receipts.identifier.business": {"ko": "사업자번호", "en": "Business no."},
    "receipts.identifier.card": {"ko": "현금영수증 카드", "en": "Receipt card"},
    "receipts.amount": {"ko": "금액", "en": "Amount"},
    "receipts.vat": {"ko": "부가세", "en": "VAT"},
    "receipts.apply_num": {"ko": "승인번호", "en": "Approval no."},
    "receipts.applied_at": {"ko": "발급 시각", "en": "Issued"},
    "receipts.cancelled_at": {"ko": "취소 시각", "en": "Cancelled"},
    "receipts.none": {"ko": "현금영수증이 없습니다.", "en": "No receipts."},
    # -- escrow ----------------------------------------------------------------------------
    "escrows.title": {"ko": "에스크로 배송", "en": "Escrow shipments"},
    "escrows.intro": {
        "ko": "에스크로 결제의 배송 등록과 구매자의 구매 결정 상태입니다.",
        "en": "Deliveries of escrow payments and where the buyer's decision stands.",
    },
    "escrows.order": {"ko": "주문", "en": "Order"},
    "escrows.company": {"ko": "택배사", "en": "Courier"},
    "escrows.invoice": {"ko": "송장번호", "en": "Invoice"},
    "escrows.sent_at": {"ko": "발송 시각", "en": "Sent"},
    "escrows.applied_at": {"ko": "등록 시각", "en": "Registered"},
    "escrows.status": {"ko": "상태", "en": "Status"},
    "escrows.status_changed_at": {"ko": "상태 변경", "en": "Status changed"},
    "escrows.status.registered": {"ko": "배송 등록(요청)", "en": "Registered by us"},
    "escrows.status.delivery_registered": {"ko": "배송 등록됨", "en": "Delivery registered"},
    "escrows.status.purchase_confirmed": {"ko": "구매 확정", "en": "Purchase confirmed"},
    "escrows.status.auto_confirmed": {"ko": "자동 구매 확정", "en": "Auto-confirmed"},
    "escrows.status.force_confirmed": {"ko": "강제 구매 확정", "en": "Force-confirmed"},
    "escrows.status.purchase_refused": {"ko": "구매 거절", "en": "Purchase refused"},
    "escrows.status.transaction_cancelled": {"ko": "거래 취소", "en": "Transaction cancelled"},
    "escrows.status.refusal_confirmed": {"ko": "거절 확인", "en": "Refusal confirmed"},
    "escrows.none": {"ko": "에스크로 배송 기록이 없습니다.", "en": "No escrow deliveries."},
    "escrows.register": {"ko": "배송 등록", "en": "Register a delivery"},
    "escrows.register_intro": {
        "ko": "결제 완료된 에스크로 결제의 배송 정보를 i'mport에 등록합니다.",
        "en": "Register the delivery of a paid escrow payment at i'mport.",
    },
    "escrows.sender": {"ko": "보내는 사람", "en": "Sender"},
    "escrows.receiver": {"ko": "받는 사람", "en": "Receiver"},
    "escrows.party_name": {"ko": "이름", "en": "Name"},
    "escrows.party_tel": {"ko": "전화번호", "en": "Phone"},
    "escrows.party_addr": {"ko": "주소", "en": "Address"},
    "escrows.party_postcode": {"ko": "우편번호", "en": "Postcode"},
    "escrows.update": {"ko": "이미 등록된 배송 정보 변경", "en": "Change a registered delivery"},
    "escrows.submit": {"ko": "등록", "en": "Register"},
    "escrows.registered": {
        "ko": "{imp_uid}의 배송 정보를 등록했습니다.",
        "en": "Delivery of {imp_uid} registered.",
    },
    "escrows.not_ours": {
        "ko": "{imp_uid}: 이 시스템의 결제가 아닙니다.",
        "en": "{imp_uid}: not our payment.",
    },
    "escrows.unreachable": {
        "ko": "i'mport에 연결하지 못했습니다. 아무것도 등록하지 않았습니다. 잠시 후 다시 시도하세요.",
        "en": "i'mport could not be reached; nothing was registered. Try again shortly.",
    },
    "escrows.bad_imp_uid": {"ko": "imp_uid 형식이 올바르지 않습니다.", "en": "That is no imp_uid."},
    "escrows.bad_company": {
        "ko": "택배사를 목록에서 고르세요.",
        "en": "Choose a courier from the list.",
    },
    "escrows.bad_invoice": {
        "ko": "송장번호는 영문, 숫자, -로 40자까지입니다.",
        "en": "The invoice is up to 40 letters, digits or dashes.",
    },
    "escrows.bad_sent_at": {
        "ko": "발송 시각이 올바르지 않습니다.",
        "en": "The sending time is not valid.",
    },
    "escrows.bad_party": {
        "ko": "보내는/받는 사람의 이름(40자), 전화번호, 우편번호 형식을 확인하세요.",
        "en": "Check the sender's and receiver's name (40 characters), phone and postcode.",
    },
    # -- launch checklist ------------------------------------------------------------------
    "checklist.title": {"ko": "오픈 체크리스트", "en": "Launch checklist"},
    "checklist.intro": {
        "ko": "서비스 오픈 체크리스트를 paydesk doctor가 점검한 결과입니다. 자동으로 확인할 수 "
        "없는 항목은 안내에 따라 직접 확인하세요.",
        "en": "The service launch checklist as paydesk doctor last checked it. Items it "
        "cannot check are for a person: follow their guidance.",
    },
    "checklist.not_configured": {
        "ko": "이 서버에는 점검 기능(paydesk doctor)이 설정되어 있지 않습니다. 명령줄에서 "
        "paydesk doctor를 실행하세요.",
        "en": "The launch doctor is not set up in this server. Run paydesk doctor on the "
        "command line.",
    },
    "checklist.never_ran": {
        "ko": "아직 점검한 적이 없습니다. 지금 점검하거나 paydesk doctor를 실행하세요.",
        "en": "The doctor has not run yet. Run it now, or run paydesk doctor.",
    },
    "checklist.last_run": {"ko": "마지막 점검", "en": "Last run"},
    "checklist.production": {"ko": "운영 환경 기준", "en": "production"},
    "checklist.development": {"ko": "개발 환경 기준", "en": "development"},
    "checklist.as_production": {"ko": "운영 환경 기준으로 점검", "en": "Check as production"},
    "checklist.run_now": {"ko": "지금 점검", "en": "Run now"},
    "checklist.ran": {"ko": "점검을 마쳤습니다: {status}", "en": "The doctor ran: {status}"},
    "checklist.not_saved": {
        "ko": "점검했지만 데이터베이스에 저장하지 못했습니다.",
        "en": "The doctor ran but its run could not be stored.",
    },
    "checklist.item": {"ko": "항목", "en": "Item"},
    "checklist.status": {"ko": "결과", "en": "Status"},
    "checklist.detail": {"ko": "내용", "en": "Detail"},
    "checklist.guidance": {"ko": "확인 방법", "en": "Guidance"},
    "checklist.manual_item": {"ko": "직접 확인", "en": "manual"},
    "checklist.status.pass": {"ko": "통과", "en": "Pass"},
    "checklist.status.warn": {"ko": "주의", "en": "Warning"},
    "checklist.status.fail": {"ko": "실패", "en": "Fail"},
    "checklist.status.manual": {"ko": "직접 확인", "en": "Manual"},
    "checklist.status.skipped": {"ko": "건너뜀", "en": "Skipped"},
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
