"""Building blocks of every service: the plan's lock, the unit of work, the audit chain, access
grants, notifications, versions, and the checks that recur.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_fsm import can_proceed

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import User
from agencies.queries import only_row
from agencies.selectors import stand_in_map
from agencies.validation import clean_comment
from notifications.links import link
from notifications.services import notify_on_commit

from ..models import (
    Plan,
    PlanAccess,
    PlanEvent,
    PlanVersion,
    canonical_json,
    sha256_hex,
)
from ..steps import DRAFTER, Actor, NextStep, Step, step_of

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


def plans_locking() -> QuerySet[Plan]:
    """Plans selected FOR UPDATE, with the people most steps notify or route to (drafter,
    signer). The issuer and drafting unit are read where a step needs them: joining them on
    every action cost more than the queries it saved (the review steps never read them).

    Only the plan's row is locked: without `of`, PostgreSQL would also lock the joined rows, and
    every plan names the same issuer (the UBND tỉnh), so all plans' actions would queue on one row.

    The signed and issued PDFs (hundreds of KB each) are read when a step uses them (Django
    loads a deferred field on first access, under the lock already held), not carried by every
    action after the signature. The content is loaded: several steps read it (budget review,
    consolidation, submission), and deferring it would add a statement to each of them (budget
    review would pass the 12-statement bound of a completion).
    """
    return (
        Plan.objects.select_for_update(of=("self",))
        .select_related("drafter", "signer")
        .defer(*LAZY_FIELDS)
    )


#: The plan's fields an action reads only if its step needs them (`plans_locking`).
LAZY_FIELDS = ("signed_pdf", "issued_pdf")


def _lock(plan: Plan) -> Plan:
    """Reload `plan` holding its row lock until the transaction ends.

    Inside `plan_locked` for the same plan, the instance locked there is returned (no statement):
    the caller's flow step and the service then work on one instance.
    """
    held = (_held.get() or {}).get(plan.pk)
    if held is not None:
        return held
    return plans_locking().get(pk=plan.pk)


@contextmanager
def plan_locked(
    *, where: Q | None = None, found: Callable[[], Plan | None] | None = None
) -> Iterator[Plan | None]:
    """In one transaction, lock the row of the plan matching `where`, a condition on its key, or
    the one `found()` selects from `plans_locking()` (a compiled query of it, say); None if
    there is none.

    Services called inside find the locked instance (`_lock`) instead of selecting it again. The
    workflow takes this as its flow lock, so the flow lock and the plan lock are one row lock.
    """
    if (where is None) == (found is None):
        raise TypeError("plan_locked takes one of `where` and `found`")
    with transaction.atomic():
        plan = found() if found is not None else only_row(plans_locking().filter(where))
        if plan is None:
            yield None
            return
        token = _held.set({**(_held.get() or {}), plan.pk: plan})
        try:
            yield plan
        finally:
            _held.reset(token)


#: Who the actor of the running service acts for as a stand-in: (actor id, absent person).
_on_behalf: ContextVar[tuple[int, User] | None] = ContextVar("plans_on_behalf", default=None)


def _unit_of_work(service: Callable[..., _T]) -> Callable[..., _T]:
    """`transaction.atomic` for a service; inside `plan_locked` (a flow step) without a savepoint.

    There the step is the unit of work: a refusal leaves the whole step, which rolls back, so a
    savepoint (two more statements) would protect nothing. Whom the actor stands in for is
    known for the service's duration only (`_acting_for`).
    """

    @functools.wraps(service)
    def run(*args: Any, **kwargs: Any) -> _T:
        token = _on_behalf.set(None)
        try:
            with transaction.atomic(savepoint=not _held.get()):
                return service(*args, **kwargs)
        finally:
            _on_behalf.reset(token)

    return run


def _acting_for(actor: User, principal: User) -> None:
    """`actor` acts in this service as the stand-in of the absent `principal`: the history's
    entries by `actor` say so ("X thay mặt Y")."""
    _on_behalf.set((actor.pk, principal))


def on_behalf_data(principal: User) -> dict[str, Any]:
    return {"on_behalf_of": principal.pk, "on_behalf_of_name": principal.display_name}


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
    behalf = _on_behalf.get()
    if actor is not None and behalf is not None and behalf[0] == actor.pk:
        data = {**(data or {}), **on_behalf_data(behalf[1])}
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


def _snapshot(
    plan: Plan, *, actor: User, reason: str, consolidation: dict[str, Any] | None = None
) -> PlanVersion:
    """Freeze the current content as the next immutable version (with the consolidation it is
    sent on with, if any)."""
    plan.version_number += 1
    return PlanVersion.objects.create(
        plan=plan,
        number=plan.version_number,
        content=plan.content,
        content_sha256=sha256_hex(canonical_json(plan.content)),
        reason=reason,
        created_by=actor,
        consolidation=consolidation,
    )


def _comment_required(comment: str) -> str:
    return clean_comment(comment, label="lý do trả lại", required=True)


def _ensure_drafter(plan: Plan, actor: User, *, stand_in: bool = True) -> None:
    """The drafter, or (for the drafter's tasks, `stand_in`) their stand-in while they are away
    (agencies.Absence)."""
    if actor.pk == plan.drafter_id:
        return
    principal = DRAFTER.acting_for(plan, actor) if stand_in else None
    if principal is None:
        raise PermissionDenied("Chỉ người soạn thảo văn bản mới được thực hiện thao tác này.")
    _acting_for(actor, principal)


def _ensure_role(actor: User, role: str, message: str) -> None:
    if actor.role != role:
        raise PermissionDenied(message)


def latest_version(plan: Plan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


# ---------------------------------------------------------------------------------------------
# Steps: arriving at one, who may act at one


def _arrive(
    plan: Plan,
    arrival: NextStep,
    *,
    actor: User | None,
    kind: str,
    from_status: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
    notice: str = "",
) -> Step | None:
    """Move the locked `plan` on to `arrival.step` (None: the end of its path, issued), record
    `kind`, and say so: the stages skipped on the way each leave their own event, the step's
    actors are granted access and told (`notice`, or the step's arrival notice).

    Saves the plan's status, `fields` and its audit chain's head in one UPDATE.
    """
    target = arrival.step.status if arrival.step is not None else Status.ISSUED
    for skipped in arrival.skipped:
        if skipped.on_request:
            continue
        _record(
            plan,
            actor=None,
            kind=skipped.skipped_event,
            from_status=plan.status,
            data={"step": skipped.code},
            save=False,
        )
    if plan.status == Status.DRAFT:
        plan.submit(target)
    else:
        plan.advance(target)
    _record(
        plan,
        actor=actor,
        kind=kind,
        from_status=from_status,
        comment=comment,
        data=data,
        save=False,
    )
    plan.save(update_fields=["status", "updated_at", *fields, *CHAIN_HEAD])
    step = arrival.step
    if step is not None:
        _step_open(plan, step, notice=str(notice or step.arrival_notice))
    return step


def _step_open(plan: Plan, step: Step, *, notice: str) -> None:
    """The plan arrives (or comes back) at `step`: its actors are granted access and told; a
    signature whose signer is away passes to their stand-in first (`plan_signer_stand_in`)."""
    if step.actor.kind == "signer":
        from .plans import plan_signer_stand_in

        plan_signer_stand_in(plan=plan)
    grant = step.actor.grant(plan)
    if grant is not None:
        _grant(plan, reason=step.code, **grant)
    _notify(
        plan, _task_people(plan, step.actor, reason=step.code), kind="task.assigned", title=notice
    )


OWN_DRAFT = (
    "Bạn là người soạn thảo văn bản này nên không thể duyệt văn bản thay mặt người vắng mặt: "
    "nhiệm vụ vẫn dành cho những người có thẩm quyền khác."
)


def _ensure_step_actor(plan: Plan, actor: User) -> Step:
    """The review step the plan waits at, if `actor` may act there (in their own right or as
    an absent person's stand-in); else PermissionDenied. Nobody approves their own draft as a
    stand-in."""
    step = step_of(plan)
    if step is None:
        raise PermissionDenied("Bạn không có thẩm quyền xử lý văn bản ở bước này.")
    if step.actor.qualifies(plan, actor):
        return step
    if step.actor.is_own_draft_through_stand_in(plan, actor):
        raise PermissionDenied(OWN_DRAFT, code="own_draft")
    principal = step.actor.acting_for(plan, actor)
    if principal is None:
        raise PermissionDenied("Bạn không có thẩm quyền xử lý văn bản ở bước này.")
    _acting_for(actor, principal)
    return step


def _task_people(plan: Plan, actor_of_step: Actor, *, reason: str) -> Any:
    """Who a task of `actor_of_step` goes to now, to be told: its people, each one away
    replaced by their stand-in (agencies.Absence) — who is granted access to the plan — except
    a stand-in who drafted the plan and would review it (it stays with the others)."""
    ids = actor_of_step.user_ids(plan)
    stand_ins = stand_in_map(ids)
    if not stand_ins:
        return ids  # nobody away: no statement, a lazy QuerySet stays lazy
    people: list[int] = []
    for user_id in ids:
        stand_in_id = stand_ins.get(user_id)
        if stand_in_id is not None and not (
            actor_of_step.kind != "drafter" and stand_in_id == plan.drafter_id
        ):
            PlanAccess.objects.bulk_create(
                [PlanAccess(plan=plan, user_id=stand_in_id, reason=reason)],
                ignore_conflicts=True,
            )
            user_id = stand_in_id
        if user_id and user_id not in people:
            people.append(user_id)
    return people


def _require_signer(plan: Plan) -> None:
    if plan.signer_id is None:
        raise InvalidInput("Vui lòng chọn người ký (Chủ tịch hoặc Phó Chủ tịch) trong khối chữ ký.")
