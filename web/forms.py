"""Forms of the pages: what was typed, checked and turned into the arguments a service takes.

Who may act and whether the plan's state allows it stay in the services; these forms only check
the shape of the input (DESIGN.md, "Where rules live").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.errors import InvalidInput
from documents.importing import max_import_bytes, too_large_message


def _current_year() -> int:
    return timezone.localdate().year


class PlanCreateForm(forms.Form):
    """A blank plan: its title (trích yếu) and year; the body starts from the usual four parts."""

    title = forms.CharField(
        label=_("Trích yếu (tên kế hoạch)"),
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Ví dụ: Kế hoạch thông tin đối ngoại năm 2024"),
                "autocomplete": "off",
            }
        ),
    )
    year = forms.IntegerField(
        label=_("Năm kế hoạch"), min_value=2000, max_value=2100, initial=_current_year
    )

    def content(self) -> dict[str, Any]:
        """The content of the new plan: the four parts of a provincial plan, empty."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "year": data["year"],
            "doc_type": "KH",
            "place": settings.PROVINCE_NAME,
            "legal_bases": [],
            "preamble": "",
            "sections": [
                {"kind": "purpose", "title": gettext("MỤC ĐÍCH, YÊU CẦU")},
                {"kind": "tasks", "title": gettext("NỘI DUNG, NHIỆM VỤ")},
                {"kind": "budget", "title": gettext("KINH PHÍ THỰC HIỆN")},
                {"kind": "implementation", "title": gettext("TỔ CHỨC THỰC HIỆN")},
            ],
            "closing": "",
            "reporting_deadlines": [],
            "recipients": {"units": [], "lines": [], "archive": "Lưu: VT."},
            "signature": {"authority": "TM.", "collective": "ỦY BAN NHÂN DÂN"},
        }


class PlanImportForm(forms.Form):
    """A drafter's Word file (.docx) or PDF (a scan is read by OCR) to start the plan from."""

    file = forms.FileField(
        label=_("Tệp Word (.docx) hoặc PDF"),
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.pdf"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".docx", ".pdf")):
            raise forms.ValidationError(gettext("Chỉ nhận tệp Word (.docx) hoặc PDF."))
        if upload.size > max_import_bytes():  # settings.IMPORT_MAX_BYTES, as the API
            raise forms.ValidationError(too_large_message())
        # What is inside (password, zip bomb, broken XML, too many pages…) is checked by the
        # importer, which gives the precise reason.
        return upload


#: What the choice of agencies offers: "trong thời hạn 07 ngày làm việc".
DEFAULT_CONSULTATION_WORKING_DAYS = 7


def default_consultation_deadline() -> str:
    """Seven days from today at 17:00, as a `datetime-local` value."""
    day = timezone.localdate() + dt.timedelta(days=7)
    return f"{day.isoformat()}T17:00"


def task_input(form: str, post: QueryDict) -> tuple[str, str, dict[str, Any]]:
    """(action, comment, data) of a task page POST, in the shape `task_complete` takes.

    Raises InvalidInput for input that cannot even be read (e.g. a unit id that is not a number);
    everything else (empty lists, past deadlines, missing answers) is the service's to judge.
    """
    action = (post.get("action") or "").strip()
    comment = post.get("comment") or ""
    data: dict[str, Any] = {}
    if form == "choose":
        try:
            unit_ids = [int(value) for value in post.getlist("unit_ids")]
        except ValueError as exc:
            raise InvalidInput(gettext("Danh sách đơn vị lấy ý kiến không hợp lệ.")) from exc
        data = {"unit_ids": unit_ids}
        if (post.get("deadline_mode") or "date") == "working_days":
            data["deadline_working_days"] = (post.get("deadline_working_days") or "").strip()
        else:
            data["deadline"] = (post.get("deadline") or "").strip() or None
    elif form == "consolidate":
        resolutions: dict[str, dict[str, str]] = {}
        for key in post:
            if not key.startswith("resolution_"):
                continue
            request_id = key.removeprefix("resolution_")
            if not request_id.isdigit():
                raise InvalidInput(gettext("Phần tiếp thu, giải trình không hợp lệ."))
            resolution = (post.get(key) or "").strip()
            if resolution:
                resolutions[request_id] = {
                    "resolution": resolution,
                    "note": (post.get(f"note_{request_id}") or "").strip(),
                }
        data = {"resolutions": resolutions}
    elif form == "budget":
        data = {"lines": _budget_lines(post)}
    elif form == "sign":
        # Filled in by static/js/signing.js: the prepared session and the key's r‖s (base64).
        data = {
            "session_id": (post.get("session_id") or "").strip(),
            "signature": (post.get("signature") or "").strip(),
        }
    return action, comment, data


def _budget_lines(post: QueryDict) -> list[dict[str, Any]]:
    """The budget review's lines from `verdict_<index>`, `amount_<index>`, `reason_<index>`."""
    lines: list[dict[str, Any]] = []
    for key in post:
        if not key.startswith("verdict_"):
            continue
        index = key.removeprefix("verdict_")
        if not index.isdigit() or len(index) > 6:
            raise InvalidInput(gettext("Phần thẩm định kinh phí không hợp lệ."))
        line: dict[str, Any] = {
            "index": int(index),
            "verdict": (post.get(key) or "").strip(),
            "reason": (post.get(f"reason_{index}") or "").strip(),
        }
        if line["verdict"] == "adjust":
            # "1.250.000.000" or "1 250 000 000" as typed: the digits are the amount.
            raw = (post.get(f"amount_{index}") or "").strip()
            digits = raw.replace(".", "").replace(" ", "").replace(",", "")
            if not digits.isdigit() or len(digits) > 17:
                raise InvalidInput(
                    gettext("Dòng %(line)s: số kinh phí điều chỉnh phải là số đồng.")
                    % {"line": int(index) + 1}
                )
            line["amount"] = int(digits)
        lines.append(line)
    return lines
