"""``/docs`` that works offline: the Swagger UI assets come from this server.

FastAPI's own page loads Swagger UI from a CDN, so behind a firewall or on a
train it is blank. The assets here are the ones the pinned ``fastapi-offline``
wheel ships (Swagger UI 5, Apache-2.0, in an MIT-licensed wheel), served under
``/docs/assets``; Swagger UI's online validator badge is turned off, so the
page makes no request to another host. ReDoc is not offered: its page fetches
its logo from redocly's CDN whatever it is told. Create the app with
``docs_url=None, redoc_url=None`` and call ``install_docs``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "docs_router", "install_docs"]

ASSETS_PATH = "/docs/assets"
_ASSETS_PACKAGE = ("fastapi_offline", "static")

docs_router = APIRouter(include_in_schema=False)


def _openapi_url(request: Request) -> str:
    root = request.scope.get("root_path", "")
    return f"{root}{request.app.openapi_url}"


@docs_router.get("/docs", response_class=HTMLResponse)
async def swagger_page(request: Request) -> HTMLResponse:
    """Swagger UI over our OpenAPI description; "Authorize" takes an API key."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - API",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
    )


def install_docs(app: FastAPI) -> None:
    """Serve the offline ``/docs`` page and its assets on ``app``."""
    app.include_router(docs_router)
    app.mount(ASSETS_PATH, StaticFiles(packages=[_ASSETS_PACKAGE]), name="docs-assets")
