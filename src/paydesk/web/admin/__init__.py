"""The admin console (``/admin``): server-rendered pages for a merchant's operators.

Every page needs a logged-in staff session; every form carries a CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/admin", include_in_schema=False)
