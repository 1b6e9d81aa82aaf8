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
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from agencies.backends import role_permissions
from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.keyset import keyset_page
from agencies.models import User
from agencies.validation import clean_comment
from documents import services as documents
from documents.models import ConsultationRequest, Plan
from signing import services as signing

from .flows import PlanFlow
from .models import IdempotentRequest
from .nodes import tasks_opened_record

OPEN = (STATUS.NEW, STATUS.ASSIGNED)


@dataclass(frozen=True)
class StepCall:
    """What an action's handler gets: the locked plan, who acts, what they sent, the task, and
    what the step's `prepare` produced outside the lock (None without one)."""

    plan: Plan
    actor: User
    comment: str
    data: dict[str, Any]
    task: Task
    prepared: Any = None


@dataclass(frozen=True)
class Action:
    """One button of a task: its code, label, whether a comment is required, and its service."""

    code: str
    label: str
    handler: Callable[[StepCall], Any]
    comment_required: bool = False
    style: str = "primary"


@dataclass(frozen=True)
class TaskSpec:
    title: str
    actions: tuple[Action, ...]
    #: Slow work before the lock is taken, `prepare(plan, actor) -> prepared` (not for "return").
    prepare: Callable[[Plan, User], Any] | None = None
    data_fields: tuple[str, ...] = field(default_factory=tuple)


def _approve_release(call: StepCall) -> None:
    documents.plan_approve_release(plan=call.plan, actor=call.actor, comment=call.comment)


def _return(call: StepCall) -> None:
    documents.plan_return_to_drafter(plan=call.plan, actor=call.actor, comment=call.comment)


def _resubmit(call: StepCall) -> None:
    if "content" in call.data:
        documents.plan_update_content(
            plan=call.plan, actor=call.actor, content=call.data["content"]
        )
    documents.plan_resubmit(plan=call.plan, actor=call.actor, comment=call.comment)


def _send_for_consultation(call: StepCall) -> None:
    documents.plan_send_for_consultation(
        plan=call.plan,
        actor=call.actor,
        unit_ids=call.data.get("unit_ids") or [],
        deadline=call.data.get("deadline"),
    )


def _answer(verdict: str) -> Callable[[StepCall], None]:
    def handler(call: StepCall) -> None:
        documents.consultation_answer_record(
            request=ConsultationRequest(pk=call.task.data["request_id"], plan=call.plan),
            actor=call.actor,
            verdict=verdict,
            comment=call.comment,
        )

    return handler


def _consolidate(call: StepCall) -> None:
    if "content" in call.data:
        documents.plan_update_content(
            plan=call.plan, actor=call.actor, content=call.data["content"]
        )
    documents.plan_send_to_budget_review(
        plan=call.plan,
        actor=call.actor,
        resolutions=call.data.get("resolutions") or {},
        comment=call.comment,
    )


def _approve_budget(call: StepCall) -> None:
    documents.plan_approve_budget(plan=call.plan, actor=call.actor, comment=call.comment)


def _approve_vetting(call: StepCall) -> None:
    documents.plan_approve_vetting(plan=call.plan, actor=call.actor, comment=call.comment)


def _sign(call: StepCall) -> None:
    # The signature was prepared by plan_sign_prepare; `data` carries the device's answer.
    signature = call.data.get("signature")
    documents.plan_sign(
        plan=call.plan,
        actor=call.actor,
        comment=call.comment,
        session_id=call.data.get("session_id"),
        signature=signing.base64_field(signature, name="signature") if signature else None,
    )


