"""Shared client configuration: timeouts are always set, requests are built completely."""

from __future__ import annotations

import httpx
import pytest

from paydesk.iamport import DEFAULT_TIMEOUT, AsyncIamport, Iamport
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


DIRECT_CASES = [
    (ApiRequest("payments.get", "GET", "/payments/imp_1%2F2"), "tok"),
    (ApiRequest("x.y", "GET", "/payments", query=(("imp_uid[]", "a b"), ("x", "é"))), "tok"),
    (ApiRequest("x.y", "POST", "/payments/cancel", body={"b": 2, "name": "홍길동"}), "tok"),
    (ApiRequest("users.get_token", "POST", "/users/getToken", body={"k": "v"}, auth=False), None),
    (ApiRequest("x.y", "GET", "/banks", timeout=httpx.Timeout(2.0)), "tok"),
]


@pytest.mark.parametrize(("request_", "token"), DIRECT_CASES)
@pytest.mark.parametrize("kind", [Iamport, AsyncIamport])
def test_a_direct_request_is_the_one_build_request_makes(
    kind: type[Iamport | AsyncIamport], request_: ApiRequest, token: str | None
) -> None:
    """Sending straight to the transport (``direct``) changes nothing on the wire."""
    client = kind("k", "s", base_url="http://emulator:8099/", tier="AB1")
    deadline = client._deadline()
    through_httpx = client._http.build_request(**client._http_arguments(request_, token, deadline))
    direct = client._direct_request(request_, token, deadline, client._direct_headers)
    assert client._direct is not None
    assert (direct.method, direct.url) == (through_httpx.method, through_httpx.url)
    assert direct.headers.raw == through_httpx.headers.raw
    assert direct.read() == through_httpx.read()
    assert direct.extensions == through_httpx.extensions


def test_a_client_given_an_http_client_or_a_proxy_goes_through_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with httpx.Client() as http:
        assert Iamport("k", "s", http=http)._direct is None
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert Iamport("k", "s")._direct is None
    assert (
        Iamport("k", "s", transport=httpx.MockTransport(lambda r: httpx.Response(200)))._direct
        is None
    )
