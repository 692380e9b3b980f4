"""The subscription state machine: periods, dunning, past due, new cards, cancelling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from paydesk.core.subscriptions import (
    TRANSITIONS,
    AskForNewCard,
    CancelAtPeriodEnd,
    CancelNow,
    ChargeFailed,
    ChargePaid,
    Dunning,
    IllegalSubscriptionMove,
    Interval,
    KeyReplaced,
    PeriodEnded,
    StopScheduledCharges,
    Subscription,
    SubscriptionStatus,
    apply,
    due_action,
)

T0 = datetime(2030, 1, 31, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
S = SubscriptionStatus


def started(unit: str = "day", count: int = 30, days: tuple[int, ...] = (1, 3, 7)) -> Subscription:
    return Subscription.start(Interval(unit, count), Dunning.days(days), T0)  # type: ignore[arg-type]


def paid_once(**kw: object) -> Subscription:
    return apply(started(**kw), ChargePaid(1, T0)).subscription  # type: ignore[arg-type]


def test_a_new_subscription_is_due_at_once() -> None:
    sub = started()
    assert sub.status == S.ACTIVE and sub.next_charge_at == T0 and sub.period_end is None
    assert due_action(sub, T0) == "charge" and due_action(sub, T0 - DAY) == "wait"


def test_a_paid_charge_starts_the_period_and_the_next_is_due_at_its_end() -> None:
    sub = paid_once()
    assert (sub.period, sub.period_start, sub.period_end) == (1, T0, T0 + 30 * DAY)
    assert sub.next_charge_at == T0 + 30 * DAY
    again = apply(sub, ChargePaid(1, T0 + DAY))  # the same report twice changes nothing
    assert again.subscription == sub


def test_monthly_periods_keep_their_day_instead_of_drifting() -> None:
    sub = paid_once(unit="month", count=1)
    ends = []
    for period in range(2, 5):
        sub = apply(sub, ChargePaid(period, sub.next_charge_at or T0)).subscription
        ends.append(sub.period_end)
    assert sub.interval.after(T0, 1) == datetime(2030, 2, 28, 9, tzinfo=UTC)
    assert ends == [datetime(2030, 3, 31, 9, tzinfo=UTC), datetime(2030, 4, 30, 9, tzinfo=UTC),
                    datetime(2030, 5, 31, 9, tzinfo=UTC)]  # fmt: skip


def test_dunning_retries_after_1_3_7_days_then_past_due_asks_for_a_card() -> None:
    sub = paid_once()
    due = sub.next_charge_at
    assert due is not None
    retries = []
    at = due
    for _ in range(3):
        sub = apply(sub, ChargeFailed(2, at, "잔액 부족")).subscription
        assert sub.status == S.ACTIVE and sub.retrying
        retries.append(sub.next_charge_at)
        at = sub.next_charge_at or at
    assert retries == [due + DAY, due + 3 * DAY, due + 7 * DAY]
    last = apply(sub, ChargeFailed(2, at, "잔액 부족"))
    assert last.subscription.status == S.PAST_DUE and last.subscription.next_charge_at is None
    assert last.effects == (AskForNewCard("잔액 부족"),)
    assert due_action(last.subscription, at + 30 * DAY) == "wait"


def test_a_new_card_makes_the_charge_due_and_payment_starts_a_new_run() -> None:
    sub = paid_once(days=())
    sub = apply(sub, ChargeFailed(2, T0 + 30 * DAY)).subscription
    assert sub.status == S.PAST_DUE  # no retries configured: past due at once
    later = T0 + 40 * DAY
    sub = apply(sub, KeyReplaced(later)).subscription
    assert sub.next_charge_at == later and sub.status == S.PAST_DUE
    sub = apply(sub, ChargePaid(2, later)).subscription
    assert sub.status == S.ACTIVE and sub.period == 2 and sub.period_start == later
    assert sub.period_end == later + 30 * DAY and sub.failures == 0


def test_a_new_card_while_retrying_is_tried_at_once_and_keeps_the_anchor() -> None:
    sub = apply(paid_once(), ChargeFailed(2, T0 + 30 * DAY)).subscription
    sub = apply(sub, KeyReplaced(T0 + 30 * DAY + timedelta(hours=2))).subscription
    assert sub.next_charge_at == T0 + 30 * DAY + timedelta(hours=2)
    sub = apply(sub, ChargePaid(2, T0 + 31 * DAY)).subscription
    assert sub.period_start == T0 + 30 * DAY and sub.period_end == T0 + 60 * DAY


def test_a_new_card_changes_nothing_for_a_subscription_in_good_standing() -> None:
    sub = paid_once()
    assert apply(sub, KeyReplaced(T0 + DAY)).subscription == sub


def test_stale_reports_change_nothing() -> None:
    sub = paid_once()
    assert apply(sub, ChargeFailed(1, T0)).subscription == sub  # period 1 is paid
    assert apply(sub, ChargePaid(5, T0)).subscription == sub  # not the period due


def test_cancel_now_stops_everything() -> None:
    moved = apply(paid_once(), CancelNow(T0 + DAY))
    assert moved.subscription.status == S.CANCELLED
    assert moved.subscription.next_charge_at is None
    assert moved.effects == (StopScheduledCharges(),)
    with pytest.raises(IllegalSubscriptionMove):
        apply(moved.subscription, ChargePaid(2, T0 + 30 * DAY))


def test_cancel_at_period_end_lets_the_period_run_out() -> None:
    moved = apply(paid_once(), CancelAtPeriodEnd(T0 + DAY))
    sub = moved.subscription
    assert sub.status == S.ACTIVE and sub.cancel_at_period_end
    end = T0 + 30 * DAY
    assert due_action(sub, end - DAY) == "wait" and due_action(sub, end) == "end"
    assert apply(sub, PeriodEnded(end - DAY)).subscription == sub  # not yet
    ended = apply(sub, PeriodEnded(end)).subscription
    assert ended.status == S.CANCELLED and ended.cancelled_at == end


def test_cancel_at_period_end_without_paid_time_ends_at_once() -> None:
    retrying = apply(paid_once(), ChargeFailed(2, T0 + 30 * DAY)).subscription
    for sub in (started(), retrying):
        ended = apply(sub, CancelAtPeriodEnd(T0 + 31 * DAY)).subscription
        assert ended.status == S.CANCELLED


def test_the_graph_is_enforced() -> None:
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    cancelled = replace(paid_once(), status=S.CANCELLED)
    assert apply(cancelled, KeyReplaced(T0)).subscription == cancelled
    assert apply(cancelled, CancelNow(T0)).subscription == cancelled


@pytest.mark.parametrize("days", [(3, 1), (1, 1), (0,), (-1,)])
def test_dunning_days_must_be_positive_and_increasing(days: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        Dunning.days(days)


def test_intervals_are_bounded() -> None:
    with pytest.raises(ValueError):
        Interval("day", 0)
    with pytest.raises(ValueError):
        Interval("week", 1)  # type: ignore[arg-type]
