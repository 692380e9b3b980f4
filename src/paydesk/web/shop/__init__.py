"""The demo shop (``/`` and ``/shop/*``): a buyer's pages that pay through ``iamport.js``."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
