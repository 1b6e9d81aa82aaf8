"""Sample contents of every document type, shared by the layout tests and the bench.

`plan_content`, `report_content`, `decision_content`, `letter_content` give one document of each
kind (Kế hoạch, a Mẫu 1.4 Báo cáo sent upwards, Quyết định, Công văn); `long_plan_content` builds a
plan of about 30 pages. The tests below only check that the samples are valid content.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from documents.content import DocumentHeader, PlanContent

ISSUER = "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"

DEPUTY_FOR_THE_BODY = {
    "authority": "TM.",
    "collective": "ỦY BAN NHÂN DÂN",
    "deputy_for": "CHỦ TỊCH",
    "position": "PHÓ CHỦ TỊCH",
    "signer_name": "Nguyễn Thị Hoàng",
}


def header(*, number: int | None = None, issued_on: dt.date | None = None) -> DocumentHeader:
    """The provincial UBND as issuer; a draft (blank number and date) unless given."""
    return DocumentHeader(
        issuer_name=ISSUER,
        issuer_abbreviation="UBND",
        number=number,
        issued_on=issued_on,
        place="Đồng Nai",
    )


def _content(data: dict[str, Any], overrides: dict[str, Any]) -> PlanContent:
    return PlanContent.from_dict({**data, **overrides})


def plan_content(**overrides: Any) -> PlanContent:
    """A Kế hoạch of the UBND signed by a Phó Chủ tịch, with sections, items, points and tasks."""
    data: dict[str, Any] = {
        "doc_type": "KH",
        "title": "Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024",
        "year": 2024,
        "place": "Đồng Nai",
        "legal_bases": [
            "Căn cứ Kế hoạch số 160/KH-UBND ngày 21/6/2023 của UBND tỉnh",
            "Thực hiện Văn bản số 3089/BTTTT-TTĐN ngày 31/7/2023 của Bộ Thông tin và Truyền thông",
        ],
        "preamble": "Ủy ban nhân dân tỉnh ban hành Kế hoạch năm 2024 như sau:",
        "sections": [
            {
                "kind": "purpose",
                "title": "Mục đích, yêu cầu",
                "children": [
                    {"title": "Mục đích", "paragraphs": [_SENTENCE * 3]},
                    {
                        "title": "Yêu cầu",
                        "children": [{"title": f"Yêu cầu thứ {n}"} for n in range(1, 7)],
                    },
                ],
            },
            {
                "kind": "tasks",
                "title": "Nội dung, nhiệm vụ",
                "children": [
                    {
                        "title": "Truyền thông qua ấn phẩm",
                        "tasks": [
                            {
                                "title": "Thực hiện “Bản tin đối ngoại”",
                                "description": [_SENTENCE * 2],
                                "lead_units": [{"name": "Sở Ngoại vụ"}],
                                "coordinating_units": [{"name": "Báo Đồng Nai"}],
                                "timeline": "6 số/năm",
                                "budget_vnd": 150_000_000,
                            }
                        ],
                    }
                ],
            },
            {
                "kind": "implementation",
                "title": "Tổ chức thực hiện",
                "paragraphs": [_SENTENCE * 4, _SENTENCE * 4, _SENTENCE * 4],
            },
        ],
        "closing": "Trên đây là Kế hoạch hoạt động thông tin đối ngoại năm 2024 của tỉnh.",
        "recipients": {
            "lines": ["Bộ Ngoại giao (b/c)", "Thường trực Tỉnh ủy"],
            "units": [{"name": "Các sở, ban, ngành tỉnh"}],
            "archive": "Lưu: VT, KGVX.",
        },
        "signature": DEPUTY_FOR_THE_BODY,
    }
    return _content(data, overrides)


def report_content(**overrides: Any) -> PlanContent:
    """A Báo cáo (Mẫu 1.4) sent upwards: "Kính gửi" two ministries, marked KHẨN."""
    data: dict[str, Any] = {
        "doc_type": "BC",
        "title": "Kết quả thực hiện công tác thông tin đối ngoại 6 tháng đầu năm 2024",
        "year": 2024,
        "addressees": ["Bộ Ngoại giao", "Bộ Thông tin và Truyền thông"],
        "urgency": "KHẨN",
        "sections": [
            {"title": "Kết quả thực hiện", "paragraphs": [_SENTENCE * 3, _SENTENCE * 2]},
            {"title": "Phương hướng, nhiệm vụ", "paragraphs": [_SENTENCE * 2]},
        ],
        "closing": "Ủy ban nhân dân tỉnh Đồng Nai kính báo cáo.",
        "recipients": {"archive": "Lưu: VT, KGVX."},
        "signature": DEPUTY_FOR_THE_BODY,
    }
    return _content(data, overrides)


def decision_content(**overrides: Any) -> PlanContent:
    """A Quyết định of the Chủ tịch (individual), signed by a Phó Chủ tịch for him, with an
    appendix."""
    data: dict[str, Any] = {
        "doc_type": "QĐ",
        "title": "Về việc thành lập Tổ công tác thông tin đối ngoại tỉnh",
        "year": 2024,
        "legal_bases": [
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
            "Căn cứ Nghị định số 72/2015/NĐ-CP ngày 07 tháng 9 năm 2015 của Chính phủ.",
        ],
        "proposer": "Giám đốc Sở Ngoại vụ",
        "sections": [
            {
                "title": "Thành lập Tổ công tác",
                "paragraphs": ["Thành lập Tổ công tác thông tin đối ngoại tỉnh Đồng Nai."],
                "children": [
                    {"paragraphs": ["Tổ trưởng: Phó Chủ tịch Ủy ban nhân dân tỉnh."]},
                    {"paragraphs": ["Các thành viên: theo danh sách tại Phụ lục kèm theo."]},
                ],
            },
            {"paragraphs": ["Quyết định này có hiệu lực thi hành kể từ ngày ký."]},
            {
                "paragraphs": [
                    "Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Ngoại vụ và các thành "
                    "viên Tổ công tác chịu trách nhiệm thi hành Quyết định này."
                ]
            },
        ],
        "recipients": {"lines": ["Như Điều 3"], "archive": "Lưu: VT, KGVX."},
        "signature": {**DEPUTY_FOR_THE_BODY, "authority": "KT."},
        "appendices": [
            {
                "title": "Danh sách thành viên Tổ công tác",
                "sections": [
                    {
                        "title": "Thành viên",
                        "children": [{"title": f"Thành viên thứ {n}"} for n in range(1, 40)],
                    }
                ],
            }
        ],
    }
    return _content(data, overrides)


def letter_content(**overrides: Any) -> PlanContent:
    """A Công văn "V/v …" to three addressees, from the Khối văn xã (VX), HỎA TỐC and MẬT."""
    data: dict[str, Any] = {
        "doc_type": "CV",
        "title": "V/v báo cáo kết quả công tác thông tin đối ngoại năm 2024",
        "year": 2024,
        "drafting_unit_abbreviation": "VX",
        "addressees": ["Sở Ngoại vụ", "Sở Thông tin và Truyền thông", "Báo Đồng Nai"],
        "urgency": "HỎA TỐC",
        "secrecy": "MẬT",
        "preamble": "Thực hiện Kế hoạch số 262/KH-UBND ngày 08/11/2023 của Ủy ban nhân dân tỉnh,",
        "sections": [{"paragraphs": [_SENTENCE * 3, _SENTENCE * 2]}],
        "recipients": {"lines": ["Chủ tịch, các PCT UBND tỉnh"], "archive": "Lưu: VT, KGVX."},
        "signature": DEPUTY_FOR_THE_BODY,
    }
    return _content(data, overrides)


def long_plan_content(*, sections: int = 6, items: int = 5, tasks: int = 2) -> PlanContent:
    """A plan of 30 A4 pages (with the defaults): sections × items × tasks with long texts."""
    body = []
    for s in range(sections):
        children = []
        for i in range(items):
            children.append(
                {
                    "title": f"Nhóm nhiệm vụ {s + 1}.{i + 1} về thông tin đối ngoại",
                    "paragraphs": [_SENTENCE * 2],
                    "tasks": [
                        {
                            "title": f"Nhiệm vụ {s + 1}.{i + 1}.{t + 1}: {_SENTENCE.strip()}",
                            "description": [_SENTENCE * 2],
                            "lead_units": [{"name": "Sở Ngoại vụ"}],
                            "coordinating_units": [{"name": "Sở Thông tin và Truyền thông"}],
                            "timeline": "quý II/2024",
                            "budget_vnd": 10_000_000 * (t + 1),
                        }
                        for t in range(tasks)
                    ],
                }
            )
        body.append({"kind": "tasks", "title": f"Nội dung phần {s + 1}", "children": children})
    return plan_content(
        title="Thông tin đối ngoại tỉnh Đồng Nai giai đoạn 2024 - 2025", sections=body
    )


_SENTENCE = (
    "Tuyên truyền, quảng bá hình ảnh, tiềm năng, thế mạnh và cơ hội hợp tác của tỉnh Đồng Nai "
    "đến bạn bè quốc tế, người Việt Nam ở nước ngoài; nâng cao hiệu quả phối hợp giữa các sở, "
    "ngành, địa phương trong công tác thông tin đối ngoại. "
)

SAMPLES = {
    "KH": plan_content,
    "BC": report_content,
    "QĐ": decision_content,
    "CV": letter_content,
}


def test_samples_are_valid_content_of_their_type() -> None:
    # given the sample builders / when built / then valid content of the announced type
    for doc_type, build in SAMPLES.items():
        assert build().doc_type == doc_type


def test_long_plan_has_many_tasks() -> None:
    # given the long-plan builder / when built with defaults / then 60 tasks with budgets
    plan = long_plan_content()
    assert len(plan.all_tasks()) == 6 * 5 * 2
    assert plan.budget_total_vnd() == 30 * (10_000_000 + 20_000_000)
