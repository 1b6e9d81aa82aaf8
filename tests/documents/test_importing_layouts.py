"""Importing plans laid out differently from the seed: tasks grouped under each agency, other
numbering, task tables, other tables, text without diacritics (OCR), tracked changes. Every
paragraph of the input must be found in the result; every such layout is flagged for review; a
render → import round trip keeps the structure. Pure: no database."""

from __future__ import annotations

import copy
import io
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from documents.content import DocumentHeader, PlanContent
from documents.importing import (
    ImportResult,
    UnitDirectory,
    import_plan_docx,
    plain,
    unit_key,
)
from documents.rendering import render_plan_docx
from tests.documents.seeds import DIRECTORY, SEED

VML = "urn:schemas-microsoft-com:vml"
HEADER = DocumentHeader(
    issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", issuer_abbreviation="UBND", place="Đồng Nai"
)


# ---------------------------------------------------------------------------------------------
# Building Word files


def bold(text: str) -> tuple[str, str]:
    return ("b", text)


def centered(text: str) -> tuple[str, str]:
    return ("bc", text)


def build(*items: Any) -> bytes:
    """A .docx of `items`: a str is a paragraph, ("b"|"bc", text) a bold (centred) paragraph,
    a list of rows a table (a row of one cell spans the table; "\\n" in a cell separates
    paragraphs)."""
    document = docx.Document()
    for item in items:
        if isinstance(item, str):
            document.add_paragraph(item)
        elif isinstance(item, tuple):
            style, text = item
            paragraph = document.add_paragraph()
            paragraph.add_run(text).bold = "b" in style
            if "c" in style:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            width = max(len(row) for row in item)
            table = document.add_table(rows=len(item), cols=width)
            for index, row in enumerate(item):
                cells = table.rows[index].cells
                if len(row) == 1 and width > 1:
                    cells[0].merge(cells[-1]).text = row[0]
                    continue
                for cell, text in zip(cells, row, strict=False):
                    lines = text.split("\n")
                    cell.text = lines[0]
                    for line in lines[1:]:
                        cell.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


HEAD = (
    "KẾ HOẠCH",
    centered("Thông tin đối ngoại tỉnh Đồng Nai năm 2025"),
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;",
    "Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:",
)
FOOT = (
    "Trên đây là Kế hoạch thông tin đối ngoại năm 2025.",
    "Nơi nhận:",
    "- Sở TT&TT;",
    "- Đài PTTH Đồng Nai;",
    "- Thường trực Tỉnh ủy;",
    "- Lưu: VT, KGVX.",
    "KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "Nguyễn Thị Hoàng",
)

AGENCIES = build(
    *HEAD,
    bold("I. MỤC ĐÍCH, YÊU CẦU"),
    "Quảng bá hình ảnh tỉnh Đồng Nai.",
    bold("II. NHIỆM VỤ CỤ THỂ"),
    bold("1. Sở TT&TT"),
    "a) Tổ chức hội nghị báo chí quốc tế.",
    "- Thời gian thực hiện: quý II/2025",
    "b) Xây dựng chuyên trang đối ngoại; thời gian: quý III/2025.",
    bold("2. Sở VH,TT&DL"),
    "- Tổ chức sự kiện quảng bá du lịch tại Hàn Quốc.",
    "+ Quy mô 200 khách, kết hợp hội chợ.",
    "- Thời gian thực hiện: tháng 9/2025",
    "- Phối hợp tổ chức tuần lễ văn hóa Nhật Bản.",
    bold("3. Đài PTTH"),
    "Sản xuất 12 phóng sự đối ngoại.",
    "Đơn vị phối hợp: Báo Đồng Nai",
    bold("4. Tỉnh đoàn"),
    "a) Tổ chức giao lưu thanh niên quốc tế.",
    bold("5. Sở Thông tin và Truyền thôg"),
    "a) Theo dõi, tổng hợp dư luận báo chí nước ngoài.",
    bold("III. TỔ CHỨC THỰC HIỆN"),
    "1. Sở Tài chính bố trí kinh phí theo quy định.",
    "2. Các đơn vị báo cáo kết quả trước ngày 15/11/2025.",
    *FOOT,
)

