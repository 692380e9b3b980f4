"""Everything the emulated gateway remembers, and how it is saved to ``--state FILE``.

State is one pydantic model so that a snapshot is a dump and a validate; the
merchant_uid index is derived and rebuilt on load.

``--state FILE`` is that snapshot plus ``FILE.journal``, an append-only log:
each save appends one JSON line holding only the records made or changed
since the last save (and any removed), written and fsynced by a writer thread
so the event loop never waits on the disk.  When the journal outgrows the
snapshot, the writer thread compacts them: it replays the journal over the
snapshot *as read from the files* (plain JSON, never the live records, so the
event loop neither waits for it nor races it), writes the result as the new
snapshot (atomically) and starts the journal afresh; its ``generation`` tells
stale journal lines from current ones if a crash falls between the two.
Loading replays the journal over the snapshot; a torn last line (a crash
mid-write) is ignored.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from . import compaction
from .compaction import LIST_KINDS, compact
from .records import (
    BillingKey,
    Certification,
    ConfirmRecord,
    Escrow,
    ExternalReceipt,
    Payment,
    Prepared,
    Receipt,
    Record,
    Schedule,
    Token,
    WebhookRecord,
)

__all__ = [
    "GatewayState",
    "Ledger",
    "StateFile",
    "compact",
    "journal_path",
    "load_state",
    "save_state",
]


class Ledger(BaseModel):
    """One merchant's books."""

    payments: dict[str, Payment] = Field(default_factory=dict)
    prepared: dict[str, Prepared] = Field(default_factory=dict)
    billing_keys: dict[str, BillingKey] = Field(default_factory=dict)
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    receipts: dict[str, Receipt] = Field(default_factory=dict)
    external_receipts: dict[str, ExternalReceipt] = Field(default_factory=dict)
    certifications: dict[str, Certification] = Field(default_factory=dict)
    escrows: dict[str, Escrow] = Field(default_factory=dict)
    #: merchant_uid → its one imp_uid, or the list of them once there are several
    #: (most merchant_uids see one attempt; a one-item list each is 64 bytes more).
    _by_merchant_uid: dict[str, str | list[str]] = PrivateAttr(default_factory=dict)
    #: derived indexes kept by readers (the status listing's, in ``api.payments``)
    _derived: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: object) -> None:
        for payment in self.payments.values():
            self._index(payment)

    def _index(self, payment: Payment) -> None:
        index = self._by_merchant_uid
        known = index.get(payment.merchant_uid)
        if known is None:
            index[payment.merchant_uid] = payment.imp_uid
        elif isinstance(known, str):
            index[payment.merchant_uid] = [known, payment.imp_uid]
        else:
            known.append(payment.imp_uid)

    @property
    def derived(self) -> dict[str, Any]:
        """A reader's cache of what it derived from these books (never saved)."""
        return self._derived

    def add_payment(self, payment: Payment) -> None:
        self.payments[payment.imp_uid] = payment
        self._index(payment)

    def by_merchant_uid(self, merchant_uid: str) -> list[Payment]:
        """Every payment attempt made under one merchant_uid, oldest first."""
        known = self._by_merchant_uid.get(merchant_uid)
        if known is None:
            return []
        if isinstance(known, str):
            return [self.payments[known]]
        return [self.payments[i] for i in known]


class GatewayState(BaseModel):
    ledgers: dict[str, Ledger] = Field(default_factory=dict)
    tokens: dict[str, Token] = Field(default_factory=dict)
    webhooks: list[WebhookRecord] = Field(default_factory=list)
    confirms: list[ConfirmRecord] = Field(default_factory=list)
    clock_offset: float = 0.0
    sequence: int = 0
    #: Which journal lines belong to this snapshot (see the module's docstring).
    generation: int = 0

    def ledger(self, imp_code: str) -> Ledger:
        ledger = self.ledgers.get(imp_code)
        if ledger is None:
            ledger = self.ledgers[imp_code] = Ledger()
        return ledger


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def load_state(path: Path) -> GatewayState:
    """The snapshot at ``path`` with its journal replayed over it."""
    if not path.exists() or path.stat().st_size == 0:
        state = GatewayState()
    else:
        state = GatewayState.model_validate_json(path.read_text(encoding="utf-8"))
    journal = journal_path(path)
    if journal.exists():
        with journal.open("rb") as lines:
            _replay(state, lines)
    return state


