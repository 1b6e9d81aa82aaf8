from django.urls import include, path

from agencies.api import (
    LogoutView,
    MeView,
    PeopleView,
    SocketTicketView,
    TokenListView,
    TokenObtainView,
    TokenRevokeView,
    UnitListView,
)
from agencies.api_calendar import CalendarDayView, CalendarDeadlineView, CalendarView
from documents.api import (
    DocumentDetailView,
    DocumentDocxView,
    DocumentImportView,
    DocumentListView,
    DocumentPdfView,
    ReceiptAcknowledgeView,
    VersionConsolidationDocxView,
    VersionConsolidationPdfView,
)
from documents.api_compare import (
    DocumentCompareDocxView,
    DocumentCompareView,
    DocumentVersionDetailView,
    DocumentVersionListView,
)
from documents.api_dashboard import DashboardPlanListView, DashboardView
from documents.api_incoming import (
    IncomingDetailView,
    IncomingFileView,
    IncomingImportView,
    IncomingListView,
    IncomingStartPlanView,
)
from documents.api_registers import (
    DocumentIssuePreviewView,
    RegisterEntryListView,
    RegisterListView,
)
from documents.api_search import SearchView
from documents.api_verify import VerifyView
from exchange.api import DocumentExchangeView, InboxView, IncomingStatusView
from signing.api import (
    ChallengeView,
    DeviceConfirmView,
    DeviceListView,
    DeviceRevokeView,
    SignatureImageView,
    TokenDeviceEnrolView,
    TrustCrlView,
    TrustRootListView,
    TrustView,
)
from web.api_absences import AbsenceEndView, AbsenceListView
from web.api_signing import DocumentSignPrepareView
from web.api_tasks import (
    DocumentLegalReviewView,
    DocumentSignerView,
    DocumentSubmitView,
    DocumentWithdrawView,
    TaskCompleteView,
    TaskDetailView,
    TaskListView,
)

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<id:token_id>/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    path("auth/socket-ticket/", SocketTicketView.as_view(), name="api-socket-ticket"),
    path("me/", MeView.as_view(), name="api-me"),
    path("units/", UnitListView.as_view(), name="api-units"),
    path("calendar/", CalendarView.as_view(), name="api-calendar"),
    path("calendar/deadline/", CalendarDeadlineView.as_view(), name="api-calendar-deadline"),
    path("calendar/<str:day>/", CalendarDayView.as_view(), name="api-calendar-day"),
    path("people/", PeopleView.as_view(), name="api-people"),
    path("absences/", AbsenceListView.as_view(), name="api-absences"),
    path("absences/<id:absence_id>/end/", AbsenceEndView.as_view(), name="api-absence-end"),
    path("documents/", DocumentListView.as_view(), name="api-documents"),
    path("documents/import/", DocumentImportView.as_view(), name="api-document-import"),
    path("documents/<id:plan_id>/", DocumentDetailView.as_view(), name="api-document"),
    path("documents/<id:plan_id>/docx/", DocumentDocxView.as_view(), name="api-document-docx"),
    path("documents/<id:plan_id>/pdf/", DocumentPdfView.as_view(), name="api-document-pdf"),
    path(
        "documents/<id:plan_id>/submit/", DocumentSubmitView.as_view(), name="api-document-submit"
    ),
    path(
        "documents/<id:plan_id>/withdraw/",
        DocumentWithdrawView.as_view(),
        name="api-document-withdraw",
    ),
    path(
        "documents/<id:plan_id>/signer/", DocumentSignerView.as_view(), name="api-document-signer"
    ),
    path(
        "documents/<id:plan_id>/legal-review/",
        DocumentLegalReviewView.as_view(),
        name="api-document-legal-review",
    ),
    path(
        "documents/<id:plan_id>/issue-preview/",
        DocumentIssuePreviewView.as_view(),
        name="api-document-issue-preview",
    ),
    path(
        "documents/<id:plan_id>/acknowledge/",
        ReceiptAcknowledgeView.as_view(),
        name="api-document-acknowledge",
    ),
    path(
        "documents/<id:plan_id>/versions/",
        DocumentVersionListView.as_view(),
        name="api-document-versions",
    ),
    path(
        "documents/<id:plan_id>/versions/<id:number>/",
        DocumentVersionDetailView.as_view(),
        name="api-document-version",
    ),
    path(
        "documents/<id:plan_id>/versions/<id:number>/consolidation/docx/",
        VersionConsolidationDocxView.as_view(),
        name="api-version-consolidation-docx",
    ),
    path(
        "documents/<id:plan_id>/versions/<id:number>/consolidation/pdf/",
        VersionConsolidationPdfView.as_view(),
        name="api-version-consolidation-pdf",
    ),
    path(
        "documents/<id:plan_id>/compare/",
        DocumentCompareView.as_view(),
        name="api-document-compare",
    ),
    path(
        "documents/<id:plan_id>/compare/docx/",
        DocumentCompareDocxView.as_view(),
        name="api-document-compare-docx",
    ),
    path(
        "documents/<id:plan_id>/sign/prepare/",
        DocumentSignPrepareView.as_view(),
        name="api-document-sign-prepare",
    ),
    path("signing/challenge/", ChallengeView.as_view(), name="api-signing-challenge"),
    path("signing/devices/", DeviceListView.as_view(), name="api-signing-devices"),
    path(
        "signing/devices/token/", TokenDeviceEnrolView.as_view(), name="api-signing-token-devices"
    ),
    path(
        "signing/devices/<id:device_id>/confirm/",
        DeviceConfirmView.as_view(),
        name="api-signing-device-confirm",
    ),
    path(
        "signing/devices/<id:device_id>/revoke/",
        DeviceRevokeView.as_view(),
        name="api-signing-device-revoke",
    ),
    path(
        "signing/signature-image/", SignatureImageView.as_view(), name="api-signing-signature-image"
    ),
    path("signing/trust-roots/", TrustRootListView.as_view(), name="api-signing-trust-roots"),
    path("incoming/", IncomingListView.as_view(), name="api-incoming"),
    path("incoming/import/", IncomingImportView.as_view(), name="api-incoming-import"),
    path("incoming/<id:incoming_id>/", IncomingDetailView.as_view(), name="api-incoming-detail"),
    path("incoming/<id:incoming_id>/file/", IncomingFileView.as_view(), name="api-incoming-file"),
    path(
        "incoming/<id:incoming_id>/exchange-status/",
        IncomingStatusView.as_view(),
        name="api-incoming-exchange-status",
    ),
    path("exchange/inbox/", InboxView.as_view(), name="api-exchange-inbox"),
    path(
        "documents/<id:plan_id>/exchange/",
        DocumentExchangeView.as_view(),
        name="api-document-exchange",
    ),
    path(
        "incoming/<id:incoming_id>/start-plan/",
        IncomingStartPlanView.as_view(),
        name="api-incoming-start-plan",
    ),
    path("registers/", RegisterListView.as_view(), name="api-registers"),
    path(
        "registers/<id:register_id>/entries/",
        RegisterEntryListView.as_view(),
        name="api-register-entries",
    ),
    path("verify/", VerifyView.as_view(), name="api-verify"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("dashboard/", DashboardView.as_view(), name="api-dashboard"),
    path("dashboard/plans/", DashboardPlanListView.as_view(), name="api-dashboard-plans"),
    path("tasks/", TaskListView.as_view(), name="api-tasks"),
    path("tasks/<id:task_id>/", TaskDetailView.as_view(), name="api-task"),
    path("tasks/<id:task_id>/complete/", TaskCompleteView.as_view(), name="api-task-complete"),
    path("trust/", TrustView.as_view(), name="api-trust"),
    path("trust/crl/", TrustCrlView.as_view(), name="api-trust-crl"),
    path("", include("notifications.urls")),
]