DECIMALS = build(
    *HEAD,
    bold("1. MỤC ĐÍCH, YÊU CẦU"),
    bold("1.1. Mục đích"),
    "Quảng bá hình ảnh tỉnh Đồng Nai.",
    bold("1.2. Yêu cầu"),
    "Bám sát chủ trương của Đảng.",
    bold("2. NHIỆM VỤ VÀ GIẢI PHÁP"),
    bold("2.1. Truyền thông đối ngoại"),
    "2.1.1. Sản xuất phim tài liệu quảng bá.",
    "- Đơn vị chủ trì: Sở TT&TT",
    "- Thời gian: quý IV/2025",
    "2.1.2. Tổ chức họp báo định kỳ",
    "1) Họp báo quý I;",
    "2) Họp báo quý II.",
    "- Đơn vị chủ trì: Văn phòng UBND tỉnh",
    bold("2.2. Hợp tác quốc tế"),
    "- Sở Ngoại vụ:",
    "+ Đón tiếp đoàn khách quốc tế.",
    "+ Thời gian: cả năm",
    "+ Tổ chức hội nghị ngoại giao đoàn.",
    bold("3. KINH PHÍ"),
    "Ngân sách tỉnh bố trí.",
    bold("4. TỔ CHỨC THỰC HIỆN"),
    "Các sở báo cáo trước ngày 10/12/2025.",
    *FOOT,
)

TABLES = build(
    *HEAD,
    bold("I. MỤC ĐÍCH, YÊU CẦU"),
    "Quảng bá hình ảnh tỉnh.",
    bold("II. NHIỆM VỤ CỤ THỂ"),
    "Các nhiệm vụ cụ thể như sau:",
    [
        [
            "STT",
            "Nội dung nhiệm vụ",
            "Đơn vị chủ trì",
            "Đơn vị phối hợp",
            "Thời gian thực hiện",
            "Kinh phí (triệu đồng)",
            "Ghi chú",
        ],
        ["I", "Truyền thông đối ngoại", "", "", "", "", ""],
        [
            "1",
            "Sản xuất phim quảng bá\nPhát sóng trên kênh VTV4",
            "Sở TT&TT",
            "Đài PTTH Đồng Nai; Báo Đồng Nai",
            "Quý II/2025",
            "150",
            "",
        ],
        [
            "2",
            "Xuất bản bản tin đối ngoại",
            "Sở Ngoại vụ",
            "",
            "6 số/năm",
            "Ngân sách tỉnh",
            "Song ngữ",
        ],
        ["Hợp tác quốc tế"],
        ["1", "Đón đoàn khách quốc tế", "Sở Ngoai vu", "Công an tỉnh", "Cả năm", "", ""],
    ],
    bold("III. KINH PHÍ THỰC HIỆN"),
    [["Nguồn", "Số tiền"], ["Ngân sách tỉnh", "500 triệu"], ["Xã hội hóa", "100 triệu"]],
    bold("IV. TỔ CHỨC THỰC HIỆN"),
    "Sở TT&TT theo dõi, báo cáo trước ngày 15/11/2025.",
    *FOOT,
)

