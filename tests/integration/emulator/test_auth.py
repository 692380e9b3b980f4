"""Tokens over real HTTP: issue, reuse, extension, expiry, and the three header forms."""

from __future__ import annotations

import json

from tests.support.emulator import DEMO_KEY, DEMO_SECRET, OTHER_KEY, OTHER_SECRET, EmulatorClient


def get_token(emu: EmulatorClient, **body: str) -> tuple[int, dict]:
    answer = emu.http.post("/users/getToken", json=body)
    return answer.status_code, answer.json()


def test_token_is_issued_for_30_minutes_with_server_now(emu: EmulatorClient) -> None:
    status, body = get_token(emu, imp_key=DEMO_KEY, imp_secret=DEMO_SECRET)
    assert status == 200
    assert body["code"] == 0 and body["message"] is None
    token = body["response"]
    assert len(token["access_token"]) == 40
    assert token["expired_at"] - token["now"] == 1800
    assert abs(token["now"] - emu.now()) <= 1


def test_token_is_reused_while_valid_and_extended_in_last_minute(emu: EmulatorClient) -> None:
    _, first = get_token(emu, imp_key=DEMO_KEY, imp_secret=DEMO_SECRET)
    emu.advance(600)
    _, again = get_token(emu, imp_key=DEMO_KEY, imp_secret=DEMO_SECRET)
    assert again["response"]["access_token"] == first["response"]["access_token"]
    assert again["response"]["expired_at"] == first["response"]["expired_at"]
    emu.advance(1800 - 600 - 30)  # 30 s left
    _, late = get_token(emu, imp_key=DEMO_KEY, imp_secret=DEMO_SECRET)
    assert late["response"]["access_token"] == first["response"]["access_token"]
    assert late["response"]["expired_at"] == first["response"]["expired_at"] + 300


def test_expired_token_gets_401_and_a_new_token_is_issued(emu: EmulatorClient) -> None:
    _, first = get_token(emu, imp_key=DEMO_KEY, imp_secret=DEMO_SECRET)
    token = first["response"]["access_token"]
    emu.advance(1801)
    answer = emu.http.get("/users/pg", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.json() == {"code": -1, "message": "Unauthorized", "response": None}
    _, fresh = get_token(emu, imp_key=DEMO_KEY, imp_secret=DEMO_SECRET)
    assert fresh["response"]["access_token"] != token


def test_token_header_forms(emu: EmulatorClient) -> None:
    token = emu.token()
    for headers in (
        {"Authorization": f"Bearer {token}"},
        {"Authorization": token},
        {"X-ImpTokenHeader": token},
    ):
        answer = emu.http.get("/users/pg", headers=headers)
        assert answer.status_code == 200, headers
        assert answer.json()["code"] == 0


def test_missing_or_invalid_token_is_401_envelope(emu: EmulatorClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"X-ImpTokenHeader": "x" * 40}):
        answer = emu.http.get("/payments/imp_123412341234", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] != 0
        assert answer.json()["response"] is None


def test_wrong_credentials_and_missing_parameters(emu: EmulatorClient) -> None:
    status, body = get_token(emu, imp_key=DEMO_KEY, imp_secret="wrong")
    assert status == 401 and body["code"] != 0
    status, body = get_token(emu, imp_key=DEMO_KEY)
    assert status == 400
    assert body["message"] == "imp_key, imp_secret 파라메터가 누락되었습니다."


def test_form_encoded_token_request(emu: EmulatorClient) -> None:
    answer = emu.http.post(
        "/users/getToken/", data={"imp_key": DEMO_KEY, "imp_secret": DEMO_SECRET}
    )
    assert answer.status_code == 200 and answer.json()["code"] == 0


def test_merchants_are_isolated(emu: EmulatorClient) -> None:
    demo = emu.token()
    other = emu.token(OTHER_KEY, OTHER_SECRET)
    assert demo != other
    mine = emu.http.get("/users/pg", headers={"Authorization": demo}).json()["response"]
    theirs = emu.http.get("/users/pg", headers={"Authorization": other}).json()["response"]
    assert {c["pg_id"] for c in mine}.isdisjoint({c["pg_id"] for c in theirs})


def test_unknown_route_and_method_answer_in_envelope(emu: EmulatorClient) -> None:
    answer = emu.get("/no/such/thing")
    assert answer.status_code == 404 and answer.json()["code"] == -1
    answer = emu.call("PATCH", "/payments/cancel")
    assert answer.status_code == 405 and answer.json()["response"] is None


def test_not_emulated_operation_is_routed_with_clear_error(emu: EmulatorClient) -> None:
    answer = emu.get("/kakao/payment/orders")
    assert answer.status_code == 501
    assert "지원하지 않는" in answer.json()["message"]


def test_non_ascii_credentials_are_refused_401_not_500(emu: EmulatorClient) -> None:
    """Found by fuzzing the emulator from the spec: compare_digest refused non-ASCII str."""
    for key, secret in (("키", DEMO_SECRET), (DEMO_KEY, "비밀\u202e"), ("\ud800", "x")):
        body = {"imp_key": key, "imp_secret": secret}
        answer = emu.http.post("/users/getToken", content=json.dumps(body).encode(),
                               headers={"content-type": "application/json"})  # fmt: skip
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == -1 and answer.json()["response"] is None
