"""The README's demo command, run as a reader would: ``python3 dev.py demo``.

It starts the emulator, the server and the worker on SQLite and prints the shop's
address first; the shop lists the seeded catalogue; the first payment
by hand (README, "Quick start") goes through, the emulator's webhook reaches
the server, and SIGTERM stops every child.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a first run may still install the lock file
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.2)


def _printed_key(log: Path) -> str:
    """The API key the demo printed (``export KEY=pdk_...``), as a reader copies it."""
    found = re.search(r"export KEY=(pdk_\S+)", log.read_text(errors="replace"))
    assert found, log.read_text(errors="replace")
    return found[1]


def _refused(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.TransportError:
        return True
    return False


def test_demo_takes_a_payment_by_hand_and_stops_on_sigterm(tmp_path: Path) -> None:
    emulator_port, server_port = free_port(), free_port()
    env = {**os.environ, "PAYDESK_DEMO_DIR": str(tmp_path / "var"),
           "PAYDESK_DEMO_PORTS": f"{emulator_port},{server_port}",
           "PAYDESK_DEMO_NO_BROWSER": "1"}  # fmt: skip
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "demo"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_for_line(log, "export KEY=", demo)
        key = _printed_key(log)
        printed = log.read_text(errors="replace")
        shop = f"shop: http://127.0.0.1:{server_port}/"
        assert shop in printed and printed.index(shop) < printed.index("emulator (i'mport V1)")
        _shop_is_stocked(server_port)
        assert (tmp_path / "var" / "api_key").read_text().strip() == key
        with (
            httpx.Client(
                base_url=f"http://127.0.0.1:{server_port}",
                timeout=10,
                headers={"Authorization": f"Bearer {key}"},
            ) as server,  # fmt: skip
            httpx.Client(base_url=f"http://127.0.0.1:{emulator_port}", timeout=10) as emulator,
        ):
            _pay_by_hand(server, emulator, log)

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        assert _refused(emulator_port) and _refused(server_port), log.read_text(errors="replace")
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


def _shop_is_stocked(port: int) -> None:
    """The shop's page lists the seeded catalogue: the flash sale, the age-gated product."""
    page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "타임세일 한정판 키링" in page.text and "한정 수량 · 3개 남음" in page.text
    assert "19세 이상" in page.text and "원두 정기배송" in page.text


def _pay_by_hand(server: httpx.Client, emulator: httpx.Client, log: Path) -> None:
    """The README's first payment by hand: a product, an order, a key-in charge."""

    product = server.post("/api/products", json={"sku": "tee", "name": "티셔츠",
                                                 "price": 15000, "stock": 3})  # fmt: skip
    assert product.status_code == 201, product.text
    order = server.post("/api/orders", json={
        "items": [{"product_id": product.json()["id"], "quantity": 1}],
        "buyer": {"name": "홍길동"}, "pay_method": "card", "pg": "nice",
    })  # fmt: skip
    assert order.status_code == 201, order.text
    pay = order.json()["request_pay"]
    credentials = {"imp_key": "demo_imp_key", "imp_secret": "demo_imp_secret"}
    token = emulator.post("/users/getToken", json=credentials).json()["response"]
    charged = emulator.post(
        "/subscribe/payments/onetime",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        json={"merchant_uid": pay["merchant_uid"], "amount": pay["amount"],
              "card_number": "4111-1111-1111-1111", "expiry": "2030-12", "birth": "900101",
              "pwd_2digit": "00", "pg": "nice", "name": pay["name"]},
    )  # fmt: skip
    assert charged.json()["response"]["status"] == "paid", charged.text

    # nobody calls the server: the emulator's webhook (the demo merchant's URL) does
    deadline = time.monotonic() + 20
    while True:
        found = server.get(f"/api/orders/by-merchant-uid/{pay['merchant_uid']}").json()
        if found["status"] == "paid":
            break
        assert time.monotonic() < deadline, (found, log.read_text(errors="replace"))
        time.sleep(0.2)
    stock = server.get(f"/api/products/{product.json()['id']}").json()["stock"]
    assert stock == {"available": 2, "held": 0, "sold": 1}
