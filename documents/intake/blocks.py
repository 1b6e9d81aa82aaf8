"""The section tree as content blocks (documents/content.py): tasks with their lead and
coordinating units matched to the directory, paragraphs, children; reporting deadlines."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .agencies import Assignment, assignment, lead_of_value
from .directory import UnitDirectory, UnitMatch
from .grammar import ITEM, Fields, split_bullet
from .text import Notes, fold, short
from .tree import DashTask, FieldGroup, Node, Para


def _is_task_node(entry: Node, parts: _Parts) -> bool:
    if entry.agency is not None or any(isinstance(e, Node) for e in entry.entries):
        return False
    has_tasks = any(isinstance(e, DashTask) for e in entry.entries)
    return bool(
        entry.fields
        or (parts.grouped and not has_tasks)
        or (parts.default_lead and not has_tasks and entry.marker != "group")
        or (not has_tasks and _assigned(entry) is not None)
    )


def _assigned(node: Node) -> Assignment | None:
    """ "3. Xây dựng văn bản …" whose only text is "Sở, ban, ngành … có trách nhiệm rà soát …":
    the part is a task of the unit its text names."""
    paras = [e for e in node.entries if isinstance(e, Para)]
    if not paras or node.fields or len(paras) > 2:
        return None
    return assignment(_unnumbered(paras[0].text))


def _request_word(text: str) -> str:
    """ "Đề nghị" / "Giao" opening "Đề nghị các cấp ủy …: Phối hợp …" (kept as a label)."""
    found = re.match(
        r"^\s*(?:\d+\.\s*|[-–+•]\s*)?((?:Đề nghị|Giao|De nghi)\b)", text, re.IGNORECASE
    )
    return found.group(1) if found else ""


def _unnumbered(text: str) -> str:
    """A paragraph's text without its "2." or "-" opening."""
    if match := ITEM.match(text):
        return (match.group(2) or "").strip()
    return split_bullet(text)[1] or text


def trailing_text(node: Node) -> list[Para]:
    """Paragraphs after a part's last field lines, when no field follows them: they are not
    the part's (its task ended with its fields), so they go back to the parent, in order."""
    if not node.groups or any(isinstance(e, Node) for e in node.entries):
        return []
    end = node.groups[-1].end
    trailing = node.entries[end:]
    if not trailing or not all(isinstance(e, Para) for e in trailing):
        return []
    del node.entries[end:]
    return trailing


def settle_groups(node: Node) -> None:
    """Field lines written under the part itself: one group makes the part a task; several
    groups make each group's first line a task ("- Tổ chức tập huấn …" / "Đơn vị chủ trì: …" /
    "- Nâng cao …" / "Đơn vị chủ trì: …")."""
    groups = node.groups
    if len(groups) == 1 or (groups and not _has_paras(node, groups[0])):
        for group in groups[:1]:
            _merge(node.fields, group.fields)
        groups = groups[1:]
    for group in reversed(groups):
        paras = node.entries[group.start : group.end]
        texts = [e.text for e in paras if isinstance(e, Para)]
        if not texts:
            _merge(node.fields, group.fields)
            continue
        title = split_bullet(texts[0])[1] or texts[0]
        task = DashTask(title, texts[1:], group.fields, bullet=split_bullet(texts[0])[0])
        node.entries[group.start : group.end] = [task]
    node.groups = []


def _has_paras(node: Node, group: FieldGroup) -> bool:
    return any(isinstance(e, Para) for e in node.entries[group.start : group.end])


def _merge(into: Fields, other: Fields) -> None:
    into.lead.extend(other.lead)
    into.coordinating.extend(other.coordinating)
    if other.timeline:
        into.timeline = f"{into.timeline}; {other.timeline}" if into.timeline else other.timeline
    if into.budget_vnd is None:
        into.budget_vnd = other.budget_vnd
    into.raw.extend(other.raw)


