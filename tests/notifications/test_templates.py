import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string


@pytest.mark.django_db
def test_bell_renders_the_ids_the_script_needs(rf, user):
    # when the header includes the bell for a logged-in user
    html = render_to_string("notifications/bell.html", {"user": user}, request=rf.get("/"))

    # then the script finds its elements, and the texts are Vietnamese
    for element_id in ("notification-bell", "notification-count", "notification-list"):
        assert f'id="{element_id}"' in html
    assert f'data-user-id="{user.pk}"' in html
    assert "Không có thông báo mới" in html
    assert "Đánh dấu đã đọc" in html


def test_bell_is_not_rendered_for_anonymous_visitors(rf):
    html = render_to_string(
        "notifications/bell.html", {"user": AnonymousUser()}, request=rf.get("/")
    )

    assert "notification-bell" not in html
