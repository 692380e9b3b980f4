"""A typed handle on the emulator's control API (``/_emulator``), over HTTP.

What a merchant's test does to the gateway that a buyer or a merchant cannot:
deposit into a virtual account, make i'mport fail, move its clock, read the
webhooks it sent, forget everything.  It speaks HTTP only, so it drives an
emulator started by the pytest plugin and one in a container alike.

Errors::

    ControlError            the control API refused (status, i'mport code, message)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

__all__ = [
    "ControlError",
    "DeliveryAttempt",
    "FaultKind",
    "IamportControl",
    "MerchantSettings",
    "Webhook",
]

FaultKind = Literal["latency", "error", "no_answer", "drop"]
CONTROL_PREFIX = "/_emulator"


class ControlError(Exception):
    """The control API answered with an error (an unknown ``imp_uid``, a bad fault …)."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"emulator control API: HTTP {status}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DeliveryAttempt:
    """One attempt to deliver a webhook: HTTP ``status``, or the network ``error``."""

    at: float
    status: int | None
    error: str | None
    manual: bool
    duplicate: bool


@dataclass(frozen=True)
class Webhook:
    """A webhook the emulator owes the merchant, with every attempt to deliver it."""

    id: str
    imp_code: str
    url: str | None
    payload: dict[str, Any]
    event: str
    #: ``pending`` (not yet attempted), ``delivered`` (a 2xx), ``failed``, ``undeliverable`` (no URL)
    state: str
    attempts: tuple[DeliveryAttempt, ...]

    @property
    def imp_uid(self) -> str | None:
        value = self.payload.get("imp_uid")
        return None if value is None else str(value)

    @property
    def merchant_uid(self) -> str | None:
        value = self.payload.get("merchant_uid")
        return None if value is None else str(value)

    @property
    def status(self) -> str | None:
        """The payment status announced: ``paid``, ``ready``, ``cancelled``, ``failed``."""
        value = self.payload.get("status")
        return None if value is None else str(value)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Webhook:
        attempts = tuple(
            DeliveryAttempt(
                at=float(a["at"]),
                status=a.get("status"),
                error=a.get("error"),
                manual=bool(a.get("manual")),
                duplicate=bool(a.get("duplicate")),
            )
            for a in data.get("attempts", [])
        )
        return cls(
            id=str(data["id"]), imp_code=str(data["imp_code"]), url=data.get("url"),
            payload=dict(data["payload"]), event=str(data["event"]), state=str(data["state"]),
            attempts=attempts,
        )  # fmt: skip


@dataclass(frozen=True)
class MerchantSettings:
    """A merchant's console settings (``GET /_emulator/merchants``), secrets excluded."""

    imp_code: str
    imp_key: str
    webhook_url: str | None
    webhook_content_type: str
    confirm_enabled: bool
    delivery: dict[str, Any]

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> MerchantSettings:
        return cls(
            imp_code=str(data["imp_code"]), imp_key=str(data["imp_key"]),
            webhook_url=data.get("webhook_url"),
            webhook_content_type=str(data.get("webhook_content_type", "json")),
            confirm_enabled=bool(data.get("confirm_enabled")),
            delivery=dict(data.get("delivery") or {}),
        )  # fmt: skip


