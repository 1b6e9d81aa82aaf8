"""Search at the size of a province's history: 10,000 plans and 1,000 incoming documents.

`python -m bench.search` (SEARCH_PLANS to change the size; DATABASE_URL for PostgreSQL). On a
throw-away database: the demo directory, 20 drafters, plans made from the seed plan's real content
(about 9,000 characters of text each) with titles from 24 subjects × 12 years, 40 % of them issued
with numbers, grants as the path gives them (the heads of the drafting unit, consulted units, the
finance reviewer and the vetter on those that reached them, the clerk and recipients on issued
ones). Then the index is built (`search_index_rebuild`) and each search is timed through
documents.search.search, as the API calls it: medians of BENCH_RUNS runs after one warm-up.
Figures, not pass/fail.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SEED = Path(__file__).resolve().parent.parent / "documents/seeds/dongnai-262-KH-UBND-2023.docx"
PLANS = int(os.environ.get("SEARCH_PLANS", "10000"))
INCOMING = PLANS // 10
SUBJECTS = [
    "thông tin đối ngoại",
    "chuyển đổi số",
    "phát triển du lịch",
    "phòng, chống thiên tai",
    "cải cách hành chính",
    "bảo đảm trật tự an toàn giao thông",
    "xây dựng nông thôn mới",
    "bảo vệ môi trường",
    "phổ biến, giáo dục pháp luật",
    "phát triển nguồn nhân lực",
    "phòng, chống dịch bệnh",
    "thu hút đầu tư",
    "cải thiện chỉ số năng lực cạnh tranh",
    "phát triển kinh tế tập thể",
    "bình đẳng giới",
    "phòng cháy, chữa cháy",
    "quản lý chất thải rắn",
    "phát triển thể dục thể thao",
    "đào tạo nghề cho lao động nông thôn",
    "giảm nghèo bền vững",
    "xây dựng đô thị thông minh",
    "ứng dụng công nghệ thông tin",
    "công tác dân tộc",
    "kiểm soát thủ tục hành chính",
]


def main() -> None:
    from django.db import connection

    setup_test_environment()
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            f"{connection.settings_dict['NAME']}_bench_search"
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run_all()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _seed_content() -> dict[str, Any]:
    from agencies.models import Unit
    from documents.importing import import_plan_docx

    directory = list(Unit.objects.values_list("pk", "name", "short_name"))
    return import_plan_docx(SEED.read_bytes(), directory=directory, place="Đồng Nai").content


def populate() -> dict[str, Any]:
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from agencies.directory import directory_seed
    from agencies.models import Unit, User
    from documents.models import IncomingDocument, Plan, PlanAccess
    from documents.services import province_issuer

    rng = random.Random(2027)
    directory_seed()
    units = {u.code: u for u in Unit.objects.all()}
    issuer = province_issuer()
    drafting_units = [u for u in units.values() if u.kind == Unit.Kind.DEPARTMENT][:10]
    drafters = [User.objects.get(username="chuyenvien")]
    for index in range(19):
        drafters.append(
            User.objects.create_user(
                f"chuyenvien{index}",
                password="x",
                full_name=f"Chuyên viên {index}",
                role=User.Role.DRAFTER,
                unit=drafting_units[index % len(drafting_units)],
            )
        )
    signers = list(User.objects.filter(role=User.Role.SIGNER))
    content = _seed_content()
    text_count = len(" ".join(_strings(content)))
    plans = []
    for index in range(PLANS):
        subject = SUBJECTS[index % len(SUBJECTS)]
        year = 2015 + (index // len(SUBJECTS)) % 12
        title = f"Hoạt động {subject} tỉnh Đồng Nai năm {year}"
        drafter = drafters[index % len(drafters)]
        issued = index % 5 < 2
        status = Plan.Status.ISSUED if issued else rng.choice(list(Plan.Status.values))
        if status == Plan.Status.ISSUED and not issued:
            status = Plan.Status.DRAFT
        plans.append(
            Plan(
                title=title,
                year=year,
                issuer=issuer,
                drafting_unit_id=drafter.unit_id or drafting_units[0].pk,
                drafter=drafter,
                signer=signers[index % len(signers)],
                content={**content, "title": title, "year": year},
                status=status,
                number=(index // 5) * 2 + index % 5 + 1 if issued else None,
                register_year=year if issued else None,
                issued_on=dt.date(year, 1 + index % 12, 1 + index % 28) if issued else None,
            )
        )
    with transaction.atomic():
        created = Plan.objects.bulk_create(plans, batch_size=500)
        grants = []
        for plan in created:
            reached = plan.status not in (Plan.Status.DRAFT, Plan.Status.WITHDRAWN)
            if reached:
                grants.append(
                    PlanAccess(
                        plan=plan, unit_id=plan.drafting_unit_id, role="agency_head", reason="r"
                    )
                )
            if plan.status in (
                Plan.Status.IN_CONSULTATION,
                Plan.Status.CONSOLIDATING,
                Plan.Status.BUDGET_REVIEW,
                Plan.Status.VETTING,
                Plan.Status.AWAITING_SIGNATURE,
                Plan.Status.SIGNED,
                Plan.Status.ISSUED,
            ):
                grants.append(PlanAccess(plan=plan, unit=units["so-nv"], reason="consultation"))
                grants.append(PlanAccess(plan=plan, role="finance_reviewer", reason="budget"))
                grants.append(PlanAccess(plan=plan, role="office_vetter", reason="vetting"))
            if plan.status == Plan.Status.ISSUED:
                grants.append(PlanAccess(plan=plan, role="clerk", reason="issuance"))
                grants.append(PlanAccess(plan=plan, unit=units["bao-dong-nai"], reason="recipient"))
        PlanAccess.objects.bulk_create(grants, batch_size=1000)
        letters = []
        body = _strings(content)[:40]
        for index in range(INCOMING):
            subject = SUBJECTS[index % len(SUBJECTS)]
            letters.append(
                IncomingDocument(
                    sender="BỘ THÔNG TIN VÀ TRUYỀN THÔNG",
                    number=f"{1000 + index}/BTTTT-TTĐN",
                    date=dt.date(2015 + index % 12, 1 + index % 12, 1 + index % 28),
                    subject=f"V/v hướng dẫn xây dựng kế hoạch {subject} năm {2015 + index % 12}",
                    body=body,
                    file_sha256=f"{index:064d}",
                    registered_by=drafters[0],
                    registering_unit=drafters[0].unit,
                    registered_at=timezone.now(),
                )
            )
        IncomingDocument.objects.bulk_create(letters, batch_size=500)
    return {"text_chars": text_count}


def _strings(data: Any) -> list[str]:
    from documents.search import _strings as strings

    return list(strings(data))


def run_all() -> None:
    from django.db import connection, transaction

    from agencies.models import User
    from documents.search import SearchFilters, search, search_index_rebuild

    began = time.perf_counter()
    facts = populate()
    populated = time.perf_counter() - began
    began = time.perf_counter()
    with transaction.atomic():
        indexed = search_index_rebuild()
    index_seconds = time.perf_counter() - began
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["chuyenvien", "vanphong", "vanthu"])
    }

    load = os.getloadavg()[0]
    print(
        f"\nSearch on {connection.vendor} (load average {load:.1f} on {os.cpu_count()} cores): "
        f"{PLANS} plans ({facts['text_chars']} characters of "
        f"text each), {INCOMING} incoming; data {populated:.1f} s, index of {indexed} "
        f"documents {index_seconds:.1f} s\n"
    )
    print(
        f"| {'search (median of ' + str(RUNS) + ' runs, ms)':<58} | {'median':>9} | {'min':>9} | {'max':>9} | runs |"
    )
    print(f"|{'-' * 60}|{'-' * 11}|{'-' * 11}|{'-' * 11}|{'-' * 6}|")
    cases = [
        ("vanphong", "ke hoach", {}, 1),
        ("vanphong", "ke hoach", {}, 50),
        ("vanphong", "thong tin doi ngoai", {}, 1),
        ("vanphong", "phong chong thien tai 2019", {}, 1),
        ("vanphong", "chuyen doi s", {}, 1),
        ("vanphong", "chuyen doi so", {}, 1),
        ("chuyenvien", "thong tin doi ngoai 2024", {}, 1),
        ("chuyenvien", "ke hoach", {}, 1),
        (
            "vanthu",
            "",
            {"kinds": ("issued",), "date_from": _date(2024, 1, 1), "date_to": _date(2024, 12, 31)},
            1,
        ),
        ("vanthu", "", {"number": "262/KH"}, 1),
        ("vanthu", "du lich", {"unit": "so van hoa", "kinds": ("issued",)}, 1),
        ("chuyenvien", "huong dan 2905", {"kinds": ("incoming",)}, 1),
    ]
    for username, query, filters, page in cases:
        user = users[username]
        arguments = {
            "user": user,
            "query": query,
            "filters": SearchFilters(**filters),
            "page": page,
        }
        result = search(**arguments)  # warm-up
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            search(**arguments)
            samples.append((time.perf_counter() - start) * 1000)
        label = f"{username}: “{query}” {filters or ''} p{page} → {result.total}"
        report(label[:58], samples)


def report(name: str, samples: list[float]) -> None:
    print(
        f"| {name:<58} | {statistics.median(samples):9.1f} | {min(samples):9.1f} | "
        f"{max(samples):9.1f} | {len(samples):4d} |"
    )


def _date(year: int, month: int, day: int) -> Any:
    import datetime as dt

    return dt.date(year, month, day)


if __name__ == "__main__":
    main()
