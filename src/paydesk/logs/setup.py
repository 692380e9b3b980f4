"""``configure_logging``: the one logging set-up of ``paydesk serve``, ``worker`` and ``emulator``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import IO, Literal

from .context import RequestIdFilter
from .formats import JsonFormatter, TextFormatter
from .redaction import Redactor

__all__ = ["LogFormat", "access_logged", "configure_logging"]

LogFormat = Literal["text", "json"]

#: uvicorn's loggers hand their records to ours (its own handlers and formats are removed).
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
_MARK = "_paydesk_handler"


def configure_logging(
    log_format: LogFormat = "text",
    level: str | int = "INFO",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every logger's records, masked (``Redactor``), to ``stream`` (stderr).

    ``secrets`` are values to mask wherever they appear (the secret key, the
    i'mport secret ...). Calling it again replaces the handler it installed.
    Returns that handler.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(Redactor(secrets))
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # the driver prints raw parameters at DEBUG; the Redactor drops those records anyway
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    return handler


def access_logged() -> bool:
    """Whether uvicorn's access lines would be written (INFO or finer, once configured).

    uvicorn builds each access line's arguments (the client address, the quoted path)
    before the logger drops it; at WARNING that was about 4 % of a request's CPU for
    nothing. ``paydesk serve`` and ``emulator`` pass this as uvicorn's ``access_log``.
    """
    return logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
