"""Calls out to merchant servers: webhooks, when they are due, and the HTTP client.

``courier`` sends what ``Gateway.announce`` recorded, ``schedule`` decides
when an attempt is due and what it leads to, and ``outbound`` holds the one
HTTP client (also used by the window's Confirm Process) and its waits.
"""

from .courier import Courier
from .outbound import Outbound, OutboundSettings

__all__ = ["Courier", "Outbound", "OutboundSettings"]
