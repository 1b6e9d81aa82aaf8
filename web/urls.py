"""Page routes; config/urls.py includes them at the site root.

Names are global (no namespace): documents.services builds notification links with
reverse("plan-detail").
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from . import import_progress, views, views_absences, views_settings

urlpatterns = [
    path("", include("web.urls_compare")),
    path("", include("web.urls_incoming")),
    path("", include("web.urls_verify")),
    path("", include("web.urls_signing")),
    path("", include("web.urls_dashboard")),
    path("", include("web.urls_issue")),
    path(
        "dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"
    ),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", views.home, name="home"),
    path("ke-hoach/moi/", views.plan_create, name="plan-create"),
    path("nhap-tep/tien-do/<str:token>/", import_progress.import_progress, name="import-progress"),
    path("ke-hoach/<id:plan_id>/", views.plan_detail, name="plan-detail"),
    path("ke-hoach/<id:plan_id>/sua/", views.plan_edit, name="plan-edit"),
    path("ke-hoach/<id:plan_id>/y-kien/", views.plan_consultations, name="plan-consultations"),
    path("ke-hoach/<id:plan_id>/trinh/", views.plan_submit, name="plan-submit"),
    path("ke-hoach/<id:plan_id>/rut/", views.plan_withdraw, name="plan-withdraw"),
    path("ke-hoach/<id:plan_id>/nguoi-ky/", views.plan_signer, name="plan-signer"),
    path("ke-hoach/<id:plan_id>/tham-dinh/", views.plan_legal_review, name="plan-legal-review"),
    path(
        "ke-hoach/<id:plan_id>/xac-nhan-da-nhan/", views.plan_acknowledge, name="plan-acknowledge"
    ),
    path("ke-hoach/<id:plan_id>/docx/", views.plan_docx, name="plan-docx"),
    path("ke-hoach/<id:plan_id>/pdf/", views.plan_pdf, name="plan-pdf"),
    path(
        "ke-hoach/<id:plan_id>/phien-ban/<id:number>/tong-hop-y-kien/docx/",
        views.version_consolidation_docx,
        name="version-consolidation-docx",
    ),
    path(
        "ke-hoach/<id:plan_id>/phien-ban/<id:number>/tong-hop-y-kien/pdf/",
        views.version_consolidation_pdf,
        name="version-consolidation-pdf",
    ),
    path("nhiem-vu/<id:task_id>/", views.task_detail, name="task-detail"),
    path("vang-mat/", views_absences.absence_list, name="absence-list"),
    path("vang-mat/<id:absence_id>/ket-thuc/", views_absences.absence_end, name="absence-end"),
    path(
        "thong-bao/e-mail/",
        views_settings.notification_preferences,
        name="notification-preferences",
    ),
    path("lich-lam-viec/", views_settings.working_calendar, name="working-calendar"),
]
