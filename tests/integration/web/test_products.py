"""The products API over real HTTP: create, change, list, problem documents, idempotency."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.support.auth import bearer, create_key

from .shop import merchant_api

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with merchant_api(database_url) as http:
        yield http


NEW = {"sku": "tee-black-m", "name": "검정 티셔츠 M", "price": 19_000, "stock": 5}


async def test_create_read_and_list(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/products", json=NEW)
    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == f"/api/products/{body['id']}"
    assert {k: body[k] for k in ("sku", "name", "price", "currency", "on_sale")} == {
        "sku": "tee-black-m", "name": "검정 티셔츠 M", "price": 19_000, "currency": "KRW", "on_sale": True,
    }  # fmt: skip
    assert body["stock"] == {"available": 5, "held": 0, "sold": 0}
    assert (await api.get(f"/api/products/{body['id']}")).json() == body
    await api.post("/api/products", json={**NEW, "sku": "tee-white-m"})
    page = (await api.get("/api/products", params={"limit": 1})).json()
    assert [p["sku"] for p in page["items"]] == ["tee-black-m"]
    rest = (await api.get("/api/products", params={"after": page["next_after"]})).json()
    assert [p["sku"] for p in rest["items"]] == ["tee-white-m"] and rest["next_after"] is None


async def test_update_price_stock_and_sales_switch(api: httpx.AsyncClient) -> None:
    product = (await api.post("/api/products", json=NEW)).json()
    changed = await api.patch(
        f"/api/products/{product['id']}", json={"price": 17_000, "stock": 9, "on_sale": False}
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["price"], body["stock"]["available"], body["on_sale"], body["name"]) == (
        17_000,
        9,
        False,
        NEW["name"],
    )
    usd = (await api.patch(f"/api/products/{product['id']}", json={"currency": "USD"})).json()
    assert (usd["price"], usd["currency"]) == (17_000, "USD")


async def test_errors_are_problem_documents(api: httpx.AsyncClient) -> None:
    await api.post("/api/products", json=NEW)
    duplicate = await api.post("/api/products", json=NEW)
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert duplicate.json()["title"] == "Duplicate SKU" and duplicate.json()["status"] == 409

    invalid = await api.post(
        "/api/products", json={**NEW, "sku": "bad sku!", "price": -1, "extra": 1}
    )
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    problem = invalid.json()
    assert problem["title"] == "Invalid request"
    assert {tuple(e["loc"]) for e in problem["errors"]} == {
        ("body", "sku"),
        ("body", "price"),
        ("body", "extra"),
    }

    missing = await api.get("/api/products/999999")
    assert missing.status_code == 404 and missing.json()["title"] == "Product not found"
    assert (await api.patch("/api/products/999999", json={"stock": 1})).status_code == 404
    nowhere = await api.get("/api/nowhere")
    assert (
        nowhere.status_code == 404 and nowhere.headers["content-type"] == "application/problem+json"
    )
    wrong = await api.delete("/api/products")
    assert wrong.status_code == 405 and wrong.json()["status"] == 405


async def test_idempotency_key_makes_a_retry_safe(api: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "create-tee-1"}
    first = await api.post("/api/products", json=NEW, headers=key)
    again = await api.post("/api/products", json=NEW, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len((await api.get("/api/products")).json()["items"]) == 1
    other = await api.post("/api/products", json={**NEW, "sku": "other"}, headers=key)
    assert other.status_code == 409 and other.json()["title"] == "Idempotency key reused"


async def test_an_idempotency_key_belongs_to_its_caller(
    api: httpx.AsyncClient, database_url: str
) -> None:
    key = {"Idempotency-Key": "create-1"}
    mine = await api.post("/api/products", json=NEW, headers=key)
    other_caller = bearer(await create_key(database_url, name="another integration"))
    theirs = await api.post("/api/products", json={**NEW, "sku": "theirs"},
                            headers={**key, **other_caller})  # fmt: skip
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["sku"] == "theirs" and theirs.json()["id"] != mine.json()["id"]
    again = await api.post("/api/products", json={**NEW, "sku": "theirs"},
                           headers={**key, **other_caller})  # fmt: skip
    assert again.json() == theirs.json() and again.headers["idempotent-replayed"] == "true"
    assert len((await api.get("/api/products")).json()["items"]) == 2


async def test_a_change_retried_with_its_key_is_applied_once(api: httpx.AsyncClient) -> None:
    made = (await api.post("/api/products", json=NEW)).json()
    url = f"/api/products/{made['id']}"
    key = {"Idempotency-Key": "restock-1"}
    first = await api.patch(url, json={"stock": 9, "name": "새 이름"}, headers=key)
    assert first.status_code == 200 and first.json()["stock"]["available"] == 9
    await api.patch(url, json={"stock": 2})  # someone else changes it meanwhile
    again = await api.patch(url, json={"stock": 9, "name": "새 이름"}, headers=key)
    assert (again.status_code, again.headers["idempotent-replayed"]) == (200, "true")
    assert again.json() == first.json()  # the first answer, not a second change
    assert (await api.get(url)).json()["stock"]["available"] == 2
    other = await api.patch(url, json={"stock": 8}, headers=key)
    assert (other.status_code, other.json()["title"]) == (409, "Idempotency key reused")
    for _ in range(2):  # a refusal stores nothing under its key: never replayed
        missing = await api.patch("/api/products/999999", json={"stock": 1},
                                  headers={"Idempotency-Key": "nowhere"})  # fmt: skip
        assert missing.status_code == 404 and "idempotent-replayed" not in missing.headers


async def test_concurrent_retries_with_one_key_create_one_product(api: httpx.AsyncClient) -> None:
    import asyncio

    key = {"Idempotency-Key": "burst"}
    answers = await asyncio.gather(
        *(api.post("/api/products", json=NEW, headers=key) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len((await api.get("/api/products")).json()["items"]) == 1


async def test_openapi_documents_the_api(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert {"/api/products", "/api/products/{product_id}", "/iamport/confirm"} <= set(spec["paths"])
    confirm = spec["paths"]["/iamport/confirm"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(confirm)
    assert (await api.get("/docs")).status_code == 200


async def test_tax_free_and_installments_are_set_changed_and_reset(api: httpx.AsyncClient) -> None:
    made = (await api.post("/api/products", json={**NEW, "tax_free": True,
                                                  "card_quota": [6, 3, 3]})).json()  # fmt: skip
    assert (made["tax_free"], made["card_quota"]) == (True, [3, 6])
    url = f"/api/products/{made['id']}"
    lump = (await api.patch(url, json={"card_quota": []})).json()
    assert (lump["tax_free"], lump["card_quota"]) == (True, [])  # lump sum only
    untouched = (await api.patch(url, json={"name": "책"})).json()
    assert untouched["card_quota"] == []
    reset = (await api.patch(url, json={"card_quota": None, "tax_free": False})).json()
    assert (reset["tax_free"], reset["card_quota"]) == (False, None)  # the merchant's setting
    for bad in ({"card_quota": [1]}, {"card_quota": [37]}, {"card_quota": "3"},
                {"tax_free": "maybe"}):  # fmt: skip
        answer = await api.patch(url, json=bad)
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
