"""Scenario ``confirm``: the flash-sale rush over HTTP, on SQLite and PostgreSQL.

Per backend, against the bare endpoint (``bench.bare``) on the same uvicorn:

1. the rush: N confirms for one product of K units, 200 in flight: confirms/s,
   exactly K approvals, no 5xx; the server's peak RSS;
2. sold out: M more confirms once nothing is left: refusals/s;
3. approvals' own maximum: confirms for a fresh product with stock for all, 200 in
   flight; then half of that, offered open-model on another fresh product: p99. (The
   rush's maximum is mostly sold-out refusals, which cost about 60 % of an approval:
   half of it offered as approvals is not half of anything.)
4. twice the rush's maximum, open-model: the slowest answer, no 5xx, exactly K approvals;
5. every confirm of the rush sent again (replays): the stock moves no further.
"""

from __future__ import annotations

import asyncio
from typing import Any

from paydesk.core.money import Money

from .report import Row
from .stack import (
    RssSampler,
    confirm_path,
    json_post,
    load,
    on_each_backend,
    scalar,
    scratch_database,
    seed_orders,
    seed_product,
    serve,
    server_env,
    server_errors,
    shipped,
)

__all__ = ["run"]

PRICE = Money(39_000)
RESULTS: dict[str, dict[str, Any]] = {}  # for the plots: scenario/phase -> loadgen result


def _confirms(uids: list[str], prefix: str) -> list[Any]:
    return [json_post(confirm_path(uid), {"imp_uid": f"{prefix}{i:07d}", "merchant_uid": uid,
                                          "amount": PRICE.amount})
            for i, uid in enumerate(uids)]  # fmt: skip


def _stock(url: str, product_id: int) -> tuple[int, int, int]:
    row = asyncio.run(scalar(url, "SELECT stock_available || ',' || stock_held || ',' || "
                                  f"stock_sold FROM products WHERE id = {product_id}"))  # fmt: skip
    a, h, s = (int(x) for x in str(row).split(","))
    return a, h, s