OCR = build(
    "UY BAN NHAN DAN",
    "TINH DONG NAI",
    "CONG HOA XA HOI CHU NGHIA VIET NAM",
    "Doc lap - Tu do - Hanh phuc",
    "So: 15/KH-UBND",
    "Dong Nai, ngay 05 thang 01 nam 2025",
    "KE HOACH",
    "Thong tin doi ngoai tinh Dong Nai nam 2025",
    "Can cu Luat To chuc chinh quyen dia phuong ngay 19/6/2015;",
    "Chu tich Uy ban nhan dan tinh ban hanh Ke hoach nhu sau:",
    "I. MUC DICH, YEU CAU",
    "1. Muc dich",
    "- Quang ba hinh anh dat nuoc, con nguoi Dong Nai.",
    "II. NOI DUNG, NHIEM VU",
    "1. Hoan thien hanh lang phap ly",
    "Ra soat, sua doi Quy che quan ly hoat dong thong tin doi ngoai.",
    "- Don vi chu tri: So Thong tin va Truyen thong",
    "- Don vi phoi hop: So Ngoai vu, Cong an tinh",
    "- Thoi gian thuc hien: quy II/2025",
    "- Du toan kinh phi: 50.000.000 dong",
    "2. Truyen thong quang ba hinh anh",
    "a) San xuat phim tai lieu",
    "- Don vi chu tri: Dai PTTH Dong Nai",
    "- Thoi gian thuc hien: nam 2025",
    "III. KINH PHI THUC HIEN",
    "Kinh phi bo tri trong du toan ngan sach.",
    "IV. TO CHUC THUC HIEN",
    "Cac so bao cao ket qua truoc ngay 15/11/2025.",
    "Tren day la Ke hoach thong tin doi ngoai nam 2025.",
    "Noi nhan:",
    "- Bo Thong tin va Truyen thong;",
    "- So TT&TT;",
    "- Luu: VT, KGVX.",
    "KT. CHU TICH",
    "PHO CHU TICH",
    "Nguyen Thi Hoang",
)

LAYOUTS = {"agencies": AGENCIES, "decimals": DECIMALS, "tables": TABLES, "ocr": OCR}


def _import(data: bytes) -> ImportResult:
    return import_plan_docx(data, directory=DIRECTORY, place="Đồng Nai")


# ---------------------------------------------------------------------------------------------
# Finding every input paragraph in the result


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def input_paragraphs(data: bytes) -> list[str]:
    """Every non-empty paragraph of the file (body and table cells, a merged cell once), NFC
    and whitespace-normalised, split at line breaks."""
    document = docx.Document(io.BytesIO(data))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        seen: set[Any] = set()
        for row in table.rows:
            for cell in row.cells:
                if cell._tc in seen:
                    continue
                seen.add(cell._tc)
                paragraphs.extend(cell.paragraphs)
    out = []
    for paragraph in paragraphs:
        for part in re.split(r"[\n\v]", paragraph.text):
            if _norm(part):
                out.append(_norm(part))
    return out


#: Numbering and bullets are structure, not text.
_MARKER = re.compile(r"^(?:[ivxl]+\.|\d{1,2}(?:\.\d{1,2})*\.?|[a-z]\)|\(?\d{1,2}\)|[-–+•])\s+")
#: Field labels are structure too, at the start of a line or inside it.
_LABEL = re.compile(
    r"(?:(?:don vi|co quan)\s+(?:chu tri|phoi hop|thuc hien)[^:]{0,40}|thoi gian[^:]{0,30}"
    r"|(?:du toan\s+)?kinh phi)\s*:"
)


def missing_text(data: bytes, result: ImportResult) -> list[str]:
    """Input paragraphs not found in the result (content, unplaced, source).

    A paragraph is found as it is, or once its numbering and field labels are set aside, piece
    by piece; units matched to the directory may be spelt as in the directory; amounts may be
    written as a number of đồng; text without diacritics may have gained them.
    """
    corpus = "\n".join(_norm(s) for s in _strings([result.content, result.unplaced, result.source]))
    corpus_key = unit_key(corpus)
    plan = PlanContent.from_dict(result.content)
    unit_ids = set(plan.recipients.unit_ids())
    for task in plan.all_tasks():
        unit_ids |= {u.unit_id for u in [*task.lead_units, *task.coordinating_units]}
    aliases = set()
    for unit_id, name, short in DIRECTORY:
        if unit_id in unit_ids:
            for alias in (unit_key(name), unit_key(short)):
                aliases |= {alias, alias.removesuffix(" dong nai")}
    missing = []
    for paragraph in input_paragraphs(data):
        if paragraph in corpus:
            continue
        marker = _MARKER.match(plain(paragraph))
        text = paragraph[marker.end() :] if marker else paragraph
        pieces, start = [], 0
        for label in _LABEL.finditer(plain(text)):  # plain(): same length, no diacritics
            pieces.append(text[start : label.start()])
            start = label.end()
        pieces.append(text[start:])
        for piece in pieces:
            piece = piece.strip(" .;,()|")
            if not piece or piece in corpus or re.fullmatch(r"[\dIVX]{1,4}", piece):
                continue
            if re.fullmatch(r"[\d.,]+(?: ?(?:trieu dong|trieu|dong))?", plain(piece)):
                digits = re.sub(r"\D", "", piece)
                if digits and digits in corpus:
                    continue
            key = unit_key(piece)
            for alias in sorted(aliases, key=len, reverse=True):
                key = re.sub(rf"\b{re.escape(alias)}\b", "|", key)
            chunks = [chunk.strip() for chunk in key.split("|") if chunk.strip()]
            if any(f" {chunk} " not in f" {corpus_key} " for chunk in chunks):
                missing.append(paragraph)
                break
    return missing


