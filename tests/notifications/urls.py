"""The API as config/urls.py mounts it (under /api/v1/), so these tests do not depend on it."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("notifications.urls"))]
