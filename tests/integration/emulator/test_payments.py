"""Payment lookups over real HTTP: by imp_uid, several ids, merchant_uid, status, balance."""

from __future__ import annotations

from typing import Any

from tests.support.emulator import OTHER_KEY, OTHER_SECRET, EmulatorClient, seed

DAY = 86400
NOT_FOUND = "존재하지 않는 결제정보입니다."


def body(answer: Any) -> dict[str, Any]:
    payload: dict[str, Any] = answer.json()
    return payload


# -- GET /payments/{imp_uid} ----------------------------------------------------------
def test_one_payment_by_imp_uid(emu: EmulatorClient) -> None:
    seeded = seed(emu, amount=15000, merchant_uid="order_one")
    answer = emu.get(f"/payments/{seeded['imp_uid']}")
    assert answer.status_code == 200
    payload = body(answer)
    assert payload["code"] == 0 and payload["message"] is None
    payment = payload["response"]
    assert payment["imp_uid"] == seeded["imp_uid"] and payment["merchant_uid"] == "order_one"
    assert payment["amount"] == 15000 and payment["status"] == "paid"
    assert payment["cancel_history"] == [] and payment["sandbox"] is False


def test_unknown_imp_uid_is_404_with_server_text(emu: EmulatorClient) -> None:
    answer = emu.get("/payments/imp_000000000000")
    assert answer.status_code == 404
    assert body(answer) == {"code": -1, "message": NOT_FOUND, "response": None}


def test_another_merchants_payment_is_not_found(emu: EmulatorClient) -> None:
    seeded = seed(emu, imp_code="imp00000002")
    token = emu.token(OTHER_KEY, OTHER_SECRET)
    theirs = emu.http.get(f"/payments/{seeded['imp_uid']}", headers={"Authorization": token})
    assert theirs.status_code == 200
    assert emu.get(f"/payments/{seeded['imp_uid']}").status_code == 404


def test_sandbox_payments_only_with_include_sandbox(emu: EmulatorClient) -> None:
    seeded = seed(emu, sandbox=True)
    path = f"/payments/{seeded['imp_uid']}"
    assert emu.get(path).status_code == 404
    assert emu.get(path, params={"include_sandbox": "false"}).status_code == 404
    answer = emu.get(path, params={"include_sandbox": "true"})
    assert answer.status_code == 200 and body(answer)["response"]["sandbox"] is True


# -- GET /payments ----------------------------------------------------------------------
def test_several_ids_all_found_is_200(emu: EmulatorClient) -> None:
    first, second = seed(emu), seed(emu, merchant_uid="order_b")
    answer = emu.get(
        "/payments", params={"imp_uid[]": [first["imp_uid"]], "merchant_uid[]": ["order_b"]}
    )
    assert answer.status_code == 200 and body(answer)["code"] == 0
    assert [p["imp_uid"] for p in body(answer)["response"]] == [
        first["imp_uid"],
        second["imp_uid"],
    ]


def test_several_ids_some_missing_is_207_with_the_found_subset(emu: EmulatorClient) -> None:
    first = seed(emu)
    answer = emu.get(
        "/payments",
        params={"imp_uid[]": [first["imp_uid"], "imp_999999999999"], "merchant_uid[]": ["nope"]},
    )
    assert answer.status_code == 207
    assert [p["imp_uid"] for p in body(answer)["response"]] == [first["imp_uid"]]


def test_several_ids_none_found_is_404(emu: EmulatorClient) -> None:
    answer = emu.get("/payments", params={"imp_uid[]": ["imp_999999999999"]})
    assert answer.status_code == 404 and body(answer)["response"] is None


def test_more_than_100_ids_is_refused_with_http_200_and_a_code(emu: EmulatorClient) -> None:
    seeded = seed(emu)
    ids = [seeded["imp_uid"]] * 60
    answer = emu.get("/payments", params={"imp_uid[]": ids, "merchant_uid[]": ["x"] * 41})
    assert answer.status_code == 200 and body(answer)["code"] != 0
    answer = emu.get("/payments", params={"imp_uid[]": ids, "merchant_uid[]": ["x"] * 40})
    assert answer.status_code == 207


# -- GET /payments/find/{merchant_uid}[/{payment_status}] -----------------------------------
def three_attempts(emu: EmulatorClient) -> dict[str, dict[str, Any]]:
    """One merchant_uid, three attempts started in this order: failed, paid, ready."""
    now = emu.now()
    uid = "order_multi"
    return {
        "failed": seed(emu, merchant_uid=uid, status="failed", started_at=now - 300),
        "paid": seed(emu, merchant_uid=uid, status="paid", started_at=now - 200, paid_at=now),
        "ready": seed(emu, merchant_uid=uid, status="ready", started_at=now - 100),
    }


