"""Verified customer identities, the age gate of products, and whom an order was for.

``customer_identities`` keeps one identity per customer (``customer_ref``, the
shop's own id of the customer): the last certification stored for them. CI and
DI arrive hashed (``core.identity.hash_unique_key``). A certification
(``certification_imp_uid``) is stored for at most one customer: it cannot be
replayed to verify someone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import customer_identities, order_customers, product_age_gates

__all__ = ["CustomerRepository", "IdentityRecord", "NewIdentity", "OrderCustomer"]


@dataclass(frozen=True)
class NewIdentity:
    """What a certification established about a customer."""

    customer_ref: str
    name: str | None
    birth_date: date | None
    phone: str | None
    gender: str | None
    foreigner: bool | None
    ci_hash: str | None
    di_hash: str | None
    adult: bool
    certification_imp_uid: str
    pg_provider: str | None
    certified_at: datetime | None


@dataclass(frozen=True)
class IdentityRecord(NewIdentity):
    """A stored identity."""

    id: int
    deleted_at_iamport: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> IdentityRecord:
        m = row._mapping
        birth = m["birth_date"]
        if isinstance(birth, str):  # an engine that hands dates back as text
            birth = date.fromisoformat(birth)
        return cls(
            id=m["id"], customer_ref=m["customer_ref"], name=m["name"], birth_date=birth,
            phone=m["phone"], gender=m["gender"], foreigner=m["foreigner"],
            ci_hash=m["ci_hash"], di_hash=m["di_hash"], adult=bool(m["adult"]),
            certification_imp_uid=m["certification_imp_uid"], pg_provider=m["pg_provider"],
            certified_at=m["certified_at"], deleted_at_iamport=m["deleted_at_iamport"],
            created_at=m["created_at"], updated_at=m["updated_at"],
        )  # fmt: skip


@dataclass(frozen=True)
class OrderCustomer:
    """The customer an order was placed for and the age the gate required (None: no gate)."""

    order_id: int
    customer_id: int
    required_age: int | None


class CustomerRepository:
    """Identities, age gates and order customers, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def put(self, identity: NewIdentity, now: datetime) -> IdentityRecord:
        """Store ``identity`` as the customer's (replacing an earlier one).

        Raises ``Conflict`` when the certification is already stored for
        another customer.
        """
        values = {**asdict(identity), "deleted_at_iamport": None, "updated_at": now}
        current = await self.by_ref(identity.customer_ref)
        if current is None:
            statement: Any = insert(customer_identities).values({**values, "created_at": now})
        else:
            statement = (
                update(customer_identities)
                .where(customer_identities.c.id == current.id)
                .values(values)
            )
        await self._db.execute(statement)
        found = await self.by_ref(identity.customer_ref)
        assert found is not None
        return found

    async def get(self, customer_id: int) -> IdentityRecord | None:
        return await self._one(customer_identities.c.id == customer_id)

    async def by_ref(self, customer_ref: str) -> IdentityRecord | None:
        return await self._one(customer_identities.c.customer_ref == customer_ref)

    async def by_certification(self, imp_uid: str) -> IdentityRecord | None:
        return await self._one(customer_identities.c.certification_imp_uid == imp_uid)

    async def same_person(self, ci_hash: str) -> list[IdentityRecord]:
        """Every customer verified as the person with this CI (one person, several accounts)."""
        query = (
            select(customer_identities)
            .where(customer_identities.c.ci_hash == ci_hash)
            .order_by(customer_identities.c.id)
        )
        return [IdentityRecord.from_row(r) for r in await self._db.execute(query)]

    async def mark_deleted(self, customer_id: int, now: datetime) -> None:
        """Record that the certification was deleted at i'mport."""
        statement = update(customer_identities).where(customer_identities.c.id == customer_id)
        await self._db.execute(statement.values(deleted_at_iamport=now, updated_at=now))

    async def set_age_gate(self, product_id: int, min_age: int | None, now: datetime) -> None:
        """Require ``min_age`` for the product (None: no gate)."""
        table = product_age_gates
        await self._db.execute(delete(table).where(table.c.product_id == product_id))
        if min_age is not None:
            await self._db.execute(insert(table).values(
                product_id=product_id, min_age=min_age, created_at=now, updated_at=now))  # fmt: skip

    async def age_gates(self, product_ids: Iterable[int]) -> dict[int, int]:
        """The minimum age of each gated product among ``product_ids``."""
        table = product_age_gates
        query = select(table.c.product_id, table.c.min_age).where(
            table.c.product_id.in_(sorted(set(product_ids)))
        )
        return {int(r.product_id): int(r.min_age) for r in await self._db.execute(query)}

    async def link_order(
        self, order_id: int, customer_id: int, required_age: int | None, now: datetime
    ) -> None:
        """Record whom an order was placed for (once; ``Conflict`` the second time)."""
        await self._db.execute(insert(order_customers).values(
            order_id=order_id, customer_id=customer_id, required_age=required_age,
            created_at=now))  # fmt: skip

    async def of_order(self, order_id: int) -> OrderCustomer | None:
        query = select(order_customers).where(order_customers.c.order_id == order_id)
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return OrderCustomer(m["order_id"], m["customer_id"], m["required_age"])

    async def _one(self, condition: Any) -> IdentityRecord | None:
        row = (await self._db.execute(select(customer_identities).where(condition))).first()
        return IdentityRecord.from_row(row) if row else None
