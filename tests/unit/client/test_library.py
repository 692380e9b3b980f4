"""The client as a library: errors that pickle, no secret in any repr, refused naive
datetimes and float money, a misspelt option rejected by mypy, no repeated work."""

from __future__ import annotations

import asyncio
import os
import pickle
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

from paydesk.iamport import AsyncIamport, ClientClosed, Iamport, Payment, ScheduleEntry, errors
from paydesk.iamport.exchange import ApiRequest, Envelope, encode_body
from paydesk.iamport.models import EscrowProduct, EscrowShipment
from paydesk.iamport.operations import (
    answers,
    auth,
    billing_keys,
    charges,
    listings,
    payments,
    schedules,
    vbanks,
)
from paydesk.iamport.tokens import Grant

from .replay import first_request, payment

CONTEXT: dict[str, Any] = {
    "operation": "payments.cancel",
    "method": "POST",
    "path": "/payments/cancel",
    "keys": {"imp_uid": "imp_1", "amount": 5000, "checksum": 10000},
}


def sample(name: str) -> errors.IamportError:
    kind = getattr(errors, name)
    api = {"http_status": 400, "code": 1, "request_id": "r-1", "response": {"x": 1}}
    if name in ("OutcomeUnknown",):
        return kind("lost", write=True, **CONTEXT)  # type: ignore[no-any-return]
    if name == "UnreadableAnswer":
        return kind("bad", write=True, http_status=200, **CONTEXT)  # type: ignore[no-any-return]
    if name in ("ForeignAnswer", "RateLimited"):
        return kind(  # type: ignore[no-any-return]
            "proxy", write=True, http_status=429, retry_after=3.0, location=None, **CONTEXT
        )
    if name == "ServerError":
        return kind("503", write=True, **api, **CONTEXT)  # type: ignore[no-any-return]
    if name == "Declined":
        paid = Payment.model_validate(payment(status="failed"))
        return kind("no", payment=paid, **api, **CONTEXT)  # type: ignore[no-any-return]
    if issubclass(kind, errors.ApiError):
        return kind("refused", **api, **CONTEXT)  # type: ignore[no-any-return]
    return kind("plain", **CONTEXT)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_round_trips_through_pickle_with_its_context(name: str) -> None:
    error = sample(name)
    error.retry_after = getattr(error, "retry_after", None)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert back.__dict__ == error.__dict__
    assert (back.retryable, back.reconcile, back.keys) == (
        error.retryable,
        error.reconcile,
        CONTEXT["keys"],
    )


def test_a_closed_client_error_pickles_too() -> None:
    back = pickle.loads(pickle.dumps(ClientClosed("Iamport is closed; make a new client")))
    assert type(back) is ClientClosed and str(back) == "Iamport is closed; make a new client"


SECRETS = ("s3cr3t-value", "4111-1111-1111-1111", "900101", "77", "2030-12", "tok" * 10)


def test_no_repr_shows_a_secret() -> None:
    token = auth.token_request("key", "s3cr3t-value")
    key_in = first_request(
        charges.pay_onetime("o_1", 1000, card_number="4111-1111-1111-1111", expiry="2030-12",
                            birth="900101", pwd_2digit="77")
    )  # fmt: skip
    answer = Envelope(token, 200, 0, None, {"access_token": "tok" * 10, "now": 1, "expired_at": 2})
    shown = [
        repr(token), repr(key_in), repr(answer), repr(Envelope(key_in, 200, 0, None, None)),
        repr(Grant("tok" * 10, 1.0)), repr(auth.read_token(answer)),
        repr(Iamport("key", "s3cr3t-value", base_url="http://127.0.0.1:9")),
    ]  # fmt: skip
    for text in shown:
        for secret in SECRETS:
            assert secret not in text, (secret, text)
    assert "<redacted>" in repr(key_in) and "o_1" in repr(key_in)
    assert key_in.body is not None and key_in.body["card_number"] == "4111-1111-1111-1111"


def test_naive_datetimes_are_refused_everywhere_they_are_sent() -> None:
    naive = datetime(2024, 1, 1, 9, 0)
    with pytest.raises(ValueError, match="naive"):
        first_request(payments.payments_by_status("paid", since=naive))
    with pytest.raises(ValueError, match="naive"):
        first_request(schedules.update_schedule("o_1", naive))
    with pytest.raises(ValueError):
        ScheduleEntry(merchant_uid="o", schedule_at=naive, amount=1000, name="n")
    aware = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    request = first_request(payments.payments_by_status("paid", since=aware))
    assert dict(request.query)["from"] == "1704067200"


