"""Shared client configuration: timeouts are always set, requests are built completely."""

from __future__ import annotations

import httpx
import pytest

from paydesk.iamport import DEFAULT_TIMEOUT, Iamport
from paydesk.iamport.core import ClientCore, check_timeout
from paydesk.iamport.exchange import ApiRequest


def test_timeouts_must_be_complete() -> None:
    assert check_timeout(3).read == 3 and check_timeout(3).pool == 3
    with pytest.raises(ValueError):
        check_timeout(httpx.Timeout(5.0, read=None))
    with pytest.raises(ValueError):
        check_timeout(0)
    with pytest.raises(ValueError):
        Iamport("k", "s", timeout=httpx.Timeout(None))


def test_every_request_carries_the_timeout_and_the_token() -> None:
    core = ClientCore("k", "s", base_url="http://emulator:8099/")
    deadline = core._deadline()
    request = ApiRequest("x.y", "POST", "/payments/cancel", query=(("a", "1"),), body={"b": 2})
    arguments = core._http_arguments(request, "tok", deadline)
    assert arguments["url"] == "http://emulator:8099/payments/cancel"
    assert arguments["timeout"] == DEFAULT_TIMEOUT
    assert arguments["headers"]["Authorization"] == "Bearer tok"
    assert arguments["content"] == b'{"b":2}' and arguments["params"] == [("a", "1")]
    bare = core._http_arguments(ApiRequest("x", "GET", "/banks"), None, deadline)
    assert "Authorization" not in bare["headers"] and "content" not in bare


def test_credentials_are_required() -> None:
    with pytest.raises(ValueError):
        ClientCore("", "s")


def test_token_cache_is_keyed_by_base_url_and_key() -> None:
    core = ClientCore("key", "secret", base_url="https://api.iamport.kr")
    assert core._token_key == ("https://api.iamport.kr", "key")
    assert core._usable_token() is None
