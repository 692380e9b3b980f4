"""Walking paged listings without missing an item while the list changes.

i'mport pages by offset (``page``, ``limit``).  When an item before the
current offset leaves the list between two requests (a paid payment refunded
during a walk of ``paid`` payments), every later item moves one place up and
one of them is never seen; when enough leave, the next page number is "out of
range" (400).  So the walks here do not rely on offsets across requests:

- ``WindowPager`` (time-ranged listings: payments by status, schedules) reads
  each time window in **one** request.  A window whose ``total`` does not fit
  one page is split into smaller windows, down to a single second.  A single
  request is a consistent snapshot, and windows are disjoint, so an item whose
  time does not change during the walk is in exactly one window and is read
  with it.  An item that changes (a payment refunded, so its status time moves)
  may be yielded again with its new state, or not at all if it left the
  listing (it is no longer ``paid``): both are what the listing says at the
  time it is read.  A single second holding more items than the largest page
  (1000) is read page by page and re-read until its ``total`` holds still.
- ``OffsetPager`` (one order's attempts, one billing key's payments: short
  lists that only grow) pages by offset, skips items already yielded, and
  starts again from page 1 when ``total`` changes between pages.

Neither keeps more than one window's or one entity's keys in memory.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from .errors import BadRequest
from .exchange import Flow
from .models.wire import to_unix

__all__ = ["MAX_LIMIT", "MAX_WINDOW", "OffsetPager", "Pager", "WindowPager", "windows"]

MAX_WINDOW = timedelta(days=90)
MAX_LIMIT = 1000
RESTARTS = 5
log = logging.getLogger("paydesk.iamport")


class Paged(Protocol):
    """A page: ``total`` items in the whole listing, ``next`` page number (0: last)."""

    @property
    def next(self) -> int: ...

    @property
    def total(self) -> int: ...


P = TypeVar("P", bound=Paged)
T = TypeVar("T")

WindowFetch = Callable[[int, int, int, int], Flow[P]]
"""``fetch(start, end, page, limit)``: one page of the window ``[start, end]`` (unix s)."""


class Pager(Protocol[P, T]):
    """What the clients drive: the next page's flow, then what that page yields."""

    def next_flow(self) -> Flow[P | None] | None: ...

    def accept(self, page: P | None) -> list[T]: ...


def _shrunk(flow: Flow[P]) -> Flow[P | None]:
    """``flow``, answering None when i'mport says the page is out of range (the list shrank)."""
    try:
        return (yield from flow)
    except BadRequest as error:
        if "범위" not in error.message:
            raise
        return None


