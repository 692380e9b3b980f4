"""A stateful local i'mport (PortOne V1) gateway: ``paydesk emulator``.

It imports neither ``paydesk.iamport`` nor ``paydesk.core``: the client and the
merchant server are tested against it, so a misreading of the real API cannot
hide on both sides of a test.
"""

from .app import CONTROL_PREFIX, create_app
from .faults import Fault, FaultBook
from .gateway import Gateway
from .gateway.cards import TEST_CARDS
from .gateway.clock import Clock
from .gateway.merchants import DEFAULT_MERCHANTS, Channel, Merchant, load_merchants
from .gateway.state import GatewayState, load_state

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_MERCHANTS",
    "TEST_CARDS",
    "Channel",
    "Clock",
    "Fault",
    "FaultBook",
    "Gateway",
    "GatewayState",
    "Merchant",
    "create_app",
    "load_merchants",
    "load_state",
]
