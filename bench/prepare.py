"""Prepare the app's throw-away database for one section: `python -m bench.prepare CMD ARGS OUT`.

Runs in a process of its own with the served app's settings and database (the environment the
orchestrator gives it), never inside the served process. Plans are made through the services
(the same helpers the tests walk with) and then copied in bulk (bench.clone). Writes a JSON
answer (ids, tokens, figures measured in-process) to OUT.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from agencies.models import Unit, User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "documents" / "seeds"
PLAN_SEED = SEEDS / "dongnai-262-KH-UBND-2023.docx"
LETTER_SEED = SEEDS / "btttt-2905-huong-dan-2021.docx"
DEMO_RECIPIENTS = ("bao-dong-nai", "cong-an", "so-nv", "dai-ptth", "ubnd-bien-hoa", "so-khdt")
COMMANDS: dict[str, Any] = {}


def command(fn: Any) -> Any:
    COMMANDS[fn.__name__] = fn
    return fn


def token_of(user: User) -> str:
    """A new API token of `user` (its key), made as the app makes them."""
    try:
        from agencies.services import api_token_create
    except ImportError:  # earlier versions: DRF's authtoken
        from rest_framework.authtoken.models import Token

        return Token.objects.get_or_create(user=user)[0].key
    return api_token_create(user=user, label="bench")[1]


def user(username: str) -> User:
    return User.objects.get(username=username)


def plan_content(*, recipients: list[Unit] | None = None, signer: str = "phochutich") -> dict:
    """The seed plan as the importer reads it, signed by `signer`, sent to `recipients`."""
    from documents.importing import import_plan_docx

    rows = list(Unit.objects.filter(is_active=True).values_list("pk", "name", "short_name"))
    content = dict(import_plan_docx(PLAN_SEED.read_bytes(), directory=rows).content)
    content["signature"] = {"signer_id": user(signer).pk}
    units = recipients or list(Unit.objects.filter(code__in=DEMO_RECIPIENTS).order_by("pk"))
    content["recipients"] = {
        **content["recipients"],
        "units": [{"name": u.name, "unit_id": u.pk} for u in units],
    }
    return content


def plan_at_agency_review(drafter: User, content: dict) -> Any:
    from documents import services as documents
    from workflows.services import plan_submit

    plan = documents.plan_create(actor=drafter, content=content)
    return plan_submit(plan=plan, actor=drafter)


def plan_signed(content: dict) -> Any:
    """Walk a plan as the demo users to the clerk's open "issue" task (tests.helpers)."""
    from tests.helpers import sign_as, walk_to_signature

    plan = walk_to_signature(content=content)
    return sign_as(user("phochutich"), plan)


def clones(template: Any, total: int) -> list[int]:
    from bench.clone import clone_plan

    return [template.pk, *clone_plan(template.pk, max(0, total - 1))]


def make_users(prefix: str, units: list[Unit], per_unit: int, role: str) -> list[User]:
    password = make_password(None)
    users = [
        User(
            username=f"{prefix}-{u.pk}-{i}",
            full_name=f"Người dùng đo tải {u.pk}.{i}",
            unit=u,
            role=role,
            password=password,
            is_active=True,
        )
        for u in units
        for i in range(per_unit)
    ]
    User.objects.bulk_create(users, batch_size=500)
    return list(User.objects.filter(username__startswith=f"{prefix}-").order_by("pk"))


def tokens_of(users: list[User]) -> dict[int, str]:
    return {u.pk: token_of(u) for u in users}


# ---------------------------------------------------------------------------------------------


@command
def base(args: dict) -> dict:
    """Migrate, the demo directory, and the CA (so no request pays for creating it)."""
    from django.core.management import call_command

    from agencies.directory import directory_seed

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    directory_seed()
    try:
        from signing import services as signing

        signing.ca_get_or_create()
    except Exception as exc:  # the bench goes on; the first signature creates it
        print(f"bench.prepare: CA not created ahead: {exc!r}", file=sys.stderr)
    return {"seconds": time.perf_counter() - started}