def test_find_returns_the_newest_attempt_by_default(emu: EmulatorClient) -> None:
    attempts = three_attempts(emu)
    for path in ("/payments/find/order_multi", "/payments/find/order_multi/"):
        answer = emu.get(path)
        assert answer.status_code == 200, path
        assert body(answer)["response"]["imp_uid"] == attempts["ready"]["imp_uid"]


def test_find_follows_sorting(emu: EmulatorClient) -> None:
    attempts = three_attempts(emu)
    oldest = emu.get("/payments/find/order_multi", params={"sorting": "started"})
    assert body(oldest)["response"]["imp_uid"] == attempts["failed"]["imp_uid"]
    last_paid = emu.get("/payments/find/order_multi", params={"sorting": "-paid"})
    assert body(last_paid)["response"]["imp_uid"] == attempts["paid"]["imp_uid"]


def test_find_with_status_returns_the_newest_in_that_status(emu: EmulatorClient) -> None:
    attempts = three_attempts(emu)
    answer = emu.get("/payments/find/order_multi/paid")
    assert answer.status_code == 200
    assert body(answer)["response"]["imp_uid"] == attempts["paid"]["imp_uid"]
    answer = emu.get("/payments/find/order_multi/cancelled")
    assert answer.status_code == 404 and body(answer)["message"] == NOT_FOUND


def test_find_unknown_merchant_uid_and_bad_input(emu: EmulatorClient) -> None:
    answer = emu.get("/payments/find/no_such_order")
    assert answer.status_code == 404 and body(answer)["message"] == NOT_FOUND
    three_attempts(emu)
    bad_status = emu.get("/payments/find/order_multi/refunded")
    assert (
        body(bad_status)["code"] != 0
        and body(bad_status)["message"] == "지원되지 않는 상태값입니다."
    )
    bad_sorting = emu.get("/payments/find/order_multi", params={"sorting": "amount"})
    assert body(bad_sorting)["code"] != 0
    # Both forms answer alike: the spec documents no 400 for find.
    assert bad_status.status_code == bad_sorting.status_code == 200


# -- GET /payments/findAll/{merchant_uid}[/{payment_status}] -----------------------------
def test_find_all_lists_every_attempt_paged(emu: EmulatorClient) -> None:
    attempts = three_attempts(emu)
    answer = emu.get("/payments/findAll/order_multi", params={"limit": 2})
    assert answer.status_code == 200
    page = body(answer)["response"]
    assert (page["total"], page["previous"], page["next"]) == (3, 0, 2)
    assert [p["imp_uid"] for p in page["list"]] == [
        attempts["ready"]["imp_uid"],
        attempts["paid"]["imp_uid"],
    ]
    second = body(emu.get("/payments/findAll/order_multi", params={"limit": 2, "page": 2}))
    assert (second["response"]["previous"], second["response"]["next"]) == (1, 0)
    assert [p["imp_uid"] for p in second["response"]["list"]] == [attempts["failed"]["imp_uid"]]


def test_find_all_filters_by_status(emu: EmulatorClient) -> None:
    attempts = three_attempts(emu)
    page = body(emu.get("/payments/findAll/order_multi/failed"))["response"]
    assert page["total"] == 1 and page["list"][0]["imp_uid"] == attempts["failed"]["imp_uid"]
    answer = emu.get("/payments/findAll/order_multi/cancelled")
    assert answer.status_code == 404 and body(answer)["message"] == NOT_FOUND


def test_find_all_bad_input_is_400(emu: EmulatorClient) -> None:
    three_attempts(emu)
    answer = emu.get("/payments/findAll/order_multi/refunded")
    assert answer.status_code == 400 and body(answer)["message"] == "지원되지 않는 상태값입니다."
    for limit in (0, 1001):
        answer = emu.get("/payments/findAll/order_multi", params={"limit": limit})
        assert answer.status_code == 400, limit
    assert emu.get("/payments/findAll/order_multi", params={"limit": 1000}).status_code == 200
    assert emu.get("/payments/findAll/nope").status_code == 404


# -- GET /payments/status/{payment_status} ------------------------------------------------
def test_status_listing_filters_by_status(emu: EmulatorClient) -> None:
    attempts = three_attempts(emu)
    for status in ("paid", "ready", "failed"):
        page = body(emu.get(f"/payments/status/{status}"))["response"]
        assert [p["imp_uid"] for p in page["list"]] == [attempts[status]["imp_uid"]], status
    everything = body(emu.get("/payments/status/all"))["response"]
    assert everything["total"] == 3
    assert body(emu.get("/payments/status/cancelled"))["response"]["total"] == 0


