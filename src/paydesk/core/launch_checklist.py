"""The service launch checklist, item by item, in its own order and words.

i'mport's "service launch checklist" (../shared/seeds/service-launch-checklist.md)
lists what is easy to miss before production. ``paydesk doctor`` walks it: each
item is either ``automated`` (the doctor checks it and reports pass/fail/warn) or
``manual`` (a person must do it; the guidance says how, concretely). A few items
of paydesk's own come first (section ``paydesk``): the API keys, the database, a
worker, the clock and escrow — prerequisites the checklist takes for granted.

An item's result is the worst of its findings (``worst``); a report's too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "CHECKLIST",
    "ChecklistItem",
    "Finding",
    "ItemResult",
    "Kind",
    "Status",
    "item",
    "worst",
]


class Status(StrEnum):
    """How an item stands. Only ``fail`` makes ``paydesk doctor`` exit non-zero."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    MANUAL = "manual"  # a person must check it (see the guidance)
    SKIPPED = "skipped"  # could not be checked here (a prerequisite failed, or not offered)


#: Worst first: the order in which one status outranks another.
_RANK: Final = {Status.FAIL: 4, Status.WARN: 3, Status.MANUAL: 2, Status.SKIPPED: 1,
                Status.PASS: 0}  # fmt: skip


def worst(statuses: Iterable[Status], default: Status = Status.PASS) -> Status:
    """The worst of ``statuses`` (fail > warn > manual > skipped > pass)."""
    return max(statuses, key=_RANK.__getitem__, default=default)


class Kind(StrEnum):
    AUTOMATED = "automated"
    MANUAL = "manual"


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the checklist: ``text`` in the checklist's words, and how to do it."""

    key: str
    section: str
    text: str
    kind: Kind
    guidance: str


@dataclass(frozen=True)
class Finding:
    """One check made for an item: what was checked, how it went, and what was seen."""

    check: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status.value, "detail": self.detail}


@dataclass(frozen=True)
class ItemResult:
    """An item and its findings; ``status`` and ``detail`` sum them up."""

    item: ChecklistItem
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def status(self) -> Status:
        if self.item.kind is Kind.MANUAL and not self.findings:
            return Status.MANUAL
        return worst((f.status for f in self.findings), Status.SKIPPED)

    @property
    def detail(self) -> str:
        """The findings that matter most: the worst ones first, each one line."""
        ranked = sorted(self.findings, key=lambda f: -_RANK[f.status])
        return "; ".join(f.detail for f in ranked) if ranked else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.item.key, "section": self.item.section, "item": self.item.text,
            "kind": self.item.kind.value, "status": self.status.value, "detail": self.detail,
            "guidance": self.item.guidance, "findings": [f.to_json() for f in self.findings],
        }  # fmt: skip


A, M = Kind.AUTOMATED, Kind.MANUAL
PAYDESK = "paydesk"
CONSOLE = "All services: configure i'mport console -> system settings with production settings"
WINDOW = "All services: successful payment window call and result processing"
CARD, VBANK, TRANS = "Credit card", "Virtual account", "Account transfer"
PHONE, IDENTITY, RECEIPT = "Mobile phone", "Identity verification", "Cash receipt"
TARGET = "Target payment environment"
_MATRIX = (
    "Windows (Edge, Chrome, Firefox, Whale), Mac OS (Safari, Chrome, Firefox, Whale), "
    "Android (Chrome, Samsung Internet, portal apps' WebView: Naver, Kakao; SNS WebView: "
    "KakaoTalk, Instagram, Facebook), iOS (Safari, Chrome, portal and SNS WebViews)"
)

_ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem("api_keys", PAYDESK, "The REST API key and secret are valid (getToken).", A,
                  "Copy them from the i'mport console (My ID & API keys) into PAYDESK_IAMPORT_KEY "
                  "and PAYDESK_IAMPORT_SECRET; PAYDESK_IAMPORT_BASE_URL is https://api.iamport.kr "
                  "in production."),
    ChecklistItem("database", PAYDESK, "The database is reachable and migrated.", A,
                  "Check PAYDESK_DATABASE_URL, then run `paydesk db upgrade` (every server and "
                  "worker must run the same version)."),
    ChecklistItem("worker", PAYDESK, "A worker is alive (heartbeat).", A,
                  "Run at least one `paydesk worker` (systemd unit, docs/deploy.md) with the "
                  "same PAYDESK_DATABASE_URL; it beats every 5 s."),
    ChecklistItem("clock", PAYDESK, "The clock agrees with i'mport's (getToken `now`).", A,
                  "Run NTP (systemd-timesyncd or chrony): due dates, listings and schedules are "
                  "absolute times."),
    ChecklistItem("escrow", PAYDESK, "Escrow payments can have their deliveries registered "
                  "(PG rule table).", A,
                  "Escrow needs a contract with the PG, and paydesk registers deliveries through "
                  "the API only with html5_inicis, kcp, daou, ksnet, smartro_v2, nice_v2 and "
                  "welcome; with another PG register them in the PG's own admin."),
    ChecklistItem("pg_credentials", CONSOLE, "Set PG Merchant ID / PG Secret.", A,
                  "In the i'mport console (Integrate payment), add a live channel per PG with the "
                  "MID and keys from the PG's contract; the PG secret is not visible through the "
                  "API, so a window payment per PG is the final proof."),
    ChecklistItem("test_mode", CONSOLE, "Set test mode to OFF.", A,
                  "In the console switch each channel the shop offers to live (실연동); a test "
                  "channel moves no money and paydesk refuses its payments in production."),
    ChecklistItem("webhook_url", CONSOLE, "Set webhook (notification) URL.", A,
                  "paydesk sends notice_url = PAYDESK_PUBLIC_BASE_URL + /iamport/webhook with every "
                  "payment; set the same URL in the console (결제알림 Webhook URL) for payments "
                  "made without it. It must be https and reachable from the internet."),
    ChecklistItem("ip_security", CONSOLE, "Set IP security settings.", A,
                  "Keep PAYDESK_WEBHOOK_ALLOWED_IPS at i'mport's addresses (the default); behind a "
                  "reverse proxy set PAYDESK_TRUSTED_PROXIES to its address and make it send "
                  "X-Forwarded-For (docs/deploy.md)."),
    ChecklistItem("installments", CONSOLE, "Check the credit card usage/merchant interest payment "
                  "installment settings.", A,
                  "PAYDESK_CARD_QUOTA (and each product's card_quota) decide the months the window "
                  "offers (display.card_quota); the console's 무이자 할부 settings decide which "
                  "are interest-free. Installments start at 50,000 KRW."),
    ChecklistItem("m_redirect_url", CONSOLE, "Set m_redirect_URL (for when using redirect mode "
                  "(mobile/PayPal)).", A,
                  "paydesk sends m_redirect_url = PAYDESK_PUBLIC_BASE_URL + /iamport/complete with "
                  "every order; it must be reachable from the buyer's phone."),
    ChecklistItem("confirm_url", CONSOLE, "Set confirm_URL (for when using the service - must "
                  "request to i'mport in advance)", A,
                  "Ask support@iamport.kr to enable the Confirm Process for your Merchant ID; "
                  "paydesk sends confirm_url = PAYDESK_PUBLIC_BASE_URL + /iamport/confirm?token=… "
                  "per order."),
    ChecklistItem("window_opened", WINDOW, "The payment window for the specified PG opened.", M,
                  "In the target environment, place an order per PG and method the shop offers "
                  "and open its window (the emulator proves paydesk's side, not the PG's)."),
    ChecklistItem("window_result", WINDOW, "After payment, the result is successfully received "
                  "via callback/via 302 redirect to m_redirect_url.", M,
                  "Pay once on a PC (callback) and once on a phone (redirect); the result page "
                  "/iamport/complete must show 결제가 완료되었습니다."),
    ChecklistItem("webhook_received", WINDOW, "When the payment is completed (paid/canceled), the "
                  "processing result is successfully received via webhook.", A,
                  "The webhook must reach the server: see the webhook URL item. In the target "
                  "environment pay and cancel once and look for both deliveries in the webhook "
                  "inbox (`paydesk webhooks`)."),
    ChecklistItem("webhook_updated", WINDOW, "The received webhook data (result) is successfully "
                  "updated in the system.", A,
                  "paydesk stores each delivery, then verifies it with i'mport in a job (inline, "
                  "else the worker): the database and a worker must be up."),
    ChecklistItem("webhook_200", WINDOW, "Responded to webhook with HTTP 200.", A,
                  "paydesk answers 200 once a delivery is stored (503 if it cannot be: i'mport "
                  "then redelivers when retries are on)."),
    ChecklistItem("unverified", WINDOW, "There is logic to handle the case when the result cannot "
                  "be verified due to a communication error during payment/cancellation.", A,
                  "A result paydesk could not verify stays unverified/unknown and is re-checked by "
                  "the worker's sweep and the reconciliation (PAYDESK_RECONCILE_EVERY_SECONDS, or "
                  "`paydesk reconcile`)."),
    ChecklistItem("reprocessing", WINDOW, "There is a reprocessing logic for each payment/"
                  "cancellation failure reason. (Example: A failed cancellation can be "
                  "reattempted.)", A,
                  "Failed jobs are retried with backoff; after the last attempt they are dead "
                  "letters: `paydesk retries list`, then requeue or dismiss."),
    ChecklistItem("lookup", WINDOW, "Provides or can instruct about the function to check the "
                  "transaction details for payment/cancellation.", M,
                  "Staff look payments up in the admin console (/admin) or GET /api/payments; "
                  "tell buyers where their order page is."),
    ChecklistItem("key_items", WINDOW, "Can check the data for key items. (Approval number/"
                  "imp_uid/merchant_uid)", M,
                  "GET /api/payments/{imp_uid} shows apply_num, imp_uid and merchant_uid; check "
                  "one real payment against the PG's admin."),
    ChecklistItem("duplicates", WINDOW, "There is logic to process a duplicate result that is "
                  "received.", M,
                  "paydesk handles a result once whichever way and however often it arrives; to "
                  "see it, resend a paid payment's webhook from the i'mport console: the order "
                  "must not change."),
    ChecklistItem("card_reviews", CARD, "Pass all credit card company reviews, and complete "
                  "approval and full/partial cancellation tests.", M,
                  "Each card company reviews the site after the PG contract; then pay and refund "
                  "(full and partial, POST /api/orders/{order_id}/refunds) with a live card."),
    ChecklistItem("installments_display", CARD, "Verify that installment and interest-free "
                  "settings are shown correctly in the payment window.", M,
                  "Open a card window for 50,000 KRW or more on PC and phone: the months offered "
                  "must be those of PAYDESK_CARD_QUOTA (or the product's), and the interest-free "
                  "ones marked as set in the console."),
    ChecklistItem("card_kinds", CARD, "Successfully process payment/cancellation with check/"
                  "credit/foreign credit cards (foreign credit cards require a separate "
                  "contract).", M,
                  "Pay and refund once with a check card, a credit card and (with the contract) a "
                  "foreign card."),
    ChecklistItem("tax_free", CARD, "Set tax free/taxable amount is displayed correctly in the "
                  "PG's admin/sales slip.", M,
                  "Pay for an order with a tax-free product and compare tax_free/vat_amount "
                  "(GET /api/orders/…) with the sales slip."),
    ChecklistItem("billing_key", CARD, "For subscription payment, billing key is issued and the "
                  "payment is completed successfully.", A,
                  "Issue a billing key (POST /api/customers/{customer_uid}/billing-key, or its "
                  "window) with a live card on the PG that issues yours, then charge it once."),
    ChecklistItem("billing_key_reissue", CARD, "If payment fails, the corresponding billing key "
                  "can be deleted and reissued for a new payment info to make a payment.", M,
                  "Delete a customer's billing key and issue a new one for the same customer_uid, "
                  "then charge it."),
    ChecklistItem("vbank_bank_name", VBANK, "Can obtain the bank name using the bank code of the "
                  "issued virtual account.", A,
                  "paydesk reads bank names from i'mport's bank code table (GET /banks)."),
    ChecklistItem("vbank_send_delete", VBANK, "Can send the issued virtual account to the payer "
                  "and then delete it.", M,
                  "Set PAYDESK_SMTP_HOST so the account reaches the buyer by e-mail; issue one, "
                  "then revoke it (DELETE /api/vbanks/{imp_uid})."),
    ChecklistItem("vbank_deposit", VBANK, "Can receive the deposit result and update it in the "
                  "system.", M,
                  "Deposit into a live account (a small amount): the order must become paid after "
                  "the webhook."),
    ChecklistItem("vbank_deposit_cancel", VBANK, "Can update a deposit cancellation in the "
                  "system.", M,
                  "Ask the PG to cancel a test deposit: the order must show the cancellation."),
    ChecklistItem("vbank_refund", VBANK, "Can request and process a refund when a refund is "
                  "requested.", A,
                  "Virtual-account refunds need the PG's refund contract (가상계좌 환불 특약) and the "
                  "buyer's refund account; refund one live deposit."),
    ChecklistItem("trans_bank_name", TRANS, "Can obtain the bank name using the bank code used "
                  "for withdrawal and transfer.", A,
                  "paydesk reads bank names from i'mport's bank code table (GET /banks)."),
    ChecklistItem("trans_refund", TRANS, "Can request and process a refund when a refund is "
                  "requested.", M,
                  "Refund one live account transfer, in full and in part."),
    ChecklistItem("phone_reviews", PHONE, "Pass all phone carrier reviews and complete approval "
                  "and full/partial cancellation tests. (Partial cancellation is not supported "
                  "except for Inicis and KCP (separate agreement required))", A,
                  "Carriers review the site after the PG contract; paydesk refuses partial "
                  "refunds of phone payments on other PGs (rule phone_partial)."),
    ChecklistItem("phone_month", PHONE, "Approved transactions can only be cancelled during the "
                  "month when the transaction occurred.", M,
                  "paydesk refuses later cancels (rule phone_month), except KCP with a refund "
                  "account; tell support staff to refund phone payments within the month."),
    ChecklistItem("foreigner_check", IDENTITY, "Sign an agreement for foreigner status check, if "
                  "needed.", M,
                  "If foreigners verify their identity (/api/customers/{ref}/identity), sign the "
                  "foreigner check agreement with the verification PG; then verify one "
                  "foreign resident and look at the stored result's foreigner flag."),
    ChecklistItem("receipt_cancel", RECEIPT, "Can search for and cancel an issued receipt.", M,
                  "Issue a cash receipt (POST /api/receipts), look it up, then cancel it."),
    ChecklistItem("receipt_separate", RECEIPT, "Can process i'mport transactions and other "
                  "transactions separately.", M,
                  "Receipts for payments outside i'mport go through /api/external-receipts; "
                  "issue one of each kind."),
    ChecklistItem("browser_matrix", TARGET, "Test all test cases in the target payment "
                  "environment.", M, f"Run the cases above on: {_MATRIX}."),
    ChecklistItem("ios_info_plist", TARGET, "Create info.plist to link to external PG apps in "
                  "iOS.", M,
                  "In the iOS app's Info.plist add LSApplicationQueriesSchemes with the card and "
                  "bank apps' schemes (kftc-bankpay, ispmobile, kb-acp, hdcardappcardansimclick, "
                  "shinhan-sr-ansimclick, lotteappcard, cloudpay, nhappcardansimclick, "
                  "citispay, payco, kakaotalk, supertoss …) and a URL type for your own scheme."),
    ChecklistItem("app_scheme", TARGET, "Pass app_scheme to return to the merchant app after "
                  "payment.", M,
                  "Set PAYDESK_APP_SCHEME to the app's URL scheme (e.g. myshop); paydesk then "
                  "sends app_scheme with every request_pay. Pay once from the app on iOS."),
)  # fmt: skip

#: Every item, in order: paydesk's own first, then the checklist's.
CHECKLIST: Final[tuple[ChecklistItem, ...]] = _ITEMS
_BY_KEY: Final[Mapping[str, ChecklistItem]] = {i.key: i for i in _ITEMS}


def item(key: str) -> ChecklistItem:
    """The item with ``key``; ``KeyError`` if there is none."""
    return _BY_KEY[key]
