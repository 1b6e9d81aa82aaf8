"""Prepare the floor's throw-away database: `python -m bench.floor.prepare CMD ARGS OUT`.

The same amounts as bench.prepare makes for the app (rows to act on, people with tokens, unread
notifications), with the floor's own bare tables.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.floor.models import AccessToken, Item, Note, Person  # noqa: E402

CONTENT = {"sections": [{"title": "Mục đích, yêu cầu", "paragraphs": ["x" * 200] * 10}]}
COMMANDS: dict[str, Any] = {}


def command(fn: Any) -> Any:
    COMMANDS[fn.__name__] = fn
    return fn


def people(unit: int, count: int) -> list[tuple[int, str]]:
    made = Person.objects.bulk_create(
        [Person(name=f"p{unit}-{i}", unit=unit) for i in range(count)], batch_size=500
    )
    tokens = [AccessToken(key=secrets.token_hex(20), person=p) for p in made]
    AccessToken.objects.bulk_create(tokens, batch_size=500)
    return [(t.person.pk, t.key) for t in tokens]


def items(owner: int, count: int, status: str) -> list[int]:
    made = Item.objects.bulk_create(
        [
            Item(owner_id=owner, title=f"Kế hoạch đo tải {i}", status=status, content=CONTENT)
            for i in range(count)
        ],
        batch_size=500,
    )
    return [i.pk for i in made]


@command
def base(args: dict) -> dict:
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
    return {}


@command
def tasks(args: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    ((person, token),) = people(1, 1)
    ids = items(person, args["count"] + 2, "waiting")
    client = Client(headers={"authorization": f"Token {token}"})
    measured: dict[str, Any] = {}
    for item in ids[-2:]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/complete/{item}/",
                data=json.dumps({"action": "approve"}),
                content_type="application/json",
            )
        measured = {
            "queries": len(queries.captured_queries),
            "bytes": len(response.content),
            "status": response.status_code,
        }
    return {"token": token, "tasks": ids[:-2], "in_process": measured}


def analyze() -> None:
    """Refresh PostgreSQL's statistics after the bulk copy, as the app's preparation does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@command
def lists(args: dict) -> dict:
    existing = Person.objects.filter(unit=2).first()
    if existing is None:
        ((person, token),) = people(2, 1)
    else:
        person, token = existing.pk, AccessToken.objects.get(person=existing).key
    missing = args["size"] - Item.objects.filter(owner_id=person).count()
    if missing > 0:
        items(person, missing, "waiting")
    analyze()
    return {"token": token}


@command
def issuance(args: dict) -> dict:
    clerks = people(3, args["clerks"])
    return {
        "tasks": items(clerks[0][0], args["count"], "signed"),
        "tokens": [k for _p, k in clerks],
    }


@command
def fanout(args: dict) -> dict:
    units = list(range(1000, 1000 + args["units"]))
    recipients = [key for u in units for _p, key in people(u, args["per_unit"])]
    others = [key for _p, key in people(999, args["extra"])]
    with transaction.atomic():
        Note.objects.bulk_create(
            [Note(person=p, kind="bench.hello", title="Chào") for p in Person.objects.all()],
            batch_size=500,
        )
    ((_clerk, clerk_token),) = people(998, 1)
    return {"recipients": recipients, "others": others, "units": units, "clerk": clerk_token}


def main() -> None:
    name, args, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    out.write_text(json.dumps(COMMANDS[name](args)))


if __name__ == "__main__":
    main()
