"""Page routes of incoming documents (văn bản đến); config/urls.py includes them at the root.

Names are global, like web/urls.py: documents.services links notifications with
reverse("incoming-detail").
"""

from django.urls import path

from . import views_incoming

urlpatterns = [
    path("van-ban-den/", views_incoming.incoming_list, name="incoming-list"),
    path("van-ban-den/<id:incoming_id>/", views_incoming.incoming_detail, name="incoming-detail"),
    path("van-ban-den/<id:incoming_id>/tep/", views_incoming.incoming_file, name="incoming-file"),
    path(
        "van-ban-den/<id:incoming_id>/lien-thong/",
        views_incoming.incoming_exchange_status,
        name="incoming-exchange-status",
    ),
    path(
        "van-ban-den/<id:incoming_id>/tao-ke-hoach/",
        views_incoming.incoming_start_plan,
        name="incoming-start-plan",
    ),
]
