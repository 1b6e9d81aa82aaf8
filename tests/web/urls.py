"""The pages as config/urls.py mounts them (at the site root): these tests do not depend on it."""

from django.urls import include, path

urlpatterns = [
    path("", include("web.urls")),
    path("api/v1/", include("notifications.urls")),
]
