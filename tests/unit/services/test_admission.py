"""``Admission``: the limit follows the measured rate, only from samples with a queue."""

from __future__ import annotations

from paydesk.services.admission import Admission, AdmissionPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(admission: Admission, clock: Clock, *, in_flight: int, rate: float, seconds: float) -> None:
    """Keep ``in_flight`` confirms in, answering ``rate`` per second for ``seconds``."""
    while admission.in_flight < in_flight:
        assert admission.admit()
    while admission.in_flight > in_flight:
        admission.done()
    for _ in range(int(rate * seconds)):
        clock.now += 1 / rate
        admission.done()
        assert admission.admit()


def test_cap_and_floor_without_an_estimate() -> None:
    admission = Admission(AdmissionPolicy(floor=2, cap=5), Clock())
    assert [admission.admit() for _ in range(7)] == [True] * 5 + [False] * 2
    assert admission.refused == 2 and admission.in_flight == 5
    admission.done()
    assert admission.admit()


def test_the_limit_is_the_rate_times_the_wait() -> None:
    clock = Clock()
    policy = AdmissionPolicy(wait_seconds=2.0, floor=10, cap=10_000, queue=50, smoothing=1.0)
    admission = Admission(policy, clock)
    run(admission, clock, in_flight=100, rate=400, seconds=1)
    assert 390 <= admission.rate <= 410
    assert 780 <= admission.limit <= 820
    # a slower database: the estimate follows, and the door closes earlier
    run(admission, clock, in_flight=60, rate=50, seconds=2)
    assert 45 <= admission.rate <= 55 and 90 <= admission.limit <= 110
    while admission.admit():
        pass
    assert admission.in_flight == admission.limit and admission.refused == 1
    while admission.in_flight > 9:
        admission.done()
    assert admission.admit()  # below the floor


def test_a_light_load_measures_nothing() -> None:
    clock = Clock()
    admission = Admission(AdmissionPolicy(floor=4, cap=1000, queue=50), clock)
    run(admission, clock, in_flight=2, rate=20, seconds=5)  # two at a time: no queue
    assert admission.rate == 0.0 and admission.limit == 1000


def test_the_floor_is_always_admitted_and_the_cap_always_wins() -> None:
    clock = Clock()
    policy = AdmissionPolicy(wait_seconds=1.0, floor=30, cap=40, queue=5, smoothing=1.0)
    admission = Admission(policy, clock)
    run(admission, clock, in_flight=10, rate=10, seconds=1)  # 10/s × 1 s < floor
    assert admission.limit == 30
    run(admission, clock, in_flight=10, rate=1000, seconds=1)  # 1000/s × 1 s > cap
    assert admission.limit == 40
