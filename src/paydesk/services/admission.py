"""Admission control for the Confirm Process: refuse at once what cannot be decided in time.

i'mport waits 10 s for the answer to a confirm and fails the payment on any
answer but 200. Under overload a confirm that joins a queue of thousands is
answered 429 at its deadline anyway, after it has read and parsed its body,
taken a place in the batches and made every confirm behind it later still.
So the front door counts the confirms in flight in this process, estimates how
many it decides per second, and refuses a new one straight away (the same 429
"temporarily unavailable", before its body is read and without touching the
database) when those ahead of it would take longer than ``wait_seconds``:

- at ``cap`` confirms in flight, none is admitted;
- below ``floor`` in flight, every one is (one full batch needs no estimate,
  and a cold process has none);
- in between, one is admitted while ``in flight + 1 <= rate × wait_seconds``.

The rate is an exponentially weighted average of confirms answered per busy
second (a second with at least one in flight), sampled every ``interval``
busy seconds, and only from samples that had a queue (on average at least
``queue`` in flight): a light load measures its own arrival rate, not what the
process can do. Until such a sample exists, only ``cap`` limits.

The wait is short (0.25 s by default), far below i'mport's 10 s: under
overload a confirm also waits *before* this process reads it, for one of the
caller's connections and in the kernel's queue, where no count sees it. Every
admitted call keeps one connection busy for its whole wait, so a long wait
fills every connection with admitted calls, new ones queue unseen, and the
answers come later and later (21 s at twice the rush's rate with 2 s here;
0.8 s with 0.25 s: ``bench/confirm.py``). A short one keeps connections free
to carry new calls to a quick refusal (about 90 µs of CPU).

A refused call holds nothing and decides nothing, so stock and the exactly-K
count are untouched; the buyer sees a failed payment instead of a timeout.
A replay of an ``imp_uid`` already decided is refused like any other call when
the process is full: telling it apart would mean reading the body, which is
what admission saves. i'mport sends one confirm per payment attempt, and if a
replay is refused after an approval, the hold-check job asks i'mport for the
payment's outcome and releases the hold of a failed one.

Per process and single-threaded (the event loop): no locks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Admission", "AdmissionPolicy"]


@dataclass(frozen=True)
class AdmissionPolicy:
    """The front door's limits (from ``Settings``)."""

    wait_seconds: float = 0.25  # longest expected wait of an admitted confirm
    floor: int = 256  # always admitted below this many in flight
    cap: int = 2000  # never more in flight than this
    queue: int = 64  # a rate sample counts when on average this many were in flight
    interval: float = 0.25  # busy seconds per rate sample
    smoothing: float = 0.3  # weight of the newest sample


class Admission:
    """Counts confirms in flight and decides whether one more may come in (see the module)."""

    __slots__ = ("_busy", "_clock", "_done", "_load", "_policy", "_since", "in_flight", "rate",
                 "refused")  # fmt: skip

    def __init__(
        self, policy: AdmissionPolicy, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._policy = policy
        self._clock = clock
        self.in_flight = 0
        self.rate = 0.0  # confirms answered per busy second; 0.0: no estimate yet
        self.refused = 0  # how many were refused at the door (for tests and metrics)
        self._done = 0  # answered in the current sample
        self._busy = 0.0  # busy seconds in the current sample
        self._load = 0.0  # in-flight × seconds in the current sample (its mean queue)
        self._since = clock()  # when in_flight last changed

    @property
    def limit(self) -> int:
        """How many confirms may be in flight at most, now."""
        policy = self._policy
        if not self.rate:
            return policy.cap
        return min(policy.cap, max(policy.floor, int(self.rate * policy.wait_seconds)))

    def admit(self) -> bool:
        """Take one confirm in (True; call ``done`` once it is answered) or refuse it."""
        if self.in_flight >= self.limit:
            self.refused += 1
            return False
        self._advance()
        self.in_flight += 1
        return True

    def done(self) -> None:
        """An admitted confirm was answered."""
        self._advance()
        self.in_flight -= 1
        self._done += 1
        if self._busy >= self._policy.interval:
            self._sample()

    def _advance(self) -> None:
        now = self._clock()
        if self.in_flight:
            elapsed = now - self._since
            self._busy += elapsed
            self._load += elapsed * self.in_flight
        self._since = now

    def _sample(self) -> None:
        policy = self._policy
        if self._load / self._busy >= policy.queue:  # a queue: this is what the process can do
            sample = self._done / self._busy
            weight = policy.smoothing if self.rate else 1.0
            self.rate += weight * (sample - self.rate)
        self._done, self._busy, self._load = 0, 0.0, 0.0
