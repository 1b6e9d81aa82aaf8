"""Two signatures of the same version finished at the same instant: one wins, the other changes
nothing. Only the designated signer may sign (the Chủ tịch and the Phó Chủ tịch cannot both be),
so the race is between two sessions of the same signer, prepared from two devices."""

from __future__ import annotations

import base64

import pytest

from agencies.errors import StateError
from documents import services as documents
from documents.models import Plan
from signing.models import SigningSession
from signing.services import PendingSignature, pdf_verify
from tests.helpers import open_task, walk_to_signature
from tests.signing.browser_key import BrowserKey
from tests.workflows.test_races import run_together
from workflows.services import plan_sign_prepare, task_complete

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def two_sessions(plan: Plan, signer) -> list[tuple[BrowserKey, PendingSignature]]:
    sessions = []
    for label in ("Máy ở văn phòng", "Máy ở nhà"):
        key = BrowserKey(signer, label=label)
        device = key.enrol()
        sessions.append((key, plan_sign_prepare(plan=plan, actor=signer, device_id=device.pk)))
    return sessions


def assert_one_winner(plan: Plan, results: list, sessions) -> None:
    winners = [r for r in results if isinstance(r, Plan)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], StateError), losers[0]
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SIGNED
    assert plan.events.filter(kind="signed").count() == 1
    used = SigningSession.objects.filter(used_at__isnull=False)
    assert used.count() == 1
    (winner_key, _winner) = next(s for s in sessions if s[1].session.pk == used.get().pk)
    reports = [r for r in pdf_verify(pdf=bytes(plan.signed_pdf)) if r.kind == "signature"]
    assert len(reports) == 1 and reports[0].bottom_line, reports
    assert reports[0].certificate_serial == winner_key.device.serial


def test_two_sessions_finished_at_once_through_the_task_give_one_signature(
    signer, clerk, make_content
):
    # given two sessions prepared for the same version from two devices
    plan = walk_to_signature(content=make_content(signer=signer))
    sessions = two_sessions(plan, signer)
    task = open_task(signer, plan, "sign")

    def finish(key: BrowserKey, pending: PendingSignature):
        data = {
            "session_id": str(pending.session.id),
            "signature": base64.b64encode(key.sign(pending.to_be_signed)).decode(),
        }
        return lambda: task_complete(task_id=task.pk, actor=signer, action="sign", data=data).plan

    # when both are finished at the same instant
    results = run_together(*(finish(key, pending) for key, pending in sessions))

    # then exactly one signature was made; the other was refused and changed nothing
    assert_one_winner(plan, results, sessions)
    assert open_task(clerk, plan, "issue")


def test_two_sessions_finished_at_once_in_the_service_give_one_signature(signer, make_content):
    # given two sessions prepared for the same version from two devices
    plan = walk_to_signature(content=make_content(signer=signer))
    sessions = two_sessions(plan, signer)

    def finish(key: BrowserKey, pending: PendingSignature):
        return lambda: documents.plan_sign(
            plan=plan,
            actor=signer,
            session_id=pending.session.id,
            signature=key.sign(pending.to_be_signed),
        )

    # when both are finished at the same instant, past the workflow
    results = run_together(*(finish(key, pending) for key, pending in sessions))

    # then one wins; the other is told another signature came first
    assert_one_winner(plan, results, sessions)
    loser = next(r for r in results if isinstance(r, Exception))
    assert loser.code == "already_signed"
    assert "đã có chữ ký khác" in loser.message