def structure(content: dict[str, Any]) -> dict[str, Any]:
    plan = PlanContent.from_dict(content)

    def block(b: Any) -> tuple:
        return (
            b.title,
            b.kind,
            b.paragraphs,
            [
                (
                    t.title,
                    t.description,
                    [(u.name, u.unit_id) for u in t.lead_units],
                    [(u.name, u.unit_id) for u in t.coordinating_units],
                    t.timeline,
                    t.budget_vnd,
                )
                for t in b.tasks
            ],
            [block(c) for c in b.children],
        )

    return {
        "title": plan.title,
        "year": plan.year,
        "legal_bases": plan.legal_bases,
        "preamble": plan.preamble,
        "sections": [block(s) for s in plan.sections],
        "recipients": plan.recipients,
        "deadlines": plan.reporting_deadlines,
        "signature": plan.signature,
    }


def _tasks(result: ImportResult) -> dict[str, Any]:
    return {t.title: t for t in PlanContent.from_dict(result.content).all_tasks()}


def _codes(result: ImportResult) -> set[str]:
    return {issue["code"] for issue in result.issues}


# ---------------------------------------------------------------------------------------------
# Layouts


def test_tasks_grouped_under_each_agency_are_led_by_it() -> None:
    # given a plan whose section II lists each agency, then its tasks
    # when it is imported
    result = _import(AGENCIES)
    plan = PlanContent.from_dict(result.content)
    tasks = _tasks(result)
    # then each agency is a block of tasks that it leads, abbreviations matched to the directory
    section = plan.sections[1]
    assert [c.title for c in section.children] == [
        "Sở TT&TT",
        "Sở VH,TT&DL",
        "Đài PTTH",
        "Tỉnh đoàn",
        "Sở Thông tin và Truyền thôg",
    ]
    assert [len(c.tasks) for c in section.children] == [2, 2, 1, 1, 1]
    assert len(plan.all_tasks()) == 7
    conference = tasks["Tổ chức hội nghị báo chí quốc tế."]
    assert [(u.name, u.unit_id) for u in conference.lead_units] == [
        ("Sở Thông tin và Truyền thông", 3)
    ]
    assert conference.timeline == "quý II/2025"
    inline = tasks["Xây dựng chuyên trang đối ngoại"]  # "…; thời gian: quý III/2025."
    assert (inline.timeline, inline.lead_units[0].unit_id) == ("quý III/2025", 3)
    tourism = tasks["Tổ chức sự kiện quảng bá du lịch tại Hàn Quốc."]
    assert tourism.lead_units[0].unit_id == 8  # "Sở VH,TT&DL"
    assert tourism.description == ["+ Quy mô 200 khách, kết hợp hội chợ."]
    assert tourism.timeline == "tháng 9/2025"
    assert tasks["Phối hợp tổ chức tuần lễ văn hóa Nhật Bản."].lead_units[0].unit_id == 8
    reports = tasks["Sản xuất 12 phóng sự đối ngoại."]
    assert [u.unit_id for u in reports.lead_units] == [14]  # "Đài PTTH" in Đồng Nai
    assert [u.unit_id for u in reports.coordinating_units] == [15]
    youth = tasks["Tổ chức giao lưu thanh niên quốc tế."]
    assert [(u.name, u.unit_id) for u in youth.lead_units] == [("Tỉnh đoàn", None)]
    press = tasks["Theo dõi, tổng hợp dư luận báo chí nước ngoài."]
    assert press.lead_units[0].unit_id == 3  # "Truyền thôg": a spelling mistake
    # and the implementation section keeps its numbered sentences
    assert plan.sections[2].paragraphs[0] == "1. Sở Tài chính bố trí kinh phí theo quy định."
    assert plan.reporting_deadlines[0].due_date == "2025-11-15"
    # and the drafter is asked to check what was inferred or not found
    assert result.needs_review is True
    assert {"layout_agency", "unit_unmatched", "unit_fuzzy"} <= _codes(result)
    assert (
        "Không tìm thấy đơn vị “Tỉnh đoàn” trong danh mục; đã giữ nguyên tên như trong văn bản."
        in result.warnings
    )
    assert any("Truyền thôg" in w and "gần đúng" in w for w in result.warnings)


