"""The client's methods: every operation, declared once for ``Iamport`` and ``AsyncIamport``.

Each line binds a pure operation (``operations/``) as a method; its docstring,
arguments, result and errors are the operation's.  On ``AsyncIamport`` every
method returns an awaitable and every ``iter_*`` method an async iterator.
"""

from __future__ import annotations

from .binding import endpoint, listing
from .operations import auth as auth_ops
from .operations import billing_keys as billing_keys_ops
from .operations import cancel as cancel_ops
from .operations import certifications as certifications_ops
from .operations import charges as charges_ops
from .operations import codes as codes_ops
from .operations import escrows as escrows_ops
from .operations import listings as listings_ops
from .operations import payments as payments_ops
from .operations import prepare as prepare_ops
from .operations import receipts as receipts_ops
from .operations import schedules as schedules_ops
from .operations import vbanks as vbanks_ops
from .operations import verification as verification_ops

__all__ = ["Operations"]


class Operations:
    """Every i'mport V1 operation the client offers, grouped as in the reference."""

    # payments (§2.2)
    payment = endpoint(payments_ops.payment)
    payments = endpoint(payments_ops.payments)
    find_payment = endpoint(payments_ops.find_payment)
    find_payments = endpoint(payments_ops.find_payments)
    payments_by_status = endpoint(payments_ops.payments_by_status)
    iter_payments_by_status = listing(listings_ops.iter_payments_by_status)
    iter_find_payments = listing(listings_ops.iter_find_payments)
    verify_payment = endpoint(verification_ops.verify_payment)
    # cancel (§2.3, §4)
    cancel = endpoint(cancel_ops.cancel)
    # prepare (§2.4)
    prepare = endpoint(prepare_ops.prepare)
    update_prepared = endpoint(prepare_ops.update_prepared)
    prepared = endpoint(prepare_ops.prepared)
    # charges without a window (§2.5)
    pay_onetime = endpoint(charges_ops.pay_onetime)
    pay_again = endpoint(charges_ops.pay_again)
    # billing keys (§2.7)
    customer = endpoint(billing_keys_ops.customer)
    customers = endpoint(billing_keys_ops.customers)
    issue_billing_key = endpoint(billing_keys_ops.issue_billing_key)
    delete_billing_key = endpoint(billing_keys_ops.delete_billing_key)
    customer_payments = endpoint(billing_keys_ops.customer_payments)
    iter_customer_payments = listing(listings_ops.iter_customer_payments)
    customer_schedules = endpoint(billing_keys_ops.customer_schedules)
    # schedules (§2.6)
    schedule = endpoint(schedules_ops.schedule)
    unschedule = endpoint(schedules_ops.unschedule)
    schedules = endpoint(schedules_ops.schedules)
    iter_schedules = listing(listings_ops.iter_schedules)
    scheduled = endpoint(schedules_ops.scheduled)
    update_schedule = endpoint(schedules_ops.update_schedule)
    reschedule = endpoint(schedules_ops.reschedule)
    retry_schedule = endpoint(schedules_ops.retry_schedule)
    schedules_by_customer = endpoint(schedules_ops.schedules_by_customer)
    # virtual accounts (§2.8)
    issue_vbank = endpoint(vbanks_ops.issue_vbank)
    edit_vbank = endpoint(vbanks_ops.edit_vbank)
    revoke_vbank = endpoint(vbanks_ops.revoke_vbank)
    vbank_holder = endpoint(vbanks_ops.vbank_holder)
    # cash receipts (§2.9)
    issue_receipt = endpoint(receipts_ops.issue_receipt)
    receipt = endpoint(receipts_ops.receipt)
    cancel_receipt = endpoint(receipts_ops.cancel_receipt)
    issue_external_receipt = endpoint(receipts_ops.issue_external_receipt)
    external_receipt = endpoint(receipts_ops.external_receipt)
    cancel_external_receipt = endpoint(receipts_ops.cancel_external_receipt)
    # identity verification (§2.10)
    certification = endpoint(certifications_ops.certification)
    delete_certification = endpoint(certifications_ops.delete_certification)
    request_otp = endpoint(certifications_ops.request_otp)
    confirm_otp = endpoint(certifications_ops.confirm_otp)
    # escrow delivery (§2.11)
    register_escrow_logis = endpoint(escrows_ops.register_escrow_logis)
    update_escrow_logis = endpoint(escrows_ops.update_escrow_logis)
    escrow_logis = endpoint(escrows_ops.escrow_logis)
    # codes and merchant settings (§2.12, §2.13)
    banks = endpoint(codes_ops.banks)
    bank = endpoint(codes_ops.bank)
    bank_name = endpoint(codes_ops.bank_name)
    cards = endpoint(codes_ops.cards)
    card = endpoint(codes_ops.card)
    card_name = endpoint(codes_ops.card_name)
    pg_settings = endpoint(codes_ops.pg_settings)
    # access tokens (§1.2): checking credentials and i'mport's clock
    get_token = endpoint(auth_ops.get_token)
