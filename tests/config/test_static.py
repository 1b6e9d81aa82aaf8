"""Static files are served with DEBUG off, and a path that climbs out of them is a 404."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2f..%2fmanage.py",
        "/static/..%2F..%2Fconfig%2Fsettings%2Fbase.py",
        "/static/../manage.py",
        "/static/%2e%2e/%2e%2e/manage.py",
    ],
)
def test_static_path_traversal_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"DJANGO_SETTINGS_MODULE" not in b"".join(
        getattr(response, "streaming_content", [response.content])
    )


def test_static_files_are_served_with_debug_off(client, settings):
    assert settings.DEBUG is False
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