@pytest.fixture
def seoul() -> Iterator[None]:
    """The process in ``TZ=Asia/Seoul``, where a naive datetime would be 9 hours off."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Seoul"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = before
        time.tzset()


NAIVE = datetime(2024, 1, 1, 9, 0)
LATER = datetime(2024, 1, 2, tzinfo=UTC)
SENDERS: dict[str, Callable[[datetime], Any]] = {
    "payments_by_status": lambda at: payments.payments_by_status("paid", since=at, until=LATER),
    "iter_payments_by_status": lambda at: listings.iter_payments_by_status(
        "paid", since=at, until=LATER
    ),
    "iter_schedules": lambda at: listings.iter_schedules(since=at, until=LATER),
    "schedules": lambda at: schedules.schedules(since=at, until=LATER),
    "schedules_by_customer": lambda at: schedules.schedules_by_customer(
        "c_1", since=at, until=LATER
    ),
    "customer_schedules": lambda at: billing_keys.customer_schedules("c_1", since=at, until=LATER),
    "update_schedule": lambda at: schedules.update_schedule("o_1", at),
    "reschedule": lambda at: schedules.reschedule("o_1", at),
    "issue_vbank": lambda at: vbanks.issue_vbank("o_1", 1000, vbank_code="004", vbank_due=at),
    "edit_vbank": lambda at: vbanks.edit_vbank("imp_1", vbank_due=at),
    "ScheduleEntry": lambda at: ScheduleEntry(
        merchant_uid="o", schedule_at=at, amount=1000, name="n"
    ),
    "EscrowShipment": lambda at: EscrowShipment(company="CJ", invoice="1", sent_at=at),
}


def _send(build: Callable[[datetime], Any], at: datetime) -> Any:
    built = build(at)
    if hasattr(built, "next_flow"):  # a pager: its first request
        return first_request(built.next_flow())
    if hasattr(built, "send"):  # a flow
        return first_request(built)
    return built.wire()


@pytest.mark.parametrize("name", SENDERS)
def test_no_naive_datetime_is_read_as_local_time(name: str, seoul: None) -> None:
    with pytest.raises(ValueError, match=r"naive|timezone"):
        _send(SENDERS[name], NAIVE)
    # the same moment, aware, in any zone: the same unix seconds on the wire
    kst = NAIVE.replace(tzinfo=timezone(timedelta(hours=9)))
    assert repr(_send(SENDERS[name], kst)) == repr(_send(SENDERS[name], kst.astimezone(UTC)))


def test_float_money_is_refused_in_what_we_send() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="float"):
        ScheduleEntry(merchant_uid="o", schedule_at=at, amount=1000.5, name="n")
    with pytest.raises(ValueError, match="float"):
        EscrowProduct(id="p", name="n", amount=9.99)
    assert ScheduleEntry(merchant_uid="o", schedule_at=at, amount=Decimal("9.99"), name="n")
    request = first_request(charges.pay_again("c", "o", 10.5, name="n"))  # type: ignore[arg-type]
    assert request.body is not None
    with pytest.raises(TypeError, match="float"):
        encode_body(request.body)


def test_mypy_rejects_a_misspelt_option_and_a_wrong_timeout(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        textwrap.dedent("""
        from paydesk.iamport import AsyncIamport, Iamport

        def sync(api: Iamport) -> None:
            api.pay_onetime("o", 1000, card_number="x", expiry="2030-12",
                            raise_on_declined=True)
            api.payment("imp_1", timeout="5")

        async def asynchronous(api: AsyncIamport) -> None:
            await api.cancel("imp_1", amount=1000, checksum=1000, resaon="typo")
            paid = await api.payment("imp_1", timeout=5)
            reveal_type(paid)
    """)
    )
    out, _, status = mypy_api.run(["--strict", "--no-incremental", str(snippet)])
    assert status == 1, out
    assert 'Unexpected keyword argument "raise_on_declined"' in out
    assert 'Unexpected keyword argument "resaon"' in out
    assert 'Argument "timeout"' in out and '"str"' in out
    assert 'Revealed type is "paydesk.iamport.models.payment.Payment"' in out
    assert out.count("error:") == 3, out


def test_list_parsing_reuses_one_type_adapter_per_model() -> None:
    envelope = Envelope(ApiRequest("x", "GET", "/x"), 200, 0, None, [payment()])
    answers._list_adapter.cache_clear()
    for _ in range(3):
        answers.parse_list(Payment, envelope)
    assert answers._list_adapter.cache_info().misses == 1


def test_a_bound_method_is_made_once_per_client() -> None:
    client = Iamport("key", "secret", base_url="http://127.0.0.1:9")
    aio = AsyncIamport("key", "secret", base_url="http://127.0.0.1:9")
    try:
        for api in (client, aio):
            assert api.cancel is api.cancel
            assert api.iter_schedules is api.iter_schedules
        with Iamport("key", "secret", base_url="http://127.0.0.1:9") as other:
            assert other.cancel is not client.cancel  # bound to its own client
    finally:
        client.close()
        asyncio.run(aio.aclose())
