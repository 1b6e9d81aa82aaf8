from django.urls import path

from . import views

urlpatterns = [
    path("", views.health),
    path("complete/<int:item_id>/", views.complete),
    path("list/", views.item_list),
    path("page/", views.item_page),
    path("issue/<int:item_id>/", views.issue),
    path("touch/", views.touch),
    path("fanout/", views.fanout),
]
