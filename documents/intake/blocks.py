"""The section tree as content blocks (documents/content.py): tasks with their lead and
coordinating units matched to the directory, paragraphs, children; reporting deadlines."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .directory import UnitDirectory, UnitMatch
from .grammar import DEADLINE, Fields, split_bullet
from .text import Notes, fold, sentences, short
from .tree import DashTask, Node, Para, node_texts


def _is_task_node(entry: Node, parts: _Parts) -> bool:
    if entry.agency is not None or any(isinstance(e, Node) for e in entry.entries):
        return False
    has_tasks = any(isinstance(e, DashTask) for e in entry.entries)
    return bool(
        entry.fields
        or (parts.grouped and not has_tasks)
        or (parts.default_lead and not has_tasks and entry.marker != "group")
    )


@dataclass
class _Parts:
    """What a block is made of while its node's entries are read."""

    node: Node
    default_lead: list[str] | None
    agency_title: str
    paragraphs: list[str] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    numbered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    last_task: dict[str, Any] | None = None

    @property
    def grouped(self) -> bool:
        return self.node.agency is not None

    @functools.cached_property
    def task_bullet(self) -> str:
        """Under an agency heading, tasks are the lines with the first bullet used ("-" under
        "1. Sở …", "+" under "- Sở …:"); "+" lines under "-" tasks describe them."""
        return next(
            (
                e.bullet
                for e in self.node.entries
                if isinstance(e, DashTask) or (isinstance(e, Para) and not e.text.endswith(":"))
            ),
            "",
        )

    def assemble(self) -> dict[str, Any]:
        kinds = [kind for kind, _ in self.numbered]
        interleaved = "task" in kinds and "block" in kinds[kinds.index("task") :]
        children: list[dict[str, Any]] = []
        numbered_tasks: list[dict[str, Any]] = []
        for kind, value in self.numbered:
            if kind == "block":
                children.append(value)
            elif interleaved:
                children.append(
                    {
                        "title": "",
                        "kind": "general",
                        "paragraphs": [],
                        "tasks": [value],
                        "children": [],
                    }
                )
            else:
                numbered_tasks.append(value)
        return {
            "title": self.node.title,
            "kind": self.node.kind,
            "paragraphs": self.paragraphs,
            "tasks": [*self.tasks, *numbered_tasks],
            "children": children,
        }


