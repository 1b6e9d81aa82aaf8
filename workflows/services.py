"""Tasks of the plan process: start it, list a user's inbox, complete a task with an action.

`task_complete` is the one entry point of the pages and the API: it takes the flow lock, claims
the task for the user, calls the documents service that the action names, and lets viewflow move
on (joins, timers, next tasks) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import User
from agencies.validation import clean_comment
from documents import services as documents
from documents.models import ConsultationRequest, Plan
from signing import services as signing

from .flows import PlanFlow
from .models import IdempotentRequest

OPEN = (STATUS.NEW, STATUS.ASSIGNED)


@dataclass(frozen=True)
class Action:
    """One button of a task: its code, label, whether a comment is required, and its service."""

    code: str
    label: str
    handler: Callable[..., Any]
    comment_required: bool = False
    style: str = "primary"


@dataclass(frozen=True)
class TaskSpec:
    title: str
    actions: tuple[Action, ...]
    prepare: Callable[[Plan], None] | None = None
    data_fields: tuple[str, ...] = field(default_factory=tuple)


def _approve_release(
    plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task
) -> None:
    documents.plan_approve_release(plan=plan, actor=actor, comment=comment)


def _return(plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task) -> None:
    documents.plan_return_to_drafter(plan=plan, actor=actor, comment=comment)


def _resubmit(plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task) -> None:
    if "content" in data:
        documents.plan_update_content(plan=plan, actor=actor, content=data["content"])
    documents.plan_resubmit(plan=plan, actor=actor, comment=comment)


def _send_for_consultation(
    plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task
) -> None:
    documents.plan_send_for_consultation(
        plan=plan, actor=actor, unit_ids=data.get("unit_ids") or [], deadline=data.get("deadline")
    )


def _answer(verdict: str) -> Callable[..., None]:
    def handler(plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task) -> None:
        request = ConsultationRequest.objects.get(pk=task.data["request_id"])
        documents.consultation_answer_record(
            request=request, actor=actor, verdict=verdict, comment=comment
        )

    return handler


def _consolidate(plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task) -> None:
    if "content" in data:
        documents.plan_update_content(plan=plan, actor=actor, content=data["content"])
    documents.plan_send_to_budget_review(
        plan=plan, actor=actor, resolutions=data.get("resolutions") or {}, comment=comment
    )


def _approve_budget(
    plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task
) -> None:
    documents.plan_approve_budget(plan=plan, actor=actor, comment=comment)


def _approve_vetting(
    plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task
) -> None:
    documents.plan_approve_vetting(plan=plan, actor=actor, comment=comment)


def _sign(plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task) -> None:
    # The signature was prepared by plan_sign_prepare; `data` carries the device's answer.
    signature = data.get("signature")
    documents.plan_sign(
        plan=plan,
        actor=actor,
        comment=comment,
        session_id=data.get("session_id"),
        signature=signing.base64_field(signature, name="signature") if signature else None,
    )


def _issue(plan: Plan, actor: User, comment: str, data: dict[str, Any], task: Task) -> None:
    documents.plan_issue(plan=plan, actor=actor)


RETURN = Action("return", "Trả lại", _return, comment_required=True, style="danger")
RESUBMIT = Action("resubmit", "Trình lại", _resubmit)
REVISE = TaskSpec("Chỉnh sửa và trình lại", (RESUBMIT,), data_fields=("content",))

TASKS: dict[str, TaskSpec] = {
    "agency_review": TaskSpec(
        "Lãnh đạo đơn vị duyệt dự thảo", (Action("approve", "Duyệt", _approve_release), RETURN)
    ),
    "revise_agency": REVISE,
    "choose_agencies": TaskSpec(
        "Chọn đơn vị lấy ý kiến và hạn góp ý",
        (Action("send", "Gửi lấy ý kiến", _send_for_consultation),),
        data_fields=("unit_ids", "deadline"),
    ),
    "consult": TaskSpec(
        "Góp ý dự thảo kế hoạch",
        (
            Action("agree", "Thống nhất", _answer("agree")),
            Action(
                "agree_with_comments",
                "Thống nhất, có ý kiến",
                _answer("agree_with_comments"),
                comment_required=True,
                style="secondary",
            ),
            Action(
                "disagree",
                "Không thống nhất",
                _answer("disagree"),
                comment_required=True,
                style="danger",
            ),
        ),
    ),
    "consolidate": TaskSpec(
        "Tổng hợp, tiếp thu, giải trình và trình thẩm định kinh phí",
        (Action("send", "Trình thẩm định kinh phí", _consolidate),),
        data_fields=("resolutions", "content"),
    ),
    "budget_review": TaskSpec(
        "Thẩm định kinh phí", (Action("approve", "Đồng ý kinh phí", _approve_budget), RETURN)
    ),
    "revise_budget": REVISE,
    "vetting": TaskSpec(
        "Thẩm tra", (Action("approve", "Đồng ý, trình ký", _approve_vetting), RETURN)
    ),
    "revise_vetting": REVISE,
    "sign": TaskSpec(
        "Ký số kế hoạch",
        (Action("sign", "Ký số", _sign), RETURN),
        prepare=lambda plan: documents.plan_prepare_signature(plan=plan),
        data_fields=("session_id", "signature"),
    ),
    "revise_sign": REVISE,
    "issue": TaskSpec(
        "Cấp số và phát hành", (Action("issue", "Cấp số, đóng dấu và phát hành", _issue),)
    ),
}


def task_spec(task: Task) -> TaskSpec:
    spec = TASKS.get(task.flow_task.name)
    if spec is None:
        raise NotFound("Không có nhiệm vụ này.")
    return spec


# ---------------------------------------------------------------------------------------------


def plan_submit(*, plan: Plan, actor: User) -> Plan:
    """The drafter submits a draft: the process starts and the agency head gets a task."""
    if plan.status != Plan.Status.DRAFT:
        raise StateError("Chỉ trình được văn bản đang là dự thảo.")
    if (
        PlanFlow.process_class.objects.filter(artifact_object_id=plan.pk)
        .exclude(status__in=[PROCESS.DONE, PROCESS.CANCELED])
        .exists()
    ):
        raise StateError("Văn bản đã được trình.")
    with transaction.atomic():
        PlanFlow.start.run(plan=plan, actor=actor)
    return _plan_reread(plan.pk)


def _user_task_filter(user: User) -> Q:
    return Q(owner=user) | Q(owner__isnull=True, owner_permission__in=user.get_all_permissions())


def task_list_open(*, user: User) -> QuerySet[Task]:
    """The user's inbox: open human tasks assigned to them or offered to their unit or role."""
    if not user.is_authenticated:
        return Task.objects.none()
    return (
        Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN)
        .filter(_user_task_filter(user))
        .select_related("process")
        .order_by("-created")
    )


