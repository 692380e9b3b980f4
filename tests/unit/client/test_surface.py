"""The declared public surface of paydesk.iamport, and the shape of both clients."""

from __future__ import annotations

import builtins
import inspect
import pydoc

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
    "banks", "bank", "bank_name", "cards", "card", "card_name", "pg_settings", "get_token",
}  # fmt: skip


def test_exported_members_are_exactly_the_declared_ones() -> None:
    public = {name for name in dir(iamport) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(iamport, name))}
    assert public - modules == set(iamport.__all__)
    assert len(iamport.__all__) == len(set(iamport.__all__))


def test_a_client_shows_only_its_operations_and_closing() -> None:
    for client, extra in ((Iamport, {"close"}), (AsyncIamport, {"aclose"})):
        public = {name for name in dir(client) if not name.startswith("_")}
        assert public == OPERATIONS | extra | {"forget_cached", "add_observer"}, public ^ (
            OPERATIONS | extra
        )


def test_signatures_and_help_show_the_real_parameters() -> None:
    for client in (Iamport, AsyncIamport):
        parameters = inspect.signature(client.cancel).parameters
        assert list(parameters)[:2] == ["self", "imp_uid"]
        assert {"checksum", "timeout", "extra"} <= set(parameters)
        assert "timeout" in inspect.signature(client.iter_payments_by_status).parameters
        text = pydoc.render_doc(client, renderer=pydoc.plaintext)
        assert "<endpoint" not in text and "<listing" not in text
        assert "cancel(self, /, imp_uid" in text and "Refund a payment" in text
    sync = Iamport("key", "secret", base_url="http://127.0.0.1:9")
    aio = AsyncIamport("key", "secret", base_url="http://127.0.0.1:9")
    try:
        assert inspect.signature(sync.payment).return_annotation == "Payment"
        assert inspect.signature(aio.payment).return_annotation == "Awaitable[Payment]"
        assert inspect.signature(aio.iter_schedules).return_annotation == (
            "AsyncIterator[ScheduleResult]"
        )
    finally:
        sync.close()


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
