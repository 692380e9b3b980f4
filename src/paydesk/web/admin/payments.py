"""The transaction search (``/admin/payments``) and its CSV export (``/admin/payments.csv``).

Both read the same GET filters (``backoffice.parse_filters``: imp_uid,
merchant_uid, approval number, pg_tid, buyer, status, method, attention,
dates); a filter that does not parse is a ``400`` page that says which and
why, never an error. Values are bound as SQL parameters by the store, so
whatever is typed is searched as plain text. The page links keep the filters.

The export streams every matching row (``backoffice.export``, read by key in
chunks) as CSV with a UTF-8 byte-order mark, formula-looking cells guarded
(``services.transaction_csv``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.responses import Response

from ...core.orders import OrderStatus
from ...services.backoffice import FILTER_FIELDS, parse_filters
from ...services.errors import InvalidFilters
from ...services.transaction_csv import KST, csv_stream
from ...store.backoffice import ATTENTION
from ..deps import ServicesDep
from .i18n import code_labels, translator
from .rendering import apply_headers, render
from .session import Staff, StaffDep

__all__ = ["PER_PAGE", "router"]

log = logging.getLogger(__name__)
router = APIRouter()
PER_PAGE = 50  # rows per page, unless ``per_page`` (1..100) says otherwise
MAX_PAGE = 100_000
METHODS = ("card", "trans", "vbank", "phone", "point")


@router.get("/payments")
async def payments_page(request: Request, staff: StaffDep, services: ServicesDep) -> HTMLResponse:
    """The search form and one page of results."""
    params = request.query_params
    form = _form(params)
    try:
        filters = parse_filters(params)
        number = _number(params.get("page"), "page", 1, MAX_PAGE, default=1)
        size = _number(params.get("per_page"), "per_page", 1, 100, default=PER_PAGE)
    except InvalidFilters as bad:
        return _render(request, staff, form, None, error=str(bad))
    if size != PER_PAGE:
        form["per_page"] = str(size)
    results = await services.backoffice.search(filters, number, size)
    return _render(request, staff, form, results)


@router.get("/payments.csv")
async def payments_csv(request: Request, staff: StaffDep, services: ServicesDep) -> Response:
    """Every matching transaction as a CSV download."""
    try:
        filters = parse_filters(request.query_params)
    except InvalidFilters as bad:
        return _render(request, staff, _form(request.query_params), None, error=str(bad))
    stamp = services.clock.now().astimezone(KST).strftime("%Y%m%d-%H%M%S")
    log.info("staff user %s exported transactions", staff.username)
    response = StreamingResponse(
        csv_stream(services.backoffice.export(filters)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="paydesk-payments-{stamp}.csv"'},
    )  # fmt: skip
    apply_headers(response)
    return response


def _form(params: Mapping[str, str]) -> dict[str, str]:
    return {name: params.get(name, "")[:200] for name in FILTER_FIELDS}


def _number(value: str | None, name: str, least: int, most: int, *, default: int) -> int:
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or not least <= int(value) <= most:
        raise InvalidFilters(f"{name}: expected a number from {least} to {most}")
    return int(value)


def _query(form: Mapping[str, str], **extra: Any) -> str:
    """The filters (those given) as a query string, with ``extra``."""
    given = {name: value for name, value in form.items() if value.strip()}
    return urlencode({**given, **extra})


def _render(
    request: Request, staff: Staff, form: dict[str, str], results: Any, *, error: str | None = None
) -> HTMLResponse:
    t = translator(staff.lang)
    context = {
        "form": form, "results": results,
        "error": f"{t('payments.bad_filter')}: {error}" if error else None,
        "statuses": [s.value for s in OrderStatus], "methods": METHODS, "attentions": ATTENTION,
        "page_query": lambda n: _query(form, page=n), "export_query": _query(form),
        "code_label": code_labels(t),
    }  # fmt: skip
    status_code = 400 if error else 200
    return render(request, staff, "admin/payments.html", context, status_code=status_code)
