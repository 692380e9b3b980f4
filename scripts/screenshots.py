#!/usr/bin/env python3
"""Screenshots of the demo shop and the admin console, made through the real UI.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only NAME,NAME]

Starts its own emulator, merchant server and worker on a fresh SQLite database
in a temporary directory (on free ports; ``var/`` is never touched), seeds the
demo catalogue as ``dev.py demo`` does, makes a staff user with
``paydesk admin create-user --password-stdin``, then drives headless Chromium
(Debian's ``/usr/bin/chromium`` through Playwright, as ``tests/browser`` do):
a card purchase in installments, a virtual account paid by a deposit made at
the emulator, a flash sale that sells out, a subscription, a deposit whose
processing keeps failing (the retry queue), cash receipts, a partial refund
from the admin order page and a launch-checklist run. Every picture is taken
on the way (see ``SHOTS``). ``--only`` takes some of them and stops as soon as
they are taken. Everything it started is stopped on exit, error or Ctrl-C.

The pictures hold no secret: the staff password and the API key are made up
per run and never shown (the keys page is taken as a list, never right after
a key is created).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: The launch arguments of ``tests/browser/conftest.py``.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
PHONE = {"user_agent": IPHONE, "viewport": {"width": 390, "height": 844},
         "device_scale_factor": 2, "is_mobile": True, "has_touch": True}  # fmt: skip
#: The tallest picture of a whole page, in pixels (keeps each PNG small).
TALL = 1800
STAFF_USER = "operator"
ORDER_URL = re.compile(r".*/shop/orders/(ord_[0-9a-f_]+)$")

#: Every picture, in the order they are taken: file name (without .png) and what it shows.
SHOTS = {
    "shop-home": "The demo shop's catalogue with live stock",
    "shop-home-phone": "The catalogue on a phone",
    "admin-login": "The admin console's login",
    "shop-checkout": "Checkout: pay method, PG and installments",
    "shop-payment-window": "The emulator's payment window over the shop (3-month installments)",
    "shop-order-paid": "The order page after a card payment",
    "shop-checkout-phone": "Checkout on a phone",
    "shop-order-vbank": "A virtual account to pay into",
    "shop-order-sold-out": "The flash sale's sold-out answer, in Korean",
    "admin-payments": "Transaction search",
    "admin-order": "Order detail after a partial refund: the order, the payment, the refund form",
    "admin-order-timeline": "The order's timeline (its latest part): webhooks, jobs, the refund",
    "admin-dashboard": "Dashboard: today's sales and refunds, the 14-day chart, what needs a look",
    "admin-retries": "The retry queue (a deposit notice whose processing keeps failing)",
    "admin-subscriptions": "Subscriptions and billing keys",
    "admin-vbanks": "Virtual accounts awaiting deposit, and paid",
    "admin-receipts": "Cash receipts, i'mport and external kept apart",
    "admin-escrows": "Escrow shipments",
    "admin-keys": "API keys (the list; a new key is never pictured)",
    "admin-checklist": "The launch checklist after 'run now'",
}


def load_dev() -> ModuleType:
    """``dev.py``'s helpers (the demo's catalogue, seeding and waiting), as a module."""
    spec = importlib.util.spec_from_file_location("paydesk_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = load_dev()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Done(Exception):
    """Every picture asked for is taken."""


class Camera:
    """Takes the pictures asked for into ``out``; raises ``Done`` after the last one."""

    def __init__(self, out: Path, wanted: list[str]) -> None:
        self.out, self.wanted = out, wanted
        self.taken: list[Path] = []

    def wants(self, *names: str) -> bool:
        return any(name in self.wanted for name in names)

    def shoot(self, page: Any, name: str, *, max_height: int = 0, element: str = "",
              tail: bool = False) -> None:  # fmt: skip
        """Picture ``page``: the viewport; with ``max_height``, the whole page cut at that
        many pixels; with ``element``, only the element of that selector (cut the same way,
        keeping its end with ``tail``; the page is scrolled to the top)."""
        assert name in SHOTS, name
        if name not in self.wanted:
            return
        page.wait_for_load_state("load")
        page.evaluate("() => document.fonts.ready")
        page.wait_for_timeout(300)  # a last paint (the chart's, a flash message's)
        path = self.out / f"{name}.png"
        options: dict[str, Any] = {"path": str(path), "animations": "disabled", "caret": "hide"}
        if element:
            box = page.locator(element).bounding_box()
            height = min(box["height"], max_height or box["height"])
            if tail:
                box["y"] += box["height"] - height
            box["height"] = height
            options["clip"] = box
        elif max_height:
            height = page.evaluate("() => document.documentElement.scrollHeight")
            width = page.viewport_size["width"]
            options["clip"] = {"x": 0, "y": 0, "width": width, "height": min(height, max_height)}
        page.screenshot(full_page=bool(element or max_height), **options)
        self.taken.append(path)
        print(f"    {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
              f" ({path.stat().st_size // 1024} KB)", flush=True)  # fmt: skip
        if all((self.out / f"{n}.png") in self.taken for n in self.wanted):
            raise Done


class Stack:
    """The emulator, server and worker of one run, on a temporary SQLite database."""

    def __init__(self, work: Path) -> None:
        self.work = work
        emulator_port, server_port = free_port(), free_port()
        self.emulator = f"http://127.0.0.1:{emulator_port}"
        self.url = f"http://127.0.0.1:{server_port}"
        self.env = {
            **os.environ,
            "PAYDESK_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'paydesk.db'}",
            "PAYDESK_IAMPORT_BASE_URL": self.emulator,
            "PAYDESK_IAMPORT_KEY": "demo_imp_key",
            "PAYDESK_IAMPORT_SECRET": "demo_imp_secret",
            "PAYDESK_IMP_CODE": "imp00000001",
            "PAYDESK_PUBLIC_BASE_URL": self.url,
            "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
            "PAYDESK_SECRET_KEY": secrets.token_urlsafe(32),
            # a run of pictures has nothing worth waiting for when it stops
            "PAYDESK_WORKER_GRACE_SECONDS": "2",
            "PAYDESK_SHUTDOWN_GRACE_SECONDS": "2",
        }
        self.paydesk = str(dev.BIN / "paydesk")
        self.commands = {
            "emulator": [
                self.paydesk,
                "emulator",
                "--port",
                str(emulator_port),
                "--state",
                str(work / "emulator.json"),
            ],
            "server": [self.paydesk, "serve", "--port", str(server_port)],
            "worker": [self.paydesk, "worker"],
        }
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.key = ""
        self.password = secrets.token_urlsafe(18)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([self.paydesk, *args], cwd=ROOT, env=self.env, input=stdin,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"paydesk {args[0]} {args[1]} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self) -> None:
        self.cli("db", "upgrade")
        self.key = self.cli("keys", "create", "--name", "demo shop", "--scope", "read",
                            "--scope", "write", "--scope", "refund").strip()  # fmt: skip
        self.cli("admin", "create-user", STAFF_USER, "--password-stdin", stdin=self.password + "\n")
        for name, command in self.commands.items():
            log = (self.work / f"{name}.log").open("wb")
            self.children[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                                   stderr=subprocess.STDOUT)  # fmt: skip
        if not dev.wait_for(f"{self.emulator}/_emulator/health", 60) or not dev.wait_for(
            f"{self.url}/docs", 60
        ):
            raise RuntimeError("the emulator or the server did not start")
        dev.point_webhooks_at_server(self.emulator, self.url)
        dev.seed_shop(self.url, self.key)

    def stop(self) -> None:
        """Stop the worker, the server, then the emulator (each by SIGINT; killed after 15 s)."""
        children = list(reversed(self.children.values()))
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def logs(self) -> str:
        tails = []
        for name in self.children:
            lines = (self.work / f"{name}.log").read_text(errors="replace").splitlines()
            tails.append(f"--- {name} (last lines) ---\n" + "\n".join(lines[-30:]))
        return "\n".join(tails)

    def api(self, method: str, path: str, body: object = None) -> Any:
        return dev.api(self.url, self.key, method, path, body)

    def control(self, method: str, path: str, body: object) -> Any:
        """The emulator's control API (what its console does: deposits, faults)."""
        return dev.api(self.emulator, "-", method, f"/_emulator{path}", body)

    def product(self, sku: str) -> int:
        listed = self.api("GET", "/api/products?limit=500")["items"]
        product_id: int = next(item["id"] for item in listed if item["sku"] == sku)
        return product_id

    def payment(self, merchant_uid: str) -> dict[str, Any]:
        order = self.api("GET", f"/api/orders/by-merchant-uid/{merchant_uid}")
        payment: dict[str, Any] = order["payments"][-1]
        return payment


