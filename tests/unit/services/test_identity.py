"""Identity verification and the age gate over the fakes."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from paydesk.core.identity import hash_unique_key
from paydesk.core.stock import Line
from paydesk.services.errors import Unreachable
from paydesk.services.identity import Identities
from paydesk.services.ordering import OrderRequest
from paydesk.services.refusals import Refused

from .fakes import outcome_unknown
from .fakes.methods import FakeMethods
from .shop import T0, Shop

pytestmark = pytest.mark.asyncio


def desk(shop: Shop) -> tuple[Identities, FakeMethods]:
    api = FakeMethods()
    api.now = T0
    return Identities(shop.store, shop.clock, api), api  # type: ignore[arg-type]


async def test_a_certification_becomes_the_customers_verified_identity(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    identities, api = desk(shop)
    api.certify("imp_c1", "1990-05-01", person="kim")
    verified = await identities.verify("cust-1", "imp_c1", merchant_uid="cert_imp_c1")
    who = verified.identity
    assert (who.name, who.birth_date, who.phone, who.adult) == ("홍길동", date(1990, 5, 1),
                                                                 "01012345678", True)  # fmt: skip
    assert who.ci_hash == hash_unique_key("CI-kim") and who.di_hash == hash_unique_key("DI-imp_c1")
    stored = repr(shop.store._committed.customer_identities)
    assert "CI-kim" not in stored and "DI-imp_c1" not in stored
    assert not verified.deleted_at_iamport and "imp_c1" in api.certifications
    assert "01012345678" not in caplog.text
    again = await identities.verify("cust-1", "imp_c1")  # the shop asks twice: harmless
    assert again.identity.id == who.id


async def test_refusals_name_their_rule(shop: Shop) -> None:
    identities, api = desk(shop)
    api.certify("imp_no", "1990-05-01", certified=False)
    api.certify("imp_old", "1990-05-01", certified_at=T0 - timedelta(hours=2))
    api.certify("imp_ok", "1990-05-01")
    cases = [("imp_none", {}, "certification_not_found", 404),
             ("imp_no", {}, "certification_not_certified", 422),
             ("imp_old", {}, "certification_stale", 422),
             ("imp_ok", {"merchant_uid": "cert_other"}, "certification_mismatch", 422)]  # fmt: skip
    for imp_uid, extra, rule, status in cases:
        with pytest.raises(Refused) as refused:
            await identities.verify("cust-1", imp_uid, **extra)  # type: ignore[arg-type]
        assert (refused.value.rule, refused.value.status) == (rule, status)
    await identities.verify("cust-1", "imp_ok")
    with pytest.raises(Refused) as replayed:  # someone else hands in cust-1's certification
        await identities.verify("cust-2", "imp_ok")
    assert (replayed.value.rule, replayed.value.status) == ("certification_used", 409)
    api.fail_next(outcome_unknown())
    with pytest.raises(Unreachable):
        await identities.verify("cust-1", "imp_ok")


async def test_delete_after_and_the_same_person_on_two_accounts(shop: Shop) -> None:
    identities, api = desk(shop)
    api.certify("imp_a", "2000-01-01", person="lee")
    api.certify("imp_b", "2000-01-01", person="lee")
    await identities.verify("acct-1", "imp_a", delete_after=True)
    assert "imp_a" not in api.certifications
    second = await identities.verify("acct-2", "imp_b", delete_after=True)
    assert second.deleted_at_iamport and second.identity.deleted_at_iamport == T0
    assert list(second.same_person) == ["acct-1"]
    api.certify("imp_c", "2000-01-01")
    api.failing["delete_certification"] = outcome_unknown()
    third = await identities.verify("acct-3", "imp_c", delete_after=True)
    assert not third.deleted_at_iamport and third.identity.deleted_at_iamport is None
    assert third.identity.customer_ref == "acct-3"  # stored anyway


async def test_the_age_gate_on_orders(shop: Shop) -> None:
    identities, api = desk(shop)
    beer, water = await shop.product(5), await shop.product(5)
    await identities.set_age_gate(beer, 19)
    assert await identities.age_gate(beer) == 19 and await identities.age_gate(water) is None
    today = T0.date()  # 2030-01-01 (18:00 in Korea)
    api.certify("imp_adult", f"{today.year - 19}-01-01")  # 19 today
    api.certify("imp_minor", f"{today.year - 19}-01-02")  # 19 tomorrow
    await identities.verify("adult", "imp_adult")
    minor = await identities.verify("minor", "imp_minor")
    assert not minor.identity.adult

    async def place(customer: str | None, *products: int) -> object:
        request = OrderRequest([Line(p, 1) for p in products], customer_ref=customer)
        return await shop.orders.place(request)

    for customer, rule in ((None, "identity_required"), ("stranger", "identity_unknown"),
                           ("minor", "age_below_minimum")):  # fmt: skip
        with pytest.raises(Refused) as refused:
            await place(customer, water, beer)
        assert (refused.value.rule, refused.value.status) == (rule, 403)
    assert (await shop.stock(beer)).available == 5 and shop.registrar.registered == {}
    placed = await place("adult", water, beer)
    assert await place(None, water) is not None  # no gate, no customer needed
    async with shop.store.reading() as uow:
        link = await uow.customers.of_order(placed.id)  # type: ignore[attr-defined]
    assert link is not None and link.required_age == 19
    await identities.set_age_gate(beer, None)
    assert await place("minor", beer) is not None