def test_decimal_numbering_enumerations_and_agency_bullet_groups() -> None:
    # given "1. MỤC ĐÍCH" sections, "2.1." / "2.1.1." items, "1)" enumerations and an agency
    # line "- Sở Ngoại vụ:" followed by its "+" tasks
    # when imported
    result = _import(DECIMALS)
    plan = PlanContent.from_dict(result.content)
    tasks = _tasks(result)
    # then the numbering becomes sections, items and points
    assert [(s.title, s.kind) for s in plan.sections] == [
        ("MỤC ĐÍCH, YÊU CẦU", "purpose"),
        ("NHIỆM VỤ VÀ GIẢI PHÁP", "tasks"),
        ("KINH PHÍ", "budget"),
        ("TỔ CHỨC THỰC HIỆN", "implementation"),
    ]
    assert [c.title for c in plan.sections[0].children] == ["Mục đích", "Yêu cầu"]
    media, cooperation = plan.sections[1].children
    assert media.title == "Truyền thông đối ngoại"
    assert [t.title for t in media.tasks] == [
        "Sản xuất phim tài liệu quảng bá.",
        "Tổ chức họp báo định kỳ",
    ]
    # and "1) …;" lines of an enumeration describe their task
    briefings = tasks["Tổ chức họp báo định kỳ"]
    assert briefings.description == ["1) Họp báo quý I;", "2) Họp báo quý II."]
    assert briefings.lead_units[0].unit_id == 2
    # and the agency's "+" lines are its tasks, the "+ Thời gian" line the first one's timeline
    (foreign,) = cooperation.children
    assert foreign.title == "Sở Ngoại vụ"
    assert [(t.title, t.timeline, t.lead_units[0].unit_id) for t in foreign.tasks] == [
        ("Đón tiếp đoàn khách quốc tế.", "cả năm", 5),
        ("Tổ chức hội nghị ngoại giao đoàn.", "", 5),
    ]
    assert result.needs_review is True
    assert "layout_numbering" in _codes(result)


