"""``scripts/screenshots.py`` run as a reader would, taking two of its pictures.

It starts its own emulator, server and worker on a temporary SQLite database,
seeds the demo shop, makes a staff user and drives Chromium; here it takes the
shop's catalogue and the admin login into a temporary folder, so the script
cannot rot unnoticed (the committed pictures in docs/screenshots are made by
the same code with no ``--only``).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, after checking its signature and header chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR"), path
    header = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(b"IHDR" + header), path
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", path  # a whole file, not cut short
    width, height = struct.unpack(">II", header[:8])
    return width, height


def test_the_script_takes_the_pictures_asked_for(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("the screenshots need Debian's Chromium at /usr/bin/chromium")
    out = tmp_path / "shots"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--only", "shop-home,admin-login"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["admin-login.png", "shop-home.png"]
    for name in ("shop-home", "admin-login"):
        path = out / f"{name}.png"
        assert png_size(path) == (1280, 800), name  # the desktop viewport
        assert 2_000 < path.stat().st_size < 300_000, name  # a drawn page, and a small file
    assert "2 screenshot(s)" in done.stdout


def test_an_unknown_picture_is_refused_before_anything_starts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path / "shots"), "--only", "nonsense"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no such picture: nonsense" in done.stderr
    assert not (tmp_path / "shots").exists()


def test_the_committed_pictures_are_the_ones_the_script_lists() -> None:
    listed = subprocess.run([sys.executable, str(SCRIPT), "--list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
    folder = ROOT / "docs" / "screenshots"
    assert sorted(p.stem for p in folder.glob("*.png")) == sorted(names)
    readme = (folder / "README.md").read_text()
    for name in names:
        assert f"{name}.png" in readme, name
        assert (folder / f"{name}.png").stat().st_size < 300_000, name
