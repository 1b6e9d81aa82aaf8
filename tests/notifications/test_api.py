import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from notifications.models import Notification
from notifications.services import notify_on_commit

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]

LIST_URL = "/api/v1/notifications/"
READ_URL = "/api/v1/notifications/read/"


@pytest.fixture
def api(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _notify(user, title: str) -> Notification:
    return notify_on_commit(user_ids=[user.id], kind="task.assigned", title=title, url="/tasks/")[0]


def test_urls_have_stable_names():
    assert reverse("notifications:notification_list") == LIST_URL
    assert reverse("notifications:notification_mark_read") == READ_URL


def test_list_returns_only_own_notifications_newest_first(api, user, other_user):
    # given notifications for the user and for someone else
    first, second = _notify(user, "Một"), _notify(user, "Hai")
    _notify(other_user, "Của người khác")

    # when the user lists them
    response = api.get(LIST_URL)

    # then they see their own, newest first, with the unread count
    assert response.status_code == 200
    body = response.json()
    assert [n["id"] for n in body["results"]] == [second.id, first.id]
    assert body["unread_count"] == 2
    assert body["results"][0] == {
        "id": second.id,
        "kind": "task.assigned",
        "title": "Hai",
        "body": "",
        "url": "/tasks/",
        "data": {},
        "created_at": second.as_payload()["created_at"],
        "read": False,
    }


def test_list_serves_pages_of_twenty_by_default_and_links_the_older_ones(api, user):
    # given 45 notifications
    ids = [_notify(user, f"Thông báo {i}").id for i in range(45)]

    # when the list is read without a size, then page after page through `next`
    pages, url = [], LIST_URL
    while url:
        body = api.get(url).json()
        pages.append([n["id"] for n in body["results"]])
        url = body["next"]

    # then every page holds 20 (the last the rest), newest first, each notice once
    assert [len(page) for page in pages] == [20, 20, 5]
    assert [i for page in pages for i in page] == sorted(ids, reverse=True)
    assert body["unread_count"] == 45


def test_list_after_returns_the_missed_ones_oldest_first(api, user):
    # given three notifications, the client having seen the first
    seen, missed_1, missed_2 = (_notify(user, t) for t in ("Một", "Hai", "Ba"))

    # when it catches up
    response = api.get(LIST_URL, {"after": seen.id})

    # then it gets exactly the two it missed, oldest first
    assert [n["id"] for n in response.json()["results"]] == [missed_1.id, missed_2.id]


@pytest.mark.parametrize("query", [{"after": "abc"}, {"after": "-1"}, {"limit": "0"}])
def test_list_with_bad_query_is_400(api, query):
    response = api.get(LIST_URL, query)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


def test_mark_read_by_ids_touches_only_own_notifications(api, user, other_user):
    # given two of the user's notifications and one of someone else
    mine, still_unread = _notify(user, "Một"), _notify(user, "Hai")
    theirs = _notify(other_user, "Khác")

    # when the user marks theirs and the other user's
    response = api.post(READ_URL, {"ids": [mine.id, theirs.id]}, format="json")

    # then only the user's own one was marked
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread_count": 1}
    assert Notification.objects.get(id=theirs.id).read_at is None
    assert Notification.objects.get(id=still_unread.id).read_at is None


def test_mark_read_without_ids_marks_all(api, user):
    # given two unread notifications
    _notify(user, "Một")
    _notify(user, "Hai")

    # when the user marks all read
    response = api.post(READ_URL, {}, format="json")

    # then both are read
    assert response.json() == {"marked": 2, "unread_count": 0}
    assert api.get(LIST_URL).json()["results"][0]["read"] is True


@pytest.mark.parametrize(
    "body", [{"ids": "1,2"}, {"ids": [1, "x"]}, {"ids": [{"id": 1}]}, {"ids": None}, [1, 2]]
)
def test_mark_read_with_bad_ids_is_400_and_marks_nothing(api, user, body):
    # given an unread notification
    _notify(user, "Một")

    # when the body is not a list of ids
    response = api.post(READ_URL, body, format="json")

    # then it is refused in JSON and nothing changed
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


@pytest.mark.parametrize(("method", "url"), [("get", LIST_URL), ("post", READ_URL)])
def test_anonymous_is_refused(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")

    # TokenAuthentication comes first, so the answer is 401 with "WWW-Authenticate: Token"
    assert response.status_code == 401


def test_session_post_needs_csrf_token(user):
    # given a browser session without the CSRF token
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    # when it posts
    response = client.post(READ_URL, {}, format="json")

    # then it is refused (the bell's JS sends X-CSRFToken)
    assert response.status_code == 403


def test_schema_documents_both_endpoints():
    schema = SchemaGenerator(urlconf="tests.notifications.urls").get_schema(
        request=None, public=True
    )

    assert schema["paths"][LIST_URL]["get"]["operationId"] == "notifications_list"
    assert schema["paths"][READ_URL]["post"]["operationId"] == "notifications_mark_read"
