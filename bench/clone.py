"""Copy one plan, made through the services, many times over with bulk inserts.

A list at 10,000 plans or a thousand plans waiting at one step take too long to walk through the
services one by one. A template plan is walked there for real; this module then copies its rows
and every row that hangs from them, found from the models themselves (any model with a foreign
key to the plan, or to a row copied with it: versions, events, grants, consultation requests,
rendered PDFs...), its viewflow process and tasks (with their `previous` links) and its stored
notifications. Foreign keys between copied rows point to the copies; audit events are re-chained
(`compute_hash`) so that `audit_verify` still holds. New fields and new plan-owned models are
copied without changes here.

Runs inside the app's Django (bench.prepare).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

SKIP_APPS = {"viewflow", "contenttypes", "auth", "admin", "sessions", "authtoken"}


def _plan_model() -> type[models.Model]:
    return apps.get_model("documents", "Plan")


def _fks(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def _owned_models(root: type[models.Model]) -> list[type[models.Model]]:
    """`root` and the models whose rows hang from it through foreign keys (transitively)."""
    found = [root]
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in found or model._meta.proxy or not model._meta.managed:
                continue
            if model._meta.app_label in SKIP_APPS:
                continue
            if any(f.related_model in found for f in _fks(model)):
                found.append(model)
                changed = True
    return found


def _order(owned: list[type[models.Model]]) -> list[type[models.Model]]:
    """Insert order: a model after the models its non-nullable keys point to."""
    ordered: list[type[models.Model]] = []
    pending = list(owned)
    while pending:
        for model in pending:
            needs = {
                f.related_model
                for f in _fks(model)
                if f.related_model in owned and not f.null and f.related_model is not model
            }
            if needs <= set(ordered):
                ordered.append(model)
                pending.remove(model)
                break
        else:  # a cycle of non-nullable keys: insert in discovery order and hope
            ordered.extend(pending)
            break
    return ordered


def _template_rows(
    root: models.Model, owned: list[type[models.Model]]
) -> dict[type[models.Model], list[models.Model]]:
    """The template's rows of every owned model: those whose key points to a template row."""
    rows: dict[type[models.Model], list[models.Model]] = {type(root): [root]}
    changed = True
    while changed:
        changed = False
        for model in owned:
            if model is type(root):
                continue
            condition = models.Q(pk__in=[])
            for field in _fks(model):
                parents = rows.get(field.related_model)
                if parents:
                    condition |= models.Q(**{f"{field.attname}__in": [p.pk for p in parents]})
            found = list(model._default_manager.filter(condition).order_by("pk"))
            if len(found) != len(rows.get(model, [])):
                rows[model] = found
                changed = True
    return rows


def _values(row: models.Model) -> dict[str, Any]:
    return {
        f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key
    }


def _rechain(events: list[models.Model]) -> None:
    """Recompute an audit chain (models with compute_hash / previous_hash / hash) in place."""
    if not events or not hasattr(events[0], "compute_hash"):
        return
    events.sort(key=lambda e: getattr(e, "sequence", 0))
    previous = events[0].previous_hash
    for event in events:
        event.previous_hash = previous
        event.hash = event.compute_hash()
        previous = event.hash


def clone_plan(template_pk: int, count: int, *, batch_size: int = 250) -> list[int]:
    """Make `count` copies of plan `template_pk` with everything that hangs from it; their pks."""
    plan_model = _plan_model()
    template = plan_model.objects.get(pk=template_pk)
    owned = _owned_models(plan_model)
    order = _order(owned)
    rows = _template_rows(template, owned)
    made: list[int] = []
    for start in range(0, count, batch_size):
        n = min(batch_size, count - start)
        with transaction.atomic():
            made.extend(_clone_batch(template, rows, order, owned, n))
    return made


