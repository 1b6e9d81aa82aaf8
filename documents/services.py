"""Every state change of a plan: lock, check, transition, save, record, notify after commit.

Views, the API, the workflow and commands call these functions and nothing else to change a plan.
Callers that hold the workflow lock call them inside it (flow lock first, then the plan row).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_fsm import can_proceed

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import Unit, User
from agencies.selectors import user_list_heads_of, user_list_of_units, user_list_with_role
from agencies.validation import clean_comment, parse_id, parse_ids
from notifications.links import link
from notifications.services import notify_on_commit
from signing import services as signing

from . import conversion, rendering
from .content import ContentError, DocumentHeader, PlanContent
from .models import (
    ConsultationRequest,
    IncomingDocument,
    IncomingRegister,
    NumberReservation,
    OutgoingRegister,
    Plan,
    PlanAccess,
    PlanEvent,
    PlanVersion,
    PlanVersionSeen,
    Receipt,
    RenderedPdf,
    canonical_json,
    sha256_hex,
)
from .search import search_index_update, search_index_update_incoming
from .selectors import incoming_is_visible
from .types import TYPES_BY_ABBREVIATION
from .verification import plan_verify_url, public_address_check

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
Status = Plan.Status
Kind = PlanEvent.Kind
GENESIS_HASH = "0" * 64
#: The plan's fields that hold the head of its event chain (`_record`).
CHAIN_HEAD = ["events_count", "events_head"]


# ---------------------------------------------------------------------------------------------
# Building blocks


#: Plans whose row this thread (or request) holds locked, by id: `plan_locked` fills it.
_held: ContextVar[dict[int, Plan] | None] = ContextVar("plans_locked", default=None)


def _locking() -> QuerySet[Plan]:
    """Plans selected FOR UPDATE, with what services and the flow read of them.

    Only the plan's row is locked: without `of`, PostgreSQL would also lock the joined rows, and
    every plan names the same issuer (the UBND tỉnh), so all plans' actions would queue on one row.
    """
    return Plan.objects.select_for_update(of=("self",)).select_related(
        "issuer", "drafting_unit", "drafter", "signer"
    )


def _lock(plan: Plan) -> Plan:
    """Reload `plan` holding its row lock until the transaction ends.

    Inside `plan_locked` for the same plan, the instance locked there is returned (no statement):
    the caller's flow step and the service then work on one instance.
    """
    held = (_held.get() or {}).get(plan.pk)
    if held is not None:
        return held
    return _locking().get(pk=plan.pk)


@contextmanager
def plan_locked(*, where: Q) -> Iterator[Plan | None]:
    """In one transaction, lock the row of the plan matching `where` (None if there is none).

    Services called inside find the locked instance (`_lock`) instead of selecting it again. The
    workflow takes this as its flow lock, so the flow lock and the plan lock are one row lock.
    """
    with transaction.atomic():
        plan = _locking().filter(where).first()
        if plan is None:
            yield None
            return
        token = _held.set({**(_held.get() or {}), plan.pk: plan})
        try:
            yield plan
        finally:
            _held.reset(token)


def _unit_of_work(service: Callable[..., _T]) -> Callable[..., _T]:
    """`transaction.atomic` for a service; inside `plan_locked` (a flow step) without a savepoint.

    There the step is the unit of work: a refusal leaves the whole step, which rolls back, so a
    savepoint (two more statements) would protect nothing.
    """

    @functools.wraps(service)
    def run(*args: Any, **kwargs: Any) -> _T:
        with transaction.atomic(savepoint=not _held.get()):
            return service(*args, **kwargs)

    return run


def _require(plan: Plan, transition: Any, message: str | None = None) -> None:
    if not can_proceed(transition):
        raise StateError(
            message
            or f"Không thể thực hiện thao tác này khi văn bản đang ở trạng thái “{plan.get_status_display()}”."
        )


def _plan_url(plan: Plan) -> str:
    return link("plan", plan.pk)


def _record(
    plan: Plan,
    *,
    actor: User | None,
    kind: str,
    from_status: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
    save: bool = True,
) -> PlanEvent:
    """Append an audit event to the plan's hash chain. Call while holding the plan row lock.

    The chain's head (how many events, the last hash) is kept on the plan row, which the caller
    holds locked, so appending reads nothing. With `save=False` the caller saves the plan with
    `CHAIN_HEAD` among its fields (one UPDATE for the transition and the head).
    """
    event = PlanEvent(
        plan=plan,
        sequence=plan.events_count + 1,
        kind=kind,
        actor=actor,
        actor_name=actor.display_name if actor else "Hệ thống",
        from_status=from_status,
        to_status=plan.status,
        comment=comment,
        data=data or {},
        created_at=timezone.now(),
        previous_hash=plan.events_head or GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save()
    plan.events_count, plan.events_head = event.sequence, event.hash
    if save:
        Plan.objects.filter(pk=plan.pk).update(
            events_count=plan.events_count, events_head=plan.events_head
        )
    return event


def _grant(
    plan: Plan, *, reason: str, user: User | None = None, unit_id: int | None = None, role: str = ""
) -> None:
    """Let `user`, or the members of `unit_id` (with `role`), or everyone with `role`, see `plan`.

    One INSERT that does nothing if the same grant exists (the constraint unique_plan_access_grant).
    """
    PlanAccess.objects.bulk_create(
        [PlanAccess(plan=plan, user=user, unit_id=unit_id, role=role, reason=reason)],
        ignore_conflicts=True,
    )


def _notify(
    plan: Plan,
    user_ids: Iterable[int] | QuerySet[Any],
    *,
    kind: str,
    title: str,
    body: str = "",
    exclude: User | None = None,
) -> None:
    if exclude is not None:
        if isinstance(user_ids, QuerySet):
            user_ids = user_ids.exclude(pk=exclude.pk)
        else:
            user_ids = [i for i in user_ids if i != exclude.pk]
    notify_on_commit(
        user_ids=user_ids,
        kind=kind,
        title=title,
        body=body or plan.title,
        url=_plan_url(plan),
        data={"plan_id": plan.pk, "status": plan.status},
    )


def _snapshot(plan: Plan, *, actor: User, reason: str) -> PlanVersion:
    """Freeze the current content as the next immutable version."""
    plan.version_number += 1
    return PlanVersion.objects.create(
        plan=plan,
        number=plan.version_number,
        content=plan.content,
        content_sha256=sha256_hex(canonical_json(plan.content)),
        reason=reason,
        created_by=actor,
    )


def _comment_required(comment: str) -> str:
    return clean_comment(comment, label="lý do trả lại", required=True)


def _ensure_drafter(plan: Plan, actor: User) -> None:
    if actor.pk != plan.drafter_id:
        raise PermissionDenied("Chỉ người soạn thảo văn bản mới được thực hiện thao tác này.")


def _ensure_role(actor: User, role: str, message: str) -> None:
    if actor.role != role:
        raise PermissionDenied(message)


def latest_version(plan: Plan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


# ---------------------------------------------------------------------------------------------
# Content


def province_issuer() -> Unit:
    """The UBND tỉnh, issuer of every plan of the province."""
    issuer = (
        Unit.objects.filter(kind=Unit.Kind.PEOPLES_COMMITTEE, is_active=True).order_by("id").first()
    )
    if issuer is None:
        raise StateError("Chưa khai báo Ủy ban nhân dân tỉnh trong danh mục đơn vị.")
    return issuer


def _signature_for(signer: User, given: dict[str, Any]) -> dict[str, Any]:
    """The signature block derived from who signs: a Phó Chủ tịch signs "KT. CHỦ TỊCH"."""
    position = (signer.position or "Chủ tịch").strip()
    is_deputy = position.lower().startswith("phó")
    return {
        "authority": given.get("authority") or "TM.",
        "collective": given.get("collective") or "ỦY BAN NHÂN DÂN",
        "deputy_for": "CHỦ TỊCH" if is_deputy else "",
        "position": position.upper(),
        "signer_name": signer.display_name,
        "signer_id": signer.pk,
    }


def _clean_content(data: Any) -> tuple[dict[str, Any], User | None]:
    """Validate `data` as plan content; resolve the signer and directory units it names."""
    if not isinstance(data, dict):
        raise InvalidInput("Nội dung kế hoạch phải là một đối tượng JSON.")
    try:
        content = PlanContent.from_dict(data)
    except ContentError as exc:
        raise InvalidInput(str(exc)) from exc
    result = content.to_dict()
    signer = None
    if content.signature.signer_id is not None:
        signer = User.objects.filter(
            pk=content.signature.signer_id, role=User.Role.SIGNER, is_active=True
        ).first()
        if signer is None:
            raise InvalidInput("Người ký đã chọn không phải là lãnh đạo có thẩm quyền ký.")
        result["signature"] = _signature_for(signer, result["signature"])
    unit_ids = {u["unit_id"] for u in result["recipients"]["units"] if u["unit_id"] is not None}
    for task in content.all_tasks():
        unit_ids |= {u.unit_id for u in [*task.lead_units, *task.coordinating_units] if u.unit_id}
    known = set(Unit.objects.filter(pk__in=unit_ids).values_list("pk", flat=True))
    if unknown := unit_ids - known:
        raise InvalidInput(f"Đơn vị không có trong danh mục: {sorted(unknown)}.")
    return result, signer


@_unit_of_work
def plan_create(
    *,
    actor: User,
    content: dict[str, Any],
    kind: str = Kind.CREATED,
    data: dict[str, Any] | None = None,
) -> Plan:
    """A drafter (chuyên viên) starts a new plan of their unit."""
    _ensure_role(actor, User.Role.DRAFTER, "Chỉ chuyên viên soạn thảo mới được tạo kế hoạch.")
    if actor.unit_id is None:
        raise InvalidInput("Tài khoản của bạn chưa thuộc đơn vị nào.")
    cleaned, signer = _clean_content(content)
    plan = Plan.objects.create(
        title=cleaned["title"],
        doc_type=cleaned["doc_type"],
        year=cleaned["year"],
        issuer=province_issuer(),
        drafting_unit_id=actor.unit_id,
        drafter=actor,
        signer=signer,
        content=cleaned,
    )
    _record(plan, actor=actor, kind=kind, data=data)
    search_index_update(plan)
    return plan


@_unit_of_work
def plan_update_content(*, plan: Plan, actor: User, content: dict[str, Any]) -> Plan:
    """The drafter edits the plan while it is a draft, returned, or being consolidated."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    if not plan.is_editable:
        raise StateError(
            "Chỉ được sửa nội dung khi văn bản là dự thảo, bị trả lại hoặc đang tổng hợp ý kiến."
        )
    cleaned, signer = _clean_content(content)
    if cleaned == plan.content:
        return plan
    plan.content = cleaned
    plan.title, plan.year, plan.doc_type = cleaned["title"], cleaned["year"], cleaned["doc_type"]
    plan.signer = signer
    _record(plan, actor=actor, kind=Kind.EDITED, from_status=plan.status, save=False)
    plan.save(
        update_fields=["content", "title", "year", "doc_type", "signer", "updated_at", *CHAIN_HEAD]
    )
    search_index_update(plan)
    return plan


