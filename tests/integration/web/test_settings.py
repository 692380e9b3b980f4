"""Settings from ``PAYDESK_*`` variables: defaults, lists, secrets kept out of reprs."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from pydantic import ValidationError

from paydesk.bootstrap import confirm_policy
from paydesk.settings import IAMPORT_WEBHOOK_IPS, Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYDESK_DATABASE_URL", "PAYDESK_SALES_OPEN", "PAYDESK_WEBHOOK_ALLOWED_IPS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./var/paydesk.db"
    assert settings.webhook_allowed_ips == tuple(ip_network(ip) for ip in IAMPORT_WEBHOOK_IPS)
    assert settings.sales_open is True
    assert settings.confirm_url() == "http://127.0.0.1:8000/iamport/confirm"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYDESK_WEBHOOK_ALLOWED_IPS", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("PAYDESK_TRUSTED_PROXIES", "192.168.0.1")
    monkeypatch.setenv("PAYDESK_SALES_OPEN", "false")
    monkeypatch.setenv("PAYDESK_IAMPORT_SECRET", "s3cret-value")
    monkeypatch.setenv("PAYDESK_CONFIRM_BATCH_WINDOW_MS", "5")
    monkeypatch.setenv("PAYDESK_PUBLIC_BASE_URL", "https://shop.example/")
    settings = Settings()
    assert settings.webhook_allowed_ips == (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"))
    assert settings.trusted_proxies == (ip_network("192.168.0.1"),)
    assert settings.iamport_secret is not None
    assert settings.iamport_secret.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(settings) and "s3cret-value" not in str(settings)
    assert settings.notice_url() == "https://shop.example/iamport/webhook"
    policy = confirm_policy(settings)
    assert policy.sales_open is False and policy.window_seconds == 0.005


def test_confirm_deadline_stays_inside_imports_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYDESK_CONFIRM_DEADLINE_SECONDS", "10")
    with pytest.raises(ValidationError):
        Settings()
