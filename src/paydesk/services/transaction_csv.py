"""Transaction rows as CSV, safe to open in a spreadsheet.

Pure functions: ``csv_lines(rows)`` gives the header, then one line per
``TransactionRow`` (each ending ``\\r\\n``); ``csv_stream(rows)`` does the same
over the async iterator of ``Backoffice.export`` (for a ``StreamingResponse``),
starting with a UTF-8 byte-order mark so that Excel reads Korean text right.

CSV injection: a text cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab
or carriage return) would be taken for a formula; it is prefixed with ``'``.
Instants are written in Korean time, ISO 8601 with their offset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from ..store.backoffice import TransactionRow

__all__ = ["BOM", "COLUMNS", "KST", "cell", "csv_line", "csv_lines", "csv_stream"]

KST: Final = timezone(timedelta(hours=9), "KST")
BOM: Final = "\ufeff"
#: (header, ``TransactionRow`` attribute), in column order.
COLUMNS: Final = (
    ("order_id", "order_id"), ("merchant_uid", "merchant_uid"), ("imp_uid", "imp_uid"),
    ("apply_num", "apply_num"), ("pg_tid", "pg_tid"), ("name", "name"), ("status", "status"),
    ("payment_status", "payment_status"), ("pay_method", "pay_method"), ("pg", "pg"),
    ("amount", "amount"), ("paid_amount", "paid_amount"),
    ("refunded_amount", "refunded_amount"), ("currency", "currency"),
    ("buyer_name", "buyer_name"), ("buyer_email", "buyer_email"), ("paid_at", "paid_at"),
    ("created_at", "created_at"),
)  # fmt: skip
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One cell's text: empty for None, Korean-time ISO for instants, text guarded."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(KST).isoformat()
    if isinstance(value, bool | int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(list(cells))
    return buffer.getvalue()


def csv_line(row: TransactionRow) -> str:
    """The CSV line of one row."""
    return _line(cell(getattr(row, attribute)) for _, attribute in COLUMNS)


def csv_lines(rows: Iterable[TransactionRow]) -> Iterator[str]:
    """The header line, then one line per row."""
    yield _line(header for header, _ in COLUMNS)
    for row in rows:
        yield csv_line(row)


async def csv_stream(
    rows: AsyncIterable[TransactionRow], *, bom: bool = True
) -> AsyncIterator[str]:
    """``csv_lines`` over an async iterator (``Backoffice.export``), BOM first by default."""
    header = _line(header for header, _ in COLUMNS)
    yield (BOM + header) if bom else header
    async for row in rows:
        yield csv_line(row)
