"""Path / Roles / Returns of a plan (DOMAIN.md, steps 3-9).

Path: agency approval → the drafter picks agencies and a deadline → one consultation task per
agency (fan-out; a silent agency agrees when its deadline passes) → join → consolidation → budget
review → vetting → signature → issuance. Each review can return the plan; the drafter revises and
it comes back to the step that returned it.
Roles: who sees each task is a permission computed per task (agencies.backends); the drafter and
the signer are assigned directly.
Returns: nothing; every node calls a documents service, which owns the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.models import Process

from agencies.backends import role_permission, unit_head_permission, unit_permission
from documents import services as documents
from documents.models import ConsultationRequest, Plan

from .models import PlanProcess
from .nodes import FanOut, Step


def task_page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """viewflow wants a view per human node; ours is one task page for every node."""
    return redirect("task-detail", task_id=kwargs.get("task_pk"))


def _plan(activation: Any) -> Plan:
    return activation.process.artifact


def _drafter(activation: Any) -> Any:
    return _plan(activation).drafter


def _signer(activation: Any) -> Any:
    return _plan(activation).signer


def _head_permission(activation: Any) -> str:
    return unit_head_permission(_plan(activation).drafting_unit_id)


def _consult_permission(activation: Any) -> str:
    return unit_permission(activation.task.data["unit_id"])


def _returned(activation: Any) -> bool:
    """The reviewer returned the plan to its drafter (read from the plan the step just moved)."""
    return _plan(activation).status == Plan.Status.RETURNED


def plan_of_process(process_pk: Any) -> Q:
    """Selects the plan that is the artifact of process `process_pk`."""
    return Q(pk=Subquery(Process.objects.filter(pk=process_pk).values("artifact_object_id")))


class PlanLock:
    """The flow lock of a plan's process is the plan's own row.

    Every step ends in a documents service that locks the plan row anyway (flow lock first, then
    the plan row, DESIGN.md); taking that row as the flow lock makes it one lock in one statement,
    and the services reuse the locked instance (`documents.services.plan_locked`). A real lock:
    two agencies answering at once must not create two joins or lose an answer. It waits rather
    than fails (like `SelectForUpdateLock(nowait=False)`) and stays correct inside an outer
    atomic(). A process without its plan yet (none in this flow) locks its own row instead.
    """

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: Any) -> Iterator[None]:
        with documents.plan_locked(where=plan_of_process(process_pk)) as plan:
            if plan is None:
                flow_class.process_class._default_manager.filter(
                    pk=process_pk
                ).select_for_update().exists()
            yield


class PlanFlow(flow.Flow):
    process_class = PlanProcess
    lock_impl = PlanLock()

    start = flow.StartHandle(this.start_process).Next(this.agency_review)

    agency_review = (
        Step(task_page)
        .Annotation(title="Lãnh đạo đơn vị duyệt")
        .Permission(_head_permission)
        .Next(this.choose_agencies)
        .Branch(_returned, this.revise_agency)
    )
    revise_agency = (
        Step(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến lãnh đạo đơn vị")
        .Assign(_drafter)
        .Next(this.agency_review)
    )

    choose_agencies = (
        Step(task_page)
        .Annotation(title="Chọn đơn vị lấy ý kiến")
        .Assign(_drafter)
        .Next(this.fan_out)
    )
    fan_out = FanOut(this.consultation_items).IfNone(this.close_consultation).Next(this.consult)
    consult = (
        Step(task_page)
        .Annotation(title="Góp ý dự thảo kế hoạch")
        .Permission(_consult_permission)
        .OnTimeout(this.consult_deadline, this.agree_by_silence)
        .Next(this.join_answers)
    )
    agree_by_silence = flow.Function(this.record_silence).Next(this.join_answers)
    join_answers = flow.Join().Next(this.close_consultation)
    close_consultation = flow.Function(this.close).Next(this.consolidate)
    consolidate = (
        Step(task_page)
        .Annotation(title="Tổng hợp, tiếp thu, giải trình")
        .Assign(_drafter)
        .Next(this.budget_review)
    )

    budget_review = (
        Step(task_page)
        .Annotation(title="Thẩm định kinh phí")
        .Permission(role_permission("finance_reviewer"))
        .Next(this.vetting)
        .Branch(_returned, this.revise_budget)
    )
    revise_budget = (
        Step(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến Sở Tài chính")
        .Assign(_drafter)
        .Next(this.budget_review)
    )

    vetting = (
        Step(task_page)
        .Annotation(title="Thẩm tra")
        .Permission(role_permission("office_vetter"))
        .Next(this.sign)
        .Branch(_returned, this.revise_vetting)
    )
    revise_vetting = (
        Step(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến Văn phòng")
        .Assign(_drafter)
        .Next(this.vetting)
    )

    sign = (
        Step(task_page)
        .Annotation(title="Ký số")
        .Assign(_signer)
        .Next(this.issue)
        .Branch(_returned, this.revise_sign)
    )
    revise_sign = (
        Step(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến người ký")
        .Assign(_drafter)
        .Next(this.sign)
    )

    issue = (
        Step(task_page)
        .Annotation(title="Phát hành")
        .Permission(role_permission("clerk"))
        .Next(this.end)
    )
    end = flow.End()

    # -- callbacks: orchestration only; the documents services hold the rules -------------------

    def start_process(self, activation: Any, *, plan: Plan, actor: Any) -> Any:
        activation.process.artifact = plan
        documents.plan_submit_to_agency(plan=plan, actor=actor)
        return activation.process

    def consultation_items(self, activation: Any) -> list[dict[str, Any]]:
        plan = _plan(activation)
        return [
            {
                "request_id": r.pk,
                "unit_id": r.unit_id,
                "unit": r.unit.name,
                "deadline": r.deadline.isoformat(),
            }
            for r in plan.consultations.filter(round=plan.consultation_round).select_related("unit")
        ]

    def consult_deadline(self, activation: Any) -> dt.datetime:
        host = activation.task.previous.get(flow_task=self.consult)
        return dt.datetime.fromisoformat(host.data["deadline"])

    def record_silence(self, activation: Any) -> None:
        # The timer's own task has no data; its host consultation task shares its token.
        host = (
            activation.process.task_set.filter(flow_task=self.consult, token=activation.task.token)
            .order_by("-pk")
            .first()
        )
        request = ConsultationRequest.objects.get(pk=host.data["request_id"])
        documents.consultation_record_silence(request=request)

    def close(self, activation: Any) -> None:
        documents.plan_close_consultation(plan=_plan(activation))
