"""The emulated i'mport gateway: merchants, books, clock, and the shared transitions.

Route handlers, the payment window and the control API all change state
through this object, so a payment is approved, failed, cancelled or announced
by webhook the same way whichever door it came through.  Every method runs
without awaiting, so on the event loop each is atomic.
"""

from __future__ import annotations

import random
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .clock import Clock
from .errors import ApiFault, Messages
from .merchants import Channel, Merchant, book_owner
from .params import Amount
from .records import RECEIPT_BASE, ChangeSet, Payment, Record, Token, WebhookRecord
from .state import GatewayState, Ledger, StateFile

__all__ = ["TOKEN_TTL", "UNKNOWN_TIER", "Gateway"]

TOKEN_TTL = 30 * 60
TOKEN_EXTEND_WINDOW = 60
TOKEN_EXTENSION = 5 * 60
UNKNOWN_TIER = "등록되지 않은 하위 가맹점(Tier)입니다. ({tier})"
#: Payment fields whose values recur across payments (the same buyer, goods, currency):
#: each payment keeps its own copy of a parsed string unless it is interned.
_REPEATED = frozenset(
    ("name", "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode",
     "currency", "user_agent", "pay_method")
)  # fmt: skip
#: The same for amounts (an int above 256 is an object of its own): the common prices.
_AMOUNTS: dict[int, int] = {}


