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
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import SelectForUpdateLock

from agencies.backends import role_permission, unit_head_permission, unit_permission
from documents import services as documents
from documents.models import ConsultationRequest, Plan

from .models import PlanProcess
from .nodes import FanOut


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


def _status_is(status: str) -> Any:
    return lambda activation: Plan.objects.get(pk=_plan(activation).pk).status == status


class PlanFlow(flow.Flow):
    process_class = PlanProcess
    # A real lock: two agencies answering at once must not create two joins or lose an answer.
    # nowait=False blocks instead of sleep-retrying and stays correct inside an outer atomic().
    lock_impl = SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_process).Next(this.agency_review)

    agency_review = (
        flow.View(task_page)
        .Annotation(title="Lãnh đạo đơn vị duyệt")
        .Permission(_head_permission)
        .Next(this.after_agency_review)
    )
    after_agency_review = (
        flow.If(_status_is(Plan.Status.APPROVED))
        .Then(this.choose_agencies)
        .Else(this.revise_agency)
    )
    revise_agency = (
        flow.View(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến lãnh đạo đơn vị")
        .Assign(_drafter)
        .Next(this.agency_review)
    )

    choose_agencies = (
        flow.View(task_page)
        .Annotation(title="Chọn đơn vị lấy ý kiến")
        .Assign(_drafter)
        .Next(this.fan_out)
    )
    fan_out = FanOut(this.consultation_items).IfNone(this.close_consultation).Next(this.consult)
    consult = (
        flow.View(task_page)
        .Annotation(title="Góp ý dự thảo kế hoạch")
        .Permission(_consult_permission)
        .OnTimeout(this.consult_deadline, this.agree_by_silence)
        .Next(this.join_answers)
    )
    agree_by_silence = flow.Function(this.record_silence).Next(this.join_answers)
    join_answers = flow.Join().Next(this.close_consultation)
    close_consultation = flow.Function(this.close).Next(this.consolidate)
    consolidate = (
        flow.View(task_page)
        .Annotation(title="Tổng hợp, tiếp thu, giải trình")
        .Assign(_drafter)
        .Next(this.budget_review)
    )

    budget_review = (
        flow.View(task_page)
        .Annotation(title="Thẩm định kinh phí")
        .Permission(role_permission("finance_reviewer"))
        .Next(this.after_budget_review)
    )
    after_budget_review = (
        flow.If(_status_is(Plan.Status.VETTING)).Then(this.vetting).Else(this.revise_budget)
    )
    revise_budget = (
        flow.View(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến Sở Tài chính")
        .Assign(_drafter)
        .Next(this.budget_review)
    )

    vetting = (
        flow.View(task_page)
        .Annotation(title="Thẩm tra")
        .Permission(role_permission("office_vetter"))
        .Next(this.after_vetting)
    )
    after_vetting = (
        flow.If(_status_is(Plan.Status.AWAITING_SIGNATURE))
        .Then(this.sign)
        .Else(this.revise_vetting)
    )
    revise_vetting = (
        flow.View(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến Văn phòng")
        .Assign(_drafter)
        .Next(this.vetting)
    )

    sign = flow.View(task_page).Annotation(title="Ký số").Assign(_signer).Next(this.after_sign)
    after_sign = flow.If(_status_is(Plan.Status.SIGNED)).Then(this.issue).Else(this.revise_sign)
    revise_sign = (
        flow.View(task_page)
        .Annotation(title="Chỉnh sửa theo ý kiến người ký")
        .Assign(_drafter)
        .Next(this.sign)
    )

    issue = (
        flow.View(task_page)
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
        plan = Plan.objects.get(pk=_plan(activation).pk)
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
