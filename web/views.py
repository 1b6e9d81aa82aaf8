"""The pages: inbox, plan create / edit / detail, task page, downloads.

Thin edges (DESIGN.md): parse the request, call one service (documents.services,
workflows.services), answer. Reads go through the selectors; the few small reads that have no
selector yet are the `_`-prefixed helpers below, and they only read.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.errors import DomainError, InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import Unit, User
from agencies.parsers import loads_strict
from agencies.selectors import unit_list_active, user_list_with_role
from agencies.working_days import deadline_preview
from documents import selectors as document_selectors
from documents import services as documents
from documents.budget import ADJUST, AGREE, QUESTION, reviewed_figures
from documents.consolidation_selectors import version_consolidation_docx as consolidation_docx
from documents.consolidation_selectors import version_consolidation_pdf as consolidation_pdf
from documents.content import SECTION_KINDS, Block, ContentError, PlanContent, UnitRef
from documents.models import ConsultationRequest, Plan, PlanEvent, Receipt
from documents.permissions import plan_permissions
from documents.rendering import format_vnd, point_letter, roman
from documents.selectors import (
    consultation_list,
    consultation_rounds,
    plan_event_list,
    plan_get_visible,
    plan_import_notes,
    plan_is_visible,
    plan_issue_preview,
    plan_page_drafted,
    plan_page_visible,
    plan_version_list,
    receipt_list,
    receipt_page_of_unit,
    version_with_consolidation,
)
from documents.types import issuable_types
from exchange.selectors import exchange_rows_by_unit
from workflows import services as workflows

from . import views_compare
from .forms import (
    DEFAULT_CONSULTATION_WORKING_DAYS,
    PlanCreateForm,
    PlanImportForm,
    default_consultation_deadline,
    task_input,
)

logger = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATUS_LABELS = dict(Plan.Status.choices)


def section_kind_labels() -> dict[str, str]:
    return {
        "general": _("Mục chung"),
        "purpose": _("Mục đích, yêu cầu"),
        "tasks": _("Nội dung, nhiệm vụ"),
        "budget": _("Kinh phí"),
        "implementation": _("Tổ chức thực hiện"),
    }


def version_reason_labels() -> dict[str, str]:
    return {
        "submitted": _("Trình lãnh đạo đơn vị"),
        "resubmitted": _("Trình lại sau khi chỉnh sửa"),
        "consolidated": _("Sau tổng hợp, tiếp thu ý kiến"),
    }


def task_status_labels() -> dict[str, str]:
    return {
        STATUS.NEW: _("Chờ xử lý"),
        STATUS.ASSIGNED: _("Đã nhận xử lý"),
        STATUS.STARTED: _("Đang xử lý"),
        STATUS.DONE: _("Hoàn thành"),
        STATUS.CANCELED: _("Đã hủy"),
        STATUS.ERROR: _("Lỗi"),
        STATUS.SCHEDULED: _("Đã hẹn giờ"),
    }


# ---------------------------------------------------------------------------------------------
# Formatting: how the document writes numbers, money and dates


def block_label(depth: int, index: int) -> str:
    if depth == 0:
        return f"{roman(index + 1)}."
    if depth == 1:
        return f"{index + 1}."
    if depth == 2:
        return f"{point_letter(index)})"
    return "-"


def vnd(amount: int | None) -> str:
    return "" if amount is None else format_vnd(amount)


def plan_number_text(plan: Plan) -> str:
    """ "262/KH-UBND" once issued, else ""."""
    return document_selectors.plan_number_text(plan).removeprefix("Số: ")


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


# ---------------------------------------------------------------------------------------------
# Read helpers (pure reads with no selector yet)


def _unit_names(refs: list[UnitRef]) -> list[str]:
    return [ref.name for ref in refs]


def _task_view(task: Any) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "lead_units": _unit_names(task.lead_units),
        "coordinating_units": _unit_names(task.coordinating_units),
        "timeline": task.timeline,
        "budget_vnd": task.budget_vnd,
        "budget_text": vnd(task.budget_vnd),
        "budget_source": task.budget_source,
    }


def _block_view(block: Block, depth: int, index: int) -> dict[str, Any]:
    return {
        "label": block_label(depth, index),
        "depth": depth,
        # "a) Tổ chức tập huấn…": a point that is just a task reads with its label on the task.
        "label_on_task": not block.title and not block.paragraphs and bool(block.tasks),
        "title": block.title,
        "paragraphs": block.paragraphs,
        "tasks": [_task_view(t) for t in block.tasks],
        "children": [_block_view(c, depth + 1, i) for i, c in enumerate(block.children)],
    }


def content_view(plan: Plan) -> dict[str, Any] | None:
    """The plan's content laid out as the document reads (I., 1., a)), or None if unreadable."""
    try:
        content = PlanContent.from_dict(plan.content)
    except ContentError:
        logger.warning("plan %s: stored content does not validate", plan.pk)
        return None
    tasks = [_task_view(t) for t in content.all_tasks()]
    total = content.budget_total_vnd()
    # Sở Tài chính's approved review: each line's reviewed figure beside the original one.
    review = document_selectors.plan_budget_review_lines(plan=plan)
    figures = reviewed_figures(content, list(review)) if review else None
    for index, view in enumerate(tasks):
        line = figures.lines.get(index) if figures else None
        view["review"] = line
        view["reviewed_text"] = vnd(line.reviewed_vnd) if line and line.is_adjusted else ""
    return {
        "budget_reviewed": figures is not None,
        "budget_is_adjusted": bool(figures and figures.is_adjusted),
        "budget_reviewed_total_text": vnd(figures.reviewed_total_vnd) if figures else "",
        "content": content,
        "sections": [_block_view(b, 0, i) for i, b in enumerate(content.sections)],
        "tasks": tasks,
        "budget_total_vnd": total,
        "budget_total_text": vnd(total),
        "has_budget": any(t["budget_vnd"] is not None for t in tasks),
        "reporting_deadlines": [
            {"text": d.text, "due_date": _parse_date(d.due_date)}
            for d in content.reporting_deadlines
        ],
        "signature_lines": content.signature.lines(),
        "recipient_names": _unit_names(content.recipients.units) + content.recipients.lines,
        "place": content.place,
    }


