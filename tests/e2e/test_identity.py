"""Identity verification and the age gate end to end (the emulator's OTP flow)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest
from sqlalchemy import select

from paydesk.store.tables import customer_identities, metadata
from tests.support.emulator import EmulatorClient

from .harness import Shop

pytestmark = pytest.mark.asyncio
DANAL = "channel-key-demo-danal-cert"


def certify(emu: EmulatorClient, birth: str, gender_digit: str, phone: str) -> str:
    """A finished OTP verification at the emulator (123456 is always accepted)."""
    asked = emu.post("/certifications/otp/request", json={
        "name": "홍길동", "phone": phone, "birth": birth, "gender_digit": gender_digit,
        "carrier": "SKT", "channel_key": DANAL, "merchant_uid": f"cert_{phone[-4:]}"})  # fmt: skip
    assert asked.json()["code"] == 0, asked.text
    imp_uid: str = asked.json()["response"]["imp_uid"]
    assert emu.control("GET", f"/certifications/{imp_uid}/otp")["certified"] is False
    done = emu.post(f"/certifications/otp/confirm/{imp_uid}", json={"otp": "123456"})
    assert done.json()["response"]["certified"] is True, done.text
    return imp_uid


async def verify(shop: Shop, customer: str, imp_uid: str, **body: Any) -> Any:
    return await shop.http.post(f"/api/customers/{customer}/identity",
                                json={"imp_uid": imp_uid, **body})  # fmt: skip


async def test_verified_adults_may_order_age_gated_products(
    shop: Shop, emu: EmulatorClient
) -> None:
    wine = await shop.product("wine", stock=3)
    juice = await shop.product("juice", stock=3)
    gate = await shop.http.put(f"/api/products/{wine['id']}/age-gate", json={"min_age": 19})
    assert gate.json() == {"product_id": wine["id"], "min_age": 19}

    adult = certify(emu, "85-03-02", "2", "010-2222-3333")
    answer = await verify(shop, "cust-adult", adult, merchant_uid="cert_3333", delete_after=True)
    assert answer.status_code == 200, answer.text
    stored = answer.json()
    assert (stored["name"], stored["birth_date"], stored["adult"]) == ("홍길동", "1985-03-02", True)
    assert stored["phone"] == "010****3333" and stored["deleted_at_iamport"] is not None
    assert emu.get(f"/certifications/{adult}").status_code == 404  # deleted at i'mport

    minor = certify(emu, "15-06-01", "3", "010-4444-5555")
    assert (await verify(shop, "cust-minor", minor)).json()["adult"] is False
    assert emu.get(f"/certifications/{minor}").status_code == 200  # kept without delete_after

    body = {"items": [{"product_id": juice["id"], "quantity": 1},
                      {"product_id": wine["id"], "quantity": 1}], "pg": "html5_inicis"}  # fmt: skip
    for customer, rule in ((None, "identity_required"), ("cust-nobody", "identity_unknown"),
                           ("cust-minor", "age_below_minimum")):  # fmt: skip
        extra = {"customer_ref": customer} if customer else {}
        refused = await shop.http.post("/api/orders", json={**body, **extra})
        assert refused.status_code == 403, refused.text
        assert refused.json()["rule"] == rule
    assert (await shop.stock(wine["id"]))["available"] == 3
    placed = await shop.http.post("/api/orders", json={**body, "customer_ref": "cust-adult"})
    assert placed.status_code == 201, placed.text
    juice_only = await shop.http.post("/api/orders", json={
        "items": [{"product_id": juice["id"], "quantity": 1}]})  # fmt: skip
    assert juice_only.status_code == 201


async def test_certifications_that_prove_nothing_are_refused(
    shop: Shop, emu: EmulatorClient
) -> None:
    missing = await verify(shop, "cust-1", "imp_000000000001")
    assert (missing.status_code, missing.json()["rule"]) == (404, "certification_not_found")
    asked = emu.post("/certifications/otp/request", json={
        "name": "김철수", "phone": "010-5555-6666", "birth": "900115", "gender_digit": "1",
        "carrier": "KT", "channel_key": DANAL})  # fmt: skip
    pending = asked.json()["response"]["imp_uid"]  # OTP never confirmed: nothing to read yet
    unconfirmed = await verify(shop, "cust-1", pending)
    assert unconfirmed.json()["rule"] == "certification_not_found", unconfirmed.text
    done = certify(emu, "900115", "1", "010-7777-8888")
    assert (await verify(shop, "cust-1", done)).status_code == 200
    other = await verify(shop, "cust-2", done)
    assert (other.status_code, other.json()["rule"]) == (409, "certification_used")
    mismatch = await verify(shop, "cust-1", done, merchant_uid="cert_other")
    assert mismatch.json()["rule"] == "certification_mismatch"
    looked_up = await shop.http.get("/api/customers/cust-1/identity")
    assert looked_up.json()["certification_imp_uid"] == done
    assert (await shop.http.get("/api/customers/cust-2/identity")).status_code == 404
    assert (await shop.http.get("/api/customers/bad%20ref/identity")).status_code == 422
    assert (await shop.http.put("/api/products/999999/age-gate",
                                json={"min_age": 19})).status_code == 404  # fmt: skip


async def test_the_unique_keys_are_stored_only_hashed(
    shop: Shop, emu: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    """CI and DI reach no table and no log line: only their SHA-256 is kept, for equality."""
    caplog.set_level(logging.DEBUG)
    imp_uid = certify(emu, "900115", "1", "010-3131-4242")
    at_iamport = emu.get(f"/certifications/{imp_uid}").json()["response"]
    ci, di = at_iamport["unique_key"], at_iamport["unique_in_site"]
    assert ci and di and ci != di
    assert (await verify(shop, "cust-hash", imp_uid)).status_code == 200
    same = certify(emu, "900115", "1", "010-3131-4242")  # the same person, again
    answer = await verify(shop, "cust-hash-2", same)
    assert answer.status_code == 200, answer.text
    assert ci not in answer.text and di not in answer.text

    async with shop.database.reading() as uow:
        rows = (await uow.connection.execute(
            select(customer_identities.c.customer_ref, customer_identities.c.ci_hash,
                   customer_identities.c.di_hash).order_by(customer_identities.c.id))).all()  # fmt: skip
        stored = [str(value) for table in metadata.sorted_tables
                  for row in await uow.connection.execute(select(table))
                  for value in row if value is not None]  # fmt: skip
    sha = hashlib.sha256
    assert tuple(rows[0]) == (
        "cust-hash", sha(ci.encode()).hexdigest(), sha(di.encode()).hexdigest())  # fmt: skip
    assert rows[0].ci_hash == rows[1].ci_hash  # equality is all the hash is for
    assert stored and not [v for v in stored if ci in v or di in v]
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("paydesk.emulator")]
    assert logged and not [line for line in logged if ci in line or di in line]