# -- what a buyer does ---------------------------------------------------------------------
def window(page: Any) -> Any:
    """The emulator's payment window (an iframe over the shop)."""
    page.wait_for_selector("#paydesk-frame")
    frame = page.frame_locator("#paydesk-frame")
    frame.locator("form.pay").wait_for()
    return frame


def enter_card(where: Any, quota: int | None = None) -> None:
    where.locator("#card_number").fill("4111-1111-1111-1111")
    where.locator("#expiry").fill("12/30")
    if quota is not None:
        where.locator("#card_quota").select_option(str(quota))


def checkout(
    page: Any, stack: Stack, sku: str, method: str = "card", pg: str | None = None
) -> None:
    page.goto(f"{stack.url}/shop/products/{stack.product(sku)}")
    page.check(f"input[name=method][value={method}]")
    if pg is not None:
        page.select_option("#pg", pg)


def landed(page: Any, status: str) -> str:
    """Wait for the order page to show ``status``; the order's merchant_uid."""
    page.wait_for_url(ORDER_URL, timeout=30_000)
    page.wait_for_selector(f"#result[data-status={status}]", timeout=30_000)
    match = ORDER_URL.match(page.url)
    assert match
    return match[1]


def buy_by_card(page: Any, stack: Stack, sku: str) -> str:
    checkout(page, stack, sku)
    page.click("#pay")
    frame = window(page)
    enter_card(frame)
    frame.locator("#pay").click()
    return landed(page, "paid")