def _plans_by_id(tasks: list[Task]) -> dict[int, Plan]:
    ids = {t.process.artifact_object_id for t in tasks if t.process.artifact_object_id}
    return Plan.objects.select_related("drafting_unit").in_bulk(ids)


def _task_title(task: Task) -> str:
    spec = workflows.spec_for(task.flow_task.name)
    title = str(spec.title) if spec else str(task.flow_task)
    unit = (task.data or {}).get("unit")
    if task.flow_task.name == "consult" and unit:
        title = f"{title} — {unit}"
    return title


def _open_tasks_for_plan(user: User, plan: Plan) -> list[Task]:
    return list(workflows.task_list_open(user=user).filter(process__artifact_object_id=plan.pk))


def _own_receipt(user: User, plan: Plan) -> Receipt | None:
    if not user.unit_id or plan.status != Plan.Status.ISSUED:
        return None
    return Receipt.objects.filter(plan=plan, unit_id=user.unit_id).first()


def _last_return(plan: Plan) -> PlanEvent | None:
    return plan.events.filter(kind=PlanEvent.Kind.RETURNED).order_by("-sequence").first()


def _consultation_rows(plan: Plan) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for request in consultation_list(plan=plan, round=plan.consultation_round):
        rows.append(
            {
                "request": request,
                "is_overdue": not request.is_answered and request.deadline < now,
            }
        )
    return rows


def _units_by_kind(exclude_id: int | None) -> list[dict[str, Any]]:
    groups: dict[str, list[Unit]] = {}
    for unit in unit_list_active().exclude(pk=exclude_id):
        groups.setdefault(unit.kind, []).append(unit)
    labels = dict(Unit.Kind.choices)
    order = [k for k, _label in Unit.Kind.choices]
    return [
        {"kind": kind, "label": labels.get(kind, kind), "units": groups[kind]}
        for kind in sorted(groups, key=lambda k: order.index(k) if k in order else len(order))
    ]


