"""Code lookups: ``GET /banks``, ``GET /banks/{code}``, ``GET /cards``, ``GET /cards/{code}``.

Each answers ``StandardCodeAnnotation`` objects (``{code, name}``) from the
tables in ``code_tables``; an unknown code is a 404, as the spec documents.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..gateway.code_tables import BANKS, CARDS
from ..gateway.errors import ApiFault
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()

UNKNOWN_BANK = "존재하지 않는 은행코드입니다. ({code})"
UNKNOWN_CARD = "존재하지 않는 카드사코드입니다. ({code})"


def _listing(table: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in table.items()]


def _one(table: Mapping[str, str], code: str, message: str) -> dict[str, str]:
    name = table.get(code)
    if name is None:
        raise ApiFault(404, message.format(code=code))
    return {"code": code, "name": name}


@routes.op("GET", "/banks")
def all_banks(call: Call) -> list[dict[str, str]]:
    """Every KFTC bank code."""
    return _listing(BANKS)


@routes.op("GET", "/banks/{bank_standard_code}")
def one_bank(call: Call) -> dict[str, str]:
    """One bank by KFTC code; 404 when unknown."""
    return _one(BANKS, call.path["bank_standard_code"], UNKNOWN_BANK)


@routes.op("GET", "/cards")
def all_cards(call: Call) -> list[dict[str, str]]:
    """Every card company code."""
    return _listing(CARDS)


@routes.op("GET", "/cards/{card_standard_code}")
def one_card(call: Call) -> dict[str, str]:
    """One card company by code; 404 when unknown."""
    return _one(CARDS, call.path["card_standard_code"], UNKNOWN_CARD)