class Gateway:
    """State plus the rules every entry point shares."""

    def __init__(
        self,
        merchants: Iterable[Merchant],
        *,
        state: GatewayState | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        state_path: Path | None = None,
        public_url: str = "http://127.0.0.1:8099",
    ) -> None:
        self.merchants: dict[str, Merchant] = {m.imp_code: m for m in merchants}
        self.state = state or GatewayState()
        self.clock = clock or Clock()
        if self.state.clock_offset:
            self.clock.advance(self.state.clock_offset)
        self.rng = rng or random.SystemRandom()
        self.state_path = state_path
        self.changes = ChangeSet()
        self._removed: list[tuple[str, str, str]] = []
        self._snapshot_due = False
        self._file: StateFile | None = None
        if state_path is not None:
            self._file = StateFile(state_path)
            self.changes.open()
        self.public_url = public_url.rstrip("/")
        self.dirty = False
        self.hang_seconds = 120.0
        self.listeners: list[Callable[[WebhookRecord], None]] = []

    # -- time & ids ---------------------------------------------------------
    def now(self) -> int:
        return self.clock.timestamp()

    def next_sequence(self) -> int:
        self.state.sequence += 1
        return self.state.sequence

    def digits(self, count: int) -> str:
        """``count`` random decimal digits (one draw: uniform over every such string)."""
        return f"{self.rng.randrange(10**count):0{count}d}"

    def new_imp_uid(self) -> str:
        while True:
            candidate = "imp_" + str(self.rng.randint(1, 9)) + self.digits(11)
            if not any(candidate in ledger.payments for ledger in self.state.ledgers.values()):
                return candidate

    def new_pg_tid(self, pg: str | None) -> str:
        return f"{(pg or 'pg')[:10]}_{self.now()}{self.digits(8)}"

    def new_apply_num(self) -> str:
        return self.digits(8)

    def new_cancellation_id(self) -> str:
        return "cancel_" + secrets.token_hex(10)

    def receipt_url(self, kind: str, key: str) -> str:
        return f"{RECEIPT_BASE}/{kind}/{key}"

    # -- merchants & auth ---------------------------------------------------
    def merchant(self, imp_code: str) -> Merchant:
        return self.merchants[imp_code]

    def account(self, book: str) -> Merchant | None:
        """The merchant (as the sub-merchant, for a tier's) whose books ``book`` names."""
        imp_code, tier = book_owner(book)
        merchant = self.merchants.get(imp_code)
        if merchant is None or tier is None:
            return merchant
        return merchant.as_tier(tier)

    def ledger(self, merchant: Merchant) -> Ledger:
        return self.state.ledger(merchant.book)

    def merchant_by_credentials(self, imp_key: str, imp_secret: str) -> Merchant | None:
        # the key names the merchant (it is no secret); only the secret is compared in
        # constant time, as UTF-8 bytes: compare_digest refuses non-ASCII str (a 500 before)
        for merchant in self.merchants.values():
            if merchant.imp_key == imp_key and secrets.compare_digest(
                merchant.imp_secret.encode(), imp_secret.encode("utf-8", "replace")
            ):
                return merchant
        return None

    def issue_token(self, merchant: Merchant, now: int | None = None) -> Token:
        """i'mport's token rule: reuse while valid; +5 min if asked in the last minute.

        ``now``: the caller's reading of the clock, if it has one (one reading per call).
        """
        if now is None:
            now = self.now()
        current = None
        for token in self.state.tokens.values():  # the first valid one, as before
            if token.imp_code == merchant.imp_code and token.expired_at > now:
                current = token
                break
        if current is not None:
            if current.expired_at - now <= TOKEN_EXTEND_WINDOW:
                current.expired_at += TOKEN_EXTENSION
                self.touch()
            return current
        self._forget_expired_tokens(now)
        token = Token(
            access_token=secrets.token_hex(20),
            imp_code=merchant.imp_code,
            issued_at=now,
            expired_at=now + TOKEN_TTL,
        )
        self.state.tokens[token.access_token] = token
        self.touch()
        return token

    def _forget_expired_tokens(self, now: int) -> None:
        for key in [k for k, t in self.state.tokens.items() if t.expired_at <= now - 86400]:
            del self.state.tokens[key]
            self.forget("tokens", "", key)

    def authenticate(self, access_token: str | None, tier: str | None = None) -> Merchant:
        """The merchant of ``access_token``; as its sub-merchant ``tier`` if one is named.

        The token is the agency's own (§1.1); a tier it does not have is refused
        like a token that does not hold (401), never as a missing record.
        """
        if not access_token:
            raise unauthorized()
        token = self.state.tokens.get(access_token)
        if token is None or token.expired_at <= self.now():
            raise unauthorized()
        merchant = self.merchants.get(token.imp_code)
        if merchant is None:
            raise unauthorized()
        if tier is None:
            return merchant
        acting = merchant.as_tier(tier)
        if acting is None:
            raise unauthorized(UNKNOWN_TIER.format(tier=tier))
        return acting

    # -- payments -----------------------------------------------------------
    def find_payment(self, merchant: Merchant, imp_uid: str) -> Payment | None:
        return self.ledger(merchant).payments.get(imp_uid)

    def require_payment(self, merchant: Merchant, imp_uid: str, status: int = 404) -> Payment:
        payment = self.find_payment(merchant, imp_uid)
        if payment is None:
            raise ApiFault(status, Messages.PAYMENT_NOT_FOUND)
        return payment

    def has_paid_attempt(self, merchant: Merchant, merchant_uid: str) -> bool:
        """A merchant_uid that reached an approved payment cannot be charged again."""
        return any(
            p.status in ("paid", "cancelled") or (p.status == "ready" and p.vbank_num)
            for p in self.ledger(merchant).by_merchant_uid(merchant_uid)
        )

    def start_payment(
        self,
        merchant: Merchant,
        channel: Channel,
        *,
        merchant_uid: str,
        amount: Amount,
        pay_method: str = "card",
        origin: str = "api",
        **fields: Any,
    ) -> Payment:
        """Open a payment attempt in status ``ready`` (window opened / API call begun)."""
        now = self.now()
        for key in _REPEATED.intersection(fields):
            if type(fields[key]) is str:
                fields[key] = sys.intern(fields[key])
        if type(amount) is int and len(_AMOUNTS) < 4096:
            amount = _AMOUNTS.setdefault(amount, amount)
        payment = Payment(
            imp_uid=self.new_imp_uid(),
            merchant_uid=merchant_uid,
            amount=amount,
            pay_method=pay_method,
            channel=origin,  # type: ignore[arg-type]  # validated: "pc", "mobile" or "api"
            pg_provider=channel.pg_provider,
            pg_id=channel.pg_id,
            sandbox=channel.sandbox,
            channel_key=channel.channel_key,
            started_at=now,
            updated_at=now,
            imp_code=merchant.book,
            **fields,
        )
        self.ledger(merchant).add_payment(payment)
        self.touch()
        return payment

    def approve(self, payment: Payment, **fields: Any) -> Payment:
        """Mark ``payment`` paid and announce it; ``fields`` carry the PG's data."""
        now = self.now()
        for key, value in fields.items():
            setattr(payment, key, value)
        payment.status = "paid"
        payment.paid_at = now
        payment.failed_at = 0
        payment.fail_reason = None
        payment.pg_tid = payment.pg_tid or self.new_pg_tid(payment.pg_provider)
        if payment.pay_method == "card" and not payment.apply_num:
            payment.apply_num = self.new_apply_num()
        payment.receipt_url = payment.receipt_url or self.receipt_url("sales", payment.imp_uid)
        payment.updated_at = now
        self.announce(payment, "paid")
        self.touch()
        return payment

    def fail(self, payment: Payment, reason: str, *, announce: bool = False) -> Payment:
        """Mark ``payment`` failed.  Plain failures send no webhook (§5)."""
        now = self.now()
        payment.status = "failed"
        payment.failed_at = now
        payment.fail_reason = reason
        payment.updated_at = now
        if announce:
            self.announce(payment, "failed")
        self.touch()
        return payment

    # -- webhooks -----------------------------------------------------------
    def webhook_targets(self, merchant: Merchant, payment: Payment) -> list[str | None]:
        """``notice_url`` replaces the console URL for that payment (§5)."""
        if payment.notice_urls:
            return list(payment.notice_urls)
        return [merchant.webhook_url]

    def announce(
        self,
        payment: Payment,
        status: str,
        *,
        cancellation_id: str | None = None,
        event: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> list[WebhookRecord]:
        """Record the webhook(s) i'mport would send for ``payment`` now.

        ``fields`` go into the payload too: an event webhook's ``event`` and ``extra``.
        """
        merchant = self.merchants[book_owner(payment.imp_code)[0]]  # the agency's settings
        payload: dict[str, Any] = {
            "imp_uid": payment.imp_uid,
            "merchant_uid": payment.merchant_uid,
            "status": status,
        }
        if cancellation_id:
            payload["cancellation_id"] = cancellation_id
        payload.update(fields or {})
        records = []
        for url in self.webhook_targets(merchant, payment):
            record = WebhookRecord(
                id=f"wh_{self.next_sequence():08d}",
                imp_code=merchant.imp_code,
                url=url,
                content_type=merchant.webhook_content_type,
                payload=payload,
                event=event or status,
                created_at=self.clock.now(),
                state="pending" if url else "undeliverable",
            )
            self.state.webhooks.append(record)
            records.append(record)
            for listener in self.listeners:
                listener(record)
        self.touch()
        return records

    # -- persistence ----------------------------------------------------------
    def touch(self, *records: Record) -> None:
        """State changed; ``records`` changed inside (a record notes its own attributes)."""
        self.dirty = True
        if self._file is not None:
            for record in records:
                self.changes.note(record)

    def forget(self, kind: str, imp_code: str, key: str) -> None:
        """A record was removed from ``state`` (``kind`` as in the state file's journal)."""
        self.dirty = True
        if self._file is not None:
            self._removed.append((kind, imp_code, key))

    def flush(self) -> None:
        """Save what changed since the last flush (queued; written off the event loop)."""
        if self.dirty and self._file is not None:
            self.state.clock_offset = self.clock.now() - self.clock._source()
            removed, self._removed = self._removed, []
            self._file.save(self.state, self.changes.take(), removed, full=self._snapshot_due)
            self._snapshot_due = False
        self.dirty = False

    def close(self) -> None:
        """Flush and wait until the state file holds everything (at shutdown)."""
        self.flush()
        if self._file is not None:
            self._file.drain()

    def reset(self) -> None:
        self.state = GatewayState(generation=self.state.generation)
        self.clock.reset()
        self._snapshot_due = True
        self.touch()


def unauthorized(message: str = Messages.UNAUTHORIZED) -> ApiFault:
    return ApiFault(401, message, code=-1, headers={"WWW-Authenticate": "Bearer realm=iamport"})
