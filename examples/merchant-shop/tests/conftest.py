"""The shop under test on a real socket, talking to the emulator of paydesk's pytest plugin.

``iamport_emulator`` and ``iamport_control`` come from ``paydesk.testing``
(installed with ``pip install 'paydesk[emulator]'``; nothing to import).
"""

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from shop import Iamport, create_app


@pytest.fixture
def shop(iamport_emulator) -> Iterator[httpx.Client]:
    """The shop at http://127.0.0.1:<free port>, configured with the emulator's demo merchant."""
    iamport = Iamport(iamport_emulator.base_url, iamport_emulator.imp_key,
                      iamport_emulator.imp_secret)  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(iamport), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the shop did not start"
        time.sleep(0.01)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        yield client
    server.should_exit = True
    thread.join()
    iamport.close()
