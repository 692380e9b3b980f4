"""``UtcDateTime``'s own SQLite bind step writes exactly what SQLAlchemy's would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Dialect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite import DATETIME

from paydesk.store.types import UtcDateTime

SQLITE = sqlite.dialect()
ZONES = st.one_of(
    st.just(UTC),
    st.integers(min_value=-23 * 60, max_value=23 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
)


def _bind(dialect: Dialect) -> Callable[[Any], Any]:
    process = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return process


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES))
def test_sqlite_text_is_sqlalchemys_datetime_text_of_the_utc_instant(instant: datetime) -> None:
    ours = _bind(SQLITE)(instant)
    reference = DATETIME().bind_processor(SQLITE)  # type: ignore[no-untyped-call]
    assert reference is not None
    theirs = reference(instant.astimezone(UTC).replace(tzinfo=None))
    assert ours == theirs
    assert datetime.fromisoformat(ours).replace(tzinfo=UTC) == instant


def test_none_stays_none_and_a_naive_datetime_is_refused() -> None:
    bind = _bind(SQLITE)
    assert bind(None) is None
    with pytest.raises(ValueError, match="naive"):
        bind(datetime(2026, 12, 7, 12, 0))


def test_postgres_keeps_the_aware_instant() -> None:
    instant = datetime(2026, 12, 7, 21, 0, tzinfo=timezone(timedelta(hours=9)))
    assert _bind(postgresql.dialect())(instant) == instant  # type: ignore[no-untyped-call]
