"""A small directory for the page tests: the UBND tỉnh, a drafting Sở, two consulted Sở, Sở Tài
chính, Văn phòng UBND, an unrelated unit, and one person per role."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from agencies.models import Unit, User
from documents import services as documents
from documents.models import Plan


@pytest.fixture(autouse=True)
def _page_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.web.urls"


def _unit(code: str, name: str, kind: str, abbreviation: str = "") -> Unit:
    return Unit.objects.create(code=code, name=name, kind=kind, abbreviation=abbreviation)


def _user(username: str, unit: Unit, role: str, full_name: str, position: str = "") -> User:
    return User.objects.create_user(
        username, password="demo", full_name=full_name, unit=unit, role=role, position=position
    )


@pytest.fixture
def org(db: Any) -> SimpleNamespace:
    ubnd = _unit("ubnd-tinh", "Ủy ban nhân dân tỉnh Đồng Nai", "ubnd", "UBND")
    stttt = _unit("so-tttt", "Sở Thông tin và Truyền thông", "so", "STTTT")
    sonv = _unit("so-nv", "Sở Ngoại vụ", "so", "SNV")
    sovh = _unit("so-vhttdl", "Sở Văn hóa, Thể thao và Du lịch", "so", "SVHTTDL")
    sotc = _unit("so-tc", "Sở Tài chính", "so", "STC")
    vp = _unit("vp-ubnd", "Văn phòng UBND tỉnh", "vp", "VP")
    soyt = _unit("so-yt", "Sở Y tế", "so", "SYT")
    return SimpleNamespace(
        ubnd=ubnd,
        stttt=stttt,
        sonv=sonv,
        sovh=sovh,
        sotc=sotc,
        vp=vp,
        soyt=soyt,
        drafter=_user("chuyenvien", stttt, "drafter", "Nguyễn Văn An", "Chuyên viên"),
        head=_user("giamdoc", stttt, "agency_head", "Trần Văn Bình", "Giám đốc Sở"),
        foreign=_user("ngoaivu", sonv, "agency_head", "Lê Thị Cúc", "Giám đốc Sở"),
        culture=_user("vanhoa", sovh, "agency_staff", "Phạm Văn Dũng", "Chuyên viên"),
        finance=_user("taichinh", sotc, "finance_reviewer", "Hoàng Thị Em", "Phó Giám đốc Sở"),
        vetter=_user("vanphong", vp, "office_vetter", "Đỗ Văn Giang", "Phó Chánh Văn phòng"),
        signer=_user("phochutich", ubnd, "signer", "Võ Tấn Đức", "Phó Chủ tịch"),
        clerk=_user("vanthu", vp, "clerk", "Ngô Thị Hoa", "Văn thư"),
        outsider=_user("yte", soyt, "agency_staff", "Bùi Văn Khoa", "Chuyên viên"),
    )


@pytest.fixture
def client_for() -> Any:
    """A test client logged in as `user`."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def plan_content(org: SimpleNamespace, **overrides: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "title": "Kế hoạch thông tin đối ngoại tỉnh Đồng Nai năm 2024",
        "year": 2024,
        "place": "Đồng Nai",
        "legal_bases": ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;"],
        "preamble": "Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:",
        "sections": [
            {
                "kind": "purpose",
                "title": "Mục đích, yêu cầu",
                "children": [{"title": "Mục đích", "paragraphs": ["Quảng bá hình ảnh tỉnh."]}],
            },
            {
                "kind": "tasks",
                "title": "Nội dung, nhiệm vụ",
                "children": [
                    {
                        "title": "Truyền thông",
                        "children": [
                            {
                                "title": "Bản tin",
                                "tasks": [
                                    {
                                        "title": "Thực hiện “Bản tin đối ngoại”",
                                        "timeline": "6 số/năm",
                                        "lead_units": [
                                            {"name": org.sonv.name, "unit_id": org.sonv.pk}
                                        ],
                                        "coordinating_units": [{"name": "Báo Đồng Nai"}],
                                        "budget_vnd": 150000000,
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "title": "Hội nhập",
                        "tasks": [
                            {
                                "title": "Tổ chức hội nghị",
                                "timeline": "quý II/2024",
                                "lead_units": [{"name": org.stttt.name, "unit_id": org.stttt.pk}],
                                "budget_vnd": 50000000,
                            },
                        ],
                    },
                ],
            },
        ],
        "closing": "Trên đây là Kế hoạch thông tin đối ngoại năm 2024.",
        "reporting_deadlines": [
            {"text": "Báo cáo trước ngày 15/11/2024", "due_date": "2024-11-15"}
        ],
        "recipients": {
            "units": [{"name": org.sonv.name, "unit_id": org.sonv.pk}],
            "lines": ["Thường trực Tỉnh ủy;"],
            "archive": "Lưu: VT, KGVX.",
        },
        "signature": {"signer_id": org.signer.pk},
    }
    content.update(overrides)
    return content


@pytest.fixture
def plan(org: SimpleNamespace) -> Plan:
    return documents.plan_create(actor=org.drafter, content=plan_content(org))
