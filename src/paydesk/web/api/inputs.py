"""What the merchant API accepts, exactly as its OpenAPI description says.

- Ids and offsets stop at ``MAX_ID``: a 64-bit column holds nothing past it,
  and handing a larger number to the database overflows its driver (a 500).
  So the API refuses it as invalid input (422) before any query runs.
- JSON numbers and booleans are not coerced from other types: pydantic's lax
  mode would take ``"92"`` or ``true`` for an integer and ``0`` for a boolean,
  which the schema forbids (a client relying on it would break the day it is
  fixed).
- Instants are ISO 8601 text; a bare number is not read as a Unix time.
- Free text (names, reasons, search terms) has no NUL character (``NO_NUL``):
  PostgreSQL keeps none in any text column, so one would be refused only
  after the fact — and SQLite would keep what PostgreSQL cannot.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, StrictBool

from ..schemas import MAX_ID

__all__ = ["MAX_ID", "NO_NUL", "After", "IsoDateTime", "JsonBool", "JsonInt", "Offset", "RowId"]

NO_NUL = r"^[^\x00]*$"

_NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _a_number(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number")
    return value


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str) or _NUMERIC.fullmatch(value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00+09:00")
    return value


JsonInt = Annotated[int, BeforeValidator(_a_number)]
JsonBool = StrictBool
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Only ids greater than this.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
