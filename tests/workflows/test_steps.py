"""The step declarations (documents/steps.py) against the statuses, the types' paths, the flow,
the task services and the pages: they cannot drift apart (issue 9 §1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from documents import steps
from documents.models import Plan, PlanEvent
from documents.types import TYPES, issuable_types
from web.api_schema import STEP_DATA
from workflows import services
from workflows.flows import ROUTES, PlanFlow

TEMPLATE = Path(settings.BASE_DIR, "templates", "pages", "_task_form.html").read_text()


def test_every_waiting_status_has_exactly_one_step():
    assert set(steps.STEP_OF_STATUS) == set(Plan.WAITING)
    assert len(steps.STEP_OF_STATUS) == len(steps.STEPS)


def test_every_status_a_plan_can_move_on_to_has_a_node():
    assert set(ROUTES) >= set(Plan.ARRIVALS)
    for node in ROUTES.values():
        assert hasattr(PlanFlow, node), node


def test_every_path_is_made_of_declared_stages_and_ends_with_issuance():
    for kind in issuable_types():
        assert kind.path, kind.abbreviation
        assert all(stage in steps.ENTRY for stage in kind.path), kind.abbreviation
        assert kind.path[0] == "agency_review" and kind.path[-1] == "issuance"
    assert {t.abbreviation for t in TYPES if t.path is None} == {"NQ"}


@pytest.mark.parametrize("step", steps.STEPS, ids=lambda s: s.code)
def test_each_step_is_a_node_of_the_flow_with_its_title_and_actor(step):
    node = getattr(PlanFlow, step.code)
    assert str(node.task_title) == str(step.title)
    offered = step.actor.kind in ("unit_heads", "role", "consulted_unit")
    assert (node._owner_permission is not None) is offered, step.code
    if step.is_review:
        revise = getattr(PlanFlow, step.revise_node)
        assert str(revise.task_title) == str(step.revise_title)
        assert revise._next is node  # the resubmission comes back to the step


@pytest.mark.parametrize("step", steps.STEPS, ids=lambda s: s.code)
def test_each_action_has_a_handler_a_schema_and_a_form(step):
    spec = services.spec_for(step.code)
    assert spec is not None and spec.actions == step.actions
    for action in step.actions:
        assert services.handler_for(step.code, action.code) is not None
        if action.data_schema:
            assert action.data_schema in STEP_DATA
    if step.form != "review":
        assert f'panel.form == "{step.form}"' in TEMPLATE
    if step.is_review:
        assert steps.STEPS_BY_CODE[step.code].passed_event in PlanEvent.Kind.values
        for action in steps.REVISE_ACTIONS:
            assert services.handler_for(step.revise_node, action.code) is not None


def test_a_skippable_step_says_so_in_the_history():
    for step in steps.STEPS:
        if step.applies is not None and not step.on_request:
            assert step.skipped_event in PlanEvent.Kind.values


def test_every_title_and_action_is_translated_into_english():
    texts = [
        *(s.title for s in steps.STEPS),
        *(s.revise_title for s in steps.REVIEWS),
        *(s.arrival_notice for s in steps.STEPS),
        *(a.label for s in steps.STEPS for a in s.actions),
        *(a.label for a in steps.REVISE_ACTIONS),
    ]
    with translation.override("en"):
        english = [str(text) for text in texts]
    # Vietnamese is written with diacritics; their English translation is plain ASCII.
    assert [t for t in english if not t.isascii()] == []
