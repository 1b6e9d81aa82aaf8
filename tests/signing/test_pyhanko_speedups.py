"""The block reader of hex strings gives what pyHanko's own reader gives, errors included."""

from __future__ import annotations

import io
import random

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from signing import pyhanko_speedups
from signing.pyhanko_speedups import read_hex_string_from_stream

WHITESPACE = [b" ", b"\n", b"\r", b"\t", b"\f", b"\x00"]
ORIGINAL = pyhanko_speedups._original


def _both(data: bytes) -> tuple[object, object]:
    """(value or exception, position after) for pyHanko's reader and ours."""
    results = []
    for reader in (ORIGINAL, read_hex_string_from_stream):
        stream = io.BytesIO(data)
        try:
            value: object = reader(stream)
            outcome: object = (type(value), value)
        except Exception as error:  # the reference's errors are the expectation
            outcome = (type(error), str(error))
        results.append((outcome, stream.tell()))
    return results[0], results[1]


def _hex_string(rng: random.Random, digits: int) -> bytes:
    alphabet = b"0123456789abcdefABCDEF"
    out = bytearray(b"<")
    for _ in range(digits):
        out += bytes([rng.choice(alphabet)])
        if rng.random() < 0.05:
            out += rng.choice(WHITESPACE) * rng.randint(1, 3)
    return bytes(out) + b">"


@pytest.mark.parametrize("seed", range(40))
def test_generated_strings_read_the_same(seed):
    # Given hex strings of every size (odd ones included, some longer than a read block), with
    # whitespace among the digits and more PDF after them
    rng = random.Random(seed)
    digits = rng.choice([0, 1, 2, 7, 64, 8191, 8192, 20001, 70000])
    data = _hex_string(rng, digits) + b" /Next 1 0 R >>"

    # When both readers read them
    reference, ours = _both(data)

    # Then the value, its type and where the stream stands after are the same
    assert ours == reference


@pytest.mark.parametrize(
    "data",
    [
        b"<41 % a comment\n42>",  # a comment: pyHanko skips it
        b"<41 4G 42>",  # a stray token: pyHanko's error
        b"<414243",  # no closing ">": pyHanko's error
        b"<41\n\n",  # whitespace and the end of the file
        b"<>",  # empty
        b"<FEFF00540069> rest",  # UTF-16 text with its BOM: a text string
    ],
)
def test_anything_else_is_pyhankos_answer(data):
    # Given a string the block reader does not take on itself
    # When both readers read it
    reference, ours = _both(data)

    # Then the outcome (a value or the same error) and the position are pyHanko's
    assert ours == reference


def test_a_stray_token_still_raises_pyhankos_error():
    with pytest.raises(PdfStreamError, match="Unexpected token in hex string"):
        read_hex_string_from_stream(io.BytesIO(b"<41 zz>"))


def test_installed_reader_is_the_one_pdf_objects_use():
    # Given a long hex string, as a signature's /Contents (its CMS)
    contents = bytes(range(256)) * 80
    data = b"<" + contents.hex().encode() + b"> /ByteRange"

    # When pyHanko reads the object with ours installed, and with its own
    with pyhanko_speedups.pyhanko_own():
        assert generic.read_hex_string_from_stream is ORIGINAL
        reference = generic.read_object(io.BytesIO(data), None)
    pyhanko_speedups.install()
    assert generic.read_hex_string_from_stream is read_hex_string_from_stream
    ours = generic.read_object(io.BytesIO(data), None)

    # Then both give the same bytes
    assert ours == reference == contents
