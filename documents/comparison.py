"""Compare two versions of a plan's content: what changed, where, in words a reader can follow.

Pure module: no models, no database. `compare_contents(old, new)` takes two content dicts (as a
`PlanVersion` stores them) and returns a `Comparison`; `comparison_to_docx(...)` lays one out as a
Word file. Parts of the body are named by the document's own numbering ("II.3.b"), paragraphs are
aligned with difflib and diffed word by word, tasks are matched by title similarity and position,
units by directory id or else by name.

The content is read leniently (missing keys are empty, unknown keys are ignored), so versions saved
before a field existed still compare.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, NamedTuple

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from .content import DECISION, ContentError, SignatureBlock
from .rendering import format_vnd, point_letter, roman, stable_docx

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
ADDED, REMOVED, CHANGED = "added", "removed", "changed"

#: Below these similarities two entries are a removal and an addition, not one change.
PARAGRAPH_MATCH = 0.45
BLOCK_MATCH = 0.5
TASK_MATCH = 0.55
TASK_MOVE_MATCH = 0.75

SCALAR_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Trích yếu"),
    ("doc_type", "Loại văn bản"),
    ("year", "Năm kế hoạch"),
    ("place", "Địa danh"),
    ("urgency", "Độ khẩn"),
    ("secrecy", "Độ mật"),
    ("drafting_unit_abbreviation", "Viết tắt đơn vị soạn thảo"),
    ("addressees", "Kính gửi"),
    ("issuing_authority", "Thẩm quyền ban hành"),
    ("issued_by", "Hình thức ban hành"),
    ("proposer", "Theo đề nghị của"),
    ("preamble", "Lời mở đầu"),
    ("closing", "Đoạn kết"),
    ("signature", "Khối chữ ký"),
    ("circulation_note", "Chỉ dẫn phạm vi lưu hành"),
    ("drafter_initials", "Ký hiệu người đánh máy"),
    ("copies", "Số lượng bản phát hành"),
    ("contact_line", "Thông tin liên hệ"),
)
ISSUED_BY_LABELS = {"collective": "Tập thể (TM.)", "individual": "Người đứng đầu"}
TASK_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Tên nhiệm vụ"),
    ("description", "Nội dung"),
    ("lead_units", "Đơn vị chủ trì"),
    ("coordinating_units", "Đơn vị phối hợp"),
    ("timeline", "Thời gian thực hiện"),
    ("budget_vnd", "Dự toán kinh phí"),
)
KIND_LABELS = {ADDED: "Thêm mới", REMOVED: "Bị xóa", CHANGED: "Sửa đổi"}
SUMMARY_LABELS: tuple[tuple[str, str], ...] = (
    ("fields", "Thông tin chung thay đổi"),
    ("legal_bases", "Căn cứ thay đổi"),
    ("sections_added", "Mục thêm mới"),
    ("sections_removed", "Mục bị xóa"),
    ("paragraphs_changed", "Đoạn văn được sửa"),
    ("paragraphs_added", "Đoạn văn thêm mới"),
    ("paragraphs_removed", "Đoạn văn bị xóa"),
    ("tasks_changed", "Nhiệm vụ thay đổi"),
    ("tasks_added", "Nhiệm vụ thêm mới"),
    ("tasks_removed", "Nhiệm vụ bị xóa"),
    ("reporting_deadlines", "Hạn báo cáo thay đổi"),
    ("recipients_added", "Nơi nhận thêm mới"),
    ("recipients_removed", "Nơi nhận bị bỏ"),
    ("archive_changed", "Dòng “Lưu” thay đổi"),
)


# ---------------------------------------------------------------------------------------------
# The result


class Segment(NamedTuple):
    """A piece of an inline diff: `op` is "equal", "insert" or "delete"."""

    op: str
    text: str


@dataclass(frozen=True)
class TextChange:
    """A field whose value changed: old → new, with an inline diff for display."""

    field: str
    label: str
    old: str
    new: str
    segments: list[Segment]


@dataclass(frozen=True)
class ItemChange:
    """One entry of a list (a paragraph, a legal basis, a reporting deadline)."""

    kind: str  # "added" | "removed" | "changed"
    old: str
    new: str
    segments: list[Segment]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class SectionChange:
    """A numbered part of the body (I., II.3, II.3.b) whose title or paragraphs changed."""

    kind: str  # "added" | "removed" | "changed"
    path: str  # the number in the new version ("II.3.b"); the old one for a removed part
    old_path: str
    title: str
    title_change: TextChange | None
    paragraphs: list[ItemChange]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class TaskChange:
    """A task added, removed or changed. For a changed task `fields` lists what changed; for an
    added or removed one, everything it says."""

    kind: str  # "added" | "removed" | "changed"
    path: str
    old_path: str
    title: str
    fields: list[TextChange]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def is_moved(self) -> bool:
        return self.kind == CHANGED and self.path != self.old_path


@dataclass(frozen=True)
class RecipientChanges:
    """Nơi nhận: units and free lines added or removed, and the "Lưu: …" line."""

    units_added: list[str] = field(default_factory=list)
    units_removed: list[str] = field(default_factory=list)
    lines_added: list[str] = field(default_factory=list)
    lines_removed: list[str] = field(default_factory=list)
    archive: TextChange | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.units_added
            or self.units_removed
            or self.lines_added
            or self.lines_removed
            or self.archive
        )


@dataclass(frozen=True)
class Summary:
    """How many things changed, by kind."""

    fields: int = 0
    legal_bases: int = 0
    sections_added: int = 0
    sections_removed: int = 0
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_changed: int = 0
    tasks_added: int = 0
    tasks_removed: int = 0
    tasks_changed: int = 0
    reporting_deadlines: int = 0
    recipients_added: int = 0
    recipients_removed: int = 0
    archive_changed: int = 0

    @property
    def total(self) -> int:
        return sum(dataclasses.astuple(self))

    def items(self) -> list[tuple[str, int]]:
        """The non-zero counts as (label, count), in reading order."""
        return [
            (label, getattr(self, name)) for name, label in SUMMARY_LABELS if getattr(self, name)
        ]

    def lines(self) -> list[str]:
        """The non-zero counts as short phrases, e.g. "2 đoạn văn được sửa"."""
        return [f"{count} {label[0].lower()}{label[1:]}" for label, count in self.items()]


@dataclass(frozen=True)
class Comparison:
    """Everything that differs between two contents, in the order the document reads."""

    fields: list[TextChange] = field(default_factory=list)
    legal_bases: list[ItemChange] = field(default_factory=list)
    sections: list[SectionChange] = field(default_factory=list)
    tasks: list[TaskChange] = field(default_factory=list)
    reporting_deadlines: list[ItemChange] = field(default_factory=list)
    recipients: RecipientChanges = field(default_factory=RecipientChanges)

    @property
    def is_empty(self) -> bool:
        return self.summary().total == 0

    def summary(self) -> Summary:
        paragraphs = [p for s in self.sections for p in s.paragraphs]
        return Summary(
            fields=len(self.fields),
            legal_bases=len(self.legal_bases),
            sections_added=sum(s.kind == ADDED for s in self.sections),
            sections_removed=sum(s.kind == REMOVED for s in self.sections),
            paragraphs_added=sum(p.kind == ADDED for p in paragraphs),
            paragraphs_removed=sum(p.kind == REMOVED for p in paragraphs),
            paragraphs_changed=sum(p.kind == CHANGED for p in paragraphs),
            tasks_added=sum(t.kind == ADDED for t in self.tasks),
            tasks_removed=sum(t.kind == REMOVED for t in self.tasks),
            tasks_changed=sum(t.kind == CHANGED for t in self.tasks),
            reporting_deadlines=len(self.reporting_deadlines),
            recipients_added=len(self.recipients.units_added) + len(self.recipients.lines_added),
            recipients_removed=(
                len(self.recipients.units_removed) + len(self.recipients.lines_removed)
            ),
            archive_changed=int(self.recipients.archive is not None),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: segments become [op, text] pairs; a "summary" of counts is added."""
        data = dataclasses.asdict(self)
        data["summary"] = {**dataclasses.asdict(self.summary()), "total": self.summary().total}
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Text: normalising, similarity, inline diffs


