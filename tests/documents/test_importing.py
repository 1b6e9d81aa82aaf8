"""Importing a plan from a Word file: the seed plan, round trips, bad files. Pure: no database."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
import pytest

from agencies.errors import InvalidInput
from documents.content import DocumentHeader, PlanContent
from documents.importing import UnitDirectory, fold, import_plan_docx
from documents.rendering import render_plan_docx
from tests.documents.seeds import DIRECTORY, SEED

pytestmark = pytest.mark.skipif(not SEED.is_file(), reason="seed plan not available")


@pytest.fixture(scope="module")
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture(scope="module")
def seed(seed_bytes: bytes):
    return import_plan_docx(seed_bytes, directory=DIRECTORY)


@pytest.fixture(scope="module")
def plan(seed) -> PlanContent:
    return PlanContent.from_dict(seed.content)


def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().rstrip(" .;,")


def _input_lines(data: bytes) -> list[str]:
    """Every non-empty paragraph of the file, body and table cells (split at line breaks)."""
    document = docx.Document(io.BytesIO(data))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    lines = []
    for paragraph in paragraphs:
        for part in re.split(r"[\n\v]", paragraph.text):
            if _norm(part):
                lines.append(_norm(part))
    return lines


def _all_units(content: dict[str, Any]) -> set[int]:
    ids = {u["unit_id"] for u in content["recipients"]["units"]}
    for task in PlanContent.from_dict(content).all_tasks():
        ids |= {u.unit_id for u in [*task.lead_units, *task.coordinating_units]}
    return {i for i in ids if i is not None}


_MARKER = re.compile(r"^(?:[IVXL]+\.|\d{1,2}\.|[a-zđ]\)|[-–+•])\s*")
_LABEL = re.compile(
    r"^(?:(?:Đơn vị|Cơ quan)[^:]{0,60}|Thời gian[^:]{0,30}|Dự toán kinh phí)\s*:\s*"
)


def _missing_text(data: bytes, result) -> list[str]:
    """Input lines whose words are not in the result (content, unplaced or source).

    Numbering ("I.", "1.", "a)", "-") and field labels ("Đơn vị chủ trì:") are structure, not text;
    units matched to the directory may be spelled as in the directory (name or short name).
    """
    corpus = " \n ".join(
        _norm(s) for s in _strings([result.content, result.unplaced, result.source])
    )
    folded_corpus = fold(corpus)
    units = _all_units(result.content)
    missing = []
    for line in _input_lines(data):
        if line in corpus:
            continue
        payload = _norm(_LABEL.sub("", _MARKER.sub("", line)))
        if payload in corpus:
            continue
        rest = fold(payload)
        for unit_id, name, short in sorted(DIRECTORY, key=lambda row: -len(row[1])):
            for alias in (fold(name), fold(short)):
                if unit_id in units and alias and re.search(rf"\b{re.escape(alias)}\b", rest):
                    rest = re.sub(rf"\b{re.escape(alias)}\b", " ", rest)
        rest = fold(rest)
        if rest and rest not in folded_corpus:
            missing.append(line)
    return missing


def _structure(content: dict[str, Any]) -> dict[str, Any]:
    plan = PlanContent.from_dict(content)

    def block(b) -> tuple:
        return (
            b.title,
            b.kind,
            len(b.paragraphs),
            [t.title for t in b.tasks],
            [block(c) for c in b.children],
        )

    return {
        "sections": [block(s) for s in plan.sections],
        "tasks": [
            (t.title, [u.unit_id for u in t.lead_units], t.timeline) for t in plan.all_tasks()
        ],
        "recipients": (
            len(plan.recipients.units),
            len(plan.recipients.lines),
            plan.recipients.archive,
        ),
        "legal_bases": len(plan.legal_bases),
        "deadlines": [(d.text, d.due_date) for d in plan.reporting_deadlines],
        "signature": plan.signature.lines(),
    }


# ---------------------------------------------------------------------------------------------
# The seed plan


def test_seed_header_goes_to_source(seed) -> None:
    # given the seed plan / when imported / then its number, place and date are kept as source
    assert seed.source["issuer_lines"] == ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"]
    assert seed.source["number"] == 262
    assert seed.source["issuer_abbreviation"] == "UBND"
    assert seed.source["place"] == "Đồng Nai"
    assert seed.source["date"] == "2023-11-08"


def test_seed_imports_with_exact_counts(seed, plan: PlanContent) -> None:
    # given the seed plan / when imported / then every part lands where it belongs
    assert seed.unplaced == []
    assert seed.warnings == []
    assert plan.doc_type == "KH"
    assert plan.title == "Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024"
    assert plan.year == 2024
    assert plan.place == "Đồng Nai"
    assert len(plan.legal_bases) == 2
    assert plan.legal_bases[0].startswith("Căn cứ Kế hoạch số 160/KH-UBND")
    assert plan.legal_bases[1].startswith("Thực hiện Văn bản số 3089/BTTTT-TTĐN")
    assert plan.preamble.endswith("như sau:")
    assert [(s.title, s.kind) for s in plan.sections] == [
        ("MỤC ĐÍCH, YÊU CẦU", "purpose"),
        ("NỘI DUNG, NHIỆM VỤ VÀ GIẢI PHÁP THỰC HIỆN", "tasks"),
        ("KINH PHÍ THỰC HIỆN", "budget"),
        ("TỔ CHỨC THỰC HIỆN", "implementation"),
    ]
    purpose, tasks, budget, implementation = plan.sections
    assert [c.title for c in purpose.children] == ["Mục đích", "Yêu cầu"]
    assert [len(c.paragraphs) for c in purpose.children] == [3, 3]
    assert len(tasks.children) == 7
    assert len(plan.all_tasks()) == 23
    assert [len(c.all_tasks()) for c in tasks.children] == [1, 5, 8, 1, 4, 1, 1]
    assert len(budget.paragraphs) == 2 and not budget.children
    # items 2 and 3 give tasks to a unit ("Sở Tài chính có trách nhiệm …", "Giao Sở …"): the
    # other items keep their place between them, the renderer numbering the tasks
    assert len(implementation.paragraphs) == 1 and len(implementation.children) == 4
    assert [u.name for t in implementation.all_tasks() for u in t.lead_units] == [
        "Sở Tài chính",
        "Sở Thông tin và Truyền thông",
    ]
    assert plan.closing.startswith("Trên đây là Kế hoạch") and plan.closing.endswith("./.")
    assert [(d.due_date, d.text[:40]) for d in plan.reporting_deadlines] == [
        ("2024-11-15", "Giao Sở Thông tin và Truyền thông chủ tr"),
    ]
    assert len(plan.recipients.units) == 7
    assert len(plan.recipients.lines) == 8
    assert plan.recipients.archive == "Lưu: VT, THNC, KGVX."
    assert plan.signature.lines() == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert plan.signature.signer_name == "Nguyễn Thị Hoàng"


def test_seed_items_keep_their_numbering_order(plan: PlanContent) -> None:
    # given the seed's section II, where tasks and sub-blocks alternate / when imported / then
    # tasks sit in untitled wrapper blocks at their own number, so the order is kept
    tasks = plan.sections[1]
    titles = [c.title or f"task: {c.tasks[0].title}" for c in tasks.children]
    assert titles == [
        "task: Hoàn thiện hành lang pháp lý trong công tác TTĐN",
        "Bồi dưỡng, nâng cao nghiệp vụ, kiến thức, kỹ năng về TTĐN, phát ngôn báo chí",
        "Truyền thông, quảng bá hình ảnh tỉnh Đồng Nai",
        "task: Sản xuất các sản phẩm thông tin phục vụ công tác TTĐN vùng đồng bào dân tộc "
        "thiểu số và miền núi",
        "Truyền thông về quyền con người",
        "task: Truyền thông về biên giới, biển đảo",
        "Đấu tranh, phản bác những thông tin, quan điểm sai trái, dư luận trái chiều",
    ]
    human_rights = tasks.children[4]
    assert not human_rights.children and len(human_rights.tasks) == 4  # a)–d) all tasks
    training = tasks.children[1]
    assert [bool(c.title) for c in training.children] == [False] * 5 + [True]  # e) has no unit


def test_seed_dash_tasks_with_plus_lines(plan: PlanContent) -> None:
    # given "- description" lines followed by "+ Đơn vị chủ trì" / when imported / then tasks
    media = plan.sections[1].children[2]
    publications = media.children[1]
    assert publications.title.startswith("Truyền thông qua các bản tin")
    assert [t.timeline for t in publications.tasks] == [
        "1 số/năm",
        "6 số/năm",
        "01 số/quý",
        "01 số/quý",
    ]
    assert publications.tasks[0].title.endswith("xúc tiến thương mại trong và ngoài nước.")
    events = media.children[2]
    assert [u.unit_id for u in events.tasks[0].lead_units] == [6, 7, 8, 11, 10]
    assert events.tasks[1].lead_units[0].unit_id == 13  # "Đơn vị thực hiện"


def test_seed_units_match_the_directory_tolerantly(plan: PlanContent) -> None:
    # given unit names as written in the seed / when imported / then directory units
    tasks = {t.title[:30]: t for t in plan.all_tasks()}
    tourism = tasks["Thực hiện “Bản tin du lịch” gi"]
    assert [(u.name, u.unit_id) for u in tourism.lead_units] == [
        ("Sở Văn hóa, Thể thao và Du lịch", 8)
    ]  # written without the comma
    friendship = tasks["Thực hiện tài liệu “Hữu nghị Đ"]
    assert friendship.lead_units[0].unit_id == 13  # "… hữu nghị tỉnh Đồng Nai"
    press = tasks["Cung cấp thông tin cho báo chí"]
    assert [u.unit_id for u in press.lead_units] == [12, 3]  # "A, B" split on the comma
    assert [u.unit_id for u in press.coordinating_units] == [10]
    assert press.timeline == "01 lần/quý"
    assert plan.recipients.unit_ids() == [12, 10, 11, 13, 14, 15, 16]  # incl. "Đài PTTH Đồng Nai"
    assert "Chủ tịch, các Phó Chủ tịch UBND tỉnh" in plan.recipients.lines
    assert "Bộ Thông tin và Truyền thông" in plan.recipients.lines  # ";;" trimmed


def test_seed_split_sentences_are_joined(plan: PlanContent) -> None:
    # given paragraphs the source split in the middle of a sentence / when imported / then joined
    tasks = {t.title[:30]: t for t in plan.all_tasks()}
    assert "các hoạt động đối ngoại của Đảng và Ngoại giao Nhà nước" in (
        tasks["Tổ chức bồi dưỡng và cập nhật "].title
    )
    requirement = plan.sections[0].children[1].paragraphs[0]
    assert "về tiếp tục nâng cao chất lượng" in requirement
    texts = [p for s in plan.sections for p in s.paragraphs]
    assert not [t for t in texts if t[0].islower()]


def test_seed_every_paragraph_is_kept(seed_bytes: bytes, seed) -> None:
    # given the seed plan / when imported / then every non-empty paragraph's text is in the result
    assert _missing_text(seed_bytes, seed) == []


def test_seed_round_trip_keeps_the_content(plan: PlanContent) -> None:
    # given the imported seed / when rendered and imported again / then the same content
    header = DocumentHeader(
        issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", issuer_abbreviation="UBND", place="Đồng Nai"
    )
    again = import_plan_docx(render_plan_docx(plan, header), directory=DIRECTORY)
    assert again.unplaced == [] and again.warnings == []
    assert _structure(again.content) == _structure(plan.to_dict())
    assert PlanContent.from_dict(again.content) == plan


def test_rendered_issued_plan_imports_with_its_number_and_date(plan: PlanContent) -> None:
    # given an issued plan / when its file is imported / then source has its number and date
    header = DocumentHeader(
        issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
        issuer_abbreviation="UBND",
        number=5,
        issued_on=dt.date(2024, 1, 5),
        place="Đồng Nai",
    )
    data = render_plan_docx(plan, header)
    again = import_plan_docx(data, directory=DIRECTORY)
    assert again.source["number"] == 5 and again.source["date"] == "2024-01-05"
    assert _missing_text(data, again) == []


# ---------------------------------------------------------------------------------------------
# Other inputs


def test_unknown_units_stay_as_text_with_a_warning(seed_bytes: bytes) -> None:
    # given a directory without Sở Ngoại vụ / when the seed is imported / then its name stays as
    # text (no unit id) and the user is warned once
    directory = [row for row in DIRECTORY if row[0] != 5]
    result = import_plan_docx(seed_bytes, directory=directory)
    plan = PlanContent.from_dict(result.content)
    named = [u for t in plan.all_tasks() for u in t.lead_units if u.name == "Sở Ngoại vụ"]
    assert len(named) == 2 and {u.unit_id for u in named} == {None}
    assert [w for w in result.warnings if "Sở Ngoại vụ" in w] == [
        "Không tìm thấy đơn vị “Sở Ngoại vụ” trong danh mục; đã giữ nguyên tên như trong văn bản."
    ]


def test_plain_file_without_signature_gets_no_invented_signature() -> None:
    # given a small plan typed without a header or signature / when imported / then parsed, the
    # budget line read as a number, and no signer nor "Nơi nhận" invented: each gap is said
    data = _docx(
        "KẾ HOẠCH",
        "Chuyển đổi số tỉnh Đồng Nai năm 2025",
        "Căn cứ Nghị quyết số 01/NQ-CP;",
        "Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:",
        "I. MỤC ĐÍCH",
        "Nâng cao hiệu quả.",
        "II. NHIỆM VỤ",
        "1. Xây dựng kho dữ liệu dùng chung",
        "- Đơn vị chủ trì: Sở TT&TT",
        "- Đơn vị phối hợp: Sở Tài chính, Sở Nội vụ",
        "- Thời gian: quý I/2025",
        "- Dự toán kinh phí: 150.000.000 đồng",
        "III. TỔ CHỨC THỰC HIỆN",
        "Các sở báo cáo kết quả trước ngày 31/12/2025. Sở Tài chính bố trí kinh phí.",
        "Trên đây là Kế hoạch chuyển đổi số năm 2025.",
    )
    result = import_plan_docx(data, directory=DIRECTORY)
    plan = PlanContent.from_dict(result.content)
    assert result.unplaced == []
    assert plan.year == 2025
    assert (
        plan.signature
        == PlanContent.from_dict(
            {"title": "x", "year": 2025, "signature": result.content["signature"]}
        ).signature
    )
    assert plan.signature.lines() == []
    assert (plan.recipients.units, plan.recipients.lines) == ([], [])
    issues = {issue["code"]: issue.get("path") for issue in result.issues}
    assert issues["no_signer"] == "signature" and issues["no_recipients"] == "recipients"
    assert issues["no_place"] == "place" and result.needs_review
    (task,) = plan.all_tasks()
    assert task.title == "Xây dựng kho dữ liệu dùng chung"
    assert [u.unit_id for u in task.lead_units] == [3]
    assert [u.unit_id for u in task.coordinating_units] == [4, 9]
    assert task.timeline == "quý I/2025"
    assert task.budget_vnd == 150_000_000
    assert [(d.text, d.due_date) for d in plan.reporting_deadlines] == [
        ("Các sở báo cáo kết quả trước ngày 31/12/2025.", "2025-12-31")
    ]
    assert plan.recipients.archive == "Lưu: VT."


def test_file_without_type_line_is_imported_with_warnings() -> None:
    # given a file with neither type name nor title / when imported / then content still valid
    result = import_plan_docx(
        _docx("Một đoạn văn bất kỳ không có cấu trúc kế hoạch"), directory=DIRECTORY
    )
    plan = PlanContent.from_dict(result.content)
    assert plan.title
    assert result.warnings
    assert "Một đoạn văn bất kỳ không có cấu trúc kế hoạch" in [
        *result.unplaced,
        plan.title,
        plan.preamble,
    ]


def test_unit_directory_matching_and_splitting() -> None:
    # given names as people write them / when matched / then directory units, longest match first
    directory = UnitDirectory(DIRECTORY, place="Đồng Nai")
    assert directory.match("SỞ THÔNG TIN VÀ TRUYỀN THÔNG") == (3, "Sở Thông tin và Truyền thông")
    assert directory.match("so thong tin va truyen thong") == (3, "Sở Thông tin và Truyền thông")
    assert directory.match("Sở TT&TT") == (3, "Sở Thông tin và Truyền thông")
    assert directory.match("Đài PTTH Đồng Nai") == (14, "Đài Phát thanh - Truyền hình Đồng Nai")
    assert directory.match("Tỉnh đoàn") is None
    assert directory.split("Sở Văn hóa, Thể thao và Du lịch, Công an tỉnh; Tỉnh đoàn.") == [
        ("Sở Văn hóa, Thể thao và Du lịch", 8),
        ("Công an tỉnh", 10),
        ("Tỉnh đoàn", None),
    ]
    assert directory.split("Các sở, ban, ngành") == [("Các sở, ban, ngành", None)]


# ---------------------------------------------------------------------------------------------
# Bad files


def _zip(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(os.urandom(4096), id="random-bytes"),
        pytest.param(b"%PDF-1.7 not a docx", id="pdf"),
        pytest.param(_zip(readme__txt=b"hello"), id="zip-without-document-xml"),
        pytest.param(
            _zip(word__document__xml=b"<not xml", **{"[Content_Types].xml": b"<x/>"}),
            id="broken-docx",
        ),
    ],
)
def test_bad_files_are_refused(data: bytes) -> None:
    # given something that is not a Word plan / when imported / then InvalidInput in Vietnamese
    with pytest.raises(InvalidInput) as caught:
        import_plan_docx(data, directory=DIRECTORY)
    assert caught.value.status == 400
    assert "Word" in caught.value.message or "Tệp" in caught.value.message


def test_oversized_file_is_refused() -> None:
    # given a blob over 10 MB / when imported / then refused before it is opened
    with pytest.raises(InvalidInput) as caught:
        import_plan_docx(b"PK" + b"\0" * (10 * 1024 * 1024), directory=DIRECTORY)
    assert "10 MB" in caught.value.message
