"""``paydesk doctor`` as an operator runs it: PAYDESK_* variables, a table or JSON, exit codes."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import Result
from typer.testing import CliRunner

from paydesk.cli import app
from paydesk.core.launch_checklist import CHECKLIST
from tests.support.auth import TEST_SECRET_KEY
from tests.support.emulator import DEMO_KEY, DEMO_SECRET

from .harness import Shop

pytestmark = pytest.mark.asyncio


def _env(shop: Shop, **changes: str) -> dict[str, str]:
    env = {
        "PAYDESK_DATABASE_URL": shop.database.url.render_as_string(hide_password=False),
        "PAYDESK_IAMPORT_BASE_URL": shop.emulator_url,
        "PAYDESK_IAMPORT_KEY": DEMO_KEY,
        "PAYDESK_IAMPORT_SECRET": DEMO_SECRET,
        "PAYDESK_PUBLIC_BASE_URL": shop.url,
        "PAYDESK_SECRET_KEY": TEST_SECRET_KEY,
        "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
        "COLUMNS": "300",  # wide enough that no item wraps
    }
    return {**env, **changes}


async def doctor(shop: Shop, *args: str, **env: str) -> Result:
    """Run the command on its own thread (it runs its own event loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, ["doctor", *args], env=_env(shop, **env))


async def test_json_lists_every_item_and_a_failure_exits_1(shop: Shop) -> None:
    answer = await doctor(shop, "--json")  # no worker has run: that fails
    assert answer.exit_code == 1, answer.output
    report = json.loads(answer.stdout)
    assert set(report) == {"ran_at", "production", "status", "counts", "saved", "results"}
    assert (report["status"], report["production"], report["saved"]) == ("fail", False, True)
    assert [r["key"] for r in report["results"]] == [i.key for i in CHECKLIST]
    first = report["results"][0]
    assert set(first) == {"key", "section", "item", "kind", "status", "detail", "guidance",
                          "findings"}  # fmt: skip
    worker = next(r for r in report["results"] if r["key"] == "worker")
    assert worker["status"] == "fail" and worker["findings"][0]["check"] == "heartbeat"
    assert sum(report["counts"].values()) == len(CHECKLIST)


async def test_a_healthy_development_setup_exits_0_with_a_table(shop: Shop) -> None:
    await shop.run_worker()
    answer = await doctor(shop)
    assert answer.exit_code == 0, answer.output
    assert "Set webhook (notification) URL." in answer.stdout
    assert "PASS" in answer.stdout and "MANUAL" in answer.stdout and "FAIL" not in answer.stdout
    production = await doctor(shop, "--production", "--json")
    assert production.exit_code == 1  # a private URL, no allow-list, not api.iamport.kr
    fails = {r["key"] for r in json.loads(production.stdout)["results"] if r["status"] == "fail"}
    assert {"webhook_url", "ip_security", "api_keys"} <= fails


async def test_a_wrong_secret_is_a_readable_failure(shop: Shop) -> None:
    answer = await doctor(shop, PAYDESK_IAMPORT_SECRET="wrong-secret")
    assert answer.exit_code == 1
    assert "refused the key or secret" in answer.stdout
    assert "Traceback" not in answer.output and "wrong-secret" not in answer.output


async def test_bad_settings_exit_2_with_one_line(shop: Shop) -> None:
    answer = await doctor(shop, PAYDESK_SHOP_METHODS="card-only")
    assert answer.exit_code == 2
    assert "invalid settings: PAYDESK_SHOP_METHODS" in answer.output
    assert "Traceback" not in answer.output and "card-only" not in answer.output
