"""Shared fixtures: the demo directory, one user per role, and a plan content factory."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.db import connections

from agencies.directory import directory_seed
from agencies.models import Unit, User


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Rate limits count in the cache: each test starts with none used; so do the absences
    the process holds in front of it."""
    from django.core.cache import cache

    from agencies.selectors import absences_cache_clear

    cache.clear()
    absences_cache_clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _connection_pools_closed(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Close PostgreSQL's connection pool (settings: DB_POOL) before the test database is
    dropped; its idle connections would keep it in use. So would a connection a helper thread
    took from the pool and never gave back (one that ran `sync_to_async` code for an async test,
    which no request ends): closing the pool leaves those open, so they are ended here."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is None:
                continue
            connection.close()
            close_pool()
            if connection.vendor != "postgresql":
                continue
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [connection.settings_dict["NAME"]],
                )


@pytest.fixture(autouse=True)
def _fresh_working_days() -> Any:
    """The working-day tables live in the process: a test's rolled-back calendar edits must not
    leak into the next test."""
    from agencies.working_days import working_days_cache_clear

    working_days_cache_clear()
    yield
    working_days_cache_clear()


@pytest.fixture
def directory(db: Any) -> dict[str, Unit]:
    directory_seed()
    return {u.code: u for u in Unit.objects.all()}


def _user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def drafter(directory: Any) -> User:
    return _user("chuyenvien")


@pytest.fixture
def agency_head(directory: Any) -> User:
    return _user("giamdoc")


@pytest.fixture
def foreign_affairs(directory: Any) -> User:
    """Head of Sở Ngoại vụ, a consulted agency."""
    return _user("ngoaivu")


@pytest.fixture
def culture(directory: Any) -> User:
    """Staff of Sở Văn hóa, Thể thao và Du lịch, a consulted agency."""
    return _user("vanhoa")


@pytest.fixture
def police(directory: Any) -> User:
    return _user("congan")


@pytest.fixture
def finance_reviewer(directory: Any) -> User:
    return _user("taichinh")


@pytest.fixture
def legal_reviewer(directory: Any) -> User:
    """Sở Tư pháp's reviewer (thẩm định pháp lý)."""
    return _user("tuphap")


@pytest.fixture
def office_vetter(directory: Any) -> User:
    return _user("vanphong")


@pytest.fixture
def signer(directory: Any) -> User:
    return _user("phochutich")


@pytest.fixture
def chairman(directory: Any) -> User:
    return _user("chutich")


@pytest.fixture
def clerk(directory: Any) -> User:
    return _user("vanthu")


@pytest.fixture
def newspaper(directory: Any) -> User:
    """Staff of Báo Đồng Nai, a recipient."""
    return _user("baodongnai")


BASE_CONTENT: dict[str, Any] = {
    "title": "Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024",
    "year": 2024,
    "doc_type": "KH",
    "place": "Đồng Nai",
    "legal_bases": [
        "Căn cứ Kế hoạch số 160/KH-UBND ngày 21/6/2023 của UBND tỉnh",
        "Thực hiện Văn bản số 3089/BTTTT-TTĐN ngày 31/7/2023 của Bộ Thông tin và Truyền thông",
    ],
    "preamble": "Chủ tịch Ủy ban nhân dân tỉnh ban hành Kế hoạch hoạt động thông tin đối ngoại năm 2024 như sau:",
    "sections": [
        {
            "kind": "purpose",
            "title": "MỤC ĐÍCH, YÊU CẦU",
            "children": [
                {
                    "title": "Mục đích",
                    "paragraphs": ["Tuyên truyền, quảng bá hình ảnh tỉnh Đồng Nai."],
                },
            ],
        },
        {
            "kind": "tasks",
            "title": "NỘI DUNG, NHIỆM VỤ",
            "children": [
                {
                    "title": "Truyền thông, quảng bá hình ảnh tỉnh Đồng Nai",
                    "tasks": [
                        {
                            "title": "Thực hiện “Bản tin đối ngoại”",
                            "timeline": "6 số/năm",
                            "lead_units": [{"name": "Sở Ngoại vụ"}],
                            "budget_vnd": 150000000,
                        },
                        {
                            "title": "Thực hiện “Bản tin du lịch”",
                            "timeline": "01 số/quý",
                            "lead_units": [{"name": "Sở Văn hóa, Thể thao và Du lịch"}],
                            "coordinating_units": [{"name": "Báo Đồng Nai"}],
                        },
                    ],
                },
            ],
        },
        {
            "kind": "budget",
            "title": "KINH PHÍ THỰC HIỆN",
            "paragraphs": ["Kinh phí thực hiện được bố trí trong dự toán chi ngân sách hàng năm."],
        },
        {
            "kind": "implementation",
            "title": "TỔ CHỨC THỰC HIỆN",
            "paragraphs": [
                "Giao Sở Thông tin và Truyền thông theo dõi, đôn đốc việc thực hiện Kế hoạch."
            ],
        },
    ],
    "closing": "Trên đây là Kế hoạch hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024.",
    "reporting_deadlines": [
        {"text": "Báo cáo kết quả trước ngày 15/11/2024", "due_date": "2024-11-15"}
    ],
    "recipients": {
        "units": [],
        "lines": ["Thường trực Tỉnh ủy"],
        "archive": "Lưu: VT, THNC, KGVX.",
    },
    "signature": {},
}


@pytest.fixture
def make_content(directory: dict[str, Unit]) -> Any:
    """Plan content naming directory units; `signer` picks who signs, `recipients` unit codes."""

    def make(
        *,
        signer: User | None = None,
        recipients: tuple[str, ...] = ("bao-dong-nai", "cong-an"),
        **overrides: Any,
    ) -> dict[str, Any]:
        content = copy.deepcopy(BASE_CONTENT)
        tasks = content["sections"][1]["children"][0]["tasks"]
        tasks[0]["lead_units"] = [
            {"name": directory["so-nv"].name, "unit_id": directory["so-nv"].pk}
        ]
        content["recipients"]["units"] = [
            {"name": directory[c].name, "unit_id": directory[c].pk} for c in recipients
        ]
        if signer is not None:
            content["signature"] = {"signer_id": signer.pk}
        content.update(overrides)
        return content

    return make
