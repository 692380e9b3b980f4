"""The chaos run's cluster: the emulator, 2 servers, 2 workers, and the network between them.

Every process is a real subprocess (``paydesk emulator|serve|worker``) on one
PostgreSQL database. The emulator reaches the servers through ``Network``, an
in-process reverse proxy on one port (the servers' ``PAYDESK_PUBLIC_BASE_URL``,
so ``confirm_url`` and ``notice_url`` point at it). It spreads requests over the
servers that are up, and is where the network's faults live, drawn from the
run's seed: webhooks dropped (the emulator sees the connection cut) or held back
(reordered), and confirms slowed to near i'mport's 10 s limit. It also records
every webhook delivery a server answered 200, for the invariant "every delivery
that got a 200 is stored".

``Cluster.kill_one`` is ``kill -9`` of a random server or worker, restarted
right after by ``Cluster.restart``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.chaos_plan import Plan

ROOT = Path(__file__).resolve().parent.parent
PAYDESK = str(Path(sys.executable).parent / "paydesk")
SECRET = "chaos-secret-key-" + "0" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    """One paydesk subprocess that can be killed and started again."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    health: str | None = None  # URL answering once it is up
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        """Start it unless it runs (a second copy would be an orphan nobody kills)."""
        if self.up:
            return
        self.starts += 1
        out = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        self.started.append(self.popen)
        out.close()

    def kill9(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s; every copy ever started is reaped."""
        for popen in self.started:
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        for popen in self.started:
            try:
                popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()

    @property
    def up(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    async def wait_ready(self, seconds: float = 30) -> None:
        if self.health is None:
            return
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if not self.up:
                    raise RuntimeError(f"{self.name} exited: see {self.log}")
                with contextlib.suppress(httpx.HTTPError):
                    await http.get(self.health)
                    return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start in {seconds} s: see {self.log}")


@dataclass
class Tally:
    """What the network did, by kind."""

    faults: Counter[str] = field(default_factory=Counter)
    #: bodies of webhook deliveries a server answered 200 (the invariant's witnesses)
    answered: list[bytes] = field(default_factory=list)
    confirms: Counter[int | str] = field(default_factory=Counter)  # answers to confirm calls


class Network:
    """The reverse proxy in front of the servers, with the network's faults."""

    def __init__(self, plan: Plan, servers: list[Proc], ports: list[int]) -> None:
        self.plan = plan
        self.servers = servers
        self.ports = ports
        self.tally = Tally()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # no keep-alive: a connection to a killed server is refused, not found dead mid-request
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(30, connect=1),
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.quiet = False  # no faults (the convergence phase)

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route(
                    "/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]
                )
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await self._task
        await self._http.aclose()

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        webhook = path == "/iamport/webhook"
        if webhook and not self.quiet:
            fate = self.plan.network.webhook_fate()
            if fate == "drop":
                self.tally.faults["webhook dropped"] += 1
                return Response(b"", status_code=503)  # lost: i'mport does not retry a 5xx
            if fate == "hold":
                self.tally.faults["webhook reordered"] += 1
                await asyncio.sleep(self.plan.network.hold_seconds())
        if path == "/iamport/confirm" and not self.quiet and self.plan.network.slow_confirm():
            self.tally.faults["confirm slowed"] += 1
            await asyncio.sleep(self.plan.network.confirm_delay())
        answer = await self.forward(
            request.method, request.url.path, request.url.query, request.headers, body
        )
        if path == "/iamport/confirm":
            self.tally.confirms[answer.status_code if answer is not None else "no answer"] += 1
        if answer is None:
            return Response(b"no server answered", status_code=502)
        if webhook and answer.status_code == 200:
            self.tally.answered.append(body)
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() in ("content-type", "location", "idempotency-replayed")
        }
        return Response(answer.content, status_code=answer.status_code, headers=headers)

    async def forward(
        self, method: str, path: str, query: str, headers: Any, body: bytes
    ) -> httpx.Response | None:
        """Send to a live server (a refused connection tries the other one)."""
        order = list(range(len(self.ports)))
        self.plan.network.rng.shuffle(order)
        keep = {
            k: v
            for k, v in headers.items()
            if k.lower() not in ("host", "content-length", "connection")
        }
        for index in order:
            if not self.servers[index].up:
                continue
            url = f"http://127.0.0.1:{self.ports[index]}{path}" + (f"?{query}" if query else "")
            try:
                return await self._http.request(method, url, headers=keep, content=body)
            except httpx.ConnectError:
                continue
            except httpx.HTTPError:
                return None  # sent, no answer: killed mid-request
        return None


