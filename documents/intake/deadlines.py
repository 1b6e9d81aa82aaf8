"""Reporting deadlines: the sentences that set a time to report ("… báo cáo UBND tỉnh trước ngày
15/11/2024", "định kỳ trước ngày 01/6 và 15/11 hằng năm … báo cáo …", "báo cáo … trước ngày 15
hằng tháng"), wherever the plan writes them (the implementation section, a task, the closing)."""

from __future__ import annotations

import datetime as dt
import re

from .text import Notes, Rx, plain, sentences
from .tree import Node, node_texts

_DUE = Rx(
    r"(?:truoc|cham nhat(?: la)?|han chot)\s+ngay\s*(\d{1,2})"
    r"(?:\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?|\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?)?"
)
_REPORT = re.compile(r"\bbao cao\b")
_MARKER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.|[a-zđ]\)|[-–+•])\s*")


def reporting_deadlines(nodes: list[Node], closing: str, notes: Notes) -> list[dict[str, str]]:
    texts = [text for node in nodes for text in node_texts(node)]
    texts.extend(closing.splitlines())
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for text in texts:
        for sentence in sentences(text):
            deadline = _deadline(sentence, notes)
            if deadline and deadline["text"] not in seen:
                seen.add(deadline["text"])
                out.append(deadline)
    return out


def _deadline(sentence: str, notes: Notes) -> dict[str, str] | None:
    found = _DUE.search(sentence)
    if not found or not _REPORT.search(plain(sentence)):
        return None
    day = found.group(1)
    month = found.group(2) or found.group(4)
    year = found.group(3) or found.group(5)
    due = ""
    if day and month and year:
        try:
            due = dt.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            notes.warn(
                f"Hạn báo cáo “{found.group(0)}” không phải là ngày hợp lệ.",
                code="deadline_invalid",
                text=sentence,
            )
    return {"text": _MARKER.sub("", sentence).strip(), "due_date": due}
