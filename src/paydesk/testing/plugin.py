"""The pytest plugin (entry point ``pytest11``: loaded wherever paydesk is installed).

Fixtures, all prefixed ``iamport_`` so they collide with nobody's own:

- ``iamport_emulator``: a ``RunningEmulator`` (``base_url``, ``imp_key``,
  ``imp_secret``, ``imp_code``, ``iamport_js_url``), reset before the test;
- ``iamport_control``: an ``IamportControl`` on it, reset before the test;
- ``iamport_emulator_session``: the emulator itself, started once per session.

Loading this module imports neither the emulator nor uvicorn, so pytest runs
as before where the ``emulator`` extra is missing; only a test that asks for
these fixtures fails, with the command that installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ..extras import missing
from .control import IamportControl
from .server import RunningEmulator

__all__ = ["iamport_control", "iamport_emulator", "iamport_emulator_session"]


@dataclass(frozen=True)
class _Session:
    emulator: RunningEmulator
    control: IamportControl


@pytest.fixture(scope="session")
def iamport_emulator_session() -> Iterator[_Session]:
    """One in-process emulator for the whole session, on a free port."""
    absent = missing("emulator")
    if absent:
        pytest.fail(
            "the iamport_* fixtures of paydesk.testing need the 'emulator' extra "
            f"(missing: {', '.join(absent)}).\n"
            "Install it with:  pip install 'paydesk[emulator]'",
            pytrace=False,
        )
    from .server import run_emulator

    with run_emulator() as emulator, IamportControl(emulator.base_url) as first:
        baseline = first.merchants()
        with IamportControl(emulator.base_url, imp_code=emulator.imp_code,
                            baseline=baseline) as control:  # fmt: skip
            yield _Session(emulator, control)


@pytest.fixture
def iamport_emulator(iamport_emulator_session: _Session) -> RunningEmulator:
    """The emulator with nothing in it: no payments, webhooks or faults, real time."""
    iamport_emulator_session.control.reset()
    return iamport_emulator_session.emulator


@pytest.fixture
def iamport_control(
    iamport_emulator: RunningEmulator, iamport_emulator_session: _Session
) -> IamportControl:
    """Deposit, inject faults, move the clock, read webhooks, reset (see ``IamportControl``)."""
    return iamport_emulator_session.control
