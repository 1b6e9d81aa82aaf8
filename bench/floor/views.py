"""The floor's endpoints: per request, the essential database work of the app's action.

Every endpoint authenticates by token (one query, as DRF's TokenAuthentication) and answers small
JSON. Pushes go to the channel layer after commit, as the app's notify_on_commit does.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .consumers import group_of
from .models import AccessToken, Audit, Issued, Item, Note, Person, Register

# Pushes in flight at once: all of them concurrently, within channels_redis' connection pool.
PUSHES_AT_ONCE = 16


def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def _person(request: HttpRequest) -> Person | None:
    header = request.headers.get("Authorization", "")
    key = header.split()[-1] if header.lower().startswith("token ") else ""
    token = AccessToken.objects.select_related("person").filter(key=key).first()
    return token.person if token else None


def _unauthorised() -> JsonResponse:
    return JsonResponse({"error": "unauthorised", "detail": "token"}, status=401)


def _push_after_commit(pushes: list[tuple[int, dict[str, Any]]]) -> None:
    async def send_all() -> None:
        layer = get_channel_layer()
        gate = asyncio.Semaphore(PUSHES_AT_ONCE)

        async def send(person: int, payload: dict[str, Any]) -> None:
            async with gate:
                await layer.group_send(group_of(person), {"type": "note", "payload": payload})

        await asyncio.gather(*(send(person, payload) for person, payload in pushes))

    transaction.on_commit(lambda: async_to_sync(send_all)())


def _note_payload(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "kind": note.kind,
        "title": note.title,
        "data": note.data,
        "created_at": note.created_at.isoformat(),
    }


@csrf_exempt
def complete(request: HttpRequest, item_id: int) -> JsonResponse:
    """Lock the row, check and move its state, audit it, store a notification, push after commit."""
    person = _person(request)
    if person is None:
        return _unauthorised()
    action = json.loads(request.body or b"{}").get("action")
    with transaction.atomic():
        item = Item.objects.select_for_update().filter(pk=item_id, owner=person).first()
        if item is None:
            return JsonResponse({"error": "not_found", "detail": ""}, status=404)
        if item.status != "waiting":
            return JsonResponse({"error": "state", "detail": item.status}, status=409)
        item.status, item.version, item.updated_at = "approved", item.version + 1, timezone.now()
        item.save(update_fields=["status", "version", "updated_at"])
        Audit.objects.create(item=item, actor=person, kind=str(action))
        note = Note.objects.create(
            person=person, kind="task.assigned", title="Đã duyệt", data={"item": item.pk}
        )
        _push_after_commit([(person.pk, _note_payload(note))])
    return JsonResponse({"id": item.pk, "status": item.status, "next": f"/items/{item.pk}/"})


def _page(person: Person) -> tuple[int, list[dict[str, Any]]]:
    items = Item.objects.filter(owner=person)
    rows = list(
        items.order_by("-updated_at", "-id").values("id", "title", "status", "updated_at")[:50]
    )
    return items.count(), rows


def item_list(request: HttpRequest) -> JsonResponse:
    person = _person(request)
    if person is None:
        return _unauthorised()
    count, rows = _page(person)
    return JsonResponse({"count": count, "results": rows})


def item_page(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        return _unauthorised()
    count, rows = _page(person)
    return render(request, "floor/page.html", {"count": count, "items": rows})


_per_thread = threading.local()


def _seal_inputs() -> tuple[bytes, Any]:
    """The signed PDF and the seal material, loaded once per thread: asn1crypto objects parse
    lazily and are not safe to share between threads."""
    from bench.pdfloor import Material

    if not hasattr(_per_thread, "inputs"):
        directory = Path(settings.FLOOR_MATERIAL)
        _per_thread.inputs = (directory / "signed.pdf").read_bytes(), Material.load(directory)
    return _per_thread.inputs


@csrf_exempt
def issue(request: HttpRequest, item_id: int) -> JsonResponse:
    """Number under the register's lock (short), seal outside it (raw pyHanko B-LTA), store."""
    from bench.pdfloor import seal_blta

    person = _person(request)
    if person is None:
        return _unauthorised()
    year = timezone.localdate().year
    with transaction.atomic():
        item = Item.objects.select_for_update().filter(pk=item_id, status="signed").first()
        if item is None:
            return JsonResponse({"error": "state", "detail": ""}, status=409)
        register, _ = Register.objects.select_for_update().get_or_create(year=year)
        register.last_number += 1
        register.save(update_fields=["last_number"])
        item.status, item.number = "numbered", register.last_number
        item.save(update_fields=["status", "number"])
    pdf, material = _seal_inputs()
    sealed = seal_blta(pdf, material)
    with transaction.atomic():
        Issued.objects.create(item=item, number=item.number, pdf=sealed)
        item.status, item.updated_at = "issued", timezone.now()
        item.save(update_fields=["status", "updated_at"])
        Audit.objects.create(item=item, actor=person, kind="issued")
    return JsonResponse({"id": item.pk, "number": item.number, "bytes": len(sealed)})


@csrf_exempt
def touch(request: HttpRequest) -> JsonResponse:
    """The light action: mark the person's notifications read, push the read state to them."""
    person = _person(request)
    if person is None:
        return _unauthorised()
    with transaction.atomic():
        marked = Note.objects.filter(person=person, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        unread = Note.objects.filter(person=person, read_at__isnull=True).count()
        payload = {"type": "notifications.read", "ids": None, "unread_count": unread}
        _push_after_commit([(person.pk, payload)])
    return JsonResponse({"marked": marked, "unread_count": unread})


@csrf_exempt
def fanout(request: HttpRequest) -> JsonResponse:
    """Issue to units: one stored notification per member, all pushed after commit at once."""
    person = _person(request)
    if person is None:
        return _unauthorised()
    body = json.loads(request.body or b"{}")
    units, key = body.get("units") or [], body.get("key")
    with transaction.atomic():
        members = list(Person.objects.filter(unit__in=units).values_list("pk", flat=True))
        notes = Note.objects.bulk_create(
            [
                Note(person_id=m, kind="plan.issued", title="Văn bản đến", data={"key": key})
                for m in members
            ]
        )
        _push_after_commit([(n.person_id, _note_payload(n)) for n in notes])
    return JsonResponse({"recipients": len(members)})
