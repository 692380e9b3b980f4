"""Schemathesis hooks for fuzzing the emulator: every answer is an i'mport envelope.

Loaded by ``test_emulator_fuzz.py`` through its config file (``hooks = ...``).
``iamport_envelope`` also stands in for ``not_a_server_error``: an operation the
emulator does not emulate (or a feature it leaves out, e.g. channel groups)
answers 501 in an envelope saying so, by design; any other 5xx fails.
"""

from __future__ import annotations

from typing import Any

import schemathesis

NOT_EMULATED = "지원하지 않"  # "…지원하지 않는 API입니다", "…를 지원하지 않습니다"


@schemathesis.check
def iamport_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """A JSON object with ``code``, ``message`` and ``response``: never a framework page."""
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON: {response.text[:200]!r}") from None
    if not isinstance(body, dict) or not {"code", "message", "response"} <= body.keys():
        raise AssertionError(f"not an i'mport envelope: {str(body)[:200]}")
    if response.status_code >= 500 and not (
        response.status_code == 501 and NOT_EMULATED in str(body["message"])
    ):
        raise AssertionError(f"server error {response.status_code}: {body['message']}")
    return None
