"""Call observers against the emulator: one record per exchange, with its outcome class,
for both clients — and an observer that fails never breaks a call."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from paydesk.iamport import CallRecord, NotFound, NotSent, OutcomeUnknown, ServerError
from tests.integration.client.conftest import Clients, Recorder
from tests.support.emulator import EmulatorClient, seed
from tests.support.servers import free_port


def journal(clients: Clients, **options: Any) -> tuple[Any, list[CallRecord]]:
    records: list[CallRecord] = []
    return clients.make(observers=[records.append], **options), records


def test_a_read_is_one_ok_record_naming_its_payment(emu: EmulatorClient, clients: Clients) -> None:
    paid = seed(emu, amount=10000)
    api, records = journal(clients)
    api.payment(paid["imp_uid"])
    [record] = records  # the token fetch belongs to the exchange, not a record of its own
    assert (record.operation, record.method, record.path) == (
        "payments.get", "GET", f"/payments/{paid['imp_uid']}")  # fmt: skip
    assert (record.outcome, record.http_status, record.attempts) == ("ok", 200, 1)
    assert record.imp_uid == paid["imp_uid"] and record.error is None and record.duration >= 0


def test_a_refusal_is_rejected_with_code_and_message(emu: EmulatorClient, clients: Clients) -> None:
    api, records = journal(clients)
    with pytest.raises(NotFound) as caught:
        api.payment("imp_000000000404")
    [record] = records
    assert (record.outcome, record.error, record.imp_uid) == (
        "rejected", "NotFound", "imp_000000000404")  # fmt: skip
    assert record.http_status == caught.value.http_status
    assert record.code == caught.value.code and record.message == caught.value.message


def test_retries_are_counted_in_one_record(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", kind="error", status=503, times=2)
    api, records = journal(clients)
    api.payment(imp_uid)
    assert recorder.statuses(f"/payments/{imp_uid}") == [503, 503, 200]
    assert [(r.outcome, r.attempts, r.http_status) for r in records] == [("ok", 3, 200)]


def test_a_lost_cancel_is_unknown_and_names_its_payment(
    emu: EmulatorClient, clients: Clients
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="no_answer", times=1)
    api, records = journal(clients)
    with pytest.raises(OutcomeUnknown):
        api.cancel(imp_uid, amount=4000, checksum=10000)
    [record] = records
    assert (record.operation, record.method, record.outcome) == (
        "payments.cancel",
        "POST",
        "unknown",
    )
    assert (record.imp_uid, record.error, record.http_status) == (imp_uid, "OutcomeUnknown", None)


def test_a_write_answered_503_is_unknown_not_rejected(
    emu: EmulatorClient, clients: Clients
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="error", status=503, times=1)
    api, records = journal(clients)
    with pytest.raises(ServerError):
        api.cancel(imp_uid, checksum=10000)
    assert [(r.outcome, r.http_status, r.attempts) for r in records] == [("unknown", 503, 1)]


def test_a_closed_port_is_not_sent_after_every_attempt(clients: Clients) -> None:
    api, records = journal(clients, base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(NotSent):
        api.prepare("order_x", 1000)
    [record] = records
    assert (record.operation, record.outcome, record.merchant_uid) == (
        "payments.prepare", "not_sent", "order_x")  # fmt: skip
    assert record.attempts == 4 and record.http_status is None and record.message


def test_a_charge_record_names_ids_only(emu: EmulatorClient, clients: Clients) -> None:
    api, records = journal(clients)
    merchant_uid = f"order_{uuid.uuid4().hex[:12]}"
    api.pay_onetime(
        merchant_uid, 1000, card_number="4111-1111-1111-1111", expiry="2030-12",
        birth="900101", pwd_2digit="00", pg="nice", name="상품", buyer_name="홍길동",
        buyer_email="hong@example.com",
    )  # fmt: skip
    [record] = records
    assert (record.outcome, record.merchant_uid, record.method) == ("ok", merchant_uid, "POST")
    shown = repr(record)
    for secret in ("4111", "900101", "홍길동", "hong@example.com", "2030-12"):
        assert secret not in shown


def test_a_failing_observer_is_logged_and_the_others_still_hear(
    emu: EmulatorClient, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    imp_uid = seed(emu)["imp_uid"]

    def broken(record: CallRecord) -> None:
        raise RuntimeError("metrics backend down")

    heard: list[CallRecord] = []
    api = clients.make(observers=[broken])
    api.add_observer(heard.append)
    with caplog.at_level(logging.ERROR, logger="paydesk.iamport"):
        assert api.payment(imp_uid).imp_uid == imp_uid  # the call itself is unharmed
        with pytest.raises(NotFound):  # and an error stays the call's own error
            api.payment("imp_000000000404")
    assert [r.outcome for r in heard] == ["ok", "rejected"]
    assert sum("call observer" in m for m in caplog.messages) == 2
