"""What an endpoint may ask for: the services and the settings the app was built with.

``create_app`` puts both on ``app.state``; routers are module-level and take
them as FastAPI dependencies, e.g. ``services: ServicesDep``.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from ..services.container import Services
from ..settings import Settings

__all__ = ["ServicesDep", "SettingsDep", "get_services", "get_settings"]


def get_services(request: Request) -> Services:
    """The app's services."""
    return cast(Services, request.app.state.services)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return cast(Settings, request.app.state.settings)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