def _issue(call: StepCall) -> None:
    # The number was taken and the seal made by plan_issue_prepare, before this transaction.
    documents.plan_issue_complete(plan=call.plan, actor=call.actor, prepared=call.prepared)


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
        prepare=lambda plan, actor: documents.plan_prepare_signature(plan=plan),
        data_fields=("session_id", "signature"),
    ),
    "revise_sign": REVISE,
    "issue": TaskSpec(
        "Cấp số và phát hành",
        (Action("issue", "Cấp số, đóng dấu và phát hành", _issue),),
        prepare=lambda plan, actor: documents.plan_issue_prepare(plan=plan, actor=actor),
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
    return Q(owner=user) | Q(owner__isnull=True, owner_permission__in=role_permissions(user))


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


def task_page_open(*, user: User, before: int | None, limit: int) -> list[Task]:
    """A page of the user's inbox (`task_list_open`), newest first, read through the open tasks'
    indexes: assigned to the user, or offered to one of their permissions."""
    if not user.is_authenticated:
        return []
    human = Task.objects.filter(flow_task_type="HUMAN")
    branches: list[tuple[QuerySet[Any], str]] = [
        (human.filter(owner=user, status=STATUS.ASSIGNED), "id"),
        (human.filter(owner=user, status=STATUS.NEW), "id"),
        *(
            (human.filter(owner_permission=permission, status=STATUS.NEW, owner__isnull=True), "id")
            for permission in sorted(role_permissions(user))
        ),
    ]
    ids = keyset_page(branches, before=before, limit=limit)
    tasks = Task.objects.select_related("process").in_bulk(ids)
    return [tasks[i] for i in ids if i in tasks]


def task_get_open(*, user: User, task_id: int) -> Task:
    task = task_list_open(user=user).filter(pk=task_id).first()
    if task is None:
        # Say "already done" only to someone the task was for; to anyone else it does not exist.
        was_mine = Q(owner=user) | Q(owner_permission__in=role_permissions(user))
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


@dataclass(frozen=True)
class Completion:
    """What completing a task did: the plan as it now is, the task, and the human tasks it opened
    (`next_tasks`: those the actor may take up next)."""

    plan: Plan
    task: Task
    action: str
    opened: tuple[Task, ...]
    next_tasks: tuple[Task, ...]


class _PrepareFirst(Exception):
    """The chosen action needs slow work done outside the lock (rendering, sealing) first."""

    def __init__(self, spec: TaskSpec, plan: Plan) -> None:
        super().__init__(spec.title)
        self.spec, self.plan = spec, plan


_NOT_PREPARED = object()


def _may_take(task: Task, user: User, permissions: set[str]) -> bool:
    return task.owner_id == user.pk or (
        task.owner_id is None and task.owner_permission in permissions
    )


def task_complete(
    *,
    task_id: int,
    actor: User,
    action: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    on_done: Callable[[Completion], None] | None = None,
) -> Completion:
    """Complete one of the user's open tasks with one of the actions it allows.

    One transaction under the flow lock, which is the plan's row lock (`flows.PlanLock`): the task
    is read fresh under it, claimed, the action's documents service runs on the locked plan, and
    viewflow opens the next tasks. An action with slow preparatory work (`TaskSpec.prepare`:
    rendering before a signature, the seal before issuance) first checks the task, does that work
    outside any lock and then completes. Refusals: `NotFound` (no such task for the user),
    `StateError` (already done or expired: `task_closed_error`), `PermissionDenied` (taken by
    someone else), `InvalidInput` (action, comment, data); nothing changes then.

    The action is remembered on the task (a retry is told it already took effect, see
    `task_closed_error`). `on_done(completion)` runs in the same transaction once the flow has
    moved on, e.g. to keep the answer of an API request made with an Idempotency-Key.
    """
    if data is not None and not isinstance(data, dict):
        raise InvalidInput("Trường “data” phải là một đối tượng.")
    data = data or {}
    comment = clean_comment(comment)
    try:
        return _complete(task_id, actor, action, comment, data, _NOT_PREPARED, on_done)
    except _PrepareFirst as first:
        prepared = first.spec.prepare(first.plan, actor)  # type: ignore[misc]
    return _complete(task_id, actor, action, comment, data, prepared, on_done)


def _complete(
    task_id: int,
    actor: User,
    action: str,
    comment: str,
    data: dict[str, Any],
    prepared: Any,
    on_done: Callable[[Completion], None] | None,
) -> Completion:
    permissions = role_permissions(actor)
    of_task = Task.objects.filter(pk=task_id).values("process__artifact_object_id")
    with (
        tasks_opened_record() as opened,
        documents.plan_locked(where=Q(pk=Subquery(of_task))) as plan,
    ):
        task = (
            Task.objects.select_related("process")
            .filter(pk=task_id, flow_task_type="HUMAN")
            .first()
        )
        if plan is None or task is None:
            raise NotFound("Không tìm thấy nhiệm vụ, hoặc nhiệm vụ không dành cho bạn.")
        offered = task.owner_id == actor.pk or task.owner_permission in permissions
        if task.status not in OPEN:
            # Say "already done" only to someone the task was for; to anyone else it does not exist.
            if offered:
                raise task_closed_error(task, user=actor)
            raise NotFound("Không tìm thấy nhiệm vụ, hoặc nhiệm vụ không dành cho bạn.")
        if not _may_take(task, actor, permissions):
            if offered:
                raise PermissionDenied("Nhiệm vụ này đã được người khác nhận xử lý.")
            raise NotFound("Không tìm thấy nhiệm vụ, hoặc nhiệm vụ không dành cho bạn.")
        spec = task_spec(task)
        chosen = next((a for a in spec.actions if a.code == action), None)
        if chosen is None:
            codes = ", ".join(a.code for a in spec.actions)
            raise InvalidInput(
                f"Thao tác “{action}” không hợp lệ cho nhiệm vụ này (được phép: {codes})."
            )
        if chosen.comment_required and not comment:
            raise InvalidInput("Vui lòng nhập ý kiến hoặc lý do.")
        if spec.prepare is not None and chosen.code != "return" and prepared is _NOT_PREPARED:
            raise _PrepareFirst(spec, plan)  # leaves the transaction: nothing was written
        activation = task.flow_task.activation_class(task)
        activation.process.artifact = plan  # the flow's callbacks read the locked plan
        if task.status == STATUS.NEW:
            # Claimed and completed in one UPDATE of the task (viewflow's assign() saves twice).
            task.owner, task.status = actor, STATUS.ASSIGNED
        activation.start(None)
        chosen.handler(
            StepCall(
                plan=plan, actor=actor, comment=comment, data=data, task=task, prepared=prepared
            )
        )
        task.data = {**(task.data or {}), "action": chosen.code}
        activation.execute()
        completion = Completion(
            plan=plan,
            task=task,
            action=chosen.code,
            opened=tuple(opened),
            next_tasks=tuple(t for t in opened if _may_take(t, actor, permissions)),
        )
        if on_done is not None:
            on_done(completion)
    return completion


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
