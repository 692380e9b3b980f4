"""Fault injection and ``--state FILE`` over real HTTP."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

from paydesk.bootstrap import build_emulator
from paydesk.emulator.faults import TRICKLE_PARTS
from tests.support.emulator import EmulatorClient, seed
from tests.support.servers import free_port, serve


def test_error_fault_answers_status_without_doing_work(emu: EmulatorClient) -> None:
    emu.fault(path="/_emulator_never", kind="error")  # other paths unaffected
    emu.fault(path="/users/pg", kind="error", status=502, times=1)
    first = emu.get("/users/pg")
    assert first.status_code == 502
    assert first.json()["code"] == -1
    assert emu.get("/users/pg").status_code == 200


def test_latency_fault_delays_then_answers(emu: EmulatorClient) -> None:
    emu.fault(path="/users/*", kind="latency", delay=0.4, times=1)
    started = time.monotonic()
    assert emu.get("/users/pg").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_trickle_sends_the_whole_answer_slowly(emu: EmulatorClient) -> None:
    """The answer is the normal one; its body comes in parts, no read waiting long."""
    emu.fault(path="/users/pg", kind="trickle", delay=0.1, times=1)
    started = time.monotonic()
    trickled = emu.get("/users/pg", timeout=0.5)  # per read: every part comes sooner
    took = time.monotonic() - started
    assert trickled.status_code == 200 and trickled.json() == emu.get("/users/pg").json()
    assert took >= 0.1 * (TRICKLE_PARTS - 1)


def test_no_answer_commits_then_cuts_the_connection(emu: EmulatorClient) -> None:
    emu.fault(path="/users/getToken", method="POST", kind="no_answer", mode="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        emu.http.post(
            "/users/getToken", json={"imp_key": "demo_imp_key", "imp_secret": "demo_imp_secret"}
        )
    faults = emu.control("GET", "/faults")
    assert faults[0]["fired"] == 1


def test_no_answer_hang_holds_until_the_client_gives_up(emu: EmulatorClient) -> None:
    emu.fault(path="/users/pg", kind="no_answer", mode="hang", delay=3, times=1)
    with pytest.raises(httpx.ReadTimeout):
        emu.get("/users/pg", timeout=0.5)


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("kind", ["no_answer", "drop"])
def test_a_dropped_answer_is_no_server_error(emu: EmulatorClient, kind: str) -> None:
    """uvicorn reports the cut it is asked for as one INFO line, never an ERROR."""
    server_log, collect = logging.getLogger("uvicorn.error"), Collect()
    server_log.addHandler(collect)
    try:
        emu.fault(path="/users/pg", kind=kind, times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            emu.get("/users/pg")
        assert emu.get("/users/pg").status_code == 200  # the server carries on
    finally:
        server_log.removeHandler(collect)
    assert [(r.levelname, r.exc_info) for r in collect.records] == [("INFO", None)]
    assert collect.records[0].getMessage().startswith(f"{kind} fault")
    assert "GET /users/pg" in collect.records[0].getMessage()


def test_drop_does_nothing_and_faults_can_be_removed(emu: EmulatorClient) -> None:
    fault = emu.fault(path="/users/pg", kind="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        emu.get("/users/pg")
    emu.control("DELETE", f"/faults/{fault['id']}")
    assert emu.get("/users/pg").status_code == 200
    assert emu.http.delete("/_emulator/faults/nope").status_code == 404


def test_control_api_refuses_bad_fault_specs(emu: EmulatorClient) -> None:
    answer = emu.http.post("/_emulator/faults", json={"path": "/x", "kind": "explode"})
    assert answer.status_code == 400
    assert answer.json()["code"] != 0


def test_state_file_keeps_payments_and_tokens_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "emulator.json"
    port = free_port()
    with serve(build_emulator(state_file=state), port=port) as url:
        first = EmulatorClient(url)
        token = first.token()
        payment = seed(first, amount=4321)
        tiered = seed(first, amount=1234, tier="ABC")  # a sub-merchant's books too
        first.close()
    assert state.exists()
    with serve(build_emulator(state_file=state), port=port) as url:
        second = EmulatorClient(url)
        webhooks = second.webhooks(payment["imp_uid"])
        assert [w["payload"]["status"] for w in webhooks] == ["paid"]
        answer = second.http.get("/users/pg", headers={"Authorization": token})
        assert answer.status_code == 200
        found = second.get(f"/payments/{tiered['imp_uid']}", headers={"Tier": "ABC"})
        assert found.json()["response"]["amount"] == 1234
        assert second.get(f"/payments/{tiered['imp_uid']}").status_code == 404
        second.close()
