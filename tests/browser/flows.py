"""What a buyer does in the browser, as small steps the browser tests compose."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Shop


def open_shop(page: Any, shop: Shop, params: dict[str, Any]) -> None:
    """Load the merchant's page and set the ``request_pay`` parameters its button uses."""
    page.goto(shop.page_url())
    page.evaluate("params => { window.__params = params; }", params)


def window_frame(page: Any) -> Any:
    """The modal window (an iframe on the merchant page)."""
    page.wait_for_selector("#paydesk-frame")
    frame = page.frame_locator("#paydesk-frame")
    frame.locator("form.pay").wait_for()  # the PG page has loaded inside the iframe
    return frame


def enter_card(window: Any, number: str = "4111-1111-1111-1111", quota: int | None = None) -> None:
    """Fill the emulated PG's card form and press pay (``window``: frame or page)."""
    window.locator("#card_number").fill(number)
    window.locator("#expiry").fill("12/30")
    if quota is not None:
        window.locator("#card_quota").select_option(str(quota))
    window.locator("#pay").click()


def callback(page: Any) -> dict[str, Any]:
    """Wait for the merchant callback and return its ``rsp``."""
    page.wait_for_function("() => window.__rsp !== undefined")
    rsp: dict[str, Any] = page.evaluate("() => window.__rsp")
    return rsp


def overlay_gone(page: Any) -> bool:
    return bool(page.evaluate("() => document.getElementById('paydesk-overlay') === null"))
