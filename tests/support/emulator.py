"""A running emulator for tests, reached only over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

DEMO_KEY = "demo_imp_key"
DEMO_SECRET = "demo_imp_secret"
DEMO_CODE = "imp00000001"
OTHER_KEY = "other_imp_key"
OTHER_SECRET = "other_imp_secret"


@dataclass
class EmulatorClient:
    """Raw HTTP access to one emulator: REST calls with a token, and the control API."""

    base_url: str
    http: httpx.Client = field(init=False)
    _token: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=10)

    def close(self) -> None:
        self.http.close()

    # -- auth -----------------------------------------------------------------
    def token(self, key: str = DEMO_KEY, secret: str = DEMO_SECRET) -> str:
        answer = self.http.post("/users/getToken", json={"imp_key": key, "imp_secret": secret})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["response"]["access_token"]
        return token

    def auth(self, key: str = DEMO_KEY, secret: str = DEMO_SECRET) -> dict[str, str]:
        if self._token is None or key != DEMO_KEY:
            token = self.token(key, secret)
            if key != DEMO_KEY:
                return {"Authorization": f"Bearer {token}"}
            self._token = token
        return {"Authorization": f"Bearer {self._token}"}

    # -- REST -----------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A REST call with the demo token, renewed once if the clock moved past it."""
        extra = kwargs.pop("headers", {})
        answer = self.http.request(method, path, headers={**self.auth(), **extra}, **kwargs)
        if answer.status_code == 401 and "Authorization" not in extra:
            self._token = None
            answer = self.http.request(method, path, headers={**self.auth(), **extra}, **kwargs)
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", path, **kwargs)

    # -- control --------------------------------------------------------------
    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, "/_emulator" + path, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()["response"]

    def reset(self) -> None:
        self.control("POST", "/reset")
        self._token = None

    def advance(self, seconds: float) -> None:
        self.control("POST", "/clock/advance", json={"seconds": seconds})

    def now(self) -> int:
        return int(self.control("GET", "/clock")["timestamp"])

    def webhooks(self, imp_uid: str | None = None) -> list[dict[str, Any]]:
        params = {"imp_uid": imp_uid} if imp_uid else {}
        result: list[dict[str, Any]] = self.control("GET", "/webhooks", params=params)
        return result

    def fault(self, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "/faults", json=spec)
        return result

    # -- common fixtures ------------------------------------------------------
    def pay_onetime(self, **overrides: Any) -> dict[str, Any]:
        """A paid key-in card payment, the quickest way to get a payment to test on."""
        import uuid

        body = {
            "merchant_uid": f"order_{uuid.uuid4().hex[:12]}",
            "amount": 10000,
            "card_number": "4111-1111-1111-1111",
            "expiry": "2030-12",
            "birth": "900101",
            "pwd_2digit": "00",
            "pg": "nice",
            "name": "테스트 상품",
            "buyer_name": "홍길동",
            **overrides,
        }
        answer = self.post("/subscribe/payments/onetime", json=body)
        assert answer.status_code == 200, answer.text
        payload = answer.json()
        assert payload["code"] == 0, payload
        result: dict[str, Any] = payload["response"]
        return result


def seed(emu: EmulatorClient, **fields: Any) -> dict[str, Any]:
    """Put a payment in any state through ``POST /_emulator/payments``."""
    result: dict[str, Any] = emu.control("POST", "/payments", json={"amount": 10000, **fields})
    return result
