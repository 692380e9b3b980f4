"""The ops audience (``/metrics``): a listed address or the metrics token, nothing else.

The test server is reached from 127.0.0.1, so the default allow-list (loopback)
admits it; the other cases take that away, add a token, or put a trusted proxy
in front that names an outside client.
"""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from .conftest import Server

pytestmark = pytest.mark.asyncio

TOKEN = "metrics-token-0123456789abcdef"
NO_ADDRESS = {"metrics_allowed_ips": ()}


async def test_loopback_may_scrape_by_default(server: Server) -> None:
    async with server.client(None) as http:
        answer = await http.get("/metrics")
        forged = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert "paydesk_confirm_seconds_bucket" in answer.text
    # no proxy is trusted: the header is the client's own word and changes nothing
    assert forged.status_code == 200


@pytest.mark.parametrize("server_options", [NO_ADDRESS], indirect=True)
async def test_an_address_off_the_list_is_refused(server: Server) -> None:
    async with server.client(None) as http:
        answer = await http.get("/metrics")
        with_api_key = await http.get("/metrics", headers={"Authorization": "Bearer pdk_x"})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert "paydesk_" not in answer.text
    assert with_api_key.status_code == 403  # no token configured: credentials count for nothing


@pytest.mark.parametrize("server_options", [{**NO_ADDRESS, "metrics_token": TOKEN}], indirect=True)
async def test_the_token_admits_from_anywhere_and_nothing_else_does(server: Server) -> None:
    async with server.client(None) as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        basic = await http.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        api_key = await http.get(
            "/metrics", headers={"Authorization": f"Bearer {server.keys['all']}"}
        )
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    for refused in (missing, wrong, basic, api_key):
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "paydesk_" not in refused.text
    assert right.status_code == 200 and "paydesk_backlog_up 1.0" in right.text


@pytest.mark.parametrize("server_options", [{"metrics_token": TOKEN}], indirect=True)
async def test_a_wrong_token_is_refused_even_from_a_listed_address(server: Server) -> None:
    async with server.client(None) as http:
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        plain = await http.get("/metrics")
    assert wrong.status_code == 401
    assert plain.status_code == 200  # loopback, presenting nothing


@pytest.mark.parametrize(
    "server_options",
    [{"trusted_proxies": (ip_network("127.0.0.1/32"),),
      "metrics_allowed_ips": (ip_network("10.1.2.0/24"),)}],
    indirect=True,
)  # fmt: skip
async def test_behind_a_trusted_proxy_the_client_it_names_is_judged(server: Server) -> None:
    async with server.client(None) as http:
        inside = await http.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
        outside = await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        spoofed = await http.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3, 203.0.113.9"})
        proxy_itself = await http.get("/metrics")
    assert inside.status_code == 200
    assert outside.status_code == 403
    assert spoofed.status_code == 403  # the proxy appended the real client last
    assert proxy_itself.status_code == 403  # the proxy's own address is not on the list