def plan_import_docx(*, actor: User, data: bytes, progress: Any = None) -> tuple[Plan, Any]:
    """Start a plan from a Word file or a PDF (importing.import_plan_file; a scan is read by
    OCR, `progress(pages_done, pages_total)` following it). A bad file, or one over the page or
    time limit, raises InvalidInput and creates nothing; what could not be placed, the issues
    and the header read from the file are kept in the audit event for the drafter to place."""
    from .importing import import_plan_file

    directory = list(Unit.objects.filter(is_active=True).values_list("pk", "name", "short_name"))
    result = import_plan_file(
        data, directory=directory, place=settings.PROVINCE_NAME, progress=progress
    )
    plan = plan_create(
        actor=actor,
        content=result.content,
        kind=Kind.IMPORTED,
        data={
            "unplaced": result.unplaced,
            "warnings": result.warnings,
            "issues": result.issues,
            "needs_review": result.needs_review,
            "source": result.source,
            "file_sha256": sha256_hex(bytes(data)),
        },
    )
    return plan, result


# ---------------------------------------------------------------------------------------------
# Agency approval and returns


def _require_signer(plan: Plan) -> None:
    if plan.signer_id is None:
        raise InvalidInput("Vui lòng chọn người ký (Chủ tịch hoặc Phó Chủ tịch) trong khối chữ ký.")