@command
def tasks(args: dict) -> dict:
    """`count` plans waiting at agency approval (giamdoc's tasks), plus the queries of one
    completion measured in-process (a warm-up completion first)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.clone import open_tasks

    drafter, head = user("chuyenvien"), user("giamdoc")
    template = plan_at_agency_review(drafter, plan_content())
    ids = clones(template, args["count"] + 2)
    by_plan = open_tasks(ids, "agency_review")
    task_ids = [by_plan[pk] for pk in ids if pk in by_plan]
    token = token_of(head)
    client = Client(headers={"authorization": f"Token {token}"})
    measured: dict[str, Any] = {}
    for task_id in task_ids[-2:]:  # the first warms the process, the second is counted
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/api/v1/tasks/{task_id}/complete/",
                data=json.dumps({"action": "approve"}),
                content_type="application/json",
            )
        measured = {
            "queries": len(queries.captured_queries),
            "bytes": len(response.content),
            "status": response.status_code,
        }
    return {"token": token, "tasks": task_ids[:-2], "in_process": measured}


@command
def issuance(args: dict) -> dict:
    """`count` signed plans waiting for the clerk, `clerks` clerks with tokens; the signed PDF
    and the seal material exported for the floors."""
    from bench.clone import open_tasks

    template = plan_signed(plan_content())
    ids = clones(template, args["count"])
    by_plan = open_tasks(ids, "issue")
    vp = Unit.objects.get(code="vp-ubnd")
    extra = make_users("bench-vanthu", [vp], args["clerks"] - 1, User.Role.CLERK)
    clerks = [user("vanthu"), *extra]
    tokens = tokens_of(clerks)
    out = Path(args["export_dir"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "signed.pdf").write_bytes(bytes(template.signed_pdf))
    material = export_material(out, template.issuer)
    return {
        "tasks": [by_plan[pk] for pk in ids if pk in by_plan],
        "tokens": [tokens[c.pk] for c in clerks],
        "material": material,
        "plan": template.pk,
    }


def export_material(out: Path, unit: Unit) -> str:
    """Write the app's seal key, its chain, CRL, TSA and seal image for the raw pyHanko floor;
    generate equivalent material when the app's cannot be read (e.g. a PKCS#11 key)."""
    from bench import pdfloor

    try:
        from cryptography.hazmat.primitives import serialization

        from signing import services as signing
        from signing.seal import seal_provider
        from signing.seal_image import seal_png

        provider = seal_provider(unit=unit)
        stamper = signing._timestamper()
        key = getattr(provider, "private_key", None) or provider._private_key
        pdfloor.write_material(
            out,
            seal_key=key,
            seal_cert=provider.certificate,
            root_pem=signing.trust_pem(),
            crl_pem=signing.crl_pem(),
            tsa_cert_der=stamper.tsa_cert.dump(),
            tsa_key_der=stamper.tsa_key.dump(),
            seal_png=seal_png(ring_text=unit.name),
        )
        serialization  # noqa: B018 - imported to fail early when cryptography is missing
        return "the app's seal key, CA, CRL and TSA"
    except Exception as exc:
        print(f"bench.prepare: generated floor keys ({exc!r})", file=sys.stderr)
        pdfloor.generate_material(out)
        return f"generated (app's not readable: {type(exc).__name__})"


@command
def seal(args: dict) -> dict:
    """The app's seal of the signed PDF (`signing.services.pdf_issue_with_seal`) as issuance makes
    it — the leader's signature already checked, the verification link placed from the anchors
    kept at rendering — against raw pyHanko B-LTA with the same key, TSA, CRL and seal image,
    alternately, in this process. The leader's check (`pdf_issue_check`) is timed on its own."""
    from bench import pdfloor
    from documents.models import Plan
    from documents.selectors import version_pdf_anchors
    from signing import services as signing
    from signing.pyhanko_speedups import pyhanko_own

    out = Path(args["export_dir"])
    pdf = (out / "signed.pdf").read_bytes()
    material = pdfloor.Material.load(out)
    unit = Unit.objects.get(code="ubnd-tinh")
    plan = Plan.objects.get(pk=args["plan"])
    anchors = version_pdf_anchors(version=plan.signed_version)
    app_ms, raw_ms, check_ms = [], [], []
    for i in range(args["runs"] + 1):
        started = time.perf_counter()
        signing.pdf_issue_check(pdf=pdf)
        check = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        signing.pdf_issue_with_seal(
            pdf=pdf,
            unit=unit,
            number_text=f"{i + 1:02d}",
            date_text="ngày 02 tháng 01 năm 2026",
            verify_url=f"http://127.0.0.1:8000/kiem-tra/{i}/",
            anchors=anchors,
            leader_checked=True,
        )
        app = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        with pyhanko_own():  # raw pyHanko: without the app's faster hex-string reader
            pdfloor.seal_blta(pdf, material)
        raw = (time.perf_counter() - started) * 1000
        if i:  # the first of each warms caches (fonts, validation)
            app_ms.append(app)
            raw_ms.append(raw)
            check_ms.append(check)
    return {"app_ms": app_ms, "raw_ms": raw_ms, "check_ms": check_ms}


