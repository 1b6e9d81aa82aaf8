"""Comparing two contents (pure): paragraphs word by word, tasks, recipients, and the .docx."""

from __future__ import annotations

import copy
import io
from typing import Any

from docx import Document

from documents.comparison import (
    DELETE,
    EQUAL,
    INSERT,
    Segment,
    compare_contents,
    comparison_to_docx,
    path_label,
    word_diff,
)
from tests.conftest import BASE_CONTENT


def content(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_CONTENT)
    data["recipients"]["units"] = [
        {"name": "Báo Đồng Nai", "unit_id": 7},
        {"name": "Công an tỉnh", "unit_id": 8},
    ]
    data.update(overrides)
    return data


def tasks_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["sections"][1]["children"][0]["tasks"]


def test_identical_contents_have_no_changes():
    # given two equal contents (one with extra spaces)
    old = content()
    new = content(title="  Hoạt động thông tin đối ngoại   tỉnh Đồng Nai năm 2024 ")
    # when compared
    comparison = compare_contents(old, new)
    # then nothing is reported
    assert comparison.is_empty
    assert comparison.summary().total == 0
    assert comparison.summary().lines() == []
    assert comparison.to_dict()["sections"] == []


def test_changed_paragraph_is_shown_word_by_word_under_its_section_number():
    # given a paragraph of I.1 (Mục đích) reworded
    old = content()
    new = content()
    new["sections"][0]["children"][0]["paragraphs"] = [
        "Tuyên truyền, quảng bá rộng rãi hình ảnh tỉnh Đồng Nai."
    ]
    # when compared
    comparison = compare_contents(old, new)
    # then the change names the section and holds the inserted words only
    [section] = comparison.sections
    assert (section.kind, section.path, section.title) == ("changed", "I.1", "Mục đích")
    [paragraph] = section.paragraphs
    assert paragraph.kind == "changed"
    assert paragraph.segments == [
        Segment(EQUAL, "Tuyên truyền, quảng bá"),
        Segment(INSERT, " rộng rãi"),
        Segment(EQUAL, " hình ảnh tỉnh Đồng Nai."),
    ]
    assert comparison.summary().paragraphs_changed == 1
    assert comparison.tasks == []


def test_paragraphs_added_and_removed_are_told_apart_from_changed_ones():
    # given a section whose paragraph is replaced by an unrelated one, plus one more
    old = content()
    new = content()
    new["sections"][2]["paragraphs"] = [
        "Sở Tài chính tham mưu bố trí kinh phí.",
        "Các đơn vị chủ động lồng ghép nguồn vốn.",
    ]
    # when compared
    comparison = compare_contents(old, new)
    # then III (Kinh phí) loses one paragraph and gains two
    [section] = comparison.sections
    assert section.path == "III"
    assert sorted(p.kind for p in section.paragraphs) == ["added", "added", "removed"]
    summary = comparison.summary()
    assert (summary.paragraphs_added, summary.paragraphs_removed) == (2, 1)


def test_word_diff_rebuilds_both_texts():
    # given two versions of a sentence
    old = "Giao Sở Thông tin và Truyền thông theo dõi, đôn đốc việc thực hiện."
    new = "Giao Sở Ngoại vụ chủ trì theo dõi, đôn đốc và báo cáo việc thực hiện Kế hoạch."
    # when diffed
    segments = word_diff(old, new)
    # then equal + deleted pieces give the old text, equal + inserted ones the new
    assert "".join(s.text for s in segments if s.op != INSERT) == old
    assert "".join(s.text for s in segments if s.op != DELETE) == new
    assert Segment(DELETE, "Thông tin và Truyền thông") in segments


def test_task_added_removed_and_changed():
    # given a task whose timeline and coordinating units change, one removed, one added
    old = content()
    new = content()
    tasks = tasks_of(new)
    tasks[0]["timeline"] = "4 số/năm"
    tasks[0]["coordinating_units"] = [{"name": "Báo Đồng Nai"}]
    tasks[0]["budget_vnd"] = 120000000
    del tasks[1]
    tasks.append(
        {
            "title": "Tổ chức họp báo quốc tế",
            "lead_units": [{"name": "Sở Ngoại vụ"}],
            "timeline": "quý III/2024",
        }
    )
    # when compared
    comparison = compare_contents(old, new)
    # then each task is reported once, at its number, with what changed old → new
    by_kind = {t.kind: t for t in comparison.tasks}
    assert sorted(by_kind) == ["added", "changed", "removed"]
    changed = by_kind["changed"]
    assert (changed.path, changed.title) == ("II.1.a", "Thực hiện “Bản tin đối ngoại”")
    fields = {f.field: (f.old, f.new) for f in changed.fields}
    assert fields == {
        "coordinating_units": ("", "Báo Đồng Nai"),
        "timeline": ("6 số/năm", "4 số/năm"),
        "budget_vnd": ("150.000.000 đồng", "120.000.000 đồng"),
    }
    assert by_kind["removed"].title == "Thực hiện “Bản tin du lịch”"
    assert by_kind["removed"].path == "II.1.b"
    added = by_kind["added"]
    assert (added.path, added.title) == ("II.1.b", "Tổ chức họp báo quốc tế")
    assert {f.field: f.new for f in added.fields} == {
        "lead_units": "Sở Ngoại vụ",
        "timeline": "quý III/2024",
    }
    summary = comparison.summary()
    assert (summary.tasks_added, summary.tasks_removed, summary.tasks_changed) == (1, 1, 1)


