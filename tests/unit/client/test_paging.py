"""Walking windows and pages: which requests, in which order, items once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.iamport.operations.listings import iter_find_payments, iter_payments_by_status
from paydesk.iamport.paging import MAX_WINDOW, windows

from .replay import ok, payment, replay

START = datetime(2024, 1, 1, tzinfo=UTC)


def test_windows_cover_the_range_in_spans_of_at_most_90_days() -> None:
    spans = list(windows(START, START + timedelta(days=200)))
    assert spans == [
        (START, START + MAX_WINDOW),
        (START + MAX_WINDOW, START + 2 * MAX_WINDOW),
        (START + 2 * MAX_WINDOW, START + timedelta(days=200)),
    ]
    assert list(windows(START, START)) == [(START, START)]
    with pytest.raises(ValueError):
        list(windows(START, START - timedelta(seconds=1)))
    with pytest.raises(ValueError):
        list(windows(START, START + timedelta(days=1), timedelta(days=91)))


def page(items: list[dict[str, Any]], next_page: int = 0) -> tuple[int, dict[str, Any]]:
    return ok({"total": 99, "previous": 0, "next": next_page, "list": items})


def walk(pager: Any, pages: list[tuple[int, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    """Run a pager like the clients do, answering its page flows from ``pages``."""
    seen, requests = [], []
    flow = pager.next_flow()
    while flow is not None:
        result, sent = replay(flow, [pages.pop(0)])
        requests.extend(sent)
        seen.extend(item.imp_uid for item in pager.accept(result))
        flow = pager.next_flow()
    assert not pages
    return seen, requests


def test_status_walk_goes_window_by_window_and_page_by_page_without_duplicates() -> None:
    pager = iter_payments_by_status("paid", since=START, until=START + timedelta(days=100), limit=2)
    seen, requests = walk(
        pager,
        [
            page([payment(imp_uid="a"), payment(imp_uid="b")], next_page=2),
            page([payment(imp_uid="c")]),
            page([payment(imp_uid="c"), payment(imp_uid="d")]),  # c sits on the boundary
        ],
    )
    assert seen == ["a", "b", "c", "d"]
    queries = [dict(r.query) for r in requests]
    assert [q["page"] for q in queries] == ["1", "2", "1"]
    first_to = int((START + MAX_WINDOW).timestamp())
    assert queries[0]["from"] == str(int(START.timestamp())) and queries[0]["to"] == str(first_to)
    assert queries[2]["from"] == str(first_to)
    assert all(r.path == "/payments/status/paid" and r.safe for r in requests)


def test_a_next_page_that_does_not_advance_ends_the_window() -> None:
    pager = iter_find_payments("order_1")
    seen, requests = walk(pager, [page([payment(imp_uid="a")], next_page=1)])
    assert seen == ["a"] and len(requests) == 1


def test_empty_window_moves_on() -> None:
    pager = iter_payments_by_status(since=START, until=START + timedelta(days=120))
    seen, requests = walk(pager, [page([]), page([payment(imp_uid="z")])])
    assert seen == ["z"] and len(requests) == 2
