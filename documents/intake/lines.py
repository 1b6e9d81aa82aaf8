"""The lines a reader works on, whatever the file they came from (Word, PDF text layer, OCR): text
with what the layout said about it (bold, centred, in which table cell)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .text import has_diacritics


@dataclass
class RowTask:
    """A row of a task table: the columns it had, by role."""

    lead: str = ""
    coordinating: str = ""
    timeline: str = ""
    budget_vnd: int | None = None
    description: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)


@dataclass
class Line:
    text: str
    bold: bool = False
    centered: bool = False
    in_table: bool = False
    table: int | None = None  # the top-level table the line is in
    row: int = -1
    column: int = -1
    task_row: RowTask | None = None  # set when a task table's row is read as a task
    group: bool = False  # a group heading row of a task table


@dataclass
class Cell:
    column: int
    span: int
    lines: list[Line]
    is_continuation: bool = False  # a vertically merged cell: its text is the one above

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class Table:
    rows: list[list[Cell]] = field(default_factory=list)


def lacks_diacritics(lines: Sequence[Line]) -> bool:
    """True for Vietnamese text typed or recognised (OCR) without its diacritics."""
    letters = marked = 0
    for line in lines:
        for char in line.text:
            if char.isalpha():
                letters += 1
                marked += has_diacritics(char)
    # Vietnamese prose has a diacritic on about a third of its letters' syllables.
    return letters >= 80 and marked < 0.02 * letters
