"""The declared public surface of paydesk.iamport, and the shape of both clients."""

from __future__ import annotations

import builtins
import inspect

import paydesk.iamport as iamport
from paydesk.iamport import AsyncIamport, Iamport, errors
from paydesk.iamport.binding import endpoint, listing
from paydesk.iamport.surface import Operations

OPERATIONS = {
    # payments, verification, cancel, prepare
    "payment", "payments", "find_payment", "find_payments", "payments_by_status",
    "iter_payments_by_status", "iter_find_payments", "verify_payment", "cancel",
    "prepare", "update_prepared", "prepared",
    # charges, billing keys, schedules
    "pay_onetime", "pay_again", "customer", "customers", "issue_billing_key",
    "delete_billing_key", "customer_payments", "iter_customer_payments", "customer_schedules",
    "schedule", "unschedule", "schedules", "iter_schedules", "scheduled", "update_schedule",
    "reschedule", "retry_schedule", "schedules_by_customer",
    # vbanks, receipts, certifications, escrow
    "issue_vbank", "edit_vbank", "revoke_vbank", "vbank_holder", "issue_receipt", "receipt",
    "cancel_receipt", "issue_external_receipt", "external_receipt", "cancel_external_receipt",
    "certification", "delete_certification", "request_otp", "confirm_otp",
    "register_escrow_logis", "update_escrow_logis", "escrow_logis",
    # codes and settings
    "banks", "bank", "bank_name", "cards", "card", "card_name", "pg_settings",
}  # fmt: skip


def test_exported_members_are_exactly_the_declared_ones() -> None:
    public = {name for name in dir(iamport) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(iamport, name))}
    assert public - modules == set(iamport.__all__)
    assert len(iamport.__all__) == len(set(iamport.__all__))


def test_every_error_is_exported_and_none_shadows_a_builtin() -> None:
    assert set(errors.__all__) <= set(iamport.__all__)
    assert not set(errors.__all__) & set(dir(builtins))
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.IamportError)


def test_both_clients_offer_the_same_documented_operations() -> None:
    bound = {
        name: value
        for name, value in vars(Operations).items()
        if isinstance(value, endpoint | listing)
    }
    assert set(bound) == OPERATIONS
    for name, descriptor in bound.items():
        doc = descriptor.__doc__ or ""
        assert len(doc.strip()) > 20, f"{name} has no docstring"
        assert getattr(Iamport, name) is descriptor
        assert getattr(AsyncIamport, name) is descriptor


def test_a_bound_method_keeps_the_operation_signature_and_docstring() -> None:
    client = Iamport("key", "secret", base_url="http://127.0.0.1:9")
    try:
        method = client.cancel
        assert "checksum" in inspect.signature(method).parameters
        assert "checksum" in (method.__doc__ or "")
    finally:
        client.close()
