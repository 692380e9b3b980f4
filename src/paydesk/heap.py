"""The garbage collector, set for a long-running process (server, worker, emulator).

CPython frees most objects by reference counting; its cyclic collector only
finds cycles. It runs a young collection every 700 allocations, and a full one
(every tracked object in the process) once enough objects survived two young
ones. A server holds a few hundred thousand objects that never die (modules,
the app, SQLAlchemy's compiled statements), and a confirm batch keeps each
request's objects alive for a few milliseconds, long enough to be promoted. So
full collections come often and each walks the whole heap. On the confirm
rush that was a quarter of the server's CPU, in pauses of about 76 ms.

``settle`` runs once when startup is done: it moves everything startup built out
of the collector's sight (``gc.freeze``) and lets the young generation grow
larger before it is scanned. Reference counting still frees those objects if
they die; only a cycle among them would stay. Tests and libraries never call
it: the entry points (``paydesk serve``, ``worker``, ``emulator``) do.
"""

from __future__ import annotations

import gc
import logging
from typing import Final

__all__ = ["YOUNG", "settle"]

log = logging.getLogger(__name__)

#: Allocations (minus frees) between young collections; CPython's default is 700.
YOUNG: Final = 10_000


def settle() -> None:
    """Freeze what startup built and scan the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
    log.info("garbage collector settled: %d objects frozen, young generation every %d",
             gc.get_freeze_count(), YOUNG)  # fmt: skip
