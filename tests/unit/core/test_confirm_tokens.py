"""The confirm_url token: an HMAC of the merchant_uid under the server key."""

from __future__ import annotations

from paydesk.core.confirm_tokens import confirm_token, valid_confirm_token

KEY = b"k" * 32


def test_a_token_confirms_only_its_own_order_under_its_own_key() -> None:
    token = confirm_token(KEY, "ord_20261201_abc")
    assert len(token) == 43 and token.isascii()
    assert valid_confirm_token(KEY, "ord_20261201_abc", token)
    assert not valid_confirm_token(KEY, "ord_20261201_abd", token)
    assert not valid_confirm_token(b"x" * 32, "ord_20261201_abc", token)
    assert not valid_confirm_token(KEY, "ord_20261201_abc", token[:-1])
    assert not valid_confirm_token(KEY, "ord_20261201_abc", None)
    assert not valid_confirm_token(KEY, "ord_20261201_abc", "")
    assert not valid_confirm_token(KEY, "ord_20261201_abc", "é" * 43)


def test_odd_merchant_uids_never_raise() -> None:
    for uid in ("\ud800", "", "주문\x00"):
        assert valid_confirm_token(KEY, uid, confirm_token(KEY, uid))
