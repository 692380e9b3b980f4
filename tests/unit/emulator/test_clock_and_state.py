"""The controllable clock, token rules, and state files that survive a torn write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paydesk.emulator import DEFAULT_MERCHANTS, Clock, Gateway
from paydesk.emulator.gateway.errors import ApiFault
from paydesk.emulator.gateway.state import GatewayState, journal_path, load_state, save_state


class ManualSource:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_clock_advance_set_freeze_reset() -> None:
    source = ManualSource(1_000.0)
    clock = Clock(source)
    clock.advance(60)
    assert clock.now() == 1_060
    source.at += 5
    assert clock.now() == 1_065
    clock.set(5_000, freeze=True)
    source.at += 100
    assert clock.now() == 5_000
    clock.unfreeze()
    source.at += 1
    assert clock.now() == 5_001
    clock.reset()
    assert clock.now() == source.at


def gateway(at: float = 1_700_000_000) -> tuple[Gateway, ManualSource]:
    source = ManualSource(at)
    merchants = [m.model_copy(deep=True) for m in DEFAULT_MERCHANTS]
    return Gateway(merchants, clock=Clock(source)), source


def test_token_reuse_extension_and_expiry() -> None:
    gw, source = gateway()
    merchant = gw.merchant("imp00000001")
    first = gw.issue_token(merchant)
    first_expiry = first.expired_at
    assert first_expiry - gw.now() == 1800
    source.at += 1790
    again = gw.issue_token(merchant)
    assert again.access_token == first.access_token
    assert again.expired_at == first_expiry + 300
    assert gw.authenticate(first.access_token) is merchant
    source.at += 311
    with pytest.raises(ApiFault) as caught:
        gw.authenticate(first.access_token)
    assert caught.value.http_status == 401
    assert gw.issue_token(merchant).access_token != first.access_token


def test_state_round_trips_with_merchant_uid_index(tmp_path: Path) -> None:
    gw, _ = gateway()
    merchant = gw.merchant("imp00000001")
    channel = merchant.pick("nice", "api_payment")
    assert channel is not None
    payment = gw.start_payment(merchant, channel, merchant_uid="order-1", amount=1000)
    gw.approve(payment, card_code="366")
    path = tmp_path / "state.json"
    save_state(gw.state, path)
    loaded = load_state(path)
    ledger = loaded.ledger("imp00000001")
    assert [p.imp_uid for p in ledger.by_merchant_uid("order-1")] == [payment.imp_uid]
    assert ledger.payments[payment.imp_uid].status == "paid"
    assert len(loaded.webhooks) == 1


def test_a_failed_write_leaves_the_previous_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(GatewayState(sequence=7), path)

    class Boom(GatewayState):
        def model_dump(self, *args: object, **kwargs: object) -> dict[str, object]:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_state(Boom(), path)
    assert load_state(path).sequence == 7
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_pick_resolves_pg_and_mid_and_falls_back() -> None:
    merchant = DEFAULT_MERCHANTS[0]
    nice = merchant.pick("nice", "api_payment")
    assert nice is not None
    assert nice.pg_provider == "nice"
    by_mid = merchant.pick(f"nice.{nice.pg_id}", "api_payment")
    assert by_mid == nice
    fallback = merchant.pick("no_such_pg", "api_payment")
    assert fallback is not None
    assert fallback.type == "api_payment"


# -- --state FILE: a snapshot, then a journal of what changed -------------------------------
def stateful(path: Path, at: float = 1_700_000_000) -> Gateway:
    merchants = [m.model_copy(deep=True) for m in DEFAULT_MERCHANTS]
    state = load_state(path) if path.exists() else None
    return Gateway(merchants, clock=Clock(ManualSource(at)), state=state, state_path=path)


def pay(gw: Gateway, merchant_uid: str, amount: int = 1000) -> str:
    merchant = gw.merchant("imp00000001")
    channel = merchant.pick("nice", "api_payment")
    assert channel is not None
    payment = gw.start_payment(merchant, channel, merchant_uid=merchant_uid, amount=amount)
    gw.approve(payment, card_code="366")
    gw.flush()
    return payment.imp_uid


def test_saves_after_the_first_append_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    first = pay(gw, "order-1")
    gw.close()
    snapshot = path.read_bytes()
    second = pay(gw, "order-2", amount=2000)
    payment = gw.state.ledger("imp00000001").payments[first]
    payment.buyer_name = "다시"  # a change made by attribute is noted by the record itself
    gw.touch()
    gw.flush()
    gw.close()
    assert path.read_bytes() == snapshot  # the snapshot was not rewritten
    lines = journal_path(path).read_bytes().splitlines()
    assert len(lines) == 2
    assert first not in lines[0].decode() and first in lines[1].decode()
    assert second not in lines[1].decode()  # only what changed in that save
    loaded = load_state(path)
    books = loaded.ledger("imp00000001")
    assert books.payments[first].buyer_name == "다시"
    assert books.payments[second].amount == 2000
    assert [p.imp_uid for p in books.by_merchant_uid("order-2")] == [second]
    assert len(loaded.webhooks) == 2
    assert loaded.sequence == gw.state.sequence


def test_a_torn_journal_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    kept = pay(gw, "order-1")
    pay(gw, "order-2")
    gw.close()
    journal = journal_path(path)
    data = journal.read_bytes()
    journal.write_bytes(data[: len(data) - 20])  # a crash in the middle of the last line
    loaded = load_state(path)
    assert list(loaded.ledger("imp00000001").payments) == [kept]


def test_removals_are_journaled_and_the_journal_is_compacted(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    gw.issue_token(gw.merchant("imp00000001"))
    gw.flush()
    token = next(iter(gw.state.tokens))
    del gw.state.tokens[token]
    gw.forget("tokens", "", token)
    gw.flush()
    gw.close()
    assert load_state(path).tokens == {}
    assert gw._file is not None
    gw._file.min_journal, gw._file.compact_ratio = 0, 0.0  # compact at the next save
    paid = pay(gw, "order-1")
    gw.close()
    snapshot = json.loads(path.read_bytes())
    assert snapshot["generation"] == gw.state.generation and snapshot["tokens"] == {}
    lines = journal_path(path).read_bytes().splitlines()  # the save that compacted
    assert [json.loads(line)["generation"] for line in lines] == [gw.state.generation]
    assert paid in lines[0].decode()
    loaded = load_state(path)
    assert loaded.generation == gw.state.generation
    assert list(loaded.ledger("imp00000001").payments) == [paid]
    again = stateful(path)  # a restart journals on top of the new snapshot
    later = pay(again, "order-2")
    again.close()
    assert set(load_state(path).ledger("imp00000001").payments) == {paid, later}


def test_journal_lines_older_than_the_snapshot_are_not_replayed(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    imp_uid = pay(gw, "order-1")
    payment = gw.state.ledger("imp00000001").payments[imp_uid]
    payment.buyer_name = "옛 이름"
    gw.touch()
    gw.flush()
    gw.close()
    stale = journal_path(path).read_bytes()
    payment.buyer_name = "새 이름"
    assert gw._file is not None
    gw._file.save(gw.state, [], full=True)
    gw._file.drain()
    journal_path(path).write_bytes(stale)  # a crash between the snapshot and the truncation
    loaded = load_state(path)
    assert loaded.ledger("imp00000001").payments[imp_uid].buyer_name == "새 이름"


def test_empty_lists_are_shared_and_refuse_to_grow_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    first, second = pay(gw, "order-1"), pay(gw, "order-1")  # two attempts, one merchant_uid
    books = gw.state.ledger("imp00000001")
    one, two = books.payments[first], books.payments[second]
    assert one.cancel_history == [] and one.cancel_history is two.cancel_history
    with pytest.raises(TypeError):
        one.notice_urls.append("http://shop.example/hook")  # would reach every payment
    one.notice_urls = [*one.notice_urls, "http://shop.example/hook"]
    gw.touch()
    gw.flush()
    gw.close()
    assert two.notice_urls == []
    loaded = load_state(path).ledger("imp00000001")
    assert loaded.payments[first].notice_urls == ["http://shop.example/hook"]
    assert loaded.payments[second].notice_urls is loaded.payments[first].deposit_history
    assert [p.imp_uid for p in loaded.by_merchant_uid("order-1")] == [first, second]
    assert [p.imp_uid for p in books.by_merchant_uid("order-1")] == [first, second]
    assert loaded.by_merchant_uid("order-2") == []


def test_compaction_racing_writes_restores_exactly_what_was_live(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    merchant = gw.merchant("imp00000001")
    pay(gw, "order-0")
    assert gw._file is not None
    gw._file.min_journal, gw._file.compact_ratio = 0, 0.5  # compact every few saves
    first_generation = gw.state.generation
    paid = []
    for n in range(1, 120):  # no drain in between: the writer compacts while we write
        paid.append(pay(gw, f"order-{n}", amount=1000 + n))
        payment = gw.state.ledger("imp00000001").payments[paid[n // 2]]
        payment.buyer_name = f"구매자 {n}"  # a record changed again, maybe mid-compaction
        if n % 7 == 0:
            token = gw.issue_token(merchant)
            del gw.state.tokens[token.access_token]
            gw.forget("tokens", "", token.access_token)
        gw.touch()
        gw.flush()
    gw.close()
    assert gw.state.generation > first_generation + 3  # compacted several times
    loaded = load_state(path)
    assert loaded.model_dump(mode="json") == gw.state.model_dump(mode="json")
    books = loaded.ledger("imp00000001")
    assert [p.imp_uid for p in books.by_merchant_uid("order-7")] == [paid[6]]
    assert books.payments[paid[10]].buyer_name == "구매자 21"
