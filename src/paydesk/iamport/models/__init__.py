"""Pydantic models of the i'mport V1 wire objects, one module per object."""

from __future__ import annotations

from .certification import Certification, OtpRequest
from .codes import PgSetting, StandardCode, VbankHolder
from .customer import Customer, CustomerBatch, FailedChannel, SucceededChannel
from .escrow import EscrowLogis, EscrowParty, EscrowProduct, EscrowShipment
from .money import Money
from .payment import CancelEntry, Payment, PaymentBatch, PaymentPage, Promotion, VbankDeposit
from .prepare import Prepared
from .receipt import ExternalReceipt, Receipt
from .schedule import ScheduleEntry, SchedulePage, ScheduleResult
from .token import Token
from .wire import Amount, Timestamp, WireModel

__all__ = [
    "Amount",
    "CancelEntry",
    "Certification",
    "Customer",
    "CustomerBatch",
    "EscrowLogis",
    "EscrowParty",
    "EscrowProduct",
    "EscrowShipment",
    "ExternalReceipt",
    "FailedChannel",
    "Money",
    "OtpRequest",
    "Payment",
    "PaymentBatch",
    "PaymentPage",
    "PgSetting",
    "Prepared",
    "Promotion",
    "Receipt",
    "ScheduleEntry",
    "SchedulePage",
    "ScheduleResult",
    "StandardCode",
    "SucceededChannel",
    "Timestamp",
    "Token",
    "VbankDeposit",
    "VbankHolder",
    "WireModel",
]