def test_status_listing_rejects_unknown_status(emu: EmulatorClient) -> None:
    answer = emu.get("/payments/status/refunded")
    assert answer.status_code == 400
    assert body(answer)["message"] == "지원되지 않는 상태값입니다."


def test_status_listing_sorts_and_pages(emu: EmulatorClient) -> None:
    now = emu.now()
    made = [seed(emu, started_at=now - 1000 + i, paid_at=now - 10 * i) for i in range(5)]
    newest_first = body(emu.get("/payments/status/paid", params={"limit": 2}))["response"]
    assert newest_first["total"] == 5 and newest_first["next"] == 2
    assert [p["imp_uid"] for p in newest_first["list"]] == [made[4]["imp_uid"], made[3]["imp_uid"]]
    last = body(emu.get("/payments/status/paid", params={"limit": 2, "page": 3}))["response"]
    assert [p["imp_uid"] for p in last["list"]] == [made[0]["imp_uid"]] and last["next"] == 0
    by_paid = body(emu.get("/payments/status/paid", params={"sorting": "paid"}))["response"]
    assert [p["imp_uid"] for p in by_paid["list"]] == [m["imp_uid"] for m in reversed(made)]


def test_status_listing_page_beyond_range_is_400_but_empty_first_page_is_fine(
    emu: EmulatorClient,
) -> None:
    empty = emu.get("/payments/status/paid")
    assert empty.status_code == 200
    assert body(empty)["response"] == {"total": 0, "previous": 0, "next": 0, "list": []}
    seed(emu)
    assert emu.get("/payments/status/paid", params={"page": 2}).status_code == 400
    assert emu.get("/payments/status/paid", params={"page": 0}).status_code == 400


def test_status_listing_window_defaults_to_the_last_90_days(emu: EmulatorClient) -> None:
    now = emu.now()
    recent = seed(emu, paid_at=now - 89 * DAY)
    old = seed(emu, started_at=now - 92 * DAY, paid_at=now - 91 * DAY)
    listed = body(emu.get("/payments/status/paid"))["response"]["list"]
    assert [p["imp_uid"] for p in listed] == [recent["imp_uid"]]
    window = {"from": now - 100 * DAY, "to": now - 90 * DAY}
    listed = body(emu.get("/payments/status/paid", params=window))["response"]["list"]
    assert [p["imp_uid"] for p in listed] == [old["imp_uid"]]


def test_status_listing_window_is_at_most_90_days(emu: EmulatorClient) -> None:
    now = emu.now()
    too_wide = emu.get("/payments/status/all", params={"from": now - 91 * DAY, "to": now})
    assert too_wide.status_code == 400 and body(too_wide)["code"] != 0
    exact = emu.get("/payments/status/all", params={"from": now - 90 * DAY, "to": now})
    assert exact.status_code == 200
    backwards = emu.get("/payments/status/all", params={"from": now, "to": now - DAY})
    assert backwards.status_code == 400


def test_status_listing_compares_the_time_of_each_status(emu: EmulatorClient) -> None:
    start = emu.now()
    payment = seed(emu, started_at=start - 50 * DAY, paid_at=start - 50 * DAY)
    cancelled = emu.post("/payments/cancel", json={"imp_uid": payment["imp_uid"]})
    assert body(cancelled)["code"] == 0
    at_payment = {"from": start - 51 * DAY, "to": start - 49 * DAY}
    at_cancel = {"from": start - DAY, "to": start + DAY}
    for status in ("cancelled", "all"):
        assert (
            body(emu.get(f"/payments/status/{status}", params=at_payment))["response"]["total"] == 0
        )
        listed = body(emu.get(f"/payments/status/{status}", params=at_cancel))["response"]
        assert [p["imp_uid"] for p in listed["list"]] == [payment["imp_uid"]], status


# -- GET /payments/{imp_uid}/balance --------------------------------------------------------
def test_balance_of_a_payco_payment_follows_refunds(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="payco", amount=11000, tax_free=1000)
    answer = emu.get(f"/payments/{payment['imp_uid']}/balance")
    assert answer.status_code == 200
    balance = body(answer)["response"]
    assert balance["amount"] == 11000
    assert balance["primary"] == {"tax_free": 1000, "supply": 9091, "vat": 909, "service": 0}
    assert balance["discount"] == {"tax_free": 0, "supply": 0, "vat": 0, "service": 0}
    refund = {"imp_uid": payment["imp_uid"], "amount": 2100, "tax_free": 1000}
    assert body(emu.post("/payments/cancel", json=refund))["code"] == 0
    balance = body(emu.get(f"/payments/{payment['imp_uid']}/balance"))["response"]
    assert balance["amount"] == 11000
    assert balance["primary"] == {"tax_free": 0, "supply": 8091, "vat": 809, "service": 0}
    assert [h["primary"]["tax_free"] for h in balance["histories"]] == [1000, -1000]


