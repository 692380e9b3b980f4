"""What an endpoint may ask for: the services and the settings the app was built with.

``create_app`` puts both on ``app.state``; routers are module-level and take
them as FastAPI dependencies, e.g. ``services: ServicesDep``.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from ..services.container import Services
from ..settings import Settings
from .confirm_guard import ConfirmGuard

__all__ = [
    "ConfirmGuardDep",
    "ServicesDep",
    "SettingsDep",
    "get_confirm_guard",
    "get_services",
    "get_settings",
]


def get_services(request: Request) -> Services:
    """The app's services."""
    return cast(Services, request.app.state.services)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return cast(Settings, request.app.state.settings)


def get_confirm_guard(request: Request) -> ConfirmGuard:
    """Signs confirm URLs and checks confirm calls (built from the settings by ``create_app``)."""
    return cast(ConfirmGuard, request.app.state.confirm_guard)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ConfirmGuardDep = Annotated[ConfirmGuard, Depends(get_confirm_guard)]
