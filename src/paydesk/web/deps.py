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


# As dependencies, coroutine functions: FastAPI runs a plain function in a worker
# thread, which costs more than everything these do.
async def _services(request: Request) -> Services:
    return get_services(request)


async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _confirm_guard(request: Request) -> ConfirmGuard:
    return get_confirm_guard(request)


ServicesDep = Annotated[Services, Depends(_services)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ConfirmGuardDep = Annotated[ConfirmGuard, Depends(_confirm_guard)]