@_unit_of_work
def plan_submit_to_agency(*, plan: Plan, actor: User) -> Plan:
    """The drafter submits the draft to the head of the drafting agency."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.submit)
    _require_signer(plan)
    from_status = plan.status
    plan.submit()
    version = _snapshot(plan, actor=actor, reason="submitted")
    _record(
        plan,
        actor=actor,
        kind=Kind.SUBMITTED,
        from_status=from_status,
        data={"version": version.number},
        save=False,
    )
    plan.save(update_fields=["status", "version_number", "updated_at", *CHAIN_HEAD])
    _grant(plan, reason="agency_review", unit_id=plan.drafting_unit_id, role=User.Role.AGENCY_HEAD)
    _notify(
        plan,
        user_list_heads_of(plan.drafting_unit_id).values_list("pk", flat=True),
        kind="task.assigned",
        title="Kế hoạch chờ lãnh đạo đơn vị duyệt",
    )
    return plan


REVIEWERS_OF = {
    Status.AGENCY_REVIEW: "agency_head",
    Status.BUDGET_REVIEW: User.Role.FINANCE_REVIEWER,
    Status.VETTING: User.Role.OFFICE_VETTER,
    Status.AWAITING_SIGNATURE: "signer",
}


def _reviewer_ids(plan: Plan, status: str) -> QuerySet[Any] | list[int]:
    """Who reviews `plan` at `status`: ids, or a lazy queryset of them (read with the
    notification's unread counts in one statement)."""
    if status == Status.AGENCY_REVIEW:
        return user_list_heads_of(plan.drafting_unit_id).values_list("pk", flat=True)
    if status == Status.AWAITING_SIGNATURE:
        return [plan.signer_id] if plan.signer_id else []
    return user_list_with_role(REVIEWERS_OF[status]).values_list("pk", flat=True)


def _ensure_reviewer(plan: Plan, actor: User) -> None:
    """Only whoever holds the current review step may approve or return."""
    status = plan.status
    allowed = (
        (
            status == Status.AGENCY_REVIEW
            and actor.role == User.Role.AGENCY_HEAD
            and actor.unit_id == plan.drafting_unit_id
        )
        or (status == Status.BUDGET_REVIEW and actor.role == User.Role.FINANCE_REVIEWER)
        or (status == Status.VETTING and actor.role == User.Role.OFFICE_VETTER)
        or (status == Status.AWAITING_SIGNATURE and actor.pk == plan.signer_id)
    )
    if not allowed:
        raise PermissionDenied("Bạn không có thẩm quyền xử lý văn bản ở bước này.")


@_unit_of_work
def plan_return_to_drafter(*, plan: Plan, actor: User, comment: str) -> Plan:
    """A reviewer returns the plan to the drafter with a comment; it comes back to that step."""
    plan = _lock(plan)
    _require(plan, plan.return_to_drafter)
    _ensure_reviewer(plan, actor)
    comment = _comment_required(comment)
    from_status = plan.status
    plan.return_to_drafter()
    _record(
        plan, actor=actor, kind=Kind.RETURNED, from_status=from_status, comment=comment, save=False
    )
    plan.save(update_fields=["status", "returned_from", "updated_at", *CHAIN_HEAD])
    _notify(
        plan,
        [plan.drafter_id],
        kind="plan.returned",
        title=f"Kế hoạch bị trả lại bởi {actor.display_name}",
        body=comment,
    )
    return plan


@_unit_of_work
def plan_resubmit(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """The drafter sends a returned plan back to the step that returned it, as a new version."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.resubmit)
    _require_signer(plan)
    plan.resubmit()
    version = _snapshot(plan, actor=actor, reason="resubmitted")
    _record(
        plan,
        actor=actor,
        kind=Kind.RESUBMITTED,
        from_status=Status.RETURNED,
        comment=clean_comment(comment),
        data={"version": version.number},
        save=False,
    )
    plan.save(
        update_fields=["status", "returned_from", "version_number", "updated_at", *CHAIN_HEAD]
    )
    _notify(
        plan,
        _reviewer_ids(plan, plan.status),
        kind="task.assigned",
        title="Kế hoạch được trình lại sau khi chỉnh sửa",
    )
    return plan


@_unit_of_work
def plan_approve_release(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """The head of the drafting agency approves sending the plan out for consultation."""
    plan = _lock(plan)
    _require(plan, plan.approve_release)
    _ensure_reviewer(plan, actor)
    plan.approve_release()
    _record(
        plan,
        actor=actor,
        kind=Kind.APPROVED_RELEASE,
        from_status=Status.AGENCY_REVIEW,
        comment=clean_comment(comment),
        save=False,
    )
    plan.save(update_fields=["status", "updated_at", *CHAIN_HEAD])
    _notify(
        plan,
        [plan.drafter_id],
        kind="task.assigned",
        title="Lãnh đạo đã duyệt: chọn đơn vị lấy ý kiến",
    )
    return plan


# ---------------------------------------------------------------------------------------------
# Consultation (lấy ý kiến)


def _parse_deadline(deadline: Any) -> dt.datetime:
    if isinstance(deadline, str):
        try:
            deadline = dt.datetime.fromisoformat(deadline)
        except ValueError as exc:
            raise InvalidInput(
                "Hạn góp ý không hợp lệ (định dạng YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM)."
            ) from exc
    if isinstance(deadline, dt.date) and not isinstance(deadline, dt.datetime):
        # A date means the end of that day, local time.
        deadline = dt.datetime.combine(deadline, dt.time(23, 59, 59))
    if not isinstance(deadline, dt.datetime):
        raise InvalidInput("Vui lòng nhập hạn góp ý.")
    if timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    return deadline


@_unit_of_work
def plan_send_for_consultation(
    *,
    plan: Plan,
    actor: User,
    unit_ids: Sequence[int],
    deadline: Any,
    now: dt.datetime | None = None,
) -> list[ConsultationRequest]:
    """Send the approved plan to `unit_ids` for comments until `deadline`; one request each."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.send_for_consultation)
    ids = sorted(parse_ids(unit_ids, label="Danh sách đơn vị lấy ý kiến"))
    units = list(Unit.objects.filter(pk__in=ids, is_active=True))
    if len(units) != len(ids):
        raise InvalidInput("Có đơn vị không tồn tại trong danh mục.")
    if plan.drafting_unit_id in ids:
        raise InvalidInput("Không gửi lấy ý kiến chính đơn vị soạn thảo.")
    deadline = _parse_deadline(deadline)
    if ids and deadline <= (now or timezone.now()):
        raise InvalidInput("Hạn góp ý phải sau thời điểm hiện tại.")
    plan.send_for_consultation()
    plan.consultation_round += 1
    version = latest_version(plan)
    requests = [
        ConsultationRequest.objects.create(
            plan=plan, round=plan.consultation_round, unit=unit, deadline=deadline, version=version
        )
        for unit in units
    ]
    _record(
        plan,
        actor=actor,
        kind=Kind.SENT_FOR_CONSULTATION,
        from_status=Status.APPROVED,
        data={
            "units": [u.name for u in units],
            "deadline": deadline.isoformat(),
            "round": plan.consultation_round,
        },
        save=False,
    )
    plan.save(update_fields=["status", "consultation_round", "updated_at", *CHAIN_HEAD])
    for unit in units:
        _grant(plan, reason="consultation", unit_id=unit.pk)
    _notify(
        plan,
        user_list_of_units(ids).values_list("pk", flat=True),
        kind="task.assigned",
        title="Đề nghị góp ý dự thảo kế hoạch",
        body=f"{plan.title} — hạn góp ý {timezone.localtime(deadline):%H:%M %d/%m/%Y}",
    )
    return requests


@_unit_of_work
def consultation_answer_record(
    *, request: ConsultationRequest, actor: User, verdict: str, comment: str = ""
) -> ConsultationRequest:
    """A consulted agency answers: agree, agree with comments, or disagree."""
    plan = _lock(request.plan)
    request = (
        ConsultationRequest.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=request.pk)
    )
    if actor.unit_id != request.unit_id:
        raise PermissionDenied("Chỉ cán bộ của đơn vị được hỏi ý kiến mới được trả lời.")
    if plan.status != Status.IN_CONSULTATION or request.round != plan.consultation_round:
        raise StateError("Đợt lấy ý kiến này đã kết thúc.")
    if request.is_answered:
        raise StateError("Đơn vị đã trả lời hoặc đã quá hạn góp ý.")
    if verdict not in ConsultationRequest.Verdict.values:
        raise InvalidInput(
            "Ý kiến phải là: thống nhất, thống nhất có ý kiến, hoặc không thống nhất."
        )
    comment = clean_comment(comment, label="nội dung góp ý")
    if verdict != ConsultationRequest.Verdict.AGREE and not comment:
        raise InvalidInput("Vui lòng nhập nội dung góp ý.")
    request.verdict, request.comment = verdict, comment
    request.answered_by, request.answered_at = actor, timezone.now()
    request.save()
    _record(
        plan,
        actor=actor,
        kind=Kind.CONSULTATION_ANSWERED,
        from_status=plan.status,
        comment=comment,
        data={"unit": request.unit.name, "verdict": verdict, "request": request.pk},
    )
    _notify(
        plan,
        [plan.drafter_id],
        kind="consultation.answered",
        title=f"{request.unit.name}: {request.get_verdict_display()}",
        body=comment or plan.title,
    )
    return request


@_unit_of_work
def consultation_record_silence(*, request: ConsultationRequest) -> ConsultationRequest:
    """The deadline passed without an answer.

    The usual rule of such requests: "quá thời hạn trên nếu không có ý kiến thì xem như thống
    nhất" — the agency counts as agreeing, recorded as "no answer by the deadline".
    """
    plan = _lock(request.plan)
    request = (
        ConsultationRequest.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=request.pk)
    )
    if request.is_answered:
        return request
    request.verdict = ConsultationRequest.Verdict.AGREE
    request.by_silence = True
    request.answered_at = timezone.now()
    request.save()
    _record(
        plan,
        actor=None,
        kind=Kind.CONSULTATION_SILENT,
        from_status=plan.status,
        data={"unit": request.unit.name, "request": request.pk},
    )
    _notify(
        plan,
        [plan.drafter_id],
        kind="consultation.answered",
        title=f"{request.unit.name}: quá hạn không có ý kiến (xem như thống nhất)",
    )
    return request


