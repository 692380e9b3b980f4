"""The refund state machine: final states stay final, every class of answer has its next state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.refund_lifecycle import (
    IN_FLIGHT,
    OPEN,
    REFUND_MOVES,
    Classification,
    RefundState,
    after_attempt,
    can_move,
)

S = RefundState


def test_every_state_has_a_row_and_final_states_are_final() -> None:
    assert set(REFUND_MOVES) == set(RefundState)
    assert REFUND_MOVES[S.SUCCEEDED] == REFUND_MOVES[S.FAILED] == frozenset()
    assert set(RefundState) - {S.SUCCEEDED, S.FAILED} == OPEN
    assert IN_FLIGHT <= OPEN


def test_an_answer_that_may_have_refunded_is_never_taken_for_not_sent() -> None:
    assert after_attempt(Classification.UNKNOWN) is S.UNKNOWN
    # from unknown the only ways out are "found in the history" or "provably absent"
    assert REFUND_MOVES[S.UNKNOWN] == {S.SUCCEEDED, S.REQUESTED}
    assert not can_move(S.UNKNOWN, S.FAILED)


@pytest.mark.parametrize(
    ("classification", "state"),
    [
        (Classification.SUCCEEDED, S.SUCCEEDED),
        (Classification.REJECTED_PERMANENT, S.FAILED),
        (Classification.REJECTED_RETRYABLE, S.REQUESTED),
        (Classification.NEEDS_INPUT, S.NEEDS_REFUND_ACCOUNT),
        (Classification.NOT_SENT, S.REQUESTED),
        (Classification.UNKNOWN, S.UNKNOWN),
    ],
)
def test_each_class_moves_a_sending_refund(classification: Classification, state: S) -> None:
    assert after_attempt(classification) is state
    assert can_move(S.SENDING, state)


@given(st.lists(st.sampled_from(list(RefundState)), min_size=1, max_size=12))
def test_a_refund_never_leaves_a_final_state(path: list[RefundState]) -> None:
    state = S.REQUESTED
    for wanted in path:
        if can_move(state, wanted):
            if state in (S.SUCCEEDED, S.FAILED):
                assert wanted == state
            state = wanted
