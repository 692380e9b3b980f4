"""Driving a client flow by hand: feed it answers, collect the requests it makes.

This is how the pure half of the client is tested without a socket: a flow is
a generator of ``ApiRequest`` values; here each one is answered from a list,
through the client's real answer mapping (``read_envelope``).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from paydesk.iamport.errors import IamportError
from paydesk.iamport.exchange import ApiRequest, Envelope, Flow
from paydesk.iamport.mapping import read_envelope

T = TypeVar("T")
Answer = tuple[int, dict[str, Any]] | IamportError


def ok(response: Any, status: int = 200) -> tuple[int, dict[str, Any]]:
    return status, {"code": 0, "message": None, "response": response}


def refused(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "response": None}


def _read(request: ApiRequest, answer: Answer) -> Envelope:
    if isinstance(answer, IamportError):
        raise answer
    status, body = answer
    # Decimals are written as JSON numbers (their float repr is the same short text).
    return read_envelope(request, status, {}, json.dumps(body, default=float).encode())


def replay(flow: Flow[T], answers: list[Answer]) -> tuple[T, list[ApiRequest]]:
    """Run ``flow``, answering its requests in order; returns its result and the requests.

    A refusal is thrown into the flow as the client would throw it; if the flow
    does not catch it, it propagates out of ``replay``.
    """
    sent: list[ApiRequest] = []
    pending = list(answers)
    try:
        request = next(flow)
        while True:
            sent.append(request)
            try:
                got = _read(request, pending.pop(0))
            except IamportError as error:
                request = flow.throw(error)
            else:
                request = flow.send(got)
    except StopIteration as stop:
        assert not pending, f"unused answers: {pending}"
        return stop.value, sent


def first_request(flow: Flow[Any]) -> ApiRequest:
    """The first request a flow makes."""
    request = next(flow)
    flow.close()
    return request


PAYMENT: dict[str, Any] = {
    "imp_uid": "imp_100000000001",
    "merchant_uid": "order_1",
    "pay_method": "card",
    "amount": 10000,
    "cancel_amount": 0,
    "currency": "KRW",
    "status": "paid",
    "sandbox": False,
    "started_at": 1700000000,
    "paid_at": 1700000010,
    "failed_at": 0,
    "cancelled_at": 0,
    "vbank_date": 0,
    "cancel_history": [],
}


def payment(**fields: Any) -> dict[str, Any]:
    return {**PAYMENT, **fields}
