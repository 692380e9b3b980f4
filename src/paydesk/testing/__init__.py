"""A test kit for merchants' own code, like moto for AWS or stripe-mock for Stripe.

``pip install 'paydesk[emulator]'`` and pytest gains the fixtures of
``paydesk.testing.plugin`` (``iamport_emulator``, ``iamport_control``): the
emulator on a free port, reset before each test, and a typed handle on its
control API.  Outside pytest, ``run_emulator`` serves one and ``IamportControl``
drives any emulator, a container's too.

It may import the emulator, never the merchant server (import-linter checks).
"""

from .control import ControlError, DeliveryAttempt, IamportControl, MerchantSettings, Webhook
from .server import DEMO_IMP_CODE, DEMO_IMP_KEY, DEMO_IMP_SECRET, RunningEmulator, run_emulator

__all__ = [
    "DEMO_IMP_CODE",
    "DEMO_IMP_KEY",
    "DEMO_IMP_SECRET",
    "ControlError",
    "DeliveryAttempt",
    "IamportControl",
    "MerchantSettings",
    "RunningEmulator",
    "Webhook",
    "run_emulator",
]
