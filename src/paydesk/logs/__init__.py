"""Logs of the server, the worker and the emulator: one set-up, request ids, nothing secret.

``configure_logging`` installs one handler on the root logger, text or JSON
(``PAYDESK_LOG_FORMAT``), whose ``Redactor`` masks secrets and buyer data in
every record at every level, and whose records carry the id of the request
they were made for (``request_scope``, set by the web app per request).

Imports nothing else of paydesk, so the emulator can use it too.
"""

from __future__ import annotations

from .context import (
    REQUEST_ID_HEADER,
    RequestIdFilter,
    RequestIdTransport,
    accepted_request_id,
    current_request_id,
    request_scope,
)
from .formats import JsonFormatter, TextFormatter
from .redaction import MASK, Redactor, redact
from .setup import LogFormat, access_logged, configure_logging

__all__ = [
    "MASK",
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "LogFormat",
    "Redactor",
    "RequestIdFilter",
    "RequestIdTransport",
    "TextFormatter",
    "accepted_request_id",
    "access_logged",
    "configure_logging",
    "current_request_id",
    "redact",
    "request_scope",
]