def test_task_table_rows_become_tasks_and_other_tables_paragraphs() -> None:
    # given a task table (group rows "I | …" and a merged row) and a table of figures
    # when imported
    result = _import(TABLES)
    plan = PlanContent.from_dict(result.content)
    tasks = _tasks(result)
    # then each row is a task under its group, with its units, timeline and budget
    section = plan.sections[1]
    assert section.paragraphs == ["Các nhiệm vụ cụ thể như sau:"]
    assert [(c.title, len(c.tasks)) for c in section.children] == [
        ("Truyền thông đối ngoại", 2),
        ("Hợp tác quốc tế", 1),
    ]
    film = tasks["Sản xuất phim quảng bá"]
    assert film.description == ["Phát sóng trên kênh VTV4"]
    assert [u.unit_id for u in film.lead_units] == [3]
    assert [u.unit_id for u in film.coordinating_units] == [14, 15]
    assert (film.timeline, film.budget_vnd) == ("Quý II/2025", 150_000_000)  # triệu đồng
    bulletin = tasks["Xuất bản bản tin đối ngoại"]
    assert bulletin.budget_vnd is None
    assert bulletin.description == [
        "Kinh phí (triệu đồng): Ngân sách tỉnh",
        "Ghi chú: Song ngữ",
    ]
    visit = tasks["Đón đoàn khách quốc tế"]
    assert [u.unit_id for u in visit.lead_units] == [5]  # "Sở Ngoai vu": no diacritics
    assert [u.unit_id for u in visit.coordinating_units] == [10]
    # and the header row is kept as source; the other table one paragraph a row
    assert result.source["table_headers"][:3] == ["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì"]
    assert plan.sections[2].paragraphs == [
        "Nguồn | Số tiền",
        "Ngân sách tỉnh | 500 triệu",
        "Xã hội hóa | 100 triệu",
    ]
    assert {"layout_table", "table_generic"} <= _codes(result)
    assert result.needs_review is True


def test_text_without_diacritics_is_read_and_flagged() -> None:
    # given a plan recognised from a scan, without any diacritics
    # when imported
    result = _import(OCR)
    plan = PlanContent.from_dict(result.content)
    # then its labels are still recognised
    assert result.source["number"] == 15
    assert result.source["date"] == "2025-01-05"
    assert plan.title == "Thong tin doi ngoai tinh Dong Nai nam 2025"
    assert (plan.year, len(plan.legal_bases), len(plan.sections)) == (2025, 1, 4)
    assert [s.kind for s in plan.sections] == ["purpose", "tasks", "budget", "implementation"]
    law, media = plan.all_tasks()
    assert [u.unit_id for u in law.lead_units] == [3]
    assert [u.unit_id for u in law.coordinating_units] == [5, 10]
    assert (law.timeline, law.budget_vnd) == ("quy II/2025", 50_000_000)
    assert [u.unit_id for u in media.lead_units] == [14]
    assert plan.reporting_deadlines[0].due_date == "2025-11-15"
    assert plan.recipients.unit_ids() == [3]
    assert plan.recipients.archive == "Lưu: VT, KGVX."
    assert plan.signature.lines() == ["KT. CHU TICH", "PHO CHU TICH"]
    # and the drafter is told the text has no diacritics
    assert "ocr" in _codes(result)
    assert result.needs_review is True


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_paragraph_of_every_layout_is_kept(name: str) -> None:
    # given a plan laid out differently / when imported / then no text is lost
    data = LAYOUTS[name]
    result = _import(data)
    assert missing_text(data, result) == []
    assert result.unplaced == []


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_round_trip_keeps_the_structure(name: str) -> None:
    # given a plan laid out differently, imported
    first = _import(LAYOUTS[name])
    plan = PlanContent.from_dict(first.content)
    # when rendered per ND30 and imported again
    again = _import(render_plan_docx(plan, HEADER))
    # then the same sections, tasks, units, recipients and signature, and nothing to place
    assert again.unplaced == []
    assert structure(again.content) == structure(first.content)


def test_paragraphs_the_importer_cannot_place_are_returned() -> None:
    # given a note above the type name that is neither issuer, number nor date
    data = build("(Dự thảo lần 2, ngày 01/3/2025)", *HEAD, bold("I. MỤC ĐÍCH"), "Quảng bá.")
    # when imported / then it is returned to be placed, and the import is flagged
    result = _import(data)
    assert result.unplaced == ["(Dự thảo lần 2, ngày 01/3/2025)"]
    assert result.needs_review is True
    assert missing_text(data, result) == []