@_unit_of_work
def plan_close_consultation(*, plan: Plan) -> Plan:
    """Every agency of the round has answered or fallen silent: the drafter consolidates."""
    plan = _lock(plan)
    _require(plan, plan.close_consultation)
    if plan.consultations.filter(round=plan.consultation_round, verdict="").exists():
        raise StateError("Còn đơn vị chưa trả lời và chưa quá hạn.")
    plan.close_consultation()
    _record(
        plan,
        actor=None,
        kind=Kind.CONSULTATION_CLOSED,
        from_status=Status.IN_CONSULTATION,
        data={"round": plan.consultation_round},
        save=False,
    )
    plan.save(update_fields=["status", "updated_at", *CHAIN_HEAD])
    _notify(
        plan,
        [plan.drafter_id],
        kind="task.assigned",
        title="Đã có đủ ý kiến: tổng hợp, tiếp thu, giải trình",
    )
    return plan


@_unit_of_work
def plan_send_to_budget_review(
    *, plan: Plan, actor: User, resolutions: dict[Any, Any] | None = None, comment: str = ""
) -> Plan:
    """The drafter answers every comment (tiếp thu / giải trình) and sends the plan on.

    `resolutions` maps a consultation request id to {"resolution": "accepted"|"explained",
    "note": "..."}; every comment of the round must be answered, by now or earlier.
    """
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.send_to_budget_review)
    resolutions = resolutions or {}
    if not isinstance(resolutions, dict):
        raise InvalidInput("Phần tiếp thu, giải trình không hợp lệ.")
    requests = {
        str(r.pk): r
        for r in plan.consultations.select_for_update().filter(round=plan.consultation_round)
    }
    for key, answer in resolutions.items():
        request = requests.get(str(key))
        if request is None:
            raise InvalidInput(f"Không có ý kiến số {key} trong đợt lấy ý kiến này.")
        if not isinstance(answer, dict):
            raise InvalidInput("Mỗi câu trả lời phải có “resolution” và “note”.")
        resolution = answer.get("resolution")
        note = clean_comment(answer.get("note"), label="nội dung giải trình")
        if resolution not in ConsultationRequest.Resolution.values:
            raise InvalidInput("Mỗi ý kiến phải được tiếp thu hoặc giải trình.")
        if resolution == ConsultationRequest.Resolution.EXPLAINED and not note:
            raise InvalidInput(
                f"Vui lòng nêu nội dung giải trình cho ý kiến của {request.unit.name}."
            )
        request.resolution, request.resolution_note, request.resolved_by = resolution, note, actor
        request.save(update_fields=["resolution", "resolution_note", "resolved_by"])
    missing = [r.unit.name for r in requests.values() if r.needs_resolution and not r.resolution]
    if missing:
        raise InvalidInput(
            "Chưa tiếp thu, giải trình ý kiến của: " + ", ".join(sorted(missing)) + "."
        )
    plan.send_to_budget_review()
    version = _snapshot(plan, actor=actor, reason="consolidated")
    _record(
        plan,
        actor=actor,
        kind=Kind.SENT_TO_BUDGET_REVIEW,
        from_status=Status.CONSOLIDATING,
        comment=clean_comment(comment),
        data={
            "version": version.number,
            "resolutions": {k: r.resolution for k, r in requests.items() if r.resolution},
        },
        save=False,
    )
    plan.save(update_fields=["status", "version_number", "updated_at", *CHAIN_HEAD])
    _grant(plan, reason="budget_review", role=User.Role.FINANCE_REVIEWER)
    _notify(
        plan,
        _reviewer_ids(plan, Status.BUDGET_REVIEW),
        kind="task.assigned",
        title="Kế hoạch chờ thẩm định kinh phí",
    )
    return plan


# ---------------------------------------------------------------------------------------------
# Budget review, vetting