def buy_by_vbank(page: Any, stack: Stack, sku: str) -> str:
    checkout(page, stack, sku, "vbank", "html5_inicis")
    page.click("#pay")
    frame = window(page)
    frame.locator("#bank_code").select_option("004")
    frame.locator("#pay").click()
    return landed(page, "held")


# -- the tour ------------------------------------------------------------------------------
def tour(browser: Any, stack: Stack, camera: Camera) -> None:
    """Make the data through the UI, taking the pictures on the way (SHOTS' order)."""

    def new_page(options: dict[str, Any]) -> Any:
        context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", **options)
        context.set_default_timeout(20_000)
        return context.new_page()

    shop, phone, admin = new_page(DESKTOP), new_page(PHONE), new_page(DESKTOP)
    shop.goto(f"{stack.url}/")
    camera.shoot(shop, "shop-home", max_height=TALL)
    phone.goto(f"{stack.url}/")
    camera.shoot(phone, "shop-home-phone")
    admin.goto(f"{stack.url}/admin/login")
    camera.shoot(admin, "admin-login")

    # A card purchase in 3-month installments (NHN KCP).
    checkout(shop, stack, "demo-bag", "card", "kcp")
    camera.shoot(shop, "shop-checkout", max_height=TALL)
    shop.click("#pay")
    frame = window(shop)
    enter_card(frame, quota=3)
    camera.shoot(shop, "shop-payment-window")
    frame.locator("#pay").click()
    bag_order = landed(shop, "paid")
    approval = shop.inner_text("#approval")
    camera.shoot(shop, "shop-order-paid", max_height=TALL)

    # A phone checkout by Kakao Pay.
    checkout(phone, stack, "demo-tee", "kakaopay")
    camera.shoot(phone, "shop-checkout-phone")

    # A virtual account, then a deposit made at the emulator (as its console does).
    vbank_order = buy_by_vbank(shop, stack, "demo-tee")
    camera.shoot(shop, "shop-order-vbank", max_height=TALL)
    vbank = stack.payment(vbank_order)
    stack.control("POST", f"/vbanks/{vbank['imp_uid']}/deposit", {})
    landed(shop, "paid")

    # The flash sale: one buyer's window is open while another buys the last units.
    late = new_page(DESKTOP)
    checkout(late, stack, "demo-flash")
    late.click("#pay")
    late_window = window(late)
    for _ in range(stack.api("GET", f"/api/products/{stack.product('demo-flash')}")["stock"]
                   ["available"]):  # fmt: skip
        buy_by_card(shop, stack, "demo-flash")
    enter_card(late_window)
    late_window.locator("#pay").click()
    landed(late, "failed")
    camera.shoot(late, "shop-order-sold-out", max_height=TALL)
    late.context.close()

    # A subscription: a billing key, then its first charge.
    plan = next(p for p in stack.api("GET", "/api/plans") if p["code"] == dev.DEMO_PLAN["code"])
    shop.goto(f"{stack.url}/shop/subscribe")
    shop.click(f"button.subscribe[data-plan-id='{plan['id']}']")
    frame = window(shop)
    enter_card(frame)
    frame.locator("#pay").click()
    shop.wait_for_url(re.compile(r".*/shop/subscriptions/\d+$"), timeout=30_000)

    # A deposit whose processing keeps failing: i'mport's payment lookup answers 503.
    stuck = stack.payment(buy_by_vbank(shop, stack, "demo-tee"))
    stack.control("POST", "/faults", {"path": f"/payments/{stuck['imp_uid']}", "method": "GET",
                                      "kind": "error", "status": 503})  # fmt: skip
    stack.control("POST", f"/vbanks/{stuck['imp_uid']}/deposit", {})

    # Cash receipts: one for the paid virtual account, one for a sale made elsewhere.
    stack.api("POST", "/api/receipts", {"imp_uid": vbank["imp_uid"], "identifier_type": "phone",
                                        "identifier": "010-1234-5678"})  # fmt: skip
    stack.api("POST", "/api/external-receipts", {"name": "오프라인 매장 판매", "amount": 42000,
              "identifier_type": "phone", "identifier": "010-9876-5432"})  # fmt: skip

    # The console: log in, search, refund part of the bag, look around.
    admin.fill("input[name=username]", STAFF_USER)
    admin.fill("input[name=password]", stack.password)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{stack.url}/admin")
    admin.click("nav >> text=거래 조회")
    admin.wait_for_url(f"{stack.url}/admin/payments")
    camera.shoot(admin, "admin-payments", max_height=TALL)
    admin.fill("input[name=apply_num]", approval)
    admin.click("[data-testid=search] button[type=submit]")
    admin.wait_for_url(re.compile(r".*/admin/payments\?.*apply_num="))
    admin.click("[data-testid=order-link]")
    admin.wait_for_url(re.compile(r".*/admin/orders/\d+$"))
    assert bag_order in admin.content()
    admin.fill("input[name=amount]", "29000")
    admin.fill("input[name=reason]", "구성품 일부 반품")
    admin.click("[data-testid=refund-submit]")
    admin.wait_for_url(re.compile(r".*/admin/orders/\d+#timeline$"))
    admin.wait_for_selector("#timeline li[data-kind=refund]")
    admin.evaluate("() => window.scrollTo(0, 0)")
    camera.shoot(admin, "admin-order")
    camera.shoot(admin, "admin-order-timeline", element="#timeline", max_height=1200, tail=True)

    admin.goto(f"{stack.url}/admin")
    admin.wait_for_selector("#sales-chart[data-ready=true]")
    camera.shoot(admin, "admin-dashboard", max_height=TALL)
    if camera.wants("admin-retries"):
        wait_for_retrying(admin, stack)
    camera.shoot(admin, "admin-retries", max_height=TALL)
    for name in ("subscriptions", "vbanks", "receipts", "escrows", "keys"):
        admin.goto(f"{stack.url}/admin/{name}")
        camera.shoot(admin, f"admin-{name}", max_height=TALL)
    admin.goto(f"{stack.url}/admin/checklist")
    admin.click("[data-testid=run-now] button[type=submit]")
    admin.wait_for_selector("[data-testid=run-status]", timeout=120_000)
    camera.shoot(admin, "admin-checklist", max_height=1400)