@dataclass
class WindowPager(Generic[P, T]):
    """Every item of a time-ranged listing, one window per request (see the module doc).

    Attributes:
        fetch: ``fetch(start, end, page, limit)`` for an inclusive window in unix seconds.
        spans: the initial windows, oldest first.
        items: the items of a page.
        key: an item's identity (to merge the pages of one crowded second).
        limit: items per request; a window holding more is split.
    """

    fetch: WindowFetch[P]
    spans: list[tuple[int, int]]
    items: Callable[[P], list[T]]
    key: Callable[[T], str]
    limit: int = 100
    _todo: deque[tuple[int, int]] = field(init=False)
    _second: dict[str, T] | None = field(default=None, init=False)
    _second_page: int = field(default=1, init=False)
    _second_total: int | None = field(default=None, init=False)
    _restarts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be within 1..{MAX_LIMIT}")
        self._todo = deque(self.spans)

    def next_flow(self) -> Flow[P | None] | None:
        """The flow for the next request, or None when every window was read."""
        if not self._todo:
            return None
        start, end = self._todo[0]
        if self._second is not None:
            return _shrunk(self.fetch(start, end, self._second_page, MAX_LIMIT))
        limit = MAX_LIMIT if start == end else self.limit
        return _shrunk(self.fetch(start, end, 1, limit))

    def accept(self, page: P | None) -> list[T]:
        """Take the answer to the last flow; returns the items to yield now."""
        start, end = self._todo[0]
        if self._second is not None:
            return self._accept_second(page)
        if page is None:  # page 1 cannot be out of range; read the window again
            return []
        if page.next == 0:
            self._todo.popleft()
            return self.items(page)
        if start == end:  # one second holds more than MAX_LIMIT: page through it
            self._second, self._second_total, self._restarts = {}, page.total, 0
            self._second_page = 2
            self._second.update((self.key(item), item) for item in self.items(page))
            return []
        self._todo.popleft()
        parts = min(end - start + 1, max(2, math.ceil(page.total / self.limit) + 1))
        self._todo.extendleft(reversed(_split(start, end, parts)))
        return []

    def _accept_second(self, page: P | None) -> list[T]:
        assert self._second is not None
        changed = page is None or page.total != self._second_total
        if page is not None:  # what a page shows existed: keep it either way
            self._second.update((self.key(item), item) for item in self.items(page))
        if not changed and page is not None and page.next != 0:
            self._second_page = page.next
            return []
        if changed and self._restarts < RESTARTS:
            self._restarts += 1
            self._second_page = 1
            self._second_total = None if page is None else page.total
            return []
        if changed:
            log.warning("a crowded second kept changing during %d re-reads", RESTARTS)
        found = list(self._second.values())
        self._second = None
        self._todo.popleft()
        return found


def _split(start: int, end: int, parts: int) -> list[tuple[int, int]]:
    """``[start, end]`` cut into ``parts`` disjoint inclusive windows, oldest first."""
    size = (end - start + 1) / parts
    bounds = [start + round(size * i) for i in range(parts)] + [end + 1]
    return [(a, b - 1) for a, b in itertools.pairwise(bounds) if b > a]


@dataclass
class OffsetPager(Generic[P, T]):
    """Every item of a short listing that mostly grows, page by page (see the module doc).

    Attributes:
        fetch: ``fetch(page)``.
        items: the items of a page.
        key: an item's identity, to skip ones already yielded.
    """

    fetch: Callable[[int], Flow[P]]
    items: Callable[[P], list[T]]
    key: Callable[[T], str]
    _page: int = field(default=1, init=False)
    _total: int | None = field(default=None, init=False)
    _done: bool = field(default=False, init=False)
    _restarts: int = field(default=0, init=False)
    _seen: set[str] = field(default_factory=set, init=False)

    def next_flow(self) -> Flow[P | None] | None:
        """The flow fetching the next page, or None when every page was read."""
        return None if self._done else _shrunk(self.fetch(self._page))

    def accept(self, page: P | None) -> list[T]:
        """Record ``page`` and return its items not yielded before."""
        changed = page is None or (self._total is not None and page.total != self._total)
        if changed and self._restarts < RESTARTS:
            self._restarts += 1
            self._page, self._total = 1, None
            return []
        if page is None:
            self._done = True
            return []
        self._total = page.total
        if page.next > self._page:
            self._page = page.next
        else:
            self._done = True
        fresh = [item for item in self.items(page) if self.key(item) not in self._seen]
        self._seen.update(self.key(item) for item in fresh)
        return fresh


def windows(
    since: datetime, until: datetime, span: timedelta = MAX_WINDOW
) -> Iterator[tuple[int, int]]:
    """Disjoint inclusive windows ``(start, end)`` in unix seconds covering ``since..until``.

    Raises:
        ValueError: naive datetimes, ``since`` after ``until``, or a span not in
            [1 s, 90 days].
    """
    first, last = to_unix(since), to_unix(until)
    if first > last:
        raise ValueError("since must not be after until")
    if not timedelta(seconds=1) <= span <= MAX_WINDOW:
        raise ValueError("span must be at least 1 second and at most 90 days")
    step = int(span.total_seconds())
    start = first
    while start <= last:
        end = min(start + step - 1, last)
        yield start, end
        start = end + 1
