"""Tables in the body of a plan: a task table ("Nội dung" | "Đơn vị chủ trì" | "Thời gian" …) is
read one task a row (group rows as headings); a layout table as its paragraphs; any other table
one paragraph a row, flagged for review."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .grammar import Fields, parse_amount, parse_field, split_bullet
from .lines import Cell, Line, RowTask, Table
from .text import Notes, clean_text, fold, short


def column_role(text: str) -> str | None:
    """What a header cell names: number, content, lead, coordinating, timeline or budget."""
    key = fold(text)
    if re.fullmatch(r"stt|tt|so tt|so thu tu", key):
        return "number"
    if "phoi hop" in key:
        return "coordinating"
    if re.search(r"chu tri|(?:don vi|co quan) thuc hien|trach nhiem", key):
        return "lead"
    if re.search(r"thoi gian|thoi han|tien do", key):
        return "timeline"
    if re.search(r"kinh phi|du toan", key):
        return "budget"
    if re.search(
        r"noi dung|nhiem vu|hoat dong|cong viec|giai phap|ten (?:de an|du an|chuong trinh)", key
    ):
        return "content"
    return None


@dataclass
class TaskColumns:
    roles: dict[int, str]  # grid column → role
    headers: dict[int, str]  # grid column → header text
    first: int  # index of the first header row
    data: int  # index of the first data row


def task_columns(table: Table) -> TaskColumns | None:
    """The columns of a task table ("Nội dung" + "Đơn vị chủ trì" or "Thời gian" …), or None.

    The header may sit under a title row, and may have a second row naming the columns of a
    merged cell ("Đơn vị thực hiện" over "Chủ trì" | "Phối hợp").
    """
    for first in range(min(2, len(table.rows))):
        roles: dict[int, str] = {}
        headers: dict[int, str] = {}
        for cell in table.rows[first]:
            role = column_role(cell.text)
            for column in range(cell.column, cell.column + cell.span):
                headers[column] = clean_text(cell.text)
                if role:
                    roles[column] = role
        found = set(roles.values())
        if "content" not in found or not found & {"lead", "coordinating", "timeline"}:
            continue
        data = first + 1
        if data < len(table.rows):
            below = [c for c in table.rows[data] if c.text.strip() and not c.is_continuation]
            below_roles = [column_role(c.text) for c in below]
            if below and all(below_roles):
                for cell, role in zip(below, below_roles, strict=True):
                    for column in range(cell.column, cell.column + cell.span):
                        roles[column] = role or ""
                        headers[column] = clean_text(cell.text)
                data += 1
        return TaskColumns(roles, headers, first, data)
    return None


def is_ordinal(text: str) -> bool:
    return bool(re.fullmatch(r"[\dIVXLivxl]{1,6}[.)]?|[a-zđA-ZĐ][.)]?", text.strip()))


class TableReader:
    """Turns the body's tables into lines: task rows carry a RowTask, group rows are headings."""

    def __init__(self, tables: dict[int, Table], notes: Notes, source: dict[str, Any]) -> None:
        self.tables = tables
        self.notes = notes
        self.source = source

    def expand(self, lines: list[Line]) -> list[Line]:
        """Body tables as lines: a task table's rows as tasks (and group rows as headings), a
        layout table (one cell a row) as its paragraphs, any other table one paragraph a row."""
        out: list[Line] = []
        index = 0
        ordinal = 0
        while index < len(lines):
            line = lines[index]
            if line.table is None:
                out.append(line)
                index += 1
                continue
            end = index
            while end < len(lines) and lines[end].table == line.table:
                end += 1
            ordinal += 1
            out.extend(self._table_lines(line.table, lines[index:end], ordinal))
            index = end
        return out

    def _table_lines(self, key: int, lines: list[Line], ordinal: int) -> list[Line]:
        table = self.tables[key]
        present = sorted({line.row for line in lines})
        rows = {r: table.rows[r] for r in present if 0 <= r < len(table.rows)}
        columns = task_columns(table)
        if columns is not None:
            return self._task_table_lines(key, rows, columns, ordinal)
        wide = any(
            len([c for c in cells if c.text.strip() and not c.is_continuation]) > 1
            for cells in rows.values()
        )
        if not wide:  # a layout table: its paragraphs are ordinary body text
            return [Line(line.text, bold=line.bold, centered=line.centered) for line in lines]
        out = []
        for row_index in present:
            texts = [
                " ".join(line.text for line in cell.lines)
                for cell in rows.get(row_index, [])
                if cell.text.strip() and not cell.is_continuation
            ]
            if texts:
                out.append(Line(" | ".join(texts), in_table=True, table=key, row=row_index))
        if out:
            self.notes.warn(
                f"Bảng thứ {ordinal} không có các cột của bảng nhiệm vụ (“Nội dung/Nhiệm vụ”, "
                "“Đơn vị chủ trì”, “Thời gian”…): mỗi dòng của bảng được giữ thành một đoạn văn; "
                "vui lòng kiểm tra và sắp xếp lại.",
                code="table_generic",
                text=out[0].text,
            )
        return out

    def _task_table_lines(
        self, key: int, rows: dict[int, list[Cell]], columns: TaskColumns, ordinal: int
    ) -> list[Line]:
        out: list[Line] = []
        tasks = 0
        for row_index, cells in rows.items():
            if row_index < columns.data:
                texts = [clean_text(c.text) for c in cells if c.text.strip()]
                if row_index < columns.first:  # a title row above the header: body text
                    out.extend(Line(t, in_table=True, table=key, row=row_index) for t in texts)
                else:
                    self.source.setdefault("table_headers", []).extend(texts)
                continue
            line = self._task_row(key, row_index, cells, columns)
            if line is not None:
                tasks += bool(line.task_row)
                out.append(line)
        if tasks:
            self.notes.warn(
                f"Đã đọc {tasks} nhiệm vụ từ bảng thứ {ordinal} (mỗi dòng một nhiệm vụ); vui lòng "
                "kiểm tra lại nội dung, đơn vị và thời gian.",
                code="layout_table",
            )
        return out

    def _task_row(
        self, key: int, row_index: int, cells: list[Cell], columns: TaskColumns
    ) -> Line | None:
        """One data row: a task, a group heading ("I | Truyền thông"), or text kept as it is."""
        filled = [c for c in cells if c.text.strip()]
        if not filled:
            return None
        row = _Row(filled, columns)
        place = {"in_table": True, "table": key, "row": row_index}
        if (group := row.group_title()) is not None:
            return Line(group, group=True, **place)
        title_lines = [line.text for c in row.content for line in c.lines]
        if not title_lines:
            text = " | ".join(clean_text(c.text) for c in filled)
            self.notes.warn(
                f"Một dòng của bảng nhiệm vụ không có nội dung nhiệm vụ: “{short(text)}”; đã giữ "
                "thành đoạn văn.",
                code="table_row",
                text=text,
            )
            return Line(text, **place)
        return Line(title_lines[0], task_row=row.task(title_lines[1:]), **place)


