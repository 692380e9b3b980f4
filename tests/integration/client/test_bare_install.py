"""``pip install paydesk`` without extras: the client alone, usable against the emulator.

Builds the wheel, installs it into a fresh virtual environment without extras
(pip fetches httpx and pydantic from the index or its cache), checks that none
of the server's dependencies came along, then uses the client from there against
the emulator this test session runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


# The test session runs with PYTHONPATH=src (and maybe in a virtualenv): the fresh
# venv must not inherit them, or pip finds paydesk "already satisfied" by the source
# tree and the client is imported from there instead of the installed wheel.
CLEAN_ENV = {
    k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
}


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=CLEAN_ENV,
    )


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the paydesk wheel and nothing but its base dependencies."""
    where = tmp_path_factory.mktemp("bare")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", where / "dist", ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = (where / "dist").glob("paydesk-*.whl")
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    python = where / "venv" / "bin" / "python"
    installed = run(python, "-m", "pip", "install", "-q", wheel)
    assert installed.returncode == 0, installed.stderr
    shown = run(python, "-m", "pip", "show", "paydesk", cwd=where)
    assert shown.returncode == 0, shown.stderr
    assert f"Location: {where / 'venv'}" in shown.stdout, shown.stdout
    return python


def test_the_bare_install_has_the_client_and_nothing_of_the_server(
    bare: Path, emu: EmulatorClient
) -> None:
    imp_uid = seed(emu, amount=4321)["imp_uid"]
    script = textwrap.dedent(f"""
        from importlib.util import find_spec
        absent = [m for m in ("fastapi", "sqlalchemy", "asyncpg", "alembic", "uvicorn",
                              "starlette", "typer") if find_spec(m) is not None]
        assert not absent, absent
        import paydesk
        assert paydesk.__file__.startswith({str(bare.parent.parent)!r}), paydesk.__file__
        from paydesk.iamport import Iamport
        with Iamport({DEMO_KEY!r}, {DEMO_SECRET!r}, base_url={emu.base_url!r}) as api:
            print(api.payment({imp_uid!r}).amount)
    """)
    used = run(bare, "-c", script, cwd=bare.parent)
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip() == "4321"


@pytest.mark.parametrize(
    ("command", "extra"),
    [(["serve"], "paydesk[server]"), (["emulator"], "paydesk[emulator]"), ([], "paydesk[server]")],
)
def test_the_command_names_the_extra_to_install(bare: Path, command: list[str], extra: str) -> None:
    answered = run(bare.parent / "paydesk", *command)
    assert answered.returncode != 0
    assert extra in answered.stderr and "Traceback" not in answered.stderr
