"""Staff of the admin console: users, logins, server-side sessions and the login limit.

Passwords are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher``, its
default parameters) and never stored, returned or logged. A hash made with
older parameters is replaced at the next good login.

A session is a random token (256 bits) in the browser's cookie; the database
keeps only its SHA-256, with the session's CSRF token, its expiry and when it
was last seen (``core.staff.SessionPolicy``). A login replaces the session
the browser had (no fixation). Failed logins are counted in the database, so
several server processes share the limit (``core.staff.LoginLimit``); past it
the password is not even checked.

An unknown username costs the same hash as a wrong password, so the time of
the answer does not tell which usernames exist.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..core.clock import Clock
from ..core.staff import (
    LANGUAGES,
    PASSWORD_MAX,
    InvalidCredentialsShape,
    LoginLimit,
    SessionPolicy,
    check_password_shape,
    normalize_username,
    session_digest,
)
from ..store import Conflict, UnitOfWork, UnitsOfWork
from ..store.staff import StaffUserRecord
from .errors import InvalidStaffRequest, LoginThrottled

__all__ = ["ActiveSession", "OpenedSession", "StaffAccess"]

log = logging.getLogger(__name__)
TOKEN_MAX = 128  # longer cookies are not ours: refused before hashing


@dataclass(frozen=True)
class ActiveSession:
    """A session that is good now: whose it is, and the CSRF token its forms carry."""

    user: StaffUserRecord
    csrf_token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class OpenedSession(ActiveSession):
    """A session just opened: ``token`` goes into the cookie and nowhere else."""

    token: str = field(default="", repr=False)


class StaffAccess:
    """Staff use cases over a store; the clock and randomness are injectable for tests."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        *,
        sessions: SessionPolicy | None = None,
        limit: LoginLimit | None = None,
        hasher: PasswordHasher | None = None,
        random_text: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self._db = database
        self._clock = clock
        self.sessions = sessions or SessionPolicy()
        self.limit = limit or LoginLimit()
        self._hasher = hasher or PasswordHasher()
        self._random_text = random_text
        self._decoy: str | None = None  # a hash to check unknown usernames against

    async def create_user(
        self, username: str, password: str, *, lang: str = "ko"
    ) -> StaffUserRecord:
        """Make a staff user. Raises ``InvalidStaffRequest`` (rule ``username``,
        ``password``, ``lang`` or ``duplicate``)."""
        try:
            name = normalize_username(username)
        except InvalidCredentialsShape as exc:
            raise InvalidStaffRequest("username", str(exc)) from None
        try:
            check_password_shape(password)
        except InvalidCredentialsShape as exc:
            raise InvalidStaffRequest("password", str(exc)) from None
        _check_lang(lang)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        try:
            async with self._db.transaction() as uow:
                user = await uow.staff.add_user(username=name, password_hash=hashed, lang=lang,
                                                now=self._clock.now())  # fmt: skip
        except Conflict:
            raise InvalidStaffRequest("duplicate", f"a staff user named {name!r} exists") from None
        log.info("staff user %s (id %s) created", user.username, user.id)
        return user

    async def users(self) -> list[StaffUserRecord]:
        """Every staff user, oldest first."""
        async with self._db.reading() as uow:
            return await uow.staff.users()

    async def log_in(
        self, username: str, password: str, *, source: str, replacing: str | None = None
    ) -> OpenedSession | None:
        """Check a login from ``source`` (the client's address); a new session, or ``None``
        for a wrong username or password (not told apart).

        ``replacing`` is the session token the browser sent, if any: it ends
        here. Raises ``LoginThrottled`` past the limit, without checking the password.
        """
        now = self._clock.now()
        name = username.strip().lower()[:64]
        async with self._db.reading() as uow:
            await self._refuse_if_throttled(uow, name, source, now)
            user = await uow.staff.user_named(name)
        if not await self._verify(user, password):
            await self._note_failure(name, source, now)
            return None
        assert user is not None
        return await self._open(user, password, replacing, now)

    async def resume(self, token: str | None) -> ActiveSession | None:
        """The session ``token`` opens, if it is still good (an expired one ends here)."""
        if not token or len(token) > TOKEN_MAX:
            return None
        digest, now = session_digest(token), self._clock.now()
        async with self._db.reading() as uow:
            found = await uow.staff.session(digest)
        if found is None:
            return None
        if not self.sessions.alive(expires_at=found.expires_at, last_seen_at=found.last_seen_at,
                                   now=now):  # fmt: skip
            async with self._db.transaction() as uow:
                await uow.staff.end_session(digest)
            return None
        if self.sessions.needs_touch(found.last_seen_at, now):
            async with self._db.transaction() as uow:
                await uow.staff.touch_session(found.id, now)
        return ActiveSession(found.user, found.csrf_token, found.expires_at)

    async def log_out(self, token: str | None) -> None:
        """End the session ``token`` opens (nothing happens for an unknown one)."""
        if not token or len(token) > TOKEN_MAX:
            return
        async with self._db.transaction() as uow:
            await uow.staff.end_session(session_digest(token))

    async def set_lang(self, user_id: int, lang: str) -> None:
        """Remember the user's language (``ko`` or ``en``). Raises ``InvalidStaffRequest``."""
        _check_lang(lang)
        async with self._db.transaction() as uow:
            await uow.staff.change_user(user_id, lang=lang)

    async def _refuse_if_throttled(
        self, uow: UnitOfWork, name: str, source: str, now: datetime
    ) -> None:
        book = uow.staff
        since, most = self.limit.since(now), self.limit.max_failures
        by_name = await book.newest_failures(since=since, limit=most, username=name)
        by_source = await book.newest_failures(since=since, limit=most, source=source)
        wait = max(self.limit.retry_after(by_name, now), self.limit.retry_after(by_source, now))
        if wait > 0:
            log.warning("admin login refused: too many failures (source %s)", source)
            raise LoginThrottled(wait)

    async def _verify(self, user: StaffUserRecord | None, password: str) -> bool:
        if len(password) > PASSWORD_MAX:  # hashing megabytes would tire the server
            return False
        stored = user.password_hash if user else await self._decoy_hash()
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return False
        return user is not None

    async def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._decoy

    async def _note_failure(self, name: str, source: str, now: datetime) -> None:
        log.info("admin login failed (source %s)", source)
        async with self._db.transaction() as uow:
            await uow.staff.add_failure(username=name, source=source, now=now)
            await uow.staff.forget_failures(before=self.limit.since(now))

    async def _open(
        self, user: StaffUserRecord, password: str, replacing: str | None, now: datetime
    ) -> OpenedSession:
        rehashed = None
        if self._hasher.check_needs_rehash(user.password_hash):
            rehashed = await asyncio.to_thread(self._hasher.hash, password)
        token, csrf = self._random_text(32), self._random_text(32)
        expires_at = self.sessions.expires(now)
        async with self._db.transaction() as uow:
            if rehashed is not None:
                await uow.staff.change_user(user.id, password_hash=rehashed)
            await uow.staff.change_user(user.id, last_login_at=now)
            if replacing and len(replacing) <= TOKEN_MAX:
                await uow.staff.end_session(session_digest(replacing))
            await uow.staff.end_sessions_before(now, now - self.sessions.idle)
            await uow.staff.forget_failures(before=self.limit.since(now), username=user.username)
            await uow.staff.add_session(token_digest=session_digest(token), staff_id=user.id,
                                        csrf_token=csrf, now=now, expires_at=expires_at)  # fmt: skip
        log.info("staff user %s logged in", user.username)
        return OpenedSession(user, csrf, expires_at, token=token)


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise InvalidStaffRequest("lang", f"lang is one of {', '.join(LANGUAGES)}")