def task_get_open(*, user: User, task_id: int) -> Task:
    task = task_list_open(user=user).filter(pk=task_id).first()
    if task is None:
        # Say "already done" only to someone the task was for; to anyone else it does not exist.
        was_mine = Q(owner=user) | Q(owner_permission__in=user.get_all_permissions())
        closed = (
            Task.objects.filter(pk=task_id, flow_task_type="HUMAN")
            .exclude(status__in=OPEN)
            .filter(was_mine)
            .first()
        )
        if closed is not None:
            raise task_closed_error(closed, user=user)
        raise NotFound("Không tìm thấy nhiệm vụ, hoặc nhiệm vụ không dành cho bạn.")
    return task


def task_closed_error(task: Task, *, user: User) -> StateError:
    """The refusal of a closed task; when `user` completed it, it says so and with which action,
    so that a client retrying after a lost answer knows its action took effect."""
    action = (task.data or {}).get("action")
    if task.status == STATUS.DONE and task.owner_id == user.pk and action:
        finished = timezone.localtime(task.finished) if task.finished else None
        label = next((a.label for a in task_spec(task).actions if a.code == action), action)
        return StateError(
            f"Bạn đã hoàn thành nhiệm vụ này (thao tác “{label}”)"
            + (f" lúc {finished:%H:%M:%S %d/%m/%Y}." if finished else "."),
            code="already_done",
            extra={
                "task": task.pk,
                "action": action,
                "completed_by_you": True,
                "finished": finished.isoformat() if finished else None,
            },
        )
    return StateError(
        "Nhiệm vụ này đã được xử lý hoặc đã hết hạn.",
        code="task_closed",
        extra={"task": task.pk, "completed_by_you": False},
    )


def _plan_reread(plan_id: int) -> Plan:
    """A fresh instance of the plan (never `refresh_from_db` on a shared one in request code)."""
    return Plan.objects.select_related("drafter", "drafting_unit", "issuer", "signer").get(
        pk=plan_id
    )


def task_plan(task: Task) -> Plan:
    return _plan_reread(int(task.process.artifact_object_id))