def test_a_lightly_renamed_and_moved_task_is_one_change_not_two():
    # given the second task renamed a little and moved before the first
    old = content()
    new = content()
    first, second = tasks_of(new)
    second["title"] = "Thực hiện “Bản tin du lịch Đồng Nai”"
    new["sections"][1]["children"][0]["tasks"] = [second, first]
    # when compared
    comparison = compare_contents(old, new)
    # then the renamed task is matched to itself, with its new and old numbers
    [task] = [t for t in comparison.tasks if t.kind != "changed" or t.fields]
    assert task.kind == "changed"
    assert (task.path, task.old_path, task.is_moved) == ("II.1.a", "II.1.b", True)
    assert [f.field for f in task.fields] == ["title"]
    assert Segment(INSERT, " Đồng Nai") in task.fields[0].segments


def test_lead_units_compare_by_directory_id_then_by_name():
    # given a lead unit renamed in the directory (same id) and a free-text unit replaced
    old = content()
    new = content()
    tasks_of(old)[0]["lead_units"] = [{"name": "Sở Ngoại vụ", "unit_id": 5}]
    tasks_of(new)[0]["lead_units"] = [{"name": "Sở Ngoại vụ tỉnh Đồng Nai", "unit_id": 5}]
    tasks_of(new)[1]["lead_units"] = [{"name": "Sở Du lịch"}]
    # when compared
    comparison = compare_contents(old, new)
    # then only the second task's lead unit changed
    [task] = comparison.tasks
    assert task.title == "Thực hiện “Bản tin du lịch”"
    [change] = task.fields
    assert change.field == "lead_units"
    assert change.segments == [
        Segment(DELETE, "Sở Văn hóa, Thể thao và Du lịch"),
        Segment(EQUAL, "; "),
        Segment(INSERT, "Sở Du lịch"),
    ]


def test_recipients_added_and_removed():
    # given a unit and a free line replaced, and the archive line changed
    old = content()
    new = content()
    new["recipients"] = {
        "units": [
            {"name": "Báo Đồng Nai (đổi tên)", "unit_id": 7},
            {"name": "Sở Ngoại vụ", "unit_id": 9},
        ],
        "lines": ["Thường trực Tỉnh ủy;", "Thường trực HĐND tỉnh"],
        "archive": "Lưu: VT, KGVX.",
    }
    # when compared
    recipients = compare_contents(old, new).recipients
    # then units match by id, lines by text (ignoring the final ";")
    assert recipients.units_added == ["Sở Ngoại vụ"]
    assert recipients.units_removed == ["Công an tỉnh"]
    assert recipients.lines_added == ["Thường trực HĐND tỉnh"]
    assert recipients.lines_removed == []
    assert recipients.archive is not None
    assert (recipients.archive.old, recipients.archive.new) == (
        "Lưu: VT, THNC, KGVX.",
        "Lưu: VT, KGVX.",
    )


def test_general_fields_legal_bases_and_deadlines():
    # given a new title year, a changed legal basis, a deadline moved, and another signer
    old = content()
    new = content(
        title="Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2025",
        year=2025,
        legal_bases=[
            BASE_CONTENT["legal_bases"][0],
            "Thực hiện Văn bản số 3089/BTTTT-TTĐN ngày 31/7/2024 của Bộ Thông tin và Truyền thông",
            "Căn cứ Nghị định số 72/2015/NĐ-CP",
        ],
        reporting_deadlines=[{"text": "Báo cáo kết quả trước ngày 15/11/2025"}],
        signature={"authority": "TM.", "collective": "ỦY BAN NHÂN DÂN", "position": "CHỦ TỊCH"},
    )
    # when compared
    comparison = compare_contents(old, new)
    # then each is listed with its old and new value
    assert [f.field for f in comparison.fields] == ["title", "year", "signature"]
    assert [item.kind for item in comparison.legal_bases] == ["changed", "added"]
    assert Segment(INSERT, "2024") in comparison.legal_bases[0].segments
    [deadline] = comparison.reporting_deadlines
    assert deadline.kind == "changed"
    assert deadline.old == "Báo cáo kết quả trước ngày 15/11/2024 (hạn 15/11/2024)"