@command
def fanout(args: dict) -> dict:
    """`units` recipient units with `per_unit` users each, `extra` more users elsewhere, all with
    tokens and one unread notification each; `repeats` signed plans sent to those units."""
    from bench.clone import open_tasks
    from notifications.models import Notification
    from notifications.services import notify_on_commit

    units = [
        Unit(
            code=f"bench-dv-{i:03d}",
            name=f"Đơn vị nhận đo tải số {i:03d}",
            short_name=f"ĐV {i:03d}",
            abbreviation=f"DV{i:03d}",
            kind=Unit.Kind.OTHER,
        )
        for i in range(1, args["units"] + 1)
    ]
    Unit.objects.bulk_create(units)
    units = list(Unit.objects.filter(code__startswith="bench-dv-").order_by("code"))
    other, _ = Unit.objects.get_or_create(
        code="bench-khac", defaults={"name": "Đơn vị khác (đo tải)", "kind": Unit.Kind.OTHER}
    )
    recipients = make_users("bench-nhan", units, args["per_unit"], User.Role.AGENCY_STAFF)
    extra = make_users("bench-khac", [other], args["extra"], User.Role.AGENCY_STAFF)
    everyone = [*recipients, *extra]
    tokens = tokens_of(everyone)
    with transaction.atomic():
        notify_on_commit(
            user_ids=[u.pk for u in everyone], kind="bench.hello", title="Chào (đo tải)"
        )
    unread = dict(
        Notification.objects.filter(user__in=everyone, kind="bench.hello").values_list(
            "user_id", "pk"
        )
    )
    template = plan_signed(plan_content(recipients=units))
    ids = clones(template, args["repeats"])
    by_plan = open_tasks(ids, "issue")
    return {
        "recipients": [tokens[u.pk] for u in recipients],
        "others": [tokens[u.pk] for u in extra],
        "unread": {tokens[u.pk]: unread[u.pk] for u in everyone},
        "issues": [[pk, by_plan[pk]] for pk in ids if pk in by_plan],
        "clerk": token_of(user("vanthu")),
    }


@command
def signing(args: dict) -> dict:
    """A plan waiting for the Phó Chủ tịch's signature; the signer's token."""
    from tests.helpers import walk_to_signature

    plan = walk_to_signature(content=plan_content())
    return {"plan": plan.pk, "token": token_of(user("phochutich"))}


LISTS_UNIT = "bench-so-khcn"
#: The outgoing register the lists read: a year of its own, so that what other sections issue
#: (this year's register) does not count among its entries.
LISTS_REGISTER_YEAR = 2001


