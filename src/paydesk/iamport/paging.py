"""Walking paged listings: which page to ask for next, and which items are new.

A ``Pager`` is a pure state machine over a sequence of *sources* (one per
time window; a plain listing has one).  It hands out the flow for the next
page, and is told each page it produced; the clients turn that into a
generator (sync) or an async generator.  Items already seen (a payment on a
window boundary, or one shifted to the next page by a new arrival) are
skipped by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from .exchange import Flow

__all__ = ["MAX_WINDOW", "Pager", "windows"]

MAX_WINDOW = timedelta(days=90)


class Paged(Protocol):
    """A page object: ``next`` is the next page number, 0 when this is the last."""

    @property
    def next(self) -> int: ...


P = TypeVar("P", bound=Paged)
T = TypeVar("T")


@dataclass
class Pager(Generic[P, T]):
    """Pages of every source in turn, following ``next`` until it is 0.

    Attributes:
        sources: one page fetcher per window: ``source(page_number) -> Flow[page]``.
        items: the items of a page.
        key: an item's identity, to skip ones already seen.
    """

    sources: Sequence[Callable[[int], Flow[P]]]
    items: Callable[[P], list[T]]
    key: Callable[[T], str]
    _source: int = 0
    _page: int = 1
    _seen: set[str] = field(default_factory=set)

    def next_flow(self) -> Flow[P] | None:
        """The flow fetching the next page, or None when every page was read."""
        if self._source >= len(self.sources):
            return None
        return self.sources[self._source](self._page)

    def accept(self, page: P) -> list[T]:
        """Record ``page`` (the answer to the last flow) and return its new items."""
        if page.next > 0 and page.next > self._page:
            self._page = page.next
        else:
            self._source += 1
            self._page = 1
        fresh = [item for item in self.items(page) if self.key(item) not in self._seen]
        self._seen.update(self.key(item) for item in fresh)
        return fresh


def windows(
    since: datetime, until: datetime, span: timedelta = MAX_WINDOW
) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive windows of at most ``span`` covering ``since``..``until``.

    Neighbouring windows share their boundary second (i'mport's window is
    inclusive at both ends); the pager drops the duplicates.

    Raises:
        ValueError: ``since`` after ``until``, or a span not in (0, 90 days].
    """
    if since > until:
        raise ValueError("since must not be after until")
    if not timedelta(0) < span <= MAX_WINDOW:
        raise ValueError("span must be more than 0 and at most 90 days")
    start = since
    while True:
        end = min(start + span, until)
        yield start, end
        if end >= until:
            return
        start = end