@dataclass
class _Parts:
    """What a block is made of while its node's entries are read, in the document's order:
    ("para", text), ("task", task), ("block", block)."""

    node: Node
    default_lead: list[str] | None
    agency_title: str
    items: list[tuple[str, Any]] = field(default_factory=list)
    last_task: dict[str, Any] | None = None
    #: Paragraphs written after a task's fields, to be added after it.
    after: list[Para] = field(default_factory=list)

    @property
    def grouped(self) -> bool:
        return self.node.agency is not None

    def add(self, kind: str, value: Any) -> None:
        self.items.append((kind, value))
        self.last_task = value if kind == "task" else None

    @property
    def has_tasks(self) -> bool:
        return any(kind == "task" for kind, _ in self.items)

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
        """The block: leading paragraphs, then its numbered parts. Tasks, sub-parts and the
        paragraphs between them keep the document's order: when they are mixed, each task is
        wrapped in an untitled block (the renderer prints it as the task itself) and each later
        paragraph in an untitled block of its own, its written number dropped (the renderer
        numbers the parts)."""
        items = self.items
        lead = 0
        while lead < len(items) and items[lead][0] == "para":
            lead += 1
        rest = items[lead:]
        numbered = any(kind != "para" for kind, _ in rest) and any(
            kind == "task" or (kind == "block" and value["title"]) for kind, value in rest
        )
        paragraphs = [_drop_number(v) if numbered else v for _, v in items[:lead]]
        kinds = {kind for kind, _ in rest}
        if kinds <= {"task"}:
            return self._block(paragraphs, [v for _, v in rest], [])
        children = [_wrap(kind, value, numbered) for kind, value in rest]
        return self._block(paragraphs, [], children)

    def _block(
        self, paragraphs: list[str], tasks: list[Any], children: list[Any]
    ) -> dict[str, Any]:
        return {
            "title": self.node.title,
            "kind": self.node.kind,
            "paragraphs": paragraphs,
            "tasks": tasks,
            "children": children,
        }


def _wrap(kind: str, value: Any, numbered: bool) -> dict[str, Any]:
    if kind == "block":
        return value
    untitled = {"title": "", "kind": "general", "paragraphs": [], "tasks": [], "children": []}
    if kind == "task":
        return {**untitled, "tasks": [value]}
    return {**untitled, "paragraphs": [_drop_number(value) if numbered else value]}


def _drop_number(text: str) -> str:
    """ "4. Đề nghị …" → "Đề nghị …": the renderer numbers the parts of the block itself."""
    if match := ITEM.match(text):
        return (match.group(2) or "").strip()
    return text


