"""The emulator's clock: real time by default, but settable and advanceable.

Tests drive time-based behaviour (token expiry, due schedules, vbank expiry)
through the control API instead of sleeping, so "now" is always read here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """Unix-seconds clock with an offset and an optional frozen instant."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._frozen: float | None = None
        self._last_second = 0

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return self._source() + self._offset

    def timestamp(self) -> int:
        """Whole unix seconds, the unit of every i'mport timestamp."""
        seconds = int(self.now())
        if seconds != self._last_second:
            self._last_second = seconds
        # the same int object for a whole second: records keep several of them each
        return self._last_second

    def advance(self, seconds: float) -> None:
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds

    def set(self, at: float, *, freeze: bool = False) -> None:
        if freeze:
            self._frozen = at
        else:
            self._frozen = None
            self._offset = at - self._source()

    def freeze(self) -> None:
        self._frozen = self.now()

    def unfreeze(self) -> None:
        if self._frozen is not None:
            self._offset = self._frozen - self._source()
            self._frozen = None

    def reset(self) -> None:
        self._offset = 0.0
        self._frozen = None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def describe(self) -> dict[str, float | bool]:
        return {"now": self.now(), "offset": self._offset, "frozen": self.frozen}