class Cluster:
    """Emulator + 2 servers + 2 workers on one database, and the network in front."""

    def __init__(
        self, plan: Plan, database_url: str, folder: Path, *, servers: int = 2, workers: int = 2
    ) -> None:
        self.plan = plan
        self.folder = folder
        self.emulator_port = free_port()
        self.emulator_url = f"http://127.0.0.1:{self.emulator_port}"
        self.server_ports = [free_port() for _ in range(servers)]
        self.kills: Counter[str] = Counter()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("PAYDESK_")}
        self.env = {
            **base_env,
            "PAYDESK_DATABASE_URL": database_url,
            "PAYDESK_IAMPORT_BASE_URL": self.emulator_url,
            "PAYDESK_IAMPORT_KEY": "demo_imp_key",
            "PAYDESK_IAMPORT_SECRET": "demo_imp_secret",
            "PAYDESK_IMP_CODE": "imp00000001",
            "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
            "PAYDESK_SECRET_KEY": SECRET,
            "PAYDESK_ACCEPT_TEST_PAYMENTS": "true",
            "PAYDESK_HOLD_CHECK_AFTER_SECONDS": "15",
            "PAYDESK_RECONCILE_EVERY_SECONDS": "20",
            "PAYDESK_JOB_LEASE_SECONDS": "5",
            "PAYDESK_SHUTDOWN_GRACE_SECONDS": "2",
            "PAYDESK_WORKER_GRACE_SECONDS": "2",
            "PAYDESK_LOG_LEVEL": "WARNING",
        }
        self.emulator = Proc(
            "emulator",
            [
                PAYDESK,
                "emulator",
                "--port",
                str(self.emulator_port),
                "--seed",
                str(plan.seed),
                "--log-level",
                "WARNING",
            ],
            self.env,
            folder / "emulator.log",
            health=f"{self.emulator_url}/_emulator/health",
        )
        self.servers = [
            Proc(
                f"server-{i + 1}",
                [PAYDESK, "serve", "--port", str(port)],
                self.env,
                folder / f"server-{i + 1}.log",
                health=f"http://127.0.0.1:{port}/healthz",
            )
            for i, port in enumerate(self.server_ports)
        ]
        self.network = Network(plan, self.servers, self.server_ports)
        self.env["PAYDESK_PUBLIC_BASE_URL"] = self.network.url
        self.workers = [
            Proc(
                f"worker-{i + 1}",
                [PAYDESK, "worker", "--poll", "0.2", "--sweep-every", "2"],
                self.env,
                folder / f"worker-{i + 1}.log",
            )
            for i in range(workers)
        ]

    @property
    def victims(self) -> list[Proc]:
        return [*self.servers, *self.workers]

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A ``paydesk`` command on the cluster's settings."""
        return subprocess.run(
            [PAYDESK, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    async def start(self) -> None:
        migrated = await asyncio.to_thread(self.cli, "db", "upgrade")
        if migrated.returncode != 0:
            raise RuntimeError(f"paydesk db upgrade failed: {migrated.stderr}")
        self.emulator.start()
        await self.emulator.wait_ready(120)  # a loaded 2-core machine starts slowly
        await self.network.start()
        for proc in self.victims:
            proc.start()
        for proc in self.servers:
            await proc.wait_ready(120)

    async def kill_one(self, victim: Proc) -> bool:
        """``kill -9`` of ``victim`` if it runs (a kill drawn while it is down is skipped)."""
        if not victim.up:
            return False
        victim.kill9()
        self.kills[victim.name.split("-")[0]] += 1
        return True

    async def restart(self, victim: Proc) -> None:
        if victim.up:
            return
        victim.start()
        with contextlib.suppress(RuntimeError):
            await victim.wait_ready()

    async def ensure_all_up(self) -> None:
        for proc in self.victims:
            if not proc.up:
                proc.start()
        for proc in self.servers:
            await proc.wait_ready(120)

    async def stop(self) -> None:
        for proc in self.victims:
            await asyncio.to_thread(proc.stop)
        await self.network.stop()
        await asyncio.to_thread(self.emulator.stop)
