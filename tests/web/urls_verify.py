"""The pages plus the public verification routes, as config/urls.py and config/api_urls.py will
mount them once wired (`web.urls_verify` at the root, `api/v1/verify/`)."""

from django.urls import include, path

from documents.api_verify import VerifyView

urlpatterns = [
    path("", include("web.urls")),
    path("", include("web.urls_verify")),
    path("api/v1/verify/", VerifyView.as_view(), name="api-verify"),
    path("api/v1/", include("notifications.urls")),
]
