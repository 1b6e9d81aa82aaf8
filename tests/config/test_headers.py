"""Every response carries a Content-Security-Policy without inline script (issue 7 §3)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/dang-nhap/", "/kiem-tra/", "/api/v1/trust/", "/no-such-page/"])
def test_every_response_has_a_strict_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "ws://testserver" in directives["connect-src"]


def test_pages_have_no_inline_script_or_style(client, drafter):
    import re

    client.force_login(drafter)
    for path in ("/", "/ke-hoach/moi/", "/van-ban-den/", "/kiem-tra/"):
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=\"", html), path
        assert ' style="' not in html, path
        assert "javascript:" not in html, path
