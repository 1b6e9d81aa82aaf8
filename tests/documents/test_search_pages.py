"""Search's status and type filters and its keyset pages (`after`), in the service and the API.
Runs on SQLite (FTS5) and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agencies.errors import InvalidInput
from documents import services
from documents.models import Plan
from documents.search import SearchCursor, SearchFilters, search, search_index_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(drafter, make_content):
    made = []
    for index in range(7):
        content = make_content(title=f"Chuyển đổi số năm {2020 + index}")
        made.append(services.plan_create(actor=drafter, content=content))
    return made


def at_status(plan: Plan, status: str) -> None:
    Plan.objects.filter(pk=plan.pk).update(status=status)
    search_index_update(plan)


@pytest.mark.parametrize("query", ["chuyen doi so", ""])
def test_keyset_pages_walk_every_result_once_in_order(drafter, plans, query):
    seen, after, pages = [], None, 0
    while True:
        page = search(user=drafter, query=query, page_size=3, after=after)
        seen += [hit.plan_id for hit in page.results]
        pages += 1
        if not page.next_cursor:
            break
        after = SearchCursor.parse(page.next_cursor)
    everything = search(user=drafter, query=query, page_size=50)

    assert pages == 3
    assert seen == [hit.plan_id for hit in everything.results]
    assert sorted(seen) == sorted(p.pk for p in plans)
    assert page.total == 7


def test_status_and_type_filters_narrow_the_results(drafter, plans):
    at_status(plans[0], Plan.Status.VETTING)
    at_status(plans[1], Plan.Status.VETTING)

    vetting = search(user=drafter, query="chuyen doi", filters=SearchFilters(statuses=("vetting",)))
    letters = search(user=drafter, query="chuyen doi", filters=SearchFilters(doc_types=("CV",)))

    assert sorted(hit.plan_id for hit in vetting.results) == sorted([plans[0].pk, plans[1].pk])
    assert {hit.status for hit in vetting.results} == {"vetting"}
    assert letters.total == 0


@pytest.mark.parametrize("cursor", ["x", "1~2", "nan~1~1", "1.0~1~0", "1~-5~3", "9" * 90])
def test_a_malformed_cursor_is_refused(cursor):
    with pytest.raises(InvalidInput):
        SearchCursor.parse(cursor)


def test_the_api_pages_by_cursor_and_filters_by_status(drafter, plans, police):
    at_status(plans[2], Plan.Status.VETTING)
    client = APIClient()
    client.force_authenticate(drafter)

    first = client.get("/api/v1/search/", {"q": "chuyen doi so", "page_size": 4}).json()
    second = client.get(
        "/api/v1/search/", {"q": "chuyen doi so", "page_size": 4, "after": first["next_cursor"]}
    ).json()
    vetting = client.get("/api/v1/search/", {"q": "chuyen", "status": "vetting"}).json()
    bad = client.get("/api/v1/search/", {"q": "chuyen", "after": "nope"})
    bad_status = client.get("/api/v1/search/", {"q": "chuyen", "status": "nope"})
    stranger = APIClient()
    stranger.force_authenticate(police)

    assert len(first["results"]) == 4 and len(second["results"]) == 3
    assert second["next_cursor"] == ""
    assert not {h["plan_id"] for h in first["results"]} & {h["plan_id"] for h in second["results"]}
    assert [h["plan_id"] for h in vetting["results"]] == [plans[2].pk]
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_cursor"
    assert bad_status.status_code == 400
    assert stranger.get("/api/v1/search/", {"q": "chuyen doi so"}).json()["total"] == 0
