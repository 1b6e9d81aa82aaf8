"""The dashboard and the search pages at the size of a province's history: 10,000 plans.

`python -m bench.dashboard` (`make bench-dashboard`; SEARCH_PLANS to change the size,
DATABASE_URL for PostgreSQL). On a throw-away database, the plans of `bench.search` (the seed
plan's real content, 40 % issued, the grants the path gives, 1,000 incoming documents), each
with the audit events of the steps it went through (days apart) and, past the consultation, two
consulted agencies (some answered late, some silent, some still waiting past their deadline).
Then each page and API answer is timed through Django's test client (the whole request: URL,
middleware, session, selectors, template or serializer), as the Văn phòng, a unit head and a
drafter: medians of BENCH_RUNS runs after one warm-up, the cache emptied before each (the time
per stage computed, not read from the cache) but where a line says it is cached. Figures, not
pass/fail.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from bench import search as search_bench

RUNS = int(os.environ.get("BENCH_RUNS", "5"))

#: The full path, in order; a plan at one of these went through the ones before it.
PATH = [
    "draft",
    "agency_review",
    "approved",
    "in_consultation",
    "consolidating",
    "budget_review",
    "vetting",
    "awaiting_signature",
    "signed",
    "issued",
]


def main() -> None:
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            f"{connection.settings_dict['NAME']}_bench_dashboard"
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run_all()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _route(status: str, rng: random.Random) -> list[str]:
    """The statuses a plan now at `status` went through, `status` last."""
    if status in PATH:
        return PATH[: PATH.index(status) + 1]
    # Returned or withdrawn: from some step of the path before the signature.
    return [*PATH[: rng.randint(2, 7)], status]


def add_history() -> dict[str, int]:
    """Audit events for every plan (its route, days apart, ending in the last months) and the
    consultations of those past it; in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from agencies.models import Unit
    from documents.models import ConsultationRequest, Plan, PlanEvent, PlanVersion

    rng = random.Random(2028)
    now = timezone.now()
    consulted = [Unit.objects.get(code="so-nv"), Unit.objects.get(code="so-vhttdl")]
    events: list[PlanEvent] = []
    versions: list[PlanVersion] = []
    routes: dict[int, list[tuple[str, dt.datetime]]] = {}
    for plan in Plan.objects.only("pk", "status", "drafter_id").order_by("pk").iterator():
        route = _route(plan.status, rng)
        at = now - dt.timedelta(days=rng.uniform(1, 200))
        times = [at]
        for _status in route[1:]:
            times.insert(0, times[0] - dt.timedelta(days=rng.uniform(0.2, 12)))
        routes[plan.pk] = list(zip(route, times, strict=True))
        previous = ""
        for sequence, (status, when) in enumerate(routes[plan.pk], start=1):
            events.append(
                PlanEvent(
                    plan_id=plan.pk,
                    sequence=sequence,
                    kind="created" if sequence == 1 else "approved_release",
                    from_status=previous,
                    to_status=status,
                    created_at=when,
                    previous_hash="",
                    hash="",
                )
            )
            previous = status
        if "in_consultation" in route:
            versions.append(
                PlanVersion(
                    plan_id=plan.pk,
                    number=1,
                    content={},
                    content_sha256="0" * 64,
                    reason="submitted",
                    created_by_id=plan.drafter_id,
                )
            )
    with transaction.atomic():
        PlanEvent.objects.bulk_create(events, batch_size=2000)
        made = PlanVersion.objects.bulk_create(versions, batch_size=1000)
        requests = []
        for version in made:
            route = dict(routes[version.plan_id])
            sent = route["in_consultation"]
            deadline = sent + dt.timedelta(days=7)
            still_open = "consolidating" not in route
            for unit in consulted:
                fate = rng.random()
                answer: dict[str, Any] = {}
                if not still_open or fate < 0.5:
                    if fate < 0.15:
                        answer = {"verdict": "agree", "by_silence": True, "answered_at": deadline}
                    else:
                        late = fate < 0.3
                        answered = deadline + dt.timedelta(
                            days=rng.uniform(0.1, 3) * (1 if late else -1)
                        )
                        answer = {"verdict": "agree", "answered_at": answered}
                requests.append(
                    ConsultationRequest(
                        plan_id=version.plan_id,
                        round=1,
                        unit=unit,
                        deadline=deadline,
                        version=version,
                        **answer,
                    )
                )
        ConsultationRequest.objects.bulk_create(requests, batch_size=2000)
    return {"events": len(events), "consultations": len(requests)}


