"""``paydesk keys`` run as a process, as an operator would, on both backends.

It prints the key once and turns every mistake into one readable line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAYDESK_DATABASE_URL": database_url, "COLUMNS": "160"}
    command = [sys.executable, "-c", "from paydesk.cli import main; main()", "keys", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_prints_a_key_once_lists_and_revokes_it(database_url: str) -> None:
    made = _cli(database_url, "create", "--name", "shop back end", "--scope", "read",
                "--scope", "write")  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("pdk_") and len(token.splitlines()) == 1
    assert "only time" in made.stderr

    listed = _cli(database_url, "list")
    assert listed.returncode == 0, listed.stderr
    assert "shop back end" in listed.stdout and "read write" in listed.stdout
    assert token.rsplit("_", 1)[1] not in listed.stdout + listed.stderr
    assert "active" in listed.stdout

    revoked = _cli(database_url, "revoke", "1")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in _cli(database_url, "list").stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("create", "--name", "x", "--scope", "admin"), 2, "'admin'"),
        (("create", "--name", "x"), 2, "--scope"),
        (("create", "--name", "", "--scope", "read"), 2, "name"),
        (("revoke", "7"), 1, "no API key has id 7"),
        (("revoke", "18446744073709551617"), 2, "ID"),
        (("revoke", "seven"), 2, "ID"),
    ],
)
def test_cli_mistakes_are_one_readable_line(
    database_url: str, args: tuple[str, ...], code: int, says: str
) -> None:
    result = _cli(database_url, *args)
    assert result.returncode == code
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unmigrated_database_is_named_not_dumped(tmp_path: Path) -> None:
    result = _cli(f"sqlite+aiosqlite:///{tmp_path}/empty.db", "list")
    assert result.returncode == 1
    assert "paydesk db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