def test_section_numbers_follow_the_document():
    # given a new point under II.1 and a new section added at the end
    old = content()
    new = content()
    new["sections"][1]["children"].append(
        {
            "title": "Hội nhập quốc tế",
            "children": [
                {"title": "Hội thảo", "paragraphs": ["Tổ chức hội thảo."]},
                {"tasks": [{"title": "Xúc tiến đầu tư"}]},
            ],
        }
    )
    new["sections"].append({"title": "ĐIỀU KHOẢN THI HÀNH", "paragraphs": ["Có hiệu lực."]})
    # when compared
    comparison = compare_contents(old, new)
    # then the new parts are numbered II.2, II.2.a and V; the wrapped task II.2.b
    assert [(s.kind, s.path) for s in comparison.sections] == [
        ("added", "II.2"),
        ("added", "II.2.a"),
        ("added", "V"),
    ]
    assert [(t.kind, t.path) for t in comparison.tasks] == [("added", "II.2.b")]


def test_appendices_and_new_header_fields_are_compared():
    # given an appendix whose task changes, and the plan marked urgent
    appendix = {
        "title": "Danh mục nhiệm vụ",
        "sections": [{"title": "Nhiệm vụ", "tasks": [{"title": "Hội chợ", "timeline": "quý II"}]}],
    }
    old = content(appendices=[appendix])
    changed = copy.deepcopy(appendix)
    changed["sections"][0]["tasks"][0]["timeline"] = "quý III"
    new = content(appendices=[changed], urgency="KHẨN")
    # when compared
    comparison = compare_contents(old, new)
    # then the task is named by the appendix and its number, and the urgency is listed
    [task] = comparison.tasks
    assert (task.path, task.title) == ("Phụ lục, I.1", "Hội chợ")
    assert [(f.field, f.old, f.new) for f in comparison.fields] == [("urgency", "", "KHẨN")]


def test_a_decision_numbers_its_sections_as_articles():
    # given a decision whose second article changes
    old = content(
        doc_type="QĐ",
        sections=[
            {"title": "Ban hành Kế hoạch"},
            {"paragraphs": ["Quyết định này có hiệu lực từ ngày ký."]},
        ],
    )
    new = copy.deepcopy(old)
    new["sections"][1]["paragraphs"] = ["Quyết định này có hiệu lực từ ngày 01/01/2025."]
    # when compared
    [section] = compare_contents(old, new).sections
    # then the change is in Điều 2
    assert section.path == "Điều 2"
    assert path_label(section.path) == "Điều 2"
    assert path_label("II.3.b") == "Mục II.3.b"


def test_comparison_as_json_uses_op_text_pairs():
    # given a changed title
    comparison = compare_contents(content(), content(title="Kế hoạch mới"))
    # when serialised
    data = comparison.to_dict()
    # then segments are [op, text] pairs and the summary counts them
    assert data["fields"][0]["segments"][0][0] in (EQUAL, INSERT, DELETE)
    assert data["summary"]["fields"] == 1
    assert data["summary"]["total"] == 1


def docx_text(data: bytes) -> tuple[Any, str]:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return document, "\n".join(parts)


def test_docx_opens_and_shows_the_changes():
    # given a comparison with a changed paragraph, a task added and a recipient removed
    old = content()
    new = content()
    new["sections"][0]["children"][0]["paragraphs"] = [
        "Tuyên truyền, quảng bá rộng rãi hình ảnh tỉnh Đồng Nai."
    ]
    tasks_of(new).append({"title": "Tổ chức họp báo quốc tế", "timeline": "quý III/2024"})
    new["recipients"]["units"] = new["recipients"]["units"][:1]
    comparison = compare_contents(old, new)
    # when written as .docx
    data = comparison_to_docx(
        comparison, title="Kế hoạch TTĐN 2024", old_label="phiên bản 1", new_label="phiên bản 2"
    )
    # then python-docx opens it: a summary table first, and every change in the text
    document, text = docx_text(data)
    assert "Kế hoạch TTĐN 2024" in text
    assert "Từ phiên bản 1 đến phiên bản 2" in text
    summary = document.tables[0]
    rows = [[c.text for c in row.cells] for row in summary.rows]
    assert rows[0] == ["Nội dung thay đổi", "Số lượng"]
    assert ["Đoạn văn được sửa", "1"] in rows
    assert ["Nhiệm vụ thêm mới", "1"] in rows
    assert ["Nơi nhận bị bỏ", "1"] in rows
    assert "Mục I.1" in text
    assert "Tổ chức họp báo quốc tế" in text
    assert "Công an tỉnh" in text
    # insertions underlined in blue, deletions struck through in red, Times New Roman throughout
    runs = [r for p in document.paragraphs for r in p.runs]
    inserted = next(r for r in runs if r.text == " rộng rãi")
    assert inserted.font.underline is True
    assert str(inserted.font.color.rgb) == "1F4EB4"
    removed = next(r for r in runs if r.text == "Công an tỉnh")
    assert removed.font.strike is True
    assert str(removed.font.color.rgb) == "C01B1B"
    assert document.styles["Normal"].font.name == "Times New Roman"


def test_docx_of_identical_versions_says_so():
    # given no change
    comparison = compare_contents(content(), content())
    # when written as .docx
    _document, text = docx_text(
        comparison_to_docx(comparison, title="KH", old_label="phiên bản 1", new_label="phiên bản 1")
    )
    # then the summary says the versions are the same
    assert "hai phiên bản có nội dung giống nhau" in text
