"""The README's configuration table lists every setting, each once, and nothing else.

Its first column names ``PAYDESK_*`` variables in backticks, one or more a row
(related settings share a row); each must be spelled out in full. The table is
compared with the fields of ``Settings``, so a setting added without a line in
the table (or a line left for a setting removed) fails here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from paydesk.settings import Settings

README = Path(__file__).resolve().parents[3] / "README.md"
HEADING = "### Configuration (`PAYDESK_*`)"
NAME = re.compile(r"`(PAYDESK_[A-Z0-9_]+)`")


def table_rows(text: str) -> list[str]:
    """The body rows of the first table after ``HEADING``."""
    lines = text.split(HEADING, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:  # past the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def listed_names(text: str) -> list[str]:
    return [name for row in table_rows(text) for name in NAME.findall(row.split("|")[1])]


def test_the_table_lists_every_setting_once() -> None:
    listed = listed_names(README.read_text(encoding="utf-8"))
    expected = {f"PAYDESK_{field.upper()}" for field in Settings.model_fields}
    assert sorted(set(listed) - expected) == [], "in the README but not in Settings"
    assert sorted(expected - set(listed)) == [], "in Settings but not in the README table"
    assert [name for name, n in Counter(listed).items() if n > 1] == [], "listed twice"


def test_the_reader_finds_names_and_stops_at_the_table_end() -> None:
    text = f"""intro
{HEADING}

| variable | default | meaning |
|---|---|---|
| `PAYDESK_A`, `PAYDESK_B_C` | `1` | mentions `PAYDESK_NOT_A_NAME` in its meaning |
| `PAYDESK_D` | — | d |

After the table `PAYDESK_E` is prose.
"""
    assert listed_names(text) == ["PAYDESK_A", "PAYDESK_B_C", "PAYDESK_D"]
