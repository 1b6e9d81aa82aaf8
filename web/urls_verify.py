"""Routes of the public verification pages (no login); included next to web.urls.

The address of a plan's page is printed in its issued PDF (documents.verification.VERIFY_PATH):
do not change "kiem-tra/" without keeping the old address working.
"""

from django.urls import path

from . import views_verify

urlpatterns = [
    path("kiem-tra/", views_verify.verify_upload, name="verify"),
    path("kiem-tra/<str:token>/", views_verify.verify_plan, name="verify-plan"),
    path("kiem-tra/<str:token>/tai-ve/", views_verify.verify_plan_pdf, name="verify-plan-pdf"),
]
