"""The payment window and the drop-in ``/v1/iamport.js`` (reference §7).

Filled in by the window work ([2/10]); until then the emulator serves no pages.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from .gateway import Gateway

__all__ = ["window_routes"]


def window_routes(gateway: Gateway) -> list[BaseRoute]:
    return []
