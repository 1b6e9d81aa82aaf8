"""Consultation (lấy ý kiến): the drafter chooses agencies (or says why none), each answers or
falls silent, the drafter consolidates (tiếp thu, giải trình) and sends the plan on, or asks again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import Unit, User
from agencies.selectors import user_list_of_units
from agencies.validation import clean_comment, parse_ids
from agencies.working_days import next_working_day, working_deadline

from ..consolidation import consolidation_to_dict
from ..consolidation_selectors import consolidation_build
from ..models import (
    ConsultationRequest,
    Plan,
)
from ..steps import DRAFTER, STEPS_BY_CODE, next_step
from .base import (
    CHAIN_HEAD,
    Kind,
    Status,
    _arrive,
    _ensure_drafter,
    _grant,
    _lock,
    _notify,
    _record,
    _require,
    _snapshot,
    _task_people,
    _unit_of_work,
    latest_version,
)

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


def _parse_working_days(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKING_DAYS:
        raise InvalidInput(
            f"Số ngày làm việc của hạn góp ý phải là số nguyên từ 1 đến {MAX_WORKING_DAYS}.",
            code="invalid_period",
        )
    return value


#: The longest consultation period one may give in working days (about a year).
MAX_WORKING_DAYS = 250


def consultation_deadline(
    *, deadline: Any = None, working_days: Any = None, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime | None]:
    """The deadline of a consultation and, when it moved, the one that was asked for.

    Either a date or time (`deadline`), or a number of working days (`working_days`, "trong
    thời hạn 07 ngày làm việc"), counted from the day it is set, that day excluded (Bộ luật Dân
    sự, Điều 147): the period ends at the end of its last working day. A deadline that falls on a
    day off (weekend, holiday, a day off the staff recorded) moves to the end of the next working
    day (Điều 148.5)."""
    if working_days not in (None, ""):
        if deadline not in (None, ""):
            raise InvalidInput(
                "Chỉ nhập hạn góp ý hoặc số ngày làm việc, không nhập cả hai.",
                code="deadline_twice",
            )
        return working_deadline(now or timezone.now(), _parse_working_days(working_days)), None
    asked = _parse_deadline(deadline)
    local = timezone.localtime(asked)
    moved_to = next_working_day(local.date())
    if moved_to == local.date():
        return asked, None
    end = timezone.make_aware(dt.datetime.combine(moved_to, dt.time(23, 59, 59)))
    return end, asked


@_unit_of_work
def plan_send_for_consultation(
    *,
    plan: Plan,
    actor: User,
    unit_ids: Sequence[int],
    deadline: Any = None,
    deadline_working_days: Any = None,
    now: dt.datetime | None = None,
) -> list[ConsultationRequest]:
    """Send the approved plan to `unit_ids` for comments until `deadline` (a date or time), or
    for `deadline_working_days` working days; one request each. A deadline on a day off moves
    to the end of the next working day (`consultation_deadline`)."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    if plan.status != Status.APPROVED:
        raise StateError("Văn bản không ở bước chọn đơn vị lấy ý kiến.")
    ids = sorted(parse_ids(unit_ids, label="Danh sách đơn vị lấy ý kiến"))
    if not ids:
        raise InvalidInput(
            "Chọn ít nhất một đơn vị để lấy ý kiến, hoặc chọn “Không lấy ý kiến” và nêu lý do.",
            code="no_agency",
        )
    units = list(Unit.objects.filter(pk__in=ids, is_active=True))
    if len(units) != len(ids):
        raise InvalidInput("Có đơn vị không tồn tại trong danh mục.")
    if plan.drafting_unit_id in ids:
        raise InvalidInput("Không gửi lấy ý kiến chính đơn vị soạn thảo.")
    deadline, asked = consultation_deadline(
        deadline=deadline, working_days=deadline_working_days, now=now
    )
    # What was typed must be ahead, not only where it moved to (a past Saturday moves ahead).
    if ids and (asked or deadline) <= (now or timezone.now()):
        raise InvalidInput("Hạn góp ý phải sau thời điểm hiện tại.")
    when: dict[str, Any] = {}
    if asked is not None:
        when["deadline_asked"] = asked.isoformat()
    if deadline_working_days not in (None, ""):
        when["working_days"] = int(deadline_working_days)
    plan.advance(Status.IN_CONSULTATION)
    plan.consultation_round += 1
    version = latest_version(plan)
    if version is None:  # every submitted plan has one
        raise StateError("Kế hoạch chưa có phiên bản nào để lấy ý kiến.")
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
            **when,
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
        title=str(STEPS_BY_CODE["consult"].arrival_notice),
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
        _task_people(plan, DRAFTER, reason="consolidate"),
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
        _task_people(plan, DRAFTER, reason="consolidate"),
        kind="consultation.answered",
        title=f"{request.unit.name}: quá hạn không có ý kiến (xem như thống nhất)",
    )
    return request


