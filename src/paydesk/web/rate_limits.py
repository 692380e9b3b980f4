"""A per-source token bucket, for the public surfaces that take writes from anyone.

Nothing mounts it yet: the shop's order placement (issue [9/12]) will, keyed
by ``forwarding.sender``. Each source gets ``burst`` tokens that refill at
``rate`` per second; a request takes one or is refused with the seconds until
the next token (for ``Retry-After``). The buckets live in this process's
memory — several server processes each keep their own, which only makes the
limit per process — and the least recently seen sources are forgotten past
``max_sources``, so a flood of invented addresses cannot grow memory.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Admission", "RateLimiter"]


@dataclass(frozen=True)
class Admission:
    """Whether a request may go on; if not, when to try again."""

    allowed: bool
    retry_after: float = 0.0  # seconds

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class RateLimiter:
    """``burst`` requests at once per source, then ``rate`` per second."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_sources: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_sources < 1:
            raise ValueError("rate > 0, burst >= 1 and max_sources >= 1 are needed")
        self.rate, self.burst, self.max_sources = rate, burst, max_sources
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def admit(self, source: str) -> Admission:
        """Take a token for ``source`` if it has one."""
        now = self._clock()
        tokens, at = self._buckets.pop(source, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._remember(source, tokens - 1, now)
            return Admission(True)
        self._remember(source, tokens, now)
        return Admission(False, (1 - tokens) / self.rate)

    def _remember(self, source: str, tokens: float, now: float) -> None:
        self._buckets[source] = (tokens, now)
        while len(self._buckets) > self.max_sources:
            self._buckets.popitem(last=False)