_FIELD_ROLES = ("lead", "coordinating", "timeline", "budget")


class _Row:
    """A data row of a task table, its cells by role."""

    def __init__(self, filled: list[Cell], columns: TaskColumns) -> None:
        self.filled = filled
        self.columns = columns
        self.own = [c for c in filled if not c.is_continuation]
        self.roles = {id(c): columns.roles.get(c.column, "") for c in filled}
        self.number = " ".join(clean_text(c.text) for c in self.own if self.role(c) == "number")
        self.content = [c for c in self.own if self.role(c) == "content"]

    def role(self, cell: Cell) -> str:
        return self.roles[id(cell)]

    def group_title(self) -> str | None:
        """The heading of a group row: one cell across the table, or "I | Truyền thông"."""
        own = self.own
        if len(own) == 1 and own[0].span > 1 and not is_ordinal(own[0].text):
            return re.sub(r"^[IVXL]{1,5}\s*[.)]\s+", "", clean_text(own[0].text))
        if (
            self.content
            and not any(self.role(c) in _FIELD_ROLES for c in own)
            and re.fullmatch(r"[IVXL]+\.?|[A-Z]\.?", self.number)
        ):
            return " ".join(clean_text(c.text) for c in self.content)
        return None

    def task(self, extra_lines: list[str]) -> RowTask:
        """The row as a task: field columns, then fields written inside the content cell."""
        task = RowTask()
        fields = Fields()
        for extra in extra_lines:
            if not parse_field(split_bullet(extra)[1], fields, extra):
                task.description.append(extra)
        if not is_ordinal(self.number) and self.number:
            header = self.columns.headers.get(self.own[0].column, "STT")
            task.description.append(f"{header}: {self.number}")
        for cell in self.filled:
            if self.role(cell) in ("content", "number") and not cell.is_continuation:
                continue
            self._cell(task, cell)
        task.lead = "; ".join(filter(None, [task.lead, *fields.lead]))
        task.coordinating = "; ".join(filter(None, [task.coordinating, *fields.coordinating]))
        task.timeline = "; ".join(filter(None, [task.timeline, fields.timeline]))
        if task.budget_vnd is None:
            task.budget_vnd = fields.budget_vnd
        task.raw.extend(fields.raw)
        return task

    def _cell(self, task: RowTask, cell: Cell) -> None:
        role = self.role(cell)
        text = "; ".join(line.text for line in cell.lines)
        header = self.columns.headers.get(cell.column, "")
        labelled = f"{header}: {text}" if header else text
        if role == "lead":
            task.lead = f"{task.lead}; {text}" if task.lead else text
        elif role == "coordinating":
            task.coordinating = f"{task.coordinating}; {text}" if task.coordinating else text
        elif role == "timeline":
            task.timeline = f"{task.timeline}; {text}" if task.timeline else text
        elif role == "budget" and (amount := parse_amount(text, header)) is not None:
            task.budget_vnd = amount
        else:
            task.description.append(labelled)
            return
        task.raw.append(labelled)
