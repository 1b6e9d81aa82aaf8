"""The process as data: every step of a document's path declared once.

A step is one task of the process: its status (where the plan waits while the task is open), its
title and actions (translated), who acts — and so who is notified when the plan arrives and who is
granted access —, who may act, and, for a review, where a return goes (the drafter's revision
task) and where the resubmission comes back (this step). A stage is a part of a path
(documents/types.py): its first step is where the plan arrives.

The services (documents/services) approve, return and resubmit any review from these
declarations; the flow (workflows/flows.py) builds its nodes, permissions and titles from them;
the pages and the API read their titles and actions from them. tests/workflows/test_steps.py
holds the declarations, the statuses, the flow and the pages together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agencies.backends import role_permission, unit_head_permission
from agencies.models import User
from agencies.selectors import principals_of, user_list_heads_of, user_list_with_role

from .models import Plan, PlanEvent
from .types import document_type

Status = Plan.Status
Kind = PlanEvent.Kind


# ---------------------------------------------------------------------------------------------
# Who acts


@dataclass(frozen=True)
class Actor:
    """Who acts at a step: the plan's drafter, the heads of its drafting unit, everyone with a
    role, or the plan's designated signer. The same answer says who may act, who is notified
    when the plan arrives, who is granted access, and to whom the flow gives the task."""

    kind: str  # "drafter" | "unit_heads" | "role" | "signer" | "consulted_unit"
    role: str = ""

    def qualifies(self, plan: Plan, user: User) -> bool:
        """Does `user` act here in their own right?"""
        if self.kind == "drafter":
            return user.pk == plan.drafter_id
        if self.kind == "unit_heads":
            return user.role == User.Role.AGENCY_HEAD and user.unit_id == plan.drafting_unit_id
        if self.kind == "role":
            return user.role == self.role
        if self.kind == "signer":
            return user.pk == plan.signer_id and user.role == User.Role.SIGNER
        return False  # consulted units answer their own request (consultation services)

    def may_act(self, plan: Plan, user: User) -> bool:
        return self.qualifies(plan, user) or self.acting_for(plan, user) is not None

    def acting_for(self, plan: Plan, user: User) -> User | None:
        """The absent person `user` stands in for at this step (agencies.Absence), if any.

        Never for the signature: the signature itself is handed to the stand-in, who signs in
        their own name (documents.services.plans, `plan_signer_stand_in`). Never to approve
        one's own draft: the drafter standing in for a reviewer acts for nobody.
        """
        if self.kind in ("signer", "consulted_unit"):
            return None
        if self.kind != "drafter" and user.pk == plan.drafter_id:
            return None
        return next((p for p in principals_of(user) if self.qualifies(plan, p)), None)

    def is_own_draft_through_stand_in(self, plan: Plan, user: User) -> bool:
        """`user` drafted the plan and would review it only as someone's stand-in."""
        return (
            self.kind not in ("drafter", "signer", "consulted_unit")
            and user.pk == plan.drafter_id
            and not self.qualifies(plan, user)
            and any(self.qualifies(plan, p) for p in principals_of(user))
        )

    def user_ids(self, plan: Plan) -> QuerySet[Any] | list[int]:
        """The ids of the people the step's task is for (lazy where possible)."""
        if self.kind == "drafter":
            return [plan.drafter_id]
        if self.kind == "unit_heads":
            return user_list_heads_of(plan.drafting_unit_id).values_list("pk", flat=True)
        if self.kind == "role":
            return user_list_with_role(self.role).values_list("pk", flat=True)
        if self.kind == "signer":
            return [plan.signer_id] if plan.signer_id else []
        return []

    def grant(self, plan: Plan) -> dict[str, Any] | None:
        """The access grant (documents.models.PlanAccess fields) that lets them see the plan;
        None where they see it already (the drafter) or the service grants per unit."""
        if self.kind == "unit_heads":
            return {"unit_id": plan.drafting_unit_id, "role": User.Role.AGENCY_HEAD}
        if self.kind == "role":
            return {"role": self.role}
        if self.kind == "signer":
            return {"user": plan.signer}
        return None

    def permission(self, plan: Plan) -> str | None:
        """The flow task's permission when it is offered to several people; None when it is
        assigned to one (`assignee`)."""
        if self.kind == "unit_heads":
            return unit_head_permission(plan.drafting_unit_id)
        if self.kind == "role":
            return role_permission(self.role)
        return None

    def assignee(self, plan: Plan) -> User | None:
        """The one person the task is assigned to. The drafter's tasks stay theirs while they
        are away: their stand-in finds them in their inbox (workflows.services), and they are
        the drafter's again when the absence ends."""
        if self.kind == "drafter":
            return plan.drafter
        if self.kind == "signer":
            return plan.signer
        return None


