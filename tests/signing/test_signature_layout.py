"""Where the leader's signature text and the seal fall on the issued page: the three lines
("Ký bởi: …", "Chức vụ: …", "Thời gian: …") are never under the seal, whatever the signer's
name and with or without a signature image (ND30 Phụ lục I II.8.a puts the seal over the left
third of the signature image; the text must stay readable beside it).

The signature and the seal are widgets whose appearances pdfplumber does not read: the test
flattens them into the page with pdfium (as a printer would) and measures the text there."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pdfplumber
import pypdf
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageDraw

from signing.pdf import (
    SignatureAppearance,
    pdf_add_issue_fields,
    pdf_fill_issue_fields_and_seal,
    pdf_sign,
)
from signing.seal_image import seal_png

from .helpers import VIETNAM, Pki
from .test_pdf import LEADER_FIELD, SEAL_FIELD, _timestamper

pytestmark = pytest.mark.slow

NAMES = [
    "Nguyễn Văn A",
    "Võ Tấn Đức",
    "Nguyễn Thị Phương Thảo",
    "Tôn Nữ Thị Hoàng Phúc Nguyên Khánh",
]


def _signature_png() -> bytes:
    """A transparent signature image, wider than high, as signers upload them."""
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(30, 170), (160, 40), (260, 180), (380, 60), (570, 120)], fill=(0, 0, 160), width=9)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _issued(plan_pdf: bytes, pki: Pki, name: str, *, with_image: bool) -> bytes:
    signed = pdf_sign(
        pdf_add_issue_fields(plan_pdf),
        signer=pki.provider(name),
        field_name=LEADER_FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=SignatureAppearance(
            signer_name=name,
            position="Phó Chủ tịch Ủy ban nhân dân tỉnh",
            signed_at=datetime(2026, 11, 22, 10, 15, tzinfo=VIETNAM),
        ),
        timestamper=_timestamper(pki),
        signature_png=_signature_png() if with_image else None,
    )
    return pdf_fill_issue_fields_and_seal(
        signed,
        number_text="262",
        date_text="ngày 22 tháng 11 năm 2026",
        seal=pki.provider("Ủy ban nhân dân tỉnh Đồng Nai"),
        seal_png=seal_png(ring_text="Ủy ban nhân dân tỉnh Đồng Nai"),
        over_field=LEADER_FIELD,
        field_name=SEAL_FIELD,
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
        timestamper=_timestamper(pki),
    )


def _flattened(pdf: bytes) -> bytes:
    """The PDF with every widget's appearance drawn into its page (pdfium, FLAT_PRINT)."""
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        assert pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT) != pdfium_c.FLATTEN_FAIL
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _widget_box(pdf: bytes, name: str) -> tuple[int, tuple[float, float, float, float]]:
    """Page index and (x0, top, x1, bottom) in pdfplumber's coordinates of field `name`."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    widget = (reader.get_fields() or {})[name].indirect_reference.get_object()  # type: ignore[union-attr]
    page_ref = widget["/P"].indirect_reference
    index = next(i for i, p in enumerate(reader.pages) if p.indirect_reference == page_ref)
    height = float(reader.pages[index].mediabox.height)
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    return index, (min(x1, x2), height - max(y1, y2), max(x1, x2), height - min(y1, y2))


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _signature_lines(page: Any, box: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    """The text lines drawn inside the leader's signature box."""
    x0, top, x1, bottom = box
    inside = page.crop((x0 - 1, top - 1, x1 + 1, bottom + 1))
    return inside.extract_text_lines()


@pytest.mark.parametrize("with_image", [True, False], ids=["with-image", "text-only"])
@pytest.mark.parametrize("name", NAMES)
def test_the_signature_text_is_never_under_the_seal(
    plan_pdf: bytes, pki: Pki, name: str, with_image: bool
) -> None:
    # given a plan signed by `name` and issued with the seal
    issued = _issued(plan_pdf, pki, name, with_image=with_image)
    page_index, leader = _widget_box(issued, LEADER_FIELD)
    seal_page, seal = _widget_box(issued, SEAL_FIELD)
    assert seal_page == page_index
    # when the page is printed (widgets flattened) and its text measured
    with pdfplumber.open(io.BytesIO(_flattened(issued))) as document:
        lines = _signature_lines(document.pages[page_index], leader)
    # then the three lines are there, the name whole, and none touches the seal's square
    texts = [line["text"] for line in lines]
    assert any(t.startswith("Ký bởi:") and name in t for t in texts), texts
    assert any(t.startswith("Chức vụ:") for t in texts), texts
    assert any(t.startswith("Thời gian:") for t in texts), texts
    for line in lines:
        box = (line["x0"], line["top"], line["x1"], line["bottom"])
        assert not _overlaps(box, seal), (line["text"], box, seal)
