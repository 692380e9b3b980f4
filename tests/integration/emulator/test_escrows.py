"""Escrow delivery registration over real HTTP: register, modify, look up, and refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.emulator import EmulatorClient, seed
from tests.support.receiver import Receiver
from tests.support.window_http import WindowClient, card_params

PERSON = {
    "name": "홍길동",
    "tel": "010-1234-5678",
    "addr": "서울시 중구 세종대로 110",
    "postcode": "04524",
}


def delivery(emu: EmulatorClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender": dict(PERSON),
        "receiver": dict(PERSON),
        "logis": {"company": "CJGLS", "invoice": "123456789012", "sent_at": emu.now()},
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def escrow_payment(emu: EmulatorClient, pg: str = "kcp", **fields: Any) -> str:
    imp_uid: str = seed(emu, escrow=True, pg=pg, **fields)["imp_uid"]
    return imp_uid


def post(emu: EmulatorClient, imp_uid: str, body: dict[str, Any]) -> httpx.Response:
    return emu.post(f"/escrows/logis/{imp_uid}", json=body)


def refused(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] != 0 and answer.json()["response"] is None
    message: str = answer.json()["message"]
    return message


def test_register_then_look_up(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu)
    body = delivery(emu)
    answer = post(emu, imp_uid, body)
    assert answer.status_code == 200, answer.text
    registered = answer.json()["response"]
    assert registered["company"] == "CJGLS" and registered["invoice"] == "123456789012"
    assert registered["sent_at"] == body["logis"]["sent_at"]
    assert abs(registered["applied_at"] - emu.now()) <= 1
    assert set(registered) == {"company", "invoice", "sent_at", "applied_at"}
    assert emu.get(f"/escrows/logis/{imp_uid}").json()["response"] == registered


def test_unknown_courier_is_stored_as_etc(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu)
    logis = {"company": "SPEEDY", "invoice": "1", "sent_at": emu.now()}
    assert post(emu, imp_uid, delivery(emu, logis=logis)).json()["response"]["company"] == "ETC"


def test_register_twice_is_a_conflict_and_modify_replaces(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu)
    post(emu, imp_uid, delivery(emu))
    assert "이미" in refused(post(emu, imp_uid, delivery(emu)), 409)
    emu.advance(60)
    logis = {"company": "HANJIN", "invoice": "999", "sent_at": emu.now()}
    answer = emu.put(f"/escrows/logis/{imp_uid}", json=delivery(emu, logis=logis))
    assert answer.status_code == 200, answer.text
    assert answer.json()["response"]["company"] == "HANJIN"
    assert emu.get(f"/escrows/logis/{imp_uid}").json()["response"]["invoice"] == "999"


def test_nothing_registered_is_a_conflict_for_get_and_put(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu)
    refused(emu.get(f"/escrows/logis/{imp_uid}"), 409)
    refused(emu.put(f"/escrows/logis/{imp_uid}", json=delivery(emu)), 409)


def test_unknown_payment_is_404(emu: EmulatorClient) -> None:
    refused(post(emu, "imp_000000000000", delivery(emu)), 404)
    refused(emu.put("/escrows/logis/imp_000000000000", json=delivery(emu)), 404)
    refused(emu.get("/escrows/logis/imp_000000000000"), 404)


def test_payment_or_pg_without_escrow_delivery_is_400(emu: EmulatorClient) -> None:
    refused(post(emu, seed(emu, pg="kcp")["imp_uid"], delivery(emu)), 400)  # not escrow
    refused(post(emu, escrow_payment(emu, pg="nice"), delivery(emu)), 400)
    nice_v2 = escrow_payment(emu, pg="nice_v2")
    assert post(emu, nice_v2, delivery(emu)).status_code == 200
    refused(emu.put(f"/escrows/logis/{nice_v2}", json=delivery(emu)), 400)  # no edit


def test_unpaid_escrow_payment_cannot_register(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu, pay_method="vbank", status="ready")
    refused(post(emu, imp_uid, delivery(emu)), 409)


@pytest.mark.parametrize("part", ["sender", "receiver", "logis"])
def test_objects_are_required(emu: EmulatorClient, part: str) -> None:
    imp_uid = escrow_payment(emu)
    assert part in refused(post(emu, imp_uid, delivery(emu, **{part: None})), 400)


def test_logis_fields_are_required(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu)
    for field in ("company", "invoice", "sent_at"):
        logis = {"company": "EPOST", "invoice": "1", "sent_at": emu.now()}
        del logis[field]
        assert f"logis.{field}" in refused(post(emu, imp_uid, delivery(emu, logis=logis)), 400)


@pytest.mark.parametrize(
    ("pg", "overrides", "field"),
    [
        ("html5_inicis", {"sender": {"name": "홍", "tel": "010", "postcode": "1"}}, "sender.addr"),
        ("html5_inicis", {"receiver": {"name": "홍"}}, "receiver.tel"),
        ("smartro_v2", {}, "sender.formed_address"),
        ("daou", {}, "sender.relationship"),
        ("welcome", {}, "products"),
        ("welcome", {"products": [{"id": "p1", "name": "상품"}]}, "products[0].amount"),
    ],
)
def test_per_pg_required_fields(emu: EmulatorClient, pg: str, overrides: dict, field: str) -> None:
    imp_uid = escrow_payment(emu, pg=pg)
    assert field in refused(post(emu, imp_uid, delivery(emu, **overrides)), 400)


def test_daou_needs_receiving_date_and_address(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu, pg="daou")
    sender = {**PERSON, "relationship": "본인"}
    logis = {"company": "EPOST", "invoice": "1", "sent_at": emu.now()}
    message = refused(post(emu, imp_uid, delivery(emu, sender=sender, logis=logis)), 400)
    assert "logis.receiving_at" in message
    logis.update(receiving_at="20240301", address="서울시 중구")
    assert post(emu, imp_uid, delivery(emu, sender=sender, logis=logis)).status_code == 200


def test_form_encoded_nested_objects(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu, pg="html5_inicis")
    form = {
        f"{part}[{key}]": value for part in ("sender", "receiver") for key, value in PERSON.items()
    }
    form.update({"logis[company]": "KGB", "logis[invoice]": "42", "logis[sent_at]": str(emu.now())})
    answer = emu.post(f"/escrows/logis/{imp_uid}", data=form)
    assert answer.status_code == 200, answer.text
    assert answer.json()["response"]["company"] == "KGB"


def test_wrong_method_is_405(emu: EmulatorClient) -> None:
    assert emu.delete(f"/escrows/logis/{escrow_payment(emu)}").status_code == 405


# -- the buyer's side: Inicis.Escrow.Changed (reference §5) ------------------------------
def events(emu: EmulatorClient, imp_uid: str) -> list[dict[str, Any]]:
    return [w for w in emu.webhooks(imp_uid) if w["event"] == "Inicis.Escrow.Changed"]


def test_kg_inicis_announces_the_delivery_and_the_buyers_decision(
    emu: EmulatorClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    imp_uid = escrow_payment(emu, pg="html5_inicis", notice_url=f"{url}/hook")
    assert post(emu, imp_uid, delivery(emu)).status_code == 200
    registered = receiver.wait_for("/hook", count=2)[-1].data()
    assert registered["event"] == "Inicis.Escrow.Changed" and registered["status"] == "paid"
    assert registered["imp_uid"] == imp_uid and registered["extra"]["escrow_status"] == "2"
    assert abs(registered["extra"]["changed_at"] - emu.now()) <= 2
    decided = emu.control("POST", f"/escrows/{imp_uid}/refuse", json={"reason": "파손"})
    assert (decided["escrow_status"], decided["denied_reason"]) == ("4", "파손")
    refused = receiver.wait_for("/hook", count=3)[-1].data()
    assert refused["extra"] == {"escrow_status": "4", "changed_at": decided["changed_at"],
                                "denied_reason": "파손"}  # fmt: skip
    assert [e["payload"]["extra"]["escrow_status"] for e in events(emu, imp_uid)] == ["2", "4"]
    # the buyer decides once; the delivery can still be changed and keeps the decision
    answer = emu.http.post(f"/_emulator/escrows/{imp_uid}/confirm", json={})
    assert answer.status_code == 409 and answer.json()["code"] != 0
    assert emu.put(f"/escrows/logis/{imp_uid}", json=delivery(emu)).status_code == 200
    assert len(events(emu, imp_uid)) == 2


def test_form_webhooks_carry_extra_as_php_style_keys(
    emu: EmulatorClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    emu.control("PUT", "/merchants/imp00000001/settings", json={"webhook_content_type": "form"})
    try:
        imp_uid = escrow_payment(emu, pg="html5_inicis", notice_url=f"{url}/hook")
        post(emu, imp_uid, delivery(emu))
        emu.control("POST", f"/escrows/{imp_uid}/confirm", json={})
        hit = receiver.wait_for("/hook", count=3)[-1]
    finally:
        emu.control("PUT", "/merchants/imp00000001/settings", json={"webhook_content_type": "json"})
    assert hit.content_type.startswith("application/x-www-form-urlencoded")
    fields = hit.data()
    assert fields["event"] == "Inicis.Escrow.Changed" and fields["extra[escrow_status]"] == "3"
    assert "extra" not in fields and fields["extra[changed_at]"].isdigit()
    assert b"extra%5Bdenied_reason%5D=" in hit.body


def test_other_pgs_record_the_decision_without_an_event(emu: EmulatorClient) -> None:
    imp_uid = escrow_payment(emu, pg="kcp")
    post(emu, imp_uid, delivery(emu))
    decided = emu.control("POST", f"/escrows/{imp_uid}/confirm", json={})
    assert decided["escrow_status"] == "3" and decided["webhooks"] == []
    assert events(emu, imp_uid) == []


def test_the_buyer_decides_only_on_a_registered_escrow_delivery(emu: EmulatorClient) -> None:
    plain = seed(emu, pg="html5_inicis")["imp_uid"]
    unregistered = escrow_payment(emu, pg="html5_inicis")
    for imp_uid in (plain, unregistered, "imp_000000000000"):
        answer = emu.http.post(f"/_emulator/escrows/{imp_uid}/confirm", json={})
        assert answer.status_code in (400, 404) and answer.json()["code"] != 0


def test_escrow_only_on_pgs_with_escrow(emu: EmulatorClient, emulator_url: str) -> None:
    answer = emu.http.post("/_emulator/payments",
                           json={"amount": 1000, "pg": "kakaopay", "escrow": True})  # fmt: skip
    assert answer.status_code == 400 and "에스크로" in answer.json()["message"]
    window = WindowClient(emulator_url)
    try:
        with_escrow = window.pay_card(card_params(pg="html5_inicis", escrow=True))
        without = window.pay_card(card_params(pg="kakaopay", escrow=True))
    finally:
        window.close()
    assert emu.get(f"/payments/{with_escrow['imp_uid']}").json()["response"]["escrow"] is True
    assert emu.get(f"/payments/{without['imp_uid']}").json()["response"]["escrow"] is False
