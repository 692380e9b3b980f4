"""The merchant API (``/api/*``): for the merchant's own back end, scripts and the admin console."""

from fastapi import APIRouter

from . import (
    billing,
    escrows,
    identity,
    orders,
    payments,
    products,
    receipts,
    reconciliations,
    refunds,
    retries,
    vbanks,
)

__all__ = ["router"]

router = APIRouter()
router.include_router(products.router)
router.include_router(orders.router)
router.include_router(payments.router)
router.include_router(refunds.router)
router.include_router(retries.router)
router.include_router(vbanks.router)
router.include_router(reconciliations.router)
router.include_router(receipts.router)
router.include_router(identity.router)
router.include_router(escrows.router)
router.include_router(billing.router)
