"""The chaos run's schedule, drawn from one seed before anything runs.

Every random choice of the run comes from ``Plan``: the operations (what
each simulated buyer does and when), the kills (which process, when, for how
long), and the network's faults (its own stream, drawn as requests pass).
The emulator gets the same seed for its fault book and webhook courier
(``paydesk emulator --seed``). ``Plan.digest`` fingerprints the schedule: the
same seed prints the same digest.

Streams are separate ``random.Random`` instances seeded with ``"<seed>:<name>"``
so adding a draw to one stream does not shift the others.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal["card", "vbank", "flash", "subscribe", "period", "console_cancel"]
RefundKind = Literal["none", "full", "partial", "partial_twice", "same_key", "other_keys"]


@dataclass(frozen=True)
class Op:
    at: float  # seconds after the start
    kind: Kind
    number: int
    quantity: int = 1
    refund: RefundKind = "none"
    pay: bool = True  # vbank: deposit; card: go through with the window
    buyers: int = 1  # flash: how many race
    partial_ratio: float = 0.5


@dataclass(frozen=True)
class Kill:
    at: float
    victim: int  # index into servers + workers
    down: float  # seconds before the restart


@dataclass
class NetworkDraws:
    """The network's fault stream (drawn while the run goes)."""

    rng: random.Random
    drop: float = 0.10
    hold: float = 0.15
    slow_confirm_rate: float = 0.05

    def webhook_fate(self) -> Literal["pass", "drop", "hold"]:
        draw = self.rng.random()
        if draw < self.drop:
            return "drop"
        return "hold" if draw < self.drop + self.hold else "pass"

    def hold_seconds(self) -> float:
        return self.rng.uniform(0.5, 4.0)

    def slow_confirm(self) -> bool:
        return self.rng.random() < self.slow_confirm_rate

    def confirm_delay(self) -> float:
        return self.rng.uniform(8.0, 10.5)  # around i'mport's 10 s limit


@dataclass
class Plan:
    seed: int
    minutes: float
    ops: list[Op] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    network: NetworkDraws = field(init=False)

    def __post_init__(self) -> None:
        self.network = NetworkDraws(self.stream("network"))

    def stream(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    @classmethod
    def draw(cls, seed: int, minutes: float, victims: int = 4, rate: float = 1.5) -> Plan:
        plan = cls(seed, minutes)
        seconds = minutes * 60
        ops = plan.stream("ops")
        kinds: list[Kind] = ["card", "vbank", "flash", "subscribe", "period", "console_cancel"]
        weights = [40, 12, 4, 6, 3, 8]
        refunds: list[RefundKind] = [
            "none",
            "full",
            "partial",
            "partial_twice",
            "same_key",
            "other_keys",
        ]
        at, number = 1.0, 0
        while at < seconds:
            kind = ops.choices(kinds, weights)[0]
            number += 1
            plan.ops.append(
                Op(
                    at=round(at, 3),
                    kind=kind,
                    number=number,
                    quantity=ops.randint(1, 2),
                    refund=ops.choices(refunds, [35, 20, 15, 10, 10, 10])[0],
                    pay=ops.random() < 0.9,
                    buyers=ops.randint(6, 14),
                    partial_ratio=round(ops.uniform(0.1, 0.6), 2),
                )
            )
            at += ops.expovariate(rate)  # ``rate`` operations a second on average
        kills = plan.stream("kills")
        at = kills.uniform(3, 6)
        while at < seconds - 5:
            plan.kills.append(
                Kill(round(at, 3), kills.randrange(victims), round(kills.uniform(0.3, 2.0), 3))
            )
            at += kills.uniform(3, 7)
        return plan

    @property
    def digest(self) -> str:
        body = json.dumps([[asdict(o) for o in self.ops], [asdict(k) for k in self.kills]])
        return hashlib.sha256(body.encode()).hexdigest()[:16]
