"""Drive the emulator's payment window over plain HTTP, the requests a browser makes.

For tests that need a window payment but not a browser: open the window
(``POST /window/pay`` as ``iamport.js`` does), submit the PG page, read the
``rsp`` the result page hands to the merchant page.  Browser tests drive the
same pages through Chromium.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.emulator import DEMO_CODE

_SID = re.compile(r'data-sid="([^"]*)"')
_RSP = re.compile(r'<script type="application/json" id="paydesk-result">(.*?)</script>', re.S)
_ERROR = re.compile(r'id="window-error"[^>]*>([^<]*)<')


def order_id() -> str:
    return f"order_{uuid.uuid4().hex[:12]}"


def card_params(**overrides: Any) -> dict[str, Any]:
    """``request_pay`` parameters of a plain card payment."""
    return {
        "pg": "html5_inicis",
        "pay_method": "card",
        "merchant_uid": order_id(),
        "name": "테스트 상품",
        "amount": 12000,
        "buyer_name": "홍길동",
        "buyer_tel": "010-1234-5678",
        **overrides,
    }


@dataclass
class WindowClient:
    """The window's HTTP conversation: open, submit, read the result."""

    base_url: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=60, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def open(
        self,
        params: dict[str, Any],
        *,
        mode: str = "modal",
        imp_code: str = DEMO_CODE,
        tier: str | None = None,
    ) -> httpx.Response:
        form = {
            "imp_code": imp_code,
            "params": json.dumps(params, ensure_ascii=False),
            "mode": mode,
            "origin": "http://merchant.test",
        }
        if tier is not None:  # IMP.agency(imp_code, tier)
            form["tier"] = tier
        return self.http.post("/window/pay", data=form)

    @staticmethod
    def sid(page: httpx.Response) -> str:
        match = _SID.search(page.text)
        assert match and match.group(1), page.text
        return match.group(1)

    @staticmethod
    def rsp(page: httpx.Response) -> dict[str, Any]:
        match = _RSP.search(page.text)
        assert match, page.text
        loaded: dict[str, Any] = json.loads(match.group(1))
        return loaded

    @staticmethod
    def error(page: httpx.Response) -> str | None:
        match = _ERROR.search(page.text)
        return match.group(1).strip() if match else None

    def submit(self, sid: str, **form: str) -> httpx.Response:
        return self.http.post(f"/window/{sid}/submit", data=form)

    def cancel(self, sid: str) -> httpx.Response:
        return self.http.post(f"/window/{sid}/cancel")

    def pay_card(
        self, params: dict[str, Any], card: str = "4111-1111-1111-1111", quota: int = 0
    ) -> dict[str, Any]:
        """Open a card window and pay with ``card``; returns the callback ``rsp``."""
        opened = self.open(params)
        assert opened.status_code == 200, opened.text
        sid = self.sid(opened)
        done = self.submit(sid, card_number=card, expiry="12/30", card_quota=str(quota))
        assert done.status_code == 200, done.text
        return self.rsp(done)
