"""The pages plus the public verification routes, as config/urls.py and config/api_urls.py will
mount them once wired (`workflows.urls_verify` at the root, `api/v1/verify/`)."""

from django.urls import include, path

from documents.api_verify import VerifyView

urlpatterns = [
    path("", include("workflows.urls")),
    path("", include("workflows.urls_verify")),
    path("api/v1/verify/", VerifyView.as_view(), name="api-verify"),
    path("api/v1/", include("notifications.urls")),
]
