"""Identity verification: store what ``IMP.certification`` established, and gate orders by age.

After ``IMP.certification`` the shop sends us the certification's imp_uid and
its own id of the customer. We read the result from i'mport (never from the
browser), check it is certified, recent and not already used for another
customer, and store the identity: name, birth date, phone, adult flag, and the
CI/DI unique keys hashed (only equality is ever asked of them). Optionally the
result is then deleted at i'mport.

A product may require a minimum age; ``gate_order`` refuses an order for it
unless the order names a customer whose verified age (on the day of the order,
in Korea) is high enough.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from ..core.clock import Clock
from ..core.identity import ADULT_AGE, age_on, check_age_gate, hash_unique_key, required_age
from ..iamport import Certification, IamportError, NotFound
from ..store import Conflict, UnitOfWork, UnitsOfWork
from ..store.identities import IdentityRecord, NewIdentity
from .errors import NotOnRecord, ProductNotFound, Unreachable
from .iamport_methods import CertificationsApi
from .refusals import Refused

__all__ = ["KST", "Identities", "OrderGate", "Verified", "gate_order", "korean_today"]

log = logging.getLogger(__name__)
KST = timezone(timedelta(hours=9), "KST")
#: How old a certification may be when the shop hands it to us.
DEFAULT_MAX_AGE = timedelta(hours=1)


def korean_today(now: datetime) -> date:
    """The date in Korea at ``now`` (ages and the adult flag count Korean days)."""
    return now.astimezone(KST).date()


@dataclass(frozen=True)
class Verified:
    """A stored identity, whether the result was deleted at i'mport, and other customers
    verified as the same person (by CI)."""

    identity: IdentityRecord
    deleted_at_iamport: bool
    same_person: Sequence[str]


@dataclass(frozen=True)
class OrderGate:
    """What the age gate decided for an order: the customer and the age needed."""

    customer_id: int | None
    required_age: int | None


def _birth(certification: Certification) -> date | None:
    if certification.birthday:
        try:
            return date.fromisoformat(certification.birthday[:10])
        except ValueError:
            return None
    if certification.birth:  # older servers: unix seconds of the birth date (in Korea)
        return datetime.fromtimestamp(certification.birth, UTC).astimezone(KST).date()
    return None


class Identities:
    """Verified identities of customers, and product age gates."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        api: CertificationsApi,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
    ) -> None:
        self._db = database
        self._clock = clock
        self._api = api
        self._max_age = max_age

    async def verify(
        self,
        customer_ref: str,
        imp_uid: str,
        *,
        merchant_uid: str | None = None,
        delete_after: bool = False,
    ) -> Verified:
        """Store the identity certification ``imp_uid`` established, for ``customer_ref``.

        Storing the same certification for the same customer again is
        harmless. Raises ``Refused`` (unknown, not certified, stale, for
        another request, or already used for another customer) and
        ``Unreachable`` (i'mport could not be asked).
        """
        try:
            found = await self._api.certification(imp_uid)
        except NotFound as missing:
            raise Refused("certification_not_found", f"i'mport has no certification {imp_uid}.",
                          status=404) from missing  # fmt: skip
        except IamportError as error:
            raise Unreachable("i'mport could not be asked about the certification") from error
        now = self._clock.now()
        self._check(found, imp_uid, merchant_uid, now)
        birth = _birth(found)
        identity = NewIdentity(
            customer_ref=customer_ref, name=found.name, birth_date=birth,
            phone="".join(ch for ch in found.phone or "" if ch.isdigit()) or None,
            gender=found.gender, foreigner=found.foreigner,
            ci_hash=hash_unique_key(found.unique_key) if found.unique_key else None,
            di_hash=hash_unique_key(found.unique_in_site) if found.unique_in_site else None,
            adult=birth is not None and age_on(birth, korean_today(now)) >= ADULT_AGE,
            certification_imp_uid=imp_uid, pg_provider=found.pg_provider,
            certified_at=found.certified_at,
        )  # fmt: skip
        stored, others = await self._store(identity, now)
        deleted = False
        if delete_after:
            deleted = await self._delete(stored)
        same = [o.customer_ref for o in others if o.customer_ref != customer_ref]
        return Verified(await self.customer(customer_ref), deleted, same)

    async def _store(
        self, identity: NewIdentity, now: datetime
    ) -> tuple[IdentityRecord, list[IdentityRecord]]:
        """Store ``identity``; a concurrent first write for the same customer is retried once."""
        for attempt in range(2):
            try:
                async with self._db.transaction() as uow:
                    used = await uow.customers.by_certification(identity.certification_imp_uid)
                    if used is not None and used.customer_ref != identity.customer_ref:
                        raise _used()
                    stored = await uow.customers.put(identity, now)
                    ci = stored.ci_hash
                    return stored, await uow.customers.same_person(ci) if ci else []
            except Conflict as taken:
                if attempt:
                    raise _used() from taken
        raise AssertionError("unreachable")  # pragma: no cover

    def _check(
        self, found: Certification, imp_uid: str, merchant_uid: str | None, now: datetime
    ) -> None:
        if not found.certified:
            raise Refused("certification_not_certified",
                          f"Certification {imp_uid} did not certify anyone.")  # fmt: skip
        if merchant_uid is not None and found.merchant_uid != merchant_uid:
            raise Refused("certification_mismatch",
                          f"Certification {imp_uid} was not made for {merchant_uid}.")  # fmt: skip
        if found.certified_at is None or now - found.certified_at > self._max_age:
            minutes = int(self._max_age.total_seconds() // 60)
            raise Refused("certification_stale", f"Certification {imp_uid} is older than "
                          f"{minutes} minutes: verify again.")  # fmt: skip

    async def _delete(self, identity: IdentityRecord) -> bool:
        try:
            await self._api.delete_certification(identity.certification_imp_uid)
        except NotFound:
            pass  # already gone: what we wanted
        except IamportError as error:
            log.warning("certification %s of customer %s not deleted at i'mport: %s",
                        identity.certification_imp_uid, identity.id, type(error).__name__)  # fmt: skip
            return False
        async with self._db.transaction() as uow:
            await uow.customers.mark_deleted(identity.id, self._clock.now())
        return True

    async def customer(self, customer_ref: str) -> IdentityRecord:
        """A customer's verified identity; raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            found = await uow.customers.by_ref(customer_ref)
        if found is None:
            raise NotOnRecord(f"customer {customer_ref}")
        return found

    async def set_age_gate(self, product_id: int, min_age: int | None) -> int | None:
        """Require ``min_age`` to buy the product (None lifts the gate); raises ``ProductNotFound``."""
        async with self._db.transaction() as uow:
            if await uow.products.get(product_id) is None:
                raise ProductNotFound(product_id)
            await uow.customers.set_age_gate(product_id, min_age, self._clock.now())
        return min_age

    async def age_gate(self, product_id: int) -> int | None:
        """The age the product requires (None: none); raises ``ProductNotFound``."""
        async with self._db.reading() as uow:
            if await uow.products.get(product_id) is None:
                raise ProductNotFound(product_id)
            return (await uow.customers.age_gates([product_id])).get(product_id)


def _used() -> Refused:
    return Refused("certification_used", "This certification is already stored for another "
                   "customer.", status=409)  # fmt: skip


async def gate_order(
    uow: UnitOfWork, product_ids: Sequence[int], customer_ref: str | None, now: datetime
) -> OrderGate:
    """The age gate of an order about to be placed, inside its transaction.

    Raises ``Refused`` naming the rule (``identity_required``,
    ``identity_unknown``, ``age_below_minimum``) when the order may not be placed.
    """
    needed = required_age((await uow.customers.age_gates(product_ids)).values())
    identity = await uow.customers.by_ref(customer_ref) if customer_ref else None
    refusal = check_age_gate(needed, customer_ref is not None,
                             identity.birth_date if identity else None, korean_today(now))  # fmt: skip
    if refusal is not None:
        raise Refused(refusal.rule.value, refusal.message, status=403)
    return OrderGate(identity.id if identity else None, needed)
