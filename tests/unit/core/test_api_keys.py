"""API keys as values: their printed form, digests and scopes."""

from __future__ import annotations

import secrets

import pytest

from paydesk.core.api_keys import KeyToken, MalformedKey, Scope, digest, parse_scopes


def test_a_made_key_parses_back_and_matches_only_its_own_digest() -> None:
    token = KeyToken.make(secrets.token_bytes(6), secrets.token_urlsafe(32))
    text = str(token)
    assert text.startswith(f"pdk_{token.prefix}_")
    assert KeyToken.parse(text) == token
    assert token.matches(digest(text))
    other = KeyToken(token.prefix, secrets.token_urlsafe(32))
    assert not other.matches(digest(text))


def test_a_secret_with_underscores_still_splits_at_the_prefix() -> None:
    token = KeyToken.make(bytes(6), "_" * 43)
    assert KeyToken.parse(str(token)).secret == "_" * 43


def test_the_secret_never_shows_in_a_repr() -> None:
    token = KeyToken.make(bytes(6), "s" * 43)
    assert "s" * 43 not in repr(token)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Bearer pdk_000000000000_" + "a" * 43,
        "pdk_000000000000_" + "a" * 42,  # short secret
        "pdk_00000000000g_" + "a" * 43,  # prefix not hex
        "pdk_000000000000_" + "a" * 42 + "=",
        "sk_000000000000_" + "a" * 43,
        "pdk_000000000000_" + "a" * 43 + "\n",
        "pdk_000000000000_" + "\ud800" * 43,
    ],
)
def test_anything_else_is_malformed(text: str) -> None:
    with pytest.raises(MalformedKey):
        KeyToken.parse(text)


def test_scopes_from_names() -> None:
    assert parse_scopes("read write") == {Scope.READ, Scope.WRITE}
    assert parse_scopes("refund,READ") == {Scope.READ, Scope.REFUND}
    assert parse_scopes(["write"]) == {Scope.WRITE}
    assert parse_scopes("") == frozenset()
    with pytest.raises(ValueError, match="'admin'"):
        parse_scopes("read admin")
