"""Telling the payer where to pay: the issued virtual account, sent through a notifier.

A notifier is anything with ``async send(notice)``. The server always has the
log notifier, and adds SMTP e-mail when ``PAYDESK_SMTP_HOST`` is set
(``bootstrap``); a merchant plugs in its own (SMS, Kakao) the same way.

**What the log shows.** The log notifier records that a notice went out, for
which order and through which bank — with the account number masked to its
last four digits, never in full, at any level. Logs are kept long, read
widely and shipped to third parties; an account number next to an amount and
a buyer's order is exactly what a "please pay into this account instead"
fraud needs, and the buyer's data never goes to logs here. The payer gets the
full number from the payment window, the e-mail, or the merchant API
(``GET /api/orders/{id}``), which is where it belongs.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from typing import Protocol

from pydantic import SecretStr

from ..core.money import Money
from ..core.pg_rules import KST
from ..core.vbanks import masked_account

__all__ = [
    "AccountNotifier",
    "LogNotifier",
    "Notifiers",
    "SmtpNotifier",
    "SmtpSettings",
    "VbankNotice",
    "notice_text",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VbankNotice:
    """An issued virtual account, addressed to its payer."""

    imp_uid: str
    merchant_uid: str
    order_name: str
    amount: Money
    bank_code: str | None
    bank_name: str | None
    account: str
    holder: str | None
    due: datetime | None
    buyer_name: str | None
    buyer_email: str | None

    def __repr__(self) -> str:  # the account and the buyer stay out of reprs (and tracebacks)
        return f"VbankNotice(imp_uid={self.imp_uid!r}, account={masked_account(self.account)!r})"


class AccountNotifier(Protocol):
    """Sends an issued account to its payer; raises to be tried again later."""

    async def send(self, notice: VbankNotice) -> None: ...


def notice_text(notice: VbankNotice) -> str:
    """The message a payer reads (Korean, as the shop's buyers do)."""
    due = notice.due.astimezone(KST).strftime("%Y-%m-%d %H:%M") if notice.due else "없음"
    lines = [
        f"{notice.buyer_name or '고객'}님, 주문하신 '{notice.order_name}'의 입금 계좌입니다.",
        "",
        f"은행: {notice.bank_name or notice.bank_code or '-'}",
        f"계좌번호: {notice.account}",
        f"예금주: {notice.holder or '-'}",
        f"입금액: {notice.amount.amount:,}{'원' if notice.amount.currency == 'KRW' else ''}",
        f"입금기한: {due} (KST)",
        "",
        f"주문번호: {notice.merchant_uid}",
    ]
    return "\n".join(lines) + "\n"


class LogNotifier:
    """Records each notice in the log, the account number masked (see the module doc)."""

    async def send(self, notice: VbankNotice) -> None:
        log.info(
            "virtual account for order %s (%s): %s %s, due %s",
            notice.merchant_uid, notice.imp_uid, notice.bank_name or notice.bank_code,
            masked_account(notice.account), notice.due.isoformat() if notice.due else "-",
        )  # fmt: skip


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail."""

    host: str
    port: int = 587
    sender: str = "paydesk@localhost"
    sender_name: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    timeout: float = 10.0


class SmtpNotifier:
    """E-mails the account to the buyer's address; a buyer without one is skipped.

    Uses the standard library's ``smtplib`` in a thread. With ``starttls`` the
    connection is upgraded (and the server's certificate checked) before any
    login; an SMTP error raises, so the notice job is tried again.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, notice: VbankNotice) -> None:
        if not notice.buyer_email:
            log.info("order %s: no buyer e-mail, no account e-mail sent", notice.merchant_uid)
            return
        await asyncio.to_thread(self._send, self._message(notice))

    def _message(self, notice: VbankNotice) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = f"[입금 안내] {notice.order_name}"
        message["From"] = formataddr((self._settings.sender_name or "", self._settings.sender))
        message["To"] = notice.buyer_email or ""
        message.set_content(notice_text(notice))
        return message

    def _send(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username and s.password is not None:
                smtp.login(s.username, s.password.get_secret_value())
            smtp.send_message(message)


class Notifiers:
    """Several notifiers in turn; the first that raises stops the rest (and the job retries).

    Put the ones that must not repeat last: a retried job sends again through
    every notifier before the failed one.
    """

    def __init__(self, notifiers: Sequence[AccountNotifier]) -> None:
        self._notifiers = tuple(notifiers)

    async def send(self, notice: VbankNotice) -> None:
        for notifier in self._notifiers:
            await notifier.send(notice)
