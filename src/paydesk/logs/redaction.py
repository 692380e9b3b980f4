"""Masks secrets and buyer data in log records, whichever logger made them, at any level.

A ``Redactor`` sits on the handler, so it sees every record that reaches the
output: ours, the client's, uvicorn's access log, the database driver's. It
renders the message with its arguments, then masks:

- the configured secret values themselves (``PAYDESK_SECRET_KEY``, the i'mport
  secret, the metrics token, ...), wherever they appear;
- our API keys (``pdk_…``), ``Bearer``/``Basic`` credentials, and the value of
  any field named like a secret (``token=`` of a signed ``confirm_url``,
  ``access_token``, ``imp_secret``, ``card_number``, ``password`` ...);
- buyer data: the value of fields that hold it (``buyer_email``, ``buyer_tel``,
  ``buyer_addr``, ``buyer_name``, a whole ``buyer`` object ...), and anything
  that reads as an e-mail address, a Korean phone number or a card number
  (13–19 digits passing the Luhn check), whatever its field.

A few loggers print raw SQL parameters or result rows at DEBUG with nothing to
tell a name from a product: those records are dropped (``UNREADABLE_DEBUG``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["MASK", "UNREADABLE_DEBUG", "Redactor", "luhn_valid", "redact"]

MASK = "[REDACTED]"

#: Loggers whose DEBUG records are bound parameters or rows, positional: dropped whole.
UNREADABLE_DEBUG = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.orm")

_SECRET_KEYS = (
    "token", "access_token", "refresh_token", "imp_secret", "imp_key_secret", "secret",
    "secret_key", "api_key", "pg_api_key", "password", "passwd", "authorization", "cookie",
    "set-cookie", "card_number", "card_no", "cvc", "cvv", "pwd_2digit", "expiry", "birth",
    "identifier", "signature", "sig",
)  # fmt: skip
_PII_KEYS = (
    "buyer", "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode",
    "customer_name", "customer_email", "customer_tel", "customer_addr", "customer_postcode",
    "refund_holder", "refund_account", "refund_tel", "bank_num", "vbank_num", "email",
    "tel", "phone", "addr", "address", "postcode",
)  # fmt: skip
_KEYS = "|".join(re.escape(k) for k in sorted({*_SECRET_KEYS, *_PII_KEYS}, key=len, reverse=True))

# key = value / "key": "value" / 'key': {...} — the value up to its end (quoted, an object,
# or a bare run up to a separator); the key must stand alone (not "order_token").
_FIELD = re.compile(
    rf"""(?P<key>(?<![\w-])["']?(?:{_KEYS})["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\{[^{}]*\}|[^\s,&;)\]}"']+)""",
    re.IGNORECASE,
)
_API_KEY = re.compile(r"pdk_[A-Za-z0-9_-]{4,}")
_CREDENTIAL = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(
    r"(?<![\w.-])(?:(?:\+82[ -]?|0)1[016789][ .-]?\d{3,4}[ .-]?\d{4}"
    r"|0\d{1,2}-\d{3,4}-\d{4})(?![\w-])"
)
_DIGITS = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")


def luhn_valid(digits: str) -> bool:
    """Whether the digit string passes the Luhn check (as every card number does)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _masked_field(match: re.Match[str]) -> str:
    value = match["value"]
    if value[0] in "\"'":
        return f"{match['key']}{value[0]}{MASK}{value[0]}"
    if value.startswith("{"):
        return match["key"] + "{" + MASK + "}"
    return match["key"] + MASK


def _masked_card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match[0])
    return "[CARD]" if luhn_valid(digits) else match[0]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret and piece of buyer data masked (see the module)."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _API_KEY.sub("pdk_" + MASK, text)
    text = _CREDENTIAL.sub(lambda m: f"{m[1]} {MASK}", text)
    text = _FIELD.sub(_masked_field, text)
    text = _EMAIL.sub("[EMAIL]", text)
    text = _PHONE.sub("[PHONE]", text)
    return _DIGITS.sub(_masked_card, text)


class Redactor(logging.Filter):
    """A handler filter: renders each record's message and masks it (see the module).

    ``secrets`` are exact values to mask wherever they appear (at least 4 characters).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))
        self._exceptions = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG and record.name.startswith(UNREADABLE_DEBUG):
            return False
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what can be shown, masked
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message, self._secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True
