"""Every file the command line's help points at exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paydesk.cli import app

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = [["--help"], ["serve", "--help"], ["worker", "--help"], ["emulator", "--help"],
            ["db", "upgrade", "--help"], ["retries", "--help"], ["retries", "list", "--help"],
            ["retries", "retry", "--help"], ["retries", "dismiss", "--help"],
            ["doctor", "--help"]]  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_help_names_only_files_that_exist(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    named = re.findall(r"[\w./-]+\.(?:md|json|toml|py)\b", result.output)
    for path in named:
        assert (ROOT / path).exists(), f"`paydesk {' '.join(args)}` points at missing {path}"
    if args == ["serve", "--help"]:
        assert "README.md" in named
