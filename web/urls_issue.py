"""Routes of the clerk's issuance preview; included next to web.urls (names are global)."""

from django.urls import path

from . import views_issue

urlpatterns = [
    path(
        "ke-hoach/<id:plan_id>/xem-truoc-phat-hanh/",
        views_issue.plan_issue_preview_view,
        name="plan-issue-preview",
    ),
]
