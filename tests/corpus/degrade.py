"""Degraded twins of the corpus' documents, made the same way every time (seeded by the id).

- `ocr_twin`: what comes out of a scanner and an OCR engine that knows no Vietnamese: diacritics
  stripped, character noise ("II." read "I1.", "Số:" read "S6:", l/1 and O/0 confused), no
  bold, no centring, no tables: the two-column header and the "Nơi nhận" / signature block read
  across into single lines ("ỦY BAN NHÂN DÂN   CỘNG HÒA XÃ HỘI …"), every table row one line.
- `table_twin`: the same text by a drafter who lists tasks in a table: every task written with
  "Đơn vị chủ trì:" / "Thời gian thực hiện:" lines becomes a row of a task table ("Nội dung" |
  "Đơn vị chủ trì" | "Đơn vị phối hợp" | "Thời gian thực hiện").

Both keep the expected structure of the clean file (tests/corpus/expected/<id>.json), so the
benchmark measures them against it.
"""

from __future__ import annotations

import io
import random
import re
import unicodedata
import zlib
from dataclasses import replace

from docx import Document
from docx.shared import Pt

from .build import Source, build, parse

FIELD = re.compile(
    r"^[-+*\s]*(?:[a-zđ]\)\s*)?(?:(?:đơn vị|cơ quan)\s+(?:chủ trì|phối hợp|thực hiện)[^:]{0,40}"
    r"|chủ trì|phối hợp|thời gian(?:\s+thực hiện|\s+hoàn thành)?)\s*\**\s*:",
    re.IGNORECASE,
)
NUMBERED = re.compile(r"^\**\s*(?:[IVXL]+\.|\d+(?:\.\d+)*\.?)\s")


def strip_diacritics(text: str) -> str:
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFC", "".join(c for c in text if unicodedata.category(c) != "Mn"))


#: Confusions of an OCR engine on Times New Roman (applied to the text without diacritics).
_CONFUSIONS = (("l", "1"), ("I", "l"), ("O", "0"), ("o", "0"), ("rn", "m"), ("e", "c"), ("S", "5"))


def _noisy_word(word: str, rng: random.Random) -> str:
    for wrong, right in rng.sample(_CONFUSIONS, len(_CONFUSIONS)):
        if wrong in word and not word.isdigit():
            index = word.index(wrong)
            return word[:index] + right + word[index + len(wrong) :]
    return word


def ocr_text(text: str, rng: random.Random, rate: float = 0.02) -> str:
    """`text` as OCR reads it: no diacritics, a few words with one confused character, roman
    section numbers misread ("II." → "I1."), "Số:" → "S6:"."""
    text = strip_diacritics(text.replace("*", ""))
    text = re.sub(r"^So\s*:", "S6:", text)
    text = re.sub(r"^II\.", "I1.", text)
    text = re.sub(r"^III\.", "Il1.", text)
    words = text.split(" ")
    return " ".join(_noisy_word(w, rng) if rng.random() < rate else w for w in words)


def _lines_across(left: list[str], right: list[str], rng: random.Random) -> list[str]:
    """Two columns read across, line by line, as OCR does with a two-column block."""
    out = []
    for index in range(max(len(left), len(right))):
        a = left[index] if index < len(left) else ""
        b = right[index] if index < len(right) else ""
        gap = " " * rng.randint(2, 6)
        out.append(f"{a}{gap}{b}".strip())
    return [line for line in out if line]


def ocr_twin(data: bytes, name: str) -> bytes:
    """The Word file `data` as an OCR engine returns a scan of its print: one plain paragraph a
    line, two-column tables (header, "Nơi nhận" beside the signature) read across, other
    tables one line a row, and the text degraded by `ocr_text`."""
    from docx.oxml.ns import qn

    rng = random.Random(zlib.crc32(name.encode()))
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
            if text:
                lines.append(text)
        elif element.tag == qn("w:tbl"):
            lines += _table_lines(element, rng)
    out = Document()
    out.styles["Normal"].font.size = Pt(13)
    for line in lines:
        out.add_paragraph(ocr_text(line, rng))
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _cell_texts(tc) -> list[str]:
    from docx.oxml.ns import qn

    out = []
    for p in tc.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t"))).strip()
        if text:
            out.append(text)
    return out


