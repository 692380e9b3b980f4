"""The envelope's response and the JSON body reader answer exactly as the framework and
``json.loads`` did before them, byte for byte and error for error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import Response

from paydesk.emulator.api.routing import json_body
from paydesk.emulator.envelope import envelope

DOC = {"imp_key": "키_key", "imp_secret": "secret", "n": [1, 2.5, None, True], "o": {"a": "\n"}}
TEXT = json.dumps(DOC, ensure_ascii=False)


@pytest.mark.parametrize(
    "body",
    [
        TEXT.encode("utf-8"),
        json.dumps(DOC).encode("ascii"),  # \\u escapes
        b"  \r\n" + TEXT.encode("utf-8") + b"\n\t ",
        TEXT.encode("utf-8") + b"\n",
        b" " + TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),  # a UTF-8 BOM: json.loads strips it
        TEXT.encode("utf-16"),  # BOM
        TEXT.encode("utf-16-le"),  # no BOM: told by its zero bytes
        TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
        '{"s": "\ud800"}'.encode("utf-8", "surrogatepass"),  # json.loads decodes surrogatepass
        b'"text"',
        b"[1, 2]",
        b"12",
    ],
    ids=[
        "utf8",
        "ascii",
        "spaces",
        "newline-after",
        "space-before",
        "utf8-bom",
        "utf16",
        "utf16le",
        "utf16be",
        "utf32",
        "lone-surrogate",
        "string",
        "array",
        "number",
    ],
)
def test_a_body_reads_as_json_loads_reads_it(body: bytes) -> None:
    assert json_body(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"{", b'{"a": 1} x', b'{"a": 1}{}', b"\xff\xfe\xfd", b'{"a": "\xc3"}',
     b"{'a': 1}", b"nul", b"\x00{}", b'{"a": "tab\there"}', b"1 2", b"[1,]", b'{"a":1,}'],
    ids=["empty", "blank", "open", "extra", "two", "not-utf8", "cut-utf8", "quotes", "word",
         "zero", "control", "two-numbers", "comma", "object-comma"],
)  # fmt: skip
def test_a_malformed_body_raises_what_json_loads_raises(body: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(body)
    with pytest.raises(ValueError) as raised:
        json_body(body)
    assert type(raised.value) is type(expected.value)
    assert str(raised.value) == str(expected.value)


def framework(response: Any, status: int, headers: dict[str, str] | None) -> Response:
    """What the envelope answered when it built a Starlette ``Response``."""
    body = json.dumps({"code": 0, "message": None, "response": response},
                      ensure_ascii=False, separators=(",", ":"))  # fmt: skip
    return Response(body, status, headers, media_type="application/json; charset=UTF-8")


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, None),
        (401, {"WWW-Authenticate": "Bearer realm=iamport"}),
        (503, {"Retry-After": "1", "X-Two": "2"}),
        (204, None),  # no content-length, as Starlette
        (200, {"Content-Type": "text/plain"}),  # a caller's type wins, as Starlette
        (200, {"content-length": "55"}),
    ],
)
def test_the_envelope_has_the_frameworks_status_headers_and_body(
    status: int, headers: dict[str, str] | None
) -> None:
    response = {"access_token": "토큰", "now": 1, "expired_at": 2.5}
    ours = envelope(response, status=status, headers=headers)
    theirs = framework(response, status, headers)
    assert ours.status_code == theirs.status_code
    assert ours.body == theirs.body
    assert ours.raw_headers == theirs.raw_headers
    assert ours.media_type == theirs.media_type
    assert ours.background is None
    assert dict(ours.headers) == dict(theirs.headers)
