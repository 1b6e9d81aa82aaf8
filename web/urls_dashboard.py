"""Page routes of the dashboard (tổng quan) and search (tìm kiếm); config/urls.py includes
them at the root through web/urls.py."""

from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("tong-quan/", views_dashboard.dashboard_page, name="dashboard"),
    path("tong-quan/ke-hoach/", views_dashboard.dashboard_plans, name="dashboard-plans"),
    path("tim-kiem/", views_dashboard.search_page, name="search"),
]
