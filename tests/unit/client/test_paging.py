"""Walking windows and pages: which requests, in which order, and nothing skipped."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.iamport.operations.listings import iter_find_payments, iter_payments_by_status
from paydesk.iamport.paging import MAX_LIMIT, MAX_WINDOW, windows

from .replay import ok, payment, refused, replay

START = datetime(2024, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
DAY = 86400


def test_windows_are_disjoint_whole_seconds_of_at_most_90_days() -> None:
    spans = list(windows(START, START + timedelta(days=200)))
    span = int(MAX_WINDOW.total_seconds())
    assert spans == [
        (T0, T0 + span - 1),
        (T0 + span, T0 + 2 * span - 1),
        (T0 + 2 * span, T0 + 200 * DAY),
    ]
    assert list(windows(START, START)) == [(T0, T0)]
    with pytest.raises(ValueError):
        list(windows(START, START - timedelta(seconds=1)))
    with pytest.raises(ValueError):
        list(windows(START, START + timedelta(days=1), timedelta(days=91)))
    with pytest.raises(ValueError, match="naive"):
        list(windows(datetime(2024, 1, 1), datetime(2024, 2, 1)))


def page(items: list[dict[str, Any]], total: int, next_page: int = 0) -> Any:
    return ok({"total": total, "previous": 0, "next": next_page, "list": items})


def walk(pager: Any, pages: list[Any]) -> tuple[list[str], list[dict[str, str]]]:
    """Run a pager like the clients do, answering its page flows from ``pages``."""
    seen, queries = [], []
    flow = pager.next_flow()
    while flow is not None:
        result, sent = replay(flow, [pages.pop(0)])
        queries.extend(dict(r.query) for r in sent)
        seen.extend(item.imp_uid for item in pager.accept(result))
        flow = pager.next_flow()
    assert not pages
    return seen, queries


def test_a_window_that_fits_one_page_is_read_in_one_request() -> None:
    pager = iter_payments_by_status("paid", since=START, until=START + timedelta(days=100), limit=2)
    seen, queries = walk(
        pager, [page([payment(imp_uid="a"), payment(imp_uid="b")], 2), page([], 0)]
    )
    assert seen == ["a", "b"]
    assert [q["page"] for q in queries] == ["1", "1"]
    assert queries[0]["from"] == str(T0) and int(queries[1]["from"]) == int(queries[0]["to"]) + 1


def test_a_full_window_is_split_and_never_read_by_offset() -> None:
    pager = iter_payments_by_status("paid", since=START, until=START + timedelta(days=8), limit=2)
    seen, queries = walk(
        pager,
        [
            page([payment(imp_uid="a"), payment(imp_uid="b")], 5, next_page=2),  # too many
            page([payment(imp_uid="a"), payment(imp_uid="b")], 2),
            page([payment(imp_uid="c")], 1),
            page([], 0),
            page([payment(imp_uid="d"), payment(imp_uid="e")], 2),
        ],
    )
    assert seen == ["a", "b", "c", "d", "e"]
    assert all(q["page"] == "1" for q in queries)
    windows_read = [(int(q["from"]), int(q["to"])) for q in queries[1:]]
    assert windows_read[0][0] == T0 and windows_read[-1][1] == T0 + 8 * DAY
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(windows_read))


def test_a_crowded_second_is_paged_and_reread_until_its_total_holds_still() -> None:
    pager = iter_payments_by_status("paid", since=START, until=START, limit=10)
    seen, queries = walk(
        pager,
        [
            page([payment(imp_uid="a")], MAX_LIMIT + 1, next_page=2),
            page([payment(imp_uid="b")], MAX_LIMIT, next_page=0),  # one left meanwhile
            page([payment(imp_uid="a")], MAX_LIMIT, next_page=2),  # so: read it again
            page([payment(imp_uid="c")], MAX_LIMIT, next_page=0),
        ],
    )
    assert sorted(seen) == ["a", "b", "c"]
    assert [q["limit"] for q in queries] == [str(MAX_LIMIT)] * 4
    assert [q["page"] for q in queries] == ["1", "2", "1", "2"]


def test_an_offset_listing_restarts_when_its_total_changes() -> None:
    pager = iter_find_payments("order_1", limit=2)
    seen, queries = walk(
        pager,
        [
            page([payment(imp_uid="a"), payment(imp_uid="b")], 4, next_page=2),
            refused(400, 1, "요청하신 page가 조회 결과의 범위를 벗어났습니다."),
            page([payment(imp_uid="a"), payment(imp_uid="c")], 2),
        ],
    )
    assert seen == ["a", "b", "c"]
    assert [q["page"] for q in queries] == ["1", "2", "1"]


def test_limit_is_checked() -> None:
    with pytest.raises(ValueError):
        iter_payments_by_status(since=START, until=START, limit=MAX_LIMIT + 1)


def test_a_long_window_walk_keeps_no_key_of_what_it_yielded() -> None:
    """No seen-set: memory does not grow with the number of items walked (issue 9, item 12)."""
    days = 60
    pager = iter_payments_by_status(
        "paid", since=START, until=START + timedelta(days=days) - timedelta(seconds=1),
        span=timedelta(days=1), limit=5,
    )  # fmt: skip
    answers = [page([payment(imp_uid=f"p{d}_{i}") for i in range(5)], 5) for d in range(days)]
    seen, _ = walk(pager, answers)
    assert len(seen) == len(set(seen)) == days * 5
    state = repr(vars(pager))  # the windows to read (none left) and the initial spans only
    assert "p0_0" not in state and f"p{days - 1}_4" not in state
    assert not any(isinstance(v, set | dict) and v for v in vars(pager).values())