class BlockWriter:
    """Writes the tree's nodes as content blocks."""

    def __init__(
        self, directory: UnitDirectory, notes: Notes, labels: list[str] | None = None
    ) -> None:
        self.directory = directory
        self.notes = notes
        #: The labels read and not kept as text ("Đơn vị chủ trì:", "Giao"): the source's.
        self.labels = labels if labels is not None else []
        self._warned_units: set[str] = set()
        self.path = ""

    def warn(self, message: str, *, code: str, text: str) -> None:
        self.notes.warn(message, code=code, text=text, path=self.path)

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
                if found and fold(written) != fold(found.name):
                    self.labels.append(written)  # the name as written: "Sở TT&TT"
        return units

    def unit_issue(self, written: str, found: UnitMatch | None) -> None:
        if found is None and written not in self._warned_units:
            self._warned_units.add(written)
            self.warn(
                f"Không tìm thấy đơn vị “{written}” trong danh mục; "
                "đã giữ nguyên tên như trong văn bản.",
                code="unit_unmatched",
                text=written,
            )
        elif found is not None and found.is_fuzzy and written not in self._warned_units:
            self._warned_units.add(written)
            self.warn(
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
        lead: list[str] = []
        for value in fields.lead:
            units = lead_of_value(value)
            if units != [value.strip(" .")] and len(units) <= 1:
                description = [*description, value]  # "Sở X tiến hành rà soát …": keep the text
            lead.extend(units)
        self.labels.extend(raw.split(":", 1)[0].strip(" -+*") + ":" for raw in fields.raw)
        if not lead and default_lead:
            lead = default_lead
            self.warn(
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
        self,
        node: Node,
        default_lead: list[str] | None = None,
        agency_title: str = "",
        *,
        path: str = "",
    ) -> dict[str, Any]:
        """A node as a content block; child nodes that carry fields become tasks.

        Under an agency heading every paragraph, "-" line and leaf point is one of its tasks,
        led by that agency unless the task names its own lead unit.

        Content keeps paragraphs, then children, then tasks. When numbered tasks and numbered
        sub-blocks alternate, each task is wrapped in an untitled block so that the numbering
        order of the document is kept (the renderer prints such a block as the task itself).
        """
        if path:
            self.path = path  # where the warnings written now are shown (the section)
        settle_groups(node)
        if node.agency is not None:
            default_lead, agency_title = node.agency, node.title
        parts = _Parts(node, default_lead, agency_title)
        for entry in node.entries:
            if isinstance(entry, Para):
                self._para_entry(parts, entry)
            elif isinstance(entry, DashTask):
                task = self._task(
                    entry.title, entry.description, entry.fields, default_lead, agency_title
                )
                parts.add("task", task)
            else:
                parts.add(*self._node_entry(parts, entry))
                for para in parts.after:
                    self._para_entry(parts, para)
                parts.after = []
        if node.fields:
            self._node_fields(parts)
        return parts.assemble()

    def _para_entry(self, parts: _Parts, entry: Para) -> None:
        """A paragraph: a detail of the task above ("+ …"), a task under an agency heading or
        given in so many words ("Giao Sở Tư pháp …"), or a paragraph of the block."""
        details = entry.bullet == "+" and (not parts.grouped or parts.task_bullet != "+")
        if details and parts.last_task is not None:
            parts.last_task["description"].append(entry.text)
            return
        if parts.grouped and not entry.text.endswith(":"):
            title = split_bullet(entry.text)[1] or entry.text
            parts.add(
                "task", self._task(title, [], Fields(), parts.default_lead, parts.agency_title)
            )
            return
        if entry.bullet != "+" and (given := assignment(_unnumbered(entry.text))):
            # "Giao Sở Tư pháp theo dõi …", "Sở Tài chính chủ trì, phối hợp …": a task.
            title = given.work if given.labelled else _unnumbered(entry.text)
            if given.labelled and (request := _request_word(entry.text)):
                self.labels.append(request)
            parts.add("task", self._task(title, [], Fields(lead=[given.unit])))
            return
        parts.add("para", entry.text)

    def _node_entry(self, parts: _Parts, entry: Node) -> tuple[str, dict[str, Any]]:
        """A numbered part: ("task", …) when it is a leaf that is a task (it has fields, or an
        agency leads it), else ("block", …)."""
        trailing = [] if parts.grouped or entry.agency is not None else trailing_text(entry)
        settle_groups(entry)
        if not _is_task_node(entry, parts):
            for para in trailing:
                entry.entries.append(para)
            return "block", self.block(entry, parts.default_lead, parts.agency_title)
        parts.after = trailing
        description = [e.text for e in entry.entries if isinstance(e, Para)]
        fields = entry.fields
        if not fields and not parts.default_lead and (given := _assigned(entry)):
            fields = Fields(lead=[given.unit])
        task = self._task(entry.title, description, fields, parts.default_lead, parts.agency_title)
        for sub in entry.entries:
            if isinstance(sub, DashTask):  # a dash task inside a task: keep its text
                task["description"].extend(self._dash_task_text(sub))
        return "task", task

    def _node_fields(self, parts: _Parts) -> None:
        """Fields written under a heading itself: the agency's own task, or kept as text."""
        node = parts.node
        if parts.grouped and not any(kind != "para" for kind, _ in parts.items):
            # "1. Đài PTTH / - Thời gian: hằng tháng": the agency's own task.
            parts.add(
                "task",
                self._task(node.title, [], node.fields, parts.default_lead, parts.agency_title),
            )
            return
        self.warn(
            f"Thông tin đơn vị, thời gian của mục “{short(node.title)}” không gắn được "
            "với nhiệm vụ nào; đã giữ dưới dạng đoạn văn.",
            code="fields_unattached",
            text=node.title,
        )
        parts.items[0:0] = [("para", text) for text in node.fields.raw]

    @staticmethod
    def _dash_task_text(task: DashTask) -> list[str]:
        return [f"- {task.title}", *task.description, *task.fields.raw]
