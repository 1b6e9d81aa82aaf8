"""Build the corpus' Word files from their texts: `python -m tests.corpus.build`.

Each `sources/<id>.txt` holds the text of a real document (SOURCES.md says where it came from) in a
small line format; this script lays it out the way drafters lay such files out in Word: the header
as a borderless two-column table (issuer and number on the left, Quốc hiệu, Tiêu ngữ and the place
and date on the right), the type name and the summary centred in bold, numbered headings in bold,
body paragraphs justified with a first-line indent, tables where the original has them, and the
"Nơi nhận" list beside the signature block. Layouts vary the way real files do (`@layout`): a
header of two or three rows, a signature block stacked above "Nơi nhận" instead of beside it,
13 or 14 pt, headings whose number alone is bold.

The format, one directive or paragraph a line:

    # a comment (the source)
    @layout header=rows3 footer=stacked size=13 indent=none
    @issuer            the lines of the issuer box, one a line, until the next directive
    @number Số: 141/KH-UBND
    @subject V/v …     (công văn: the summary under the number)
    @date Bắc Ninh, ngày 20 tháng 11 năm 2025
    @type KẾ HOẠCH     (none for a công văn)
    @title             the summary line(s) under the type name
    @addressees        "Kính gửi:" and its lines (công văn)
    @body              paragraphs, one a line; **bold** and *italic* runs
    @table … @end      rows "| a | b |"; "|= text |" is a row of one cell across the table
    @recipients        "Nơi nhận:" and its lines
    @signature         the signature block's lines
    @appendix          paragraphs and tables after the signature (phụ lục)

The built files are committed (tests read them without building); run this again after changing
a source.
"""

from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

CORPUS = Path(__file__).resolve().parent
SOURCES = CORPUS / "sources"
DOCX = CORPUS / "docx"
FONT = "Times New Roman"


@dataclass
class Source:
    """A document's text as parsed from its source file."""

    id: str
    layout: dict[str, str] = field(default_factory=dict)
    issuer: list[str] = field(default_factory=list)
    number: str = ""
    subject: str = ""
    date: str = ""
    doc_type: str = ""
    title: list[str] = field(default_factory=list)
    addressees: list[str] = field(default_factory=list)
    #: ("p", text) paragraphs and ("table", rows) tables, in order.
    body: list[tuple[str, object]] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    appendix: list[tuple[str, object]] = field(default_factory=list)


def parse(path: Path) -> Source:
    source = Source(id=path.stem)
    state: dict[str, Any] = {"zone": "", "table": None}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if state["table"] is not None:
            _table_line(source, state, line)
        elif line.startswith("@"):
            _directive(source, state, line)
        elif state["zone"] in ("body", "appendix"):
            _blocks(source, state["zone"]).append(("p", line))
        else:
            getattr(source, state["zone"]).append(line)
    return source


def _table_line(source: Source, state: dict[str, Any], line: str) -> None:
    if line == "@end":
        _blocks(source, state["zone"]).append(("table", state["table"]))
        state["table"] = None
    else:
        state["table"].append(_row(line))


def _directive(source: Source, state: dict[str, Any], line: str) -> None:
    """ "@layout k=v …", "@number …", "@subject …", "@date …", "@type …", "@table", or a zone."""
    name, _, rest = line[1:].partition(" ")
    if name == "layout":
        source.layout.update(dict(pair.split("=", 1) for pair in rest.split()))
    elif name in ("number", "subject", "date"):
        setattr(source, name, rest.strip())
    elif name == "type":
        source.doc_type = rest.strip()
    elif name == "table":
        state["table"] = []
    else:
        state["zone"] = name


def _blocks(source: Source, zone: str) -> list[tuple[str, object]]:
    return source.appendix if zone == "appendix" else source.body


def _row(line: str) -> list[str]:
    """ "| a | b |" → ["a", "b"]; "|= a |" → ["=a"] (one cell across the table)."""
    if line.startswith("|="):
        return ["=" + line[2:].strip(" |")]
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


# ---------------------------------------------------------------------------------------------
# Word


def _runs(paragraph, text: str, *, bold: bool = False, italic: bool = False, size: int = 14):
    """Add `text` to `paragraph`, "**…**" in bold and "*…*" in italic."""
    for part in re.split(r"(\*\*|\*)", text):
        if part == "**":
            bold = not bold
        elif part == "*":
            italic = not italic
        elif part:
            run = paragraph.add_run(part)
            run.bold = bold or None
            run.italic = italic or None
            run.font.size = Pt(size)
            run.font.name = FONT
    return paragraph


def _paragraph(container, text: str, *, size: int, align=None, bold=False, indent=None):
    paragraph = container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent is not None:
        paragraph.paragraph_format.first_line_indent = indent
    paragraph.paragraph_format.space_after = Pt(4)
    return _runs(paragraph, text, bold=bold, size=size)


def _no_borders(table) -> None:
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def _cell_lines(cell, lines: list[str], *, size: int, bold_upper: bool = True, align=None):
    cell.paragraphs[0].text = ""
    first = True
    for text in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if align is None else align
        plain = text.replace("*", "")
        bold = bold_upper and plain.isupper()
        _runs(paragraph, text, bold=bold, size=size)


