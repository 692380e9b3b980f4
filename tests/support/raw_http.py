"""Send oversized requests the way an attacker would, on a raw socket.

An HTTP client library writes the whole body before it reads the answer, so
a server that answers 413 early and closes looks like a broken pipe to it.
``post_streaming`` writes the body a chunk at a time and reads the answer as
soon as there is one, which is what a server's early refusal is for.
"""

from __future__ import annotations

import select
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes written before the answer came


def post_streaming(
    url: str,
    size: int,
    *,
    chunked: bool = False,
    content_type: str = "application/json",
    chunk: int = 64 * 1024,
    timeout: float = 30.0,
) -> RawAnswer:
    """POST ``size`` bytes of ``x`` to ``url``, with Content-Length or chunked."""
    parts = urlsplit(url)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (f"POST {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: {content_type}\r\n{framing}\r\n\r\n")  # fmt: skip
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        sock.sendall(head.encode())
        sent = 0
        piece = b"x" * chunk
        while sent < size and not _readable(sock):
            data = piece[: min(chunk, size - sent)]
            try:
                sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(data)
        if chunked and sent >= size:
            sock.sendall(b"0\r\n\r\n")
        return _read_answer(sock, sent)


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def _read_answer(sock: socket.socket, sent: int) -> RawAnswer:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError(f"no answer (sent {sent} bytes): {data!r}")
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        more = sock.recv(65536)
        if not more:
            break
        rest += more
    return RawAnswer(status, headers, rest[:length], sent)