def task_complete(
    *,
    task_id: int,
    actor: User,
    action: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    on_done: Callable[[Plan], None] | None = None,
) -> Plan:
    """Complete one of the user's open tasks with one of the actions it allows.

    The action is remembered on the task (a retry is told it already took effect, see
    `task_closed_error`). `on_done(plan)` runs in the same transaction once the flow has moved
    on, e.g. to keep the answer of an API request made with an Idempotency-Key.
    """
    if data is not None and not isinstance(data, dict):
        raise InvalidInput("Trường “data” phải là một đối tượng.")
    data = data or {}
    comment = clean_comment(comment)
    task = task_get_open(user=actor, task_id=task_id)
    spec = task_spec(task)
    chosen = next((a for a in spec.actions if a.code == action), None)
    if chosen is None:
        codes = ", ".join(a.code for a in spec.actions)
        raise InvalidInput(
            f"Thao tác “{action}” không hợp lệ cho nhiệm vụ này (được phép: {codes})."
        )
    if chosen.comment_required and not comment:
        raise InvalidInput("Vui lòng nhập ý kiến hoặc lý do.")
    plan = task_plan(task)
    if spec.prepare is not None and chosen.code != "return":
        spec.prepare(plan)  # slow work (rendering) before any lock is taken
    try:
        with task.activation() as activation:  # flow lock + atomic + refresh
            if activation.task.status not in OPEN:
                raise StateError("Nhiệm vụ này đã được xử lý hoặc đã hết hạn.")
            if activation.task.status == STATUS.NEW:
                if not activation.flow_task.can_assign(actor, activation.task):
                    raise PermissionDenied("Nhiệm vụ này không dành cho bạn.")
                activation.assign(actor)
            if not activation.flow_task.can_execute(actor, activation.task):
                raise PermissionDenied("Nhiệm vụ này đã được người khác nhận xử lý.")
            activation.start(None)
            chosen.handler(plan, actor, comment, data, activation.task)
            activation.task.data = {**(activation.task.data or {}), "action": chosen.code}
            activation.execute()
            if on_done is not None:
                on_done(Plan.objects.get(pk=plan.pk))
    except FlowLockFailed as exc:
        raise StateError("Văn bản đang được người khác xử lý, vui lòng thử lại.") from exc
    return _plan_reread(plan.pk)


IDEMPOTENCY_RETENTION = dt.timedelta(days=1)


def idempotent_request_get(*, user: User, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(user=user, key=key).first()


def idempotent_request_record(
    *, user: User, key: str, fingerprint: str, status_code: int, body: dict[str, Any]
) -> IdempotentRequest:
    """Keep the answer of a request made with `key`; call inside the action's transaction."""
    return IdempotentRequest.objects.create(
        user=user, key=key, fingerprint=fingerprint, status_code=status_code, body=body
    )


def idempotent_request_purge(*, now: dt.datetime | None = None) -> int:
    """Forget answers older than IDEMPOTENCY_RETENTION; returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_RETENTION
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def plan_sign_prepare(*, plan: Plan, actor: User, device_id: int) -> signing.PendingSignature:
    """Prepare the signer's signature of `plan` with their device; the "sign" task must be open.

    The answer is sent back by completing that task with action "sign" and data
    {"session_id", "signature"} (`task_complete`). Refusals as `documents.plan_sign_prepare`;
    without an open "sign" task of `actor` for this plan: `PermissionDenied` for anyone but the
    designated signer, `StateError` for them.
    """
    has_task = (
        task_list_open(user=actor)
        .filter(process__artifact_object_id=plan.pk, flow_task=PlanFlow.sign)
        .exists()
    )
    if not has_task:
        if actor.pk != plan.signer_id:
            raise PermissionDenied(
                "Chỉ người ký được chỉ định mới được ký văn bản này.", code="not_the_signer"
            )
        raise StateError(
            "Không có nhiệm vụ ký số đang chờ bạn cho văn bản này.", code="no_sign_task"
        )
    return documents.plan_sign_prepare(plan=plan, actor=actor, device_id=device_id)


def process_for(plan: Plan) -> Any:
    return PlanFlow.process_class.objects.filter(artifact_object_id=plan.pk).order_by("-pk").first()


def task_list_for_plan(*, plan: Plan) -> QuerySet[Task]:
    process = process_for(plan)
    if process is None:
        return Task.objects.none()
    return (
        process.task_set.filter(flow_task_type="HUMAN").select_related("owner").order_by("created")
    )


def timers_fire_due() -> int:
    """One sweep of due timers (consultation deadlines); returns how many fired."""
    from viewflow.workflow.timers import fire_due_timers

    return fire_due_timers() or 0