class IamportControl:
    """Drive one emulator's control API.

    Args:
        base_url: the emulator, e.g. ``http://127.0.0.1:8099``.
        imp_code: the merchant that merchant-level calls apply to (the demo shop by default).
        http: a client to use (not closed here); by default one is made and closed by ``close``.
        baseline: merchant settings that ``reset`` puts back (the plugin passes the
            settings the emulator started with, so a test's webhook URL does not leak
            into the next test).
    """

    def __init__(
        self,
        base_url: str,
        *,
        imp_code: str = "imp00000001",
        http: httpx.Client | None = None,
        baseline: Sequence[MerchantSettings] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.imp_code = imp_code
        self._own_http = http is None
        self._http = http or httpx.Client(base_url=self.base_url, timeout=10)
        self._baseline = tuple(baseline)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> IamportControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self._http.request(method, f"{self.base_url}{CONTROL_PREFIX}{path}", **kwargs)
        try:
            body = answer.json()
        except ValueError:
            raise ControlError(answer.status_code, None, answer.text[:200]) from None
        if answer.status_code != 200 or body.get("code") != 0:
            raise ControlError(answer.status_code, body.get("code"), str(body.get("message")))
        return body["response"]

    # -- state -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every payment, token, webhook and fault; the clock back to real time.

        Merchant settings are put back to the ``baseline`` given at construction.
        """
        self._call("POST", "/reset")
        for merchant in self._baseline:
            self._call("PUT", f"/merchants/{merchant.imp_code}/settings", json={
                "webhook_url": merchant.webhook_url,
                "webhook_content_type": merchant.webhook_content_type,
                "confirm_enabled": merchant.confirm_enabled,
                "delivery": merchant.delivery,
            })  # fmt: skip

    def merchants(self) -> list[MerchantSettings]:
        """Every merchant's settings (no secrets)."""
        return [MerchantSettings.from_wire(m) for m in self._call("GET", "/merchants")]

    def configure_webhooks(
        self,
        url: str | None,
        *,
        content_type: Literal["json", "form"] = "json",
        delivery: str | dict[str, Any] = "once",
        imp_code: str | None = None,
    ) -> MerchantSettings:
        """Set the merchant's webhook URL, as in i'mport's console.

        Args:
            url: where webhooks go (``None``: nowhere; they are still recorded).
            content_type: ``json`` or ``form`` (``application/x-www-form-urlencoded``).
            delivery: a preset (``once``: one attempt, no copies; ``realistic``: some
                sent twice, up to 1.5 s late) or a policy object (see the README).
            imp_code: another merchant than this control's.
        """
        code = imp_code or self.imp_code
        answer = self._call("PUT", f"/merchants/{code}/settings", json={
            "webhook_url": url, "webhook_content_type": content_type, "delivery": delivery,
        })  # fmt: skip
        return MerchantSettings.from_wire(answer)

    # -- payments ------------------------------------------------------------------
    def seed_payment(
        self,
        *,
        amount: int,
        merchant_uid: str | None = None,
        status: Literal["ready", "paid", "failed"] = "paid",
        pay_method: str = "card",
        pg: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Make a payment as if a buyer had gone through the window; returns it as
        ``GET /payments/{imp_uid}`` would.

        A ``vbank`` payment with ``status="ready"`` is an issued virtual account
        awaiting its deposit.  ``fields`` are the other seeding fields (``name``,
        ``buyer_name``, ``escrow``, ``notice_url``, ``paid_at`` …).  It is announced
        by webhook like a real one.
        """
        body = {"amount": amount, "status": status, "pay_method": pay_method, "imp_code": self.imp_code,
                **({"merchant_uid": merchant_uid} if merchant_uid else {}),
                **({"pg": pg} if pg else {}), **fields}  # fmt: skip
        result: dict[str, Any] = self._call("POST", "/payments", json=body)
        return result

    def deposit(
        self, imp_uid: str, *, amount: int | None = None, depositor_name: str | None = None
    ) -> dict[str, Any]:
        """The buyer pays into a virtual account: it becomes ``paid`` and a webhook is sent.

        Raises:
            ControlError: not a vbank awaiting deposit, past its due date, or another amount.
        """
        body: dict[str, Any] = {}
        if amount is not None:
            body["amount"] = amount
        if depositor_name is not None:
            body["depositor_name"] = depositor_name
        result: dict[str, Any] = self._call("POST", f"/vbanks/{imp_uid}/deposit", json=body)
        return result

    # -- faults --------------------------------------------------------------------
    def inject_fault(
        self,
        path: str,
        *,
        kind: FaultKind = "error",
        method: str = "*",
        status: int = 503,
        delay: float = 0.0,
        mode: Literal["hang", "drop"] = "drop",
        times: int | None = None,
        probability: float = 1.0,
    ) -> str:
        """Make the REST API misbehave on ``path`` (an fnmatch pattern: ``/payments/*``).

        ``kind``: ``error`` answers ``status`` and does nothing; ``latency`` waits
        ``delay`` seconds first; ``no_answer`` does the work, then gives no answer
        (``mode`` ``drop`` cuts the connection, ``hang`` holds it ``delay`` seconds);
        ``drop`` does nothing and gives no answer.  ``times`` limits how often it
        fires.  Returns the fault's id for ``remove_fault``.
        """
        answer = self._call("POST", "/faults", json={
            "path": path, "kind": kind, "method": method.upper(), "status": status,
            "delay": delay, "mode": mode, "times": times, "probability": probability,
        })  # fmt: skip
        return str(answer["id"])

    def remove_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # -- clock -----------------------------------------------------------------------
    def now(self) -> int:
        """The emulator's time (Unix seconds), as i'mport's timestamps are."""
        return int(self._call("GET", "/clock")["timestamp"])

    def advance_clock(self, seconds: float) -> int:
        """Move the emulator's clock forward (tokens expire, vbanks pass their due date,
        schedules run); returns the new time."""
        return int(self._call("POST", "/clock/advance", json={"seconds": seconds})["timestamp"])

    def set_clock(self, timestamp: float, *, freeze: bool = False) -> int:
        """Put the emulator's clock at ``timestamp``, standing still if ``freeze``."""
        body = {"timestamp": timestamp, "freeze": freeze}
        return int(self._call("POST", "/clock/set", json=body)["timestamp"])

    # -- webhooks ----------------------------------------------------------------------
    def webhooks(self, imp_uid: str | None = None) -> list[Webhook]:
        """Every webhook the emulator sent (or owes) this merchant, oldest first."""
        params = {"imp_code": self.imp_code, **({"imp_uid": imp_uid} if imp_uid else {})}
        return [Webhook.from_wire(w) for w in self._call("GET", "/webhooks", params=params)]

    def wait_for_webhooks(
        self, imp_uid: str | None = None, *, count: int = 1, timeout: float = 10.0
    ) -> list[Webhook]:
        """The webhooks (of ``imp_uid``), once ``count`` of them were attempted.

        Delivery runs in the background (and may be ``delay``ed by the policy);
        this waits until ``count`` records have left ``pending``: delivered, failed
        or undeliverable.

        Raises:
            TimeoutError: fewer than ``count`` were attempted within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.webhooks(imp_uid)
            if sum(1 for w in found if w.state != "pending") >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} webhook(s) expected, attempted so far: {found}")
            time.sleep(0.02)

    def resend_webhook(self, webhook_id: str) -> Webhook:
        """Deliver a recorded webhook again now (recorded as a manual attempt)."""
        return Webhook.from_wire(self._call("POST", f"/webhooks/{webhook_id}/resend"))
