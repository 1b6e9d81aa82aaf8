"""API routes of the notifications app; config/urls.py includes them under /api/v1/."""

from django.urls import path

from .api import NotificationListApi, NotificationMarkReadApi, NotificationPreferencesApi

app_name = "notifications"

urlpatterns = [
    path("notifications/", NotificationListApi.as_view(), name="notification_list"),
    path("notifications/read/", NotificationMarkReadApi.as_view(), name="notification_mark_read"),
    path(
        "me/notification-preferences/",
        NotificationPreferencesApi.as_view(),
        name="notification_preferences",
    ),
]
