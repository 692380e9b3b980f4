"""``Refused``: a request the rules do not allow, for receipts, identities and escrow.

Like ``RefundRefused``: ``rule`` names the rule (stable, for programs), ``status``
is the HTTP status the API answers with, and nothing was changed or sent.
"""

from __future__ import annotations

from typing import Any

from .errors import ServiceError

__all__ = ["Refused"]


class Refused(ServiceError):
    """Refused by a rule; nothing was recorded or sent (or, for i'mport's own refusals, kept)."""

    def __init__(self, rule: str, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        return (_refused, (self.rule, self.message, self.status))


def _refused(rule: str, message: str, status: int) -> Refused:
    return Refused(rule, message, status=status)