@_unit_of_work
def plan_close_consultation(*, plan: Plan) -> Plan:
    """Every agency of the round has answered or fallen silent: the drafter consolidates."""
    plan = _lock(plan)
    if plan.status != Status.IN_CONSULTATION:
        raise StateError("Văn bản không ở bước lấy ý kiến.")
    if plan.consultations.filter(round=plan.consultation_round, verdict="").exists():
        raise StateError("Còn đơn vị chưa trả lời và chưa quá hạn.")
    plan.advance(Status.CONSOLIDATING)
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
        _task_people(plan, DRAFTER, reason="consolidate"),
        kind="task.assigned",
        title=str(STEPS_BY_CODE["consolidate"].arrival_notice),
    )
    return plan


def _resolve_comments(plan: Plan, actor: User, resolutions: Any) -> dict[str, ConsultationRequest]:
    """Record the drafter's answers (`resolutions`: request id → {"resolution": "accepted" |
    "explained", "note"}) to the round's comments; every comment must be answered by now or
    earlier. Returns the round's requests by id."""
    resolutions = resolutions or {}
    if not isinstance(resolutions, dict):
        raise InvalidInput("Phần tiếp thu, giải trình không hợp lệ.")
    requests = {
        str(r.pk): r
        for r in plan.consultations.select_for_update()
        .select_related("unit")
        .filter(round=plan.consultation_round)
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
    return requests


@_unit_of_work
def plan_consolidation_send(
    *, plan: Plan, actor: User, resolutions: dict[Any, Any] | None = None, comment: str = ""
) -> Plan:
    """The drafter answers every comment (tiếp thu / giải trình) and sends the plan on, as a new
    version, to the next stage of its path (budget review, or the next one it needs)."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    if plan.status != Status.CONSOLIDATING:
        raise StateError("Văn bản không ở bước tổng hợp ý kiến.")
    requests = _resolve_comments(plan, actor, resolutions)
    # The consolidation goes with the version sent on, as it stands now: kept on the version, its
    # document (documents/consolidation.py) is rendered from it and never changes afterwards.
    consolidation = consolidation_build(
        plan=plan, prepared_on=timezone.localdate(), version=plan.version_number + 1
    )
    version = _snapshot(
        plan,
        actor=actor,
        reason="consolidated",
        consolidation=consolidation_to_dict(consolidation),
    )
    _arrive(
        plan,
        next_step(plan, after="consultation"),
        actor=actor,
        kind=Kind.SENT_TO_BUDGET_REVIEW,
        from_status=Status.CONSOLIDATING,
        comment=clean_comment(comment),
        data={
            "version": version.number,
            "resolutions": {k: r.resolution for k, r in requests.items() if r.resolution},
        },
        fields=["version_number"],
    )
    return plan


@_unit_of_work
def plan_consultation_reopen(
    *, plan: Plan, actor: User, comment: str, resolutions: dict[Any, Any] | None = None
) -> Plan:
    """After major changes, the drafter asks again (a second round, lấy ý kiến lần 2): the
    current content becomes a new version and the plan goes back to the choice of agencies. The
    answers of every round stay, side by side."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    _require(plan, plan.reopen_consultation, "Chỉ lấy ý kiến lại khi đang tổng hợp ý kiến.")
    comment = clean_comment(comment, label="lý do lấy ý kiến lại", required=True)
    _resolve_comments(plan, actor, resolutions)
    version = _snapshot(plan, actor=actor, reason="consultation_reopened")
    plan.reopen_consultation()
    _record(
        plan,
        actor=actor,
        kind=Kind.CONSULTATION_REOPENED,
        from_status=Status.CONSOLIDATING,
        comment=comment,
        data={"version": version.number, "round": plan.consultation_round + 1},
        save=False,
    )
    plan.save(update_fields=["status", "version_number", "updated_at", *CHAIN_HEAD])
    return plan


@_unit_of_work
def plan_consultation_skip(*, plan: Plan, actor: User, comment: str) -> Plan:
    """The drafter decides, saying why, that no agency is consulted: the plan goes on to the
    next stage of its path, and the history says so (an empty list of agencies is refused)."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor)
    if plan.status != Status.APPROVED:
        raise StateError("Văn bản không ở bước chọn đơn vị lấy ý kiến.")
    comment = clean_comment(comment, label="lý do không lấy ý kiến", required=True)
    _arrive(
        plan,
        next_step(plan, after="consultation"),
        actor=actor,
        kind=Kind.CONSULTATION_SKIPPED,
        from_status=Status.APPROVED,
        comment=comment,
    )
    return plan
