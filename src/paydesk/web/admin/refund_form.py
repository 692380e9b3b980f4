"""The order page's refund form, read and checked before anything is asked of the refunds service.

``read_refund_form(values, currency)`` turns the submitted fields into a
``RefundAsk`` (without ``requested_by``: the page sets that from the form's
key), or the label keys of what is wrong. The holder's phone (``refund_tel``)
goes with the account, or on its own where the PG needs it without one (old
smartro's card cancels). It checks the shape of each field only; the money
rules (the balance, tax-free and VAT parts, the PG's rules) are the refunds
service's, which refuses before anything is recorded or sent.

Every form carries a random ``form_key`` (``new_form_key``): submitting the
same form twice is one refund (see ``orders.ask_refund``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from ...core.money import Money
from ...core.pg_rules import REFUND_TEL_PATTERN, domestic_tel
from ...services.refunds import RefundAsk
from ...store.ledger_records import RefundAccount

__all__ = [
    "ACCOUNT_FIELDS",
    "FIELDS",
    "FORM_KEY",
    "RefundForm",
    "new_form_key",
    "read_account_form",
    "read_refund_form",
    "read_tel_form",
]

#: The refund account's fields (also the form that gives a waiting refund its account).
ACCOUNT_FIELDS = ("refund_holder", "refund_bank", "refund_account", "refund_tel")
#: The form's fields, as named in the HTML.
FIELDS = ("amount", "reason", "tax_free", "vat_amount", *ACCOUNT_FIELDS)
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_MONEY = re.compile(r"[0-9]{1,13}")
_BANK = re.compile(r"[0-9A-Za-z]{2,4}")
_ACCOUNT = re.compile(r"[0-9-]{6,20}")
_TEL = re.compile(REFUND_TEL_PATTERN)
_MAX = 10**12


@dataclass(frozen=True)
class RefundForm:
    """A refund form as read: the request, or what is wrong (label keys)."""

    values: dict[str, str]  # the fields as typed, to show the form again
    ask: RefundAsk | None
    errors: list[str]


def new_form_key() -> str:
    """A fresh key for one rendering of the form."""
    return secrets.token_urlsafe(24)


def _amount(text: str, *, least: int) -> int:
    plain = text.replace(",", "").replace("_", "")
    if not _MONEY.fullmatch(plain) or not least <= int(plain) <= _MAX:
        raise ValueError(text)
    return int(plain)


def _money(text: str, currency: str, *, least: int) -> Money | None:
    if not text:
        return None
    return Money(_amount(text, least=least), currency)


def _tel(values: Mapping[str, str], errors: list[str]) -> str | None:
    """The holder's phone as typed (spaces dropped), None when blank."""
    tel = domestic_tel(values.get("refund_tel", ""))
    if tel and not _TEL.fullmatch(tel):
        errors.append("refund.error.tel")
    return tel or None


def _account(values: dict[str, str], tel: str | None, errors: list[str]) -> RefundAccount | None:
    """The refund account, with ``tel`` (the phone read by ``_tel``); None when no account
    field is filled (a phone alone is the ask's ``tel``)."""
    holder, bank = values["refund_holder"], values["refund_bank"]
    number = values["refund_account"].replace(" ", "")
    if not (holder or bank or number):
        return None
    if not (holder and len(holder) <= 16 and holder.isprintable() and _BANK.fullmatch(bank)
            and _ACCOUNT.fullmatch(number)):  # fmt: skip
        errors.append("refund.error.account")
    if errors:
        return None
    return RefundAccount(holder, bank, number.replace("-", ""), tel)


def read_account_form(form: Mapping[str, str]) -> tuple[RefundAccount | None, list[str]]:
    """The account of the form that gives a refund waiting for one its account, or what is
    wrong (label keys)."""
    values = {name: str(form.get(name, "")).strip()[:300] for name in ACCOUNT_FIELDS}
    errors: list[str] = []
    account = _account(values, _tel(values, errors), errors)
    if account is None and not errors:
        errors.append("refund.error.account")
    return account, errors


def read_tel_form(form: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """The phone of the form that gives a refund waiting for the holder's phone its phone,
    or what is wrong (label keys)."""
    errors: list[str] = []
    tel = _tel({"refund_tel": str(form.get("refund_tel", "")).strip()[:300]}, errors)
    if tel is None and not errors:
        errors.append("refund.error.tel")
    return (None if errors else tel), errors


def read_refund_form(form: Mapping[str, str], currency: str) -> RefundForm:
    """The refund asked for by ``form`` (see the module), in ``currency``."""
    values = {name: str(form.get(name, "")).strip()[:300] for name in FIELDS}
    errors: list[str] = []
    reason = values["reason"]
    if not reason or len(reason) > 256 or not reason.isprintable():
        errors.append("refund.error.reason")
    parts: dict[str, Money | None] = {}
    try:
        parts["amount"] = _money(values["amount"], currency, least=1)
    except ValueError:
        errors.append("refund.error.amount")
    try:
        parts["tax_free"] = _money(values["tax_free"], currency, least=0)
        parts["vat_amount"] = _money(values["vat_amount"], currency, least=0)
    except ValueError:
        errors.append("refund.error.part")
    account_errors: list[str] = []
    tel = _tel(values, account_errors)
    account = _account(values, tel, account_errors)
    errors += account_errors
    if errors:
        return RefundForm(values, None, errors)
    ask = RefundAsk(reason, parts["amount"], parts["tax_free"], parts["vat_amount"], account,
                    tel=tel)  # fmt: skip
    return RefundForm(values, ask, [])
