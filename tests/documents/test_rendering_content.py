"""The content fields every type needs (type, Kính gửi, stamps, proposer, appendices) and the
formatting helpers built on them. Pure: no database."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pytest

from documents.content import DOC_TYPES, ContentError, PlanContent
from documents.rendering import (
    BLANK,
    format_attachment_note,
    format_number,
    format_symbol,
    issuer_in_text,
)


def _content(**fields: Any) -> PlanContent:
    return PlanContent.from_dict({"title": "Kế hoạch thử", "year": 2024, **fields})


# ---------------------------------------------------------------------------------------------
# Document type


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("KH", "KH"),
        ("bc", "BC"),
        ("ttr", "TTr"),
        ("TB", "TB"),
        ("CTR", "CTr"),
        ("hd", "HD"),
        ("qđ", "QĐ"),
        ("QYĐ", "QyĐ"),
        ("cv", "CV"),
        ("", "KH"),
    ],
)
def test_doc_type_is_an_nd30_abbreviation_spelt_canonically(typed: str, stored: str) -> None:
    # given a type abbreviation in any case / when validated / then spelt as in Phụ lục III
    assert _content(doc_type=typed).doc_type == stored


@pytest.mark.parametrize("typed", ["NQ", "KẾ HOẠCH", "X", "GM"])
def test_unknown_doc_type_is_refused_in_vietnamese(typed: str) -> None:
    # given a type the system does not lay out / when validated / then a Vietnamese message
    # naming the field and listing the choices
    with pytest.raises(ContentError) as caught:
        _content(doc_type=typed)
    message = str(caught.value)
    assert message.startswith(f"Loại văn bản “{typed}” không hợp lệ.")
    assert "KH (Kế hoạch)" in message and "CV (Công văn)" in message


def test_every_type_has_a_name_except_the_letter() -> None:
    # given the type table / then Mẫu 1.4 types and QĐ have names, CV (công văn) has none
    assert DOC_TYPES["KH"] == "KẾ HOẠCH" and DOC_TYPES["QĐ"] == "QUYẾT ĐỊNH"
    assert DOC_TYPES["CV"] == ""
    assert {"KH", "BC", "TTr", "TB", "CTr", "HD", "QĐ", "CV"} <= set(DOC_TYPES)


# ---------------------------------------------------------------------------------------------
# New optional fields


def test_content_saved_before_the_new_fields_stays_valid_with_defaults() -> None:
    # given content without any of the new fields / when validated / then defaults, and the
    # round trip through to_dict keeps it equal
    content = _content(doc_type="KH", sections=[{"title": "Mục đích"}])
    assert (content.addressees, content.urgency, content.secrecy) == ([], "", "")
    assert (content.proposer, content.issuing_authority, content.issued_by) == ("", "", "")
    assert (content.drafting_unit_abbreviation, content.appendices) == ("", [])
    assert not content.is_issued_by_individual
    assert PlanContent.from_dict(content.to_dict()) == content


@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("urgency", "khẩn", "KHẨN"),
        ("urgency", "Thượng khẩn", "THƯỢNG KHẨN"),
        ("urgency", "HOẢ TỐC", "HỎA TỐC"),
        ("urgency", "hỏa tốc", "HỎA TỐC"),
        ("secrecy", "mật", "MẬT"),
        ("secrecy", "TỐI MẬT", "TỐI MẬT"),
        ("secrecy", "tuyệt mật", "TUYỆT MẬT"),
        ("issued_by", "Individual", "individual"),
    ],
)
def test_levels_are_stored_upper_case(field: str, typed: str, stored: str) -> None:
    # given a level in any case (and the old spelling "HOẢ") / when validated / then canonical
    assert getattr(_content(**{field: typed}), field) == stored


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"urgency": "gấp"},
            "Độ khẩn “gấp” không hợp lệ: chọn KHẨN, THƯỢNG KHẨN, HỎA TỐC hoặc để trống.",
        ),
        (
            {"secrecy": "riêng"},
            "Độ mật “riêng” không hợp lệ: chọn MẬT, TỐI MẬT, TUYỆT MẬT hoặc để trống.",
        ),
        ({"addressees": "Sở Tài chính"}, "Trường “Kính gửi” phải là một danh sách."),
        ({"addressees": [3]}, "Phần tử 1 của “Kính gửi” phải là chuỗi ký tự."),
        ({"proposer": 5}, "Trường “Người đề nghị (Theo đề nghị của)” phải là chuỗi ký tự."),
        ({"appendices": [{"title": ""}]}, "Trường “Tên phụ lục 1” không được để trống."),
        ({"appendices": ["x"]}, "“Phụ lục 1” phải là một đối tượng."),
        ({"appendices": [{}] * 21}, "Trường “Phụ lục” có quá nhiều phần tử."),
        (
            {"drafting_unit_abbreviation": "V X"},
            "Viết tắt đơn vị soạn thảo chỉ gồm chữ cái và chữ số, không dấu cách (ví dụ: VX).",
        ),
    ],
)
def test_bad_new_fields_are_refused_naming_the_field_in_vietnamese(
    fields: dict[str, Any], message: str
) -> None:
    # given a bad value in a new field / when validated / then ContentError naming it in words
    with pytest.raises(ContentError) as caught:
        _content(**fields)
    assert str(caught.value) == message


def test_appendix_sections_are_blocks_with_paths_for_the_editor() -> None:
    # given a bad block inside an appendix / when validated / then the path names it, so that
    # the editor can show "Phụ lục I › Mục I › …"
    with pytest.raises(ContentError) as caught:
        _content(appendices=[{"title": "A", "sections": [{"kind": "khác"}]}])
    assert "appendices[0].sections[0]" in str(caught.value)


def test_appendix_tasks_count_with_the_body() -> None:
    # given a task in the body and one in an appendix / when totalled / then both count
    task = {"title": "Nhiệm vụ", "budget_vnd": 1_000}
    content = _content(
        sections=[{"tasks": [task]}],
        appendices=[{"title": "Danh mục nhiệm vụ", "sections": [{"tasks": [task, task]}]}],
    )
    assert len(content.all_tasks()) == 3
    assert content.budget_total_vnd() == 3_000


def test_text_is_stored_in_nfc() -> None:
    # given a title and addressees typed in decomposed Unicode (NFD) / when validated / then NFC
    title = unicodedata.normalize("NFD", "Kế hoạch Đồng Nai")
    content = _content(title=title, addressees=[unicodedata.normalize("NFD", "Sở Tài chính")])
    assert content.title == "Kế hoạch Đồng Nai"
    assert content.addressees == ["Sở Tài chính"]
    assert unicodedata.is_normalized("NFC", content.title)


def test_decisions_are_issued_by_the_head_unless_said_otherwise() -> None:
    # given decision and plan contents / then a decision is the head's own by default
    assert _content(doc_type="QĐ").is_issued_by_individual
    assert not _content(doc_type="QĐ", issued_by="collective").is_issued_by_individual
    assert _content(doc_type="KH", issued_by="individual").is_issued_by_individual


# ---------------------------------------------------------------------------------------------
# Number, ký hiệu and the appendix note


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5, "KH", "UBND"), "Số: 05/KH-UBND"),
        ((15, "QĐ", "BNV"), "Số: 15/QĐ-BNV"),
        ((12, "CV", "UBND", "VX"), "Số: 12/UBND-VX"),
        ((5, "CV", "BNV", "VP"), "Số: 05/BNV-VP"),
        ((7, "CV", "UBND"), "Số: 07/UBND"),
        ((None, "CV", "UBND", "VX"), f"Số:{BLANK}/UBND-VX"),
        ((None, "TTr", "UBND"), f"Số:{BLANK}/TTr-UBND"),
    ],
)
def test_number_symbol_per_phu_luc_i(args: tuple[Any, ...], expected: str) -> None:
    # given numbers and types / when formatted / then ND30 samples: leading zero below 10, "/"
    # and "-" without spaces, no type abbreviation for a công văn
    assert format_number(*args) == expected


def test_symbol_of_a_letter_has_no_type() -> None:
    assert format_symbol("CV", "UBND", "VX") == "UBND-VX"
    assert format_symbol("KH", "UBND", "VX") == "KH-UBND"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "Ủy ban nhân dân tỉnh Đồng Nai"),
        ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai"),
        ("ỦY BAN NHÂN DÂN\nHUYỆN XUÂN LỘC", "Ủy ban nhân dân huyện Xuân Lộc"),
        ("ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH", "Ủy ban nhân dân thành phố Hồ Chí Minh"),
    ],
)
def test_issuer_in_a_sentence(name: str, expected: str) -> None:
    assert issuer_in_text(name) == expected


def test_attachment_note_filled_after_issuance_and_blank_before() -> None:
    # given a plan number 5 of 05/01/2024, then a draft / when the appendix note is written /
    # then filled in, then with blanks (Mẫu 2.1)
    issued = format_attachment_note(
        "KH",
        number=5,
        issued_on=dt.date(2024, 1, 5),
        abbreviation="UBND",
        issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
    )
    assert issued == (
        "(Kèm theo Kế hoạch số 05/KH-UBND ngày 05 tháng 01 năm 2024 "
        "của Ủy ban nhân dân tỉnh Đồng Nai)"
    )
    draft = format_attachment_note(
        "CV", number=None, issued_on=None, abbreviation="UBND", unit_abbreviation="VX"
    )
    assert draft == f"(Kèm theo Công văn số {BLANK}/UBND-VX ngày{BLANK}tháng{BLANK}năm{BLANK})"
