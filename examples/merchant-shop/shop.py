"""A merchant's shop, much reduced: it sells by order and verifies every payment at i'mport.

The browser's word (``imp_uid`` after ``IMP.request_pay``) and the webhook's are
only hints: the shop reads the payment back from i'mport's REST API and
compares it with its own order before it ships anything.

Run it against an emulator (or, with live keys, the real i'mport)::

    IAMPORT_BASE_URL=http://127.0.0.1:8099 IAMPORT_KEY=demo_imp_key \
    IAMPORT_SECRET=demo_imp_secret uvicorn --factory shop:app_from_env
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class IamportUnavailable(Exception):
    """i'mport did not answer usefully: try again later, decide nothing."""


class Iamport:
    """The two calls of i'mport's V1 REST API this shop needs."""

    def __init__(self, base_url: str, key: str, secret: str) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=10)
        self._key, self._secret = key, secret
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def _access_token(self) -> str:
        if self._token is None:
            answer = self._http.post(
                "/users/getToken", json={"imp_key": self._key, "imp_secret": self._secret}
            )
            if answer.status_code != 200:
                raise IamportUnavailable(f"getToken: HTTP {answer.status_code}")
            self._token = answer.json()["response"]["access_token"]
        return self._token

    def payment(self, imp_uid: str) -> dict[str, Any] | None:
        """The payment as i'mport has it; ``None`` if i'mport knows no such payment."""
        try:
            answer = self._get(f"/payments/{imp_uid}")
            if answer.status_code == 401:  # the token expired (30 minutes): get a new one
                self._token = None
                answer = self._get(f"/payments/{imp_uid}")
        except httpx.TransportError as exc:
            raise IamportUnavailable(str(exc)) from exc
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise IamportUnavailable(f"payments: HTTP {answer.status_code}")
        payment: dict[str, Any] = answer.json()["response"]
        return payment

    def _get(self, path: str) -> httpx.Response:
        return self._http.get(path, headers={"Authorization": f"Bearer {self._access_token()}"})


@dataclass
class Order:
    merchant_uid: str
    amount: int
    status: str = "pending"  # pending → awaiting_deposit → paid, or failed
    imp_uid: str | None = None


class NewOrder(BaseModel):
    merchant_uid: str
    amount: int


class PaymentNotice(BaseModel):
    """What the browser sends after the window, and what i'mport's webhook carries."""

    imp_uid: str
    merchant_uid: str


def create_app(iamport: Iamport) -> FastAPI:
    app = FastAPI()
    orders: dict[str, Order] = {}

    def settle(notice: PaymentNotice) -> Order:
        order = orders.get(notice.merchant_uid)
        if order is None:
            raise HTTPException(404, "unknown order")
        try:
            payment = iamport.payment(notice.imp_uid)
        except IamportUnavailable as exc:
            raise HTTPException(503, "i'mport is unavailable; try again") from exc
        if payment is None or payment["merchant_uid"] != order.merchant_uid:
            raise HTTPException(400, "no such payment for this order")
        if payment["amount"] != order.amount:
            raise HTTPException(400, "the amount paid is not the order's amount")
        order.imp_uid = payment["imp_uid"]
        order.status = {"paid": "paid", "ready": "awaiting_deposit"}.get(
            payment["status"], "failed" if payment["status"] == "failed" else order.status
        )
        return order

    @app.post("/orders", status_code=201)
    def place(new: NewOrder) -> Order:
        orders[new.merchant_uid] = Order(new.merchant_uid, new.amount)
        return orders[new.merchant_uid]

    @app.get("/orders/{merchant_uid}")
    def show(merchant_uid: str) -> Order:
        if merchant_uid not in orders:
            raise HTTPException(404, "unknown order")
        return orders[merchant_uid]

    @app.post("/payments/complete")
    def complete(notice: PaymentNotice) -> Order:
        """The browser is back from the window with an ``imp_uid``."""
        return settle(notice)

    @app.post("/iamport/webhook")
    def webhook(notice: PaymentNotice) -> dict[str, str]:
        """i'mport announces a payment (a vbank deposit, a cancel …): re-read it."""
        return {"status": settle(notice).status}

    return app


def app_from_env() -> FastAPI:
    return create_app(
        Iamport(
            os.environ.get("IAMPORT_BASE_URL", "https://api.iamport.kr"),
            os.environ["IAMPORT_KEY"],
            os.environ["IAMPORT_SECRET"],
        )
    )
