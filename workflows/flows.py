"""Path / Roles / Returns of a plan (DOMAIN.md, steps 3-9), built from the step declarations.

Path: the steps of documents/steps.py, in the order of the plan's type (documents/types.py): for
a Kế hoạch, agency approval → the drafter picks agencies and a deadline (or says why none) → one
consultation task per agency (fan-out; a silent agency agrees when its deadline passes) → join →
consolidation (or a new round) → budget review (skipped without state budget) → vetting →
signature → issuance; a Công văn goes from agency approval to signature. After every task the
plan's status says where it waits now, and the flow goes to that step's node (`ROUTES`); a return
goes to the drafter's revision, which comes back to the step that returned it.
Roles: each step's actor (its declaration) is given the task: assigned to one person (drafter,
signer) or offered through a permission (unit heads, a role, the consulted unit).
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

from agencies.backends import unit_permission
from documents import services as documents
from documents import steps
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


def _consult_permission(activation: Any) -> str:
    return unit_permission(activation.task.data["unit_id"])


def _for(step: steps.Step, node: Any) -> Any:
    """Give `node` to the step's actor (documents/steps.py): assigned to one person, or offered
    to everyone with a permission."""
    if step.actor.kind == "consulted_unit":
        return node.Permission(_consult_permission)
    if step.actor.kind in ("unit_heads", "role"):
        return node.Permission(lambda activation: step.actor.permission(_plan(activation)))
    return node.Assign(lambda activation: step.actor.assignee(_plan(activation)))


#: Where a plan waiting at a status is taken up: the node of that step.
ROUTES: dict[str, str] = {
    Plan.Status.APPROVED: "choose_agencies",
    Plan.Status.IN_CONSULTATION: "fan_out",
    **{s.status: s.code for s in steps.STEPS if s.stage != "consultation"},
    Plan.Status.CONSOLIDATING: "consolidate",
    Plan.Status.ISSUED: "end",
    Plan.Status.WITHDRAWN: "end",
}


def _status_is(status: str) -> Any:
    return lambda activation: _plan(activation).status == status


def _routed(node: Any, step: steps.Step | None = None) -> Any:
    """After the task: a return goes to the step's revision; otherwise on to the node of the
    status the plan now waits at (the services decide it from the plan's path)."""
    if step is not None and step.is_review:
        node = node.Branch(_status_is(Plan.Status.RETURNED), getattr(this, step.revise_node))
    for status, target in ROUTES.items():
        node = node.Branch(_status_is(status), getattr(this, target))
    return node.Next(this.end)


def _switch_by_status() -> Any:
    """A gateway to the node of the status the plan waits at (after its submission)."""
    switch = flow.Switch()
    for status, target in ROUTES.items():
        switch = switch.Case(getattr(this, target), _status_is(status))
    return switch.Default(this.end)


def _task(step: steps.Step) -> Any:
    """The human task of `step`: its title and actor from the declaration, routed."""
    return _routed(_for(step, Step(task_page).Annotation(title=step.title)), step)


def review(step: steps.Step) -> tuple[Any, Any]:
    """A review step's task and the drafter's revision task, which comes back to it."""
    revise = (
        Step(task_page)
        .Annotation(title=step.revise_title)
        .Assign(_drafter)
        .Next(getattr(this, step.code))
    )
    return _task(step), revise


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

    start = flow.StartHandle(this.start_process).Next(this.first_step)
    first_step = _switch_by_status()

    # One line per review step (documents/steps.py declares it).
    agency_review, revise_agency = review(steps.STEPS_BY_CODE["agency_review"])
    budget_review, revise_budget = review(steps.STEPS_BY_CODE["budget_review"])
    legal_review, revise_legal = review(steps.STEPS_BY_CODE["legal_review"])
    vetting, revise_vetting = review(steps.STEPS_BY_CODE["vetting"])
    sign, revise_sign = review(steps.STEPS_BY_CODE["sign"])

    # Consultation: the drafter chooses, one task per agency (fan-out; a silent agency agrees
    # when its deadline passes), the answers meet, the drafter consolidates.
    choose_agencies = _task(steps.STEPS_BY_CODE["choose_agencies"])
    fan_out = FanOut(this.consultation_items).IfNone(this.close_consultation).Next(this.consult)
    consult = (
        _for(
            steps.STEPS_BY_CODE["consult"],
            Step(task_page).Annotation(title=steps.STEPS_BY_CODE["consult"].title),
        )
        .OnTimeout(this.consult_deadline, this.agree_by_silence)
        .Next(this.join_answers)
    )
    agree_by_silence = flow.Function(this.record_silence).Next(this.join_answers)
    join_answers = flow.Join().Next(this.close_consultation)
    close_consultation = flow.Function(this.close).Next(this.consolidate)
    consolidate = _task(steps.STEPS_BY_CODE["consolidate"])

    issue = _task(steps.STEPS_BY_CODE["issue"])
    end = flow.End()

    # -- callbacks: orchestration only; the documents services hold the rules -------------------

    def start_process(self, activation: Any, *, plan: Plan, actor: Any) -> Any:
        # The artifact is the submitted plan (its new status routes the first step).
        activation.process.artifact = documents.plan_submit_draft(plan=plan, actor=actor)
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
