#!/usr/bin/env python3
"""The README's two commands, with nothing but Python 3.11+ needed beforehand.

    python3 dev.py demo   # set up, then run the emulator, server and worker on SQLite
    python3 dev.py test   # set up, then run every check and the whole test suite

Setup makes ``.venv`` and installs the locked dependencies (``requirements.lock``)
plus paydesk itself, skipping the install when nothing changed since last time.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".paydesk-installed"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def must(*args: str | Path) -> None:
    code = run(*args)
    if code != 0:
        sys.exit(f"dev.py: command failed ({code}): {' '.join(map(str, args))}")


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("dev.py: paydesk needs Python 3.11 or newer")
    if not PY.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(
        (ROOT / "requirements.lock").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    say("installing locked dependencies")
    must(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
         "requirements.lock")  # fmt: skip
    must(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "-e", ".")  # fmt: skip
    STAMP.write_text(digest)


def test(extra: list[str]) -> int:
    """Lint, type-check, check the layering, then run every test."""
    steps: list[tuple[str, list[str | Path]]] = [
        (
            "ruff check",
            [BIN / "ruff", "check", "--output-format", "concise", "src", "tests", "bench"],
        ),
        ("ruff format --check", [BIN / "ruff", "format", "--check", "src", "tests", "bench"]),
        ("mypy (strict on src)", [BIN / "mypy"]),
        ("import-linter (layering)", [BIN / "lint-imports"]),
    ]
    failed = []
    for name, args in steps:
        say(name)
        if run(*args) != 0:
            failed.append(name)
    say("pytest")
    code = run(PY, "-m", "pytest", *extra)
    if code == 5:
        print("dev.py: pytest collected no tests", file=sys.stderr)
    if code != 0:
        failed.append("pytest")
    if failed:
        print(f"dev.py: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    say("all checks passed")
    return 0


def demo() -> int:
    """Emulator + merchant server + worker on SQLite, until Ctrl-C."""
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    # The server and worker talk to the emulator as the demo merchant; the
    # emulator posts webhooks from 127.0.0.1, so the IP allow-list is off.
    demo_env = {
        "PAYDESK_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'paydesk.db'}",
        "PAYDESK_IAMPORT_BASE_URL": "http://127.0.0.1:8099",
        "PAYDESK_IAMPORT_KEY": "demo_imp_key",
        "PAYDESK_IAMPORT_SECRET": "demo_imp_secret",
        "PAYDESK_IMP_CODE": "imp00000001",
        "PAYDESK_PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
    }
    env = {**demo_env, **os.environ}
    paydesk = str(BIN / "paydesk")
    emulator = [paydesk, "emulator", "--port", "8099", "--state", str(var / "emulator.json")]
    processes = [("emulator", emulator)]
    say("migrating the database")
    if run(paydesk, "db", "upgrade", env=env) != 0:
        return 1
    processes += [
        ("server", [paydesk, "serve", "--port", "8000"]),
        ("worker", [paydesk, "worker"]),
    ]
    children = [(name, subprocess.Popen(cmd, cwd=ROOT, env=env)) for name, cmd in processes]
    say("paydesk demo is running (Ctrl-C stops it)")
    print(
        "    emulator (i'mport V1):  http://127.0.0.1:8099   console: http://127.0.0.1:8099/console"
    )
    print("    merchant server API:    http://127.0.0.1:8000/docs")
    try:
        while all(child.poll() is None for _, child in children):
            time.sleep(0.5)
        for name, child in children:
            if child.poll() is not None:
                print(f"dev.py: {name} exited with {child.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for _, child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for _, child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    setup()
    if argv[0] == "demo":
        return demo()
    if argv[0] == "test":
        return test(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
