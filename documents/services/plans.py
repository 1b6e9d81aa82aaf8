"""A plan's content and its life outside the review steps: create, edit, import, submit,
withdraw, change of signer, and what a user has seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import Unit, User
from agencies.selectors import absence_current_of
from agencies.validation import clean_comment, parse_id
from signing import services as signing

from ..content import ContentError, PlanContent, SignatureBlock, stand_in_signature
from ..models import (
    Plan,
    PlanVersionSeen,
    sha256_hex,
)
from ..permissions import may_change_signer, may_edit, may_submit, may_withdraw
from ..search import search_index_update
from ..steps import next_step, path_of
from .base import (
    CHAIN_HEAD,
    OWN_DRAFT,
    Kind,
    Status,
    _arrive,
    _ensure_drafter,
    _ensure_role,
    _grant,
    _lock,
    _notify,
    _record,
    _require_signer,
    _snapshot,
    _unit_of_work,
    on_behalf_data,
)

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
    if not may_edit(plan, actor):
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
    from ..importing import import_plan_file

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
# Submission, withdrawal, change of signer


@_unit_of_work
def plan_submit_draft(*, plan: Plan, actor: User) -> Plan:
    """The drafter submits the draft to the first step of its type's path (the head of the
    drafting agency), as its first version."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor, stand_in=False)
    if not may_submit(plan, actor):
        raise StateError("Chỉ trình được văn bản đang là dự thảo.")
    if not path_of(plan):
        raise InvalidInput("Hệ thống không ban hành loại văn bản này; hãy chọn loại khác.")
    _require_signer(plan)
    version = _snapshot(plan, actor=actor, reason="submitted")
    _arrive(
        plan,
        next_step(plan, after=None),
        actor=actor,
        kind=Kind.SUBMITTED,
        from_status=Status.DRAFT,
        data={"version": version.number},
        fields=["version_number"],
    )
    return plan


@_unit_of_work
def plan_withdraw(*, plan: Plan, actor: User, comment: str = "", told: Iterable[int] = ()) -> Plan:
    """The drafter abandons the plan at any step before its signature, saying why; `told` (who had
    a task of it: the workflow knows) are notified. The workflow closes the tasks."""
    plan = _lock(plan)
    _ensure_drafter(plan, actor, stand_in=False)
    if not may_withdraw(plan, actor):
        raise StateError("Chỉ rút được văn bản chưa được ký.", code="not_withdrawable")
    comment = clean_comment(comment, label="lý do rút", required=plan.status != Status.DRAFT)
    from_status = plan.status
    plan.withdraw()
    _record(
        plan, actor=actor, kind=Kind.WITHDRAWN, from_status=from_status, comment=comment, save=False
    )
    plan.save(update_fields=["status", "updated_at", *CHAIN_HEAD])
    _notify(
        plan,
        [i for i in set(told) if i != actor.pk],
        kind="plan.withdrawn",
        title=f"{actor.display_name} đã rút kế hoạch",
        body=comment or plan.title,
    )
    return plan


@_unit_of_work
def plan_signer_change(*, plan: Plan, actor: User, signer_id: Any, reason: str) -> Plan:
    """The Chủ tịch gives the signature of `plan` to another leader (a Phó Chủ tịch, who signs
    "KT. CHỦ TỊCH"), or takes it back, saying why.

    The signature block is derived again from who signs; a plan under review gets a new version
    (what the signer signs is always the latest version), so no signature prepared before can
    be finished, and the open signature sessions are ended too. The history says who and why;
    the new signer is granted access and told. The workflow moves an open signature task.
    """
    plan = _lock(plan)
    if not may_change_signer(plan, actor):
        raise PermissionDenied(
            "Chỉ Chủ tịch Ủy ban nhân dân tỉnh mới giao hoặc nhận lại việc ký văn bản, trước khi "
            "văn bản được ký.",
            code="not_the_chairman",
        )
    reason = clean_comment(reason, label="lý do", required=True)
    signer = (
        User.objects.filter(pk=parse_id(signer_id, label="Người ký"), role=User.Role.SIGNER)
        .filter(is_active=True)
        .first()
    )
    if signer is None:
        raise InvalidInput("Người được giao ký không phải là lãnh đạo có thẩm quyền ký.")
    if signer.pk == plan.signer_id:
        raise InvalidInput(f"{signer.display_name} đã là người ký văn bản này.")
    _signer_hand_over(
        plan,
        signer=signer,
        signature=_signature_for(signer, {}),
        actor=actor,
        reason=reason,
        notice=f"{actor.display_name} giao đồng chí ký kế hoạch",
    )
    return plan


