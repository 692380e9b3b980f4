"""Tokens over real HTTP: issue, reuse, extension, expiry, and the three header forms."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

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


def test_token_answer_is_the_envelope_json_would_write(emu: EmulatorClient) -> None:
    """The token is written out by hand; its bytes are those of the compact encoder."""
    answer = emu.http.post("/users/getToken", json={"imp_key": DEMO_KEY, "imp_secret": DEMO_SECRET})
    assert answer.headers["content-type"] == "application/json; charset=UTF-8"
    assert answer.headers["content-length"] == str(len(answer.content))
    token = answer.json()["response"]
    assert [*token] == ["access_token", "now", "expired_at"]
    assert all(type(token[k]) is int for k in ("now", "expired_at"))
    envelope = {"code": 0, "message": None, "response": token}
    assert answer.content == json.dumps(envelope, separators=(",", ":")).encode()


CREDENTIALS = {"imp_key": DEMO_KEY, "imp_secret": DEMO_SECRET}
TEXT = json.dumps(CREDENTIALS)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (TEXT.encode(), "application/json"),
        (TEXT.encode(), "application/json; charset=utf-8"),
        (TEXT.encode(), None),  # no type: a body that looks like JSON is read as JSON
        (b"\xef\xbb\xbf" + TEXT.encode(), "application/json"),  # a BOM, as json.loads allows
        (TEXT.encode("utf-16"), "application/json"),
        (b"\n " + TEXT.encode() + b" \n", "application/json"),
        (json.dumps({**CREDENTIALS, "pad": "x" * 2_000_000}).encode(), "application/json"),
        (urlencode(CREDENTIALS).encode(), "application/x-www-form-urlencoded"),
        (urlencode(CREDENTIALS).encode(), "application/x-www-form-urlencoded; charset=UTF-8"),
    ],
    ids=[
        "json",
        "json-charset",
        "json-untyped",
        "json-bom",
        "json-utf16",
        "json-spaces",
        "json-2mb",
        "form",
        "form-charset",
    ],
)
def test_token_bodies_real_clients_send(
    emu: EmulatorClient, content: bytes, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    answer = emu.http.post("/users/getToken", content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["code"] == 0 and len(answer.json()["response"]["access_token"]) == 40


#: getToken documents 200 and 401 only: a body it cannot read is a 200 with code 1 (as every
#: such operation answers), missing credentials its own 400.
BAD_JSON = "요청 본문이 올바른 JSON이 아닙니다."


@pytest.mark.parametrize(
    ("content", "status", "code", "message"),
    [
        (b"", 400, -1, "imp_key, imp_secret 파라메터가 누락되었습니다."),
        (b"  \n", 400, -1, "imp_key, imp_secret 파라메터가 누락되었습니다."),
        (b"{}", 400, -1, "imp_key, imp_secret 파라메터가 누락되었습니다."),
        (b'{"imp_key": "demo_imp_key", ', 200, 1, BAD_JSON),
        (TEXT.encode() + b" trailing", 200, 1, BAD_JSON),
        (b'{"imp_key": "\xff\xfe"}', 200, 1, BAD_JSON),
        (b"[" + TEXT.encode() + b"]", 200, 1, "요청 본문은 JSON 객체여야 합니다."),
        (b'"' + b"x" * 2_000_000, 200, 1, BAD_JSON),
    ],
    ids=["empty", "blank", "no-fields", "cut", "trailing", "not-utf8", "array", "2mb-cut"],
)
def test_bad_token_bodies_are_refused_in_the_envelope(
    emu: EmulatorClient, content: bytes, status: int, code: int, message: str
) -> None:
    answer = emu.http.post(
        "/users/getToken", content=content, headers={"content-type": "application/json"}
    )
    assert answer.status_code == status, answer.text
    assert answer.json() == {"code": code, "message": message, "response": None}


def test_a_refusal_keeps_its_own_headers(emu: EmulatorClient) -> None:
    answer = emu.http.get("/users/pg", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer realm=iamport"
    assert answer.headers["content-type"] == "application/json; charset=UTF-8"
    assert answer.headers["content-length"] == str(len(answer.content))
