"""The gateway's callbacks: what i'mport (and the buyer's browser, returning) calls.

- ``POST /iamport/confirm``: the Confirm Process, right before approval;
- ``POST /iamport/webhook``: payment notifications, stored first;
- ``GET|POST /iamport/complete``: the buyer back from the payment window.

None of them believes what it is told: results are re-read from i'mport.
"""

from fastapi import APIRouter

from . import completion, confirm, webhooks

__all__ = ["router"]

router = APIRouter(tags=["i'mport"])
router.include_router(confirm.router)
router.include_router(webhooks.router)
router.include_router(completion.router)