def _table_lines(tbl, rng: random.Random) -> list[str]:
    from docx.oxml.ns import qn

    rows = [[_cell_texts(tc) for tc in tr.iter(qn("w:tc"))] for tr in tbl.iter(qn("w:tr"))]
    if (
        all(len(row) == 2 for row in rows)
        and not tbl.iter(qn("w:tblGrid")).__next__().findall(qn("w:gridCol"))[2:]
    ):
        out: list[str] = []
        for left, right in rows:
            out += _lines_across(left, right, rng)
        return out
    return ["  ".join(" ".join(cell) for cell in row if cell) for row in rows if any(row)]


def table_twin(source: Source, tasks: list[dict]) -> bytes | None:
    """The source with its fielded tasks moved into task tables; None when it has none."""
    titles = {_key(task["title"]): task for task in tasks}
    body: list[tuple[str, object]] = []
    rows: list[list[str]] = []
    index = 0
    items = source.body
    moved = 0
    while index < len(items):
        kind, value = items[index]
        group = _task_group(items, index, titles) if kind == "p" else None
        if group is not None and not rows and not _may_start_table(items, index):
            group = None
        if group is None:
            if rows:
                body.append(("table", _table(rows)))
                rows = []
            body.append((kind, value))
            index += 1
            continue
        end, row = group
        rows.append(row)
        moved += 1
        index = end
    if rows:
        body.append(("table", _table(rows)))
    if not moved:
        return None
    return build(replace(source, body=body))


def _may_start_table(items, index) -> bool:
    """A task written as a numbered heading becomes a table row only where a table can start:
    right under the heading above it (a drafter does not put item 4 in a table of its own
    after the text of item 3)."""
    text = str(items[index][1]).replace("*", "").strip()
    if not NUMBERED.match(text):
        return True
    previous = str(items[index - 1][1]).replace("*", "").strip() if index else ""
    return bool(NUMBERED.match(previous)) and not previous.endswith(".")


def _key(text: str) -> str:
    text = re.sub(r"^[-+•\s]*(?:[IVXL]+\.|\d+(?:\.\d+)*\.|[a-zđ]\))?\s*", "", text.replace("*", ""))
    return re.sub(r"\s+", " ", text).strip().rstrip(":").lower()


def _task_group(items, index, titles) -> tuple[int, list[str]] | None:
    """(end, row) when items[index] is the title of a task followed by its field lines."""
    title = str(items[index][1])
    if _key(title) not in titles:
        return None
    end = index + 1
    description: list[str] = []
    fields: dict[str, str] = {}
    while end < len(items) and items[end][0] == "p":
        text = str(items[end][1]).replace("*", "").strip()
        match = FIELD.match(text)
        if fields and text[:1].islower():  # the field's text went on after a page break
            role = list(fields)[-1]
            fields[role] = f"{fields[role]} {text.rstrip('.')}"
        elif match:
            label = match.group(0).lower()
            value = text[match.end() :].strip().rstrip(".")
            role = (
                "coordinating"
                if "phối hợp" in label
                else ("timeline" if "thời gian" in label else "lead")
            )
            fields[role] = f"{fields[role]}; {value}" if role in fields else value
        elif fields or _key(text) in titles or NUMBERED.match(text):
            break
        else:
            description.append(text)
        end += 1
    if "lead" not in fields:
        return None
    heading = NUMBERED.sub("", title.replace("*", "").lstrip("- ").strip()).strip().rstrip(":")
    content = "\n".join([heading, *description])
    return end, [
        content,
        fields.get("lead", ""),
        fields.get("coordinating", ""),
        fields.get("timeline", ""),
    ]


def _table(rows: list[list[str]]) -> list[list[str]]:
    header = ["TT", "Nội dung", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian thực hiện"]
    return [header, *([str(i), *row] for i, row in enumerate(rows, start=1))]


def twins(source_id: str, tasks: list[dict]) -> dict[str, bytes]:
    """{"table": …} for a corpus source that has fielded tasks."""
    from .build import SOURCES

    path = SOURCES / f"{source_id}.txt"
    if not path.exists():  # the seed: a drafter's own file, no source text
        return {}
    source = parse(path)
    table = table_twin(source, tasks)
    return {"table": table} if table is not None else {}
