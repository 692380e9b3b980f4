"""Integer bounds of the merchant API: what a 64-bit database column can hold.

An id or offset past ``MAX_ID`` could never match a row, and handing it to the
database overflows its driver (a 500) — so the API refuses it as invalid input
(422, with the bound in the OpenAPI description) before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

__all__ = ["MAX_ID", "After", "Offset", "RowId"]

MAX_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Only ids greater than this.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
