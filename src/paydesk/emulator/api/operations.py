"""Every i'mport V1 operation the emulator routes, with its documented HTTP statuses.

Taken from the official Swagger spec (80 operations) plus three the reference
documents outside it: ``GET /vbanks/holder`` (older spec copy), and the legacy
``POST /subscribe/payments/foreign`` and ``GET /kakao/payment/orders``.
The statuses decide, per operation, whether invalid input is a 400 or an
HTTP 200 with a non-zero code, as the real server answers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OPERATIONS", "Operation"]


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    operation_id: str
    statuses: tuple[int, ...]
    tag: str

    @property
    def bad_request_status(self) -> int:
        return 400 if 400 in self.statuses else 200


OPERATIONS: tuple[Operation, ...] = (
    Operation("POST", "/users/getToken", "getToken", (200, 401), "authenticate"),
    Operation("POST", "/benepia/point", "queryBenepiaPoint", (200, 401, 500), "benepia"),
    Operation("POST", "/benepia/payment", "payBenepiaPoint", (200, 401, 500), "benepia"),
    Operation(
        "GET", "/certifications/{imp_uid}", "getCertification", (200, 401, 404), "certifications"
    ),
    Operation(
        "DELETE",
        "/certifications/{imp_uid}",
        "deleteCertification",
        (200, 401, 404, 500),
        "certifications",
    ),
    Operation(
        "POST", "/certifications/otp/request", "requestOTP", (200, 400, 401, 500), "certifications"
    ),
    Operation(
        "POST",
        "/certifications/otp/confirm/{imp_uid}",
        "confirmOTP",
        (200, 400, 401, 404, 500),
        "certifications",
    ),
    Operation(
        "GET",
        "/subscribe/customers",
        "customer_view_multiple",
        (200, 207, 401, 404),
        "subscribe.customer",
    ),
    Operation(
        "GET",
        "/subscribe/customers/{customer_uid}",
        "customer_view",
        (200, 401, 404),
        "subscribe.customer",
    ),
    Operation(
        "POST",
        "/subscribe/customers/{customer_uid}",
        "customer_save",
        (200, 401),
        "subscribe.customer",
    ),
    Operation(
        "DELETE",
        "/subscribe/customers/{customer_uid}",
        "customer_delete",
        (200, 401, 404),
        "subscribe.customer",
    ),
    Operation(
        "GET",
        "/subscribe/customers/{customer_uid}/payments",
        "customer_payments",
        (200, 401, 404),
        "subscribe.customer",
    ),
    Operation(
        "GET",
        "/subscribe/customers/{customer_uid}/schedules",
        "findSchedulesByCustomer",
        (200, 400, 401),
        "subscribe.customer",
    ),
    Operation("POST", "/cvs", "issueCvsPayment", (200, 401), "cvs"),
    Operation("DELETE", "/cvs/{imp_uid}", "revokeCvsPayment", (200, 401), "cvs"),
    Operation(
        "GET",
        "/escrows/logis/{imp_uid}",
        "escrow_logis_get",
        (200, 400, 401, 404, 409, 500),
        "escrow.logis",
    ),
    Operation(
        "PUT",
        "/escrows/logis/{imp_uid}",
        "escrow_logis_edit",
        (200, 400, 401, 404, 405, 409, 500),
        "escrow.logis",
    ),
    Operation(
        "POST",
        "/escrows/logis/{imp_uid}",
        "escrow_logis_save",
        (200, 400, 401, 404, 405, 409, 500),
        "escrow.logis",
    ),
    Operation(
        "DELETE", "/kcpquick/members/{member_id}", "member_delete", (200, 401, 404), "kcpquick"
    ),
    Operation("POST", "/kcpquick/payment/money", "payWithMoney", (200, 401), "kcpquick"),
    Operation(
        "PUT",
        "/kcpquick/prepare/{merchant_uid}",
        "prepare_update",
        (200, 400, 401, 404),
        "kcpquick",
    ),
    Operation(
        "POST",
        "/kcpquick/prepare/{merchant_uid}",
        "prepare_create",
        (200, 400, 401, 409),
        "kcpquick",
    ),
    Operation("POST", "/kcpquick/payment/autopay", "payWithAutoPaymentKey", (200, 401), "kcpquick"),
    Operation(
        "DELETE",
        "/kcpquick/autopay/{customer_uid}",
        "deleteAutoPayKey",
        (200, 401, 404, 500),
        "kcpquick",
    ),
    Operation(
        "POST",
        "/kcpquick/members/{member_id}/fido/release",
        "releaseFido",
        (200, 400, 401, 500),
        "kcpquick",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/cancel",
        "naverCancelProductOrder",
        (200, 207, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/approve-cancel",
        "naverApproveCancelProductOrder",
        (200, 207, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/ship",
        "naverShipProductOrder",
        (200, 207, 400, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/ship-exchanged",
        "naverShipProductOrder",
        (200, 207, 400, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/collect-exchanged",
        "naverCollectProductOrder",
        (200, 207, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/place",
        "naverPlaceProductOrder",
        (200, 207, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/request-return",
        "naverRequestReturnProductOrder",
        (200, 207, 400, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/approve-return",
        "naverApproveReturnProductOrder",
        (200, 207, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/reject-return",
        "naverRejectReturnProductOrder",
        (200, 207, 400, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/withhold-return",
        "naverWithholdReturnProductOrder",
        (200, 207, 400, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/resolve-return",
        "naverResolveReturnProductOrder",
        (200, 207, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/point",
        "naverDepositPoint",
        (200, 401, 404, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/payments/{imp_uid}/naver/confirm",
        "naverConfirmPayment",
        (200, 401, 404, 500),
        "naver",
    ),
    Operation(
        "GET",
        "/payments/{imp_uid}/naver/product-orders",
        "getProductOrders",
        (200, 401, 404),
        "naver",
    ),
    Operation(
        "GET",
        "/naver/product-orders/{product_order_id}",
        "getProductOrderSingle",
        (200, 400, 401, 404),
        "naver",
    ),
    Operation("GET", "/naver/reviews", "getReviews", (200, 400, 401, 500), "naver"),
    Operation(
        "GET",
        "/payments/{imp_uid}/naver/cash-amount",
        "queryCashAmount",
        (200, 400, 401, 500),
        "naver",
    ),
    Operation(
        "POST",
        "/partners/receipts/{imp_uid}",
        "partner",
        (200, 400, 401, 404, 500, 501),
        "partners",
    ),
    Operation("POST", "/payco/orders/status/{imp_uid}", "changeOrderStatus", (200, 401), "payco"),
    Operation(
        "GET", "/payments/{imp_uid}/balance", "balanceByImpUid", (200, 401, 404, 405), "payments"
    ),
    Operation("GET", "/payments/{imp_uid}", "getPaymentByImpUid", (200, 401, 404), "payments"),
    Operation("GET", "/payments", "getPaymentListByImpUid", (200, 207, 401, 404), "payments"),
    Operation(
        "GET",
        "/payments/find/{merchant_uid}/{payment_status}",
        "getPaymentByMerchantUid",
        (200, 401, 404),
        "payments",
    ),
    Operation(
        "GET",
        "/payments/findAll/{merchant_uid}/{payment_status}",
        "getAllPaymentsByMerchantUid",
        (200, 400, 401, 404),
        "payments",
    ),
    Operation(
        "GET",
        "/payments/status/{payment_status}",
        "getPaymentsByStatus",
        (200, 400, 401),
        "payments",
    ),
    Operation("POST", "/payments/cancel", "cancelPayment", (200, 401), "payments"),
    Operation(
        "PUT", "/payments/prepare", "editPreparePayment", (200, 401, 404), "payments.validation"
    ),
    Operation("POST", "/payments/prepare", "preparePayment", (200, 401), "payments.validation"),
    Operation(
        "GET",
        "/payments/prepare/{merchant_uid}",
        "getPaymentPrepareByMerchantUid",
        (200, 401),
        "payments.validation",
    ),
    Operation("POST", "/paymentwall/delivery", "paymentwall_delivery", (200, 401), "paymentwall"),
    Operation("GET", "/receipts/{imp_uid}", "getReceipt", (200, 401, 404), "receipts"),
    Operation("POST", "/receipts/{imp_uid}", "issueReceipt", (200, 400, 401, 500, 501), "receipts"),
    Operation(
        "DELETE", "/receipts/{imp_uid}", "revokeReceipt", (200, 400, 401, 500, 501), "receipts"
    ),
    Operation(
        "GET",
        "/receipts/external/{merchant_uid}",
        "getExternalReceipt",
        (200, 401, 404),
        "receipts",
    ),
    Operation(
        "POST",
        "/receipts/external/{merchant_uid}",
        "issueExternalReceipt",
        (200, 400, 401, 500, 501),
        "receipts",
    ),
    Operation(
        "DELETE",
        "/receipts/external/{merchant_uid}",
        "revokeExternalReceipt",
        (200, 400, 401, 404, 500, 501),
        "receipts",
    ),
    Operation("GET", "/cards", "allCardCodes", (200, 401, 404), "codes"),
    Operation("GET", "/cards/{card_standard_code}", "cardCodes", (200, 401, 404), "codes"),
    Operation("GET", "/banks", "allBankCodes", (200, 401, 404), "codes"),
    Operation("GET", "/banks/{bank_standard_code}", "bankCodes", (200, 401, 404), "codes"),
    Operation("POST", "/subscribe/payments/onetime", "onetime", (200, 401), "subscribe"),
    Operation("POST", "/subscribe/payments/again", "again", (200, 401), "subscribe"),
    Operation(
        "GET", "/subscribe/payments/schedule", "findSchedulesByRange", (200, 400, 401), "subscribe"
    ),
    Operation("POST", "/subscribe/payments/schedule", "schedule", (200, 401), "subscribe"),
    Operation("POST", "/subscribe/payments/unschedule", "unschedule", (200, 401), "subscribe"),
    Operation(
        "GET",
        "/subscribe/payments/schedule/{merchant_uid}",
        "getScheduleByMid",
        (200, 401, 404),
        "subscribe",
    ),
    Operation(
        "PUT",
        "/subscribe/payments/schedule/{merchant_uid}",
        "updateScheduleByMid",
        (200, 400, 404, 500),
        "subscribe",
    ),
    Operation(
        "POST",
        "/subscribe/payments/schedule/{merchant_uid}/reschedule",
        "rescheduleByMid",
        (200, 400, 404, 500),
        "subscribe",
    ),
    Operation(
        "POST",
        "/subscribe/payments/schedule/{merchant_uid}/retry",
        "retryScheduleByMid",
        (200, 400, 404, 500),
        "subscribe",
    ),
    Operation(
        "GET",
        "/subscribe/payments/schedule/customers/{customer_uid}",
        "findSchedulesByCustomer",
        (200, 400, 401),
        "subscribe",
    ),
    Operation("GET", "/tiers/{tier_code}", "GetTier", (200, 401, 404), "tiers"),
    Operation("GET", "/users/pg", "getPgSettingList", (200,), "users"),
    Operation("POST", "/vbanks", "createVbank", (200, 401), "vbanks"),
    Operation("PUT", "/vbanks/{imp_uid}", "modifyVbank", (200, 400, 401, 404), "vbanks"),
    Operation("DELETE", "/vbanks/{imp_uid}", "revokeVbank", (200, 400, 401, 404), "vbanks"),
    Operation("GET", "/vbanks/holder", "getVbankHolder", (200, 400, 401, 404), "vbanks"),
    Operation("POST", "/subscribe/payments/foreign", "foreign", (200, 401), "subscribe"),
    Operation("GET", "/kakao/payment/orders", "getKakaopayOrders", (200, 401), "kakao"),
)