@_unit_of_work
def plan_approve_budget(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """Sở Tài chính approves the budget (thẩm định kinh phí)."""
    plan = _lock(plan)
    _require(plan, plan.approve_budget)
    _ensure_reviewer(plan, actor)
    plan.approve_budget()
    content = PlanContent.from_dict(plan.content)
    _record(
        plan,
        actor=actor,
        kind=Kind.BUDGET_APPROVED,
        from_status=Status.BUDGET_REVIEW,
        comment=clean_comment(comment),
        data={"budget_total_vnd": content.budget_total_vnd()},
        save=False,
    )
    plan.save(update_fields=["status", "updated_at", *CHAIN_HEAD])
    _grant(plan, reason="vetting", role=User.Role.OFFICE_VETTER)
    _notify(
        plan,
        _reviewer_ids(plan, Status.VETTING),
        kind="task.assigned",
        title="Kế hoạch chờ Văn phòng thẩm tra",
    )
    return plan


@_unit_of_work
def plan_approve_vetting(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """Văn phòng UBND tỉnh approves form and content (thẩm tra); the signer gets the plan."""
    plan = _lock(plan)
    _require(plan, plan.approve_vetting)
    _ensure_reviewer(plan, actor)
    _require_signer(plan)
    plan.approve_vetting()
    _record(
        plan,
        actor=actor,
        kind=Kind.VETTING_APPROVED,
        from_status=Status.VETTING,
        comment=clean_comment(comment),
        save=False,
    )
    plan.save(update_fields=["status", "updated_at", *CHAIN_HEAD])
    _grant(plan, reason="signature", user=plan.signer)
    _notify(plan, [plan.signer_id], kind="task.assigned", title="Kế hoạch chờ ký số")
    return plan


# ---------------------------------------------------------------------------------------------
# Rendering


def header_for(plan: Plan) -> DocumentHeader:
    content = plan.content or {}
    return DocumentHeader(
        issuer_name=plan.issuer.name.upper(),
        issuer_abbreviation=plan.issuer.abbreviation or "UBND",
        number=plan.number,
        issued_on=plan.issued_on,
        place=content.get("place") or settings.PROVINCE_NAME,
    )


def plan_number_text(plan: Plan, *, number: int | None = None) -> str:
    """ "Số: 05/KH-UBND" (or "Số: 12/UBND-VX" for a công văn); "" while the plan has no number."""
    number = plan.number if number is None else number
    if number is None:
        return ""
    return rendering.format_number(
        number,
        plan.doc_type,
        plan.issuer.abbreviation or "UBND",
        (plan.content or {}).get("drafting_unit_abbreviation", ""),
    )


def render_docx(*, plan: Plan, content: dict[str, Any] | None = None) -> bytes:
    """The .docx of `content` (default: the plan's current content) with the plan's header."""
    return rendering.render_plan_docx(
        PlanContent.from_dict(content or plan.content), header_for(plan)
    )


def version_pdf(*, version: PlanVersion) -> bytes:
    """The PDF of a submitted version, rendered once and cached (LibreOffice takes a second)."""
    return bytes(_rendered(version).pdf)


def _position_line(version: PlanVersion) -> str:
    """The signer's position line of the version's signature block: the signature box's anchor."""
    return PlanContent.from_dict(version.content).signature.position or "CHỦ TỊCH"


def _anchors_find(pdf: bytes, version: PlanVersion) -> dict[str, Any] | None:
    try:
        return signing.pdf_anchors_find(pdf=pdf, position_line=_position_line(version))
    except Exception:  # the signature then reads the PDF itself, and says what is missing
        logger.exception("Could not find the anchors of version %s", version.pk)
        return None


def _rendered(version: PlanVersion) -> RenderedPdf:
    """The version's rendered PDF row: rendered now if needed, with its anchors (where the
    number and date blanks, the signature box and the verification link go), found once."""
    cached = RenderedPdf.objects.filter(version=version).first()
    if cached is not None:
        return cached
    plan = version.plan
    pdf = conversion.docx_to_pdf(render_docx(plan=plan, content=version.content))
    anchors = _anchors_find(pdf, version)
    try:
        with transaction.atomic():
            return RenderedPdf.objects.create(
                version=version, pdf=pdf, sha256=sha256_hex(pdf), anchors=anchors
            )
    except IntegrityError:  # rendered in parallel by another request: same content, same text
        return RenderedPdf.objects.get(version=version)


def version_pdf_anchors(
    *, version: PlanVersion, rendered: RenderedPdf | None = None
) -> dict[str, Any] | None:
    """The anchors of the version's PDF (`signing.pdf_anchors_find`), found now and kept if the
    PDF was rendered before they were kept, or for another position line."""
    rendered = rendered or _rendered(version)
    anchors = rendered.anchors
    if not anchors or anchors.get("position_line") != _position_line(version):
        anchors = _anchors_find(bytes(rendered.pdf), version)
        RenderedPdf.objects.filter(pk=rendered.pk).update(anchors=anchors)
    return anchors


def plan_pdf(*, plan: Plan) -> tuple[bytes, str]:
    """The PDF a reader gets now: issued, else signed, else the current content. Returns
    (pdf, kind) with kind "issued" | "signed" | "draft"."""
    if plan.status == Status.ISSUED and plan.issued_pdf:
        return bytes(plan.issued_pdf), "issued"
    if plan.signed_pdf:
        return bytes(plan.signed_pdf), "signed"
    version = latest_version(plan)
    if version is not None and not plan.is_editable:
        return version_pdf(version=version), "draft"
    return conversion.docx_to_pdf(render_docx(plan=plan)), "draft"


# ---------------------------------------------------------------------------------------------
# Signature and issuance


def plan_prepare_signature(*, plan: Plan) -> None:
    """Render the version to sign before the signing transaction, so no lock waits on LibreOffice."""
    version = latest_version(plan)
    if version is not None:
        version_pdf(version=version)


def _ensure_designated_signer(plan: Plan, actor: User) -> None:
    if actor.pk != plan.signer_id or actor.role != User.Role.SIGNER:
        raise PermissionDenied(
            "Chỉ người ký được chỉ định mới được ký văn bản này.", code="not_the_signer"
        )


ALREADY_SIGNED = (
    "Văn bản đã có chữ ký khác được thực hiện sau khi bạn chuẩn bị ký, nên chữ ký này không được "
    "ghi nhận. Vui lòng tải lại văn bản."
)


def _version_changed(prepared_number: int, current: PlanVersion | None) -> StateError:
    now = f"phiên bản {current.number}" if current is not None else "không còn phiên bản nào"
    return StateError(
        f"Phiên bản văn bản đã thay đổi sau khi bạn chuẩn bị ký (đã chuẩn bị trên phiên bản "
        f"{prepared_number}, hiện tại là {now}). Vui lòng xem lại văn bản và ký lại.",
        code="version_changed",
    )


def plan_sign_prepare(*, plan: Plan, actor: User, device_id: int) -> signing.PendingSignature:
    """Step 1 of the signature: prepare the latest version's PDF for `actor`'s device.

    Only the designated signer, while the plan awaits signature (the workflow's "sign" task is
    open exactly then; `workflows.services.plan_sign_prepare` also checks the task). The version's
    PDF is rendered (cached), the issue fields are added and the signature prepared with the
    signer's image between the position line and the name (`signing.signing_session_prepare`).
    Nothing of the plan changes; the session binds the version, its content hash and the hash of
    the PDF it was prepared on. No lock is held while rendering.
    """
    plan = Plan.objects.select_related("signer").get(pk=plan.pk)
    _ensure_designated_signer(plan, actor)
    if plan.signed_pdf:
        raise StateError("Văn bản đã được ký.", code="already_signed")
    if plan.status != Status.AWAITING_SIGNATURE:
        raise StateError(
            f"Văn bản không ở bước chờ ký (trạng thái hiện tại: “{plan.get_status_display()}”).",
            code="not_awaiting_signature",
        )
    version = latest_version(plan)
    if version is None or version.content_sha256 != sha256_hex(canonical_json(plan.content)):
        raise StateError(
            "Nội dung đã thay đổi so với phiên bản được trình ký.", code="version_changed"
        )
    rendered = _rendered(version)  # as stored, so that its hash is the stored one
    return signing.signing_session_prepare(
        user=actor,
        device_id=device_id,
        pdf=bytes(rendered.pdf),
        anchors=version_pdf_anchors(version=version, rendered=rendered),
        position_line=_position_line(version),
        document_id=plan.pk,
        version_id=version.pk,
        version_number=version.number,
        content_sha256=version.content_sha256,
    )


@_unit_of_work
def plan_sign(
    *,
    plan: Plan,
    actor: User,
    session_id: Any = None,
    signature: bytes | None = None,
    comment: str = "",
) -> Plan:
    """Step 2: the Chủ tịch or the Phó Chủ tịch in charge signs the version they approved.

    `session_id` names what `plan_sign_prepare` prepared; `signature` is the device's answer
    over its `to_be_signed` (ECDSA r‖s or DER). Under the plan's lock: the session must be the
    actor's, for this plan, unused and unexpired; the plan must have no signature yet and still
    await signature; the prepared version must still be the latest with the same content, and the
    PDF it was prepared on unchanged; the device must be usable and the signature must verify.
    Then the PDF is completed (PAdES B-T, time-stamped by the system TSA) and stored.

    Raises `PermissionDenied` (not the signer, revoked device), `InvalidInput` (no session or
    signature, a session of another plan, a bad signature), `NotFound` (unknown session) or
    `StateError` (already signed by another session, version changed, wrong state, session used or
    expired); nothing changes then.
    """
    plan = _lock(plan)
    _ensure_designated_signer(plan, actor)
    if not session_id or not signature:
        raise InvalidInput(
            "Thiếu phiên ký (session_id) hoặc chữ ký số (signature): hãy ký bằng thiết bị ký đã "
            "đăng ký.",
            code="signature_missing",
        )
    session = signing.signing_session_get(session_id=session_id, user=actor)
    if session.document_id != plan.pk:
        raise InvalidInput("Phiên ký này không thuộc văn bản này.", code="session_mismatch")
    if plan.signed_pdf:
        raise StateError(ALREADY_SIGNED, code="already_signed")
    _require(plan, plan.sign)
    version = latest_version(plan)
    if (
        version is None
        or version.pk != session.version_id
        or version.content_sha256 != session.content_sha256
        or version.content_sha256 != sha256_hex(canonical_json(plan.content))
    ):
        raise _version_changed(session.version_number, version)
    rendered = RenderedPdf.objects.filter(version=version).values_list("sha256", flat=True).first()
    if rendered != session.base_pdf_sha256:
        raise StateError(ALREADY_SIGNED, code="already_signed")
    signed = signing.signing_session_finish(session=session, signature=signature)
    plan.sign()
    plan.signed_version = version
    plan.signed_pdf = signed
    plan.signed_pdf_sha256 = sha256_hex(signed)
    _record(
        plan,
        actor=actor,
        kind=Kind.SIGNED,
        from_status=Status.AWAITING_SIGNATURE,
        comment=clean_comment(comment),
        data={
            "version": version.number,
            "pdf_sha256": plan.signed_pdf_sha256,
            "device": session.device.label,
            "certificate_serial": session.device.serial,
        },
        save=False,
    )
    plan.save(
        update_fields=[
            "status",
            "signed_version",
            "signed_pdf",
            "signed_pdf_sha256",
            "updated_at",
            *CHAIN_HEAD,
        ]
    )
    _grant(plan, reason="issuance", role=User.Role.CLERK)
    clerks = list(user_list_with_role(User.Role.CLERK).values_list("pk", flat=True))
    _notify(
        plan,
        [*clerks, plan.drafter_id],
        kind="plan.signed",
        title=f"{actor.display_name} đã ký kế hoạch",
    )
    return plan


def _recipient_unit_ids(plan: Plan) -> list[int]:
    content = PlanContent.from_dict(plan.content)
    return sorted(set(content.recipients.unit_ids()))


@dataclass(frozen=True)
class PreparedIssue:
    """What `plan_issue_prepare` made outside any lock: the number held and the sealed PDF."""

    reservation_id: int
    number: int
    year: int
    issued_on: dt.date
    number_text: str
    date_text: str
    pdf: bytes


def plan_issue(*, plan: Plan, actor: User, issued_on: dt.date | None = None) -> Plan:
    """The clerk issues the signed plan: next number of the year's register, date, seal, delivery.

    Numbering without gaps or duplicates while the seal (the slow part) is made outside the
    register's lock, so that clerks issue in parallel:

    1. Checks, before any number is taken (a refused issuance takes none): the clerk, a signed
       plan, the public address printed in the PDF, and the leader's signature on the PDF.
    2. Reservation, in a short transaction holding the plan's row, then the register's: the
       register's next number is written down for this plan (NumberReservation). A plan that
       already holds one (its earlier attempt failed, or another clerk is issuing it) reuses it,
       with the date it was taken for.
    3. The seal is made, holding no lock and no transaction.
    4. Completion, in one transaction holding the plan's row: the plan takes the number, the
       date and the sealed PDF, is delivered, and the reservation is removed.

    If the seal fails (3), the number is given back when it is still the register's last one
    (no gap: the next issuance takes it again); otherwise the plan keeps it and the retry reuses
    it — until then it is the only number not yet issued, and it is this plan's. A number is
    never taken twice (unique per register among reservations and among issued plans), and a
    plan is issued once (completion checks the state under the row lock). The workflow runs 1-3
    before its own transaction (`TaskSpec.prepare`) and 4 inside it.
    """
    prepared = plan_issue_prepare(plan=plan, actor=actor, issued_on=issued_on)
    return plan_issue_complete(plan=plan, actor=actor, prepared=prepared)


def plan_issue_prepare(
    *, plan: Plan, actor: User, issued_on: dt.date | None = None
) -> PreparedIssue:
    """Steps 1-3 of `plan_issue`: check, hold the number, seal. Call outside any transaction."""
    plan = Plan.objects.select_related("issuer", "signed_version").get(pk=plan.pk)
    _ensure_issuer(plan, actor)
    public_address_check()  # before a number is taken: the PDF will print this address
    signed = bytes(plan.signed_pdf)
    signing.pdf_issue_check(pdf=signed)
    reservation = _number_reserve(plan, actor, issued_on or timezone.localdate())
    number, year = reservation.number, reservation.register.year
    header = header_for(plan)
    number_text = plan_number_text(plan, number=number)
    date_text = rendering.format_place_date(header.place, reservation.issued_on)
    anchors = None
    if plan.signed_version is not None:
        anchors = version_pdf_anchors(version=plan.signed_version)
    try:
        sealed = signing.pdf_issue_with_seal(
            pdf=signed,
            unit=plan.issuer,
            number_text=f"{number:02d}",
            date_text=date_text.split(", ", 1)[-1],
            verify_url=plan_verify_url(plan_id=plan.pk, number=number, year=year),
            anchors=anchors,
            leader_checked=True,
        )
    except BaseException:
        _number_give_back(reservation)
        raise
    return PreparedIssue(
        reservation_id=reservation.pk,
        number=number,
        year=year,
        issued_on=reservation.issued_on,
        number_text=number_text,
        date_text=date_text,
        pdf=sealed,
    )


def _ensure_issuer(plan: Plan, actor: User) -> None:
    _ensure_role(actor, User.Role.CLERK, "Chỉ văn thư mới được phát hành văn bản.")
    _require(plan, plan.issue, "Chỉ phát hành được văn bản đã được ký số.")
    if not plan.signed_pdf:
        raise StateError("Văn bản chưa có chữ ký số của người có thẩm quyền.")


def _number_reserve(plan: Plan, actor: User, issued_on: dt.date) -> NumberReservation:
    """Hold the register's next number for `plan` (or the one it already holds)."""
    with transaction.atomic():
        locked = _lock(plan)
        _ensure_issuer(locked, actor)
        held = NumberReservation.objects.select_related("register").filter(plan=locked).first()
        if held is not None:
            return held
        register, _ = OutgoingRegister.objects.select_for_update().get_or_create(
            issuer=locked.issuer, year=issued_on.year
        )
        register.last_number += 1
        register.save(update_fields=["last_number"])
        return NumberReservation.objects.create(
            register=register,
            number=register.last_number,
            plan=locked,
            issued_on=issued_on,
            reserved_by=actor,
        )


def _number_give_back(reservation: NumberReservation) -> None:
    """After a failed seal: give the number back if it is still the register's last one."""
    with transaction.atomic():
        _lock(reservation.plan)  # the plan's row first, as everywhere
        register = OutgoingRegister.objects.select_for_update().get(pk=reservation.register_id)
        still_held = NumberReservation.objects.filter(pk=reservation.pk).exists()
        if still_held and register.last_number == reservation.number:
            NumberReservation.objects.filter(pk=reservation.pk).delete()
            register.last_number -= 1
            register.save(update_fields=["last_number"])


@_unit_of_work
def plan_issue_complete(*, plan: Plan, actor: User, prepared: PreparedIssue) -> Plan:
    """Step 4 of `plan_issue`: the plan takes its number, date and sealed PDF, and is delivered."""
    plan = _lock(plan)
    _ensure_issuer(plan, actor)
    reservation = (
        NumberReservation.objects.select_for_update()
        .filter(pk=prepared.reservation_id, plan=plan)
        .first()
    )
    if reservation is None:
        raise StateError(
            "Số đã giữ cho văn bản này không còn; vui lòng phát hành lại.", code="number_lost"
        )
    plan.issue()
    plan.number, plan.register_year = prepared.number, prepared.year
    plan.issued_on, plan.issued_at = prepared.issued_on, timezone.now()
    plan.issued_pdf, plan.issued_pdf_sha256 = prepared.pdf, sha256_hex(prepared.pdf)
    unit_ids = _recipient_unit_ids(plan)
    _record(
        plan,
        actor=actor,
        kind=Kind.ISSUED,
        from_status=Status.SIGNED,
        data={
            "number": prepared.number_text,
            "date": prepared.date_text,
            "recipients": len(unit_ids),
            "pdf_sha256": plan.issued_pdf_sha256,
        },
        save=False,
    )
    plan.save(
        update_fields=[
            "status",
            "number",
            "register_year",
            "issued_on",
            "issued_at",
            "issued_pdf",
            "issued_pdf_sha256",
            "updated_at",
            *CHAIN_HEAD,
        ]
    )
    reservation.delete()
    now = timezone.now()
    Receipt.objects.bulk_create([Receipt(plan=plan, unit_id=u, delivered_at=now) for u in unit_ids])
    PlanAccess.objects.bulk_create(
        [PlanAccess(plan=plan, unit_id=u, reason="recipient") for u in unit_ids],
        ignore_conflicts=True,
    )
    search_index_update(plan)
    _notify(
        plan,
        user_list_of_units(unit_ids).values_list("pk", flat=True),
        kind="plan.issued",
        title=f"Văn bản đến: Kế hoạch {prepared.number_text.removeprefix('Số: ')}",
    )
    _notify(
        plan,
        [plan.drafter_id],
        kind="plan.issued",
        title=f"Kế hoạch đã được phát hành, {prepared.number_text}",
    )
    return plan


@_unit_of_work
def receipt_acknowledge(*, plan: Plan, actor: User) -> Receipt:
    """A user of a recipient unit acknowledges receipt of the issued plan."""
    plan = _lock(plan)
    if plan.status != Status.ISSUED:
        raise StateError("Văn bản chưa được phát hành.")
    receipt = Receipt.objects.select_for_update().filter(plan=plan, unit_id=actor.unit_id).first()
    if receipt is None:
        raise PermissionDenied("Đơn vị của bạn không có trong danh sách nơi nhận.")
    if receipt.acknowledged_at is not None:
        raise StateError(
            f"Đơn vị đã xác nhận nhận văn bản lúc "
            f"{timezone.localtime(receipt.acknowledged_at):%H:%M %d/%m/%Y}."
        )
    receipt.acknowledged_by, receipt.acknowledged_at = actor, timezone.now()
    receipt.save(update_fields=["acknowledged_by", "acknowledged_at"])
    _record(
        plan,
        actor=actor,
        kind=Kind.RECEIPT_ACKNOWLEDGED,
        from_status=plan.status,
        data={"unit": receipt.unit.name},
    )
    clerks = list(user_list_with_role(User.Role.CLERK).values_list("pk", flat=True))
    _notify(
        plan,
        [plan.drafter_id, *clerks],
        kind="receipt.acknowledged",
        title=f"{receipt.unit.name} đã xác nhận nhận kế hoạch",
    )
    return receipt


@_unit_of_work
def plan_withdraw(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """The drafter abandons a draft or a returned plan."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.withdraw)
    from_status = plan.status
    plan.withdraw()
    _record(
        plan,
        actor=actor,
        kind=Kind.WITHDRAWN,
        from_status=from_status,
        comment=clean_comment(comment),
        save=False,
    )
    plan.save(update_fields=["status", "updated_at", *CHAIN_HEAD])
    return plan


# ---------------------------------------------------------------------------------------------
# Audit


def audit_verify(*, plan: Plan | None = None) -> list[str]:
    """Check every plan's event chain; return the problems found (empty when intact).

    The head kept on the plan row (count, last hash) must match the chain: it also catches the
    removal of the newest events, which leaves a shorter chain that is intact in itself.
    """
    problems: list[str] = []
    plans = Plan.objects.order_by("pk").only("pk", "events_count", "events_head")
    if plan is not None:
        plans = plans.filter(pk=plan.pk)
    for p in plans.iterator():
        previous = GENESIS_HASH
        expected_sequence = 1
        for event in PlanEvent.objects.filter(plan=p).order_by("sequence"):
            if event.sequence != expected_sequence:
                problems.append(f"plan {p.pk}: event {expected_sequence} missing")
            if event.previous_hash != previous or event.compute_hash() != event.hash:
                problems.append(f"plan {p.pk}: event {event.sequence} altered")
            previous, expected_sequence = event.hash, event.sequence + 1
        if (p.events_count, p.events_head or GENESIS_HASH) != (expected_sequence - 1, previous):
            problems.append(f"plan {p.pk}: the newest events are missing or altered")
    return problems


# ---------------------------------------------------------------------------------------------
# Versions seen


def plan_version_seen_record(
    *, plan: Plan, user: User, version_number: int
) -> PlanVersionSeen | None:
    """Remember that `user` opened version `version_number` of `plan`.

    Only moves forward; the version seen before is kept in `previous_version_number`, so the page
    can still say what changed once the newest version has been seen. Nothing is stored before
    the first submission (version 0). Pages call this on every view: when nothing is new it only
    reads, so it takes no write lock.
    """
    if not user.is_authenticated or version_number < 1:
        return None
    seen = PlanVersionSeen.objects.filter(user=user, plan=plan).first()
    if seen is not None and seen.version_number >= version_number:
        return seen
    with transaction.atomic():
        seen, created = PlanVersionSeen.objects.select_for_update().get_or_create(
            user=user, plan=plan, defaults={"version_number": version_number}
        )
        if created or seen.version_number >= version_number:
            return seen
        seen.previous_version_number = seen.version_number
        seen.version_number = version_number
        seen.save(update_fields=["previous_version_number", "version_number", "seen_at"])
    return seen


# ---------------------------------------------------------------------------------------------
# Incoming documents (văn bản đến)


def _parse_optional_date(value: Any, message: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(message) from exc


DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def incoming_import_file(
    *,
    actor: User,
    data: bytes,
    file_name: str = "",
    assigned_unit_id: int | None = None,
    deadline: Any = None,
    progress: Any = None,
) -> IncomingDocument:
    """Register a received document (văn bản đến) from its Word file or PDF (a scan is read by
    OCR), e.g. the ministry's guidance 2905/BTTTT-TTĐN: sender, number, date, "V/v …" subject,
    "Kính gửi", body, "Nơi nhận", signature; it gets the unit's next arrival number (số đến).
    The file is kept as it arrived and a PDF's signatures are verified. Optionally assigned to
    a unit with a deadline (ND30 Đ23), whose users are notified. A bad file, or a file the unit
    has already registered, creates nothing (and takes no number)."""
    from .importing import import_letter_file, is_pdf

    if actor.unit_id is None:
        raise InvalidInput("Tài khoản của bạn chưa thuộc đơn vị nào.")
    assigned = None
    if assigned_unit_id not in (None, ""):
        unit_id = parse_id(assigned_unit_id, label="Đơn vị được giao xử lý")
        assigned = Unit.objects.filter(pk=unit_id, is_active=True).first()
        if assigned is None:
            raise InvalidInput("Đơn vị được giao xử lý không có trong danh mục.")
    due = _parse_optional_date(deadline, "Hạn xử lý không hợp lệ (định dạng YYYY-MM-DD).")
    data = bytes(data)
    _refuse_registered(actor, sha256_hex(data))
    # Read (OCR may take a while) before the register is locked.
    letter = import_letter_file(data, progress=progress)
    if not (letter.subject or letter.body):
        raise InvalidInput("Tệp không có nội dung văn bản để vào sổ.")
    pdf = is_pdf(data)
    incoming = _incoming_register(
        actor=actor,
        letter=letter,
        data=data,
        file_name=file_name,
        content_type="application/pdf" if pdf else DOCX_CONTENT_TYPE,
        signatures=_signatures_of(data) if pdf else {},
        assigned=assigned,
        deadline=due,
    )
    if assigned is not None and assigned.pk != actor.unit_id:
        notify_on_commit(
            user_ids=user_list_of_units([assigned.pk])
            .exclude(pk=actor.pk)
            .values_list("pk", flat=True),
            kind="incoming.assigned",
            title=f"Văn bản đến giao đơn vị xử lý: {incoming.number or incoming.subject}",
            body=incoming.subject,
            url=_incoming_url(incoming),
            data={"incoming_id": incoming.pk},
        )
    return incoming


#: Kept for callers of the Word-only name.
incoming_import_docx = incoming_import_file


def _refuse_registered(actor: User, digest: str) -> None:
    existing = IncomingDocument.objects.filter(
        registering_unit_id=actor.unit_id, file_sha256=digest
    ).first()
    if existing is not None:
        raise InvalidInput(
            f"Văn bản này đã được vào sổ văn bản đến của đơn vị lúc "
            f"{timezone.localtime(existing.registered_at):%H:%M %d/%m/%Y}"
            f" ({existing.number or existing.subject})."
        )


def _signatures_of(pdf: bytes) -> dict[str, Any]:
    """The verification of a received PDF's signatures (signing.verification), JSON-ready."""
    from signing.verification import pdf_verify_report

    report = pdf_verify_report(pdf=pdf).as_dict()
    return {k: report[k] for k in ("status", "message", "sha256", "signatures", "checked_at")}


@transaction.atomic
def _incoming_register(
    *,
    actor: User,
    letter: Any,
    data: bytes,
    file_name: str,
    content_type: str,
    signatures: dict[str, Any],
    assigned: Unit | None,
    deadline: dt.date | None,
) -> IncomingDocument:
    """Enter the document in the unit's incoming register under its next arrival number: the
    register row is locked until the transaction ends, so numbers are taken one at a time and
    a failure gives its number back (no gaps)."""
    _refuse_registered(actor, sha256_hex(data))
    now = timezone.now()
    year = timezone.localdate(now).year
    register, _ = IncomingRegister.objects.select_for_update().get_or_create(
        unit_id=actor.unit_id, year=year
    )
    register.last_number += 1
    register.save(update_fields=["last_number"])
    incoming = IncomingDocument.objects.create(
        sender=letter.sender[:255] or "(chưa rõ cơ quan ban hành)",
        parent_sender=letter.parent_sender[:255],
        number=letter.number_text[:80],
        doc_type=letter.doc_type,
        date=dt.date.fromisoformat(letter.date) if letter.date else None,
        place=letter.place[:100],
        subject=letter.subject[:1000] or "(chưa có trích yếu)",
        addressees=letter.addressees,
        body=letter.body,
        recipients=letter.recipients,
        archive=letter.archive[:255],
        signature=letter.signature,
        signer_name=letter.signer_name[:150],
        unplaced=letter.unplaced,
        warnings=letter.warnings,
        file_name=(file_name or "")[:255],
        file_sha256=sha256_hex(data),
        original=data,
        content_type=content_type,
        reading=letter.pdf or {},
        signatures=signatures,
        arrival_number=register.last_number,
        arrival_year=year,
        registered_by=actor,
        registering_unit_id=actor.unit_id,
        registered_at=now,
        assigned_unit=assigned,
        deadline=deadline,
    )
    search_index_update_incoming(incoming)
    return incoming


def incoming_original(*, incoming: IncomingDocument) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the file as it arrived; NotFound when it was not
    kept (documents registered before files were kept)."""
    if not incoming.original:
        raise NotFound("Tệp gốc của văn bản đến này không được lưu.")
    extension = ".pdf" if incoming.is_pdf else ".docx"
    name = incoming.file_name or f"van-ban-den-{incoming.pk}{extension}"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in name)
    return safe, incoming.content_type or "application/octet-stream", bytes(incoming.original)


def incoming_verify_signatures(*, incoming: IncomingDocument) -> Any:
    """Verify again, now, the signatures of the file as it arrived (signing.verification);
    InvalidInput when the document was not registered from a PDF."""
    if not incoming.is_pdf or not incoming.original:
        raise InvalidInput("Văn bản đến này không được vào sổ từ tệp PDF nên không có chữ ký số.")
    from signing.verification import pdf_verify_report

    return pdf_verify_report(pdf=bytes(incoming.original))


def _incoming_url(incoming: IncomingDocument) -> str:
    return link("incoming", incoming.pk)


def _type_name(doc_type: str) -> str:
    """ "Kế hoạch", "Công văn"…: how a sentence names the type; "Văn bản" when unknown."""
    kind = TYPES_BY_ABBREVIATION.get(doc_type)
    return str(kind.label) if kind is not None else "Văn bản"


def _title_from_subject(about: str, province: str) -> str:
    """ "hướng dẫn xây dựng kế hoạch công tác thông tin đối ngoại năm 2021" → "Công tác thông tin
    đối ngoại tỉnh Đồng Nai năm 2021": what the plan is about, for the province."""
    title = re.sub(
        r"^(?:việc\s+)?(?:hướng dẫn\s+)?(?:(?:xây dựng|triển khai|thực hiện|ban hành|lập|"
        r"đề xuất|báo cáo)\s+)?(?:(?:kế hoạch|chương trình)\s+)?",
        "",
        about.strip(),
        flags=re.IGNORECASE,
    ).strip(" .;,")
    if len(title.split()) < 2:
        title = f"triển khai {about.strip(' .;,')}"
    if province and province.lower() not in title.lower():
        if re.search(r"\snăm\s+\d{4}\b", title):
            title = re.sub(r"\s(năm\s+\d{4})\b", rf" tỉnh {province} \1", title, count=1)
        else:
            title = f"{title} tỉnh {province}"
    return title[:1].upper() + title[1:]


def incoming_plan_content(incoming: IncomingDocument) -> dict[str, Any]:
    """The first draft of a plan answering `incoming`: its title from the subject, the
    document as legal basis ("Thực hiện Văn bản số … ngày … của … về việc …"), the usual four
    parts, and the sender among the recipients."""
    from .importing import proper_body_name, unit_key

    province = settings.PROVINCE_NAME
    sender_unit = next(
        (
            unit
            for unit in Unit.objects.filter(is_active=True)
            if unit_key(unit.name) == unit_key(incoming.sender)
        ),
        None,
    )
    sender = sender_unit.name if sender_unit else proper_body_name(incoming.sender)
    subject = (incoming.subject or "").strip()
    match = re.match(r"^V\s*/\s*v\.?\s*:?\s*(.*)$", subject, flags=re.IGNORECASE)
    about = (match.group(1) if match else subject).strip().rstrip(" .;")
    basis = f"Thực hiện {_type_name(incoming.doc_type)}"
    if incoming.number:
        basis += f" số {incoming.number}"
    if incoming.date:
        basis += f" ngày {incoming.date.day:02d}/{incoming.date.month}/{incoming.date.year}"
    basis += f" của {sender}"
    if about:
        basis += f" về việc {about}" if match else f" về {about[:1].lower()}{about[1:]}"
    title = _title_from_subject(about, province)
    year_match = re.search(r"năm\s+(\d{4})", title)
    year = int(year_match.group(1)) if year_match else None
    if year is None or not 2000 <= year <= 2100:
        year = incoming.date.year + 1 if incoming.date else timezone.localdate().year
    recipients: dict[str, Any] = {"units": [], "lines": [], "archive": "Lưu: VT."}
    if sender_unit is not None:
        recipients["units"].append({"name": sender_unit.name, "unit_id": sender_unit.pk})
    else:
        recipients["lines"].append(sender)
    return {
        "title": title,
        "year": year,
        "doc_type": "KH",
        "place": province,
        "legal_bases": [basis],
        "preamble": (
            f"Ủy ban nhân dân tỉnh ban hành Kế hoạch {title[:1].lower()}{title[1:]} như sau:"
        ),
        "sections": [
            {"kind": "purpose", "title": "MỤC ĐÍCH, YÊU CẦU"},
            {"kind": "tasks", "title": "NỘI DUNG, NHIỆM VỤ"},
            {"kind": "budget", "title": "KINH PHÍ THỰC HIỆN"},
            {"kind": "implementation", "title": "TỔ CHỨC THỰC HIỆN"},
        ],
        "closing": "",
        "reporting_deadlines": [],
        "recipients": recipients,
        "signature": {"authority": "TM.", "collective": "ỦY BAN NHÂN DÂN"},
    }


@_unit_of_work
def plan_start_from_incoming(*, actor: User, incoming: IncomingDocument) -> Plan:
    """A drafter starts a new draft plan answering a received document (DOMAIN.md, step 1): the
    document becomes a legal basis, the draft belongs to the drafter's unit, and the creation
    event records which document started it."""
    incoming = IncomingDocument.objects.select_for_update().get(pk=incoming.pk)
    if not incoming_is_visible(user=actor, incoming=incoming):
        raise PermissionDenied("Bạn không có quyền xử lý văn bản đến này.")
    plan = plan_create(
        actor=actor,
        content=incoming_plan_content(incoming),
        data={
            "incoming": {
                "id": incoming.pk,
                "number": incoming.number,
                "date": incoming.date.isoformat() if incoming.date else "",
                "sender": incoming.sender,
                "subject": incoming.subject,
                "file_sha256": incoming.file_sha256,
            }
        },
    )
    incoming.plans.add(plan)
    return plan