def _clone_batch(
    template: models.Model,
    rows: dict[type[models.Model], list[models.Model]],
    order: list[type[models.Model]],
    owned: list[type[models.Model]],
    n: int,
) -> list[int]:
    # mapping[i][(model, old_pk)] = new_pk for copy i
    mapping: list[dict[tuple[type[models.Model], Any], Any]] = [{} for _ in range(n)]
    deferred: dict[type[models.Model], list[tuple[models.Model, str, type, Any, int]]] = (
        defaultdict(list)
    )
    heads: dict[int, models.Model] = {}  # copy -> its newest audit event
    for model in order:
        templates = rows.get(model, [])
        if not templates:
            continue
        objects: list[models.Model] = []
        origins: list[tuple[int, Any]] = []
        for i in range(n):
            for row in templates:
                values = _values(row)
                for field in _fks(model):
                    if field.related_model not in owned:
                        continue
                    old = values[field.attname]
                    if old is None:
                        continue
                    new = mapping[i].get((field.related_model, old))
                    if new is None:  # its target is inserted later: set it afterwards
                        values[field.attname] = None
                    else:
                        values[field.attname] = new
                obj = model(**values)
                for field in _fks(model):
                    old = getattr(row, field.attname)
                    if (
                        field.related_model in owned
                        and old is not None
                        and getattr(obj, field.attname) is None
                    ):
                        deferred[model].append((obj, field.attname, field.related_model, old, i))
                objects.append(obj)
                origins.append((i, row.pk))
        if hasattr(model, "compute_hash"):
            by_copy: dict[int, list[models.Model]] = defaultdict(list)
            for obj, (i, _old) in zip(objects, origins, strict=True):
                by_copy[i].append(obj)
            for i, events in by_copy.items():
                _rechain(events)
                heads[i] = events[-1]
        model._default_manager.bulk_create(objects)
        for obj, (i, old_pk) in zip(objects, origins, strict=True):
            mapping[i][(model, old_pk)] = obj.pk
    for model, pending in deferred.items():
        changed: dict[str, list[models.Model]] = defaultdict(list)
        for obj, attname, target, old, i in pending:
            setattr(obj, attname, mapping[i][(target, old)])
            changed[attname].append(obj)
        for attname, objs in changed.items():
            model._default_manager.bulk_update(objs, [attname.removesuffix("_id")])
    plan_model = type(template)
    new_plans = [mapping[i][(plan_model, template.pk)] for i in range(n)]
    if heads and hasattr(template, "events_head"):
        # The plan row keeps its chain's head (count, last hash): the re-chained one.
        copies = [
            plan_model(pk=new_plans[i], events_count=e.sequence, events_head=e.hash)
            for i, e in heads.items()
        ]
        plan_model._default_manager.bulk_update(copies, ["events_count", "events_head"])
    _clone_process(template, new_plans, mapping)
    _clone_notifications(template, new_plans)
    return new_plans


def _clone_process(
    template: models.Model,
    new_plans: list[int],
    mapping: list[dict[tuple[type[models.Model], Any], Any]],
) -> None:
    """The template's viewflow process and tasks, with `previous` links, for every copy."""
    from viewflow.workflow.models import Process, Task

    plan_type = ContentType.objects.get_for_model(type(template), for_concrete_model=False)
    processes = list(
        Process.objects.filter(
            artifact_content_type=plan_type, artifact_object_id=template.pk
        ).order_by("pk")
    )
    if not processes:
        return
    tasks = list(Task.objects.filter(process__in=processes).order_by("pk"))
    through = Task.previous.through
    links = list(through.objects.filter(to_task__in=tasks))
    request_model = apps.get_model("documents", "ConsultationRequest")

    new_processes = []
    for i, plan_pk in enumerate(new_plans):
        for process in processes:
            values = _values(process)
            values["artifact_object_id"] = plan_pk
            new_processes.append((i, process.pk, Process(**values)))
    Process.objects.bulk_create([p for _i, _old, p in new_processes])
    process_map = {(i, old): p.pk for i, old, p in new_processes}

    new_tasks = []
    for i in range(len(new_plans)):
        for task in tasks:
            values = _values(task)
            values["process_id"] = process_map[(i, task.process_id)]
            if values.get("artifact_object_id") == template.pk:
                values["artifact_object_id"] = new_plans[i]
            data = dict(values.get("data") or {})
            if "request_id" in data:
                data["request_id"] = mapping[i].get((request_model, data["request_id"]))
            values["data"] = data
            new_tasks.append((i, task.pk, Task(**values)))
    Task.objects.bulk_create([t for _i, _old, t in new_tasks])
    task_map = {(i, old): t.pk for i, old, t in new_tasks}
    through.objects.bulk_create(
        [
            through(
                from_task_id=task_map[(i, link.from_task_id)],
                to_task_id=task_map[(i, link.to_task_id)],
            )
            for i in range(len(new_plans))
            for link in links
            if (i, link.from_task_id) in task_map and (i, link.to_task_id) in task_map
        ]
    )


def _clone_notifications(template: models.Model, new_plans: list[int]) -> None:
    """Stored notifications about the template (data.plan_id), once per copy."""
    try:
        notification = apps.get_model("notifications", "Notification")
    except LookupError:
        return
    stored = list(notification.objects.filter(data__plan_id=template.pk).order_by("pk"))
    path = re.compile(rf"/{template.pk}/")
    objects = []
    for plan_pk in new_plans:
        for row in stored:
            values = _values(row)
            values["data"] = {**(values.get("data") or {}), "plan_id": plan_pk}
            if values.get("url"):
                values["url"] = path.sub(f"/{plan_pk}/", values["url"], count=1)
            objects.append(notification(**values))
    notification.objects.bulk_create(objects, batch_size=1000)


def open_tasks(plan_pks: Iterable[int], step: str) -> dict[int, int]:
    """{plan pk: pk of its open task of `step`} (the clones' tasks, for the load generator)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    plan_pks = list(plan_pks)
    out: dict[int, int] = {}
    for start in range(0, len(plan_pks), 500):
        chunk = plan_pks[start : start + 500]
        for task in Task.objects.filter(
            process__artifact_object_id__in=chunk,
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        ).select_related("process"):
            name = getattr(task.flow_task, "name", str(task.flow_task).rsplit(".", 1)[-1])
            if name == step:
                out[int(task.process.artifact_object_id)] = task.pk
    return out