class BlockWriter:
    """Writes the tree's nodes as content blocks."""

    def __init__(self, directory: UnitDirectory, notes: Notes) -> None:
        self.directory = directory
        self.notes = notes
        self._warned_units: set[str] = set()

    def units(self, values: list[str]) -> list[dict[str, Any]]:
        units: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for value in values:
            for written, found in self.directory.split_detail(value):
                name = found.name if found else written
                unit_id = found.unit_id if found else None
                key = unit_id if unit_id is not None else fold(name)
                if key in seen:
                    continue
                seen.add(key)
                units.append({"name": name, "unit_id": unit_id})
                self.unit_issue(written, found)
        return units

    def unit_issue(self, written: str, found: UnitMatch | None) -> None:
        if found is None and written not in self._warned_units:
            self._warned_units.add(written)
            self.notes.warn(
                f"Không tìm thấy đơn vị “{written}” trong danh mục; "
                "đã giữ nguyên tên như trong văn bản.",
                code="unit_unmatched",
                text=written,
            )
        elif found is not None and found.is_fuzzy and written not in self._warned_units:
            self._warned_units.add(written)
            self.notes.warn(
                f"Tên đơn vị “{written}” được hiểu là “{found.name}” trong danh mục (gần đúng); "
                "vui lòng kiểm tra.",
                code="unit_fuzzy",
                text=written,
            )

    def _task(
        self,
        title: str,
        description: list[str],
        fields: Fields,
        default_lead: list[str] | None = None,
        agency_title: str = "",
    ) -> dict[str, Any]:
        lead = fields.lead
        if not lead and default_lead:
            lead = default_lead
            self.notes.warn(
                f"Các nhiệm vụ dưới “{short(agency_title)}” được giao cho đơn vị này chủ trì "
                "(theo tiêu đề nhóm); vui lòng kiểm tra.",
                code="layout_agency",
                text=agency_title,
            )
        return {
            "title": title,
            "description": description,
            "lead_units": self.units(lead),
            "coordinating_units": self.units(fields.coordinating),
            "timeline": fields.timeline,
            "budget_vnd": fields.budget_vnd,
        }

    def block(
        self, node: Node, default_lead: list[str] | None = None, agency_title: str = ""
    ) -> dict[str, Any]:
        """A node as a content block; child nodes that carry fields become tasks.

        Under an agency heading every paragraph, "-" line and leaf point is one of its tasks,
        led by that agency unless the task names its own lead unit.

        Content keeps paragraphs, then children, then tasks. When numbered tasks and numbered
        sub-blocks alternate, each task is wrapped in an untitled block so that the numbering
        order of the document is kept (the renderer prints such a block as the task itself).
        """
        if node.agency is not None:
            default_lead, agency_title = node.agency, node.title
        parts = _Parts(node, default_lead, agency_title)
        for entry in node.entries:
            if isinstance(entry, Para):
                self._para_entry(parts, entry)
            elif isinstance(entry, DashTask):
                parts.last_task = self._task(
                    entry.title, entry.description, entry.fields, default_lead, agency_title
                )
                parts.tasks.append(parts.last_task)
            else:
                parts.last_task = None
                parts.numbered.append(self._node_entry(parts, entry))
        if node.fields:
            self._node_fields(parts)
        return parts.assemble()

    def _para_entry(self, parts: _Parts, entry: Para) -> None:
        """A paragraph: a detail of the task above ("+ …"), a task under an agency heading, or a
        paragraph of the block (moved above the sub-parts when it stands after them)."""
        details = entry.bullet == "+" and (not parts.grouped or parts.task_bullet != "+")
        if details and parts.last_task is not None:
            parts.last_task["description"].append(entry.text)
            return
        if parts.grouped and not entry.text.endswith(":"):
            title = split_bullet(entry.text)[1] or entry.text
            parts.last_task = self._task(
                title, [], Fields(), parts.default_lead, parts.agency_title
            )
            parts.tasks.append(parts.last_task)
            return
        if parts.numbered or parts.tasks:
            self.notes.warn(
                f"Đoạn “{short(entry.text)}” đứng sau các mục con; "
                "đã chuyển lên trước các mục con.",
                code="paragraph_moved",
                text=entry.text,
            )
        parts.paragraphs.append(entry.text)
        parts.last_task = None

    def _node_entry(self, parts: _Parts, entry: Node) -> tuple[str, dict[str, Any]]:
        """A numbered part: ("task", …) when it is a leaf that is a task (it has fields, or an
        agency leads it), else ("block", …)."""
        if not _is_task_node(entry, parts):
            return "block", self.block(entry, parts.default_lead, parts.agency_title)
        description = [e.text for e in entry.entries if isinstance(e, Para)]
        task = self._task(
            entry.title, description, entry.fields, parts.default_lead, parts.agency_title
        )
        for sub in entry.entries:
            if isinstance(sub, DashTask):  # a dash task inside a task: keep its text
                task["description"].extend(self._dash_task_text(sub))
        return "task", task

    def _node_fields(self, parts: _Parts) -> None:
        """Fields written under a heading itself: the agency's own task, or kept as text."""
        node = parts.node
        if parts.grouped and not parts.tasks and not parts.numbered:
            # "1. Đài PTTH / - Thời gian: hằng tháng": the agency's own task.
            parts.tasks.append(
                self._task(node.title, [], node.fields, parts.default_lead, parts.agency_title)
            )
            return
        self.notes.warn(
            f"Thông tin đơn vị, thời gian của mục “{short(node.title)}” không gắn được "
            "với nhiệm vụ nào; đã giữ dưới dạng đoạn văn.",
            code="fields_unattached",
            text=node.title,
        )
        parts.paragraphs.extend(node.fields.raw)

    @staticmethod
    def _dash_task_text(task: DashTask) -> list[str]:
        return [f"- {task.title}", *task.description, *task.fields.raw]

    def deadlines(self, sections: list[Node]) -> list[dict[str, str]]:
        """Sentences of the implementation section with "trước ngày dd/mm/yyyy"."""
        out: list[dict[str, str]] = []
        for section in sections:
            if section.kind != "implementation":
                continue
            for text in node_texts(section):
                for sentence in sentences(text):
                    match = DEADLINE.search(sentence)
                    if not match:
                        continue
                    day, month, year = (int(g or 0) for g in match.groups())
                    try:
                        due = dt.date(year, month, day).isoformat()
                    except ValueError:
                        due = ""
                        self.notes.warn(
                            f"Hạn báo cáo “{match.group(0)}” không phải là ngày hợp lệ.",
                            code="deadline_invalid",
                        )
                    clean = re.sub(r"^(?:\d{1,2}\.|[a-zđ]\)|[-–+•])\s*", "", sentence).strip()
                    out.append({"text": clean, "due_date": due})
        return out

    # -- footer ---------------------------------------------------------------------------
