"""``/docs`` and ``/redoc`` that work offline: the UI assets come from this server.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so behind a firewall
or on a train they are blank. The assets here are the ones the pinned
``fastapi-offline`` wheel ships (Swagger UI 5, ReDoc 2, MIT/Apache-2.0), served
under ``/docs/assets``; Swagger UI's online validator badge is turned off, so
the page makes no request to another host. Create the app with
``docs_url=None, redoc_url=None`` and call ``install_docs``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
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


@docs_router.get("/redoc", response_class=HTMLResponse)
async def redoc_page(request: Request) -> HTMLResponse:
    """ReDoc over our OpenAPI description."""
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - API",
        redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        with_google_fonts=False,
    )


def install_docs(app: FastAPI) -> None:
    """Serve the offline ``/docs`` and ``/redoc`` pages and their assets on ``app``."""
    app.include_router(docs_router)
    app.mount(ASSETS_PATH, StaticFiles(packages=[_ASSETS_PACKAGE]), name="docs-assets")
