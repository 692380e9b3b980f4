"""Escrow: report the delivery of an escrow payment, and learn what the buyer decided.

``register`` (and ``update``) sends the shipment to i'mport (``/escrows/logis``)
after checking, before anything is sent, that the payment is ours, is an escrow
payment (as i'mport reports it, not as we assume) and is paid, and that its PG
takes deliveries through the API. A refusal names its rule (``Refused``).

``apply_event`` is the work of a stored ``Inicis.Escrow.Changed`` webhook: the
payment is looked up at i'mport (the event carries no signature: it must name
a real escrow payment of ours), and the status replaces ours only when it
changed later than the one we have, so duplicates and late deliveries change
nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from ..core.clock import Clock
from ..core.escrow import (
    COURIERS,
    ESCROW_EDIT_PGS,
    ESCROW_EVENT,
    ESCROW_PGS,
    EscrowStatus,
    escrow_status,
    newer,
)
from ..iamport import (
    ApiError,
    EscrowLogis,
    EscrowParty,
    EscrowProduct,
    EscrowShipment,
    IamportError,
    NotFound,
    NotSent,
    Payment,
)
from ..store import UnitsOfWork
from ..store.escrows import EscrowRecord, Shipment
from ..store.ledger_records import InboxRecord
from .errors import NotOnRecord, Unreachable
from .iamport_methods import EscrowApi
from .iamport_port import PaymentsApi
from .refusals import Refused

__all__ = ["Delivery", "Escrows", "event_fields"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """The shipment to report: who sends, who receives, the courier and invoice."""

    sender: EscrowParty
    receiver: EscrowParty
    company: str
    invoice: str
    sent_at: datetime
    receiving_at: str | None = None
    address: str | None = None
    products: Sequence[EscrowProduct] = ()

    def shipment(self) -> EscrowShipment:
        return EscrowShipment(company=self.company, invoice=self.invoice, sent_at=self.sent_at,
                              receiving_at=self.receiving_at, address=self.address)  # fmt: skip


def event_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """The fields of an event webhook, JSON or form (``extra[escrow_status]=…``), nested."""
    try:
        if content_type.startswith("application/json"):
            loaded = json.loads(body)
            return loaded if isinstance(loaded, dict) else {}
        fields: dict[str, Any] = {}
        for key, value in parse_qsl(body.decode(), keep_blank_values=True):
            outer, bracket, inner = key.partition("[")
            if bracket and inner.endswith("]"):
                nested = fields.setdefault(outer, {})
                if isinstance(nested, dict):
                    nested[inner[:-1]] = value
            else:
                fields[key] = value
        return fields
    except (ValueError, UnicodeDecodeError):
        return {}


def _instant(value: Any) -> datetime | None:
    """``changed_at``: unix seconds (number or digits) or ISO 8601."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Escrows:
    """Escrow deliveries and their status."""

    def __init__(
        self, database: UnitsOfWork, clock: Clock, payments: PaymentsApi, api: EscrowApi
    ) -> None:
        self._db = database
        self._clock = clock
        self._payments = payments
        self._api = api

    async def register(
        self, imp_uid: str, delivery: Delivery, *, update: bool = False
    ) -> EscrowRecord:
        """Register (``update``: change) the delivery of escrow payment ``imp_uid``.

        Raises ``NotOnRecord`` (not our payment), ``Refused`` (a rule, or
        i'mport's refusal) and ``Unreachable``.
        """
        if delivery.company not in COURIERS:
            raise Refused("unknown_courier", f"Unknown courier code {delivery.company!r}; "
                          f"use one of {', '.join(sorted(COURIERS))}.")  # fmt: skip
        async with self._db.reading() as uow:
            ours = await uow.payments.get(imp_uid)
            current = await uow.escrows.get(imp_uid)
        if ours is None:
            raise NotOnRecord(f"payment {imp_uid}")
        payment = await self._fetch(imp_uid)
        self._check(payment, update, current)
        try:
            answer = await self._api.register_escrow(
                imp_uid, sender=delivery.sender, receiver=delivery.receiver,
                logis=delivery.shipment(), products=list(delivery.products) or None, update=update,
            )  # fmt: skip
        except NotSent as error:
            raise Unreachable("i'mport could not be reached; nothing was registered") from error
        except ApiError as error:
            answer = await self._adopt_after_refusal(imp_uid, delivery, error, update)
        except IamportError as error:  # sent, no answer: is it there?
            answer = await self._reconcile(imp_uid, delivery, error)
        shipment = Shipment(answer.company or delivery.company, answer.invoice or delivery.invoice,
                            answer.sent_at or delivery.sent_at,
                            delivery.sender.model_dump(exclude_none=True),
                            delivery.receiver.model_dump(exclude_none=True),
                            answer.applied_at)  # fmt: skip
        async with self._db.transaction() as uow:
            return await uow.escrows.put_shipment(imp_uid, ours.order_id, shipment,
                                                  EscrowStatus.REGISTERED.value,
                                                  self._clock.now())  # fmt: skip

    def _check(self, payment: Payment, update: bool, current: EscrowRecord | None) -> None:
        if not payment.escrow:
            raise Refused("not_escrow", f"Payment {payment.imp_uid} is not an escrow payment: "
                          "there is no delivery to report.", status=409)  # fmt: skip
        pg = payment.pg_provider or ""
        if pg not in (ESCROW_EDIT_PGS if update else ESCROW_PGS):
            action = "changed" if update else "registered"
            raise Refused("pg_without_escrow_api",
                          f"{pg or 'This PG'}'s escrow deliveries cannot be {action} through "
                          "i'mport's API.")  # fmt: skip
        if payment.status != "paid":
            raise Refused("payment_not_paid", f"Payment {payment.imp_uid} is {payment.status}: "
                          "only a paid escrow payment ships.", status=409)  # fmt: skip
        registered = current is not None and current.shipment is not None
        if not update and registered:
            raise Refused("delivery_already_registered", "The delivery is already registered: "
                          "change it with PUT.", status=409)  # fmt: skip

    async def _adopt_after_refusal(
        self, imp_uid: str, delivery: Delivery, error: ApiError, update: bool
    ) -> EscrowLogis:
        """i'mport refused; if it refused a register because that very delivery is there
        (our earlier answer was lost), adopt it; otherwise pass the refusal on."""
        if not update and error.http_status == 409:
            try:
                found = await self._api.escrow_logis(imp_uid)
            except IamportError:
                found = None
            if found is not None and found.invoice == delivery.invoice:
                return found
        status = 409 if error.http_status == 409 else 422
        raise Refused("iamport_refused", f"i'mport refused the delivery: {error}",
                      status=status) from error  # fmt: skip

    async def _reconcile(
        self, imp_uid: str, delivery: Delivery, error: IamportError
    ) -> EscrowLogis:
        try:
            found = await self._api.escrow_logis(imp_uid)
        except IamportError as again:
            raise Unreachable("no answer from i'mport about the delivery") from again
        if found.invoice != delivery.invoice:
            raise Unreachable("i'mport's answer was lost and it does not show this delivery yet")
        return found

    async def _fetch(self, imp_uid: str) -> Payment:
        try:
            return await self._payments.fetch(imp_uid)
        except NotFound as missing:
            raise NotOnRecord(f"payment {imp_uid} at i'mport") from missing
        except IamportError as error:
            raise Unreachable("i'mport could not be asked about the payment") from error

    async def view(self, imp_uid: str) -> EscrowRecord:
        """Our record of the payment's escrow; raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            found = await uow.escrows.get(imp_uid)
        if found is None:
            raise NotOnRecord(f"escrow {imp_uid}")
        return found

    async def listing(self, *, limit: int = 50, offset: int = 0) -> list[EscrowRecord]:
        """Our escrow records, the latest changed first, one page at a time."""
        async with self._db.reading() as uow:
            return await uow.escrows.listing(limit=max(1, limit), offset=max(0, offset))

    async def at_iamport(self, imp_uid: str) -> EscrowLogis:
        """i'mport's record of the delivery. Raises ``Refused`` (none registered), ``Unreachable``."""
        try:
            return await self._api.escrow_logis(imp_uid)
        except NotFound as missing:
            raise NotOnRecord(f"payment {imp_uid} at i'mport") from missing
        except ApiError as error:
            raise Refused("iamport_refused", f"i'mport: {error}",
                          status=409 if error.http_status == 409 else 422) from error  # fmt: skip
        except IamportError as error:
            raise Unreachable("i'mport could not be asked about the delivery") from error

    # -- the event webhook --------------------------------------------------------------
    async def apply_event(self, row: InboxRecord) -> str:
        """Apply a stored event webhook; returns what became of it (for the inbox row).

        Raises ``Unreachable`` when i'mport cannot confirm the payment now (the job retries).
        """
        fields = event_fields(row.body, _content_type(row.headers))
        event = str(fields.get("event") or "")
        if event != ESCROW_EVENT:
            return f"ignored:event {event}"[:32]
        extra = fields.get("extra")
        extra = extra if isinstance(extra, Mapping) else {}
        code = str(extra.get("escrow_status") or "")
        status = escrow_status(code)
        if status is None:
            return "ignored:escrow_status"
        imp_uid = row.imp_uid or ""
        try:
            payment = await self._payments.fetch(imp_uid)
        except NotFound:
            return "ignored:unknown payment"
        except IamportError as error:
            raise Unreachable("i'mport could not be asked about the payment") from error
        if not payment.escrow or (row.merchant_uid and payment.merchant_uid != row.merchant_uid):
            log.warning("escrow event for %s does not match i'mport's payment; ignored", imp_uid)
            return "ignored:not escrow"
        changed_at = _instant(extra.get("changed_at"))
        reason = extra.get("denied_reason")
        async with self._db.transaction() as uow:
            ours = await uow.payments.get(imp_uid)
            current = await uow.escrows.get(imp_uid)
            known = EscrowStatus(current.status) if current is not None else None
            at = current.status_changed_at if current is not None else None
            if not newer(changed_at, status, at, known):
                return "escrow:stale"
            await uow.escrows.set_status(
                imp_uid, ours.order_id if ours else None, status.value, code, changed_at,
                str(reason)[:500] if reason else None, self._clock.now(),
            )  # fmt: skip
        return f"escrow:{status.value}"[:32]


def _content_type(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value
    return ""
