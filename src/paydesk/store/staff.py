"""The admin console's staff, their sessions and their failed logins.

Nothing here can log anyone in on its own: a user row holds an argon2id hash
of the password, a session row the SHA-256 of its token (``core.staff``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import staff_login_failures, staff_sessions, staff_users

__all__ = ["StaffBook", "StaffSessionRecord", "StaffUserRecord"]


@dataclass(frozen=True)
class StaffUserRecord:
    """A staff user; ``password_hash`` stays out of reprs."""

    id: int
    username: str
    lang: str
    created_at: datetime
    last_login_at: datetime | None = None
    password_hash: str = field(default="", repr=False)

    @classmethod
    def from_row(cls, row: Row[Any]) -> StaffUserRecord:
        m = row._mapping
        return cls(id=m["id"], username=m["username"], lang=m["lang"],
                   created_at=m["created_at"], last_login_at=m["last_login_at"],
                   password_hash=m["password_hash"])  # fmt: skip


@dataclass(frozen=True)
class StaffSessionRecord:
    """A session and the user it belongs to."""

    id: int
    user: StaffUserRecord
    csrf_token: str = field(repr=False)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


_USER_COLUMNS = [c.label(f"user_{c.name}") for c in staff_users.c]


class StaffBook:
    """Staff users, sessions and failed logins, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    # -- users ------------------------------------------------------------------------
    async def add_user(
        self, *, username: str, password_hash: str, lang: str, now: datetime
    ) -> StaffUserRecord:
        """A new user; a taken username raises the store's ``Conflict``."""
        values = {"username": username, "password_hash": password_hash, "lang": lang,
                  "created_at": now}  # fmt: skip
        statement = insert(staff_users).values(values).returning(staff_users)
        return StaffUserRecord.from_row((await self._db.execute(statement)).one())

    async def user_named(self, username: str) -> StaffUserRecord | None:
        query = select(staff_users).where(staff_users.c.username == username)
        row = (await self._db.execute(query)).first()
        return StaffUserRecord.from_row(row) if row else None

    async def users(self) -> list[StaffUserRecord]:
        query = select(staff_users).order_by(staff_users.c.id)
        return [StaffUserRecord.from_row(r) for r in await self._db.execute(query)]

    async def change_user(self, user_id: int, **values: Any) -> None:
        """Overwrite ``password_hash``, ``lang`` or ``last_login_at`` of a user."""
        allowed = {"password_hash", "lang", "last_login_at"}
        assert values and set(values) <= allowed, values
        statement = update(staff_users).where(staff_users.c.id == user_id).values(values)
        await self._db.execute(statement)

    # -- sessions ---------------------------------------------------------------------
    async def add_session(
        self, *, token_digest: str, staff_id: int, csrf_token: str, now: datetime,
        expires_at: datetime,
    ) -> None:  # fmt: skip
        values = {"token_digest": token_digest, "staff_id": staff_id, "csrf_token": csrf_token,
                  "created_at": now, "last_seen_at": now, "expires_at": expires_at}  # fmt: skip
        await self._db.execute(insert(staff_sessions).values(values))

    async def session(self, token_digest: str) -> StaffSessionRecord | None:
        """The session whose token hashes to ``token_digest``, with its user."""
        query = (
            select(staff_sessions, *_USER_COLUMNS)
            .join(staff_users, staff_users.c.id == staff_sessions.c.staff_id)
            .where(staff_sessions.c.token_digest == token_digest)
        )
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        user = StaffUserRecord(
            id=m["user_id"], username=m["user_username"], lang=m["user_lang"],
            created_at=m["user_created_at"], last_login_at=m["user_last_login_at"],
            password_hash=m["user_password_hash"],
        )  # fmt: skip
        return StaffSessionRecord(id=m["id"], user=user, csrf_token=m["csrf_token"],
                                  created_at=m["created_at"], last_seen_at=m["last_seen_at"],
                                  expires_at=m["expires_at"])  # fmt: skip

    async def touch_session(self, session_id: int, now: datetime) -> None:
        statement = update(staff_sessions).where(staff_sessions.c.id == session_id)
        await self._db.execute(statement.values(last_seen_at=now))

    async def end_session(self, token_digest: str) -> None:
        statement = delete(staff_sessions).where(staff_sessions.c.token_digest == token_digest)
        await self._db.execute(statement)

    async def end_sessions_before(self, expired_at: datetime, idle_since: datetime) -> int:
        """Delete sessions past their expiry or idle since before ``idle_since``; how many."""
        c = staff_sessions.c
        statement = delete(staff_sessions).where(
            or_(c.expires_at <= expired_at, c.last_seen_at <= idle_since)
        )
        return (await self._db.execute(statement)).rowcount or 0

    async def session_count(self, staff_id: int) -> int:
        query = select(func.count()).where(staff_sessions.c.staff_id == staff_id)
        return int((await self._db.execute(query)).scalar_one())

    # -- failed logins ----------------------------------------------------------------
    async def add_failure(self, *, username: str, source: str, now: datetime) -> None:
        values = {"username": username[:64], "source": source[:64], "at": now}
        await self._db.execute(insert(staff_login_failures).values(values))

    async def newest_failures(
        self, *, since: datetime, limit: int, username: str | None = None,
        source: str | None = None,
    ) -> list[datetime]:  # fmt: skip
        """When the newest ``limit`` failures since ``since`` happened, for one username
        or one source, newest first."""
        c = staff_login_failures.c
        where = (
            c.username == username[:64] if username is not None else c.source == (source or "")[:64]
        )
        query = select(c.at).where(where, c.at > since).order_by(c.at.desc()).limit(limit)
        return list((await self._db.execute(query)).scalars())

    async def forget_failures(self, *, before: datetime, username: str | None = None) -> None:
        """Delete failures older than ``before`` (and every one of ``username``, if given)."""
        c = staff_login_failures.c
        condition = c.at <= before if username is None else or_(c.at <= before,
                                                                 c.username == username[:64])  # fmt: skip
        await self._db.execute(delete(staff_login_failures).where(condition))
