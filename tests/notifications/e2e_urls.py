"""Routes for the end-to-end test: the API, a page with the bell, and a way to notify from inside."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.services import notify_on_commit

PAGE = """{% load static %}<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Bell</title>
<link rel="stylesheet" href="{% static 'css/notifications.css' %}"></head>
<body><header>{% include "notifications/bell.html" %}</header>
<script src="{% static 'js/notifications.js' %}"></script></body></html>"""


@login_required
def bell_page(request: HttpRequest) -> HttpResponse:
    """A page whose header includes the bell, as templates/base.html does."""
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


@csrf_exempt
@require_POST
@login_required
def notify_me(request: HttpRequest) -> JsonResponse:
    """Notify the logged-in user from inside the server process (whose channel layer it is)."""
    (notification,) = notify_on_commit(
        user_ids=[request.user.pk],
        kind="task.assigned",
        title=request.POST["title"],
        url="/tasks/1/",
    )
    return JsonResponse({"id": notification.id})


urlpatterns = [
    path("api/v1/", include("notifications.urls")),
    path("e2e/bell/", bell_page),
    path("e2e/notify/", notify_me),
    path("login/", bell_page, name="login"),
]
