"""``Telemetry`` without a database: the i'mport call collectors (``observe_call``, which
the client's observer hook feeds), the outcome classes of the client's errors, and one
registry per app."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from paydesk.services.telemetry import Telemetry


def samples(telemetry: Telemetry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(telemetry.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def test_observe_call_counts_by_operation_and_outcome() -> None:
    telemetry = Telemetry()
    telemetry.observe_call("payments.get", "ok", 0.02)
    telemetry.observe_call("payments.get", "ok", 0.3)
    telemetry.observe_call("payments.cancel", "unknown", 7.0)
    seen = samples(telemetry)
    calls = "paydesk_iamport_calls_total"
    assert seen[(calls, (("operation", "payments.get"), ("outcome", "ok")))] == 2
    assert seen[(calls, (("operation", "payments.cancel"), ("outcome", "unknown")))] == 1
    timed = "paydesk_iamport_call_seconds"
    assert seen[(f"{timed}_count", (("operation", "payments.get"),))] == 2
    assert seen[(f"{timed}_bucket", (("le", "0.025"), ("operation", "payments.get")))] == 1
    assert seen[(f"{timed}_sum", (("operation", "payments.cancel"),))] == 7.0


def test_two_telemetries_do_not_share_collectors() -> None:
    one, other = Telemetry(), Telemetry()
    one.confirm_decided("approved", 0.01)
    assert samples(one)[("paydesk_confirm_decisions_total", (("result", "approved"),))] == 1
    assert ("paydesk_confirm_decisions_total", (("result", "approved"),)) not in samples(other)
