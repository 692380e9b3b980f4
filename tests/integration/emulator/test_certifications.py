"""Identity verification over real HTTP: the OTP flow, results, deletion, and refusals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.support.emulator import EmulatorClient

DANAL = "channel-key-demo-danal-cert"
KCP_V2 = "channel-key-demo-kcp_v2-cert"


def request_otp(emu: EmulatorClient, **overrides: Any) -> httpx.Response:
    body = {
        "name": "홍길동",
        "phone": "010-1234-5678",
        "birth": "90-01-15",
        "gender_digit": "1",
        "carrier": "SKT",
        "channel_key": DANAL,
        "merchant_uid": "cert_order_1",
        **overrides,
    }
    return emu.post(
        "/certifications/otp/request", json={k: v for k, v in body.items() if v is not None}
    )


def requested(emu: EmulatorClient, **overrides: Any) -> str:
    answer = request_otp(emu, **overrides)
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
    assert set(answer.json()["response"]) == {"imp_uid"}
    imp_uid: str = answer.json()["response"]["imp_uid"]
    return imp_uid


def sent_otp(emu: EmulatorClient, imp_uid: str) -> str:
    otp: str = emu.control("GET", f"/certifications/{imp_uid}/otp")["otp"]
    return otp


def confirm(emu: EmulatorClient, imp_uid: str, otp: str | None) -> httpx.Response:
    body = {"otp": otp} if otp is not None else {}
    return emu.post(f"/certifications/otp/confirm/{imp_uid}", json=body)


def test_otp_flow_gives_a_full_certification_result(emu: EmulatorClient) -> None:
    imp_uid = requested(emu)
    otp = sent_otp(emu, imp_uid)
    assert len(otp) == 6 and otp.isdigit()
    answer = confirm(emu, imp_uid, otp)
    assert answer.status_code == 200, answer.text
    result = answer.json()["response"]
    assert result["imp_uid"] == imp_uid and result["merchant_uid"] == "cert_order_1"
    assert result["pg_provider"] == "danal" and result["pg_tid"]
    assert result["name"] == "홍길동" and result["gender"] == "male"
    assert result["birthday"] == "1990-01-15"
    kst_midnight = datetime(1990, 1, 15, tzinfo=timezone(timedelta(hours=9)))
    assert result["birth"] == int(kst_midnight.timestamp())
    assert result["foreigner"] is False and result["foreigner_v2"] is False
    assert result["phone"] == "01012345678" and result["carrier"] == "SKT"
    assert result["certified"] is True and abs(result["certified_at"] - emu.now()) <= 1
    assert len(result["unique_key"]) == 88 and len(result["unique_in_site"]) == 64
    assert emu.get(f"/certifications/{imp_uid}").json()["response"] == result


def test_fixed_otp_always_works_and_mvno_and_foreigner_are_reported(emu: EmulatorClient) -> None:
    imp_uid = requested(emu, gender_digit="8", birth="050302", carrier="KT", is_mvno=True)
    result = confirm(emu, imp_uid, "123456").json()["response"]
    assert result["carrier"] == "KT_MVNO"
    assert result["gender"] == "female" and result["birthday"] == "2005-03-02"
    assert result["foreigner"] is True and result["foreigner_v2"] is True


def test_ci_is_per_person_and_di_is_per_site(emu: EmulatorClient) -> None:
    first = confirm(emu, requested(emu), "123456").json()["response"]
    again = confirm(emu, requested(emu), "123456").json()["response"]
    kcp = confirm(emu, requested(emu, channel_key=KCP_V2), "123456").json()["response"]
    other = confirm(emu, requested(emu, name="김철수"), "123456").json()["response"]
    assert first["unique_key"] == again["unique_key"] == kcp["unique_key"]
    assert first["unique_in_site"] == again["unique_in_site"] != kcp["unique_in_site"]
    assert other["unique_key"] != first["unique_key"]


def test_kcp_app_verification_needs_no_otp(emu: EmulatorClient) -> None:
    imp_uid = requested(emu, channel_key=None, pg="kcp_v2", verification_method="APP")
    answer = confirm(emu, imp_uid, None)
    assert answer.status_code == 200 and answer.json()["response"]["pg_provider"] == "kcp_v2"


def test_confirm_refusals(emu: EmulatorClient) -> None:
    imp_uid = requested(emu)
    otp = sent_otp(emu, imp_uid)
    wrong = "000000" if otp != "000000" else "111111"
    assert confirm(emu, imp_uid, wrong).status_code == 400
    missing = confirm(emu, imp_uid, None)
    assert missing.status_code == 400 and "otp" in missing.json()["message"]
    assert confirm(emu, "imp_000000000000", otp).status_code == 404
    assert confirm(emu, imp_uid, otp).status_code == 200
    already = confirm(emu, imp_uid, otp)
    assert already.status_code == 400 and already.json()["code"] != 0


def test_unconfirmed_request_has_no_result_yet(emu: EmulatorClient) -> None:
    imp_uid = requested(emu)
    answer = emu.get(f"/certifications/{imp_uid}")
    assert answer.status_code == 404
    assert answer.json()["message"] == "인증결과가 존재하지 않습니다."


def test_delete_forgets_the_result(emu: EmulatorClient) -> None:
    imp_uid = requested(emu)
    confirm(emu, imp_uid, "123456")
    deleted = emu.delete(f"/certifications/{imp_uid}")
    assert deleted.status_code == 200 and deleted.json()["response"]["imp_uid"] == imp_uid
    for answer in (emu.get(f"/certifications/{imp_uid}"), emu.delete(f"/certifications/{imp_uid}")):
        assert answer.status_code == 404
        assert answer.json() == {
            "code": -1,
            "message": "인증결과가 존재하지 않습니다.",
            "response": None,
        }


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": None},
        {"phone": None},
        {"phone": "02-123-4567"},
        {"birth": None},
        {"birth": "901345"},
        {"gender_digit": None},
        {"gender_digit": "9"},
        {"carrier": None},
        {"carrier": "LGU"},
        {"channel_key": None},
        {"channel_key": "channel-key-demo-nice-api"},  # not a certification channel
        {"channel_key": "channel-key-demo-inicis_unified-cert"},  # no OTP there
        {"verification_method": "APP"},  # APP is kcp_v2 only
    ],
)
def test_request_refusals(emu: EmulatorClient, overrides: dict) -> None:
    answer = request_otp(emu, **overrides)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] != 0 and answer.json()["response"] is None


def test_older_clients_name_the_pg(emu: EmulatorClient) -> None:
    imp_uid = requested(emu, channel_key=None, pg="danal")
    assert confirm(emu, imp_uid, "123456").json()["response"]["pg_provider"] == "danal"


def test_otp_control_endpoint_for_unknown_id_is_404(emu: EmulatorClient) -> None:
    assert emu.http.get("/_emulator/certifications/imp_000000000000/otp").status_code == 404
