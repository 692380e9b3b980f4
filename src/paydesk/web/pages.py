"""What the server's HTML surfaces share: one Jinja2 environment and the local assets.

The demo shop (``web/shop``) and the admin console (``web/admin``) render
templates from ``web/templates`` and load scripts and styles from
``/static`` (``web/static``), never from another host: the chart library and
htmx are vendored under ``/static/vendor`` with their licences.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates
from starlette.staticfiles import StaticFiles

__all__ = ["STATIC", "TEMPLATES", "install_static", "templates"]

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

#: The one template environment; autoescaping is on for .html.
templates = Jinja2Templates(directory=TEMPLATES)


def install_static(app: FastAPI) -> None:
    """Serve ``web/static`` at ``/static`` (public: scripts, styles, vendored libraries)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
