"""paydesk: a payment backend for Korean merchants on i'mport (PortOne V1).

Subpackages, dependencies pointing inward:

- ``paydesk.iamport``: the typed i'mport V1 client (stands alone).
- ``paydesk.emulator``: a stateful local i'mport V1 gateway (stands alone).
- ``paydesk.core``: domain rules, no I/O.
- ``paydesk.store``, ``paydesk.services``, ``paydesk.web``, ``paydesk.jobs``: the merchant server.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
