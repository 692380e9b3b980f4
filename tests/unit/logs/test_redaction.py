"""What the log redactor masks, and what it leaves readable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from paydesk.logs import MASK, configure_logging, redact, request_scope
from paydesk.logs.redaction import luhn_valid

SECRET_KEY = "s3cr3t-key-that-is-long-enough-for-paydesk-0001"
API_KEY = "pdk_0123456789ab_" + "A" * 43


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ('127.0.0.1:5 - "POST /iamport/confirm?token=Zm9vYmFy-_x HTTP/1.1" 200', "Zm9vYmFy-_x"),
        ("confirm_url=https://shop.example/iamport/confirm?token=abc.def&x=1", "abc.def"),
        (f"Authorization: Bearer {API_KEY}", API_KEY),
        ("headers={'authorization': 'Bearer tok.en-1'}", "tok.en-1"),
        (f"key {API_KEY} refused", API_KEY[4:]),
        ('{"imp_secret": "very-secret-value"}', "very-secret-value"),
        ("access_token=abcdef0123456789", "abcdef0123456789"),
        (f"settings secret={SECRET_KEY}", SECRET_KEY),
        ("buyer={'name': '김구매', 'email': 'x@y.kr', 'tel': '010-1111-2222'}", "김구매"),
        ('"buyer_name": "김구매"', "김구매"),
        ("buyer_addr='서울시 강남구 테헤란로 1'", "테헤란로"),
        ("mail to buyer.one+tag@example.co.kr failed", "buyer.one+tag@example.co.kr"),
        ("sms to 010-1234-5678", "010-1234-5678"),
        ("sms to 01012345678", "01012345678"),
        ("call +82 10 1234 5678".replace(" 10 ", " 10-"), "1234"),
        ("office 02-123-4567", "02-123-4567"),
        ("card 4111-1111-1111-1111 declined", "4111-1111-1111-1111"),
        ("card 4111111111111111 declined", "4111111111111111"),
        ("card 5555 5555 5555 4444 ok", "5555 5555 5555 4444"),
        ("card_number=9999", "9999"),
        ("refund_account: '12345678901'", "12345678901"),
    ],
)
def test_masked(line: str, hidden: str) -> None:
    masked = redact(line, [SECRET_KEY])
    assert hidden not in masked, masked
    assert "REDACTED" in masked or "[EMAIL]" in masked or "[PHONE]" in masked or "[CARD]" in masked


@pytest.mark.parametrize(
    "line",
    [
        "confirm imp_1234567890ab for ord_20250301_0001 approved",
        "order 42: amount 30000 KRW, 2 items",
        "job 17 (webhook.process) done by worker:host:123 in 0.25s",
        "GET /api/orders?status=paid&limit=50 200",
        "reconcile range 2025-03-01T00:00:00+00:00 .. 2025-03-02T00:00:00+00:00",
        "id 1234567890123 not a card",  # 13 digits failing the Luhn check
    ],
)
def test_readable(line: str) -> None:
    assert redact(line, [SECRET_KEY]) == line


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("5555555555554444")
    assert not luhn_valid("4111111111111112")


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    """Our handler on the root logger at DEBUG, writing JSON to a buffer; undone after."""
    root = logging.getLogger()
    level, stream = root.level, io.StringIO()
    handler = configure_logging("json", "DEBUG", secrets=[SECRET_KEY], stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_arguments_extras_and_exceptions_are_masked(configured: io.StringIO) -> None:
    log = logging.getLogger("paydesk.test")
    with request_scope("req-1"):
        log.debug("buyer %r paid with %s", {"email": "a@b.kr"}, "4111 1111 1111 1111")
        try:
            raise ValueError(f"bad secret {SECRET_KEY}")
        except ValueError:
            log.exception("failed for %s", "010-9999-8888")
    log.info("outside", extra={"attempt": 2})
    lines = [json.loads(line) for line in configured.getvalue().splitlines()]
    text = configured.getvalue()
    for secret in ("a@b.kr", "4111 1111 1111 1111", SECRET_KEY, "010-9999-8888"):
        assert secret not in text
    assert [entry["request_id"] for entry in lines] == ["req-1", "req-1", None]
    assert lines[0]["level"] == "DEBUG" and lines[0]["logger"] == "paydesk.test"
    assert MASK in lines[1]["exception"] and "ValueError" in lines[1]["exception"]
    assert lines[2]["attempt"] == 2


def test_driver_parameter_records_are_dropped_at_debug(configured: io.StringIO) -> None:
    driver, engine = logging.getLogger("aiosqlite"), logging.getLogger("sqlalchemy.engine")
    driver.setLevel(logging.DEBUG)  # as if someone asked for them
    engine.setLevel(logging.DEBUG)
    try:
        driver.debug("executing %s", ("김구매", "서울시"))
        logging.getLogger("sqlalchemy.engine.Engine").debug("Row %r", ("김구매",))
        logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")
    finally:
        driver.setLevel(logging.INFO)
        engine.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in configured.getvalue().splitlines()]
    assert [entry["message"] for entry in lines] == ["SELECT 1"]


def test_text_format_names_the_request() -> None:
    stream = io.StringIO()
    root, level = logging.getLogger(), logging.getLogger().level
    handler = configure_logging("text", "INFO", stream=stream)
    try:
        with request_scope("abc"):
            logging.getLogger("paydesk.t").info("hello %s", "x@y.kr")
        logging.getLogger("paydesk.t").info("bye")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO paydesk.t [abc]: hello [EMAIL]")
    assert second.endswith("INFO paydesk.t [-]: bye")
