"""Every code fence of the README and docs/ is closed where it should be.

A fence left open (the README once had one) swallows the rest of the page into a
code block: the sections after it vanish from the rendered page and its table of
contents. Here every opening fence must be closed by a bare fence before the next
Markdown heading.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^ *(```+|~~~+)(.*)$")
HEADING = re.compile(r"^#{2,6} \S")


def fence_problems(text: str) -> list[str]:
    """What is wrong with the fences of a Markdown ``text``, one line each."""
    problems, opened = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if opened is None:
            if fence:
                opened = number
            continue
        if fence:
            if fence[2].strip():
                problems.append(
                    f"line {number}: a fence with text inside the block of line {opened}"
                )
            opened = None
        elif HEADING.match(line):
            problems.append(f"line {number}: a heading inside the block opened at line {opened}")
            opened = None
    if opened is not None:
        problems.append(f"line {opened}: a block never closed")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_fence_is_closed(page: Path) -> None:
    assert fence_problems(page.read_text(encoding="utf-8")) == []


def test_an_open_fence_is_found() -> None:
    broken = "## A\n\n```bash\ncurl x\n\n## B\n\ntext\n"
    assert fence_problems(broken) == ["line 6: a heading inside the block opened at line 3"]
    assert fence_problems("```\nx\n") == ["line 1: a block never closed"]
    assert fence_problems("```bash\nx\n```python\n") == [
        "line 3: a fence with text inside the block of line 1"
    ]
    assert fence_problems("## A\n\n```bash\n# a comment\n```\n\n## B\n") == []
