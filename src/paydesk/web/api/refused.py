"""Problem documents for the services of receipts, identities and escrow.

``Refused`` keeps its status and names its ``rule``; ``NotOnRecord`` is a 404;
``Unreachable`` (i'mport could not be asked, or gave no answer) is a 503 with
``Retry-After``: nothing is concluded, asking again (or ``refresh``) settles it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from ...services.errors import NotOnRecord, ProductNotFound, Unreachable
from ...services.refusals import Refused
from ..problems import Problem

__all__ = ["answered", "problems"]

T = TypeVar("T")


class problems:
    """Turns the services' errors raised inside the block into problem documents."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        if isinstance(error, Refused):
            raise Problem(error.status, "Refused", error.message, rule=error.rule) from error
        if isinstance(error, NotOnRecord | ProductNotFound):
            raise Problem(404, "Not found", f"No such record: {error.args[0]}.") from error
        if isinstance(error, Unreachable):
            raise Problem(503, "i'mport unavailable", str(error),
                          headers={"Retry-After": "5"}) from error  # fmt: skip


async def answered(work: Awaitable[T]) -> T:
    """``await work`` with the services' errors as problem documents."""
    with problems():
        return await work
