"""A Word file's body as lines in reading order: paragraphs, table cells row by row (merged cells
once), nested tables and text boxes where they stand; tracked deletions and field codes left out."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from .lines import Cell, Line, Table
from .text import clean_text


def w(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def paragraph_text(p: Any, boxes: list[Any]) -> str:
    """The visible text of a <w:p>: runs, hyperlinks, insertions, fields' results, smart tags;
    not deleted text nor field codes. Text boxes are collected in `boxes` for later."""
    tags = word_tags()
    out: list[str] = []

    def collect(element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag == tags["t"]:
                out.append(child.text or "")
            elif tag == tags["tab"]:
                out.append("\t")
            elif tag in (tags["br"], tags["cr"]):
                out.append("\n")
            elif tag == tags["noBreakHyphen"]:
                out.append("-")
            elif tag in tags["skip"]:
                continue
            elif tag == tags["txbxContent"]:
                boxes.append(child)
            else:
                collect(child)

    collect(p)
    return "".join(out)


@functools.cache
def word_tags() -> dict[str, Any]:
    names = ("t", "tab", "br", "cr", "noBreakHyphen", "txbxContent", "p", "tbl", "tr", "tc")
    tags: dict[str, Any] = {name: w(f"w:{name}") for name in names}
    tags["skip"] = frozenset(
        (
            w("w:del"),
            w("w:instrText"),
            w("w:delText"),
            w("w:rPr"),
            w("w:pPr"),
            "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
        )
    )
    tags["containers"] = frozenset((w("w:sdt"), w("w:sdtContent"), w("w:customXml")))
    return tags


def paragraph_lines(paragraph: Any, in_table: bool) -> tuple[list[Line], list[Any]]:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    boxes: list[Any] = []
    text = unicodedata.normalize("NFC", paragraph_text(paragraph._p, boxes))
    runs = [r for r in paragraph.runs if r.text.strip()]
    style = paragraph.style
    style_bold = bool(style is not None and style.font.bold)
    bold = bool(runs) and all(r.bold or (r.bold is None and style_bold) for r in runs)
    alignment = paragraph.alignment
    if alignment is None and style is not None:
        alignment = style.paragraph_format.alignment
    centered = alignment == WD_ALIGN_PARAGRAPH.CENTER
    out = []
    for part in re.split(r"[\n\r\v]+", text):
        part = clean_text(part)
        if part:
            out.append(Line(part, bold=bold, centered=centered, in_table=in_table))
    return out, boxes


def document_lines(document: Any) -> tuple[list[Line], dict[int, Table]]:
    """Every non-empty line of the body in reading order, and the top-level tables by index.

    Table cells are read row by row, left to right; a cell spanning columns or rows is read
    once. Nested tables and text boxes are read where they stand.
    """
    walker = _Walker(document)
    walker.walk(document.element.body, False)
    return walker.lines, walker.tables


class _Walker:
    """Walks the body's XML in reading order, collecting lines and top-level tables."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.tags = word_tags()
        self.lines: list[Line] = []
        self.tables: dict[int, Table] = {}

    def walk(self, element: Any, in_table: bool) -> None:
        from docx.text.paragraph import Paragraph

        tags = self.tags
        for child in element.iterchildren():
            if child.tag == tags["p"]:
                found, boxes = paragraph_lines(Paragraph(child, self.document), in_table)
                self.lines.extend(found)
                for box in boxes:
                    self.walk(box, in_table)
            elif child.tag == tags["tbl"]:
                if in_table:
                    self.nested(child)
                else:
                    self.table(child)
            elif child.tag in tags["containers"]:
                self.walk(child, in_table)

    def nested(self, tbl: Any) -> None:
        for tr in tbl.iterchildren(self.tags["tr"]):
            for tc in row_cells(tr):
                self.walk(tc, True)

    def table(self, tbl: Any) -> None:
        index = len(self.tables)
        info = self.tables[index] = Table()
        above: dict[int, Cell] = {}
        for row_index, tr in enumerate(tbl.iterchildren(self.tags["tr"])):
            info.rows.append(self.row(tr, index, row_index, above))

    def row(self, tr: Any, index: int, row_index: int, above: dict[int, Cell]) -> list[Cell]:
        """The cells of one row; a vertically merged cell is the one above it, read once."""
        column = int(getattr(tr, "grid_before", 0) or 0)
        cells: list[Cell] = []
        for tc in row_cells(tr):
            span = int(getattr(tc, "grid_span", 1) or 1)
            if getattr(tc, "vMerge", None) == "continue" and column in above:
                cell = Cell(column, span, above[column].lines, is_continuation=True)
            else:
                start = len(self.lines)
                self.walk(tc, True)
                for line in self.lines[start:]:
                    line.table, line.row, line.column = index, row_index, column
                cell = Cell(column, span, self.lines[start:])
            for col in range(column, column + span):
                above[col] = cell
            cells.append(cell)
            column += span
        return cells


def row_cells(tr: Any) -> Iterator[Any]:
    tags = word_tags()
    for child in tr.iterchildren():
        if child.tag == tags["tc"]:
            yield child
        elif child.tag in tags["containers"]:
            yield from row_cells(child)
