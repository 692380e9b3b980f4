"""Pure rules of cash receipts, identities and escrow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.escrow import EscrowStatus, escrow_refusal, escrow_status, newer
from paydesk.core.identity import AgeRule, age_on, check_age_gate, hash_unique_key, required_age
from paydesk.core.receipts import (
    IdentifierType,
    InvalidIdentifier,
    mask_identifier,
    recipient,
)


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(2000, 5, 10), date(2019, 5, 9), 18),
        (date(2000, 5, 10), date(2019, 5, 10), 19),
        (date(2000, 2, 29), date(2019, 2, 28), 18),  # a leap day is reached on 1 March
        (date(2000, 2, 29), date(2019, 3, 1), 19),
        (date(2030, 1, 1), date(2029, 1, 1), 0),
    ],
)
def test_age_counts_full_years(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(min_value=0, max_value=40_000))  # fmt: skip
def test_age_never_drops_as_days_pass(birth: date, days: int) -> None:
    today = birth + timedelta(days=days)
    assert age_on(birth, today) <= age_on(birth, today + timedelta(days=1))
    assert age_on(birth, today) <= days // 365


def test_the_gate_names_its_rule() -> None:
    today = date(2030, 1, 1)
    assert check_age_gate(None, False, None, today) is None
    assert required_age([None, 15, 19]) == 19 and required_age([None]) is None
    refusals = [check_age_gate(19, False, None, today), check_age_gate(19, True, None, today),
                check_age_gate(19, True, date(2011, 1, 2), today)]  # fmt: skip
    assert [r.rule if r else None for r in refusals] == [
        AgeRule.IDENTITY_REQUIRED, AgeRule.IDENTITY_UNKNOWN, AgeRule.AGE_BELOW_MINIMUM]  # fmt: skip
    assert check_age_gate(19, True, date(2011, 1, 1), today) is None
    assert hash_unique_key("ci") == hash_unique_key("ci") != hash_unique_key("cj")
    assert len(hash_unique_key("ci")) == 64


@pytest.mark.parametrize(
    ("kind", "identifier", "masked", "type_", "wire"),
    [
        (IdentifierType.PHONE, "010-1234-5678", "*******5678", "person", "phone"),
        (IdentifierType.BUSINESS, "123-45-67890", "******7890", "company", "business"),
        (IdentifierType.CARD, "1234 5678 9012 3456", "************3456", "person", "taxcard"),
    ],
)
def test_recipients_are_validated_and_masked(
    kind: IdentifierType, identifier: str, masked: str, type_: str, wire: str
) -> None:
    who = recipient(kind, identifier)
    assert who.masked == masked and kind.receipt_type == type_ and kind.iamport_name == wire
    assert who.digits not in repr(who) and masked in repr(who)


@pytest.mark.parametrize(
    ("kind", "identifier"),
    [(IdentifierType.PHONE, "02-123-4567"), (IdentifierType.BUSINESS, "123456789"),
     (IdentifierType.CARD, "1234"), (IdentifierType.PHONE, "010-1234-567a")],
)  # fmt: skip
def test_invalid_identifiers_are_refused_without_repeating_them(
    kind: IdentifierType, identifier: str
) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        recipient(kind, identifier)
    assert identifier not in str(refused.value)


def test_masking_keeps_four_digits() -> None:
    assert mask_identifier("1234") == "1234" and mask_identifier("12345") == "*2345"


def test_escrow_codes_and_time_order() -> None:
    assert escrow_status("3") is EscrowStatus.PURCHASE_CONFIRMED
    assert escrow_status(" 4 ") is EscrowStatus.PURCHASE_REFUSED
    assert escrow_status("31") is EscrowStatus.AUTO_CONFIRMED and escrow_status("5") is None
    t = datetime(2030, 1, 1, tzinfo=UTC)
    s = EscrowStatus
    registered, confirmed, refused = s.DELIVERY_REGISTERED, s.PURCHASE_CONFIRMED, s.PURCHASE_REFUSED
    assert newer(t, registered, None, None) and newer(None, registered, None, s.REGISTERED)
    assert newer(t + timedelta(seconds=1), registered, t, confirmed)  # later time wins
    assert not newer(t - timedelta(seconds=1), confirmed, t, registered)  # earlier never
    assert newer(t, confirmed, t, registered)  # same second: the later stage
    assert not newer(t, registered, t, confirmed) and not newer(t, confirmed, t, confirmed)
    assert not newer(t, refused, t, confirmed)  # same stage, same time: first one stays
    assert not newer(None, confirmed, t, registered)  # no time against a timed status


@pytest.mark.parametrize(
    ("pg", "pay_method", "rule"),
    [("html5_inicis", "trans", None), ("kcp.T0000", "vbank", None), ("nice", "card", None),
     ("html5_inicis", None, None), ("kakaopay", "card", "pg_without_escrow"),
     (None, "trans", "pg_without_escrow"), ("danal", "phone", "pg_without_escrow"),
     ("html5_inicis", "phone", "escrow_pay_method")],
)  # fmt: skip
def test_escrow_only_on_pgs_and_methods_with_it(
    pg: str | None, pay_method: str | None, rule: str | None
) -> None:
    refusal = escrow_refusal(pg, pay_method)
    assert (refusal[0] if refusal else None) == rule
