"""Comparing versions of a plan: the comparison page, its .docx, and "what changed since you last
saw it" for the plan and task pages.

Thin edges (DESIGN.md): parse `tu` / `den`, call the selectors, answer. Versions are numbered from
1 at the first submission; `?tu=2&den=4` compares version 2 with version 4.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.errors import InvalidInput
from agencies.models import User
from documents import services as documents
from documents.comparison import (
    DELETE,
    DOCX_TYPE,
    INSERT,
    KIND_LABELS,
    comparison_to_docx,
    path_label,
)
from documents.models import Plan
from documents.selectors import (
    ChangesSinceSeen,
    plan_get_visible,
    plan_version_list,
    version_changes_since_seen,
    version_compare,
    version_pair,
)
from workflows import services as workflows


def _pair(request: HttpRequest, plan: Plan) -> tuple[int, int] | None:
    return version_pair(
        plan=plan,
        old_number=_number(request.GET.get("tu"), "tu"),
        new_number=_number(request.GET.get("den"), "den"),
    )


def _number(value: str | None, name: str) -> int | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidInput(
            _("Số phiên bản “%(name)s” không hợp lệ: cần một số nguyên dương.") % {"name": name}
        )
    return int(value)


def version_label(number: int) -> str:
    return _("phiên bản %(number)d") % {"number": number}


def _version_choices(plan: Plan) -> list[dict[str, Any]]:
    from .views import version_reason_labels  # views imports this module

    reasons = version_reason_labels()
    return [
        {
            "number": v.number,
            "label": _("Phiên bản %(number)d — %(reason)s (%(when)s)")
            % {
                "number": v.number,
                "reason": reasons.get(v.reason, v.reason),
                "when": timezone.localtime(v.created_at).strftime("%H:%M %d/%m/%Y"),
            },
            "is_signed": v.pk == plan.signed_version_id,
        }
        for v in plan_version_list(plan=plan)
    ]


def segments_html(segments: list[list[str]]) -> SafeString:
    """Inline diff as HTML: <ins> for insertions, <del> for deletions, the rest as text."""
    tags = {INSERT: "ins", DELETE: "del"}
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<{}>{}</{}>", tags[op], text, tags[op]) if op in tags else text,)
            for op, text in segments
        ),
    )


def _for_page(data: Any) -> Any:
    """The comparison as plain data for the template: each diff gets its `html`, each change
    its `kind_label`, each numbered part its `where` ("Mục II.3.b")."""
    if isinstance(data, list):
        return [_for_page(item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {key: _for_page(value) for key, value in data.items()}
    if "segments" in data:
        out["html"] = segments_html(data["segments"])
    if data.get("kind") in KIND_LABELS:
        out["kind_label"] = KIND_LABELS[data["kind"]]
    if "path" in data:
        out["where"] = path_label(data["path"])
        out["old_where"] = path_label(data.get("old_path") or "")
    return out


@login_required
@require_GET
def plan_compare(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Two versions side by side: what changed, section by section, task by task."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    pair = _pair(request, plan)
    comparison = None
    if pair is not None:
        comparison = version_compare(plan=plan, old_number=pair[0], new_number=pair[1])
    return render(
        request,
        "pages/plan_compare.html",
        {
            "plan": plan,
            "versions": _version_choices(plan),
            "old_number": pair[0] if pair else None,
            "new_number": pair[1] if pair else None,
            "comparison": comparison,
            "changes": _for_page(comparison.to_dict()) if comparison else None,
            "summary_lines": comparison.summary().lines() if comparison else [],
        },
    )


@login_required
@require_GET
def plan_compare_docx(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The comparison as a Word file (insertions underlined in blue, deletions struck in red)."""
    plan = plan_get_visible(user=request.user, plan_id=plan_id)
    pair = _pair(request, plan)
    if pair is None:
        raise InvalidInput(_("Cần ít nhất hai phiên bản để so sánh."))
    old_number, new_number = pair
    comparison = version_compare(plan=plan, old_number=old_number, new_number=new_number)
    data = comparison_to_docx(
        comparison,
        title=plan.title,
        old_label=version_label(old_number),
        new_label=version_label(new_number),
    )
    response = HttpResponse(data, content_type=DOCX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="so-sanh-ke-hoach-{plan.pk}-v{old_number}-v{new_number}.docx"'
    )
    return response


# ---------------------------------------------------------------------------------------------
# "Changes since you last saw it", for the plan page and the task page


def _may_act(user: User, plan: Plan) -> tuple[bool, bool]:
    """(may act on the plan, has the signature task open)."""
    steps = [
        task.flow_task.name
        for task in workflows.task_list_open(user=user).filter(process__artifact_object_id=plan.pk)
    ]
    may_act = bool(steps) or user.pk in (plan.drafter_id, plan.signer_id)
    return may_act, "sign" in steps


def since_last_seen(*, user: User, plan: Plan) -> ChangesSinceSeen | None:
    """For a user who may act on the plan: what changed since they last opened it (given only to
    the signer with the signature task open), then remember that they saw the latest version."""
    if not user.is_authenticated:
        return None
    may_act, signs = _may_act(user, plan)
    if not may_act:
        return None
    changes = version_changes_since_seen(plan=plan, user=user) if signs else None
    documents.plan_version_seen_record(plan=plan, user=user, version_number=plan.version_number)
    return changes
