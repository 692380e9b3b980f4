"""The Dockerfiles, checked without a Docker engine (``.ci/run`` builds them where one runs).

Each instruction is read as Docker reads it (continuation lines joined); the
checks are what would break a build or a deployment quietly: a COPY of a file
that is not there, a floating base image, root at run time, a CMD or a
healthcheck the installed ``paydesk`` command does not answer.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from packaging.specifiers import SpecifierSet
from starlette.routing import Route

from paydesk.cli import app as cli_app
from paydesk.emulator.control import routes as control_routes

ROOT = Path(__file__).resolve().parents[2]
PAYDESK = Path(sys.executable).with_name("paydesk")
BASE_IMAGE = re.compile(r"^python:(\d+\.\d+\.\d+)-slim-[a-z]+(@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


@dataclass(frozen=True)
class Image:
    dockerfile: str
    extra: str
    port: int
    health_path: str


IMAGES = [
    Image("Dockerfile.emulator", "emulator", 8099, "/_emulator/health"),
    # /healthz: liveness of the merchant server (see docs/deploy.md)
    Image("Dockerfile", "all", 8000, "/healthz"),
]


def instructions(path: Path) -> list[Instruction]:
    """The instructions of a Dockerfile, comments dropped and continuations joined."""
    joined: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    assert not pending, f"{path.name}: a continuation line ends the file"
    result = []
    for line in joined:
        keyword, _, arguments = line.partition(" ")
        result.append(Instruction(keyword.upper(), arguments.strip()))
    return result


def final_stage(steps: list[Instruction]) -> list[Instruction]:
    last_from = max(i for i, step in enumerate(steps) if step.keyword == "FROM")
    return steps[last_from:]


def exec_form(step: Instruction) -> list[str]:
    """A CMD/ENTRYPOINT/HEALTHCHECK CMD in JSON (exec) form, so signals reach paydesk."""
    arguments = step.arguments
    if step.keyword == "HEALTHCHECK":
        arguments = arguments[arguments.index("CMD ") + 4 :]
    argv = json.loads(arguments)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), step
    return argv


@pytest.fixture(params=IMAGES, ids=lambda image: image.dockerfile)
def image(request: pytest.FixtureRequest) -> Image:
    image: Image = request.param
    return image


def test_every_base_image_is_a_pinned_python_the_project_supports(image: Image) -> None:
    steps = instructions(ROOT / image.dockerfile)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    bases = [step.arguments.split()[0] for step in steps if step.keyword == "FROM"]
    assert bases
    for base in bases:
        match = BASE_IMAGE.match(base)
        assert match, f"{image.dockerfile}: {base} is not python:X.Y.Z-slim-<release>[@sha256:…]"
        assert match.group(1) in SpecifierSet(requires), f"{base} vs requires-python {requires}"


def test_every_copy_source_exists_and_is_not_ignored(image: Image) -> None:
    steps = instructions(ROOT / image.dockerfile)
    stages = {step.arguments.split()[-1] for step in steps
              if step.keyword == "FROM" and " AS " in step.arguments.upper()}  # fmt: skip
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    copies = [step for step in steps if step.keyword in ("COPY", "ADD")]
    assert copies
    for step in copies:
        words = shlex.split(step.arguments)
        flags = [w for w in words if w.startswith("--")]
        sources = [w for w in words if not w.startswith("--")][:-1]
        origin = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        if origin is not None:
            assert origin in stages, f"{image.dockerfile}: COPY --from={origin}: no such stage"
            continue
        for source in sources:
            assert list(ROOT.glob(source)), f"{image.dockerfile}: COPY {source}: not in the repo"
            assert source.rstrip("/") not in ignored, f"{source} is in .dockerignore"


def test_it_installs_its_extra_at_the_locked_versions(image: Image) -> None:
    runs = [s.arguments for s in instructions(ROOT / image.dockerfile) if s.keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert len(installs) == 1, installs
    assert "-c requirements.lock" in installs[0]
    assert f"'.[{image.extra}]'" in installs[0]


def test_it_runs_as_a_user_other_than_root(image: Image) -> None:
    stage = final_stage(instructions(ROOT / image.dockerfile))
    users = [i for i, step in enumerate(stage) if step.keyword == "USER"]
    assert users, f"{image.dockerfile}: no USER in the final stage"
    assert stage[users[-1]].arguments.split(":")[0] not in ("root", "0")
    cmd = next(i for i, step in enumerate(stage) if step.keyword == "CMD")
    assert users[-1] < cmd
    assert not [s for s in stage[users[-1] :] if s.keyword == "RUN"], "RUN after USER"


def test_the_command_is_a_paydesk_command_that_accepts_its_options(image: Image) -> None:
    stage = final_stage(instructions(ROOT / image.dockerfile))
    assert not [s for s in stage if s.keyword == "ENTRYPOINT"]
    argv = exec_form(next(s for s in stage if s.keyword == "CMD"))
    assert argv[0] == "paydesk"
    # the installed command has it ...
    shown = subprocess.run([str(PAYDESK), argv[1], "--help"], capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    # ... and takes every option given, with a value of the right type
    group = typer.main.get_command(cli_app)
    with group.make_context("paydesk", argv[1:]) as context:
        command = group.get_command(context, argv[1])
        assert command is not None
        with command.make_context(argv[1], argv[2:], parent=context) as parsed:
            assert parsed.params["host"] == "0.0.0.0"
            assert parsed.params["port"] == image.port
    assert any(step.keyword == "EXPOSE" and step.arguments == str(image.port) for step in stage)


def test_the_healthcheck_asks_the_port_it_serves_with_the_image_python(image: Image) -> None:
    stage = final_stage(instructions(ROOT / image.dockerfile))
    checks = [step for step in stage if step.keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    argv = exec_form(checks[0])
    assert argv[0] == "python"  # slim images have no curl or wget
    assert f"'http://127.0.0.1:{image.port}{image.health_path}'" in argv[-1]


def test_the_emulator_healthcheck_path_is_a_control_route() -> None:
    paths = {route.path for route in control_routes if isinstance(route, Route)}
    assert "/_emulator/health" in paths