def run_all() -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from agencies.models import User
    from documents import dashboard_selectors as dashboard
    from documents.search import search_index_rebuild

    began = time.perf_counter()
    facts = search_bench.populate()
    history = add_history()
    search_index_rebuild()
    populated = time.perf_counter() - began
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["chuyenvien", "vanphong", "giamdoc"])
    }
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)

    province = dashboard.dashboard_scope(users["vanphong"])
    unit = dashboard.dashboard_scope(users["giamdoc"])
    assert province is not None and unit is not None
    unit_plans = dashboard.dashboard_plans(unit).count()
    overdue = dashboard.consultations_overdue(province)
    overdue_unit = overdue[0]["unit_id"] if overdue else 0
    first = clients["vanphong"].get("/api/v1/search/", {"q": "ke hoach", "page_size": 20}).json()

    load = os.getloadavg()[0]
    print(
        f"\nDashboard and search on {connection.vendor} (load average {load:.1f} on "
        f"{os.cpu_count()} cores): {search_bench.PLANS} plans ({facts['text_chars']} characters "
        f"of text each), {history['events']} audit events, {history['consultations']} "
        f"consultations, {search_bench.INCOMING} incoming; the unit head's unit drafts "
        f"{unit_plans}; data {populated:.1f} s\n"
    )
    print(f"| {'request (ms)':<66} | {'median':>8} | {'min':>8} | {'max':>8} |")
    print(f"|{'-' * 68}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")

    def selector(label: str, call: Any) -> None:
        call()
        samples = []
        for _ in range(RUNS):
            cache.clear()
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
        report(label, samples)

    def get(
        label: str, who: str, url: str, params: dict[str, Any] | None = None, *, warm: bool = False
    ) -> None:
        """Cold (the cache emptied before each request: the time per stage computed) unless
        `warm`."""
        client = clients[who]
        response = client.get(url, params or {})
        assert response.status_code == 200, (url, response.status_code)
        samples = []
        for _ in range(RUNS):
            if not warm:
                cache.clear()
            start = time.perf_counter()
            client.get(url, params or {})
            samples.append((time.perf_counter() - start) * 1000)
        report(f"{who}: {label}", samples)

    selector(
        "dashboard_summary, province (selector)", lambda: dashboard.dashboard_summary(province)
    )
    selector("dashboard_summary, unit (selector)", lambda: dashboard.dashboard_summary(unit))
    for part in ("plans_by_stage", "stage_durations", "consultations_overdue", "issued_by_month"):
        function = getattr(dashboard, part)
        selector(f"  {part}, province", lambda function=function: function(province))
    get("GET /tong-quan/ (page, province)", "vanphong", "/tong-quan/")
    get(
        "GET /tong-quan/ (page, province, cached time per stage)",
        "vanphong",
        "/tong-quan/",
        warm=True,
    )
    get("GET /tong-quan/ (page, unit)", "giamdoc", "/tong-quan/")
    get("GET /api/v1/dashboard/", "vanphong", "/api/v1/dashboard/")
    get(
        "GET /tong-quan/ke-hoach/?status=vetting",
        "vanphong",
        "/tong-quan/ke-hoach/",
        {"status": "vetting"},
    )
    get(
        "GET /tong-quan/ke-hoach/?overdue_unit=…",
        "vanphong",
        "/tong-quan/ke-hoach/",
        {"overdue_unit": overdue_unit},
    )
    get(
        "GET /tong-quan/ke-hoach/?status=issued, deep page",
        "vanphong",
        "/tong-quan/ke-hoach/",
        {"status": "issued", "plans_before": 500},
    )
    get(
        "GET /tim-kiem/?q=thong tin doi ngoai",
        "vanphong",
        "/tim-kiem/",
        {"q": "thong tin doi ngoai"},
    )
    get(
        "GET /tim-kiem/?q=ke hoach, next page by cursor",
        "vanphong",
        "/tim-kiem/",
        {"q": "ke hoach", "after": first["next_cursor"]},
    )
    get(
        "GET /tim-kiem/?q=du lich&status=issued&unit=so van hoa",
        "vanphong",
        "/tim-kiem/",
        {"q": "du lich", "status": "issued", "unit": "so van hoa"},
    )
    get(
        "GET /tim-kiem/?q=chuyen doi so (drafter)",
        "chuyenvien",
        "/tim-kiem/",
        {"q": "chuyen doi so"},
    )
    get(
        "GET /api/v1/search/?q=ke hoach&page_size=20",
        "vanphong",
        "/api/v1/search/",
        {"q": "ke hoach", "page_size": 20},
    )


def report(name: str, samples: list[float]) -> None:
    print(
        f"| {name[:66]:<66} | {statistics.median(samples):8.1f} | {min(samples):8.1f} | "
        f"{max(samples):8.1f} |"
    )


if __name__ == "__main__":
    main()
