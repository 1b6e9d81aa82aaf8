"""Tasks of the plan process: start it, list a user's inbox, complete a task with an action.

`task_complete` is the one entry point of the pages and the API: it takes the flow lock, claims
the task for the user, calls the documents service that the action names, and lets viewflow move
on (joins, timers, next tasks) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from agencies import services as agencies
from agencies.backends import role_permissions
from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.keyset import keyset_page
from agencies.models import Absence, User
from agencies.queries import CompiledQuery
from agencies.selectors import (
    absence_list_current,
    absences_cache_clear,
    principals_of,
    user_list_with_permission,
)
from agencies.validation import clean_comment
from documents import services as documents
from documents import steps
from documents.models import ConsultationRequest, Plan
from notifications.links import link
from notifications.services import notify_on_commit
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
class TaskSpec:
    """What a task is (from its step's declaration, documents/steps.py): its title, its actions
    and the form the page shows, and slow work to do before the lock (`prepare`)."""

    step: steps.Step | None
    title: Any
    actions: tuple[steps.Action, ...]
    form: str
    #: Slow work before the lock is taken, `prepare(plan, actor) -> prepared` (not for "return").
    prepare: Callable[[Plan, User], Any] | None = None

    @property
    def data_fields(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(name for a in self.actions for name in DATA_FIELDS.get(a.data_schema, ()))
        )


#: The fields of each `data` schema (web/api_schema.py describes them).
DATA_FIELDS = {
    "ChooseAgenciesData": ("unit_ids", "deadline", "deadline_working_days"),
    "ConsolidateData": ("resolutions", "content"),
    "SignData": ("session_id", "signature"),
    "ReviseData": ("content",),
    "BudgetReviewData": ("lines",),
}


def _edit(call: StepCall) -> None:
    if "content" in call.data:
        documents.plan_update_content(
            plan=call.plan, actor=call.actor, content=call.data["content"]
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


def _consolidate(call: StepCall) -> None:
    _edit(call)
    documents.plan_consolidation_send(
        plan=call.plan,
        actor=call.actor,
        resolutions=call.data.get("resolutions") or {},
        comment=call.comment,
    )


def _reopen(call: StepCall) -> None:
    _edit(call)
    documents.plan_consultation_reopen(
        plan=call.plan,
        actor=call.actor,
        comment=call.comment,
        resolutions=call.data.get("resolutions") or {},
    )


def _resubmit(call: StepCall) -> None:
    _edit(call)
    documents.plan_resubmit(plan=call.plan, actor=call.actor, comment=call.comment)


#: What each action does, by (step, action code), "*" for any step: the services own the rules.
HANDLERS: dict[tuple[str, str], Callable[[StepCall], Any]] = {
    ("*", "approve"): lambda call: documents.plan_review_approve(
        plan=call.plan, actor=call.actor, comment=call.comment
    ),
    ("*", "return"): lambda call: documents.plan_return_to_drafter(
        plan=call.plan, actor=call.actor, comment=call.comment
    ),
    ("*", "resubmit"): _resubmit,
    ("budget_review", "approve"): lambda call: documents.plan_budget_review_approve(
        plan=call.plan, actor=call.actor, comment=call.comment, lines=call.data.get("lines")
    ),
    ("budget_review", "return"): lambda call: documents.plan_budget_review_return(
        plan=call.plan, actor=call.actor, comment=call.comment, lines=call.data.get("lines")
    ),
    ("vetting", "request_legal_review"): lambda call: documents.plan_legal_review_request(
        plan=call.plan, actor=call.actor, comment=call.comment
    ),
    ("choose_agencies", "send"): lambda call: documents.plan_send_for_consultation(
        plan=call.plan,
        actor=call.actor,
        unit_ids=call.data.get("unit_ids") or [],
        deadline=call.data.get("deadline"),
        deadline_working_days=call.data.get("deadline_working_days"),
    ),
    ("choose_agencies", "skip"): lambda call: documents.plan_consultation_skip(
        plan=call.plan, actor=call.actor, comment=call.comment
    ),
    ("consult", "agree"): _answer("agree"),
    ("consult", "agree_with_comments"): _answer("agree_with_comments"),
    ("consult", "disagree"): _answer("disagree"),
    ("consolidate", "send"): _consolidate,
    ("consolidate", "reopen"): _reopen,
    ("sign", "sign"): _sign,
    # The number was taken and the seal made by plan_issue_prepare, before this transaction.
    ("issue", "issue"): lambda call: documents.plan_issue_complete(
        plan=call.plan, actor=call.actor, prepared=call.prepared
    ),
}

#: Slow work a step's actions need before the lock (rendering, the seal).
PREPARE: dict[str, Callable[[Plan, User], Any]] = {
    "sign": lambda plan, actor: documents.plan_prepare_signature(plan=plan),
    "issue": lambda plan, actor: documents.plan_issue_prepare(plan=plan, actor=actor),
}


def handler_for(node: str, action: str) -> Callable[[StepCall], Any]:
    step = steps.REVISE_OF.get(node)
    code = node if step is None else "*"
    return HANDLERS.get((code, action)) or HANDLERS[("*", action)]


def spec_for(node: str) -> TaskSpec | None:
    """The task of flow node `node`, from the declarations; None for a node that is no task."""
    step = steps.STEPS_BY_CODE.get(node)
    if step is not None:
        return TaskSpec(step, step.title, step.actions, step.form, PREPARE.get(node))
    reviewed = steps.REVISE_OF.get(node)
    if reviewed is not None:
        return TaskSpec(None, reviewed.revise_title, steps.REVISE_ACTIONS, "revise")
    return None


def task_spec(task: Task) -> TaskSpec:
    spec = spec_for(task.flow_task.name)
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


@dataclass(frozen=True)
class StandInScope:
    """What `user` takes up as a stand-in (agencies.Absence): the open tasks assigned to the
    people they stand in for, and those offered to their permissions — never a signature (it
    passes to the stand-in as a change of signer, `documents.plan_signer_stand_in`) and never a
    task of a plan the stand-in drafted (nobody approves their own draft through a stand-in)."""

    person_ids: tuple[int, ...]
    permissions: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.person_ids)

    def filter(self, user: User) -> Q:
        if not self:
            return Q(pk__in=[])
        return (
            (
                Q(owner_id__in=self.person_ids)
                | Q(owner__isnull=True, owner_permission__in=self.permissions)
            )
            & ~Q(flow_task=PlanFlow.sign)
            & ~Q(process__artifact_object_id__in=_drafted_by(user))
        )

    def covers(self, task: Task) -> bool:
        return (
            bool(self)
            and task.flow_task.name != "sign"
            and (
                task.owner_id in self.person_ids
                or (task.owner_id is None and task.owner_permission in self.permissions)
            )
        )


def _drafted_by(user: User) -> Any:
    return Plan.objects.filter(drafter_id=user.pk).values("pk")


def stand_in_scope(user: User) -> StandInScope:
    principals = principals_of(user)
    if not principals:
        return StandInScope((), frozenset())
    own = role_permissions(user)
    permissions = set().union(*(role_permissions(p) for p in principals)) - own
    permissions.discard("viewflow.view_process")
    return StandInScope(tuple(p.pk for p in principals), frozenset(permissions))


def _user_task_filter(user: User) -> Q:
    mine = Q(owner=user) | Q(owner__isnull=True, owner_permission__in=role_permissions(user))
    scope = stand_in_scope(user)
    return mine | scope.filter(user) if scope else mine


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
    scope = stand_in_scope(user)
    if scope:
        others = human.filter(status__in=OPEN).exclude(flow_task=PlanFlow.sign)
        others = others.exclude(process__artifact_object_id__in=_drafted_by(user))
        branches.append((others.filter(owner_id__in=scope.person_ids), "id"))
        branches.extend(
            (others.filter(owner_permission=permission, owner__isnull=True), "id")
            for permission in sorted(scope.permissions)
        )
    ids = keyset_page(branches, before=before, limit=limit)
    tasks = Task.objects.select_related("process").in_bulk(ids)
    return [tasks[i] for i in ids if i in tasks]


def task_get_open(*, user: User, task_id: int) -> Task:
    task = task_list_open(user=user).filter(pk=task_id).first()
    if task is None:
        _refuse_own_draft_through_stand_in(user, task_id)
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


def _refuse_own_draft_through_stand_in(user: User, task_id: int) -> None:
    """A drafter standing in for a reviewer of their own plan does not get its review; asking
    for it is refused, saying why (not "not found")."""
    scope = stand_in_scope(user)
    if not scope:
        return
    task = (
        Task.objects.filter(pk=task_id, flow_task_type="HUMAN", status__in=OPEN)
        .filter(process__artifact_object_id__in=_drafted_by(user))
        .first()
    )
    if task is not None and scope.covers(task):
        raise PermissionDenied(documents.OWN_DRAFT, code="own_draft")


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


def task_plan_of(plan_id: int) -> Plan:
    """A fresh instance of a plan, with what its pages and answers read."""
    return _plan_reread(plan_id)


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


def _may_take(
    task: Task, user: User, permissions: set[str], scope: StandInScope | None = None
) -> bool:
    """`user` may complete `task`: theirs, offered to them, or theirs as a stand-in (`scope`;
    the documents services then refuse a review of the stand-in's own draft, saying why)."""
    return (
        task.owner_id == user.pk
        or (task.owner_id is None and task.owner_permission in permissions)
        or (scope is not None and scope.covers(task))
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


#: The plan of a task, its row locked (the flow lock: `flows.PlanLock`).
_PLAN_OF_TASK: CompiledQuery[Plan] = CompiledQuery(
    lambda task_id: (
        documents.plans_locking()
        .filter(pk=Subquery(Task.objects.filter(pk=task_id).values("process__artifact_object_id")))
        .order_by()[:1]
    ),
    task_id=Task._meta.pk,
)
#: A human task with its process.
_HUMAN_TASK: CompiledQuery[Task] = CompiledQuery(
    lambda task_id: (
        Task.objects.select_related("process")
        .filter(pk=task_id, flow_task_type="HUMAN")
        .order_by()[:1]
    ),
    task_id=Task._meta.pk,
)


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
    scope = stand_in_scope(actor)
    with (
        tasks_opened_record() as opened,
        documents.plan_locked(found=lambda: _PLAN_OF_TASK.row(task_id=task_id)) as plan,
    ):
        task = _HUMAN_TASK.row(task_id=task_id)
        if plan is None or task is None:
            raise NotFound("Không tìm thấy nhiệm vụ, hoặc nhiệm vụ không dành cho bạn.")
        offered = (
            task.owner_id == actor.pk or task.owner_permission in permissions or scope.covers(task)
        )
        if task.status not in OPEN:
            # Say "already done" only to someone the task was for; to anyone else it does not exist.
            if offered:
                raise task_closed_error(task, user=actor)
            raise NotFound("Không tìm thấy nhiệm vụ, hoặc nhiệm vụ không dành cho bạn.")
        if not _may_take(task, actor, permissions, scope):
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
        if task.status == STATUS.NEW or task.owner_id != actor.pk:
            # Claimed and completed in one UPDATE of the task (viewflow's assign() saves twice);
            # a stand-in completes the absent person's task as its owner.
            task.owner, task.status = actor, STATUS.ASSIGNED
        activation.start(None)
        handler_for(task.flow_task.name, chosen.code)(
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
            next_tasks=tuple(t for t in opened if _may_take(t, actor, permissions, scope)),
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


def _people_with_open_tasks(process: Any) -> set[int]:
    """Who has an open task of `process`: its owner, or everyone it is offered to."""
    people: set[int] = set()
    for owner_id, permission in process.task_set.filter(
        flow_task_type="HUMAN", status__in=OPEN
    ).values_list("owner_id", "owner_permission"):
        if owner_id:
            people.add(owner_id)
        elif permission:
            people |= set(user_list_with_permission(permission).values_list("pk", flat=True))
    return people


def plan_withdraw(*, plan: Plan, actor: User, comment: str = "") -> Plan:
    """The drafter withdraws a plan at any step before its signature: in one transaction under
    the flow lock, the plan is withdrawn (documents.plan_withdraw: the reason in its history),
    everyone who had a task of it is told, and its process is cancelled — no task is left open,
    no deadline fires any more."""
    process = process_for(plan)
    with documents.plan_locked(where=Q(pk=plan.pk)) as locked:
        if locked is None:
            raise NotFound("Không tìm thấy văn bản.")
        told = _people_with_open_tasks(process) if process is not None else set()
        documents.plan_withdraw(plan=locked, actor=actor, comment=comment, told=told)
        if process is not None and process.status not in (PROCESS.DONE, PROCESS.CANCELED):
            PlanFlow.instance.cancel(process)
    return _plan_reread(plan.pk)


def plan_signer_change(*, plan: Plan, actor: User, signer_id: Any, reason: str) -> Plan:
    """The Chủ tịch hands the signature to a Phó Chủ tịch, or takes it back
    (documents.plan_signer_change); an open signature task moves to the new signer, in the same
    transaction under the flow lock."""
    process = process_for(plan)
    with documents.plan_locked(where=Q(pk=plan.pk)) as locked:
        if locked is None:
            raise NotFound("Không tìm thấy văn bản.")
        changed = documents.plan_signer_change(
            plan=locked, actor=actor, signer_id=signer_id, reason=reason
        )
        if process is not None:
            process.task_set.filter(flow_task=PlanFlow.sign, status__in=OPEN).update(
                owner=changed.signer, status=STATUS.ASSIGNED
            )
    return _plan_reread(plan.pk)


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


# ---------------------------------------------------------------------------------------------
# Absences and stand-ins


def absence_create(
    *,
    actor: User,
    person_id: Any,
    stand_in_id: Any,
    start_date: Any,
    end_date: Any,
    reason: str,
) -> Absence:
    """Record an absence and its stand-in (agencies.services.absence_create: who may, and the
    refusals); one that starts today hands the person's open tasks over at once
    (`absence_apply`), in the same transaction."""
    try:
        return _absence_create(
            actor=actor,
            person_id=person_id,
            stand_in_id=stand_in_id,
            start_date=start_date,
            end_date=end_date,
            reason=reason,
        )
    except BaseException:
        absences_cache_clear()  # it may have cached the absence that was rolled back
        raise


@transaction.atomic
def _absence_create(
    *,
    actor: User,
    person_id: Any,
    stand_in_id: Any,
    start_date: Any,
    end_date: Any,
    reason: str,
) -> Absence:
    absence = agencies.absence_create(
        actor=actor,
        person_id=person_id,
        stand_in_id=stand_in_id,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
    )
    _absence_notify(absence, actor=actor)
    if absence.is_current(timezone.localdate()):
        absence_apply(absence=absence)
    return absence


def _absence_notify(absence: Absence, *, actor: User) -> None:
    """Tell the stand-in (and the person, when someone else recorded it) after commit."""
    told = [absence.stand_in_id] + ([absence.person_id] if actor.pk != absence.person_id else [])
    notify_on_commit(
        user_ids=told,
        kind="absence.recorded",
        title=(
            f"{absence.stand_in.display_name} thay mặt {absence.person.display_name} từ "
            f"{absence.start_date:%d/%m/%Y} đến {absence.end_date:%d/%m/%Y}"
        ),
        body=absence.reason,
        url=link("absence", absence.pk),
        data={"absence_id": absence.pk},
    )


def absence_apply(*, absence: Absence) -> int:
    """The absence starts: the person's open tasks pass to the stand-in. A signature passes with
    a new signature block in the stand-in's own name (`documents.plan_signer_stand_in`: "KT. CHỦ
    TỊCH / PHÓ CHỦ TỊCH") and its task moves; any other task stays the person's — the stand-in
    finds it in their inbox until the absence ends (`stand_in_scope`) — and the stand-in is
    granted the plan and told. A plan the stand-in drafted is not handed to them for review.
    Returns how many plans were handed over; marks the absence applied."""
    person, stand_in = absence.person, absence.stand_in
    permissions = role_permissions(person) - {"viewflow.view_process"}
    open_tasks = Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN).filter(
        Q(owner=person) | Q(owner__isnull=True, owner_permission__in=permissions)
    )
    plan_ids = sorted(
        {int(i) for i in open_tasks.values_list("process__artifact_object_id", flat=True) if i}
    )
    handed = 0
    for plan_id in plan_ids:
        with documents.plan_locked(where=Q(pk=plan_id)) as plan:
            if plan is None:
                continue
            process = process_for(plan)
            sign_tasks = process.task_set.filter(
                flow_task=PlanFlow.sign, status__in=OPEN, owner=person
            )
            if sign_tasks.exists():
                signer = documents.plan_signer_stand_in(plan=plan)
                if signer is not None:
                    sign_tasks.update(owner=signer, status=STATUS.ASSIGNED)
                    handed += 1
                continue
            if stand_in.pk == plan.drafter_id and person.pk != plan.drafter_id:
                continue  # nobody reviews their own draft as a stand-in
            documents.plan_stand_in_hand_over(
                plan=plan, absent=person, stand_in=stand_in, reason=absence.reason
            )
            handed += 1
    Absence.objects.filter(pk=absence.pk).update(applied_at=timezone.now())
    return handed


def absences_apply_due() -> int:
    """Hand over the open tasks of every absence that has started since (run with the timers)."""
    absences_cache_clear()  # this process may hold what another one changed
    count = 0
    due = (
        absence_list_current().filter(applied_at__isnull=True).select_related("person", "stand_in")
    )
    for absence in due.order_by("pk")[:100]:
        with transaction.atomic():
            count += absence_apply(absence=absence)
    return count