def _header(document, source: Source, size: int) -> None:
    right_top = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    number = [source.number] if source.number else []
    subject = [source.subject] if source.subject else []
    date = [f"*{source.date}*"] if source.date else []
    if source.layout.get("header") == "rows2":
        table = document.add_table(rows=1, cols=2)
        _no_borders(table)
        left, right = table.rows[0].cells
        _cell_lines(left, [*source.issuer, *number, *subject], size=size - 1)
        _cell_lines(right, [*right_top, *date], size=size - 1)
    else:
        table = document.add_table(rows=2, cols=2)
        _no_borders(table)
        _cell_lines(table.cell(0, 0), source.issuer, size=size - 1)
        _cell_lines(table.cell(0, 1), right_top, size=size - 1)
        _cell_lines(table.cell(1, 0), [*number, *subject], size=size - 1)
        _cell_lines(table.cell(1, 1), date, size=size - 1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER


def _title(document, source: Source, size: int) -> None:
    if source.doc_type:
        _paragraph(document, source.doc_type, size=size, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    for line in source.title:
        _paragraph(document, line, size=size, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    if source.addressees:
        for index, line in enumerate(source.addressees):
            align = WD_ALIGN_PARAGRAPH.CENTER if index == 0 else None
            _paragraph(document, line, size=size, align=align, indent=Cm(2) if index else None)


def _is_heading(text: str) -> bool:
    plain = text.replace("*", "").strip()
    return bool(re.match(r"^([IVXL]+\.|\d+(\.\d+)*\.|[a-zđ]\)|Điều \d+\.)\s", plain)) and (
        text.startswith("**")
    )


def _blocks_out(document, blocks: list[tuple[str, object]], source: Source, size: int) -> None:
    indent = None if source.layout.get("indent") == "none" else Cm(1)
    for kind, value in blocks:
        if kind == "table":
            _table(document, value, size=size - 1)  # type: ignore[arg-type]
            continue
        text = str(value)
        centred = text.replace("*", "").strip().isupper() and not _is_heading(text)
        if centred:
            _paragraph(document, text, size=size, align=WD_ALIGN_PARAGRAPH.CENTER)
        else:
            paragraph = _paragraph(
                document, text, size=size, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=indent
            )
            if source.layout.get("headings") == "number" and _is_heading(text):
                # Only the number is bold, as some drafters do.
                for run in paragraph.runs[1:]:
                    run.bold = None


def _table(document, rows: list[list[str]], *, size: int) -> None:
    columns = max(len(row) for row in rows)
    table = document.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    for index, row in enumerate(rows):
        cells = table.add_row().cells
        if len(row) == 1 and row[0].startswith("="):
            merged = cells[0].merge(cells[-1])
            _cell_lines(merged, [row[0][1:]], size=size, align=WD_ALIGN_PARAGRAPH.LEFT)
            merged.paragraphs[0].runs[0].bold = True
            continue
        for cell, text in zip(cells, row, strict=False):
            align = WD_ALIGN_PARAGRAPH.CENTER if index == 0 else WD_ALIGN_PARAGRAPH.LEFT
            _cell_lines(cell, [text], size=size, bold_upper=False, align=align)
            if index == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def _footer(document, source: Source, size: int) -> None:
    signature = [f"**{line}**" for line in source.signature]
    if source.signature:
        signature = [*signature[:-1], "", "", "", signature[-1]]
    recipients = [
        f"***{line}***" if line.startswith("Nơi nhận") else line for line in source.recipients
    ]
    if source.layout.get("footer") == "stacked":
        for line in signature:
            _paragraph(document, line, size=size, align=WD_ALIGN_PARAGRAPH.RIGHT)
        for line in recipients:
            _paragraph(document, line, size=size - 2)
        return
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    _cell_lines(
        left, recipients or [""], size=size - 2, bold_upper=False, align=WD_ALIGN_PARAGRAPH.LEFT
    )
    _cell_lines(right, signature, size=size, bold_upper=False)


def build(source: Source) -> bytes:
    size = int(source.layout.get("size", "14"))
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(size)
    _header(document, source, size)
    _title(document, source, size)
    _blocks_out(document, source.body, source, size)
    _footer(document, source, size)
    if source.appendix:
        document.add_page_break()
        _blocks_out(document, source.appendix, source, size)
    out = io.BytesIO()
    document.save(out)
    return _stable(out.getvalue())


def _stable(data: bytes) -> bytes:
    """The same bytes on every build: python-docx stamps the current time in core.xml."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", content
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()


def main(argv: list[str]) -> None:
    DOCX.mkdir(exist_ok=True)
    names = argv or sorted(path.stem for path in SOURCES.glob("*.txt"))
    for name in names:
        data = build(parse(SOURCES / f"{name}.txt"))
        (DOCX / f"{name}.docx").write_bytes(data)
        print(f"{name}.docx: {len(data):,} bytes")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
