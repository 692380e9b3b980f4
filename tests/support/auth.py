"""Credentials for tests of the merchant server: the secret key, API keys, signed confirm URLs."""

from __future__ import annotations

from collections.abc import Iterable

from paydesk.core.api_keys import Scope
from paydesk.core.clock import SystemClock
from paydesk.core.confirm_tokens import confirm_token
from paydesk.services.api_keys import ApiKeys
from paydesk.store import Database

#: ``PAYDESK_SECRET_KEY`` of every test server (signs confirm URLs).
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
ALL_SCOPES = (Scope.READ, Scope.WRITE, Scope.REFUND)


async def create_key(database_url: str, scopes: Iterable[Scope] = ALL_SCOPES,
                     name: str = "tests") -> str:  # fmt: skip
    """A new API key in the database at ``database_url`` (on the caller's event loop)."""
    database = Database(database_url)
    try:
        made = await ApiKeys(database, SystemClock()).create(name, scopes)
    finally:
        await database.dispose()
    return made.token


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def confirm_path(merchant_uid: str, secret_key: str = TEST_SECRET_KEY) -> str:
    """``/iamport/confirm?token=…``: the path of the order's signed ``confirm_url``."""
    return f"/iamport/confirm?token={confirm_token(secret_key.encode(), merchant_uid)}"