DRAFTER = Actor("drafter")
UNIT_HEADS = Actor("unit_heads")
SIGNER = Actor("signer")
CONSULTED_UNIT = Actor("consulted_unit")


def role(name: str) -> Actor:
    return Actor("role", role=name)


# ---------------------------------------------------------------------------------------------
# What they can do


@dataclass(frozen=True)
class Action:
    """One button of a task: its code (what the API's `action` names), its label, whether a
    comment is required, its style, and the schema of its `data` (web/api_schema.py)."""

    code: str
    label: Promise
    comment_required: bool = False
    style: str = "primary"
    data_schema: str = ""


RETURN = Action("return", _("Trả lại"), comment_required=True, style="danger")
RESUBMIT = Action("resubmit", _("Trình lại"), data_schema="ReviseData")


@dataclass(frozen=True)
class Step:
    """One task of the process (see the module's docstring)."""

    code: str  # the flow's node, the API's `step`
    stage: str  # the part of a path (documents/types.py) it belongs to
    status: str  # where the plan waits while the task is open
    title: Promise
    actor: Actor
    actions: tuple[Action, ...]
    #: Which form the task page shows (templates/pages/_task_form.html).
    form: str = "review"
    #: The notice to the actors when the plan arrives at this step.
    arrival_notice: Promise | str = ""
    #: The history's entry when the step is passed (approved).
    passed_event: str = ""
    #: A review: a return goes to the drafter's revision task `revise_node`, with this title;
    #: the resubmission comes back to this step.
    revise_node: str = ""
    revise_title: Promise | str = ""
    #: Does the plan need this stage? When it does not, it is skipped, and the history says so.
    applies: Callable[[Plan], bool] | None = None
    skipped_event: str = ""
    #: Taken only when someone asks for it (the legal review): not taking it is the rule, so it
    #: leaves no "skipped" entry.
    on_request: bool = False
    #: The step refuses to pass without a designated signer (the next one is the signature).
    requires_signer: bool = False
    #: What the passed event records of the plan (e.g. the budget's total).
    passed_data: Callable[[Plan], dict[str, Any]] | None = None
    #: A task of this step open this many working days is escalated to the head of the unit
    #: holding it (settings.TASK_ESCALATION overrides it; None or 0: never).
    escalate_after_working_days: int | None = None

    @property
    def is_review(self) -> bool:
        return bool(self.revise_node)

    def action(self, code: str) -> Action | None:
        return next((a for a in self.actions if a.code == code), None)


def _budget_total(plan: Plan) -> dict[str, Any]:
    from .content import PlanContent

    return {"budget_total_vnd": PlanContent.from_dict(plan.content).budget_total_vnd()}


def _uses_state_budget(plan: Plan) -> bool:
    return plan.uses_state_budget


def _legal_review_requested(plan: Plan) -> bool:
    return plan.legal_review_requested


