"""Transaction rows as CSV: header, quoting, Korean time, and the formula guard."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from paydesk.services.transaction_csv import BOM, COLUMNS, cell, csv_lines, csv_stream
from paydesk.store.backoffice import TransactionRow

ROW = TransactionRow(
    order_id=7, merchant_uid="order_1", name="램프, 큰 것", status="paid", amount=30_000,
    paid_amount=30_000, refunded_amount=0, currency="KRW", imp_uid="imp_1",
    payment_status="paid", apply_num="30001234", pg_tid="tid-1", pay_method="card",
    pg="html5_inicis", buyer_name="홍길동", buyer_email="hong@example.com",
    paid_at=datetime(2030, 1, 1, 15, 30, tzinfo=UTC), created_at=datetime(2030, 1, 1, 15, 0, tzinfo=UTC),
)  # fmt: skip


def parsed(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


def test_a_header_then_one_parsable_line_per_row() -> None:
    lines = list(csv_lines([ROW, replace(ROW, order_id=8, buyer_email=None)]))
    table = parsed(lines)
    assert table[0] == [header for header, _ in COLUMNS]
    assert len(table) == 3 and all(line.endswith("\r\n") for line in lines)
    first = dict(zip(table[0], table[1], strict=True))
    assert first["name"] == "램프, 큰 것" and first["amount"] == "30000"
    assert first["paid_at"] == "2030-01-02T00:30:00+09:00"  # Korean time
    assert dict(zip(table[0], table[2], strict=True))["buyer_email"] == ""


@pytest.mark.parametrize("text", ["=1+2", "+82-10", "-3", "@SUM(A1)", "\tx", "\r=x"])
def test_a_cell_that_looks_like_a_formula_is_quoted(text: str) -> None:
    assert cell(text) == "'" + text
    row = parsed(list(csv_lines([replace(ROW, buyer_name=text)])))[1]
    assert row[[h for h, _ in COLUMNS].index("buyer_name")] == "'" + text


@pytest.mark.parametrize("value", ["홍길동", "a=b", "order-1", "", "0"])
def test_ordinary_text_and_numbers_are_left_alone(value: str) -> None:
    assert cell(value) == value
    assert cell(-5) == "-5" and cell(None) == ""


def test_the_stream_starts_with_a_bom_and_matches_the_lines() -> None:
    async def rows() -> AsyncIterator[TransactionRow]:
        for row in (ROW, replace(ROW, order_id=9)):
            yield row

    async def collect(bom: bool) -> list[str]:
        return [line async for line in csv_stream(rows(), bom=bom)]

    streamed = asyncio.run(collect(True))
    assert streamed[0].startswith(BOM)
    assert [streamed[0].removeprefix(BOM), *streamed[1:]] == list(
        csv_lines([ROW, replace(ROW, order_id=9)])
    )
    assert not asyncio.run(collect(False))[0].startswith(BOM)