def _api_url(name: str) -> str:
    """An API address for a page's script; "" where the API is not served (page-only URLconf)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def task_panel(task: Task, plan: Plan) -> dict[str, Any]:
    """What the task form needs: actions, and the data fields of its node."""
    node = task.flow_task.name
    spec = workflows.task_spec(task)
    actions = list(spec.actions)
    panel: dict[str, Any] = {
        "task": task,
        "node": node,
        "form": spec.form,
        "title": _task_title(task),
        "actions": actions,
        "comment_always_required": all(a.comment_required for a in actions),
        "comment_required_labels": [a.label for a in actions if a.comment_required],
        "is_revise": spec.form == "revise",
        "deadline": _parse_datetime((task.data or {}).get("deadline")),
    }
    if spec.form == "choose":
        panel["unit_groups"] = _units_by_kind(plan.drafting_unit_id)
        panel["default_deadline"] = default_consultation_deadline()
        panel["default_working_days"] = DEFAULT_CONSULTATION_WORKING_DAYS
        panel["deadline_preview_url"] = _api_url("api-calendar-deadline")
        panel["deadline_preview"] = deadline_preview(working_days=DEFAULT_CONSULTATION_WORKING_DAYS)
    elif spec.form == "consolidate":
        panel["requests"] = [
            r
            for r in consultation_list(plan=plan, round=plan.consultation_round)
            if r.needs_resolution
        ]
        panel["resolution_choices"] = ConsultationRequest.Resolution.choices
    elif spec.form == "budget":
        panel["budget"] = document_selectors.plan_budget_summary(plan=plan)
        panel["verdict_choices"] = [
            (AGREE, _("Đồng ý")),
            (ADJUST, _("Điều chỉnh")),
            (QUESTION, _("Đề nghị làm rõ")),
        ]
    elif panel["is_revise"]:
        panel["last_return"] = _last_return(plan)
    elif spec.form == "issue" and plan.status == Plan.Status.SIGNED:
        panel["issue_preview"] = plan_issue_preview(plan=plan)
    return panel


def _process_rows(plan: Plan) -> list[dict[str, Any]]:
    labels = task_status_labels()
    return [
        {
            "title": _task_title(task),
            "owner": task.owner,
            "status": task.status,
            "status_label": labels.get(task.status, task.status),
            "created": task.created,
            "finished": task.finished,
        }
        for task in workflows.task_list_for_plan(plan=plan)
    ]


# ---------------------------------------------------------------------------------------------
# Inbox


#: How many items each list of the inbox page shows at a time.
INBOX_PAGE = {"tasks": 20, "drafts": 20, "received": 20, "related": 20}


@dataclass(frozen=True)
class PageOf:
    """One page of a list of the inbox page; `next_url` shows the older ones (keyset cursor)."""

    items: list[Any]
    next_url: str | None
    is_first: bool
    first_url: str


def _page_of(
    request: HttpRequest,
    name: str,
    fetch: Callable[[int | None, int], list[Any]],
    key: Callable[[Any], int] = lambda item: item.pk,
) -> PageOf:
    """The page of list `name` below the cursor `?<name>_before=<id>`, newest first."""
    param, size = f"{name}_before", INBOX_PAGE.get(name, 20)
    raw = request.GET.get(param, "")
    before = int(raw) if raw.isdigit() and 0 < len(raw) < 19 else None
    items = list(fetch(before, size + 1))
    query = request.GET.copy()
    query.pop(param, None)
    first_url = f"?{query.urlencode()}#{name}" if query else f"?#{name}"
    next_url = None
    if len(items) > size:
        items = items[:size]
        query[param] = str(key(items[-1]))
        next_url = f"?{query.urlencode()}#{name}"
    return PageOf(items=items, next_url=next_url, is_first=before is None, first_url=first_url)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The user's inbox: open tasks, own drafts, incoming documents, everything related; each
    list a page at a time (newest first), read through indexes whatever the province holds."""
    user = request.user
    tasks = _page_of(
        request,
        "tasks",
        lambda before, limit: workflows.task_page_open(user=user, before=before, limit=limit),
    )
    plans = _plans_by_id(tasks.items)
    inbox = [
        {
            "task": task,
            "title": _task_title(task),
            "plan": plans.get(task.process.artifact_object_id),
            "deadline": _parse_datetime((task.data or {}).get("deadline")),
        }
        for task in tasks.items
    ]
    drafts = _page_of(
        request,
        "drafts",
        lambda before, limit: plan_page_drafted(user=user, before=before, limit=limit),
    )
    received = _page_of(
        request,
        "received",
        lambda before, limit: receipt_page_of_unit(
            unit_id=user.unit_id, before=before, limit=limit
        ),
    )
    related = _page_of(
        request,
        "related",
        lambda before, limit: plan_page_visible(user=user, before=before, limit=limit),
    )
    return render(
        request,
        "pages/home.html",
        {
            "inbox": inbox,
            "tasks_page": tasks,
            "drafts": drafts.items,
            "drafts_page": drafts,
            "received": [
                {"plan": r.plan, "receipt": r, "number_text": plan_number_text(r.plan)}
                for r in received.items
            ],
            "received_page": received,
            "visible": related.items,
            "related_page": related,
            "can_create": user.role == User.Role.DRAFTER,
            "now": timezone.now(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Plans


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    """Start a plan: blank (title, year) or from a Word file."""
    if request.user.role != User.Role.DRAFTER:
        raise PermissionDenied(_("Chỉ chuyên viên soạn thảo mới được tạo kế hoạch."))
    blank_form = PlanCreateForm(prefix="blank")
    import_form = PlanImportForm(prefix="import")
    status = 200
    if request.method == "POST":
        mode = request.POST.get("mode")
        try:
            if mode == "import":
                import_form = PlanImportForm(request.POST, request.FILES, prefix="import")
                if import_form.is_valid():
                    plan = _import_file(request, import_form.cleaned_data["file"].read())
                    return redirect("plan-edit", plan_id=plan.pk)
            else:
                blank_form = PlanCreateForm(request.POST, prefix="blank")
                if blank_form.is_valid():
                    plan = documents.plan_create(actor=request.user, content=blank_form.content())
                    messages.success(request, _("Đã tạo dự thảo kế hoạch. Hãy soạn nội dung."))
                    return redirect("plan-edit", plan_id=plan.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            status = 400
    return render(
        request,
        "pages/plan_create.html",
        {"blank_form": blank_form, "import_form": import_form},
        status=status,
    )


def _import_file(request: HttpRequest, data: bytes) -> Plan:
    """Import the Word file or PDF; the page follows a scan's OCR (import_progress)."""
    from .import_progress import progress_reporter

    try:
        plan, result = documents.plan_import_docx(
            actor=request.user, data=data, progress=progress_reporter(request)
        )
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        # A damaged file is bad input, not a server error.
        logger.info("import refused: %r", exc)
        raise InvalidInput(_("Không đọc được nội dung tệp này.")) from exc
    pdf = result.source.get("pdf") or {}
    if pdf.get("ocr_pages"):
        messages.success(
            request,
            _(
                "Đã nhập kế hoạch từ tệp PDF quét: đã nhận dạng chữ %(count)d trang trong "
                "%(seconds)s giây. Vui lòng kiểm tra kỹ nội dung."
            )
            % {"count": len(pdf["ocr_pages"]), "seconds": round(pdf.get("seconds") or 0)},
        )
    else:
        messages.success(request, _("Đã nhập kế hoạch từ tệp. Vui lòng kiểm tra lại nội dung."))
    warnings = list(getattr(result, "warnings", None) or [])
    for warning in warnings[:5]:
        messages.warning(request, str(warning))
    if len(warnings) > 5:
        messages.warning(request, _("… và %(count)d cảnh báo khác.") % {"count": len(warnings) - 5})
    unplaced = getattr(result, "unplaced", None) or []
    if unplaced:
        messages.warning(
            request,
            _(
                "Có %(count)d đoạn chưa xếp được vào mục nào; vui lòng kiểm "
                "tra lại trong trình soạn thảo."
            )
            % {"count": len(unplaced)},
        )
    return plan


def _editor_data(plan: Plan) -> dict[str, Any]:
    """What editor.js needs besides the content: the unit directory and the signers."""
    kinds = dict(Unit.Kind.choices)
    return {
        "units": [
            {
                "id": u.pk,
                "name": u.name,
                "short_name": u.short_name,
                "kind": u.kind,
                "kind_label": str(kinds.get(u.kind, u.kind)),
            }
            for u in unit_list_active()
        ],
        "signers": [
            {"id": u.pk, "name": u.display_name, "position": u.position}
            for u in user_list_with_role(User.Role.SIGNER).order_by("full_name")
        ],
        "section_kinds": [{"value": k, "label": section_kind_labels()[k]} for k in SECTION_KINDS],
        "authority_forms": ["TM.", "KT.", "Q.", "TL.", "TUQ."],
        "doc_types": [
            {
                "value": t.abbreviation,
                "label": f"{t.abbreviation} — {t.label}"
                + (_(" (số không có tên loại: 12/UBND-VX)") if t.layout == "letter" else ""),
            }
            for t in issuable_types()
        ],
    }


def _read_content(request: HttpRequest) -> Any:
    raw = (
        request.body
        if request.content_type == "application/json"
        else (request.POST.get("content") or "").encode()
    )
    try:
        return loads_strict(raw or b"null")
    except ValueError as exc:
        raise InvalidInput(
            _("Dữ liệu gửi lên không phải là JSON hợp lệ: %(reason)s.") % {"reason": exc}
        ) from exc


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The structured editor (static/js/editor.js); POST saves the whole content at once."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    if request.method == "POST":
        wants_json = request.content_type == "application/json"
        try:
            plan = documents.plan_update_content(
                plan=plan, actor=request.user, content=_read_content(request)
            )
        except DomainError as exc:
            if wants_json:
                return JsonResponse({"ok": False, "error": exc.message}, status=exc.status)
            raise
        message = _("Đã lưu nội dung kế hoạch.")
        if wants_json:
            return JsonResponse(
                {
                    "ok": True,
                    "message": message,
                    "content": plan.content,
                    "saved_at": timezone.localtime(plan.updated_at).strftime("%H:%M:%S %d/%m/%Y"),
                }
            )
        messages.success(request, message)
        return redirect("plan-edit", plan_id=plan.pk)
    if plan.drafter_id != request.user.pk:
        raise PermissionDenied(_("Chỉ người soạn thảo văn bản mới được sửa nội dung."))
    if not plan.is_editable:
        raise StateError(
            _("Chỉ được sửa nội dung khi văn bản là dự thảo, bị trả lại hoặc đang tổng hợp ý kiến.")
        )
    return render(
        request,
        "pages/plan_edit.html",
        {
            "plan": plan,
            "content": plan.content,
            "editor_data": _editor_data(plan),
            "import_notes": plan_import_notes(plan=plan),
            "open_tasks": [
                {"task": t, "title": _task_title(t)}
                for t in _open_tasks_for_plan(request.user, plan)
            ],
        },
    )


def _receipts_with_exchange(plan: Plan) -> list[Receipt]:
    """The receipts, each with `exchange`: how its edXML package stands (external units)."""
    rows = exchange_rows_by_unit(plan=plan)
    receipts = list(receipt_list(plan=plan))
    for receipt in receipts:
        receipt.exchange = rows.get(receipt.unit_id)  # type: ignore[attr-defined]
    return receipts


@login_required
@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan as the document reads, its open task, consultation, receipts and history."""
    user = request.user
    plan = plan_get_visible(user=user, plan_id=plan_id)
    is_drafter = plan.drafter_id == user.pk
    receipt = _own_receipt(user, plan)
    show_receipts = plan.status == Plan.Status.ISSUED and (
        is_drafter or user.role == User.Role.CLERK
    )
    events = [
        {
            "event": e,
            "from_label": STATUS_LABELS.get(e.from_status, e.from_status),
            "to_label": STATUS_LABELS.get(e.to_status, e.to_status),
        }
        for e in plan_event_list(plan=plan)
    ]
    reasons = version_reason_labels()
    versions = [
        {
            "version": v,
            "reason_label": reasons.get(v.reason, v.reason),
            "is_signed": v.pk == plan.signed_version_id,
        }
        for v in plan_version_list(plan=plan)
    ]
    return render(
        request,
        "pages/plan_detail.html",
        {
            "plan": plan,
            "number_text": plan_number_text(plan),
            "doc": content_view(plan),
            "is_drafter": is_drafter,
            **plan_permissions(plan, user),
            "signers": [
                u
                for u in user_list_with_role(User.Role.SIGNER).order_by("full_name")
                if u.pk != plan.signer_id
            ],
            "task_panels": [task_panel(t, plan) for t in _open_tasks_for_plan(user, plan)],
            "consultation_rows": _consultation_rows(plan),
            "consultation_rounds": (
                consultation_rounds(plan=plan) if plan.consultation_round > 1 else None
            ),
            "receipts": _receipts_with_exchange(plan) if show_receipts else None,
            "can_acknowledge": receipt is not None and receipt.acknowledged_at is None,
            "own_receipt": receipt,
            "versions": versions,
            "events": events,
            "consolidated_version": version_with_consolidation(plan=plan),
            "process_rows": _process_rows(plan),
            "since_seen": views_compare.since_last_seen(user=user, plan=plan),
        },
    )


@login_required
@require_GET
def plan_consultations(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The consultation table of the current round, as an HTML fragment (plan.js reloads it)."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    return render(
        request,
        "pages/_consultations.html",
        {"plan": plan, "consultation_rows": _consultation_rows(plan)},
    )


@login_required
@require_POST
def plan_submit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The drafter submits the draft to the head of the drafting agency (starts the process)."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    try:
        workflows.plan_submit(plan=plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã trình lãnh đạo đơn vị duyệt dự thảo."))
    return redirect("plan-detail", plan_id=plan.pk)


@login_required
@require_POST
def plan_withdraw(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The drafter withdraws the plan, saying why (any step before the signature)."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    try:
        workflows.plan_withdraw(
            plan=plan, actor=request.user, comment=request.POST.get("comment") or ""
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã rút văn bản; các nhiệm vụ đang mở đã được đóng."))
    return redirect("plan-detail", plan_id=plan.pk)


@login_required
@require_POST
def plan_legal_review(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The drafter asks Sở Tư pháp to review the plan, or drops the request (before vetting)."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    requested = request.POST.get("requested") == "1"
    try:
        documents.plan_legal_review_request(plan=plan, actor=request.user, requested=requested)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Đã đề nghị Sở Tư pháp thẩm định.")
            if requested
            else _("Đã thôi đề nghị Sở Tư pháp thẩm định."),
        )
    return redirect("plan-detail", plan_id=plan.pk)


@login_required
@require_POST
def plan_signer(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The Chủ tịch hands the signature to a Phó Chủ tịch, or takes it back."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    try:
        changed = workflows.plan_signer_change(
            plan=plan,
            actor=request.user,
            signer_id=request.POST.get("signer_id") or "",
            reason=request.POST.get("reason") or "",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Đã giao ký văn bản cho %(name)s.") % {"name": changed.signer.display_name},
        )
    return redirect("plan-detail", plan_id=plan.pk)


@login_required
@require_POST
def plan_acknowledge(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A user of a recipient unit acknowledges receipt of the issued plan."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    try:
        documents.receipt_acknowledge(plan=plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xác nhận đơn vị nhận được văn bản."))
    return redirect("plan-detail", plan_id=plan.pk)


@login_required
@require_GET
def plan_docx(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    response = HttpResponse(document_selectors.render_docx(plan=plan), content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_file_stem(plan)}.docx"'
    return response


@login_required
@require_GET
def plan_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    pdf, kind = document_selectors.plan_pdf(plan=plan)
    suffix = {"draft": "-du-thao", "signed": "-da-ky"}.get(kind, "")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_file_stem(plan)}{suffix}.pdf"'
    return response


def _consolidated_version(request: HttpRequest, plan_id: int, number: int) -> Any:
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    version = document_selectors.plan_version_get(plan=plan, number=number)
    if version.consolidation is None:
        raise NotFound(_("Phiên bản này không kèm bảng tổng hợp ý kiến."))
    return version


@login_required
@require_GET
def version_consolidation_docx(request: HttpRequest, plan_id: int, number: int) -> HttpResponse:
    """The consolidation (bảng tổng hợp, tiếp thu, giải trình ý kiến) sent on with a version."""
    version = _consolidated_version(request, plan_id, number)
    response = HttpResponse(consolidation_docx(version=version), content_type=DOCX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="tong-hop-y-kien-{plan_id}-v{number}.docx"'
    )
    return response


@login_required
@require_GET
def version_consolidation_pdf(request: HttpRequest, plan_id: int, number: int) -> HttpResponse:
    version = _consolidated_version(request, plan_id, number)
    response = HttpResponse(consolidation_pdf(version=version), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tong-hop-y-kien-{plan_id}-v{number}.pdf"'
    return response


def _file_stem(plan: Plan) -> str:
    """An ASCII file name: ke-hoach-12, or ke-hoach-262-2023 once issued."""
    if plan.number is not None and plan.issued_on is not None:
        return f"ke-hoach-{plan.number:02d}-{plan.issued_on.year}"
    return f"ke-hoach-{plan.pk}"


# ---------------------------------------------------------------------------------------------
# Tasks


def _render_task(request: HttpRequest, task_id: int, *, status: int = 200) -> HttpResponse:
    task = workflows.task_get_open(user=request.user, task_id=task_id)
    plan = workflows.task_plan(task)
    return render(
        request,
        "pages/task_detail.html",
        {
            "plan": plan,
            "panel": task_panel(task, plan),
            "doc": content_view(plan),
            "number_text": plan_number_text(plan),
            "consultation_rows": _consultation_rows(plan) if plan.consultation_round else [],
            "since_seen": views_compare.since_last_seen(user=request.user, plan=plan),
            "consolidated_version": version_with_consolidation(plan=plan),
        },
        status=status,
    )


def _closed_task_redirect(request: HttpRequest, task_id: int) -> HttpResponse:
    task = Task.objects.filter(pk=task_id).select_related("process").first()
    if task is not None and task.process.artifact_object_id:
        plan = Plan.objects.filter(pk=task.process.artifact_object_id).first()
        if plan is not None and plan_is_visible(user=request.user, plan=plan):
            return redirect("plan-detail", plan_id=plan.pk)
    return redirect("home")


def _issued_message(request: HttpRequest, plan: Plan) -> None:
    """Name the number given; say so when it is not the one the page showed (another clerk
    issued in between and took it)."""
    given = plan_number_text(plan)
    shown = request.POST.get("expected_number", "")
    # A number as the page wrote it; anything else (typed by hand) is ignored.
    if shown.isascii() and shown.isdigit() and len(shown) < 10 and int(shown) != plan.number:
        messages.warning(
            request,
            _(
                "Số %(shown)s vừa được cấp cho văn bản khác trước khi bạn xác nhận. "
                "Văn bản này đã phát hành với số %(given)s."
            )
            % {"shown": f"{int(shown):02d}", "given": given},
        )
        return
    messages.success(request, _("Đã phát hành: Số %(number)s.") % {"number": given})


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """One of the user's open tasks; POST completes it with one of its actions."""
    if request.method == "GET":
        return _render_task(request, task_id)
    try:
        task = workflows.task_get_open(user=request.user, task_id=task_id)
        spec = workflows.task_spec(task)
        action, comment, data = task_input(spec.form, request.POST)
        completion = workflows.task_complete(
            task_id=task_id, actor=request.user, action=action, comment=comment, data=data
        )
    except StateError as exc:
        # Someone else, or a deadline, closed the task meanwhile: show the plan as it is now.
        messages.error(request, exc.message)
        return _closed_task_redirect(request, task_id)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return _render_task(request, task_id, status=exc.status)
    label = next((a.label for a in spec.actions if a.code == action), action)
    if spec.form == "issue" and completion.plan.number is not None:
        _issued_message(request, completion.plan)
    else:
        messages.success(
            request,
            _("Đã thực hiện “%(action)s”: %(task)s.") % {"action": label, "task": spec.title},
        )
    if not plan_is_visible(user=request.user, plan=completion.plan):
        return redirect("home")
    return redirect("plan-detail", plan_id=completion.plan.pk)
