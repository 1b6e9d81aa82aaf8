"""The body of a plan as a tree of numbered parts: sections (I.), items (1., 1.1.), points (a)),
"1)" parts, agency headings that group tasks, and tasks read from "- …" lines with their
"Đơn vị chủ trì:" / "Thời gian:" fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .agencies import agency_of_heading
from .directory import UnitDirectory
from .grammar import (
    AGENCY_SECTION_KINDS,
    ARTICLE,
    DECIMAL,
    FIELD_LABEL,
    ITEM,
    MAX_DEPTH,
    PAREN,
    POINT,
    SECTION_KINDS,
    Fields,
    closes_body,
    inline_fields,
    is_field,
    item_title,
    looks_like_agency,
    next_marker,
    parse_field,
    section_title,
    split_bullet,
)
from .lines import Line
from .text import Found, Notes, fold, is_upper, short


@dataclass
class DashTask:
    title: str
    description: list[str] = field(default_factory=list)
    fields: Fields = field(default_factory=Fields)
    from_table: bool = False
    bullet: str = ""  # the bullet its line started with


@dataclass
class Node:
    level: int  # 0 section, 1 item, 2 point, 3
    title: str
    kind: str = "general"
    marker: str = ""  # section, item, decimal, point, paren, bullet (agency line), group (table)
    entries: list[Any] = field(default_factory=list)  # Para | Node | DashTask
    fields: Fields = field(default_factory=Fields)
    #: The units a heading names ("1. Sở Thông tin và Truyền thông"): lead of the tasks below.
    agency: list[str] | None = None
    #: Groups of field lines written under the node itself, each with the lines it follows.
    groups: list[FieldGroup] = field(default_factory=list)
    #: The marker of the last numbered child ("a", "2"), to tell numbering that breaks ND30.
    last_marker: str = ""


@dataclass
class FieldGroup:
    """ "Đơn vị chủ trì: …" / "Thời gian: …" lines under a part, and the lines they describe:
    node.entries[start:end] (end: how many entries there were at its last field line)."""

    start: int
    end: int
    fields: Fields = field(default_factory=Fields)


@dataclass
class Para:
    text: str
    bullet: str = ""  # "-" or "+" when the line starts with one


class TreeBuilder:
    """Builds the section tree of the body lines."""

    def __init__(self, directory: UnitDirectory, notes: Notes) -> None:
        self.directory = directory
        self.notes = notes
        self._numbering_noted = False

    def _heading(self, line: Line, stack: list[Node], scheme: str) -> tuple[int, str, str] | None:
        """(level, title, marker) when `line` opens a section (0) or a numbered part."""
        text = line.text
        if scheme == "article" and (article := ARTICLE.match(text)):
            return self._article(article)
        if scheme == "roman" and (title := section_title(line)) is not None:
            return 0, title, "section"
        if match := DECIMAL.match(text):
            rest = (match.group(3) or "").strip()
            if match.group(2) or rest[:1].isupper():
                depth = (match.group(1) or "").count(".") + 1
                self._note_numbering(text)
                return (depth if scheme == "roman" else depth - 1), rest, "decimal"
        if match := ITEM.match(text):
            rest = (match.group(2) or "").strip()
            if scheme == "arabic" and is_upper(rest) and len(rest) <= 200:
                self._note_numbering(text)
                return 0, rest, "section"
            title = item_title(line, rest)
            if title is None and self._points_follow():
                title = rest  # "3. Nâng cao chất lượng … ." over a), b) or "-" lines: a heading
            return (1, title, "item") if title is not None else None
        return self._lettered(line, stack)

    def _lettered(self, line: Line, stack: list[Node]) -> tuple[int, str, str] | None:
        """ "a) …" points and "1) …" parts (an enumeration "1) …;" stays text)."""
        text = line.text
        if (match := POINT.match(text)) and (match.group(1) or "").islower():
            if "." in text[: match.start(2)]:
                self._note_numbering(text)
            numeric = deepest(stack, ("section", "item", "decimal"))
            return numeric + 1, (match.group(2) or "").strip(), "point"
        if (match := PAREN.match(text)) and (title := item_title(line, match.group(2) or "")):
            # "1) …;" items of an enumeration stay paragraphs; "1) Title" is a heading.
            self._note_numbering(text)
            letter = deepest(stack, ("point",), default=-1)
            base = letter if letter >= 0 else deepest(stack, ("section", "item", "decimal"))
            return base + 1, title, "paren"
        return None

    def _article(self, article: Found) -> tuple[int, str, str]:
        """ "Điều 1. Phạm vi điều chỉnh" is a titled article; "Điều 1. Ban hành kèm theo …" an
        untitled one whose text is its first paragraph."""
        rest = (article.group(2) or "").strip()
        heading = len(rest) <= 120 and not rest.endswith((".", ";", ":")) and rest[:1].isupper()
        self._article_text = "" if heading else rest
        return 0, rest if heading else "", "article"

    def _points_follow(self) -> bool:
        following = getattr(self, "following", None)
        if following is None or following.task_row or following.group:
            return False
        match = POINT.match(following.text)
        return (
            bool(match and (match.group(1) or "") == "a") or split_bullet(following.text)[0] == "-"
        )

    def _note_numbering(self, text: str) -> None:
        if not self._numbering_noted:
            self._numbering_noted = True
            example = short(text, 20)
            self.notes.warn(
                f"Văn bản đánh số các mục theo kiểu khác (ví dụ “{example}”); đã chuyển sang cách "
                "đánh số I., 1., a) của Nghị định 30. Vui lòng kiểm tra cấp của các mục.",
                code="layout_numbering",
                text=text,
            )

    def _agency_heading(self, title: str, *, section_kind: str, strict: bool) -> list[str] | None:
        """[the unit] when the heading names units ("Sở Thông tin và Truyền thông", "Sở TT&TT,
        Báo Đồng Nai", "Đề nghị Ủy ban Mặt trận Tổ quốc tỉnh"); None otherwise. `strict`
        (unnumbered lines) also wants the heading to end with ":"."""
        if section_kind not in AGENCY_SECTION_KINDS:
            return None
        text = title.strip()
        name = text.rstrip(" :;.").strip()
        if not name or (strict and not text.endswith(":")):
            return None
        if ":" not in name and not any(c.isdigit() for c in name) and len(name.split()) <= 15:
            pieces = self.directory.split_detail(name)
            if pieces and all(found is not None for _, found in pieces):
                return [name]
            if looks_like_agency(name) and agency_of_heading(name):
                return [name]
        unit = agency_of_heading(text)
        return [unit] if unit else None

    def build(self, body: list[Line], scheme: str) -> list[Node]:
        """The top-level sections of `body`, every line placed in one of them."""
        self.scheme = scheme
        self.sections: list[Node] = []
        self.stack: list[Node] = []
        self.open_task: DashTask | None = None
        self.active_table: int | None = None
        self.table_base = 0
        for index, line in enumerate(body):
            self.following = body[index + 1] if index + 1 < len(body) else None
            self._line(line)
        return self.sections

    def _line(self, line: Line) -> None:
        from_table = bool(line.task_row or line.group)
        self._enter_table(line.table if from_table else None)
        heading = None if from_table else self._heading(line, self.stack, self.scheme)
        if heading is not None and heading[2] == "point" and FIELD_LABEL.match(heading[1]):
            # "c) Thời gian thực hiện: …", "b) Cơ quan thực hiện:": a field, not a part.
            if self.stack:
                self.stack[-1].last_marker = line.text.strip()[:1].lower()
            line, heading = Line(heading[1]), None
        if heading is not None and heading[0] == 0:
            self._open_section(heading[1], heading[2])
            if heading[2] == "article" and self._article_text:
                self.sections[-1].entries.append(Para(self._article_text))
            return
        if not self.stack:
            self.sections.append(Node(0, "", marker="section"))
            self.stack = [self.sections[-1]]
            self.table_base = max(self.table_base, 1)
        if line.group:
            self._group_row(line.text)
        elif line.task_row is not None:
            self._task_row(line)
        elif heading is None or not self._open_part(*heading, line.text):
            self._text_line(line.text)

    def _enter_table(self, key: int | None) -> None:
        """Rows of a table nest under the part the table stands in; leaving it closes them."""
        if key != self.active_table:
            if self.active_table is not None:
                del self.stack[max(self.table_base, 1) :]
            self.active_table, self.table_base = key, len(self.stack)

    @property
    def _section_kind(self) -> str:
        return self.stack[0].kind

    def _open_section(self, title: str, marker: str) -> None:
        kind = next((k for word, k in SECTION_KINDS if word in fold(title)), "general")
        self.sections.append(Node(0, title, kind, marker=marker))
        self.stack = [self.sections[-1]]
        self.open_task = None

    def _push(self, node: Node) -> None:
        self.stack[-1].entries.append(node)
        self.stack.append(node)
        self.open_task = None

    def _group_row(self, text: str) -> None:
        """A group row of a task table ("I | Truyền thông"): a heading over the rows below."""
        del self.stack[max(self.table_base, 1) :]
        if len(self.stack) <= MAX_DEPTH:
            node = Node(len(self.stack), text, marker="group")
            node.agency = self._agency_heading(text, section_kind=self._section_kind, strict=False)
            self._push(node)
        else:
            self.stack[-1].entries.append(Para(text))
            self.open_task = None

    def _task_row(self, line: Line) -> None:
        row = line.task_row
        assert row is not None
        fields = Fields(
            lead=[row.lead] if row.lead else [],
            coordinating=[row.coordinating] if row.coordinating else [],
            timeline=row.timeline,
            budget_vnd=row.budget_vnd,
            raw=list(row.raw),
        )
        task = DashTask(line.text, list(row.description), fields, from_table=True)
        self.stack[-1].entries.append(task)
        self.open_task = None

    def _open_part(self, level: int, title: str, marker: str, text: str = "") -> bool:
        """Open a numbered part at `level` (1 item, 2 point, 3); False when too deep."""
        level = max(1, min(level, len(self.stack)))
        if level > MAX_DEPTH:
            return False
        del self.stack[level:]
        self._check_order(self.stack[-1], marker, text)
        fields = Fields()
        if self._section_kind in AGENCY_SECTION_KINDS:
            title, inline = inline_fields(title)
            for segment in inline:
                parse_field(segment, fields, segment)
        agency = self._agency_heading(title, section_kind=self._section_kind, strict=False)
        if agency:
            title = title.rstrip(" :").strip()
        self._push(Node(level, title, marker=marker, fields=fields, agency=agency))
        return True

    def _text_line(self, text: str) -> None:
        """An unnumbered line: a field of a task, an agency line, a task with inline fields, or a
        paragraph."""
        bullet, rest = split_bullet(text)
        if self.stack[-1].marker == "bullet" and bullet != "+" and not is_field(rest):
            self.stack.pop()  # a "-" line or a plain line closes an agency's bullet group
            self.open_task = None
        if self._field_line(text, bullet, rest) or self._agency_line(bullet, rest):
            return
        if self._inline_task(bullet, rest):
            return
        self.open_task = None
        if (
            not bullet
            and _after_fields(self.stack[-1])
            and len(self.stack) > max(1, self.table_base)
        ):
            # Text after a task's "Đơn vị chủ trì / Thời gian" lines is no longer the task's.
            self.stack.pop()
        if not bullet and (numbered := ITEM.match(text)):
            # A numbered sentence is an item of the section: it closes the item before it.
            del self.stack[max(1, self.table_base) :]
            self.stack[-1].last_marker = numbered.group(1) or ""
        elif self.stack[-1].agency is not None and closes_body(text):
            del self.stack[max(1, self.table_base) :]
        self.stack[-1].entries.append(Para(text, bullet))

    def _field_line(self, text: str, bullet: str, rest: str) -> bool:
        """ "+ Đơn vị chủ trì: …": a field of the open task (made from the line above if none),
        else of the part it stands in (one group of fields per task the part holds)."""
        if not is_field(rest):
            return False
        current = self.stack[-1]
        grouped = current.agency is not None
        if self.open_task is None and (bullet == "+" or grouped):
            self.open_task = self._dash_task(current, any_bullet=grouped)
        if self.open_task is None and not current.groups and _numbered_sentence(current):
            self.open_task = _sentence_task(current)
        if self.open_task is not None:
            parse_field(rest, self.open_task.fields, text)
            return True
        groups = current.groups
        if not groups or groups[-1].end != len(current.entries):
            # A group's lines follow the last sub-part and the group before it.
            after_parts = max(
                (i + 1 for i, e in enumerate(current.entries) if isinstance(e, Node)), default=0
            )
            start = max(groups[-1].end if groups else 0, after_parts)
            groups.append(FieldGroup(start, len(current.entries)))
        parse_field(rest, groups[-1].fields, text)
        return True

    def _agency_line(self, bullet: str, rest: str) -> bool:
        """ "- Sở Y tế:": an agency heading over the lines below."""
        if bullet == "+" or len(self.stack) > MAX_DEPTH:
            return False
        agency = self._agency_heading(rest, section_kind=self._section_kind, strict=True)
        if not agency:
            return False
        self._push(Node(len(self.stack), rest.rstrip(" :").strip(), marker="bullet", agency=agency))
        return True

    def _inline_task(self, bullet: str, rest: str) -> bool:
        """ "- Tổ chức hội nghị; thời gian: quý II/2024": a task with its fields in the line."""
        current = self.stack[-1]
        if self._section_kind not in AGENCY_SECTION_KINDS:
            return False
        if not (bullet or current.agency is not None):
            return False
        head, inline = inline_fields(rest)
        if not inline:
            return False
        task = DashTask(head, bullet=bullet)
        for segment in inline:
            parse_field(segment, task.fields, segment)
        current.entries.append(task)
        self.open_task = task
        return True

    @staticmethod
    def _dash_task(node: Node, *, any_bullet: bool = False) -> DashTask | None:
        """Turn the last "- …" paragraph of `node` (and the plain paragraphs after it) into a task
        whose "+ Đơn vị chủ trì" lines follow; None if there is no such paragraph. Under an
        agency heading (`any_bullet`), the last paragraph of any kind is the task."""
        # Under an agency heading tasks are the lines with the first bullet used there.
        task_bullet = next((e.bullet for e in node.entries if isinstance(e, Para | DashTask)), "-")
        for index in range(len(node.entries) - 1, -1, -1):
            entry = node.entries[index]
            if not isinstance(entry, Para):
                return None
            if any_bullet:
                if entry.bullet != task_bullet or entry.text.endswith(":"):
                    continue  # a detail line of the task above
            elif entry.bullet == "+":
                return None
            elif entry.bullet != "-":
                continue
            title = split_bullet(entry.text)[1]
            description = [e.text for e in node.entries[index + 1 :]]
            task = DashTask(title, description, bullet=entry.bullet)
            node.entries[index:] = [task]
            return task
        return None

    def _check_order(self, parent: Node, marker: str, text: str) -> None:
        """Warn when a part's number does not follow the one before it in ND30 order ("e)" after
        "d)": the Vietnamese alphabet has "đ)" between them; "3." after "1."). The renderer
        numbers parts afresh, so the file's numbering is corrected."""
        if marker not in ("item", "point"):
            return
        written = re.split(r"[).,]", text.strip(), maxsplit=1)[0].strip().lower()
        if not written:
            return
        expected = next_marker(parent.last_marker, numeric=marker == "item")
        parent.last_marker = written
        if expected and written != expected:
            self.notes.warn(
                f"Mục “{short(text, 30)}” đánh số “{written}” sau “{_previous(expected, marker)}” "
                f"(theo Nghị định 30 phải là “{expected}”); đã đánh số lại, vui lòng kiểm tra.",
                code="numbering_renumbered",
                text=text,
                path=f"sections.{len(self.sections) - 1}",
            )