def _nfc(text: Any) -> str:
    return unicodedata.normalize("NFC", str(text or ""))


def _norm(text: Any) -> str:
    """For equality: NFC, whitespace collapsed."""
    return " ".join(_nfc(text).split())


def _key(text: Any) -> str:
    """For matching: also case-folded and without trailing punctuation."""
    return _norm(text).casefold().rstrip(" .;:,")


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_WORD = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_nfc(text))


def similarity(a: str, b: str) -> float:
    """0..1: how alike two texts are, word by word, ignoring case and spacing."""
    words_a, words_b = _WORD.findall(_key(a)), _WORD.findall(_key(b))
    if not words_a and not words_b:
        return 1.0
    return SequenceMatcher(None, words_a, words_b, autojunk=False).ratio()


def word_diff(old: str, new: str) -> list[Segment]:
    """The inline diff of two texts as (op, text) segments; joined, equal + delete segments give
    `old` and equal + insert segments give `new`."""
    old, new = _nfc(old), _nfc(new)
    a, b = _tokens(old), _tokens(new)
    raw: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(Segment(EQUAL, "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(Segment(DELETE, "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(Segment(INSERT, "".join(b[j1:j2])))
    return _tidy(raw)


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Fold the lone spaces that difflib keeps between two changes into the change, so that
    "cũ một" → "mới hai" reads as one deletion and one insertion, not four pieces."""
    out: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(Segment(DELETE, "".join(deleted)))
        if inserted:
            out.append(Segment(INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for index, segment in enumerate(segments):
        if segment.op == EQUAL:
            in_change = bool(deleted or inserted)
            next_changes = index + 1 < len(segments) and segments[index + 1].op != EQUAL
            if in_change and next_changes and not segment.text.strip():
                deleted.append(segment.text)
                inserted.append(segment.text)
                continue
            flush()
            if out and out[-1].op == EQUAL:
                out[-1] = Segment(EQUAL, out[-1].text + segment.text)
            else:
                out.append(segment)
        elif segment.op == DELETE:
            deleted.append(segment.text)
        else:
            inserted.append(segment.text)
    flush()
    return [s for s in out if s.text]


def _whole(old: str, new: str) -> list[Segment]:
    """A replacement shown whole (a number, a date): no word-level diff inside."""
    out = []
    if old:
        out.append(Segment(DELETE, old))
    if new:
        out.append(Segment(INSERT, new))
    return out


def _text_change(name: str, label: str, old: str, new: str) -> TextChange | None:
    if _norm(old) == _norm(new):
        return None
    return TextChange(field=name, label=label, old=old, new=new, segments=word_diff(old, new))


# ---------------------------------------------------------------------------------------------
# Alignment of two sequences


Pair = tuple[int | None, int | None]


def align(
    old: Sequence[Any],
    new: Sequence[Any],
    *,
    key: Callable[[Any], Any],
    score: Callable[[Any, Any], float],
    threshold: float,
) -> list[Pair]:
    """Pairs (i, j) of matching entries, (i, None) for removed, (None, j) for added, in reading
    order. Equal keys match through difflib; inside a replaced run, entries pair up (in order)
    when `score` reaches `threshold`."""
    matcher = SequenceMatcher(None, [key(x) for x in old], [key(x) for x in new], autojunk=False)
    pairs: list[Pair] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        elif tag == "delete":
            pairs.extend((i, None) for i in range(i1, i2))
        elif tag == "insert":
            pairs.extend((None, j) for j in range(j1, j2))
        else:
            pairs.extend(_pair_run(old, new, i1, i2, j1, j2, score, threshold))
    return pairs


def _pair_run(
    old: Sequence[Any],
    new: Sequence[Any],
    i1: int,
    i2: int,
    j1: int,
    j2: int,
    score: Callable[[Any, Any], float],
    threshold: float,
) -> list[Pair]:
    matches: list[tuple[int, int]] = []
    last_j = j1 - 1
    for i in range(i1, i2):
        best, best_j = threshold, None
        for j in range(last_j + 1, j2):
            value = score(old[i], new[j])
            if value >= best and (best_j is None or value > best):
                best, best_j = value, j
        if best_j is not None:
            matches.append((i, best_j))
            last_j = best_j
    out: list[Pair] = []
    i, j = i1, j1
    for mi, mj in matches:
        out.extend((k, None) for k in range(i, mi))
        out.extend((None, k) for k in range(j, mj))
        out.append((mi, mj))
        i, j = mi + 1, mj + 1
    out.extend((k, None) for k in range(i, i2))
    out.extend((None, k) for k in range(j, j2))
    return out


def diff_items(old: Sequence[str], new: Sequence[str]) -> list[ItemChange]:
    """Paragraph-level diff of two lists of texts: added, removed, and changed (with words)."""
    changes = []
    pairs = align(old, new, key=_norm, score=similarity, threshold=PARAGRAPH_MATCH)
    for i, j in pairs:
        if i is not None and j is not None:
            if _norm(old[i]) != _norm(new[j]):
                changes.append(ItemChange(CHANGED, old[i], new[j], word_diff(old[i], new[j])))
        elif i is not None:
            changes.append(ItemChange(REMOVED, old[i], "", [Segment(DELETE, old[i])]))
        elif j is not None:
            changes.append(ItemChange(ADDED, "", new[j], [Segment(INSERT, new[j])]))
    return changes


# ---------------------------------------------------------------------------------------------
# Reading the content leniently


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _texts(value: Any) -> list[str]:
    return [_nfc(x).strip() for x in _list(value) if isinstance(x, str) and x.strip()]


class _Unit(NamedTuple):
    key: tuple[str, Any]
    name: str


def _units(value: Any) -> list[_Unit]:
    out = []
    for item in _list(value):
        if isinstance(item, str):
            item = {"name": item}
        item = _dict(item)
        name = _norm(item.get("name"))
        unit_id = item.get("unit_id")
        if isinstance(unit_id, int) and not isinstance(unit_id, bool):
            out.append(_Unit(("id", unit_id), name))
        elif name:
            out.append(_Unit(("name", _key(name)), name))
    return out


@dataclass(frozen=True)
class _Block:
    path: str
    depth: int
    title: str
    paragraphs: list[str]


@dataclass(frozen=True)
class _Task:
    path: str
    title: str
    description: list[str]
    lead_units: list[_Unit]
    coordinating_units: list[_Unit]
    timeline: str
    budget_vnd: int | None

    def text(self, name: str) -> str:
        """A field as the reader sees it."""
        if name == "title":
            return self.title
        if name == "description":
            return "\n".join(self.description)
        if name in ("lead_units", "coordinating_units"):
            return "; ".join(u.name for u in getattr(self, name))
        if name == "timeline":
            return self.timeline
        return format_vnd(self.budget_vnd) if self.budget_vnd is not None else ""

    def rest(self) -> str:
        """Everything but the title, for matching a renamed task."""
        return " ".join(self.text(name) for name, _label in TASK_FIELDS[1:])


def _task(data: Any, path: str) -> _Task:
    data = _dict(data)
    budget = data.get("budget_vnd")
    if isinstance(budget, bool) or not isinstance(budget, int):
        budget = None
    return _Task(
        path=path,
        title=_norm(data.get("title")),
        description=_texts(data.get("description")),
        lead_units=_units(data.get("lead_units")),
        coordinating_units=_units(data.get("coordinating_units")),
        timeline=_norm(data.get("timeline")),
        budget_vnd=budget,
    )


def _label(level: int, index: int) -> str:
    """The number of the index-th item at `level` as the document prints it, without "." or ")":
    1, 2, … then a, b, … đ; deeper items, which the document marks with "-", by position."""
    if level == 1:
        return str(index + 1)
    if level == 2:
        return point_letter(index)
    return str(index + 1)


def _join(path: str, label: str) -> str:
    return f"{path}.{label}" if path else label


def _is_task_wrapper(block: dict[str, Any]) -> bool:
    """An untitled block holding one task: the task stands at the block's number (as rendered)."""
    return (
        not _norm(block.get("title"))
        and not _texts(block.get("paragraphs"))
        and not _list(block.get("children"))
        and len(_list(block.get("tasks"))) == 1
    )


def _walk(content: dict[str, Any]) -> tuple[list[_Block], list[_Task]]:
    """The blocks and tasks of the body and of the appendices, each with its number as the
    document prints it: "II.3.b" in a plan, "Điều 2.1.a" in a decision, "Phụ lục I, II.1"."""
    blocks: list[_Block] = []
    tasks: list[_Task] = []
    is_decision = content.get("doc_type") == DECISION

    def contents(block: dict[str, Any], level: int, path: str, number_untitled: bool) -> None:
        number = 0
        for child in map(_dict, _list(block.get("children"))):
            if _is_task_wrapper(child):
                tasks.append(
                    _task(_list(child.get("tasks"))[0], _join(path, _label(level, number)))
                )
                number += 1
            elif _norm(child.get("title")) or (number_untitled and _texts(child.get("paragraphs"))):
                # A decision numbers an untitled khoản on its first paragraph.
                child_path = _join(path, _label(level, number))
                blocks.append(_entry(child, child_path, level))
                contents(child, level + 1, child_path, number_untitled)
                number += 1
            else:
                # An untitled block prints its paragraphs under its parent's number.
                if _texts(child.get("paragraphs")):
                    blocks.append(_entry(child, path, level))
                contents(child, level + 1, path, number_untitled)
        for task in _list(block.get("tasks")):
            tasks.append(_task(task, _join(path, _label(level, number))))
            number += 1

    def body(sections: Any, prefix: str, is_decision: bool) -> None:
        for index, section in enumerate(map(_dict, _list(sections)), start=1):
            path = f"Điều {index}" if is_decision else f"{prefix}{roman(index)}"
            blocks.append(_entry(section, path, 0))
            contents(section, 1, path, is_decision)

    body(content.get("sections"), "", is_decision)
    appendices = [_dict(a) for a in _list(content.get("appendices"))]
    for index, appendix in enumerate(appendices, start=1):
        label = f"Phụ lục {roman(index)}" if len(appendices) > 1 else "Phụ lục"
        blocks.append(
            _Block(path=label, depth=-1, title=_norm(appendix.get("title")), paragraphs=[])
        )
        body(appendix.get("sections"), f"{label}, ", False)
    return blocks, tasks


def path_label(path: str) -> str:
    """How a path reads in a sentence: "Mục II.3.b", but "Điều 2.1" and "Phụ lục I, II.1" as is."""
    if not path or path.startswith(("Điều", "Phụ lục")):
        return path
    return f"Mục {path}"


def _entry(block: dict[str, Any], path: str, depth: int) -> _Block:
    return _Block(
        path=path,
        depth=depth,
        title=_norm(block.get("title")),
        paragraphs=_texts(block.get("paragraphs")),
    )


def _signature_text(data: Any) -> str:
    data = _dict(data)
    try:
        lines = SignatureBlock.from_dict(data).lines()
    except ContentError:
        lines = [_norm(data.get("position"))]
    name = _norm(data.get("signer_name"))
    return " / ".join([*(line for line in lines if line), *([name] if name else [])])


def _scalar(data: dict[str, Any], name: str) -> str:
    if name == "signature":
        return _signature_text(data.get("signature"))
    if name == "addressees":
        return "; ".join(_texts(data.get(name)))
    if name == "issued_by":
        value = _norm(data.get(name)).lower()
        return ISSUED_BY_LABELS.get(value, value)
    value = data.get(name)
    return "" if value is None else _nfc(value).strip()


def _deadline_texts(value: Any) -> list[str]:
    out = []
    for item in _list(value):
        item = _dict(item)
        text = _norm(item.get("text"))
        due = _norm(item.get("due_date"))
        if due and re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
            year, month, day = due.split("-")
            text = f"{text} (hạn {day}/{month}/{year})"
        if text:
            out.append(text)
    return out


# ---------------------------------------------------------------------------------------------
# Comparing


def compare_contents(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    """What changed from `old` to `new` (two plan contents as stored)."""
    old, new = _dict(old), _dict(new)
    old_blocks, old_tasks = _walk(old)
    new_blocks, new_tasks = _walk(new)
    return Comparison(
        fields=[
            change
            for name, label in SCALAR_FIELDS
            if (change := _text_change(name, label, _scalar(old, name), _scalar(new, name)))
        ],
        legal_bases=diff_items(_texts(old.get("legal_bases")), _texts(new.get("legal_bases"))),
        sections=_compare_blocks(old_blocks, new_blocks),
        tasks=_compare_tasks(old_tasks, new_tasks),
        reporting_deadlines=diff_items(
            _deadline_texts(old.get("reporting_deadlines")),
            _deadline_texts(new.get("reporting_deadlines")),
        ),
        recipients=_compare_recipients(_dict(old.get("recipients")), _dict(new.get("recipients"))),
    )


def _block_score(a: _Block, b: _Block) -> float:
    if a.depth != b.depth:
        return 0.0
    body = similarity(" ".join(a.paragraphs), " ".join(b.paragraphs))
    return 0.6 * similarity(a.title, b.title) + 0.4 * body


def _compare_blocks(old: list[_Block], new: list[_Block]) -> list[SectionChange]:
    changes = []
    pairs = align(
        old,
        new,
        key=lambda b: (b.depth, _key(b.title)),
        score=_block_score,
        threshold=BLOCK_MATCH,
    )
    for i, j in pairs:
        if i is not None and j is not None:
            a, b = old[i], new[j]
            title_change = _text_change("title", "Tiêu đề", a.title, b.title)
            paragraphs = diff_items(a.paragraphs, b.paragraphs)
            if title_change or paragraphs:
                changes.append(
                    SectionChange(CHANGED, b.path, a.path, b.title, title_change, paragraphs)
                )
        elif i is not None:
            a = old[i]
            paragraphs = [ItemChange(REMOVED, p, "", [Segment(DELETE, p)]) for p in a.paragraphs]
            changes.append(SectionChange(REMOVED, a.path, a.path, a.title, None, paragraphs))
        elif j is not None:
            b = new[j]
            paragraphs = [ItemChange(ADDED, "", p, [Segment(INSERT, p)]) for p in b.paragraphs]
            changes.append(SectionChange(ADDED, b.path, "", b.title, None, paragraphs))
    return changes


def _task_score(a: _Task, b: _Task) -> float:
    value = 0.6 * similarity(a.title, b.title) + 0.4 * similarity(a.rest(), b.rest())
    return value + (0.1 if a.path == b.path else 0.0)


def _align_tasks(old: list[_Task], new: list[_Task]) -> list[Pair]:
    pairs = align(old, new, key=lambda t: _key(t.title), score=_task_score, threshold=TASK_MATCH)
    # A task moved to another part of the body: pair what is left when the titles stay close.
    removed = [i for i, j in pairs if j is None]
    moved: dict[int, int] = {}
    for position, (i, j) in enumerate(pairs):
        if i is not None or j is None:
            continue
        best, best_i = TASK_MOVE_MATCH, None
        for candidate in removed:
            if candidate in moved.values():
                continue
            value = max(
                similarity(old[candidate].title, new[j].title),
                _task_score(old[candidate], new[j]),
            )
            if value >= best and (best_i is None or value > best):
                best, best_i = value, candidate
        if best_i is not None:
            moved[position] = best_i
    if not moved:
        return pairs
    taken = set(moved.values())
    out: list[Pair] = []
    for position, (i, j) in enumerate(pairs):
        if position in moved:
            out.append((moved[position], j))
        elif not (j is None and i in taken):
            out.append((i, j))
    return out


def _unit_segments(old: list[_Unit], new: list[_Unit]) -> list[Segment]:
    """Units diffed as whole names, separated by "; "."""
    old_keys = [u.key for u in old]
    new_keys = [u.key for u in new]
    pieces: list[Segment] = []
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.extend(Segment(EQUAL, u.name) for u in new[j1:j2])
            continue
        pieces.extend(Segment(DELETE, u.name) for u in old[i1:i2])
        pieces.extend(Segment(INSERT, u.name) for u in new[j1:j2])
    out: list[Segment] = []
    for index, piece in enumerate(pieces):
        if index:
            out.append(Segment(EQUAL, "; "))
        out.append(piece)
    return out


def _task_field_change(
    name: str, label: str, a: _Task | None, b: _Task | None
) -> TextChange | None:
    old = a.text(name) if a else ""
    new = b.text(name) if b else ""
    if name in ("lead_units", "coordinating_units"):
        old_units = getattr(a, name) if a else []
        new_units = getattr(b, name) if b else []
        if [u.key for u in old_units] == [u.key for u in new_units]:
            return None
        return TextChange(name, label, old, new, _unit_segments(old_units, new_units))
    if _norm(old) == _norm(new):
        return None
    segments = _whole(old, new) if name == "budget_vnd" else word_diff(old, new)
    return TextChange(name, label, old, new, segments)


def _compare_tasks(old: list[_Task], new: list[_Task]) -> list[TaskChange]:
    changes = []
    for i, j in _align_tasks(old, new):
        a = old[i] if i is not None else None
        b = new[j] if j is not None else None
        fields = [
            change
            for name, label in TASK_FIELDS
            if (change := _task_field_change(name, label, a, b))
        ]
        if a is not None and b is not None:
            if fields:
                changes.append(TaskChange(CHANGED, b.path, a.path, b.title, fields))
        elif a is not None:
            details = [f for f in fields if f.field != "title"]
            changes.append(TaskChange(REMOVED, a.path, a.path, a.title, details))
        elif b is not None:
            details = [f for f in fields if f.field != "title"]
            changes.append(TaskChange(ADDED, b.path, "", b.title, details))
    return changes


def _line_key(text: str) -> str:
    return _key(text.strip().lstrip("-–+• "))


def _compare_recipients(old: dict[str, Any], new: dict[str, Any]) -> RecipientChanges:
    old_units, new_units = _units(old.get("units")), _units(new.get("units"))
    old_unit_keys = {u.key for u in old_units}
    new_unit_keys = {u.key for u in new_units}
    old_lines, new_lines = _texts(old.get("lines")), _texts(new.get("lines"))
    old_line_keys = {_line_key(x) for x in old_lines}
    new_line_keys = {_line_key(x) for x in new_lines}
    return RecipientChanges(
        units_added=[u.name for u in new_units if u.key not in old_unit_keys],
        units_removed=[u.name for u in old_units if u.key not in new_unit_keys],
        lines_added=[x for x in new_lines if _line_key(x) not in old_line_keys],
        lines_removed=[x for x in old_lines if _line_key(x) not in new_line_keys],
        archive=_text_change(
            "archive",
            "Lưu",
            _norm(old.get("archive")) or "Lưu: VT.",
            _norm(new.get("archive")) or "Lưu: VT.",
        ),
    )


# ---------------------------------------------------------------------------------------------
# The comparison as a Word file

FONT_NAME = "Times New Roman"
INSERT_COLOR = RGBColor(0x1F, 0x4E, 0xB4)
DELETE_COLOR = RGBColor(0xC0, 0x1B, 0x1B)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def comparison_to_docx(
    comparison: Comparison, *, title: str, old_label: str, new_label: str
) -> bytes:
    """The comparison as a .docx: a summary table first, then each change, insertions underlined
    in blue and deletions struck through in red (Times New Roman throughout)."""
    return _ComparisonWriter(comparison, title, old_label, new_label).render()


def _fonts(rpr: Any) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT_NAME)


class _ComparisonWriter:
    def __init__(self, comparison: Comparison, title: str, old_label: str, new_label: str) -> None:
        self.comparison = comparison
        self.title = title
        self.old_label = old_label
        self.new_label = new_label
        self.document = Document()
        self.heading_number = 0

    def render(self) -> bytes:
        self._setup()
        self._head()
        self._summary()
        comparison = self.comparison
        if comparison.fields:
            self._heading("Thông tin chung")
            for change in comparison.fields:
                self._field(change)
        if comparison.legal_bases:
            self._heading("Căn cứ ban hành")
            for item in comparison.legal_bases:
                self._item(item)
        if comparison.sections:
            self._heading("Nội dung theo từng mục")
            for section in comparison.sections:
                self._section(section)
        if comparison.tasks:
            self._heading("Nhiệm vụ")
            self._tasks()
        if comparison.reporting_deadlines:
            self._heading("Hạn báo cáo")
            for item in comparison.reporting_deadlines:
                self._item(item)
        if not comparison.recipients.is_empty:
            self._heading("Nơi nhận")
            self._recipients()
        return stable_docx(self.document)

    # -- layout ---------------------------------------------------------------------------

    def _setup(self) -> None:
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
        section.top_margin = section.bottom_margin = Cm(2)
        for name in ("Normal", "Table Grid"):
            style = self.document.styles[name]
            style.font.name = FONT_NAME
            _fonts(style.element.get_or_add_rPr())
        normal = self.document.styles["Normal"]
        normal.font.size = Pt(13)
        normal.paragraph_format.space_after = Pt(4)

    def _paragraph(
        self,
        text: str = "",
        *,
        bold: bool = False,
        italic: bool = False,
        align: Any = None,
        container: Any = None,
        size: float | None = None,
    ) -> Paragraph:
        paragraph = (container or self.document).add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if text:
            self._run(paragraph, text, bold=bold, italic=italic, size=size)
        return paragraph

    def _run(
        self,
        paragraph: Paragraph,
        text: str,
        *,
        op: str = EQUAL,
        bold: bool = False,
        italic: bool = False,
        size: float | None = None,
    ) -> None:
        run = paragraph.add_run(text)
        run.font.name = FONT_NAME
        _fonts(run._r.get_or_add_rPr())
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
        if op == INSERT:
            run.font.underline = True
            run.font.color.rgb = INSERT_COLOR
        elif op == DELETE:
            run.font.strike = True
            run.font.color.rgb = DELETE_COLOR

    def _segments(self, paragraph: Paragraph, segments: Iterable[Segment]) -> None:
        for segment in segments:
            for index, line in enumerate(segment.text.split("\n")):
                if index:
                    paragraph.add_run().add_break()
                if line:
                    self._run(paragraph, line, op=segment.op)

    def _heading(self, text: str) -> None:
        self.heading_number += 1
        paragraph = self._paragraph(f"{roman(self.heading_number)}. {text.upper()}", bold=True)
        paragraph.paragraph_format.space_before = Pt(10)
        paragraph.paragraph_format.keep_with_next = True

    def _head(self) -> None:
        center = WD_ALIGN_PARAGRAPH.CENTER
        self._paragraph("BẢN SO SÁNH CÁC PHIÊN BẢN DỰ THẢO", bold=True, align=center, size=14)
        self._paragraph(self.title, bold=True, align=center)
        self._paragraph(f"Từ {self.old_label} đến {self.new_label}", italic=True, align=center)
        legend = self._paragraph(align=center)
        self._run(legend, "Chú thích: ", italic=True, size=11)
        self._run(legend, "phần thêm mới", op=INSERT, size=11)
        self._run(legend, "; ", size=11)
        self._run(legend, "phần bị xóa", op=DELETE, size=11)
        self._run(legend, ".", size=11)

    def _summary(self) -> None:
        summary = self.comparison.summary()
        table = self.document.add_table(rows=1, cols=2)
        table.style = self.document.styles["Table Grid"]
        header = table.rows[0].cells
        self._run(header[0].paragraphs[0], "Nội dung thay đổi", bold=True)
        self._run(header[1].paragraphs[0], "Số lượng", bold=True)
        rows = [(label, str(count)) for label, count in summary.items()]
        if not rows:
            rows = [("Không có thay đổi: hai phiên bản có nội dung giống nhau", "0")]
        for label, count in rows:
            cells = table.add_row().cells
            self._run(cells[0].paragraphs[0], label)
            cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            self._run(cells[1].paragraphs[0], count)
        _widths(table, (Cm(13), Cm(4)))

    def _field(self, change: TextChange, container: Any = None) -> None:
        paragraph = self._paragraph(container=container)
        self._run(paragraph, f"{change.label}: ", bold=True)
        self._segments(paragraph, change.segments)

    def _item(self, item: ItemChange) -> None:
        paragraph = self._paragraph()
        self._run(paragraph, f"[{item.kind_label}] ", italic=True, size=11)
        self._segments(paragraph, item.segments)

    def _section(self, section: SectionChange) -> None:
        where = path_label(section.path)
        if section.kind == CHANGED and section.old_path != section.path:
            where += f" (trước là {path_label(section.old_path)})"
        heading = self._paragraph(bold=False)
        heading.paragraph_format.keep_with_next = True
        self._run(heading, where, bold=True)
        if section.title:
            self._run(heading, f" — {section.title}", bold=True)
        if section.kind != CHANGED:
            self._run(heading, f" ({section.kind_label.lower()})", italic=True)
        if section.title_change:
            self._field(section.title_change)
        for item in section.paragraphs:
            self._item(item)

    def _tasks(self) -> None:
        table = self.document.add_table(rows=1, cols=4)
        table.style = self.document.styles["Table Grid"]
        for cell, text in zip(
            table.rows[0].cells, ("Mục", "Nhiệm vụ", "Thay đổi", "Chi tiết"), strict=True
        ):
            self._run(cell.paragraphs[0], text, bold=True, size=12)
        for task in self.comparison.tasks:
            cells = table.add_row().cells
            path = task.path
            if task.is_moved:
                path += f" (trước là {task.old_path})"
            self._run(cells[0].paragraphs[0], path, size=12)
            op = {ADDED: INSERT, REMOVED: DELETE}.get(task.kind, EQUAL)
            self._run(cells[1].paragraphs[0], task.title, op=op, size=12)
            self._run(cells[2].paragraphs[0], task.kind_label, size=12)
            first = True
            for change in task.fields:
                paragraph = cells[3].paragraphs[0] if first else cells[3].add_paragraph()
                first = False
                self._run(paragraph, f"{change.label}: ", bold=True, size=12)
                self._segments(paragraph, change.segments)
        _widths(table, (Cm(1.8), Cm(5.2), Cm(2.2), Cm(7.8)))

    def _recipients(self) -> None:
        recipients = self.comparison.recipients
        added = [*recipients.units_added, *recipients.lines_added]
        removed = [*recipients.units_removed, *recipients.lines_removed]
        if added:
            paragraph = self._paragraph()
            self._run(paragraph, "Thêm: ", bold=True)
            self._segments(paragraph, _listed(added, INSERT))
        if removed:
            paragraph = self._paragraph()
            self._run(paragraph, "Bỏ: ", bold=True)
            self._segments(paragraph, _listed(removed, DELETE))
        if recipients.archive:
            self._field(recipients.archive)


def _widths(table: Any, widths: Sequence[Any]) -> None:
    """Column widths that both Word (cell widths) and LibreOffice (the grid) follow."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _listed(names: list[str], op: str) -> list[Segment]:
    out: list[Segment] = []
    for index, name in enumerate(names):
        if index:
            out.append(Segment(EQUAL, "; "))
        out.append(Segment(op, name))
    return out
