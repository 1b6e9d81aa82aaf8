"""PDF signing, issuance fields, sealing and validation (pure functions, no database)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pdfplumber
import pypdf
import pytest
from fontTools import ttLib

from agencies.errors import InvalidInput, StateError
from signing.pdf import (
    DATE_FIELD,
    NUMBER_FIELD,
    SUBSET_PADDING,
    LocalTimeStampAuthority,
    SignatureAppearance,
    fonts_prepare,
    pdf_add_issue_fields,
    pdf_fill_issue_fields_and_seal,
    pdf_sign,
    pdf_validate,
)
from signing.seal_image import seal_png

from .helpers import VIETNAM, Pki, field_font, inked

LEADER_FIELD = "signer_signature"
SEAL_FIELD = "agency_seal"


def _timestamper(pki: Pki) -> LocalTimeStampAuthority:
    return LocalTimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.private_key,  # type: ignore[arg-type]
        chain=[pki.root.certificate],
    )


def _sign_as_leader(pdf: bytes, pki: Pki) -> bytes:
    return pdf_sign(
        pdf,
        signer=pki.provider("Nguyễn Văn A"),
        field_name=LEADER_FIELD,
        anchor_text="PHÓ CHỦ TỊCH",
        appearance=SignatureAppearance(
            signer_name="Nguyễn Văn A",
            position="Phó Chủ tịch",
            signed_at=datetime(2026, 11, 22, 10, 15, tzinfo=VIETNAM),
        ),
        timestamper=_timestamper(pki),
    )


def _issue(pdf: bytes, pki: Pki) -> bytes:
    return pdf_fill_issue_fields_and_seal(
        pdf,
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


@pytest.fixture(scope="module")
def signed_pdf(plan_pdf: bytes, pki: Pki) -> bytes:
    return _sign_as_leader(pdf_add_issue_fields(plan_pdf), pki)


@pytest.fixture(scope="module")
def issued_pdf(signed_pdf: bytes, pki: Pki) -> bytes:
    return _issue(signed_pdf, pki)


def _rect(pdf: bytes, name: str) -> list[float]:
    fields = pypdf.PdfReader(io.BytesIO(pdf)).get_fields() or {}
    widget = fields[name].indirect_reference.get_object()  # type: ignore[union-attr]
    return [float(v) for v in widget["/Rect"]]


def test_person_signed_pdf_validates_trusted_against_our_root(signed_pdf: bytes, pki: Pki) -> None:
    # when
    reports = pdf_validate(signed_pdf, trust_roots=[pki.root.certificate], crls=[pki.crl])
    # then
    assert len(reports) == 1
    report = reports[0]
    assert report.field_name == LEADER_FIELD
    assert report.signer_name == "Nguyễn Văn A"
    assert (report.intact, report.valid, report.trusted, report.bottom_line) == (True,) * 4
    assert report.timestamp_time is not None  # B-T: an RFC 3161 token from our TSA
    assert report.summary == "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED"


def test_signature_box_sits_between_the_position_line_and_the_name(signed_pdf: bytes) -> None:
    # given
    with pdfplumber.open(io.BytesIO(signed_pdf)) as document:
        page = document.pages[-1]
        position = page.search("PHÓ CHỦ TỊCH")[-1]
        name = page.search("Nguyễn Văn A")[-1]
        height = float(page.height)
    # when
    x1, y1, x2, y2 = _rect(signed_pdf, LEADER_FIELD)
    # then
    assert height - position["bottom"] >= y2 > y1 >= height - name["top"]
    assert x1 < (position["x0"] + position["x1"]) / 2 < x2


def test_issuance_keeps_the_leader_signature_valid_as_form_filling(
    issued_pdf: bytes, pki: Pki
) -> None:
    # when
    reports = pdf_validate(issued_pdf, trust_roots=[pki.root.certificate], crls=[pki.crl])
    # then
    by_field = {r.field_name: r for r in reports}
    leader, seal = by_field[LEADER_FIELD], by_field[SEAL_FIELD]
    assert leader.bottom_line and seal.bottom_line
    assert leader.modification_level == "FORM_FILLING"
    assert "EXTENDED_WITH_FORM_FILLING,ACCEPTABLE_MODIFICATIONS" in leader.summary
    assert seal.signer_name == "Ủy ban nhân dân tỉnh Đồng Nai"
    assert seal.modification_level == "LTA_UPDATES"
    # B-LTA: a document time-stamp closes the file
    assert [r.kind for r in reports] == ["signature", "signature", "timestamp"]
    assert all(r.bottom_line for r in reports)


def test_number_and_date_are_extractable_from_the_issued_pdf(issued_pdf: bytes) -> None:
    # when
    fields = pypdf.PdfReader(io.BytesIO(issued_pdf)).get_fields() or {}
    # then
    assert fields[NUMBER_FIELD].value == "262"
    assert fields[DATE_FIELD].value == "ngày 22 tháng 11 năm 2026"


def test_seal_overlaps_the_left_third_of_the_leader_box_at_real_size(issued_pdf: bytes) -> None:
    # when
    lx1, ly1, lx2, ly2 = _rect(issued_pdf, LEADER_FIELD)
    sx1, sy1, sx2, sy2 = _rect(issued_pdf, SEAL_FIELD)
    # then
    assert sx2 == pytest.approx(lx1 + (lx2 - lx1) / 3, abs=0.1)
    assert sx2 - sx1 == pytest.approx(36 / 25.4 * 72, abs=0.1)  # 36 mm
    assert (sy1 + sy2) / 2 == pytest.approx((ly1 + ly2) / 2, abs=0.1)


def test_changed_byte_inside_the_signed_range_is_reported_not_intact(
    signed_pdf: bytes, pki: Pki
) -> None:
    # given a byte flipped inside a content stream, before the signature's /Contents
    contents_at = int(re.search(rb"/ByteRange \[\s*0 (\d+)", signed_pdf).group(1))  # type: ignore[union-attr]
    stream_at = signed_pdf.rindex(b"stream\n", 0, contents_at) + 40
    tampered = bytearray(signed_pdf)
    tampered[stream_at] ^= 0x01
    # when
    reports = pdf_validate(bytes(tampered), trust_roots=[pki.root.certificate], crls=[pki.crl])
    # then
    assert len(reports) == 1
    assert reports[0].intact is False
    assert reports[0].bottom_line is False


def test_pdf_signed_by_another_ca_is_reported_untrusted(
    plan_pdf: bytes, pki: Pki, foreign_pki: Pki
) -> None:
    # given
    foreign = _sign_as_leader(plan_pdf, foreign_pki)
    # when
    reports = pdf_validate(foreign, trust_roots=[pki.root.certificate], crls=[pki.crl])
    # then
    assert len(reports) == 1
    assert reports[0].intact is True
    assert reports[0].trusted is False
    assert reports[0].bottom_line is False


def test_unreadable_pdf_gives_a_report_with_an_error(pki: Pki) -> None:
    # when
    reports = pdf_validate(b"%PDF-1.7\nnot really a pdf", trust_roots=[pki.root.certificate])
    # then
    assert len(reports) == 1
    assert reports[0].error
    assert reports[0].bottom_line is False


@pytest.mark.parametrize(
    "anchor",
    [
        "GIÁM ĐỐC",  # not in the document
        "CHỦ TỊCH",  # only inside longer lines ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    ],
)
def test_signing_without_the_position_line_is_refused(
    plan_pdf: bytes, pki: Pki, anchor: str
) -> None:
    # when / then
    with pytest.raises(InvalidInput):
        pdf_sign(
            plan_pdf,
            signer=pki.provider("Nguyễn Văn A"),
            field_name=LEADER_FIELD,
            anchor_text=anchor,
            appearance=SignatureAppearance(
                signer_name="Nguyễn Văn A",
                position="Giám đốc",
                signed_at=datetime(2026, 11, 22, 10, 15, tzinfo=VIETNAM),
            ),
            timestamper=_timestamper(pki),
        )


def test_issue_fields_cannot_be_added_after_signing(
    signed_pdf: bytes, plan_pdf: bytes, pki: Pki
) -> None:
    # given a signed PDF without issue fields
    signed_without_fields = _sign_as_leader(plan_pdf, pki)
    # when / then
    with pytest.raises(StateError):
        pdf_add_issue_fields(signed_without_fields)
    # and adding them again to a prepared PDF changes nothing
    assert pdf_add_issue_fields(signed_pdf) == signed_pdf


def _outlines(font_path: Path, characters: str) -> dict[str, bytes]:
    source = ttLib.TTFont(font_path)
    glyphs, cmap = source["glyf"], source.getBestCmap()
    return {ch: glyphs[cmap[ord(ch)]].compile(glyphs) for ch in set(characters) - {" "}}


def test_number_and_date_embed_the_outlines_of_their_characters(issued_pdf: bytes) -> None:
    # when the fonts of the number and date fields are read back
    number_font = inked(field_font(issued_pdf, NUMBER_FIELD))
    date_font = inked(field_font(issued_pdf, DATE_FIELD))

    # then each holds its text's characters, with the font's own outlines, and besides them only
    # the characters every subset holds (so that the next document's figures find it made)
    fonts = fonts_prepare()
    assert number_font == _outlines(fonts.regular, "262" + SUBSET_PADDING)
    assert date_font == _outlines(fonts.italic, "ngày 22 tháng 11 năm 2026" + SUBSET_PADDING)


def test_issuing_twice_is_refused(issued_pdf: bytes, pki: Pki) -> None:
    # when / then
    with pytest.raises(StateError):
        _issue(issued_pdf, pki)


async def test_validation_works_from_a_thread_that_runs_an_event_loop(
    signed_pdf: bytes, pki: Pki
) -> None:
    # when validation is called synchronously from inside a running event loop
    reports = pdf_validate(signed_pdf, trust_roots=[pki.root.certificate], crls=[pki.crl])
    # then it validates instead of reporting a read failure
    assert [r.bottom_line for r in reports] == [True]


def test_the_time_stamp_authority_signs_with_the_key_it_holds(
    plan_pdf: bytes, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given that parsing a DER private key again is refused (it took ~45 ms per token)
    from pyhanko.sign.timestamps import dummy_client

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the TSA key was parsed again")

    monkeypatch.setattr(dummy_client.serialization, "load_der_private_key", refused)

    # when a signature is time-stamped, then the token verifies (the key held was used)
    reports = pdf_validate(
        _sign_as_leader(pdf_add_issue_fields(plan_pdf), pki),
        trust_roots=[pki.root.certificate],
        crls=[pki.crl],
    )
    assert reports[0].bottom_line, reports
