"""Property-based fuzzing of the whole API from its OpenAPI schema (Schemathesis): every operation,
as each kind of user who may call it, with generated valid and invalid input. The bar: no server
error, and every answer — status, content type, headers, body — as the schema says (issue 7 §2).

Not part of `make test` (a few minutes): `make test-fuzz` and `make test-fuzz-pg`, run by CI.
FUZZ_EXAMPLES sets the number of cases per operation and user (default 12).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

# Each test (an operation as one user) runs in a transaction rolled back afterwards; the world
# it starts from is committed once per module.
pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

#: The bar: no server error, and every answer as the schema says. (Schemathesis' positive data
#: acceptance is not asked for: a request can fit the schema and still be refused by the rules,
#: e.g. a deadline in the past, with a documented 400.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
#: One demo user of each kind (agencies/directory.py).
USERS = [
    "chuyenvien",  # drafter
    "giamdoc",  # head of the drafting agency
    "ngoaivu",  # consulted agency
    "taichinh",  # finance reviewer
    "vanphong",  # office vetter
    "phochutich",  # signer
    "vanthu",  # clerk
    "baodongnai",  # recipient
]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The demo province with plans in several states, committed; a token per user. Flushed
    afterwards, as the fuzzer's requests commit too."""
    from agencies.directory import directory_seed
    from agencies.models import User
    from agencies.services import api_token_create
    from documents import services as documents
    from tests.conftest import BASE_CONTENT
    from tests.helpers import complete, in_days, sign_as, walk_to_signature
    from workflows.services import plan_submit

    # Requests go through the WSGI handler, which closes the database connection after each one;
    # the test's transaction needs it open (Django's test client does the same).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        directory_seed()
        users = {u.username: u for u in User.objects.filter(username__in=USERS)}
        content = {**BASE_CONTENT, "signature": {"signer_id": users["phochutich"].pk}}
        drafter = users["chuyenvien"]
        documents.plan_create(actor=drafter, content=content)
        submitted = plan_submit(
            plan=documents.plan_create(actor=drafter, content=content), actor=drafter
        )
        approved = plan_submit(
            plan=documents.plan_create(actor=drafter, content=content), actor=drafter
        )
        complete(users["giamdoc"], approved, "agency_review", "approve")
        complete(
            drafter,
            approved,
            "choose_agencies",
            "send",
            data={"unit_ids": [users["ngoaivu"].unit_id], "deadline": in_days(30)},
        )
        # one plan issued to the newspaper: versions, consultations, receipts, PDFs to read
        newspaper = users["baodongnai"].unit
        to_newspaper = {
            **content,
            "recipients": {
                "units": [{"name": newspaper.name, "unit_id": newspaper.pk}],
                "lines": [],
                "archive": "Lưu: VT.",
            },
        }
        issued = sign_as(users["phochutich"], walk_to_signature(content=to_newspaper))
        complete(users["vanthu"], issued, "issue", "issue")
        tokens = {name: api_token_create(user=user)[1] for name, user in users.items()}
        assert submitted.pk
        yield tokens
        call_command("flush", "--noinput", verbosity=0)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _schema() -> Any:
    from config.wsgi import application

    # The schema view needs no database: it can be read while the tests are collected.
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _schema()


@pytest.mark.parametrize("username", USERS)
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Generated cases only: the "explicit" phase adds hundreds of boundary cases per operation.
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_and_never_fails(case: Any, username: str, world: dict[str, str]):
    case.call_and_validate(headers={"Authorization": f"Token {world[username]}"}, checks=CHECKS)