def test_balance_of_another_pg_and_of_an_unknown_payment(emu: EmulatorClient) -> None:
    card = seed(emu, pg="html5_inicis")
    answer = emu.get(f"/payments/{card['imp_uid']}/balance")
    assert answer.status_code == 404 and body(answer)["code"] == 1
    assert "PAYCO" in body(answer)["message"]
    answer = emu.get("/payments/imp_999999999999/balance")
    assert answer.status_code == 404
    assert body(answer) == {"code": -1, "message": NOT_FOUND, "response": None}


def test_status_listing_follows_each_change_between_reads(emu: EmulatorClient) -> None:
    now = emu.now()
    first = seed(emu, paid_at=now - 50)
    window = {"from": now - 60, "to": now - 40}
    listed = body(emu.get("/payments/status/paid", params=window))["response"]
    assert [p["imp_uid"] for p in listed["list"]] == [first["imp_uid"]]
    second = seed(emu, paid_at=now - 45)  # a new payment after the listing was read
    listed = body(emu.get("/payments/status/paid", params=window))["response"]
    assert [p["imp_uid"] for p in listed["list"]] == [second["imp_uid"], first["imp_uid"]]
    emu.post("/payments/cancel", json={"imp_uid": first["imp_uid"]})  # moves it out of "paid"
    listed = body(emu.get("/payments/status/paid", params=window))["response"]
    assert [p["imp_uid"] for p in listed["list"]] == [second["imp_uid"]]
    cancelled = body(emu.get("/payments/status/cancelled"))["response"]
    assert [p["imp_uid"] for p in cancelled["list"]] == [first["imp_uid"]]
    assert body(emu.get("/payments/status/all", params=window))["response"]["total"] == 1


# -- POST /_emulator/payments/bulk ------------------------------------------------------------
def test_bulk_seeding_makes_each_payment_as_one_seed_would(emu: EmulatorClient) -> None:
    now = emu.now()
    specs = [{"merchant_uid": f"bulk_{i}", "amount": 1000 + i, "paid_at": now - 100 + i,
              "uses_webhook": False} for i in range(30)]  # fmt: skip
    made = emu.control("POST", "/payments/bulk", json={"payments": specs})
    assert [p["merchant_uid"] for p in made] == [s["merchant_uid"] for s in specs]
    assert all(p["status"] == "paid" and p["apply_num"] for p in made)
    one = body(emu.get(f"/payments/{made[7]['imp_uid']}"))["response"]
    assert (one["amount"], one["paid_at"], one["merchant_uid"]) == (1007, now - 93, "bulk_7")
    listed = body(emu.get("/payments/status/paid", params={"limit": 100}))["response"]
    assert listed["total"] == 30
    brief = emu.control("POST", "/payments/bulk",
                        json={"brief": True, "payments": [{"amount": 500, "status": "failed"}]})  # fmt: skip
    assert list(brief[0]) == ["imp_uid", "merchant_uid"]
    assert body(emu.get(f"/payments/{brief[0]['imp_uid']}"))["response"]["status"] == "failed"


def test_bulk_seeding_stops_at_the_first_bad_spec_and_keeps_the_ones_before(
    emu: EmulatorClient,
) -> None:
    specs: list[Any] = [{"merchant_uid": "ok_1", "amount": 1000},
                        {"merchant_uid": "bad", "amount": -5}, {"merchant_uid": "ok_2"}]  # fmt: skip
    answer = emu.http.post("/_emulator/payments/bulk", json={"payments": specs})
    assert answer.status_code == 400 and body(answer)["message"].startswith("payments[1]: ")
    assert body(answer)["response"] == {"seeded": 1}
    assert body(emu.get("/payments/findAll/ok_1"))["response"]["total"] == 1
    assert emu.get("/payments/findAll/ok_2").status_code == 404
    for bad in ({}, {"payments": []}, {"payments": "x"}, {"payments": [1]},
                {"payments": [{}] * 10_001}):  # fmt: skip
        refused = emu.http.post("/_emulator/payments/bulk", json=bad)
        assert refused.status_code == 400 and body(refused)["code"] != 0, bad
