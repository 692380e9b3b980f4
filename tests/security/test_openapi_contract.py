"""Schemathesis against the merchant API, as ``schemathesis run …/openapi.json --checks all``.

The real server on a real database, an API key of every scope, a fixed seed and a
bounded number of examples: no answer may be a 5xx, and every answer must be one
the OpenAPI description documents — status, content type, headers and schema
(the errors are ``application/problem+json`` documents, declared as such).

One setting differs from the defaults: a schema-valid request may still be
refused by a business rule — an SKU already taken (409), a product id that
names no product or an Idempotency-Key reused (422) — so
``positive_data_acceptance`` takes those statuses as answers too. Nothing
else is relaxed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Server

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]
SEED = 20261202
EXAMPLES = 40
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2XX", "401", "403", "404", "409", "422"]
"""


async def test_the_merchant_api_keeps_its_openapi_contract(server: Server, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{server.url}/openapi.json",
        "--checks", "all",
        "--include-path-regex", "^/api/",
        "--header", f"Authorization: Bearer {server.keys['all']}",
        "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--workers", "1",
        "--request-timeout", "10",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=900, cwd=tmp_path
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-12000:]
    assert "No issues found" in output or " passed" in output, output[-4000:]
