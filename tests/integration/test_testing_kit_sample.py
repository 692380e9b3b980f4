"""The test kit as a merchant uses it: pytest run on ``examples/merchant-shop``.

The sample project imports nothing of paydesk; the ``iamport_*`` fixtures reach
it through the ``pytest11`` entry point of the installed package.  Broken
variants of its shop must make its suite fail, so a kit that tested nothing
would not pass here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "merchant-shop"

pytestmark = pytest.mark.slow


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def copy_of_sample(tmp_path: Path) -> Path:
    project = tmp_path / "merchant-shop"
    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def break_shop(project: Path, line: str, replacement: str) -> None:
    shop = project / "shop.py"
    source = shop.read_text(encoding="utf-8")
    assert source.count(line) == 1, f"the sample shop no longer has {line!r}"
    shop.write_text(source.replace(line, replacement), encoding="utf-8")


def test_the_sample_project_passes_with_the_plugin_fixtures(tmp_path: Path) -> None:
    result = run_pytest(copy_of_sample(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


@pytest.mark.parametrize(
    ("line", "replacement", "failing_test"),
    [
        pytest.param(
            'if payment["amount"] != order.amount:', "if False:",
            "test_a_payment_for_less_than_the_order_is_refused", id="trusts-the-amount",
        ),
        pytest.param(
            "if answer.status_code == 401:", "if False:",
            "test_an_expired_token_is_renewed", id="keeps-an-expired-token",
        ),
        pytest.param(
            "raise HTTPException(503, \"i'mport is unavailable; try again\") from exc",
            "order.status = 'failed'; return order",
            "test_an_outage_at_iamport_leaves_the_order_pending", id="fails-the-order-on-503",
        ),
        pytest.param(
            'return {"status": settle(notice).status}', 'return {"status": "ignored"}',
            "test_a_virtual_account_is_paid_when_the_deposit_webhook_comes", id="ignores-webhooks",
        ),
    ],
)  # fmt: skip
def test_a_broken_shop_fails_its_suite(
    tmp_path: Path, line: str, replacement: str, failing_test: str
) -> None:
    project = copy_of_sample(tmp_path)
    break_shop(project, line, replacement)

    result = run_pytest(project)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED tests/test_checkout.py::{failing_test}" in result.stdout, result.stdout


def test_without_the_emulator_extra_only_the_fixtures_fail_with_the_install_command(
    tmp_path: Path,
) -> None:
    """``pip install paydesk`` (client only) loads the plugin too: pytest must still run."""
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    (tmp_path / "test_mixed.py").write_text(textwrap.dedent("""
        def test_plain():
            assert 1 + 1 == 2

        def test_needs_the_emulator(iamport_control):
            iamport_control.reset()
    """), encoding="utf-8")  # fmt: skip
    # The emulator extra's own modules made absent, as in a client-only install
    # (``None`` in sys.modules: find_spec answers None and an import fails).
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules.update(dict.fromkeys(['uvicorn', 'starlette', 'multipart']))\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:asyncio", "-q",
         "-p", "no:anyio", "test_mixed.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert "1 passed, 1 error" in output, output
    assert "pip install 'paydesk[emulator]'" in output
    assert "the iamport_* fixtures of paydesk.testing need the 'emulator' extra" in output