def _with_tracked_insertion_and_text_box(data: bytes) -> bytes:
    """The file with a tracked insertion in the first body paragraph and a text box."""
    document = docx.Document(io.BytesIO(data))
    paragraph = document.paragraphs[2]  # "Căn cứ …"
    insertion = OxmlElement("w:ins")
    insertion.set(qn("w:id"), "1")
    insertion.set(qn("w:author"), "Chuyên viên")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = " (sửa đổi, bổ sung năm 2019)"
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(text)
    insertion.append(run)
    paragraph._p.append(insertion)
    last = document.paragraphs[-1]
    box_run = OxmlElement("w:r")
    pict = OxmlElement("w:pict")
    shape = etree.SubElement(pict, f"{{{VML}}}shape")
    textbox = etree.SubElement(shape, f"{{{VML}}}textbox")
    content = OxmlElement("w:txbxContent")
    inner = OxmlElement("w:p")
    inner_run = OxmlElement("w:r")
    inner_text = OxmlElement("w:t")
    inner_text.text = "Ghi chú trong khung văn bản"
    inner_run.append(inner_text)
    inner.append(inner_run)
    content.append(inner)
    textbox.append(content)
    box_run.append(pict)
    last._p.append(box_run)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_tracked_insertions_and_text_boxes_are_read() -> None:
    # given text that python-docx's paragraph.text leaves out: a tracked insertion, a text box
    data = _with_tracked_insertion_and_text_box(
        build(*HEAD, bold("I. MỤC ĐÍCH"), "Quảng bá hình ảnh tỉnh.")
    )
    # when imported / then both are in the result
    result = _import(data)
    assert result.content["legal_bases"] == [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015; (sửa đổi, bổ sung năm 2019)"
    ]
    assert "Ghi chú trong khung văn bản" in result.content["sections"][0]["paragraphs"]


@pytest.mark.skipif(not SEED.is_file(), reason="seed plan not available")
def test_seed_is_not_flagged_and_keeps_every_paragraph() -> None:
    # given the seed plan, laid out per ND30 / when imported / then nothing to review
    data = SEED.read_bytes()
    result = _import(data)
    assert (result.needs_review, result.issues, result.unplaced) == (False, [], [])
    assert missing_text(data, result) == []


@pytest.mark.skipif(not SEED.is_file(), reason="seed plan not available")
def test_seed_without_diacritics_gives_the_same_structure() -> None:
    # given the seed plan with every diacritic removed (as an OCR might give it)
    document = docx.Document(io.BytesIO(SEED.read_bytes()))
    for paragraph in _all_paragraphs(document):
        for run in paragraph.runs:
            run.text = _strip_diacritics(run.text)
    buffer = io.BytesIO()
    document.save(buffer)
    # when imported
    ocr = _import(buffer.getvalue())
    seed = _import(SEED.read_bytes())
    # then the same counts of sections, tasks, recipients and the same lead units
    ocr_plan, seed_plan = (PlanContent.from_dict(r.content) for r in (ocr, seed))
    assert [s.kind for s in ocr_plan.sections] == [s.kind for s in seed_plan.sections]
    assert len(ocr_plan.all_tasks()) == len(seed_plan.all_tasks()) == 23
    assert [[u.unit_id for u in t.lead_units] for t in ocr_plan.all_tasks()] == [
        [u.unit_id for u in t.lead_units] for t in seed_plan.all_tasks()
    ]
    assert ocr_plan.recipients.unit_ids() == seed_plan.recipients.unit_ids()
    assert len(ocr_plan.recipients.lines) == len(seed_plan.recipients.lines) == 8
    assert ocr.source["number"] == 262 and ocr.source["date"] == "2023-11-08"
    assert "ocr" in _codes(ocr) and ocr.unplaced == []


def _all_paragraphs(document: Any) -> Iterator[Any]:
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def _strip_diacritics(text: str) -> str:
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


# ---------------------------------------------------------------------------------------------
# Units


