"""Reading the admin order page's refund form: shapes only (the money rules are the service's)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paydesk.core.money import Money
from paydesk.store.ledger_records import RefundAccount
from paydesk.web.admin.refund_form import (
    FORM_KEY,
    new_form_key,
    read_account_form,
    read_refund_form,
    read_tel_form,
)
from paydesk.web.api.refunds import RefundIn, TelIn


def test_an_empty_amount_is_everything_left_and_commas_are_allowed() -> None:
    everything = read_refund_form({"reason": " 고객 요청 "}, "KRW")
    assert everything.errors == [] and everything.ask is not None
    assert (everything.ask.amount, everything.ask.reason, everything.ask.account) == (
        None, "고객 요청", None)  # fmt: skip
    part = read_refund_form({"amount": "12,300", "reason": "x", "tax_free": "1,000",
                             "vat_amount": "0"}, "KRW")  # fmt: skip
    assert part.ask is not None
    assert (part.ask.amount, part.ask.tax_free, part.ask.vat_amount) == (
        Money(12_300), Money(1_000), Money(0))  # fmt: skip


def test_a_refund_account_is_read_whole_without_dashes() -> None:
    form = {"reason": "x", "refund_holder": "홍길동", "refund_bank": "004",
            "refund_account": "123-456-789012", "refund_tel": "010-1234-5678"}  # fmt: skip
    read = read_refund_form(form, "KRW")
    assert read.ask is not None
    assert read.ask.account == RefundAccount("홍길동", "004", "123456789012", "010-1234-5678")


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"reason": ""}, ["refund.error.reason"]),
        ({"reason": "x" * 257}, ["refund.error.reason"]),
        ({"reason": "a\x00b"}, ["refund.error.reason"]),
        ({"reason": "x", "amount": "0"}, ["refund.error.amount"]),
        ({"reason": "x", "amount": "-5"}, ["refund.error.amount"]),
        ({"reason": "x", "amount": "1e3"}, ["refund.error.amount"]),
        ({"reason": "x", "amount": "9" * 14}, ["refund.error.amount"]),
        ({"reason": "x", "tax_free": "abc"}, ["refund.error.part"]),
        ({"reason": "x", "refund_holder": "홍길동"}, ["refund.error.account"]),
        (
            {
                "reason": "x",
                "refund_holder": "홍",
                "refund_bank": "004",
                "refund_account": "1234567",
                "refund_tel": "12",
            },
            ["refund.error.tel"],
        ),
        ({"reason": "", "amount": "x"}, ["refund.error.reason", "refund.error.amount"]),
    ],
)
def test_bad_fields_are_named(form: dict[str, str], errors: list[str]) -> None:
    read = read_refund_form(form, "KRW")
    assert (read.ask, read.errors) == (None, errors)
    assert read.values["reason"] == form["reason"].strip()[:300]


def test_form_keys_are_fresh_and_fit_their_pattern() -> None:
    keys = {new_form_key() for _ in range(20)}
    assert len(keys) == 20 and all(FORM_KEY.fullmatch(key) for key in keys)


def test_the_account_form_needs_a_whole_account() -> None:
    assert read_account_form({}) == (None, ["refund.error.account"])
    assert read_account_form({"refund_holder": "홍", "refund_bank": "088"})[1] == [
        "refund.error.account"
    ]
    account, errors = read_account_form(
        {"refund_holder": "홍길동", "refund_bank": "088", "refund_account": "111-222-333-44"}
    )
    assert (account, errors) == (RefundAccount("홍길동", "088", "11122233344", None), [])


def test_the_holders_phone_goes_alone_where_no_account_is_typed() -> None:
    """Old smartro's card refund: the phone without an account is the ask's ``tel``."""
    read = read_refund_form({"reason": "x", "refund_tel": " 010-1234-5678 "}, "KRW")
    assert read.errors == [] and read.ask is not None
    assert (read.ask.account, read.ask.tel, read.ask.refund_tel) == (None, "010-1234-5678",
                                                                   "010-1234-5678")  # fmt: skip
    assert repr("010-1234-5678") not in repr(read.ask)  # kept out of any repr that is logged
    with_account = read_refund_form({"reason": "x", "refund_holder": "홍", "refund_bank": "004",
                                     "refund_account": "1234567", "refund_tel": "0212345678"},
                                    "KRW")  # fmt: skip
    assert with_account.ask is not None and with_account.ask.refund_tel == "0212345678"


@pytest.mark.parametrize(
    "tel", ["12", "010-1234-567a", "010--1234-5678", "+82-+10-1234-5678", "-01012345678",
            "0101234567890123", "1234-5678-9", "+1-212-555-0100", "82-10-1234-5678"],
)  # fmt: skip
def test_a_malformed_phone_alone_is_named(tel: str) -> None:
    read = read_refund_form({"reason": "x", "refund_tel": tel}, "KRW")
    assert (read.ask, read.errors) == (None, ["refund.error.tel"])
    assert read_tel_form({"refund_tel": tel}) == (None, ["refund.error.tel"])


@pytest.mark.parametrize("tel", ["010-1234-5678", "01012345678", "02-123-4567", "031-1234-5678",
                                 "1588-1234", "0505-123-4567"])  # fmt: skip
def test_the_phone_form_takes_korean_numbers(tel: str) -> None:
    assert read_tel_form({"refund_tel": tel}) == (tel, [])


@pytest.mark.parametrize(("tel", "domestic"), [
    ("+82-10-1234-5678", "010-1234-5678"), ("+82 10 1234 5678", "01012345678"),
    ("+821012345678", "01012345678"), ("0082-2-123-4567", "02-123-4567"),
    ("+82 (0)10-1234-5678", "010-1234-5678"),
])  # fmt: skip
def test_the_phone_form_takes_the_country_code_as_the_leading_zero(tel: str, domestic: str) -> None:
    """PGs take the domestic form: +82 is Korea's leading 0, never a reason to refuse."""
    assert read_tel_form({"refund_tel": tel}) == (domestic, [])
    read = read_refund_form({"reason": "x", "refund_tel": tel}, "KRW")
    assert read.ask is not None and read.ask.refund_tel == domestic


def test_the_phone_form_needs_a_phone() -> None:
    assert read_tel_form({}) == (None, ["refund.error.tel"])
    assert read_tel_form({"refund_tel": "   "}) == (None, ["refund.error.tel"])


@pytest.mark.parametrize(("tel", "domestic"), [
    ("+82 10-1234-5678", "010-1234-5678"), ("+82 10 1234 5678", "01012345678"),
    ("010 1234 5678", "01012345678"), ("010-1234-5678", "010-1234-5678"),
])  # fmt: skip
def test_the_api_takes_the_phone_as_the_console_does(tel: str, domestic: str) -> None:
    """The refunds API reads a phone as the console's form does (``domestic_tel``)."""
    assert TelIn.model_validate({"refund_tel": tel}).refund_tel == domestic
    assert RefundIn.model_validate({"reason": "x", "refund_tel": tel}).refund_tel == domestic
    with pytest.raises(ValidationError):
        TelIn.model_validate({"refund_tel": "+1-212-555-0100"})