STEPS: tuple[Step, ...] = (
    Step(
        code="agency_review",
        stage="agency_review",
        status=Status.AGENCY_REVIEW,
        title=_("Lãnh đạo đơn vị duyệt dự thảo"),
        actor=UNIT_HEADS,
        actions=(Action("approve", _("Duyệt")), RETURN),
        arrival_notice=_("Kế hoạch chờ lãnh đạo đơn vị duyệt"),
        passed_event=Kind.APPROVED_RELEASE,
        revise_node="revise_agency",
        revise_title=_("Chỉnh sửa theo ý kiến lãnh đạo đơn vị"),
        escalate_after_working_days=3,
    ),
    Step(
        code="choose_agencies",
        stage="consultation",
        status=Status.APPROVED,
        title=_("Chọn đơn vị lấy ý kiến và hạn góp ý"),
        actor=DRAFTER,
        actions=(
            Action("send", _("Gửi lấy ý kiến"), data_schema="ChooseAgenciesData"),
            Action("skip", _("Không lấy ý kiến"), comment_required=True, style="secondary"),
        ),
        form="choose",
        arrival_notice=_("Lãnh đạo đã duyệt: chọn đơn vị lấy ý kiến"),
        escalate_after_working_days=3,
    ),
    Step(
        code="consult",
        stage="consultation",
        status=Status.IN_CONSULTATION,
        title=_("Góp ý dự thảo kế hoạch"),
        actor=CONSULTED_UNIT,
        actions=(
            Action("agree", _("Thống nhất")),
            Action(
                "agree_with_comments",
                _("Thống nhất, có ý kiến"),
                comment_required=True,
                style="secondary",
            ),
            Action("disagree", _("Không thống nhất"), comment_required=True, style="danger"),
        ),
        form="consult",
        arrival_notice=_("Đề nghị góp ý dự thảo kế hoạch"),
    ),
    Step(
        code="consolidate",
        stage="consultation",
        status=Status.CONSOLIDATING,
        title=_("Tổng hợp, tiếp thu, giải trình ý kiến"),
        actor=DRAFTER,
        actions=(
            Action("send", _("Trình bước tiếp theo"), data_schema="ConsolidateData"),
            Action(
                "reopen",
                _("Lấy ý kiến lại (đợt mới)"),
                comment_required=True,
                style="secondary",
                data_schema="ReviseData",
            ),
        ),
        form="consolidate",
        arrival_notice=_("Đã có đủ ý kiến: tổng hợp, tiếp thu, giải trình"),
        escalate_after_working_days=5,
    ),
    Step(
        code="budget_review",
        stage="budget_review",
        status=Status.BUDGET_REVIEW,
        title=_("Thẩm định kinh phí"),
        actor=role(User.Role.FINANCE_REVIEWER),
        # Line by line: agree, adjust (new amount, reason) or question (reason) each budget line
        # (documents/services/budget.py); a question is sent back with the return.
        actions=(
            Action("approve", _("Đồng ý kinh phí"), data_schema="BudgetReviewData"),
            Action(
                "return",
                RETURN.label,
                comment_required=True,
                style="danger",
                data_schema="BudgetReviewData",
            ),
        ),
        form="budget",
        arrival_notice=_("Kế hoạch chờ thẩm định kinh phí"),
        passed_event=Kind.BUDGET_APPROVED,
        revise_node="revise_budget",
        revise_title=_("Chỉnh sửa theo ý kiến Sở Tài chính"),
        applies=_uses_state_budget,
        skipped_event=Kind.BUDGET_REVIEW_SKIPPED,
        passed_data=_budget_total,
        escalate_after_working_days=7,
    ),
    Step(
        code="legal_review",
        stage="legal_review",
        status=Status.LEGAL_REVIEW,
        title=_("Thẩm định pháp lý"),
        actor=role(User.Role.LEGAL_REVIEWER),
        actions=(Action("approve", _("Đồng ý về pháp lý")), RETURN),
        arrival_notice=_("Kế hoạch chờ Sở Tư pháp thẩm định"),
        passed_event=Kind.LEGAL_REVIEW_APPROVED,
        revise_node="revise_legal",
        revise_title=_("Chỉnh sửa theo ý kiến Sở Tư pháp"),
        applies=_legal_review_requested,
        on_request=True,
        escalate_after_working_days=7,
    ),
    Step(
        code="vetting",
        stage="vetting",
        status=Status.VETTING,
        title=_("Thẩm tra"),
        actor=role(User.Role.OFFICE_VETTER),
        actions=(
            Action("approve", _("Đồng ý, trình ký")),
            RETURN,
            Action(
                "request_legal_review",
                _("Đề nghị Sở Tư pháp thẩm định"),
                comment_required=True,
                style="secondary",
            ),
        ),
        arrival_notice=_("Kế hoạch chờ Văn phòng thẩm tra"),
        passed_event=Kind.VETTING_APPROVED,
        revise_node="revise_vetting",
        revise_title=_("Chỉnh sửa theo ý kiến Văn phòng"),
        requires_signer=True,
        escalate_after_working_days=5,
    ),
    Step(
        code="sign",
        stage="signature",
        status=Status.AWAITING_SIGNATURE,
        title=_("Ký số kế hoạch"),
        actor=SIGNER,
        actions=(Action("sign", _("Ký số"), data_schema="SignData"), RETURN),
        form="sign",
        arrival_notice=_("Kế hoạch chờ ký số"),
        passed_event=Kind.SIGNED,
        revise_node="revise_sign",
        revise_title=_("Chỉnh sửa theo ý kiến người ký"),
        escalate_after_working_days=3,
    ),
    Step(
        code="issue",
        stage="issuance",
        status=Status.SIGNED,
        title=_("Cấp số và phát hành"),
        actor=role(User.Role.CLERK),
        actions=(Action("issue", _("Cấp số, đóng dấu và phát hành")),),
        form="issue",
        arrival_notice=_("Văn bản đã ký, chờ cấp số và phát hành"),
        passed_event=Kind.ISSUED,
        escalate_after_working_days=2,
    ),
)

