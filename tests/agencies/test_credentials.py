"""Credentials (issue 7 §3): throttled sign-in, expiring revocable tokens stored hashed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import ApiToken, SecurityEvent

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def obtain(username: str, password: str = "demo", address: str = "10.0.0.1") -> object:
    return APIClient(REMOTE_ADDR=address).post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_works_expires_and_is_stored_hashed(drafter):
    # when the drafter signs in to the API
    response = obtain("chuyenvien")

    # then a token that works, with its expiry
    assert response.status_code == 200
    key = response.json()["token"]
    assert with_token(key).get("/api/v1/me/").json()["username"] == "chuyenvien"
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.expires_at > timezone.now() + dt.timedelta(days=6)
    # and only its hash is kept
    assert key not in str(list(ApiToken.objects.values_list()))
    assert SecurityEvent.objects.filter(kind="token_created", user=drafter).count() == 1

    # when it expires
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    # then it opens nothing
    assert with_token(key).get("/api/v1/me/").status_code == 401


def test_logout_revokes_the_token_used(drafter):
    key = obtain("chuyenvien").json()["token"]
    other = obtain("chuyenvien").json()["token"]
    client = with_token(key)

    assert client.post("/api/v1/auth/logout/").status_code == 204

    assert client.get("/api/v1/me/").status_code == 401
    assert with_token(other).get("/api/v1/me/").status_code == 200
    assert SecurityEvent.objects.filter(kind="token_revoked").count() == 1


def test_a_user_lists_and_revokes_only_their_tokens(drafter, agency_head):
    first = obtain("chuyenvien").json()
    second = obtain("chuyenvien").json()
    heads = obtain("giamdoc").json()
    client = with_token(second["token"])

    listed = client.get("/api/v1/auth/tokens/").json()
    assert [t["id"] for t in listed] == [second["id"], first["id"]]
    assert [t["current"] for t in listed] == [True, False]
    assert all("token" not in t for t in listed)

    assert client.post(f"/api/v1/auth/tokens/{first['id']}/revoke/").json()["revoked_at"]
    assert with_token(first["token"]).get("/api/v1/me/").status_code == 401
    assert client.post(f"/api/v1/auth/tokens/{heads['id']}/revoke/").status_code == 404
    assert with_token(heads["token"]).get("/api/v1/me/").status_code == 200


def test_a_wrong_password_is_a_400(drafter):
    response = obtain("chuyenvien", "sai")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_credentials"


def test_api_sign_in_locks_out_after_repeated_failures(drafter, settings):
    # given wrong passwords up to the limit (the last one locks)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert obtain("chuyenvien", "sai").status_code == 400
    assert obtain("chuyenvien", "sai").status_code == 429

    # when the right password comes next
    response = obtain("chuyenvien")

    # then it is refused for now, with a 429 saying why and when to retry
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "locked_out"
    assert "tạm thời bị khóa" in body["detail"]
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert not ApiToken.objects.exists()
    # and the lockout is recorded
    assert SecurityEvent.objects.filter(kind="locked_out", username="chuyenvien").exists()
    # also from another address (by username)
    assert obtain("chuyenvien", address="10.9.9.9").status_code == 429


def test_one_address_trying_many_users_is_locked_out(drafter, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        obtain(f"nobody{i}", "sai", address="10.6.6.6")
    assert obtain("chuyenvien", address="10.6.6.6").status_code == 429
    assert obtain("chuyenvien", address="10.1.1.1").status_code == 200


def test_page_sign_in_locks_out_with_a_vietnamese_message(drafter, settings):
    client = Client(REMOTE_ADDR="10.2.2.2")
    wrong = {"username": "chuyenvien", "password": "sai"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/dang-nhap/", wrong).status_code == 200
    assert client.post("/dang-nhap/", wrong).status_code == 429

    response = client.post("/dang-nhap/", {"username": "chuyenvien", "password": "demo"})

    assert response.status_code == 429
    assert "tạm thời bị khóa" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_socket_ticket_is_issued_to_a_signed_in_user(drafter):
    key = obtain("chuyenvien").json()["token"]
    response = with_token(key).post("/api/v1/auth/socket-ticket/")
    assert response.status_code == 200
    assert len(response.json()["ticket"]) > 30
    assert APIClient().post("/api/v1/auth/socket-ticket/").status_code == 401
