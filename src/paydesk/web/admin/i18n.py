"""The admin console's labels, in Korean (the default) and English.

Templates call ``t("key")``; each page adds its own keys to ``LABELS``
(grouped by a ``page.`` prefix). A key nobody defined shows itself, so a
missing label is visible on the page rather than an error.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["DEFAULT_LANG", "LABELS", "LANGS", "Translator", "translate", "translator"]

DEFAULT_LANG = "ko"
LANGS = ("ko", "en")


class Translator(Protocol):
    """``t("key")``, or ``t("key", name=...)`` to fill ``{name}`` in the label."""

    def __call__(self, key: str, /, **values: object) -> str: ...


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
    # -- dashboard (placeholder) ----------------------------------------------------------
    "dashboard.title": {"ko": "대시보드", "en": "Dashboard"},
    "dashboard.welcome": {
        "ko": "왼쪽 메뉴에서 작업을 고르세요.",
        "en": "Choose a task from the menu.",
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
