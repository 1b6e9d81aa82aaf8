"""Budget review line by line (thẩm định kinh phí, issue 11 §4): agree, adjust with a reason,
question with a reason; approving with a question open is refused and changes nothing; a return
lists the lines in question; the reviewed figures reach the plan's document."""

from __future__ import annotations

import copy
import io
from typing import Any

import docx
import pytest

from agencies.errors import InvalidInput, PermissionDenied
from documents import selectors
from documents import services as documents
from documents.models import Plan, PlanEvent
from tests.helpers import complete, open_task
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db


def budget_content(make_content: Any, signer: Any) -> dict[str, Any]:
    """Three tasks: 150 million, none, 80 million (budget lines 0 and 2)."""
    content = make_content(signer=signer)
    tasks = content["sections"][1]["children"][0]["tasks"]
    tasks.append(
        {
            "title": "Hội nghị xúc tiến đầu tư",
            "timeline": "Quý III",
            "budget_vnd": 80_000_000,
            "budget_source": "Ngân sách tỉnh",
        }
    )
    return copy.deepcopy(content)


def at_budget_review(drafter, agency_head, signer, make_content) -> Plan:
    plan = documents.plan_create(actor=drafter, content=budget_content(make_content, signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    plan = complete(drafter, plan, "choose_agencies", "skip", comment="Không cần lấy ý kiến.")
    assert plan.status == Plan.Status.BUDGET_REVIEW
    return plan


def _document_text(plan: Plan) -> str:
    document = docx.Document(io.BytesIO(selectors.render_docx(plan=plan)))
    return "\n".join(p.text for p in document.paragraphs)


def test_agreed_and_adjusted_lines_pass_and_the_history_keeps_the_reviewed_total(
    drafter, agency_head, signer, finance_reviewer, office_vetter, make_content
):
    # given
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    lines = [
        {"index": 0, "verdict": "agree"},
        {"index": 2, "verdict": "adjust", "amount": 60_000_000, "reason": "Theo định mức"},
    ]
    # when
    plan = complete(finance_reviewer, plan, "budget_review", "approve", data={"lines": lines})
    # then
    assert plan.status == Plan.Status.VETTING
    event = plan.events.get(kind=PlanEvent.Kind.BUDGET_APPROVED)
    assert [(line["index"], line["verdict"]) for line in event.data["lines"]] == [
        (0, "agree"),
        (2, "adjust"),
    ]
    assert event.data["lines"][1]["adjusted_vnd"] == 60_000_000
    assert event.data["lines"][1]["reason"] == "Theo định mức"
    assert event.data["budget_total_vnd"] == 230_000_000
    assert event.data["reviewed_total_vnd"] == 210_000_000


def test_the_document_shows_original_and_adjusted_figures_and_both_totals(
    drafter, agency_head, signer, finance_reviewer, make_content
):
    # given a plan whose third task Sở Tài chính adjusted
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    before = _document_text(plan)
    lines = [{"index": 2, "verdict": "adjust", "amount": 60_000_000, "reason": "Theo định mức"}]
    # when
    plan = complete(finance_reviewer, plan, "budget_review", "approve", data={"lines": lines})
    text = _document_text(plan)
    # then
    assert "Sở Tài chính thẩm định" not in before
    assert "- Dự toán kinh phí: 80.000.000 đồng; Sở Tài chính thẩm định: 60.000.000 đồng" in text
    assert "- Dự toán kinh phí: 150.000.000 đồng\n" in text  # an agreed line as it was
    assert "- Nguồn kinh phí: Ngân sách tỉnh" in text
    assert "Tổng dự toán kinh phí: 230.000.000 đồng." in text
    assert "Tổng kinh phí theo thẩm định của Sở Tài chính: 210.000.000 đồng." in text


def test_a_plan_approved_without_adjustment_shows_its_total_only(
    drafter, agency_head, signer, finance_reviewer, make_content
):
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    text = _document_text(plan)
    assert "Tổng dự toán kinh phí: 230.000.000 đồng." in text
    assert "theo thẩm định" not in text
    event = plan.events.get(kind=PlanEvent.Kind.BUDGET_APPROVED)
    assert [line["verdict"] for line in event.data["lines"]] == ["agree", "agree"]


def test_approving_with_a_line_questioned_is_refused_and_changes_nothing(
    drafter, agency_head, signer, finance_reviewer, make_content
):
    # given
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    events = plan.events.count()
    lines = [{"index": 0, "verdict": "question", "reason": "Căn cứ định mức nào?"}]
    # when
    with pytest.raises(InvalidInput) as refused:
        documents.plan_budget_review_approve(plan=plan, actor=finance_reviewer, lines=lines)
    # then
    assert refused.value.code == "budget_questions_open"
    assert "Thực hiện “Bản tin đối ngoại”" in refused.value.message
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert plan.events.count() == events
    assert open_task(finance_reviewer, plan, "budget_review") is not None


@pytest.mark.parametrize(
    "lines",
    [
        [{"index": 1, "verdict": "agree"}],  # the task without a budget is no line
        [{"index": 9, "verdict": "agree"}],
        [{"index": "0", "verdict": "agree"}],
        [{"index": 0, "verdict": "maybe"}],
        [{"index": 0, "verdict": "adjust", "reason": "Giảm"}],  # no amount
        [{"index": 0, "verdict": "adjust", "amount": 100, "reason": ""}],  # no reason
        [{"index": 0, "verdict": "adjust", "amount": -1, "reason": "Giảm"}],
        [{"index": 0, "verdict": "adjust", "amount": 150_000_000, "reason": "Như cũ"}],
        [{"index": 0, "verdict": "question"}],  # no reason
        [{"index": 0, "verdict": "agree"}, {"index": 0, "verdict": "agree"}],
        ["0"],
        {"index": 0},
    ],
)
def test_lines_that_do_not_fit_are_refused_and_change_nothing(
    lines, drafter, agency_head, signer, finance_reviewer, make_content
):
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    events = plan.events.count()
    with pytest.raises(InvalidInput):
        documents.plan_budget_review_approve(plan=plan, actor=finance_reviewer, lines=lines)
    with pytest.raises(InvalidInput):
        documents.plan_budget_review_return(
            plan=plan, actor=finance_reviewer, comment="Làm rõ", lines=lines
        )
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert plan.events.count() == events


def test_only_the_finance_reviewer_reviews_the_budget(
    drafter, agency_head, signer, office_vetter, make_content
):
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    for someone in (drafter, office_vetter):
        with pytest.raises(PermissionDenied):
            documents.plan_budget_review_approve(plan=plan, actor=someone)
        with pytest.raises(PermissionDenied):
            documents.plan_budget_review_return(plan=plan, actor=someone, comment="Không")
    plan.refresh_from_db()
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert not plan.events.filter(kind=PlanEvent.Kind.RETURNED).exists()


def test_a_return_lists_the_lines_in_question_for_the_drafter(
    drafter, agency_head, signer, finance_reviewer, make_content
):
    # given
    plan = at_budget_review(drafter, agency_head, signer, make_content)
    lines = [
        {"index": 0, "verdict": "question", "reason": "Căn cứ định mức nào?"},
        {"index": 2, "verdict": "adjust", "amount": 60_000_000, "reason": "Theo định mức"},
    ]
    # when
    plan = complete(
        finance_reviewer,
        plan,
        "budget_review",
        "return",
        comment="Đề nghị làm rõ dự toán.",
        data={"lines": lines},
    )
    # then
    assert plan.status == Plan.Status.RETURNED
    event = plan.events.get(kind=PlanEvent.Kind.RETURNED)
    assert event.comment.startswith("Đề nghị làm rõ dự toán.")
    assert (
        "- Dòng 1. Thực hiện “Bản tin đối ngoại” (150.000.000 đồng): Căn cứ định mức nào?"
        in event.comment
    )
    assert "80.000.000 đồng → 60.000.000 đồng (Theo định mức)" in event.comment
    assert event.data["questioned_lines"] == [0]
    assert [line["verdict"] for line in event.data["lines"]] == ["question", "adjust"]
    assert open_task(drafter, plan, "revise_budget") is not None
    # a returned review changes none of the document's figures
    assert "Sở Tài chính thẩm định" not in _document_text(plan)


def test_a_task_without_a_source_stores_none_and_one_with_a_source_keeps_it(
    drafter, signer, make_content
):
    plan = documents.plan_create(actor=drafter, content=budget_content(make_content, signer))
    tasks = plan.content["sections"][1]["children"][0]["tasks"]
    assert "budget_source" not in tasks[0]
    assert tasks[2]["budget_source"] == "Ngân sách tỉnh"
