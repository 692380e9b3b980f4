"""``POST /shop/identity``: after ``IMP.certification``, store who the buyer is.

The page sends only the certification's ``imp_uid``; the result is read from
i'mport (``Identities.verify``), never from the browser, and stored for the
buyer of the cookie. An age-gated product's order then passes the age gate
only if that identity is old enough (``services.identity.gate_order``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...services.errors import TryLater
from ...services.refusals import Refused
from ..deps import ServicesDep
from ..problems import Problem
from .buyer import buyer_id, customer_ref
from .guard import SHOP_WRITE

__all__ = ["CertifiedIn", "router"]

router = APIRouter(include_in_schema=False)

_REFUSED = {
    "certification_not_found": "본인인증 결과를 찾을 수 없습니다.",
    "certification_not_certified": "본인인증이 완료되지 않았습니다.",
    "certification_stale": "본인인증 시간이 지났습니다. 다시 인증해주세요.",
    "certification_used": "이미 다른 고객의 본인인증에 쓰인 결과입니다.",
}


class CertifiedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imp_uid: Annotated[str, Field(pattern=r"^imp_[0-9A-Za-z]{1,28}$")]


@router.post("/shop/identity", dependencies=[SHOP_WRITE])
async def certified(request: Request, body: CertifiedIn, services: ServicesDep) -> JSONResponse:
    """Store the certification ``imp_uid`` as the buyer's verified identity."""
    buyer = buyer_id(request)
    if buyer is None:
        raise Problem(400, "No buyer", "페이지를 새로 고친 뒤 다시 시도해주세요.")
    try:
        verified = await services.identities.verify(customer_ref(buyer), body.imp_uid)
    except Refused as refused:
        raise Problem(refused.status, "Identity refused",
                      _REFUSED.get(refused.rule, refused.message), rule=refused.rule) from None  # fmt: skip
    except TryLater:
        raise Problem(503, "i'mport unavailable", "잠시 후 다시 시도해주세요.",
                      headers={"Retry-After": "5"}) from None  # fmt: skip
    return JSONResponse({"verified": True, "adult": verified.identity.adult})