# -- the journal ----------------------------------------------------------------------
#: Where each kind of record lives: its ledger collection (or state field) and its key.
_PLACES: dict[type[Record], tuple[str, str]] = {
    Payment: ("payments", "imp_uid"),
    Prepared: ("prepared", "merchant_uid"),
    BillingKey: ("billing_keys", "customer_uid"),
    Schedule: ("schedules", "merchant_uid"),
    Receipt: ("receipts", "imp_uid"),
    ExternalReceipt: ("external_receipts", "merchant_uid"),
    Certification: ("certifications", "imp_uid"),
    Escrow: ("escrows", "imp_uid"),
    Token: ("tokens", "access_token"),
    WebhookRecord: ("webhooks", "id"),
    ConfirmRecord: ("confirms", "id"),
}
_LISTS = {"webhooks": WebhookRecord, "confirms": ConfirmRecord}
assert tuple(_LISTS) == LIST_KINDS
_KINDS: dict[str, type[Record]] = {kind: cls for cls, (kind, _) in _PLACES.items()}


def _stored(state: GatewayState, record: Record) -> tuple[str, str, str] | None:
    """``(kind, imp_code, key)`` of a record held in ``state``; ``None`` if it is not."""
    place = _PLACES.get(type(record))
    if place is None:  # a part of a record (a cancel entry): its owner is saved
        return None
    kind, key_field = place
    key = getattr(record, key_field)
    if kind in _LISTS:  # only ever appended by their makers, right after building
        return kind, "", key
    if kind == "tokens":
        return (kind, "", key) if state.tokens.get(key) is record else None
    imp_code: str = getattr(record, "imp_code")  # noqa: B009 - every ledger record has one
    ledger = state.ledgers.get(imp_code)
    books = getattr(ledger, kind) if ledger is not None else {}
    return (kind, imp_code, key) if books.get(key) is record else None


