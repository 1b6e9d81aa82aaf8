"""Routes of the version comparison pages; included next to web.urls (names are global)."""

from django.urls import path

from . import views_compare

urlpatterns = [
    path("ke-hoach/<id:plan_id>/so-sanh/", views_compare.plan_compare, name="plan-compare"),
    path(
        "ke-hoach/<id:plan_id>/so-sanh/docx/",
        views_compare.plan_compare_docx,
        name="plan-compare-docx",
    ),
]
