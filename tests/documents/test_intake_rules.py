"""The recognition rules of issue 10 (§2) and the doubts it must say (§3), each on a small file
written the way other provinces write theirs: tasks given to an agency anywhere, several legal
bases in one sentence, an OCR'd header and numbering, a flattened footer, unit names through OCR
noise, decisions and letters, numbering against Nghị định 30; and every doubt a warning naming
the part it concerns, with nothing invented (the renderer marks the gap). Pure, fast."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH

from documents.content import DocumentHeader, PlanContent
from documents.importing import import_plan_docx
from documents.rendering import GAP_RECIPIENTS, GAP_SIGNATURE, render_plan_docx
from tests.documents.seeds import DIRECTORY

HEADER = DocumentHeader(
    issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", issuer_abbreviation="UBND", place="Đồng Nai"
)
UNITS = {name: unit_id for unit_id, name, _short in DIRECTORY}


def build(*items: Any) -> bytes:
    """A .docx: a str is a paragraph; ("c", text) a centred bold one; a list of two lists a
    borderless two-column table (left lines, right lines)."""
    document = docx.Document()
    for item in items:
        if isinstance(item, str):
            document.add_paragraph(item)
        elif isinstance(item, tuple):
            paragraph = document.add_paragraph()
            paragraph.add_run(item[1]).bold = True
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            table = document.add_table(rows=1, cols=2)
            for cell, lines in zip(table.rows[0].cells, item, strict=True):
                cell.text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


HEAD = [
    ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI", "Số: 15/KH-UBND"],
    [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Đồng Nai, ngày 20 tháng 01 năm 2025",
    ],
]
FOOT = [
    ["Nơi nhận:", "- Bộ Nội vụ;", "- Sở Nội vụ;", "- Lưu: VT, KGVX."],
    ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "Nguyễn Văn Anh"],
]


def read(*body: Any, head: Any = HEAD, foot: Any = FOOT) -> Any:
    """A plan of `body` under the header `head` (a two-column table, or lines as a scan gives
    them) and above the footer `foot`."""
    items = ([head] if isinstance(head[0], list) else list(head)) if head else []
    items += [("c", "KẾ HOẠCH"), ("c", "Chuyển đổi số năm 2025"), *body]
    if foot:
        items.append(foot)
    return import_plan_docx(build(*items), directory=DIRECTORY, place="Đồng Nai")


def tasks(result: Any) -> list[tuple[str, list[str]]]:
    plan = PlanContent.from_dict(result.content)
    return [(t.title, [u.name for u in t.lead_units]) for t in plan.all_tasks()]


def codes(result: Any) -> dict[str, str]:
    return {issue["code"]: issue.get("path", "") for issue in result.issues}


# ---------------------------------------------------------------------------------------------
# §2: recognition


def test_points_under_an_agency_in_the_implementation_section_are_its_tasks() -> None:
    result = read(
        "I. MỤC ĐÍCH, YÊU CẦU",
        "Nâng cao hiệu quả quản lý.",
        "II. TỔ CHỨC THỰC HIỆN",
        "1. Sở Văn hóa, Thể thao và Du lịch:",
        "a) Chủ trì tổ chức các hoạt động tuyên truyền, quảng bá du lịch;",
        "b) Hướng dẫn các địa phương xây dựng sản phẩm du lịch đặc trưng;",
        "c) Tổng hợp, báo cáo kết quả thực hiện.",
        "2. Sở Tài chính: Tham mưu bố trí kinh phí thực hiện Kế hoạch.",
    )
    culture, finance = "Sở Văn hóa, Thể thao và Du lịch", "Sở Tài chính"
    assert tasks(result) == [
        ("Chủ trì tổ chức các hoạt động tuyên truyền, quảng bá du lịch;", [culture]),
        ("Hướng dẫn các địa phương xây dựng sản phẩm du lịch đặc trưng;", [culture]),
        ("Tổng hợp, báo cáo kết quả thực hiện.", [culture]),
        ("Tham mưu bố trí kinh phí thực hiện Kế hoạch.", [finance]),
    ]
    plan = PlanContent.from_dict(result.content)
    assert all(u.unit_id == UNITS[culture] for t in plan.all_tasks()[:3] for u in t.lead_units)


def test_several_legal_bases_in_one_sentence_and_the_enacting_words_apart() -> None:
    result = read(
        "Thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị; Kế hoạch số "
        "01/KH-BCĐTW ngày 20/01/2025 của Ban Chỉ đạo Trung ương; Công văn số 120/BKHCN ngày "
        "05/02/2025 của Bộ Khoa học và Công nghệ, Ủy ban nhân dân tỉnh ban hành Kế hoạch chuyển "
        "đổi số năm 2025 như sau:",
        "I. MỤC ĐÍCH",
        "Nâng cao hiệu quả.",
    )
    bases = result.content["legal_bases"]
    assert [b.split(" của ")[0] for b in bases] == [
        "Thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024",
        "Kế hoạch số 01/KH-BCĐTW ngày 20/01/2025",
        "Công văn số 120/BKHCN ngày 05/02/2025",
    ]
    assert result.content["preamble"].startswith("Ủy ban nhân dân tỉnh ban hành Kế hoạch")


def test_an_ocr_header_read_across_gives_number_place_and_date_never_s6_as_place() -> None:
    result = read(
        "I. MỤC ĐÍCH",
        "Nâng cao hiệu quả.",
        head=[
            "UY BAN NHAN DAN CONG HOA XA HOI CHU NGHIA VIET NAM",
            "TINH BAC NINH Doc lap - Tu do - Hanh phuc",
            "S6: 141 /KH-UBND Bac Ninh, ngay 20 thang 11 nam 2025",
        ],
    )
    source = result.source
    assert (source["number"], source["symbol"]) == (141, "KH-UBND")
    assert source["place"] == "Bac Ninh"
    assert source["date"] == "2025-11-20"
    assert "place_invalid" not in codes(result)


@pytest.mark.parametrize(
    "line",
    [
        "Phòng họp số 2, ngày 31 tháng 02 năm 2025",
        "Tại hội nghị trực tuyến toàn tỉnh lần thứ nhất, ngày 31 tháng 02 năm 2025",
    ],
)
def test_a_place_that_is_not_a_place_and_a_date_that_does_not_parse_are_said(line: str) -> None:
    head = [HEAD[0], ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", line]]
    result = read("I. MỤC ĐÍCH", "Nâng cao hiệu quả.", head=head)
    issues = {issue["code"]: issue for issue in result.issues}
    assert issues["place_invalid"]["path"] == "place"
    assert issues["place_invalid"]["text"] == line
    assert issues["date_invalid"]["path"] == "date"
    assert "place" not in result.source and "date" not in result.source
    assert result.needs_review


def test_section_numbers_with_ocr_noise_are_read_as_numbers() -> None:
    result = read(
        "I. MỤC ĐÍCH",
        "Nâng cao hiệu quả.",
        "I1. NHIỆM VỤ",
        "1. Xây dựng cơ sở dữ liệu",
        "- Đơn vị chủ trì: Sở Thông tin và Truyền thông",
        "Il1. TỔ CHỨC THỰC HIỆN",
        "Các sở triển khai thực hiện.",
    )
    titles = [s["title"] for s in result.content["sections"]]
    assert titles == ["MỤC ĐÍCH", "NHIỆM VỤ", "TỔ CHỨC THỰC HIỆN"]
    assert "ocr_numbering" in codes(result)


def test_a_flattened_footer_gives_recipients_and_the_signing_form_and_name() -> None:
    result = read(
        "I. NHIỆM VỤ",
        "1. Sở Nội vụ chủ trì tổ chức hội nghị; thời gian thực hiện: quý I/2025.",
        "Nơi nhận:      TM. ỦY BAN NHÂN DÂN",
        "- Bộ Nội vụ;     KT. CHỦ TỊCH",
        "- Sở Tài chính;   PHÓ CHỦ TỊCH",
        "- Lưu: VT, KGVX.",
        "Nguyễn Văn Anh",
        foot=None,
    )
    signature = result.content["signature"]
    assert (signature["authority"], signature["collective"]) == ("TM.", "ỦY BAN NHÂN DÂN")
    assert (signature["deputy_for"], signature["position"]) == ("CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert signature["signer_name"] == "Nguyễn Văn Anh"
    recipients = result.content["recipients"]
    names = [u["name"] for u in recipients["units"]] + recipients["lines"]
    assert sorted(names) == ["Bộ Nội vụ", "Sở Tài chính"]
    assert recipients["archive"] == "Lưu: VT, KGVX."


@pytest.mark.parametrize(
    "form, name", [("TL.", "Trần Thị Bình"), ("TUQ.", "LÊ VĂN CƯỜNG"), ("Q.", "Phạm Minh Đức")]
)
def test_every_signing_form_is_read(form: str, name: str) -> None:
    foot = [FOOT[0], [f"{form} CHỦ TỊCH", "CHÁNH VĂN PHÒNG", "", name]]
    result = read("I. MỤC ĐÍCH", "Nâng cao hiệu quả.", foot=foot)
    signature = result.content["signature"]
    assert (signature["authority"], signature["deputy_for"]) == (form, "CHỦ TỊCH")
    assert signature["signer_name"] == name


def test_unit_names_are_matched_through_ocr_noise() -> None:
    result = read(
        "I. NHIỆM VỤ",
        "1. Tổ chức tập huấn chuyển đổi số",
        "- Đơn vị chủ trì: S0 Th0ng tin va Truyen th0ng",
        "- Đơn vị phối hợp: S0 Tai chinh",
    )
    plan = PlanContent.from_dict(result.content)
    (task,) = plan.all_tasks()
    assert [u.unit_id for u in task.lead_units] == [UNITS["Sở Thông tin và Truyền thông"]]
    assert [u.unit_id for u in task.coordinating_units] == [UNITS["Sở Tài chính"]]


def test_a_decision_is_read_article_by_article() -> None:
    data = build(
        [["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI", "Số: 33/QĐ-UBND"], HEAD[1]],
        ("c", "QUYẾT ĐỊNH"),
        ("c", "Về việc thành lập Tổ công tác chuyển đổi số"),
        ("c", "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"),
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
        "Theo đề nghị của Giám đốc Sở Nội vụ.",
        ("c", "QUYẾT ĐỊNH:"),
        "Điều 1. Thành lập Tổ công tác chuyển đổi số của tỉnh.",
        "Điều 2. Tổ công tác có nhiệm vụ tham mưu, đề xuất các giải pháp.",
        "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.",
        [["Nơi nhận:", "- Như Điều 3;", "- Lưu: VT."], ["CHỦ TỊCH", "", "Võ Tấn Đức"]],
    )
    result = import_plan_docx(data, directory=DIRECTORY)
    content = result.content
    assert content["doc_type"] == "QĐ"
    assert content["title"] == "Về việc thành lập Tổ công tác chuyển đổi số"
    assert content["issuing_authority"] == "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    assert len(content["sections"]) == 3
    assert content["signature"]["signer_name"] == "Võ Tấn Đức"


def test_a_letter_is_read_with_its_subject_and_addressees() -> None:
    data = build(
        [
            ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI", "Số: 12/UBND-VX", "V/v triển khai chuyển đổi số"],
            HEAD[1],
        ],
        "Kính gửi:",
        "- Các sở, ban, ngành tỉnh;",
        "- Ủy ban nhân dân các huyện, thành phố.",
        "Ủy ban nhân dân tỉnh đề nghị các cơ quan, đơn vị triển khai các nội dung sau:",
        "1. Sở Thông tin và Truyền thông chủ trì hướng dẫn, báo cáo trước ngày 15/3/2025.",
        FOOT,
    )
    result = import_plan_docx(data, directory=DIRECTORY)
    content = result.content
    assert content["doc_type"] == "CV"
    assert content["title"] == "triển khai chuyển đổi số"
    assert content["addressees"] == [
        "Các sở, ban, ngành tỉnh",
        "Ủy ban nhân dân các huyện, thành phố",
    ]
    assert result.source["symbol"] == "UBND-VX"


def test_numbering_against_nghi_dinh_30_is_renumbered_with_a_warning() -> None:
    result = read(
        "I. NHIỆM VỤ",
        "1. Tuyên truyền",
        "a) Nội dung thứ nhất;",
        "b) Nội dung thứ hai;",
        "c) Nội dung thứ ba;",
        "d) Nội dung thứ tư;",
        "đ) Nội dung thứ năm;",
        "e) Nội dung thứ sáu;",
        "f) Nội dung thứ bảy.",
    )
    issue = next(i for i in result.issues if i["code"] == "numbering_renumbered")
    assert "“g”" in issue["message"]
    assert issue["path"] == "sections.0"
    assert issue["text"].startswith("f)")


# ---------------------------------------------------------------------------------------------
# §3: every doubt said, next to its part; nothing invented


def test_a_tasks_section_without_a_recognised_task_is_said() -> None:
    result = read(
        "I. MỤC ĐÍCH",
        "Nâng cao hiệu quả.",
        "II. NHIỆM VỤ VÀ GIẢI PHÁP",
        "Đẩy mạnh ứng dụng công nghệ thông tin trong mọi lĩnh vực.",
    )
    assert codes(result)["no_tasks"] == "sections.1"
    assert result.needs_review


def test_no_signer_and_no_recipients_are_said_and_rendered_as_marked_gaps() -> None:
    result = read("I. MỤC ĐÍCH", "Nâng cao hiệu quả.", foot=None)
    found = codes(result)
    assert found["no_signer"] == "signature"
    assert found["no_recipients"] == "recipients"
    plan = PlanContent.from_dict(result.content)
    rendered = docx.Document(io.BytesIO(render_plan_docx(plan, HEADER)))
    footer = rendered.tables[-1]
    text = "\n".join(cell.text for cell in footer.rows[0].cells)
    assert GAP_RECIPIENTS in text
    assert GAP_SIGNATURE in text
    assert "TM. ỦY BAN NHÂN DÂN" not in text
    assert "CHỦ TỊCH" not in text.replace(GAP_SIGNATURE, "")
    marked = [
        run
        for cell in footer.rows[0].cells
        for paragraph in cell.paragraphs
        for run in paragraph.runs
        if run.text in (GAP_RECIPIENTS, GAP_SIGNATURE)
    ]
    assert len(marked) == 2
    assert all(run.font.highlight_color is not None for run in marked)


def test_a_complete_footer_is_rendered_without_gap_marks() -> None:
    result = read("I. MỤC ĐÍCH", "Nâng cao hiệu quả.")
    plan = PlanContent.from_dict(result.content)
    rendered = docx.Document(io.BytesIO(render_plan_docx(plan, HEADER)))
    text = "\n".join(cell.text for cell in rendered.tables[-1].rows[0].cells)
    assert GAP_RECIPIENTS not in text and GAP_SIGNATURE not in text
    assert "KT. CHỦ TỊCH" in text
