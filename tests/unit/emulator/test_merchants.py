"""A merchant acting as one of its sub-merchants (``Tier``): whose books it uses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paydesk.emulator.gateway.merchants import DEFAULT_MERCHANTS, Merchant, book_owner


def test_a_sub_merchant_has_books_of_its_own() -> None:
    agency = DEFAULT_MERCHANTS[0]
    acting = agency.as_tier("ABC")
    assert acting is not None and (acting.tier, acting.book) == ("ABC", "imp00000001/ABC")
    assert (agency.tier, agency.book) == (None, "imp00000001")  # the agency is untouched
    assert agency.as_tier("XYZ") is None and agency.as_tier("abc") is None
    assert book_owner(acting.book) == ("imp00000001", "ABC")
    assert book_owner(agency.book) == ("imp00000001", None)
    assert "tier" not in acting.model_dump()  # never shown by the control API


def test_a_merchants_file_cannot_make_a_merchant_a_sub_merchant() -> None:
    data = {"imp_code": "imp00000009", "imp_key": "k", "imp_secret": "s", "tier": "ABC"}
    with pytest.raises(ValidationError, match="tiers"):
        Merchant.model_validate(data)
