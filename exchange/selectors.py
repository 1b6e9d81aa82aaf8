"""Reads of the document exchange."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from documents.models import IncomingDocument, Plan

from .models import STATUS_LABELS, IncomingPackage, OutgoingPackage, StatusMessage


def package_list_of_plan(*, plan: Plan) -> QuerySet[OutgoingPackage]:
    """The document packages of an issued plan, each with its statuses (oldest first)."""
    return (
        OutgoingPackage.objects.filter(plan=plan, kind=OutgoingPackage.Kind.DOCUMENT)
        .select_related("unit", "peer")
        .prefetch_related(
            Prefetch("statuses", queryset=StatusMessage.objects.order_by("timestamp", "id"))
        )
        .order_by("unit__name", "id")
    )


def exchange_rows_by_unit(*, plan: Plan) -> dict[int, dict[str, object]]:
    """For the plan page's receipts table: per external unit, how its package stands — the
    package state, the statuses received and the latest one."""
    rows: dict[int, dict[str, object]] = {}
    for package in package_list_of_plan(plan=plan):
        if package.unit_id is None:
            continue
        statuses = list(package.statuses.all())
        latest = statuses[-1] if statuses else None
        rows[package.unit_id] = {
            "package": package,
            "statuses": statuses,
            "latest": latest,
            "latest_label": STATUS_LABELS.get(latest.code, latest.code) if latest else "",
        }
    return rows


def incoming_exchange(*, incoming: IncomingDocument) -> dict[str, object] | None:
    """How a received document came through the exchange (None when it did not): the package's
    log and the statuses sent back to its sender, oldest first."""
    log = (
        IncomingPackage.objects.select_related("peer", "unit")
        .filter(
            incoming_document=incoming,
            kind=IncomingPackage.Kind.DOCUMENT,
            state=IncomingPackage.State.ACCEPTED,
        )
        .first()
    )
    if log is None:
        return None
    sent = OutgoingPackage.objects.filter(answers=log, kind=OutgoingPackage.Kind.STATUS)
    return {
        "log": log,
        "sent": [
            {"package": p, "label": STATUS_LABELS.get(p.status_code, p.status_code)}
            for p in sent.order_by("pk")
        ],
    }
