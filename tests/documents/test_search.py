"""Search over plans, issued documents and incoming documents: diacritics and đ optional, only
what the user may see, filters, ranking, pages, highlighted snippets, and the API. Runs on SQLite
(FTS5) in `make test` and on PostgreSQL (tsvector, unaccent) in `make test-pg`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from documents import services
from documents.models import IncomingDocument, Plan, SearchEntry
from documents.search import (
    SearchFilters,
    highlight,
    search,
    search_fold,
    search_index_rebuild,
    search_index_update,
    search_terms,
    snippet,
)

pytestmark = pytest.mark.django_db

LETTER = (
    Path(django_settings.BASE_DIR) / "documents/seeds/btttt-2905-huong-dan-2021.docx"
).read_bytes()


def titles(page) -> list[str]:
    return [hit.title for hit in page.results]


@pytest.fixture
def plan_of(drafter, make_content):
    """A plan drafted by `drafter` (through the service that indexes it)."""

    def make(title: str, body: str = "Nội dung chung của văn bản.", **overrides) -> Plan:
        content = make_content(
            title=title,
            preamble="",
            closing="",
            legal_bases=[],
            reporting_deadlines=[],
            sections=[{"kind": "general", "title": "NỘI DUNG", "paragraphs": [body]}],
            **overrides,
        )
        return services.plan_create(actor=drafter, content=content)

    return make


def issue_directly(plan: Plan, *, number: int, on: dt.date) -> Plan:
    """Given state only: an issued plan without the signing walk, indexed as plan_issue does."""
    Plan.objects.filter(pk=plan.pk).update(
        status=Plan.Status.ISSUED, number=number, register_year=on.year, issued_on=on
    )
    plan.refresh_from_db()
    search_index_update(plan)
    return plan


# -- folding (pure) ----------------------------------------------------------------------------


def test_folding_drops_diacritics_and_reads_d_bar_as_d_keeping_positions():
    text = "Kế hoạch ĐỐI NGOẠI, Số 262/KH-UBND"
    folded = search_fold(text)
    assert folded == "ke hoach doi ngoai  so 262 kh ubnd"
    assert len(folded) == len(text)
    assert search_terms("  Kế-hoạch   đối ngoại!! ") == ["ke", "hoach", "doi", "ngoai"]


def test_highlighting_marks_the_words_in_their_own_spelling_and_escapes_html():
    html = highlight("<b>Kế hoạch</b> thông tin đối ngoại", search_terms("ke hoach doi"))
    assert html == (
        "&lt;b&gt;<mark>Kế</mark> <mark>hoạch</mark>&lt;/b&gt; thông tin <mark>đối</mark> ngoại"
    )


def test_the_last_word_matches_as_a_prefix_the_others_whole():
    html = highlight("thông tin đối ngoại; thôn Ngọc; thống nhất", search_terms("thong ngo"))
    assert html == (
        "<mark>thông</mark> tin đối <mark>ngoại</mark>; thôn <mark>Ngọc</mark>; "
        "<mark>thống</mark> nhất"
    )


def test_a_snippet_is_cut_around_the_matches():
    text = "Mở đầu. " + "chữ " * 200 + "Bản tin đối ngoại được phát hành hằng quý. " + "đuôi " * 200
    html = snippet(text, search_terms("ban tin doi ngoai"), width=120)
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>Bản</mark> <mark>tin</mark> <mark>đối</mark> <mark>ngoại</mark>" in html
    assert len(html) < 260


# -- finding -----------------------------------------------------------------------------------


def test_words_without_diacritics_find_the_plan(plan_of, drafter):
    # given a plan "Kế hoạch Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024"
    plan_of("Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024")
    plan_of("Phát triển du lịch năm 2024")
    # when searched without diacritics, with đ as d, in capitals
    for query in ("ke hoach thong tin doi ngoai", "ĐỐI NGOẠI dong nai", "Kế hoạch đối ngoại"):
        page = search(user=drafter, query=query)
        # then it is found, and only it
        assert titles(page) == ["Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024"], query


def test_the_text_of_the_plan_is_searched_and_shown_highlighted(plan_of, drafter):
    plan_of("Phát triển du lịch năm 2024", body="Thực hiện “Bản tin du lịch”, 01 số/quý.")
    page = search(user=drafter, query="ban tin du lich")
    (hit,) = page.results
    assert "<mark>Bản</mark> <mark>tin</mark> <mark>du</mark> <mark>lịch</mark>" in hit.snippet_html
    assert hit.kind == "plan"
    assert hit.status == Plan.Status.DRAFT


def test_a_title_match_ranks_above_a_match_in_the_text(plan_of, drafter):
    # given one plan about "bản tin" in its title, another mentioning it in its text only
    plan_of("Phát triển du lịch năm 2024", body="Thực hiện “Bản tin du lịch”, 01 số/quý.")
    plan_of("Xuất bản bản tin du lịch quý III")
    # when
    page = search(user=drafter, query="ban tin du lich")
    # then
    assert titles(page) == ["Xuất bản bản tin du lịch quý III", "Phát triển du lịch năm 2024"]
    assert page.results[0].rank > page.results[1].rank


def test_every_word_must_match(plan_of, drafter):
    plan_of("Hoạt động thông tin đối ngoại")
    assert search(user=drafter, query="doi ngoai hoa ky").total == 0


def test_an_edit_is_found_at_once_and_the_old_title_no_longer(plan_of, drafter, make_content):
    plan = plan_of("Hoạt động thông tin đối ngoại")
    content = {**plan.content, "title": "Chuyển đổi số năm 2025"}
    services.plan_update_content(plan=plan, actor=drafter, content=content)
    assert titles(search(user=drafter, query="chuyen doi so")) == ["Chuyển đổi số năm 2025"]
    assert search(user=drafter, query="hoat dong thong tin").total == 0
    assert SearchEntry.objects.count() == 1


def test_a_registered_incoming_letter_is_found_by_its_number_and_subject(drafter, directory):
    services.incoming_import_docx(actor=drafter, data=LETTER, file_name="2905.docx")
    page = search(user=drafter, query="huong dan xay dung ke hoach thong tin doi ngoai")
    (hit,) = page.results
    assert hit.kind == "incoming"
    assert hit.number == "2905/BTTTT-TTĐN"
    assert search(user=drafter, query="2905/BTTTT").total == 1
    assert search(user=drafter, query="btttt ttdn").total == 1


def test_a_search_as_typed_matches_the_last_word_as_a_prefix(plan_of, drafter):
    plan_of("Hoạt động thông tin đối ngoại")
    assert search(user=drafter, query="thong tin doi ng").total == 1
    assert search(user=drafter, query="thong ti doi").total == 0


def test_a_query_with_only_punctuation_lists_by_the_filters(plan_of, drafter):
    plan_of("Một")
    assert search(user=drafter, query=" /-?* ").total == 1


def test_fts_syntax_in_a_query_is_plain_text(plan_of, drafter):
    plan_of("Hoạt động thông tin đối ngoại")
    for query in ('"doi" OR ngoai', "doi:* & !x", "NEAR(doi ngoai)", "doi)", "'"):
        search(user=drafter, query=query)  # no error


# -- visibility --------------------------------------------------------------------------------


def test_a_user_finds_only_what_they_may_see(plan_of, drafter, foreign_affairs, directory):
    # given a draft of Sở TT&TT, unseen by Sở Ngoại vụ
    plan = plan_of("Hoạt động thông tin đối ngoại")
    assert search(user=foreign_affairs, query="doi ngoai").total == 0
    assert search(user=foreign_affairs, query="").total == 0
    # when Sở Ngoại vụ is asked to act on it (a grant, as the consultation gives)
    plan.accesses.create(unit=directory["so-nv"], reason="consultation")
    # then they find it
    assert search(user=foreign_affairs, query="doi ngoai").total == 1


def test_incoming_documents_are_seen_by_the_registering_and_assigned_units(
    drafter, foreign_affairs, culture, directory
):
    services.incoming_import_docx(
        actor=drafter, data=LETTER, file_name="2905.docx", assigned_unit_id=directory["so-nv"].pk
    )
    assert search(user=drafter, query="2905").total == 1
    assert search(user=foreign_affairs, query="2905").total == 1
    assert search(user=culture, query="2905").total == 0


def test_an_anonymous_user_finds_nothing(plan_of):
    from django.contrib.auth.models import AnonymousUser

    plan_of("Hoạt động thông tin đối ngoại")
    assert search(user=AnonymousUser(), query="doi ngoai").total == 0


# -- filters -----------------------------------------------------------------------------------


@pytest.fixture
def three_kinds(plan_of, drafter, signer, chairman):
    draft = plan_of("Dự thảo thông tin đối ngoại 2025", signature={"signer_id": signer.pk})
    issued = plan_of("Thông tin đối ngoại 2024", signature={"signer_id": chairman.pk})
    issue_directly(issued, number=262, on=dt.date(2024, 11, 8))
    services.incoming_import_docx(actor=drafter, data=LETTER, file_name="2905.docx")
    return draft, issued


def test_filter_by_kind(three_kinds, drafter):
    def kinds(*wanted):
        page = search(user=drafter, query="doi ngoai", filters=SearchFilters(kinds=wanted))
        return sorted(hit.kind for hit in page.results)

    assert kinds() == ["incoming", "issued", "plan"]
    assert kinds("issued") == ["issued"]
    assert kinds("plan", "incoming") == ["incoming", "plan"]


def test_filter_by_number_signer_unit_and_date(three_kinds, drafter, chairman):
    def found(**filters):
        return titles(search(user=drafter, query="", filters=SearchFilters(**filters)))

    assert found(number="262/KH") == ["Thông tin đối ngoại 2024"]
    assert found(number="262/KH-UBND") == ["Thông tin đối ngoại 2024"]
    assert found(signer=chairman.full_name.split()[-1]) == ["Thông tin đối ngoại 2024"]
    assert [t[:4] for t in found(unit="bo thong tin")] == ["V/v "]
    assert found(
        unit="bao dong nai", date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)
    ) == ["Thông tin đối ngoại 2024"]
    assert len(found(date_to=dt.date(2021, 1, 1))) == 1  # the 2020 letter


@pytest.mark.parametrize(
    "filters, page",
    [
        (SearchFilters(kinds=("draft",)), 1),
        (SearchFilters(date_from=dt.date(2025, 1, 2), date_to=dt.date(2025, 1, 1)), 1),
        (SearchFilters(), 0),
        (SearchFilters(number="x" * 600), 1),
    ],
)
def test_bad_filters_are_refused(drafter, filters, page):
    from agencies.errors import InvalidInput

    with pytest.raises(InvalidInput):
        search(user=drafter, query="x", filters=filters, page=page)


# -- pages -------------------------------------------------------------------------------------


def test_results_come_in_pages_without_overlap(plan_of, drafter):
    # given 45 plans that match and 5 that do not
    for index in range(45):
        plan_of(f"Chuyển đổi xanh, đợt {index:02d}")
    for index in range(5):
        plan_of(f"Phát triển nông nghiệp {index}")
    # when the three pages are read
    pages = [search(user=drafter, query="chuyen doi xanh", page=n) for n in (1, 2, 3)]
    # then 20 + 20 + 5, all different, the total and page count right
    assert [len(p.results) for p in pages] == [20, 20, 5]
    assert {p.total for p in pages} == {45}
    assert {p.pages for p in pages} == {3}
    seen = [hit.plan_id for p in pages for hit in p.results]
    assert len(set(seen)) == 45
    assert search(user=drafter, query="chuyen doi xanh", page=4).results == []
    assert search(user=drafter, query="", page_size=50).total == 50


# -- the index ---------------------------------------------------------------------------------


def test_rebuilding_the_index_gives_the_same_answers(plan_of, drafter):
    plan_of("Hoạt động thông tin đối ngoại")
    plan_of("Phát triển du lịch")
    before = [(h.plan_id, h.title) for h in search(user=drafter, query="thong tin").results]
    # when
    assert search_index_rebuild() == 2
    # then
    assert SearchEntry.objects.count() == 2
    assert [(h.plan_id, h.title) for h in search(user=drafter, query="thong tin").results] == before


def test_a_refused_edit_leaves_the_index_as_it_was(plan_of, drafter, make_content):
    from agencies.errors import DomainError

    plan = plan_of("Hoạt động thông tin đối ngoại")
    with pytest.raises(DomainError):
        services.plan_update_content(
            plan=plan, actor=drafter, content={**plan.content, "title": ""}
        )
    assert titles(search(user=drafter, query="doi ngoai")) == ["Hoạt động thông tin đối ngoại"]


def test_the_full_text_index_is_the_databases_own():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT unaccent('Kế hoạch Đồng Nai')")
            assert cursor.fetchone()[0] == "Ke hoach Dong Nai"
            cursor.execute("SELECT to_tsvector('kehoach_vi', 'Đối NGOẠI')::text")
            assert cursor.fetchone()[0] == "'doi':1 'ngoai':2"
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'documents_searchentry_fts'")
            assert "fts5" in cursor.fetchone()[0]


# -- the API -----------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_searches_with_filters_and_pages(three_kinds, drafter):
    response = api(drafter).get(
        "/api/v1/search/", {"q": "thong tin doi ngoai", "kind": ["issued", "plan"], "page_size": 1}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["pages"], body["page"], body["page_size"]) == (2, 2, 1, 1)
    (hit,) = body["results"]
    assert hit["kind"] in ("issued", "plan")
    assert "<mark>" in hit["title_html"]
    second = (
        api(drafter)
        .get(
            "/api/v1/search/",
            {"q": "thong tin doi ngoai", "kind": ["issued", "plan"], "page_size": 1, "page": 2},
        )
        .json()
    )
    assert second["results"][0]["title"] != hit["title"]
    issued = api(drafter).get("/api/v1/search/", {"number": "262"}).json()["results"]
    assert [(h["kind"], h["number"], h["date"]) for h in issued] == [
        ("issued", "262/KH-UBND", "2024-11-08")
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "draft"},
        {"page": "zero"},
        {"page": "0"},
        {"page_size": "500"},
        {"date_from": "2024-31-01"},
        {"q": "x" * 501},
    ],
)
def test_the_api_answers_bad_input_with_a_400(drafter, query):
    response = api(drafter).get("/api/v1/search/", query)
    assert response.status_code == 400
    assert set(response.json()) >= {"error", "detail"}


def test_the_api_needs_a_signed_in_user(db):
    assert APIClient().get("/api/v1/search/", {"q": "x"}).status_code == 401


def test_incoming_rows_of_the_index_point_at_their_document(drafter, directory):
    incoming = services.incoming_import_docx(actor=drafter, data=LETTER, file_name="2905.docx")
    entry = SearchEntry.objects.get()
    assert entry.incoming_id == incoming.pk and entry.plan_id is None
    assert IncomingDocument.objects.count() == 1


def test_a_last_letter_typed_after_other_words_is_left_for_the_next_one(plan_of, drafter):
    plan_of("Chuyển đổi số")
    plan_of("Chuyển đổi xanh")
    assert search(user=drafter, query="chuyen doi x").total == 2
    assert titles(search(user=drafter, query="chuyen doi xa")) == ["Chuyển đổi xanh"]
    assert search(user=drafter, query="x").total == 0  # alone, a letter is a whole word
