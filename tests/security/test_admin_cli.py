"""``paydesk admin`` run as a process, as an operator would, on both backends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import select

from paydesk.store import Database
from paydesk.store.tables import staff_users
from tests.support.db import in_thread

PASSWORD = "a passphrase for the console"


def _cli(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAYDESK_DATABASE_URL": database_url, "COLUMNS": "160"}
    command = [sys.executable, "-c", "from paydesk.cli import main; main()", "admin", *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def _hashes(database_url: str) -> list[str]:
    async def read() -> list[str]:
        database = Database(database_url)
        try:
            async with database.reading() as uow:
                query = select(staff_users.c.password_hash)
                return [str(h) for h in (await uow.connection.execute(query)).scalars()]
        finally:
            await database.dispose()

    return in_thread(lambda: asyncio.run(read()))


def test_create_user_reads_the_password_from_stdin_and_keeps_only_a_hash(
    database_url: str,
) -> None:
    made = _cli(database_url, "create-user", "Kim.Ops", "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "'kim.ops'" in made.stdout and PASSWORD not in made.stdout + made.stderr
    [stored] = _hashes(database_url)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    listed = _cli(database_url, "list-users")
    assert listed.returncode == 0, listed.stderr
    assert "kim.ops" in listed.stdout and "$argon2" not in listed.stdout

    again = _cli(database_url, "create-user", "kim.ops", "--password-stdin", stdin=PASSWORD)
    assert again.returncode == 1
    assert "exists" in again.stderr and "Traceback" not in again.stderr


def test_short_passwords_and_bad_usernames_are_one_readable_line(database_url: str) -> None:
    short = _cli(database_url, "create-user", "kim", "--password-stdin", stdin="too short\n")
    assert short.returncode == 2
    assert "at least 12 characters" in short.stderr and "too short" not in short.stderr
    bad = _cli(database_url, "create-user", "a b", "--password-stdin", stdin=PASSWORD)
    assert bad.returncode == 2 and "username" in bad.stderr
    for result in (short, bad):
        assert "Traceback" not in result.stderr + result.stdout
    assert _hashes(database_url) == []
    empty = _cli(database_url, "list-users")
    assert empty.returncode == 0 and "no staff users yet" in empty.stderr


def test_the_prompt_asks_twice_without_echo(database_url: str) -> None:
    typed = _cli(database_url, "create-user", "lee", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.returncode == 0, typed.stderr
    assert PASSWORD not in typed.stdout + typed.stderr
    mismatch = _cli(database_url, "create-user", "park",
                    stdin=f"{PASSWORD}\nsomething else!!\n{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert mismatch.returncode == 0, mismatch.stderr
    assert "do not match" in (mismatch.stdout + mismatch.stderr).lower()
    assert len(_hashes(database_url)) == 2
