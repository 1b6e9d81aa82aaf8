from django.urls import include, path
from rest_framework.authtoken.views import ObtainAuthToken

from agencies.api import MeView, UnitListView
from documents.api import (
    DocumentDetailView,
    DocumentDocxView,
    DocumentImportView,
    DocumentListView,
    DocumentPdfView,
    ReceiptAcknowledgeView,
    TrustCrlView,
    TrustView,
)
from documents.api_compare import (
    DocumentCompareDocxView,
    DocumentCompareView,
    DocumentVersionDetailView,
    DocumentVersionListView,
)
from workflows.api import DocumentSubmitView, TaskCompleteView, TaskDetailView, TaskListView

urlpatterns = [
    path("auth/token/", ObtainAuthToken.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("units/", UnitListView.as_view(), name="api-units"),
    path("documents/", DocumentListView.as_view(), name="api-documents"),
    path("documents/import/", DocumentImportView.as_view(), name="api-document-import"),
    path("documents/<int:plan_id>/", DocumentDetailView.as_view(), name="api-document"),
    path("documents/<int:plan_id>/docx/", DocumentDocxView.as_view(), name="api-document-docx"),
    path("documents/<int:plan_id>/pdf/", DocumentPdfView.as_view(), name="api-document-pdf"),
    path(
        "documents/<int:plan_id>/submit/", DocumentSubmitView.as_view(), name="api-document-submit"
    ),
    path(
        "documents/<int:plan_id>/acknowledge/",
        ReceiptAcknowledgeView.as_view(),
        name="api-document-acknowledge",
    ),
    path(
        "documents/<int:plan_id>/versions/",
        DocumentVersionListView.as_view(),
        name="api-document-versions",
    ),
    path(
        "documents/<int:plan_id>/versions/<int:number>/",
        DocumentVersionDetailView.as_view(),
        name="api-document-version",
    ),
    path(
        "documents/<int:plan_id>/compare/",
        DocumentCompareView.as_view(),
        name="api-document-compare",
    ),
    path(
        "documents/<int:plan_id>/compare/docx/",
        DocumentCompareDocxView.as_view(),
        name="api-document-compare-docx",
    ),
    path("tasks/", TaskListView.as_view(), name="api-tasks"),
    path("tasks/<int:task_id>/", TaskDetailView.as_view(), name="api-task"),
    path("tasks/<int:task_id>/complete/", TaskCompleteView.as_view(), name="api-task-complete"),
    path("trust/", TrustView.as_view(), name="api-trust"),
    path("trust/crl/", TrustCrlView.as_view(), name="api-trust-crl"),
    path("", include("notifications.urls")),
]
