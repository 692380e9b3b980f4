"""``ConfirmLane`` reads ``?token=`` off the raw query string: as Starlette would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from paydesk.web.iamport.confirm import _tokens

_PIECES = ["token", "tok", "token=", "=", "&", "%", "%2", "%3D", "%74oken", "+", "a", "\u00e9",
           "%C3%A9", "%ff", ";", " ", "\x00"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES)).map("".join))
def test_the_lanes_token_reading_matches_starlettes(query: str) -> None:
    raw = query.encode("utf-8")
    assert _tokens(raw) == QueryParams(raw.decode("latin-1")).getlist("token")


def test_every_token_is_kept_in_order() -> None:
    assert _tokens(b"token=a&x=1&token=b%2Bc&token") == ["a", "b+c", ""]
    assert _tokens(b"x=1") == []
