"""The control API under ``/_emulator``: what a test does that a merchant cannot.

Move the clock, deposit into a vbank, seed payments, inject faults, read and
resend webhooks.  Answers use the i'mport envelope.
"""

from .endpoints import CONTROL_PREFIX, routes

__all__ = ["CONTROL_PREFIX", "routes"]
