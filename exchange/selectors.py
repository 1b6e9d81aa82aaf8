"""Reads of the document exchange."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from documents.models import Plan

from .models import STATUS_LABELS, OutgoingPackage, StatusMessage


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
