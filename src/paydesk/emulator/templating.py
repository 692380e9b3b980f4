"""Server-rendered HTML for the emulator's window and console (Jinja2, autoescaped).

Built once per app by ``create_app`` (``app.state.templates``), never at import time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

__all__ = ["Templates", "kst_label", "money_label"]

KST = timezone(timedelta(hours=9))


def money_label(amount: float, currency: str = "KRW") -> str:
    """``12,000원`` for KRW, ``12.5 USD`` otherwise."""
    if currency == "KRW":
        return f"{int(amount):,}원"
    return f"{amount:,} {currency}"


def kst_label(timestamp: float | None) -> str:
    """A unix timestamp as Korean wall time; 0 / None (i'mport's "never") as ``-``."""
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, KST).strftime("%Y-%m-%d %H:%M:%S")


class Templates:
    """The package's ``templates/`` directory, rendered to HTML responses."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("paydesk.emulator", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["money"] = money_label
        self.env.filters["kst"] = kst_label

    def render(self, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """Render template ``name`` with ``context`` as an HTML response."""
        html = self.env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
