"""``access_logged``: uvicorn builds access lines only when they would be written."""

from __future__ import annotations

import io
import logging

import pytest

from paydesk.logs import access_logged, configure_logging


@pytest.mark.parametrize(("level", "written"), [("DEBUG", True), ("INFO", True),
                                                 ("WARNING", False), ("ERROR", False)])  # fmt: skip
def test_access_lines_follow_the_configured_level(level: str, written: bool) -> None:
    root = logging.getLogger()
    before = root.level
    handler = configure_logging("text", level, stream=io.StringIO())
    try:
        assert access_logged() is written
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