def analyze() -> None:
    """Refresh PostgreSQL's statistics after a bulk copy, as autovacuum would soon after such
    growth: copied in seconds, 10,000 plans were planned with the statistics of 20 (a bitmap scan
    and a sort of all 10,000 notices of the user, 4-5 ms, where the index gives the 21 newest in
    order in well under a millisecond), which production meets only in the minute after a bulk
    import."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@command
def lists(args: dict) -> dict:
    """A unit whose head has `size` plans waiting at agency approval (tasks, grants and stored
    notifications as the services make them) and `size` incoming documents registered."""
    from bench.clone import clone_plan
    from documents import services as documents
    from documents.models import IncomingDocument, IncomingRegister, Plan

    unit, _created = Unit.objects.get_or_create(
        code=LISTS_UNIT,
        defaults={
            "name": "Sở Khoa học và Công nghệ (đo tải)",
            "short_name": "Sở KH&CN",
            "abbreviation": "SKHCN",
        },
    )
    people = {}
    for username, role in (("bench-soanthao", User.Role.DRAFTER), ("bench-giamdoc", "agency_head")):
        person, made = User.objects.get_or_create(
            username=username,
            defaults={"full_name": username, "unit": unit, "role": role, "is_active": True},
        )
        if made:
            person.set_password(args["password"])
            person.save(update_fields=["password"])
        people[username] = person
    drafter, head = people["bench-soanthao"], people["bench-giamdoc"]
    size = args["size"]
    plans = Plan.objects.filter(drafter=drafter)
    if not plans.exists():
        plan_at_agency_review(drafter, plan_content())
    missing = size - plans.count()
    if missing > 0:
        clone_plan(plans.order_by("pk").first().pk, missing)
    incoming = IncomingDocument.objects.filter(registering_unit=unit)
    if not incoming.exists():
        documents.incoming_import_docx(
            actor=head, data=LETTER_SEED.read_bytes(), file_name=LETTER_SEED.name
        )
    missing = size - incoming.count()
    if missing > 0:
        first = incoming.order_by("pk").first()
        values = {
            f.attname: getattr(first, f.attname)
            for f in IncomingDocument._meta.concrete_fields
            if not f.primary_key
        }
        # Each copy takes the register's next arrival number, as registering would.
        register = IncomingRegister.objects.get(unit=unit, year=first.arrival_year)
        start = register.last_number
        IncomingDocument.objects.bulk_create(
            [
                IncomingDocument(
                    **{
                        **values,
                        "file_sha256": secrets.token_hex(32),
                        "arrival_number": start + 1 + i,
                    }
                )
                for i in range(missing)
            ],
            batch_size=500,
        )
        register.last_number = start + missing
        register.save(update_fields=["last_number"])
    register = _register_filled(plans.order_by("pk").first(), size)
    analyze()
    return {
        "user": head.username,
        "password": args["password"],
        "token": token_of(head),
        "plans": plans.count(),
        "incoming": incoming.count(),
        "register": register.pk,
        "register_token": token_of(user("vanthu")),
    }


def _register_filled(template: Any, size: int) -> Any:
    """The UBND's outgoing register of LISTS_REGISTER_YEAR with `size` entries: plans issued
    under it, copied in bulk from `template` with the register's next numbers and dates, drafted
    in another unit (the demo drafter's), so that the lists unit's own lists do not grow."""
    import datetime as dt

    from documents.models import OutgoingRegister, Plan

    issuer = template.issuer
    register, _created = OutgoingRegister.objects.get_or_create(
        issuer=issuer, year=LISTS_REGISTER_YEAR
    )
    entries = Plan.objects.filter(issuer=issuer, register_year=LISTS_REGISTER_YEAR)
    start = entries.count()
    if size <= start:
        return register
    skip = {"id", "number", "register_year", "status", "issued_on", "issued_at"}
    values = {
        f.attname: getattr(template, f.attname)
        for f in Plan._meta.concrete_fields
        if f.attname not in skip and f.name not in ("signed_pdf", "issued_pdf")
    }
    elsewhere = user("chuyenvien")
    values.update(drafter_id=elsewhere.pk, drafting_unit_id=elsewhere.unit_id)
    first_day = dt.datetime(LISTS_REGISTER_YEAR, 1, 2, 8, tzinfo=dt.UTC)
    Plan.objects.bulk_create(
        [
            Plan(
                **values,
                status=Plan.Status.ISSUED,
                register_year=LISTS_REGISTER_YEAR,
                number=n,
                issued_at=first_day + dt.timedelta(minutes=50 * n),
                issued_on=(first_day + dt.timedelta(minutes=50 * n)).date(),
            )
            for n in range(start + 1, size + 1)
        ],
        batch_size=500,
    )
    register.last_number = size
    register.save(update_fields=["last_number"])
    return register


def main() -> None:
    name, args, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    result = COMMANDS[name](args)
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