def _previous(expected: str, marker: str) -> str:
    from .grammar import VIETNAMESE_LETTERS

    if marker == "item":
        return str(int(expected) - 1)
    index = VIETNAMESE_LETTERS.index(expected)
    return VIETNAMESE_LETTERS[index - 1] if index else ""


def _after_fields(node: Node) -> bool:
    """The node's last lines were its field lines (its task is complete)."""
    return bool(node.groups) and node.groups[-1].end == len(node.entries) and node.level > 0


def _numbered_sentence(node: Node) -> bool:
    """The node's last entry is a numbered sentence ("1. Trên cơ sở tài liệu …, các cơ quan tổ
    chức tuyên truyền …."): the field lines after it describe it."""
    last = node.entries[-1] if node.entries else None
    return isinstance(last, Para) and not last.bullet and bool(ITEM.match(last.text))


def _sentence_task(node: Node) -> DashTask:
    para = node.entries.pop()
    match = ITEM.match(para.text)
    title = (match.group(2) or "").strip() if match else para.text
    task = DashTask(title)
    node.entries.append(task)
    return task


def deepest(stack: list[Node], markers: tuple[str, ...], default: int = 0) -> int:
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].marker in markers:
            return index
    return default


def node_texts(node: Node) -> list[str]:
    texts: list[str] = []
    for entry in node.entries:
        if isinstance(entry, Para):
            texts.append(entry.text)
        elif isinstance(entry, DashTask):
            texts.extend([entry.title, *entry.description])
        elif isinstance(entry, Node):
            texts.append(entry.title)
            texts.extend(node_texts(entry))
    return texts