def wait_for_retrying(page: Any, stack: Stack) -> None:
    """The retry queue once the failing deposit's job is waiting for another attempt."""
    deadline = time.monotonic() + 60
    while True:
        page.goto(f"{stack.url}/admin/retries")
        if page.locator("tr[data-state=retrying]").count() or time.monotonic() > deadline:
            return
        time.sleep(1)


def korean_font() -> bool:
    """Whether fontconfig knows a font for Korean (Chromium draws boxes without one)."""
    try:
        listed = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True)
    except OSError:
        return True  # no fontconfig to ask: let Chromium find what it finds
    return bool(listed.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="where the PNG files go (default: docs/screenshots)")  # fmt: skip
    parser.add_argument("--only", default="", metavar="NAME,NAME",
                        help="take only these pictures (names: --list)")  # fmt: skip
    parser.add_argument("--list", action="store_true", help="list the pictures and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, what in SHOTS.items():
            print(f"{name:24} {what}")
        return 0
    wanted = [name for name in args.only.split(",") if name] or list(SHOTS)
    unknown = [name for name in wanted if name not in SHOTS]
    if unknown:
        parser.error(f"no such picture: {', '.join(unknown)} (see --list)")
    if not CHROMIUM.exists():
        print(f"screenshots: needs Debian's Chromium at {CHROMIUM} (apt install chromium)",
              file=sys.stderr)  # fmt: skip
        return 1
    if not korean_font():
        print("screenshots: no Korean font found (fc-list :lang=ko): the Korean text will be"
              " boxes; install one, e.g. `apt install fonts-nanum`", file=sys.stderr)  # fmt: skip
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    camera = Camera(args.out.resolve(), wanted)
    # SIGTERM (a supervisor, `kill`) stops the children as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="paydesk-shots-") as work:
        stack = Stack(Path(work))
        try:
            dev.say("starting the emulator, server and worker on a fresh SQLite database")
            stack.start()
            dev.say(f"taking {len(wanted)} screenshot(s) in headless Chromium")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                     args=CHROMIUM_ARGS)  # fmt: skip
                with contextlib.suppress(Done):
                    tour(browser, stack, camera)
                browser.close()
        except KeyboardInterrupt:
            return 130
        except Exception as exc:
            print(f"screenshots: {type(exc).__name__}: {exc}", file=sys.stderr)
            if stack.children:
                print(stack.logs(), file=sys.stderr)
            return 1
        finally:
            stack.stop()
    missing = [name for name in wanted if args.out.resolve() / f"{name}.png" not in camera.taken]
    if missing:
        print(f"screenshots: not taken: {', '.join(missing)}", file=sys.stderr)
        return 1
    dev.say(f"{len(camera.taken)} screenshot(s) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
