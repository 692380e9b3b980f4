"""Compacting a ``--state`` file: its journal replayed over its snapshot, as plain JSON.

Standard library only, so the writer thread can run it as a script in a child
process (``python -I compaction.py SNAPSHOT JOURNAL GENERATION OUT``): the work
then holds neither the event loop nor its GIL.  The replay is the same as
``state._replay`` (a test compares a compacted file with the live state).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["LIST_KINDS", "compact", "compact_files"]

#: The state's record lists (kept by ``id``); every other kind is keyed in a dict.
LIST_KINDS = ("webhooks", "confirms")


def compact(snapshot: bytes, journal: Iterable[bytes], generation: int) -> bytes:
    """The snapshot that ``load_state`` would make of these two files, as ``generation``.

    The same replay as ``_replay``, on the JSON itself: no record is validated
    or dumped, and nothing of the live state is read.
    """
    data: dict[str, Any] = json.loads(snapshot) if snapshot.strip() else {}
    current = data.get("generation", 0)
    ledgers: dict[str, dict[str, Any]] = data.setdefault("ledgers", {})
    tokens: dict[str, Any] = data.setdefault("tokens", {})
    lists: dict[str, list[Any]] = {kind: data.setdefault(kind, []) for kind in LIST_KINDS}
    positions = {kind: {r["id"]: i for i, r in enumerate(lists[kind])} for kind in LIST_KINDS}
    for raw in journal:
        try:
            line = json.loads(raw)
        except ValueError:  # the torn tail of a crash mid-write
            break
        if line.get("generation", 0) != current:
            continue
        data["sequence"] = line["sequence"]
        data["clock_offset"] = line["clock_offset"]
        for kind, imp_code, key, record in line["put"]:
            if kind in LIST_KINDS:
                at = positions[kind].get(key)
                if at is None:
                    positions[kind][key] = len(lists[kind])
                    lists[kind].append(record)
                else:
                    lists[kind][at] = record
            elif kind == "tokens":
                tokens[key] = record
            else:
                ledgers.setdefault(imp_code, {}).setdefault(kind, {})[key] = record
        for kind, imp_code, key in line["del"]:
            books = tokens if kind == "tokens" else ledgers.setdefault(imp_code, {})
            (books if kind == "tokens" else books.setdefault(kind, {})).pop(key, None)
    data["generation"] = generation
    return json.dumps(data, ensure_ascii=False).encode()


def compact_files(snapshot: str, journal: str, generation: int, out: str) -> None:
    """Write ``compact`` of the two files to ``out``, fsynced."""
    with open(snapshot, "rb") as handle:
        data = handle.read()
    with open(journal, "rb") as lines:
        result = compact(data, lines, generation)
    with open(out, "wb") as handle:
        handle.write(result)
        handle.flush()
        os.fsync(handle.fileno())


if __name__ == "__main__":
    if hasattr(os, "nice"):
        os.nice(19)  # the server's requests first: this uses what CPU they leave
    compact_files(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
