"""Code lookups over real HTTP: the KFTC bank and card tables, and unknown codes."""

from __future__ import annotations

from tests.support.emulator import EmulatorClient


def test_bank_list_holds_kftc_codes(emu: EmulatorClient) -> None:
    answer = emu.get("/banks")
    assert answer.status_code == 200
    banks = answer.json()["response"]
    by_code = {bank["code"]: bank["name"] for bank in banks}
    assert len(by_code) == len(banks) == 86
    assert by_code["004"] == "국민은행"
    assert by_code["088"] == "신한은행"
    assert by_code["092"] == "토스뱅크"
    assert all(set(bank) == {"code", "name"} for bank in banks)


def test_one_bank_and_unknown_bank(emu: EmulatorClient) -> None:
    answer = emu.get("/banks/090")
    assert answer.status_code == 200
    assert answer.json() == {
        "code": 0,
        "message": None,
        "response": {"code": "090", "name": "카카오뱅크"},
    }
    missing = emu.get("/banks/999")
    assert missing.status_code == 404
    assert missing.json()["code"] != 0 and missing.json()["response"] is None


def test_card_list_includes_domestic_and_overseas_codes(emu: EmulatorClient) -> None:
    cards = {card["code"]: card["name"] for card in emu.get("/cards").json()["response"]}
    assert cards["361"] == "BC카드"
    assert cards["041"] == "우리카드"
    assert {"10001", "10002", "10003", "10004", "10005", "10006"} <= set(cards)


def test_one_card_and_unknown_card(emu: EmulatorClient) -> None:
    answer = emu.get("/cards/381")
    assert answer.json()["response"] == {"code": "381", "name": "KB국민카드"}
    missing = emu.get("/cards/VIS")
    assert missing.status_code == 404 and missing.json()["code"] != 0


def test_codes_need_a_token(emu: EmulatorClient) -> None:
    assert emu.http.get("/banks").status_code == 401
    assert emu.http.get("/cards/361").status_code == 401
