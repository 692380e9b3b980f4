"""Input limits as pure functions: JSON nesting, storable text."""

from __future__ import annotations

import json

import pytest

from paydesk.web.limits import TooDeep, load_json, nesting_exceeds, storable


@pytest.mark.parametrize(
    ("document", "limit", "exceeds"),
    [
        (b'{"a": [1, {"b": 2}]}', 3, False),
        (b'{"a": [1, {"b": 2}]}', 2, True),
        (b"[" * 33 + b"]" * 33, 32, True),
        (b"[" * 32 + b"]" * 32, 32, False),
        (b'["' + b"[" * 100 + b'"]', 2, False),  # brackets inside a string do not nest
        (b'["\\"' + b"[" * 100 + b'"]', 2, False),  # nor after an escaped quote
        (b'["\\\\"' + b"[" * 3 + b"]" * 3 + b"]", 3, True),  # an escaped backslash ends no string
        (b"[[],[],[],[],[]]", 2, False),  # many siblings, shallow
        (b"[" * 100_000, 32, True),  # unbalanced, as an attacker sends it
    ],
)
def test_nesting(document: bytes, limit: int, exceeds: bool) -> None:
    assert nesting_exceeds(document, limit) is exceeds


def test_load_json_refuses_what_would_recurse_too_far() -> None:
    with pytest.raises(TooDeep):
        load_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(RecursionError):  # what json.loads alone does: a 500 waiting to happen
        json.loads("[" * 100_000 + "]" * 100_000)


def test_load_json_reads_ordinary_documents_and_invalid_utf8() -> None:
    assert load_json(b'{"imp_uid": "imp_1", "n": [1, 2]}') == {"imp_uid": "imp_1", "n": [1, 2]}
    assert load_json(b'{"a": "\xff"}') == {"a": "\ufffd"}
    with pytest.raises(ValueError):
        load_json(b"{not json")


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("imp_123", "imp_123"),
        ("홍길동", "홍길동"),
        ("\ud800", "\\ud800"),
        ("a\udfffb", "a\\udfffb"),
        ("nul\x00", "nul\\x00"),
        ("😀", "😀"),
    ],
)
def test_storable_escapes_what_no_database_takes(text: str, stored: str) -> None:
    assert storable(text) == stored
    storable(text).encode("utf-8")  # strict: never raises