def _signer_hand_over(
    plan: Plan,
    *,
    signer: User,
    signature: dict[str, Any],
    actor: User | None,
    reason: str,
    notice: str,
    data: dict[str, Any] | None = None,
    stood_in_for: User | None = None,
) -> None:
    """Make `signer` the signer of the locked `plan` with the block `signature` (as the stand-in
    of the absent `stood_in_for`, if given): a new version if it is under review, open signing
    sessions ended, the history, access and notices."""
    previous = plan.signer
    plan.content, plan.signer = {**plan.content, "signature": signature}, signer
    plan.signer_stood_in_for = stood_in_for
    fields = ["content", "signer", "signer_stood_in_for"]
    data = {
        "from": previous.display_name if previous else "",
        "to": signer.display_name,
        "to_id": signer.pk,
        **(data or {}),
    }
    if plan.version_number and not plan.is_editable:
        data["version"] = _snapshot(plan, actor=actor or signer, reason="signer_changed").number
        fields.append("version_number")
    _record(
        plan,
        actor=actor,
        kind=Kind.SIGNER_CHANGED,
        from_status=plan.status,
        comment=reason,
        data=data,
        save=False,
    )
    plan.save(update_fields=[*fields, "updated_at", *CHAIN_HEAD])
    search_index_update(plan)
    signing.signing_sessions_expire(document_id=plan.pk)
    if plan.status != Status.DRAFT:
        _grant(plan, reason="signature", user=signer)
    _notify(plan, [signer.pk], kind="task.assigned", title=notice, body=reason)
    if previous is not None and (actor is None or previous.pk != actor.pk):
        _notify(
            plan,
            [previous.pk, plan.drafter_id],
            kind="plan.signer_changed",
            title=f"Người ký kế hoạch: {signer.display_name}",
            body=reason,
        )


@_unit_of_work
def plan_signer_stand_in(*, plan: Plan) -> User | None:
    """While the plan's signer is away (agencies.Absence), the signature passes to their
    stand-in, who signs in their own name with the authority ND30 gives them
    (`content.stand_in_signature`: the Chủ tịch's stand-in, a Phó Chủ tịch, signs "KT. CHỦ
    TỊCH"); the block is derived again, as when the Chủ tịch hands it over himself
    (`plan_signer_change`). The history says whose stand-in and why. Once the absent signer is
    back, the next arrival at the signature gives it back to them (new tasks go back).

    Returns the new signer, or None when nothing changes: the signer is not away (nor was, and
    is back), their stand-in cannot sign (not a signer, the plan's drafter), or the block's
    authority does not pass (TUQ.: the task stays with the absent signer, whose superior may
    hand it to another signer).
    """
    plan = _lock(plan)
    if plan.signer_id is None or plan.status in (Status.SIGNED, Status.ISSUED, Status.WITHDRAWN):
        return None
    absence = absence_current_of(plan.signer_id)
    if absence is None:
        return _signer_back(plan)
    stand_in, absent = absence.stand_in, absence.person
    if (
        not stand_in.is_active
        or stand_in.role != User.Role.SIGNER
        or stand_in.pk == plan.drafter_id
    ):
        return None
    block = _block_for(plan, absent=absent, signer=stand_in)
    if block is None:
        return None
    _signer_hand_over(
        plan,
        signer=stand_in,
        signature=block,
        actor=None,
        reason=absence.reason,
        notice=f"Đồng chí ký kế hoạch thay mặt {absent.display_name} (vắng mặt)",
        data={**on_behalf_data(absent), "absence": absence.pk},
        stood_in_for=plan.signer_stood_in_for or absent,
    )
    return stand_in


def _block_for(plan: Plan, *, absent: User, signer: User) -> dict[str, Any] | None:
    """The plan's signature block with `signer` signing where `absent` was (None: not allowed)."""
    try:
        block = stand_in_signature(
            SignatureBlock.from_dict(plan.content.get("signature")),
            absent_position=absent.position,
            stand_in_position=signer.position or "Phó Chủ tịch",
            stand_in_name=signer.display_name,
            stand_in_id=signer.pk,
        )
    except ContentError:
        return None
    return block.to_dict()


def _signer_back(plan: Plan) -> User | None:
    """The signature passed to a stand-in goes back to the signer who was away, now back."""
    if plan.signer_stood_in_for_id is None:
        return None
    person, current = plan.signer_stood_in_for, plan.signer
    if (
        person is None
        or current is None
        or not person.is_active
        or person.role != User.Role.SIGNER
        or absence_current_of(person.pk) is not None
    ):
        return None
    block = _block_for(plan, absent=current, signer=person)
    if block is None:
        return None
    _signer_hand_over(
        plan,
        signer=person,
        signature=block,
        actor=None,
        reason="Người ký đã trở lại sau thời gian vắng mặt.",
        notice="Kế hoạch trở lại đồng chí ký sau thời gian vắng mặt",
        data={"back_from_absence": True},
    )
    return person


@_unit_of_work
def plan_stand_in_hand_over(*, plan: Plan, absent: User, stand_in: User, reason: str) -> Plan:
    """As `absent`'s absence starts, their open task of the plan passes to `stand_in`: access
    granted, the history says so, the stand-in is told. (The signature passes by
    `plan_signer_stand_in`; a stand-in who drafted the plan is never handed its review.)"""
    plan = _lock(plan)
    if stand_in.pk == plan.drafter_id and absent.pk != plan.drafter_id:
        raise PermissionDenied(OWN_DRAFT, code="own_draft")
    _grant(plan, reason="stand_in", user=stand_in)
    _record(
        plan,
        actor=None,
        kind=Kind.HANDED_TO_STAND_IN,
        from_status=plan.status,
        comment=reason,
        data={"to": stand_in.display_name, "to_id": stand_in.pk, **on_behalf_data(absent)},
    )
    _notify(
        plan,
        [stand_in.pk],
        kind="task.assigned",
        title=f"Đồng chí xử lý kế hoạch thay mặt {absent.display_name} (vắng mặt)",
        body=reason,
    )
    return plan