def backend_rows(backend: str, quick: bool) -> list[Row]:
    n, k, m = (2_000, 100, 1_000) if quick else (20_000, 1_000, 10_000)
    a = 2_000 if quick else 10_000  # approvals for their maximum
    seconds = 2 if quick else 8  # of the open-model runs
    rows: list[Row] = []
    name = f"confirm/{backend}"
    with serve("bench.bare:app", factory=False) as (bare_port, _):
        bare = load(bare_port, _confirms([f"ord_{i}" for i in range(n)], "imp_bare_"))
    RESULTS[f"{name}/bare"] = bare
    with scratch_database(backend) as url:
        hot = asyncio.run(seed_product(url, "hot", k, PRICE))
        rush_uids = [f"ord_rush_{i:07d}" for i in range(n + m)]
        asyncio.run(seed_orders(url, hot, rush_uids, PRICE))
        with shipped("serve", server_env(url)) as (port, pid):
            with RssSampler(pid) as rss:
                rush = load(port, _confirms(rush_uids[:n], "imp_rush_"))
                sold_out = load(port, _confirms(rush_uids[n:], "imp_late_"))
                replay = load(port, _confirms(rush_uids[:n], "imp_rush_"))
            approvals = rush["statuses"].get("200", 0)
            stock_after = _stock(url, hot)
            replay_ok = (
                replay["statuses"].get("200", 0) == approvals and _stock(url, hot) == stock_after
            )
            # approvals' own maximum (closed, 200 in flight), on a fresh product with stock for all
            open_ = asyncio.run(seed_product(url, "p_max", a, PRICE))
            max_uids = [f"ord_max_{i:07d}" for i in range(a)]
            asyncio.run(seed_orders(url, open_, max_uids, PRICE))
            approvals_max = load(port, _confirms(max_uids, "imp_max_"))
            # open model at half the approvals' maximum and twice the rush's, each on a
            # fresh product
            runs = {}
            for label, rate in (("half", approvals_max["rate"] * 0.5),
                                ("overload", rush["rate"] * 2.0)):  # fmt: skip
                count = int(rate * seconds)
                stock = count if label == "half" else k  # half: every confirm approved
                pid_ = asyncio.run(seed_product(url, f"p_{label}", stock, PRICE))
                uids = [f"ord_{label}_{i:07d}" for i in range(count)]
                asyncio.run(seed_orders(url, pid_, uids, PRICE))
                runs[label] = (load(port, _confirms(uids, f"imp_{label}_"), rate=rate,
                                    connections=1000), pid_, count)  # fmt: skip
            over_stock_after = _stock(url, runs["overload"][1])
    for phase, result in (("bare", bare), ("rush", rush), ("sold_out", sold_out),
                          ("approvals_max", approvals_max), ("half", runs["half"][0]),
                          ("overload", runs["overload"][0])):  # fmt: skip
        RESULTS[f"{name}/{phase}"] = result
    held_ok = stock_after == (0, k, 0) and approvals == k
    rows.append(Row(name, f"rush: confirms/s ({n:,} confirms, K={k:,}, 200 in flight)",
                    rush["rate"], bare["rate"], "bare ASGI", "≥ 0.5×",
                    "/s", rush["rate"] >= 0.5 * bare["rate"],
                    f"p99 {rush['ms']['99']:.0f} ms at max"))  # fmt: skip
    rows.append(Row(name, "rush: approvals (exactly K), 5xx", approvals, k, "K", "= K, 0 5xx", "",
                    held_ok and server_errors(rush) == 0,
                    f"stock after {stock_after}, 5xx {server_errors(rush)}"))  # fmt: skip
    rows.append(Row(name, "sold-out answers/s", sold_out["rate"], bare["rate"], "bare ASGI",
                    "≥ 0.8×", "/s", sold_out["rate"] >= 0.8 * bare["rate"],
                    f"all 409: {sold_out['statuses'] == {'409': m}}"))  # fmt: skip
    half, _, _ = runs["half"]
    half_ok = half["ms"]["99"] <= 50 and half["statuses"].get("200", 0) == runs["half"][2]
    rows.append(Row(name, f"p99 at half max ({half['offered']:.0f}/s offered, all to be approved)",
                    half["ms"]["99"], None, "", "≤ 50 ms", "ms", half_ok,
                    f"approvals' max {approvals_max['rate']:,.0f}/s; p50 {half['ms']['50']:.1f}"
                    f" ms, answers {half['statuses']}"))  # fmt: skip
    over = runs["overload"][0]
    over_stock = over_stock_after
    over_ok = over["statuses"].get("200", 0) == k and over_stock[1] == k
    rows.append(Row(name, f"2× overload ({over['offered']:.0f}/s offered): slowest answer",
                    over["ms"]["max"] / 1000, None, "", "≤ 9 s, 0 5xx", "s",
                    over["ms"]["max"] <= 9000 and server_errors(over) == 0 and over_ok,
                    f"approvals {over['statuses'].get('200', 0)} (K={k}), held {over_stock[1]}, "
                    f"5xx {server_errors(over)}, answers {over['statuses']}; the load "
                    f"generator's own lag up to {over['lag_ms'] / 1000:.2f} s"))  # fmt: skip
    rows.append(Row(name, "replayed confirms: same answers, no second decrement",
                    replay["statuses"].get("200", 0), approvals, "first answers", "= first",
                    "", replay_ok, f"stock {stock_after}"))  # fmt: skip
    rows.append(Row(name, "server RSS under the rush", rss.peak_mb, None, "", "≤ 200 MB", "MB",
                    rss.peak_mb <= 200))  # fmt: skip
    return rows


def run(quick: bool) -> list[Row]:
    return on_each_backend("confirm", backend_rows, quick, " (PAYDESK_BENCH_POSTGRES)")
