#!/usr/bin/env python3
"""The README's two commands, with nothing but Python 3.11+ needed beforehand.

    python3 dev.py demo   # set up, then run the emulator, server and worker on SQLite
    python3 dev.py test   # set up, then run every check and the whole test suite

Setup makes ``.venv`` and installs the locked dependencies (``requirements.lock``)
plus paydesk itself, skipping the install when nothing changed since last time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
import webbrowser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".paydesk-installed"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def must(*args: str | Path) -> None:
    code = run(*args)
    if code != 0:
        sys.exit(f"dev.py: command failed ({code}): {' '.join(map(str, args))}")


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("dev.py: paydesk needs Python 3.11 or newer")
    if not PY.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(
        (ROOT / "requirements.lock").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    say("installing locked dependencies")
    must(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
         "requirements.lock")  # fmt: skip
    must(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "-e", ".")  # fmt: skip
    STAMP.write_text(digest)


#: What ruff checks and formats.
LINTED = ("src", "tests", "bench", "scripts")


def test(extra: list[str]) -> int:
    """Lint, type-check, check the layering, then run every test."""
    steps: list[tuple[str, list[str | Path]]] = [
        (
            "ruff check",
            [BIN / "ruff", "check", "--output-format", "concise", *LINTED],
        ),
        ("ruff format --check", [BIN / "ruff", "format", "--check", *LINTED]),
        ("mypy (strict on src)", [BIN / "mypy"]),
        ("import-linter (layering)", [BIN / "lint-imports"]),
    ]
    failed = []
    for name, args in steps:
        say(name)
        if run(*args) != 0:
            failed.append(name)
    say("pytest")
    code = run(PY, "-m", "pytest", *extra)
    if code == 5:
        print("dev.py: pytest collected no tests", file=sys.stderr)
    if code != 0:
        failed.append("pytest")
    if failed:
        print(f"dev.py: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    say("all checks passed")
    return 0


def wait_for(url: str, seconds: float = 30) -> bool:
    """Whether ``url`` answered (any status) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def point_webhooks_at_server(emulator: str, server: str) -> None:
    """Tell the emulator's demo merchant where the server takes webhooks (as the console would)."""
    body = json.dumps({"webhook_url": f"{server}/iamport/webhook"}).encode()
    request = urllib.request.Request(
        f"{emulator}/_emulator/merchants/imp00000001/settings", data=body, method="PUT",
        headers={"content-type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5):
        pass


def demo_secret(var: Path) -> str:
    """The demo server's PAYDESK_SECRET_KEY: made once, kept in var/secret_key (0600)."""
    path = var / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def demo_api_key(paydesk: str, env: dict[str, str], var: Path) -> str | None:
    """A fresh API key of every scope for the demo, also written to var/api_key (0600)."""
    made = subprocess.run(
        [paydesk, "keys", "create", "--name", "dev.py demo", "--scope", "read",
         "--scope", "write", "--scope", "refund"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if made.returncode != 0:
        print(f"dev.py: could not make a demo API key: {made.stderr.strip()}", file=sys.stderr)
        return None
    key = made.stdout.strip()
    path = var / "api_key"
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key


#: The demo shop's catalogue (SKU, name, price, stock, installment months, minimum age).
DEMO_PRODUCTS = (
    ("demo-tee", "paydesk 로고 티셔츠", 15000, 100, None, None),
    ("demo-bag", "노트북 가방 (할부 가능)", 129000, 20, [2, 3, 6], None),
    ("demo-flash", "타임세일 한정판 키링", 9900, 3, None, None),
    ("demo-wine", "레드 와인 750ml", 35000, 30, None, 19),
)
DEMO_PLAN = {"code": "demo-coffee", "name": "원두 정기배송 (매월)", "amount": 19900,
             "interval_unit": "month", "interval_count": 1}  # fmt: skip


def api(server: str, key: str, method: str, path: str, body: object = None) -> Any:
    """One call to the merchant API with the demo key; the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{server}{path}", data=data, method=method, headers={
        "authorization": f"Bearer {key}", "content-type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def seed_shop(server: str, key: str) -> None:
    """The demo shop's products and plan, made once (found by SKU and plan code after)."""
    listed = api(server, key, "GET", "/api/products?limit=500")
    have = {item["sku"]: item["id"] for item in listed["items"]}
    for sku, name, price, stock, quota, min_age in DEMO_PRODUCTS:
        if sku not in have:
            made = api(server, key, "POST", "/api/products", {
                "sku": sku, "name": name, "price": price, "stock": stock, "card_quota": quota})  # fmt: skip
            have[sku] = made["id"]
        if min_age is not None:
            api(server, key, "PUT", f"/api/products/{have[sku]}/age-gate", {"min_age": min_age})
    plans = api(server, key, "GET", "/api/plans")
    if not any(plan["code"] == DEMO_PLAN["code"] for plan in plans):
        api(server, key, "POST", "/api/plans", DEMO_PLAN)


def open_browser(url: str) -> None:
    """Open the shop in a browser when there is one (never in tests, never an error)."""
    if os.environ.get("PAYDESK_DEMO_NO_BROWSER") == "1" or "PYTEST_CURRENT_TEST" in os.environ:
        return
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return  # no desktop: a console browser would take over this terminal
    with contextlib.suppress(Exception):  # no browser is no problem for the demo
        webbrowser.open(url)


def demo() -> int:
    """Emulator + merchant server + worker on SQLite, until Ctrl-C or SIGTERM.

    ``PAYDESK_DEMO_DIR`` and ``PAYDESK_DEMO_PORTS`` ("emulator,server") move it
    elsewhere (the test of this command runs it beside other tests).
    """
    var = Path(os.environ.get("PAYDESK_DEMO_DIR") or ROOT / "var")
    var.mkdir(parents=True, exist_ok=True)
    emulator_port, server_port = (os.environ.get("PAYDESK_DEMO_PORTS") or "8099,8000").split(",")
    emulator, server = f"http://127.0.0.1:{emulator_port}", f"http://127.0.0.1:{server_port}"
    # The server and worker talk to the emulator as the demo merchant; the
    # emulator posts webhooks from 127.0.0.1, so the IP allow-list is off.
    demo_env = {
        "PAYDESK_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'paydesk.db'}",
        "PAYDESK_IAMPORT_BASE_URL": emulator,
        "PAYDESK_IAMPORT_KEY": "demo_imp_key",
        "PAYDESK_IAMPORT_SECRET": "demo_imp_secret",
        "PAYDESK_IMP_CODE": "imp00000001",
        "PAYDESK_PUBLIC_BASE_URL": server,
        "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
        "PAYDESK_SECRET_KEY": demo_secret(var),
    }
    env = {**demo_env, **os.environ}
    paydesk = str(BIN / "paydesk")
    say("migrating the database")
    if run(paydesk, "db", "upgrade", env=env) != 0:
        return 1
    key = demo_api_key(paydesk, env, var)
    if key is None:
        return 1
    processes = [
        (
            "emulator",
            [paydesk, "emulator", "--port", emulator_port, "--state", str(var / "emulator.json")],
        ),
        ("server", [paydesk, "serve", "--port", server_port]),
        ("worker", [paydesk, "worker"]),
    ]
    # SIGTERM (a supervisor, `kill`) stops the children as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for name, cmd in processes:
            children.append((name, subprocess.Popen(cmd, cwd=ROOT, env=env)))
        if not wait_for(f"{emulator}/_emulator/health") or not wait_for(f"{server}/docs"):
            print("dev.py: the emulator or the server did not start", file=sys.stderr)
            return 1
        point_webhooks_at_server(emulator, server)
        seed_shop(server, key)
        say("paydesk demo is running (Ctrl-C stops it)")
        print(f"    shop: {server}/", flush=True)
        print(f"    emulator (i'mport V1):  {emulator}   console: {emulator}/console")
        print(f"    merchant server API:    {server}/docs")
        print(f"    demo API key (all scopes, also in {var / 'api_key'}):")
        print(f"        export KEY={key}", flush=True)
        open_browser(f"{server}/")
        while all(child.poll() is None for _, child in children):
            time.sleep(0.5)
        for name, child in children:
            if child.poll() is not None:
                print(f"dev.py: {name} exited with {child.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for _, child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for _, child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    setup()
    if argv[0] == "demo":
        return demo()
    if argv[0] == "test":
        return test(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