STEPS_BY_CODE: dict[str, Step] = {s.code: s for s in STEPS}
STEP_OF_STATUS: dict[str, Step] = {s.status: s for s in STEPS}
#: Where a plan arrives in each stage: the stage's first step.
ENTRY: dict[str, Step] = {}
for _step in STEPS:
    ENTRY.setdefault(_step.stage, _step)
REVIEWS: tuple[Step, ...] = tuple(s for s in STEPS if s.is_review)
REVISE_OF: dict[str, Step] = {s.revise_node: s for s in REVIEWS}
REVISE_ACTIONS = (RESUBMIT,)


def escalation_thresholds() -> dict[str, int]:
    """Working days each step's task may stay open before its holder's head is told: the
    declarations, with settings.TASK_ESCALATION over them (0 turns a step's off)."""
    from django.conf import settings

    thresholds = {s.code: s.escalate_after_working_days or 0 for s in STEPS}
    for code, days in getattr(settings, "TASK_ESCALATION", {}).items():
        if code in thresholds:
            thresholds[code] = int(days)
    return {code: days for code, days in thresholds.items() if days > 0}


def step_of(plan: Plan) -> Step | None:
    """The step the plan waits at (None: a draft, returned, issued or withdrawn)."""
    return STEP_OF_STATUS.get(plan.status)


def path_of(plan: Plan) -> tuple[str, ...]:
    path = document_type(plan.doc_type).path
    return path or ()


@dataclass(frozen=True)
class NextStep:
    """Where a plan goes after `stage`: the next step (None: the end of its path), and the stages
    skipped on the way because the plan does not need them."""

    step: Step | None
    skipped: tuple[Step, ...] = field(default_factory=tuple)


def next_step(plan: Plan, *, after: str | None) -> NextStep:
    """The next stage of the plan's path after stage `after` (None: the first one), skipping
    stages whose step does not apply to this plan."""
    path = path_of(plan)
    start = 0 if after is None else path.index(after) + 1
    skipped: list[Step] = []
    for stage in path[start:]:
        entry = ENTRY[stage]
        if entry.applies is None or entry.applies(plan):
            return NextStep(entry, tuple(skipped))
        skipped.append(entry)
    return NextStep(None, tuple(skipped))


def steps_on_path(plan: Plan) -> Iterable[Step]:
    for stage in path_of(plan):
        yield from (s for s in STEPS if s.stage == stage)