def journal_line(
    state: GatewayState, changed: Iterable[Record], removed: Iterable[tuple[str, str, str]]
) -> bytes:
    """One journal line: the changed records held in ``state`` and the removed keys."""
    puts = []
    for record in changed:
        where = _stored(state, record)
        if where is not None:
            puts.append([*where, record.model_dump(mode="json")])
    line = {
        "generation": state.generation,
        "sequence": state.sequence,
        "clock_offset": state.clock_offset,
        "put": puts,
        "del": [list(key) for key in removed],
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _replay(state: GatewayState, lines: Iterable[bytes]) -> None:
    positions = {kind: {r.id: i for i, r in enumerate(getattr(state, kind))} for kind in _LISTS}
    for raw in lines:
        try:
            line = json.loads(raw)
        except ValueError:  # the torn tail of a crash mid-write
            break
        if line.get("generation", 0) != state.generation:
            continue  # written before the snapshot that already holds it
        state.sequence = line["sequence"]
        state.clock_offset = line["clock_offset"]
        for kind, imp_code, key, data in line["put"]:
            record = _KINDS[kind].model_validate(data)
            if kind in _LISTS:
                items = getattr(state, kind)
                at = positions[kind].get(key)
                if at is None:
                    positions[kind][key] = len(items)
                    items.append(record)
                else:
                    items[at] = record
            elif kind == "tokens":
                state.tokens[key] = record  # type: ignore[assignment]
            elif kind == "payments":
                ledger = state.ledger(imp_code)
                if key in ledger.payments:
                    ledger.payments[key] = record  # type: ignore[assignment]
                else:
                    ledger.add_payment(record)  # type: ignore[arg-type]
            else:
                getattr(state.ledger(imp_code), kind)[key] = record
        for kind, imp_code, key in line["del"]:
            books = state.tokens if kind == "tokens" else getattr(state.ledger(imp_code), kind)
            books.pop(key, None)


class StateFile:
    """``--state FILE`` kept by a writer thread: journal lines, and a snapshot now and then.

    ``save`` is called on the event loop; it only serialises what changed and
    queues it.  ``drain`` waits until everything queued is on disk (shutdown,
    tests).  The journal is compacted into a new snapshot, by the writer thread
    from the files (``compact``), once it is larger than ``compact_ratio`` times
    the last snapshot (and at least ``min_journal``); the first save without a
    snapshot file, and a ``full`` one (after a reset), dump the live state instead.
    """

    def __init__(
        self, path: Path, *, compact_ratio: float = 2.0, min_journal: int = 4 << 20
    ) -> None:
        self.path = path
        self.journal = journal_path(path)
        self.compact_ratio = compact_ratio
        self.min_journal = min_journal
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._journal_size = self.journal.stat().st_size if self.journal.exists() else 0
        self._snapshot_size = path.stat().st_size if path.exists() else 0
        self._failed: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._write, name="emulator-state", daemon=True)
            self._thread.start()

    def save(
        self,
        state: GatewayState,
        changed: Iterable[Record],
        removed: Iterable[tuple[str, str, str]] = (),
        *,
        full: bool = False,
    ) -> None:
        """Queue the changes (or, when due or ``full``, a whole new snapshot)."""
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise RuntimeError(f"could not save the emulator state to {self.path}") from failed
        self._start()
        if full or not self._snapshot_size:
            state.generation += 1
            data = json.dumps(state.model_dump(mode="json"), ensure_ascii=False).encode()
            self._snapshot_size, self._journal_size = len(data), 0
            self._queue.put(("snapshot", data))
            return
        limit = max(self.min_journal, self.compact_ratio * self._snapshot_size)
        if self._journal_size > limit:
            # Every line queued so far belongs to the old generation; the writer folds
            # them into the new snapshot, and this save's line starts the new journal.
            state.generation += 1
            self._snapshot_size += self._journal_size  # at most; the writer corrects it
            self._journal_size = 0
            self._queue.put(("compact", state.generation))
        line = journal_line(state, changed, removed)
        self._journal_size += len(line)
        self._queue.put(("line", line))

    def drain(self) -> None:
        """Return once every queued save is on disk."""
        if self._thread is None:
            return
        done = threading.Event()
        self._queue.put(("done", done))
        done.wait()

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                self._write_batch(batch)
            except BaseException as exc:  # reported by the next save
                self._failed = exc
            for kind, item in batch:
                if kind == "done":
                    item.set()

    def _write_batch(self, batch: list[tuple[str, Any]]) -> None:
        lines: list[bytes] = []
        for kind, item in batch:
            if kind == "snapshot":
                lines.clear()  # the snapshot holds them
                self._new_snapshot(item)
            elif kind == "compact":
                self._append(lines)  # the old generation's lines, folded in next
                lines.clear()
                self._compact(item)
            elif kind == "line":
                lines.append(item)
        self._append(lines)

    def _new_snapshot(self, data: bytes) -> None:
        _write_atomically(self.path, data)
        self._truncate_journal()

    def _truncate_journal(self) -> None:
        with self.journal.open("wb") as handle:  # a new generation starts empty
            os.fsync(handle.fileno())

    def _compact(self, generation: int) -> None:
        """The journal folded into a new snapshot by a child process (its own GIL, its own
        core); in this thread if no child can be started."""
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        os.close(fd)
        try:
            script = [sys.executable, "-I", compaction.__file__]
            args = [str(self.path), str(self.journal), str(generation), tmp]
            try:
                subprocess.run([*script, *args], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError):
                compaction.compact_files(str(self.path), str(self.journal), generation, tmp)
            self._snapshot_size = os.path.getsize(tmp)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._truncate_journal()

    def _append(self, lines: list[bytes]) -> None:
        if lines:
            with self.journal.open("ab") as handle:
                handle.write(b"".join(lines))
                handle.flush()
                os.fsync(handle.fileno())


def save_state(state: GatewayState, path: Path) -> None:
    """Write a whole snapshot atomically: a crash mid-write never leaves a torn state file."""
    data = json.dumps(state.model_dump(mode="json"), ensure_ascii=False).encode()
    _write_atomically(path, data)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
