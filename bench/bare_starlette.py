"""The bare Starlette baseline for the emulator: the same two calls, no gateway behind them.

``POST /users/getToken`` reads the JSON body and answers a token envelope;
``GET /payments/{imp_uid}`` answers a fixed payment envelope of the emulator's
size.  It runs under the same uvicorn as ``paydesk emulator`` (``serve``), so
the ratio measures what the emulator adds on top of the framework.
"""

from __future__ import annotations

import json
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAYMENT = {
    "imp_uid": "imp_100000000001", "merchant_uid": "bench-1", "pay_method": "card",
    "channel": "api", "pg_provider": "nice", "emb_pg_provider": None, "pg_tid": "nice_17000",
    "pg_id": "nictest04m", "escrow": False, "apply_num": "12345678", "bank_code": None,
    "bank_name": None, "card_code": "366", "card_name": "신한카드", "card_issuer_code": None,
    "card_issuer_name": None, "card_publisher_code": None, "card_publisher_name": None,
    "card_quota": 0, "card_number": "411111******1111", "card_type": 0, "vbank_code": None,
    "vbank_name": None, "vbank_num": None, "vbank_holder": None, "vbank_date": 0,
    "vbank_issued_at": 0, "name": "벤치 주문", "amount": 1000, "cancel_amount": 0,
    "currency": "KRW", "buyer_name": None, "buyer_email": None, "buyer_tel": None,
    "buyer_addr": None, "buyer_postcode": None, "custom_data": None, "user_agent": None,
    "status": "paid", "started_at": 1700000000, "paid_at": 1700000000, "failed_at": 0,
    "cancelled_at": 0, "fail_reason": None, "cancel_reason": None,
    "receipt_url": "https://iamport.example/receipts/sales/imp_100000000001",
    "cash_receipt_issued": False, "customer_uid": None, "customer_uid_usage": None,
    "sandbox": False, "promotion": None, "cancel_history": [], "cancel_receipt_urls": [],
    "deposit_history": [],
}  # fmt: skip


async def get_token(request: Request) -> Response:
    body = json.loads(await request.body())
    token = {"access_token": "0" * 40, "now": 1700000000, "expired_at": 1700001800}
    return JSONResponse({"code": 0, "message": None, "response": token | {"k": body["imp_key"]}})


async def get_payment(request: Request) -> Response:
    payment = PAYMENT | {"imp_uid": request.path_params["imp_uid"]}
    return JSONResponse({"code": 0, "message": None, "response": payment})


app = Starlette(
    routes=[
        Route("/users/getToken", get_token, methods=["POST"]),
        Route("/payments/{imp_uid}", get_payment, methods=["GET"]),
    ]
)


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, log_level=None)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
