"""Faster equivalents of pyHanko internals that dominate issuance's CPU time.

pyHanko reads a hexadecimal string token by token, one byte and one Python call at a time. The
largest hex string of a signed plan is the /Contents of each signature (the CMS with its chain,
revocation data and time-stamp: 20-60 KB of hex digits), read again by every reader of the file:
the leader's signature check before the seal, and pyHanko itself when it looks for the last
document time-stamp before a PAdES-LTA signature. Byte by byte, that was ~40 ms of the ~320 ms of
CPU an issuance costs.

`install()` swaps `pyhanko.pdf_utils.generic.read_hex_string_from_stream` (which `read_object`
looks up by name at each call) for `read_hex_string_from_stream`, which reads up to the closing
">" at once and decodes it with `binascii`. When the string holds anything but hex digits and
PDF whitespace (a comment, a stray token, a missing ">"), it rewinds and hands the stream to
pyHanko's own reader, so results and errors are pyHanko's in every case
(tests/signing/test_pyhanko_speedups.py compares the two on generated strings).
"""

from __future__ import annotations

import binascii
import contextlib
import re
from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_original = generic.read_hex_string_from_stream
_BODY = re.compile(rb"[0-9A-Fa-f" + re.escape(PDF_WHITESPACE) + rb"]*")
_CHUNK = 8192


def read_hex_string_from_stream(stream: Any) -> Any:
    """pyHanko's `read_hex_string_from_stream` (the stream at the "<"), reading in blocks."""
    start = stream.tell()
    pieces = []
    size = _CHUNK
    while True:
        piece = stream.read(size)
        if not piece:
            return _fallback(stream, start)
        end = piece.find(b">")
        if end >= 0:
            pieces.append(piece[:end])
            break
        pieces.append(piece)
        size = min(size * 2, 1 << 20)
    body = b"".join(pieces)
    if not body.startswith(b"<") or _BODY.fullmatch(body, 1) is None:
        return _fallback(stream, start)
    stream.seek(start + len(body) + 1)
    digits = body[1:].translate(None, PDF_WHITESPACE)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def _fallback(stream: Any, start: int) -> Any:
    stream.seek(start)
    return _original(stream)


def install() -> None:
    """Make pyHanko's object reader use `read_hex_string_from_stream` (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream


@contextlib.contextmanager
def pyhanko_own() -> Iterator[None]:
    """pyHanko's own reader for the duration, then back to what was installed (the bench's
    "raw pyHanko" floor, and the tests' reference)."""
    current = generic.read_hex_string_from_stream
    generic.read_hex_string_from_stream = _original
    try:
        yield
    finally:
        generic.read_hex_string_from_stream = current
