"""Budget review line by line (thẩm định kinh phí) by Sở Tài chính.

The finance reviewer sees every budget line (a task with an amount, documents/budget.py) of the
version under review and agrees with it, adjusts it (a new amount, with a reason) or questions it
(with a reason). Approving with a line questioned is refused: a question goes back to the drafter,
and a return lists the lines in question in its history entry and in the drafter's notice. Each
decision keeps the review in its audit event (`data["lines"]`, documents.budget.ReviewedLine
dicts); the plan's page and its document then show the approved review's figures and totals
(documents.selectors.plan_budget_review_lines).
"""

from __future__ import annotations

from typing import Any

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import User
from agencies.validation import clean_comment

from ..budget import ADJUST, QUESTION, VERDICTS, ReviewedLine, budget_lines, reviewed_figures
from ..content import MAX_BUDGET_VND, ContentError, PlanContent
from ..models import Plan, RenderedPdf
from ..rendering import format_vnd
from ..steps import Step
from .base import _comment_required, _ensure_step_actor, _lock, _require, _unit_of_work
from .review import _review_pass, _review_return

BUDGET_STEP = "budget_review"
#: At most this many lines are read from one request (a plan has far fewer tasks).
MAX_LINES = 1000


def _budget_step(plan: Plan, actor: User) -> Step:
    step = _ensure_step_actor(plan, actor)
    if step.code != BUDGET_STEP:
        raise PermissionDenied("Bạn không có thẩm quyền xử lý văn bản ở bước này.")
    return step


def _line_label(line: ReviewedLine) -> str:
    return f"dòng {line.index + 1} “{line.title}”"


def budget_review_lines_clean(*, content: PlanContent, lines: Any) -> list[ReviewedLine]:
    """Every budget line of `content` with the verdict given in `lines` ([{index, verdict,
    amount, reason}], 0-based indexes of content.all_tasks()); a line not given is agreed.
    Raises InvalidInput naming the line for anything that does not fit."""
    if lines is None:
        lines = []
    if not isinstance(lines, list) or len(lines) > MAX_LINES:
        raise InvalidInput("Trường “lines” phải là danh sách các dòng kinh phí.")
    known = {line.index: line for line in budget_lines(content)}
    given: dict[int, ReviewedLine] = {}
    for item in lines:
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi dòng kinh phí phải có “index” và “verdict”.")
        index = item.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index not in known:
            raise InvalidInput(f"Không có dòng kinh phí số {index} trong văn bản này.")
        if index in given:
            raise InvalidInput(f"Dòng kinh phí số {index} được nêu hai lần.")
        line = known[index]
        verdict = item.get("verdict")
        if verdict not in VERDICTS:
            raise InvalidInput(
                f"Dòng {index + 1}: ý kiến phải là agree (đồng ý), adjust (điều chỉnh) "
                "hoặc question (đề nghị làm rõ)."
            )
        reason = clean_comment(item.get("reason"), label="lý do")
        adjusted = None
        if verdict == ADJUST:
            adjusted = item.get("amount")
            if (
                isinstance(adjusted, bool)
                or not isinstance(adjusted, int)
                or not 0 <= adjusted <= MAX_BUDGET_VND
            ):
                raise InvalidInput(
                    f"Dòng {index + 1} “{line.title}”: số kinh phí điều chỉnh phải là số đồng "
                    "không âm."
                )
            if adjusted == line.amount_vnd:
                raise InvalidInput(
                    f"Dòng {index + 1} “{line.title}”: số điều chỉnh bằng số dự toán; "
                    "hãy chọn “Đồng ý”."
                )
        if verdict in (ADJUST, QUESTION) and not reason:
            raise InvalidInput(f"Dòng {index + 1} “{line.title}”: vui lòng nêu lý do.")
        given[index] = ReviewedLine(
            index=index,
            title=line.title,
            amount_vnd=line.amount_vnd,
            verdict=verdict,
            adjusted_vnd=adjusted,
            reason=reason,
        )
    return [
        given.get(index) or ReviewedLine(index=index, title=line.title, amount_vnd=line.amount_vnd)
        for index, line in known.items()
    ]


def _under_review(plan: Plan) -> PlanContent:
    """The content under review: the plan's, which is its latest version's (not editable while
    under review)."""
    try:
        return PlanContent.from_dict(plan.content)
    except ContentError as exc:
        raise StateError(f"Nội dung văn bản không đọc được: {exc}") from exc


@_unit_of_work
def plan_budget_review_approve(
    *, plan: Plan, actor: User, comment: str = "", lines: Any = None
) -> Plan:
    """Sở Tài chính approves the budget, line by line (`lines`, see
    `budget_review_lines_clean`): agreed and adjusted lines pass; a line questioned refuses
    the approval (InvalidInput, nothing changes) — such a plan is returned instead."""
    plan = _lock(plan)
    step = _budget_step(plan, actor)
    content = _under_review(plan)
    reviewed = budget_review_lines_clean(content=content, lines=lines)
    questioned = [line for line in reviewed if line.is_questioned]
    if questioned:
        raise InvalidInput(
            "Không thể đồng ý khi còn dòng kinh phí đề nghị làm rõ ("
            + "; ".join(_line_label(line) for line in questioned)
            + "): hãy trả lại cho người soạn thảo.",
            code="budget_questions_open",
        )
    figures = reviewed_figures(content, reviewed)
    adjusted = [line for line in reviewed if line.is_adjusted]
    _review_pass(
        plan,
        step,
        actor=actor,
        comment=comment,
        data={
            "reviewed_total_vnd": figures.reviewed_total_vnd,
            "lines": [line.to_dict() for line in reviewed],
        },
    )
    if adjusted:
        # The rendered drafts of this plan now show the reviewed figures: render them again.
        RenderedPdf.objects.filter(version__plan=plan).delete()
    return plan


def questioned_lines_text(lines: list[ReviewedLine]) -> str:
    """The lines in question, one a line, as the return's history entry lists them."""
    return "\n".join(
        f"- Dòng {line.index + 1}. {line.title} ({format_vnd(line.amount_vnd)}): {line.reason}"
        for line in lines
    )


@_unit_of_work
def plan_budget_review_return(*, plan: Plan, actor: User, comment: str, lines: Any = None) -> Plan:
    """Sở Tài chính returns the plan to the drafter with a reason; the lines it questions (and
    those it would adjust) are listed in the return's history entry and in the drafter's notice.
    """
    plan = _lock(plan)
    _require(plan, plan.return_to_drafter)
    step = _budget_step(plan, actor)
    comment = _comment_required(comment)
    content = _under_review(plan)
    reviewed = budget_review_lines_clean(content=content, lines=lines)
    questioned = [line for line in reviewed if line.is_questioned]
    adjusted = [line for line in reviewed if line.is_adjusted]
    listed = comment
    if questioned:
        listed += "\n\nCác dòng kinh phí đề nghị làm rõ:\n" + questioned_lines_text(questioned)
    if adjusted:
        listed += "\n\nCác dòng kinh phí đề nghị điều chỉnh:\n" + "\n".join(
            f"- Dòng {line.index + 1}. {line.title}: {format_vnd(line.amount_vnd)} → "
            f"{format_vnd(line.reviewed_vnd)} ({line.reason})"
            for line in adjusted
        )
    data: dict[str, Any] = {}
    if questioned or adjusted:  # a return that names no line keeps only its reason
        data["lines"] = [line.to_dict() for line in reviewed]
        data["questioned_lines"] = [line.index for line in questioned]
    return _review_return(plan, step, actor=actor, comment=listed, data=data or None)
