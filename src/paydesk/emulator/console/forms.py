"""What the emulator console's HTML forms mean, as plain functions.

The console posts flat form fields; these turn them into the objects the
gateway understands (a console ``CancelRequest``, an updated ``Merchant``,
a ``Fault``) or raise ``ValueError`` with a message for the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from ..faults import Fault
from ..gateway.merchants import DELIVERY_PRESETS, DeliveryPolicy, Merchant
from ..gateway.params import normalize_amount
from ..gateway.refunds import CancelRequest

__all__ = [
    "cancel_request",
    "fault_from_form",
    "merchant_with_settings",
    "optional_number",
    "parse_moment",
]

KST = timezone(timedelta(hours=9))
_POLICY_FIELDS = tuple(DeliveryPolicy.model_fields)


def optional_number(form: dict[str, str], name: str) -> float | None:
    """A number field; blank means absent."""
    text = (form.get(name) or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}: 숫자를 입력해주세요 ({text})") from None


def _text(form: dict[str, str], name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def cancel_request(form: dict[str, str]) -> CancelRequest:
    """A console cancel: blank amount cancels the whole balance."""
    amount = optional_number(form, "amount")
    return CancelRequest(
        amount=normalize_amount(amount) if amount else None,
        tax_free=_amount(form, "tax_free"),
        vat_amount=_amount(form, "vat_amount"),
        reason=_text(form, "reason"),
        refund_holder=_text(form, "refund_holder"),
        refund_bank=_text(form, "refund_bank"),
        refund_account=_text(form, "refund_account"),
        refund_tel=_text(form, "refund_tel"),
    )


def _amount(form: dict[str, str], name: str) -> int | float | None:
    value = optional_number(form, name)
    return None if value is None else normalize_amount(value)


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def merchant_with_settings(merchant: Merchant, form: dict[str, str]) -> Merchant:
    """``merchant`` with the settings form applied (webhook, confirm, delivery policy)."""
    policy: dict[str, Any] = merchant.delivery.model_dump()
    policy.update({k: form[k] for k in _POLICY_FIELDS if (form.get(k) or "").strip()})
    preset = (form.get("delivery_preset") or "").strip()
    if preset:  # a preset replaces the policy fields of the form
        if preset not in DELIVERY_PRESETS:
            raise ValueError(f"unknown delivery preset {preset!r}")
        policy = DeliveryPolicy.preset(preset).model_dump()
    update: dict[str, Any] = {
        "webhook_url": _text(form, "webhook_url"),
        "webhook_content_type": form.get("webhook_content_type") or merchant.webhook_content_type,
        "confirm_enabled": form.get("confirm_enabled") == "on",
    }
    try:
        delivery = DeliveryPolicy.model_validate(policy)
        return Merchant.model_validate({**merchant.model_dump(), **update, "delivery": delivery})
    except ValidationError as exc:
        raise ValueError(_errors(exc)) from None


def fault_from_form(form: dict[str, str]) -> Fault:
    """A fault rule from the console's fault form."""
    data: dict[str, Any] = {k: v for k, v in form.items() if v.strip()}
    try:
        return Fault.model_validate(data)
    except ValidationError as exc:
        raise ValueError(_errors(exc)) from None


def parse_moment(text: str) -> float:
    """A unix timestamp, or ``YYYY-MM-DD HH:MM[:SS]`` in Korean time."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=KST).timestamp()
        except ValueError:
            continue
    raise ValueError(f"시각을 이해할 수 없습니다: {text} (unix 초 또는 YYYY-MM-DD HH:MM)")
