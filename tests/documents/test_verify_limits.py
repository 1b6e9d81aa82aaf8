"""The public verification endpoints are anonymous and CPU-heavy: a rate per address and a cap
on verifications at once (issue 7 §3)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from documents import verification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_minute(monkeypatch):
    """Every request of a test in the same minute window (the count restarts each minute: a test
    straddling a minute's end saw its second request admitted)."""
    monkeypatch.setattr(verification.time, "time", lambda: 1_800_000_030.0)


def _verify(client: APIClient) -> object:
    return client.post(
        "/api/v1/verify/",
        {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 not really", "application/pdf")},
        format="multipart",
    )


def test_an_address_is_limited_per_minute(settings):
    settings.VERIFY_RATE_PER_MINUTE = 3
    client = APIClient(REMOTE_ADDR="10.3.3.3")
    assert [_verify(client).status_code for _ in range(3)] == [200, 200, 200]

    refused = _verify(client)

    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # another address is not affected
    assert _verify(APIClient(REMOTE_ADDR="10.4.4.4")).status_code == 200


def test_the_page_is_limited_too(client, settings):
    settings.VERIFY_RATE_PER_MINUTE = 1
    upload = {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4", "application/pdf")}
    assert client.post("/kiem-tra/", upload).status_code == 200
    upload = {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4", "application/pdf")}
    response = client.post("/kiem-tra/", upload)
    assert response.status_code == 429
    assert "quá 1 văn bản" in response.content.decode()


def test_verifications_at_once_are_capped(settings):
    settings.VERIFY_QUEUE_SECONDS = 0.2
    # given every place taken by verifications in progress
    taken = []
    while verification._verifications_at_once.acquire(blocking=False):
        taken.append(True)
    try:
        # when another arrives
        response = _verify(APIClient(REMOTE_ADDR="10.5.5.5"))
    finally:
        for _ in taken:
            verification._verifications_at_once.release()

    # then it is told to come back shortly
    assert response.status_code == 429
    assert response.json()["error"] == "busy"
    assert len(taken) == settings.VERIFY_MAX_CONCURRENT
    # and once a place is free it is served
    assert _verify(APIClient(REMOTE_ADDR="10.5.5.5")).status_code == 200


def test_places_are_given_back_after_failures():
    for _ in range(5):
        with pytest.raises(RuntimeError), verification.verification_guard(client="x"):
            raise RuntimeError
    assert verification._verifications_at_once.acquire(blocking=False)
    verification._verifications_at_once.release()
