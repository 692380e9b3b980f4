"""Parameter decoding: PHP-style keys, typed reads, i'mport-style refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.emulator.gateway.errors import ApiFault
from paydesk.emulator.gateway.params import Params, decode_pairs


def test_decode_arrays_and_nested_keys() -> None:
    data = decode_pairs(
        [
            ("imp_uid[]", "a"),
            ("imp_uid[]", "b"),
            ("extra[requester]", "customer"),
            ("schedules[0][amount]", "1000"),
            ("schedules[0][merchant_uid]", "m1"),
            ("schedules[1][amount]", "2000"),
            ("plain", "x"),
        ]
    )
    assert data["imp_uid"] == ["a", "b"]
    assert data["extra"] == {"requester": "customer"}
    assert data["schedules"] == [{"amount": "1000", "merchant_uid": "m1"}, {"amount": "2000"}]
    assert data["plain"] == "x"


@given(st.lists(st.text(min_size=1, max_size=8), max_size=20))
def test_repeated_array_keys_keep_order(values: list[str]) -> None:
    assert decode_pairs([("k[]", v) for v in values]).get("k", []) == values


def test_missing_required_text_uses_imports_wording_and_status() -> None:
    with pytest.raises(ApiFault) as caught:
        Params({}, bad_status=400).need_text("merchant_uid")
    assert caught.value.http_status == 400
    assert caught.value.message == "merchant_uid 파라메터가 누락되었습니다."
    with pytest.raises(ApiFault) as caught:
        Params({}, bad_status=200).need_text("merchant_uid")
    assert caught.value.http_status == 200
    assert caught.value.code != 0


@pytest.mark.parametrize(
    ("raw", "expected"), [("1000", 1000), (1000, 1000), ("12.5", 12.5), (7.0, 7)]
)
def test_amounts_keep_integers_exact(raw: object, expected: float) -> None:
    value = Params({"amount": raw}).need_amount("amount")
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("raw", ["abc", "NaN", "inf", True, [1], {"a": 1}, "-5"])
def test_bad_amounts_are_refused(raw: object) -> None:
    with pytest.raises(ApiFault):
        Params({"amount": raw}).need_amount("amount")


def test_text_limits_and_choices() -> None:
    with pytest.raises(ApiFault):
        Params({"merchant_uid": "x" * 41}).text("merchant_uid", max_len=40)
    with pytest.raises(ApiFault):
        Params({"status": "done"}).text("status", choices=("paid", "ready"))
    assert Params({"n": 5}).text("n") == "5"


def test_flags_and_lists() -> None:
    params = Params({"a": "true", "b": "0", "c": True, "d": "maybe", "ids": "x"})
    assert params.flag("a") is True
    assert params.flag("b") is False
    assert params.flag("c") is True
    assert params.flag("missing", default=True) is True
    with pytest.raises(ApiFault):
        params.flag("d")
    assert params.strings("ids") == ["x"]
    assert params.strings("none") == []


def test_records_from_form_indexes_and_json() -> None:
    assert Params({"s": {"1": {"a": 2}, "0": {"a": 1}}}).records("s") == [{"a": 1}, {"a": 2}]
    assert Params({"s": [{"a": 1}]}).records("s") == [{"a": 1}]
    with pytest.raises(ApiFault):
        Params({"s": ["x"]}).records("s")
