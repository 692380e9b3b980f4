"""The payment window: the drop-in ``iamport.js`` and the emulated PG pages it opens.

``endpoints`` are the routes; ``session`` opens a window (the SDK's checks,
then a ``ready`` payment), ``pay_request`` reads what ``IMP.request_pay``
asked for, ``methods`` decides what a submitted page does, ``confirm`` asks
the merchant first (Confirm Process), ``certification`` runs
``IMP.certification``, ``reply`` builds the ``rsp`` handed back and ``pages``
renders what the buyer sees.
"""

from .endpoints import routes

__all__ = ["routes"]