@pytest.mark.parametrize(
    "written, unit_id",
    [
        ("Sở TT&TT", 3),
        ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", 3),
        ("So Thong tin va Truyen thong", 3),
        ("Sở Thông tin - Truyền thông", 3),
        ("Đài PTTH", 14),
        ("Đài PT-TH Đồng Nai", 14),
        ("Sở VH,TT&DL", 8),
        ("Sở VHTTDL", 8),
        ("Sở Văn hóa Thể thao và Du lịch", 8),
        ("UBND tỉnh", 1),
        ("Ủy ban nhân dân tỉnh", 1),
        ("UBND TP. Biên Hòa", 17),
        ("Sở KH&ĐT", 6),
        ("Liên hiệp các tổ chức hữu nghị tỉnh Đồng Nai", 13),
        ("BCHQS tỉnh", 11),
    ],
)
def test_unit_names_match_despite_abbreviations_case_and_diacritics(
    written: str, unit_id: int
) -> None:
    directory = UnitDirectory(DIRECTORY, place="Đồng Nai")
    found = directory.lookup(written)
    assert found is not None and (found.unit_id, found.is_fuzzy) == (unit_id, False)


def test_spelling_mistakes_match_only_when_close_and_unambiguous() -> None:
    directory = UnitDirectory(DIRECTORY, place="Đồng Nai")
    typo = directory.lookup("Sở Thông tin và Truyền thôg")
    assert typo is not None and (typo.unit_id, typo.is_fuzzy) == (3, True)
    assert directory.lookup("Sở Tài chin") == directory.lookup("Sở Tài chính").__class__(
        4, "Sở Tài chính", True
    )
    assert directory.lookup("Sở Nội vụ").unit_id == 9  # type: ignore[union-attr]
    assert directory.lookup("Sở Ngoại vụ").unit_id == 5  # type: ignore[union-attr]
    assert directory.lookup("Sở Y tế") is None
    assert directory.lookup("Ban Tài chính") is None  # another kind of body
    assert directory.lookup("UBND") is None  # which one?


def test_unit_lists_split_on_semicolons_commas_and_va() -> None:
    directory = UnitDirectory(DIRECTORY, place="Đồng Nai")
    assert directory.split("Sở TT&TT và Báo Đồng Nai; Sở VH,TT&DL, Công an tỉnh; Tỉnh đoàn.") == [
        ("Sở Thông tin và Truyền thông", 3),
        ("Báo Đồng Nai", 15),
        ("Sở Văn hóa, Thể thao và Du lịch", 8),
        ("Công an tỉnh", 10),
        ("Tỉnh đoàn", None),
    ]
    assert directory.split("Các sở, ban, ngành") == [("Các sở, ban, ngành", None)]


def test_a_unit_key_shared_by_two_units_names_neither() -> None:
    rows = [(1, "Sở Y tế", "SYT"), (2, "Sở Y tế dự phòng", "SYT")]
    directory = UnitDirectory(rows)
    assert directory.match("SYT") is None
    assert directory.match("Sở Y tế") == (1, "Sở Y tế")


def test_round_trip_of_a_plan_with_tasks_under_agencies_keeps_its_leads() -> None:
    # given content where the agency heading leads tasks that name no lead unit of their own
    content = copy.deepcopy(_import(AGENCIES).content)
    # when rendered and imported / then each task names its lead explicitly, nothing flagged
    again = _import(render_plan_docx(PlanContent.from_dict(content), HEADER))
    assert "layout_agency" not in _codes(again)
    assert structure(again.content) == structure(content)


def test_a_plan_framed_in_a_one_column_table_is_read_as_paragraphs() -> None:
    # given the whole plan typed inside a one-cell frame
    data = build(
        [
            [
                "\n".join(
                    [
                        "KẾ HOẠCH",
                        "Chuyển đổi số năm 2025",
                        "I. NHIỆM VỤ",
                        "1. Xây dựng kho dữ liệu",
                        "- Đơn vị chủ trì: Sở TT&TT",
                    ]
                )
            ]
        ]
    )
    # when imported / then as if typed in the body
    result = _import(data)
    plan = PlanContent.from_dict(result.content)
    assert plan.title == "Chuyển đổi số năm 2025"
    (task,) = plan.all_tasks()
    assert (task.title, task.lead_units[0].unit_id) == ("Xây dựng kho dữ liệu", 3)
    assert result.unplaced == [] and missing_text(data, result) == []
