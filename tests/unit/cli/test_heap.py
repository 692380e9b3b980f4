"""``paydesk.heap.settle``: what startup built is out of the collector's sight afterwards.

Run in a child interpreter: freezing this test process's heap would keep every
later test's cycles alive.
"""

from __future__ import annotations

import json
import subprocess
import sys

from paydesk.heap import YOUNG

_PROBE = """
import gc, json
from paydesk.heap import settle
startup = [[i] for i in range(50_000)]  # objects startup built (lists are tracked)
before = gc.get_freeze_count()
settle()
print(json.dumps({"before": before, "after": gc.get_freeze_count(),
                  "threshold": gc.get_threshold(), "enabled": gc.isenabled()}))
"""


def test_settle_freezes_startup_and_raises_the_young_threshold() -> None:
    run = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, timeout=60)  # fmt: skip
    seen = json.loads(run.stdout)
    assert seen["before"] == 0
    assert seen["after"] >= 50_000  # the startup objects and everything imported
    assert seen["threshold"][0] == YOUNG > 700
    assert seen["enabled"]  # collection still runs, on what came after
