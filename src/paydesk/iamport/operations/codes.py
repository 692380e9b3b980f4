"""Bank and card company codes (§2.12), cached, and the merchant's PG settings (§2.13)."""

from __future__ import annotations

from ..exchange import ApiRequest, Flow, Timeout, segment, timed
from ..models.codes import PgSetting, StandardCode
from .answers import exchange, parse_list

__all__ = ["bank", "bank_name", "banks", "card", "card_name", "cards", "pg_settings"]


def _listing(kind: str) -> Flow[list[StandardCode]]:
    # cache=True: the code tables change rarely; the client keeps the answer.
    envelope = yield ApiRequest(f"codes.{kind}", "GET", f"/{kind}", cache=True)
    return parse_list(StandardCode, envelope)


def _one(kind: str, code: str) -> Flow[StandardCode]:
    request = ApiRequest(
        f"codes.{kind}_one", "GET", f"/{kind}/{segment(code)}", keys={"code": code}
    )
    return exchange(request, StandardCode)


def _name(kind: str, code: str) -> Flow[str | None]:
    table = yield from _listing(kind)
    return next((entry.name for entry in table if entry.code == code), None)


def banks(*, timeout: Timeout | None = None) -> Flow[list[StandardCode]]:
    """Every KFTC bank code (``GET /banks``; cached by the client)."""
    return timed(_listing("banks"), timeout)


def bank(code: str, *, timeout: Timeout | None = None) -> Flow[StandardCode]:
    """One bank (``GET /banks/{code}``).

    Raises:
        NotFound: unknown code.
    """
    return timed(_one("banks", code), timeout)


def bank_name(code: str, *, timeout: Timeout | None = None) -> Flow[str | None]:
    """The name of a bank code from the cached ``GET /banks`` table; None if unknown."""
    return timed(_name("banks", code), timeout)


def cards(*, timeout: Timeout | None = None) -> Flow[list[StandardCode]]:
    """Every card company code (``GET /cards``; cached by the client)."""
    return timed(_listing("cards"), timeout)


def card(code: str, *, timeout: Timeout | None = None) -> Flow[StandardCode]:
    """One card company (``GET /cards/{code}``).

    Raises:
        NotFound: unknown code.
    """
    return timed(_one("cards", code), timeout)


def card_name(code: str, *, timeout: Timeout | None = None) -> Flow[str | None]:
    """The name of a card company code from the cached ``GET /cards`` table; None if unknown."""
    return timed(_name("cards", code), timeout)


def pg_settings(*, timeout: Timeout | None = None) -> Flow[list[PgSetting]]:
    """The PG channels configured for the merchant (``GET /users/pg``)."""
    return timed(_pg_settings(), timeout)


def _pg_settings() -> Flow[list[PgSetting]]:
    envelope = yield ApiRequest("users.pg", "GET", "/users/pg")
    return parse_list(PgSetting, envelope)
