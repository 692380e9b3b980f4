"""Listings walked while payments change under them: nothing that stays put is missed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.client.conftest import Clients
from tests.support.emulator import EmulatorClient, seed


def six_paid(emu: EmulatorClient) -> tuple[list[str], datetime, datetime]:
    now = emu.now()
    uids = [seed(emu, amount=10000, paid_at=now - 600 + 100 * i)["imp_uid"] for i in range(6)]
    return uids, datetime.fromtimestamp(now - 3600, UTC), datetime.fromtimestamp(now, UTC)


def on_listing_answer(api: Any, action: Callable[[int, list[str]], None]) -> None:
    """Call ``action(n, imp_uids_listed)`` after the n-th non-empty listing answer arrives."""
    seen = [0]

    def look(response: httpx.Response) -> None:
        if not response.request.url.path.startswith("/payments/status/"):
            return
        response.read()
        listed = (json.loads(response.content).get("response") or {}).get("list") or []
        if not listed:
            return
        seen[0] += 1
        action(seen[0], [p["imp_uid"] for p in listed])

    async def alook(response: httpx.Response) -> None:
        await response.aread()
        look(response)

    client = getattr(api, "client", api)  # Blocking wraps an AsyncIamport
    http = client._http
    hooks = http.event_hooks
    hooks["response"] = [*hooks["response"], alook if isinstance(http, httpx.AsyncClient) else look]
    http.event_hooks = hooks


def refund(emu: EmulatorClient, imp_uid: str) -> None:
    answer = emu.post("/payments/cancel", json={"imp_uid": imp_uid, "checksum": 10000})
    assert answer.json()["code"] == 0, answer.text


@pytest.mark.parametrize("when", [1, 2, 3])
def test_refunding_the_first_listed_payment_mid_walk_loses_no_paid_one(
    emu: EmulatorClient, clients: Clients, when: int
) -> None:
    api = clients.make()
    uids, since, until = six_paid(emu)
    refunded: list[str] = []

    def act(n: int, listed: list[str]) -> None:
        if n == when and listed:
            refund(emu, listed[0])
            refunded.append(listed[0])

    on_listing_answer(api, act)
    got = [
        p.imp_uid for p in api.iter_payments_by_status("paid", since=since, until=until, limit=2)
    ]
    assert refunded
    still_paid = set(uids) - set(refunded)
    assert len(still_paid) == 5 and still_paid <= set(got)
    assert len(got) == len(set(got))  # nothing twice


def test_refunding_a_whole_page_mid_walk_neither_crashes_nor_skips(
    emu: EmulatorClient, clients: Clients
) -> None:
    api = clients.make()
    uids, since, until = six_paid(emu)
    refunded: list[str] = []

    def act(n: int, listed: list[str]) -> None:
        if n == 1:
            for uid in listed[:2]:
                refund(emu, uid)
                refunded.append(uid)

    on_listing_answer(api, act)
    got = [
        p.imp_uid for p in api.iter_payments_by_status("paid", since=since, until=until, limit=2)
    ]
    assert len(refunded) == 2
    assert set(uids) - set(refunded) <= set(got)


def test_status_all_sees_every_payment_and_a_refunded_one_in_its_new_state(
    emu: EmulatorClient, clients: Clients
) -> None:
    api = clients.make()
    uids, since, until = six_paid(emu)
    # "all" files a refunded payment under its cancelled_at, which may fall a second or more
    # after ``now``: the range must reach past it, or the refund leaves the listing.
    until += timedelta(minutes=5)
    refunded: list[str] = []

    def act(n: int, listed: list[str]) -> None:
        if n == 2 and listed:
            refund(emu, listed[-1])
            refunded.append(listed[-1])

    on_listing_answer(api, act)
    got = list(api.iter_payments_by_status("all", since=since, until=until, limit=2))
    assert set(uids) <= {p.imp_uid for p in got}
    assert [p.status for p in got if p.imp_uid in refunded][-1] == "cancelled"


def test_many_payments_in_one_second_are_all_read(emu: EmulatorClient, clients: Clients) -> None:
    api = clients.make()
    now = emu.now()
    uids = {seed(emu, amount=1000, paid_at=now - 5)["imp_uid"] for _ in range(7)}
    since = until = datetime.fromtimestamp(now - 5, UTC)
    got = {
        p.imp_uid for p in api.iter_payments_by_status("paid", since=since, until=until, limit=2)
    }
    assert got == uids
