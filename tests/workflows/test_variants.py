"""The variants real provinces need, each walked end to end (issue 9 §2): a plan without state
budget, no consultation (said, with a reason), a second round of consultation, the signature
handed to a Phó Chủ tịch and taken back, a withdrawal at any step, and a Công văn's short path."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import User
from documents import selectors
from documents import services as documents
from documents.content import PlanContent
from documents.models import ConsultationRequest, Plan, PlanEvent
from documents.selectors import plan_is_visible
from notifications.models import Notification
from signing.models import SigningSession
from tests.helpers import complete, has_task, in_days, open_task, sign_as, sign_data
from workflows import services as workflows
from workflows.services import plan_submit, process_for

pytestmark = pytest.mark.django_db


def kinds(plan: Plan) -> list[str]:
    return list(
        PlanEvent.objects.filter(plan=plan).order_by("sequence").values_list("kind", flat=True)
    )


def fresh(plan: Plan) -> Plan:
    return Plan.objects.get(pk=plan.pk)


def open_tasks(plan: Plan) -> list[Task]:
    process = process_for(plan)
    return list(process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]))


@pytest.fixture
def approved(drafter, agency_head, make_content, signer) -> Any:
    """A plan the head of the drafting agency approved: waiting for the choice of agencies."""

    def make(**overrides: Any) -> Plan:
        plan = documents.plan_create(
            actor=drafter, content=make_content(signer=signer, **overrides)
        )
        plan = plan_submit(plan=plan, actor=drafter)
        return complete(agency_head, plan, "agency_review", "approve")

    return make


def consult_and_consolidate(plan: Plan, drafter: User, consulted: User, unit_id: int) -> Plan:
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [unit_id], "deadline": in_days(5)},
    )
    plan = complete(consulted, plan, "consult", "agree")
    return plan


# ---------------------------------------------------------------------------------------------
# No state budget


def test_a_plan_without_state_budget_skips_budget_review_and_says_so(
    approved, drafter, foreign_affairs, finance_reviewer, office_vetter, directory
):
    # given a plan that spends no state budget, Sở Tài chính consulted as an agency
    plan = approved(uses_state_budget=False)
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-tc"].pk], "deadline": in_days(5)},
    )
    plan = complete(finance_reviewer, plan, "consult", "agree")

    # when the drafter sends it on after consolidation
    plan = complete(drafter, plan, "consolidate", "send")

    # then it goes straight to vetting, and its history says budget review was skipped
    assert plan.status == Plan.Status.VETTING
    assert not has_task(finance_reviewer, plan, "budget_review")
    assert has_task(office_vetter, plan, "vetting")
    history = kinds(plan)
    assert history.index("budget_review_skipped") < history.index("sent_to_budget_review")
    assert "budget_approved" not in history


def test_a_plan_with_state_budget_goes_to_budget_review(
    approved, drafter, foreign_affairs, finance_reviewer, directory
):
    plan = consult_and_consolidate(approved(), drafter, foreign_affairs, directory["so-nv"].pk)
    plan = complete(drafter, plan, "consolidate", "send")
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert has_task(finance_reviewer, plan, "budget_review")


# ---------------------------------------------------------------------------------------------
# No consultation, only with a reason


def test_sending_to_no_agency_is_refused_and_skipping_needs_a_reason(approved, drafter):
    plan = approved()
    with pytest.raises(InvalidInput, match="Không lấy ý kiến"):
        complete(
            drafter, plan, "choose_agencies", "send", data={"unit_ids": [], "deadline": in_days(3)}
        )
    with pytest.raises(InvalidInput):
        complete(drafter, plan, "choose_agencies", "skip")
    assert fresh(plan).status == Plan.Status.APPROVED


def test_skipping_the_consultation_with_a_reason_goes_on(approved, drafter, finance_reviewer):
    plan = approved()
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "skip",
        comment="Kế hoạch nội bộ, đã thống nhất tại phiên họp.",
    )
    assert plan.status == Plan.Status.BUDGET_REVIEW
    assert has_task(finance_reviewer, plan, "budget_review")
    event = PlanEvent.objects.get(plan=plan, kind="consultation_skipped")
    assert "phiên họp" in event.comment
    assert not ConsultationRequest.objects.filter(plan=plan).exists()


# ---------------------------------------------------------------------------------------------
# A second round of consultation


def test_a_second_round_keeps_the_answers_of_both_rounds(
    approved, drafter, foreign_affairs, culture, directory
):
    # given a first round answered with a comment
    plan = approved()
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-vhttdl"].pk], "deadline": in_days(5)},
    )
    plan = complete(culture, plan, "consult", "disagree", comment="Cần viết lại mục II.")
    first = ConsultationRequest.objects.get(plan=plan)
    version_before = fresh(plan).version_number

    # when the drafter rewrites and asks again (a new round, on a new version)
    plan = complete(
        drafter,
        plan,
        "consolidate",
        "reopen",
        comment="Đã viết lại mục II theo ý kiến, xin ý kiến lần 2.",
        data={"resolutions": {str(first.pk): {"resolution": "accepted", "note": "Đã viết lại."}}},
    )
    assert plan.status == Plan.Status.APPROVED
    assert fresh(plan).version_number == version_before + 1
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-vhttdl"].pk, directory["so-nv"].pk],
            "deadline": in_days(5),
        },
    )
    plan = complete(culture, plan, "consult", "agree")
    plan = complete(foreign_affairs, plan, "consult", "agree")

    # then both rounds' answers are there, side by side, each on its version
    rounds = {(r.round, r.unit.code): r for r in selectors.consultation_list(plan=plan)}
    assert set(rounds) == {(1, "so-vhttdl"), (2, "so-vhttdl"), (2, "so-nv")}
    assert rounds[(1, "so-vhttdl")].verdict == "disagree"
    assert rounds[(2, "so-vhttdl")].verdict == "agree"
    assert rounds[(2, "so-vhttdl")].version.number == rounds[(1, "so-vhttdl")].version.number + 1
    assert plan.status == Plan.Status.CONSOLIDATING
    assert "consultation_reopened" in kinds(plan)


def test_the_plan_page_puts_the_rounds_side_by_side(
    approved, drafter, foreign_affairs, culture, directory, client
):
    # given a unit that disagreed in round 1 and agreed in round 2, and one asked only in round 2
    plan = approved()
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-vhttdl"].pk], "deadline": in_days(5)},
    )
    plan = complete(culture, plan, "consult", "disagree", comment="Cần viết lại mục II.")
    first = ConsultationRequest.objects.get(plan=plan)
    plan = complete(
        drafter,
        plan,
        "consolidate",
        "reopen",
        comment="Xin ý kiến lần 2.",
        data={"resolutions": {str(first.pk): {"resolution": "accepted", "note": "Đã sửa."}}},
    )
    ids = [directory["so-vhttdl"].pk, directory["so-nv"].pk]
    plan = complete(
        drafter, plan, "choose_agencies", "send", data={"unit_ids": ids, "deadline": in_days(5)}
    )
    plan = complete(culture, plan, "consult", "agree")

    # when the drafter opens the plan
    client.force_login(drafter)
    page = client.get(f"/ke-hoach/{plan.pk}/").content.decode()

    # then one row per unit, one column per round: the round-1 comment beside the round-2 answer
    table = page[page.index('id="consultation-rounds"') :]
    table = table[: table.index("</table>")]
    culture_row = table[table.index(directory["so-vhttdl"].name) :]
    culture_row = culture_row[: culture_row.index("</tr>")]
    assert culture_row.index("Cần viết lại mục II.") < culture_row.index("Thống nhất")
    foreign_row = table[table.index(directory["so-nv"].name) :]
    foreign_row = foreign_row[: foreign_row.index("</tr>")]
    assert "Không lấy ý kiến" in foreign_row and "Chưa trả lời" in foreign_row
    assert "Đợt 1" in table and "Đợt 2" in table


def test_reopening_needs_a_reason(approved, drafter, foreign_affairs, directory):
    plan = consult_and_consolidate(approved(), drafter, foreign_affairs, directory["so-nv"].pk)
    with pytest.raises(InvalidInput):
        complete(drafter, plan, "consolidate", "reopen")
    assert fresh(plan).status == Plan.Status.CONSOLIDATING


# ---------------------------------------------------------------------------------------------
# The signature handed over and taken back


@pytest.fixture
def awaiting_chairman(directory, make_content, chairman) -> Plan:
    from tests.helpers import walk_to_signature

    return walk_to_signature(content=make_content(signer=chairman))


def test_the_chairman_hands_the_signature_to_a_deputy(awaiting_chairman, chairman, signer, drafter):
    plan = awaiting_chairman
    assert has_task(chairman, plan, "sign")
    # given the chairman had prepared a signature
    prepared = sign_data(chairman, plan)

    # when the chairman hands the signature to the Phó Chủ tịch
    plan = workflows.plan_signer_change(
        plan=plan, actor=chairman, signer_id=signer.pk, reason="Chủ tịch đi công tác nước ngoài."
    )

    # then the block reads KT. CHỦ TỊCH / PHÓ CHỦ TỊCH with the deputy's name
    signature = plan.content["signature"]
    assert signature["deputy_for"] == "CHỦ TỊCH"
    assert signature["position"] == "PHÓ CHỦ TỊCH"
    assert signature["signer_name"] == signer.display_name
    lines = PlanContent.from_dict(plan.content).signature.lines()
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    # the task moved, the history says who and why, and the deputy is told
    assert has_task(signer, plan, "sign") and not has_task(chairman, plan, "sign")
    event = PlanEvent.objects.get(plan=plan, kind="signer_changed")
    assert event.actor == chairman and "công tác" in event.comment
    assert event.data["to"] == signer.display_name
    assert Notification.objects.filter(user=signer, kind="task.assigned").exists()
    # and no signature prepared before survives it
    session = SigningSession.objects.get(pk=prepared["session_id"])
    assert session.used_at is None and session.expires_at <= timezone.now()
    with pytest.raises(NotFound):  # the chairman's task is gone
        workflows.task_complete(
            task_id=open_task(signer, plan, "sign").pk, actor=chairman, action="sign", data=prepared
        )
    with pytest.raises(PermissionDenied):  # and the plan is no longer his to sign
        documents.plan_sign(plan=plan, actor=chairman, **_signature_of(prepared))
    # the deputy signs the new version
    plan = sign_as(signer, plan)
    assert plan.status == Plan.Status.SIGNED


def _signature_of(prepared: dict[str, str]) -> dict[str, Any]:
    import base64

    return {
        "session_id": prepared["session_id"],
        "signature": base64.b64decode(prepared["signature"]),
    }


def test_the_chairman_takes_the_signature_back(awaiting_chairman, chairman, signer):
    plan = workflows.plan_signer_change(
        plan=awaiting_chairman, actor=chairman, signer_id=signer.pk, reason="Giao Phó Chủ tịch."
    )
    plan = workflows.plan_signer_change(
        plan=plan, actor=chairman, signer_id=chairman.pk, reason="Đã về, tự ký."
    )
    assert plan.content["signature"]["deputy_for"] == ""
    assert plan.content["signature"]["position"] == "CHỦ TỊCH"
    assert has_task(chairman, plan, "sign") and not has_task(signer, plan, "sign")
    assert kinds(plan).count("signer_changed") == 2


@pytest.mark.parametrize("who", ["signer", "drafter", "office_vetter"])
def test_only_the_chairman_hands_the_signature(awaiting_chairman, chairman, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        workflows.plan_signer_change(
            plan=awaiting_chairman, actor=actor, signer_id=chairman.pk, reason="x"
        )
    assert "signer_changed" not in kinds(awaiting_chairman)


def test_the_signature_cannot_change_once_signed(awaiting_chairman, chairman, signer):
    plan = sign_as(chairman, awaiting_chairman)
    with pytest.raises(PermissionDenied):
        workflows.plan_signer_change(plan=plan, actor=chairman, signer_id=signer.pk, reason="x")


# ---------------------------------------------------------------------------------------------
# Withdrawal


def test_withdrawing_during_consultation_closes_every_task_and_tells_their_holders(
    approved, drafter, foreign_affairs, culture, directory
):
    # given a plan waiting for two agencies' answers
    plan = approved()
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk],
            "deadline": in_days(5),
        },
    )
    assert len(open_tasks(plan)) >= 2

    # when the drafter withdraws it
    plan = workflows.plan_withdraw(
        plan=plan, actor=drafter, comment="Tỉnh ủy đã ban hành kế hoạch chung."
    )

    # then nothing is left open, no deadline will fire, and the agencies are told
    assert plan.status == Plan.Status.WITHDRAWN
    assert open_tasks(plan) == []
    assert process_for(plan).status == PROCESS.CANCELED
    assert not Task.objects.filter(process=process_for(plan), status=STATUS.SCHEDULED).exists()
    told = set(
        Notification.objects.filter(kind="plan.withdrawn").values_list("user__username", flat=True)
    )
    assert {"ngoaivu", "vanhoa"} <= told
    assert "chuyenvien" not in told
    event = PlanEvent.objects.get(plan=plan, kind="withdrawn")
    assert "Tỉnh ủy" in event.comment and event.from_status == "in_consultation"


@pytest.mark.parametrize("step", ["agency_review", "budget_review", "vetting", "sign"])
def test_the_drafter_withdraws_at_any_step_before_the_signature(
    step,
    drafter,
    agency_head,
    finance_reviewer,
    office_vetter,
    foreign_affairs,
    signer,
    directory,
    make_content,
):
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    walk = [
        ("agency_review", agency_head, "approve", {}),
        (
            "choose_agencies",
            drafter,
            "send",
            {"unit_ids": [directory["so-nv"].pk], "deadline": in_days(3)},
        ),
        ("consult", foreign_affairs, "agree", {}),
        ("consolidate", drafter, "send", {}),
        ("budget_review", finance_reviewer, "approve", {}),
        ("vetting", office_vetter, "approve", {}),
    ]
    for name, actor, action, data in walk:
        if name == step:
            break
        plan = complete(actor, plan, name, action, data=data)
    holder = {
        "agency_review": agency_head,
        "budget_review": finance_reviewer,
        "vetting": office_vetter,
        "sign": signer,
    }[step]
    assert has_task(holder, plan, step)

    plan = workflows.plan_withdraw(plan=plan, actor=drafter, comment="Không cần nữa.")

    assert plan.status == Plan.Status.WITHDRAWN
    assert open_tasks(plan) == []
    assert Notification.objects.filter(user=holder, kind="plan.withdrawn").exists()


def test_a_signed_plan_cannot_be_withdrawn(awaiting_chairman, chairman, drafter):
    plan = sign_as(chairman, awaiting_chairman)
    with pytest.raises(StateError):
        workflows.plan_withdraw(plan=plan, actor=drafter, comment="x")
    assert fresh(plan).status == Plan.Status.SIGNED


def test_only_the_drafter_withdraws(approved, agency_head):
    plan = approved()
    with pytest.raises(PermissionDenied):
        workflows.plan_withdraw(plan=plan, actor=agency_head, comment="x")
    assert fresh(plan).status == Plan.Status.APPROVED


def test_withdrawing_a_submitted_plan_needs_a_reason(approved, drafter):
    plan = approved()
    with pytest.raises(InvalidInput):
        workflows.plan_withdraw(plan=plan, actor=drafter, comment="")


# ---------------------------------------------------------------------------------------------
# A Công văn's own, shorter path


def test_a_letter_goes_from_the_agency_to_the_signer_and_the_clerk(
    drafter, agency_head, signer, clerk, office_vetter, finance_reviewer, make_content, directory
):
    content = make_content(signer=signer, doc_type="CV", title="V/v phối hợp tổ chức hội nghị")
    plan = plan_submit(plan=documents.plan_create(actor=drafter, content=content), actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    # straight to the signer: no consultation, no budget review, no vetting
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    assert not has_task(drafter, plan, "choose_agencies")
    assert not has_task(office_vetter, plan, "vetting")
    plan = sign_as(signer, plan)
    plan = complete(clerk, plan, "issue", "issue")
    assert plan.status == Plan.Status.ISSUED
    assert documents_number(plan).startswith("Số: 01/UBND")


def documents_number(plan: Plan) -> str:
    return selectors.plan_number_text(plan)


# ---------------------------------------------------------------------------------------------
# The same variants through the API


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_withdraws_and_hands_the_signature(awaiting_chairman, chairman, signer, drafter):
    plan = awaiting_chairman
    # the chairman hands the signature over
    answer = api_as(chairman).post(
        f"/api/v1/documents/{plan.pk}/signer/",
        {"signer_id": signer.pk, "reason": "Đi công tác."},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["signer"] == signer.pk
    # the deputy may not
    refused = api_as(signer).post(
        f"/api/v1/documents/{plan.pk}/signer/",
        {"signer_id": chairman.pk, "reason": "x"},
        format="json",
    )
    assert refused.status_code == 403
    # the drafter withdraws
    withdrawn = api_as(drafter).post(
        f"/api/v1/documents/{plan.pk}/withdraw/", {"comment": "Dừng lại."}, format="json"
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    again = api_as(drafter).post(
        f"/api/v1/documents/{plan.pk}/withdraw/", {"comment": "x"}, format="json"
    )
    assert again.status_code == 409


def test_the_pages_withdraw_and_hand_the_signature(
    client, awaiting_chairman, chairman, signer, drafter
):
    plan = awaiting_chairman
    client.force_login(chairman)
    page = client.get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert "Giao ký" in page and "Rút văn bản" not in page
    response = client.post(
        f"/ke-hoach/{plan.pk}/nguoi-ky/",
        {"signer_id": signer.pk, "reason": "Đi công tác."},
        follow=True,
    )
    assert "Đã giao ký văn bản cho" in response.content.decode()
    assert fresh(plan).signer == signer

    client.force_login(drafter)
    page = client.get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert "Rút văn bản" in page and "Giao ký" not in page
    response = client.post(f"/ke-hoach/{plan.pk}/rut/", {"comment": "Dừng lại."}, follow=True)
    assert "Đã rút văn bản" in response.content.decode()
    assert fresh(plan).status == Plan.Status.WITHDRAWN


# ---------------------------------------------------------------------------------------------
# Legal review by Sở Tư pháp, chosen by the drafter or the vetter


def test_the_drafter_asks_for_legal_review_between_budget_review_and_vetting(
    approved, drafter, foreign_affairs, finance_reviewer, legal_reviewer, office_vetter, directory
):
    plan = approved()
    documents.plan_legal_review_request(plan=plan, actor=drafter)
    plan = consult_and_consolidate(fresh(plan), drafter, foreign_affairs, directory["so-nv"].pk)
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    # the legal review comes before vetting, and returns like any review
    assert plan.status == Plan.Status.LEGAL_REVIEW
    assert has_task(legal_reviewer, plan, "legal_review")
    assert plan_is_visible(user=legal_reviewer, plan=plan)
    plan = complete(
        legal_reviewer, plan, "legal_review", "return", comment="Căn cứ số 2 đã hết hiệu lực."
    )
    assert plan.status == Plan.Status.RETURNED
    plan = complete(drafter, plan, "revise_legal", "resubmit")
    assert plan.status == Plan.Status.LEGAL_REVIEW
    plan = complete(legal_reviewer, plan, "legal_review", "approve")
    assert plan.status == Plan.Status.VETTING
    assert has_task(office_vetter, plan, "vetting")
    history = kinds(plan)
    assert "legal_review_requested" in history and "legal_review_approved" in history


def test_without_a_request_there_is_no_legal_review(
    approved, drafter, foreign_affairs, finance_reviewer, legal_reviewer, directory
):
    plan = consult_and_consolidate(approved(), drafter, foreign_affairs, directory["so-nv"].pk)
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    assert plan.status == Plan.Status.VETTING
    assert not has_task(legal_reviewer, plan, "legal_review")


def test_the_vetter_sends_the_plan_to_legal_review_and_it_comes_back(
    approved, drafter, foreign_affairs, finance_reviewer, legal_reviewer, office_vetter, directory
):
    plan = consult_and_consolidate(approved(), drafter, foreign_affairs, directory["so-nv"].pk)
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    with pytest.raises(InvalidInput):  # a reason is required
        complete(office_vetter, plan, "vetting", "request_legal_review")
    plan = complete(
        office_vetter, plan, "vetting", "request_legal_review", comment="Có nội dung xử phạt."
    )
    assert plan.status == Plan.Status.LEGAL_REVIEW
    plan = complete(legal_reviewer, plan, "legal_review", "approve")
    assert plan.status == Plan.Status.VETTING
    assert has_task(office_vetter, plan, "vetting")


def test_the_drafter_cannot_ask_for_legal_review_once_vetting_started(
    approved, drafter, foreign_affairs, finance_reviewer, directory
):
    plan = consult_and_consolidate(approved(), drafter, foreign_affairs, directory["so-nv"].pk)
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    with pytest.raises(StateError):
        documents.plan_legal_review_request(plan=plan, actor=drafter)
    assert fresh(plan).legal_review_requested is False


def test_the_api_and_the_page_ask_for_legal_review(approved, drafter, client):
    plan = approved()
    answer = api_as(drafter).post(
        f"/api/v1/documents/{plan.pk}/legal-review/", {"requested": True}, format="json"
    )
    assert answer.status_code == 200 and fresh(plan).legal_review_requested
    client.force_login(drafter)
    client.post(f"/ke-hoach/{plan.pk}/tham-dinh/", {"requested": "0"})
    assert not fresh(plan).legal_review_requested
