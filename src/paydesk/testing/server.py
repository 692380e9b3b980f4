"""The emulator on a free local port, in a background thread of the test process.

uvicorn serves the same app ``paydesk emulator`` serves, so a merchant's code
under test reaches it over real HTTP, exactly as it would reach i'mport.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DEMO_IMP_CODE", "DEMO_IMP_KEY", "DEMO_IMP_SECRET", "RunningEmulator", "run_emulator"]

# The emulator's built-in demo merchant (``paydesk.emulator.DEFAULT_MERCHANTS``).
DEMO_IMP_CODE = "imp00000001"
DEMO_IMP_KEY = "demo_imp_key"
DEMO_IMP_SECRET = "demo_imp_secret"


@dataclass(frozen=True)
class RunningEmulator:
    """Where the emulator listens, and the demo merchant's credentials for it."""

    base_url: str
    imp_key: str = DEMO_IMP_KEY
    imp_secret: str = DEMO_IMP_SECRET
    imp_code: str = DEMO_IMP_CODE

    @property
    def iamport_js_url(self) -> str:
        """The drop-in ``iamport.js`` for a page under test (instead of the CDN's)."""
        return f"{self.base_url}/v1/iamport.js"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def run_emulator(
    *, host: str = "127.0.0.1", port: int | None = None, start_timeout: float = 10.0
) -> Iterator[RunningEmulator]:
    """Serve a fresh in-memory emulator until the block ends.

    Raises:
        RuntimeError: it did not start within ``start_timeout`` seconds.
        ModuleNotFoundError: the ``emulator`` extra is not installed.
    """
    import uvicorn

    from ..emulator_factory import build_emulator

    port = port or _free_port(host)
    base_url = f"http://{host}:{port}"
    app = build_emulator(public_url=base_url)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="paydesk-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"the paydesk emulator did not start on {base_url}")
        time.sleep(0.01)
    try:
        yield RunningEmulator(base_url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
