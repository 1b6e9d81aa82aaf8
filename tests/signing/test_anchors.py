"""Anchors: where the number and date blanks, the signature box and the verification link go,
found in one reading of the PDF and used instead of reading it again at each step."""

from __future__ import annotations

import io
from typing import Any

import pdfplumber
import pypdf
import pytest

from agencies.errors import InvalidInput
from signing.pdf import (
    DATE_FIELD,
    NUMBER_FIELD,
    PdfAnchors,
    SignatureAppearance,
    pdf_add_issue_fields,
    pdf_anchors,
    pdf_fill_issue_fields_and_seal,
    pdf_prepare_signature,
)
from signing.seal_image import seal_png

from .helpers import Pki
from .test_pdf import LEADER_FIELD, SEAL_FIELD, _sign_as_leader, _timestamper

POSITION = "PHÓ CHỦ TỊCH"
LINK = "https://kehoach.dongnai.gov.vn/kiem-tra/262-2026/"


class Readings:
    """Counts how often pdfplumber opens a PDF (the slow reading the anchors spare)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = pdfplumber.open

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(pdfplumber, "open", counting)


def widgets(pdf: bytes) -> dict[str, list[float]]:
    """Every widget's /Rect by its field name (the verification link: its field's 2nd widget)."""
    rects: dict[str, list[float]] = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            field = widget.get("/Parent", widget).get_object()
            name = str(field.get("/T"))
            key = name if name not in rects else f"{name}+link"
            rects[key] = [round(float(v), 2) for v in widget["/Rect"]]
    return rects


def test_one_reading_finds_what_signing_and_sealing_look_for(plan_pdf: bytes):
    # when the anchors of the rendered plan are found
    anchors = pdf_anchors(plan_pdf, position_line=POSITION)

    # then the blanks, the box and the text bounds are there, and survive being kept as JSON
    assert anchors.issue_gaps() and anchors.signature_box()
    assert anchors.text_bounds[0].page_index == 0
    assert PdfAnchors.from_json(anchors.to_json()) == anchors


def test_signing_and_sealing_with_anchors_read_no_pdf_and_place_everything_the_same(
    plan_pdf: bytes, pki: Pki, monkeypatch: pytest.MonkeyPatch
):
    # given the anchors kept from rendering, and the same steps done by reading the PDF
    anchors = PdfAnchors.from_json(pdf_anchors(plan_pdf, position_line=POSITION).to_json())
    read = _sign_as_leader(pdf_add_issue_fields(plan_pdf), pki)
    seal_arguments = {
        "number_text": "262",
        "date_text": "ngày 22 tháng 11 năm 2026",
        "seal": pki.provider("Ủy ban nhân dân tỉnh Đồng Nai"),
        "seal_png": seal_png(ring_text="Ủy ban nhân dân tỉnh Đồng Nai"),
        "over_field": LEADER_FIELD,
        "field_name": SEAL_FIELD,
        "trust_roots": [pki.root.certificate],
        "crls": [pki.crl],
        "timestamper": _timestamper(pki),
        "verify_url": LINK,
    }
    issued_by_reading = pdf_fill_issue_fields_and_seal(read, **seal_arguments)
    readings = Readings(monkeypatch)

    # when the fields are added, the signature prepared and the seal made with the anchors
    with_fields = pdf_add_issue_fields(plan_pdf, anchors=anchors)
    prepared = pdf_prepare_signature(
        with_fields,
        signer=pki.provider("Nguyễn Văn A"),
        field_name=LEADER_FIELD,
        anchor_text=POSITION,
        appearance=SignatureAppearance(
            signer_name="Nguyễn Văn A", position="Phó Chủ tịch", signed_at=_now()
        ),
        timestamper=_timestamper(pki),
        anchors=anchors,
    )
    issued = pdf_fill_issue_fields_and_seal(read, anchors=anchors, **seal_arguments)

    # then no PDF was read to find them, and every widget sits where reading put it
    assert readings.count == 0
    by_anchors, by_reading = widgets(issued), widgets(issued_by_reading)
    assert by_anchors == by_reading
    assert {NUMBER_FIELD, DATE_FIELD, LEADER_FIELD, SEAL_FIELD, f"{SEAL_FIELD}+link"} <= set(
        by_anchors
    )
    assert widgets(prepared.prepared_pdf)[LEADER_FIELD] == by_reading[LEADER_FIELD]


def test_what_the_pdf_lacks_is_refused_when_it_is_needed(plan_pdf: bytes, pki: Pki):
    # given anchors found for a position line that the signature block does not have
    anchors = pdf_anchors(plan_pdf, position_line="GIÁM ĐỐC SỞ")

    # when a signature under that line is prepared, then it is refused as reading would refuse it
    with pytest.raises(InvalidInput) as refused:
        anchors.signature_box()
    assert refused.value.code == "signature_anchor_missing"
    assert "GIÁM ĐỐC SỞ" in refused.value.message


def _now() -> Any:
    from django.utils import timezone

    return timezone.localtime()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_rendered_version_keeps_its_anchors_and_preparing_a_signature_reads_no_pdf(
    signer, make_content, monkeypatch: pytest.MonkeyPatch
):
    from documents import selectors as document_selectors
    from documents import services as documents
    from documents.models import RenderedPdf
    from tests.helpers import walk_to_signature
    from tests.signing.browser_key import browser_key_for

    # given a plan awaiting its signature, its version rendered (as the sign step does first)
    plan = walk_to_signature(content=make_content(signer=signer))
    documents.plan_prepare_signature(plan=plan)
    rendered = RenderedPdf.objects.get(version=document_selectors.latest_version(plan))
    key = browser_key_for(signer)
    readings = Readings(monkeypatch)

    # when the signer's device asks for what to sign
    pending = documents.plan_sign_prepare(plan=plan, actor=signer, device_id=key.device.pk)

    # then the anchors kept at rendering were used: no PDF was read to find the blanks and box
    assert rendered.anchors["position_line"] == POSITION
    assert readings.count == 0
    assert pending.to_be_signed
