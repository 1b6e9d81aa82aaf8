"""A page's words with their boxes (a PDF's text layer or OCR) as the lines a reader works on.

Words are gathered into rows (one printed line across the page), rows into paragraphs (a line
that fills the measure and a next one starting at the left margin are one paragraph), and the
two-column areas of an administrative document (the header: issuing body beside the national
motto; the footer: "Nơi nhận" beside the signature) into a two-cell table, as a Word file has
them, so that the readers see the same thing whatever the file. Page numbers are left out.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .grid import Grid, Region
from .lines import Cell, Line, Table

#: A gap wider than this many line heights between two words splits a row into columns.
COLUMN_GAP = 2.0
#: A column area goes on across a vertical gap of up to this many line heights (the space left
#: for the signature between the signer's position and name).
ZONE_GAP = 9.0
_PAGE_NUMBER = re.compile(r"^[-–\s]*\d{1,3}[-–\s]*$")
_MARKER = re.compile(r"^(?:[IVXLivxl]+\.|\d+(?:\.\d+)*\.|[a-zđ]\)|[-–+•*])\s")


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    bold: bool = False
    confidence: float | None = None  # OCR's, 0-100

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Page:
    """A page's size and words; `fragments` are words already known to share a line; `grids`
    the ruled tables drawn on it."""

    width: float
    height: float
    fragments: list[list[Word]] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)


@dataclass
class Segment:
    """Words of a row that belong together (a column's part of the row)."""

    words: list[Word]

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bold(self) -> bool:
        return all(w.bold for w in self.words)


@dataclass
class Row:
    words: list[Word]
    segments: list[Segment] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def line_height(self) -> float:
        return statistics.median(w.height for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


@dataclass
class Measure:
    """The text area of the pages: left and right margins, and a line's height."""

    left: float
    right: float
    line_height: float

    @property
    def center(self) -> float:
        return (self.left + self.right) / 2

    @property
    def width(self) -> float:
        return self.right - self.left


# ---------------------------------------------------------------------------------------------
# Rows


def page_rows(page: Page, fragments: list[list[Word]] | None = None) -> list[Row]:
    """The page's rows (of `fragments`, by default all its words), top to bottom, each cut into
    segments at wide gaps; page numbers left out."""
    rows = rows_of(page.fragments if fragments is None else fragments)
    return [row for row in rows if not _is_page_number(row, page)]


def rows_of(fragments: list[list[Word]]) -> list[Row]:
    rows: list[Row] = []
    for fragment in sorted(fragments, key=lambda f: min(w.top for w in f)):
        row = _row_of(rows[-3:], fragment)
        if row is None:
            rows.append(Row(list(fragment)))
        else:
            row.words.extend(fragment)
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
        row.segments = _segments(row)
    rows.sort(key=lambda r: r.top)
    return rows


def _row_of(rows: Sequence[Row], fragment: list[Word]) -> Row | None:
    """The row among the last ones that `fragment` shares a printed line with."""
    top = min(w.top for w in fragment)
    bottom = max(w.bottom for w in fragment)
    for row in reversed(rows):
        overlap = min(bottom, row.bottom) - max(top, row.top)
        if overlap > 0.5 * min(bottom - top, row.bottom - row.top):
            return row
    return None


def _segments(row: Row) -> list[Segment]:
    gap = COLUMN_GAP * row.line_height
    segments = [Segment([row.words[0]])]
    for word in row.words[1:]:
        if word.x0 - segments[-1].x1 > gap:
            segments.append(Segment([word]))
        else:
            segments[-1].words.append(word)
    return segments


def _is_page_number(row: Row, page: Page) -> bool:
    at_edge = row.bottom < 0.1 * page.height or row.top > 0.9 * page.height
    return at_edge and len(row.segments) == 1 and bool(_PAGE_NUMBER.match(row.text))


def measure_of(rows: Sequence[Row]) -> Measure:
    """The margins most rows start and end at."""
    if not rows:
        return Measure(0.0, 1.0, 1.0)
    starts = sorted(r.x0 for r in rows)
    ends = sorted(r.x1 for r in rows)
    return Measure(
        left=starts[len(starts) // 10],
        right=ends[(len(ends) * 9) // 10],
        line_height=statistics.median(r.line_height for r in rows),
    )


# ---------------------------------------------------------------------------------------------
# Two-column areas


@dataclass
class Zone:
    """Rows read as two columns: the left one ends at `left_end`, the right one starts at
    `right_start`."""

    right_start: float
    left_end: float
    rows: list[Row] = field(default_factory=list)

    def is_right(self, segment: Segment) -> bool:
        return segment.x1 > self.right_start + 1.0

    def add(self, row: Row) -> None:
        self.rows.append(row)
        for segment in row.segments:
            if self.is_right(segment):
                self.right_start = min(self.right_start, segment.x0)
            else:
                self.left_end = max(self.left_end, segment.x1)


def zones(rows: Sequence[Row], measure: Measure) -> dict[int, Zone]:
    """The two-column areas, by the index of their first row: a row with two segments, one on
    each side of the page's middle area, and the rows under it that stay within the columns."""
    found: dict[int, Zone] = {}
    index = 0
    while index < len(rows):
        columns = _columns_of(rows[index], measure)
        if columns is None:
            index += 1
            continue
        first = index
        zone = Zone(right_start=columns[1], left_end=columns[0], rows=[rows[index]])
        index += 1
        while index < len(rows) and _stays_in(zone, rows[index], measure):
            zone.add(rows[index])
            index += 1
        found[first] = zone
    return found


def _columns_of(row: Row, measure: Measure) -> tuple[float, float] | None:
    """Where the left column of a two-column row ends and the right one starts: at its widest
    gap, when that gap is in the page's middle third or so."""
    segments = [s for s in row.segments if sum(c.isalnum() for c in s.text) >= 2]  # not specks
    if len(segments) < 2:
        return None
    gaps = [(b.x0 - a.x1, a.x1, b.x0) for a, b in itertools.pairwise(segments)]
    _width, left_end, right_start = max(gaps)
    middle = (left_end + right_start) / 2
    third = measure.width / 3
    if measure.left + 0.5 * third < middle < measure.right - 0.5 * third:
        return left_end, right_start
    return None


def _stays_in(zone: Zone, row: Row, measure: Measure) -> bool:
    previous = zone.rows[-1]
    if row.top - previous.bottom > ZONE_GAP * measure.line_height:
        return False
    margin = measure.line_height
    for segment in row.segments:
        if segment.x0 < zone.left_end - margin and segment.x1 > zone.right_start + margin:
            return False  # a line across both columns
    return not (len(row.segments) == 1 and _page_centred(row.segments[0], measure))


def _page_centred(segment: Segment, measure: Measure) -> bool:
    return abs(segment.center - measure.center) < 0.04 * measure.width


def zone_cells(zone: Zone) -> tuple[list[str], list[str], list[bool], list[bool]]:
    """The texts of the left and right column, one per printed line, and their boldness."""
    left: list[str] = []
    right: list[str] = []
    left_bold: list[bool] = []
    right_bold: list[bool] = []
    for row in zone.rows:
        for segment in row.segments:
            target, bold = (right, right_bold) if zone.is_right(segment) else (left, left_bold)
            target.append(segment.text)
            bold.append(segment.bold)
    return left, right, left_bold, right_bold


# ---------------------------------------------------------------------------------------------
# Ruled tables


@dataclass
class TableBlock:
    """A ruled table of a page and the words in each of its cells."""

    grid: Grid
    words: dict[int, list[Word]] = field(default_factory=dict)  # region index → words

    @property
    def top(self) -> float:
        return self.grid.top


def split_tables(page: Page) -> tuple[list[list[Word]], list[TableBlock]]:
    """The page's words outside its ruled tables (as fragments), and the tables with theirs."""
    blocks = [TableBlock(grid) for grid in page.grids]
    outside: list[list[Word]] = []
    for fragment in page.fragments:
        rest = [word for word in fragment if not _into_table(word, blocks)]
        if rest:
            outside.append(rest)
    return outside, [block for block in blocks if block.words]


def _into_table(word: Word, blocks: list[TableBlock]) -> bool:
    x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    for block in blocks:
        if block.grid.contains(x, y):
            region = block.grid.region_at(x, y)
            if region is not None:
                block.words.setdefault(block.grid.regions.index(region), []).append(word)
            return True
    return False


def cell_paragraphs(words: list[Word], right: float) -> list[tuple[str, bool]]:
    """A cell's words as paragraphs (text, bold): a printed line goes on with the one above
    when it starts in lower case, or when its first word would not have fitted above."""
    out: list[tuple[str, bool]] = []
    previous: Row | None = None
    for row in rows_of([[w] for w in words]):
        text = " ".join(w.text for w in row.words)
        bold = all(w.bold for w in row.words)
        if previous is not None and _wraps(previous, row, right, out[-1][0]):
            out[-1] = (f"{out[-1][0]} {text}", out[-1][1] and bold)
        else:
            out.append((text, bold))
        previous = row
    return out


def _wraps(previous: Row, row: Row, right: float, above: str) -> bool:
    first = row.words[0]
    if first.text[:1].isalpha() and first.text[:1].islower():
        return True
    filled = right - previous.x1 < (first.x1 - first.x0) + 0.8 * row.line_height
    text = " ".join(w.text for w in row.words)
    return filled and not (_MARKER.match(text) and above.endswith((".", ";", ":")))


# ---------------------------------------------------------------------------------------------
# Lines


class LineBuilder:
    """Rows and tables of every page, in order, to lines and tables."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.tables: dict[int, Table] = {}
        self._open: Line | None = None  # the paragraph the next row may continue
        self._open_row: Row | None = None
        self._grid: tuple[int, Grid] | None = None  # the last ruled table, while nothing follows
        self._region_lines: dict[tuple[int, int], list[Line]] = {}  # a merged cell's lines

    def add_page(self, rows: list[Row], blocks: list[TableBlock], measure: Measure) -> None:
        """A page: runs of rows (paragraphs and two-column areas) between its tables."""
        run: list[Row] = []
        for item in sorted([*rows, *blocks], key=lambda item: item.top):
            if isinstance(item, TableBlock):
                self._rows(run, measure)
                run = []
                self._table(item)
            else:
                run.append(item)
        self._rows(run, measure)

    def _rows(self, rows: list[Row], measure: Measure) -> None:
        areas = zones(rows, measure)
        index = 0
        while index < len(rows):
            self._grid = None
            if index in areas:
                self._zone(areas[index])
                index += len(areas[index].rows)
                continue
            self._row(rows[index], measure)
            index += 1

    def _zone(self, zone: Zone) -> None:
        self._open = None
        table = len(self.tables)
        left, right, left_bold, right_bold = zone_cells(zone)
        cells = []
        for column, (texts, bolds) in enumerate(((left, left_bold), (right, right_bold))):
            lines = [
                Line(
                    text, bold=bold, centered=True, in_table=True, table=table, row=0, column=column
                )
                for text, bold in _cell_paragraphs(texts, bolds)
            ]
            self.lines.extend(lines)
            cells.append(Cell(column=column, span=1, lines=lines))
        self.tables[table] = Table(rows=[cells])

    def _row(self, row: Row, measure: Measure) -> None:
        text = row.text
        if self._open is not None and self._continues(row, measure):
            self._open.text = f"{self._open.text} {text}"
            self._open.bold = self._open.bold and all(s.bold for s in row.segments)
        else:
            self._open = Line(
                text,
                bold=all(s.bold for s in row.segments),
                centered=_centred(row, measure),
            )
            self.lines.append(self._open)
        self._open_row = row

    def _continues(self, row: Row, measure: Measure) -> bool:
        """The row goes on with the paragraph above: that one filled the measure, this one
        starts at the left margin and is not a new item."""
        previous = self._open_row
        open_line = self._open
        if previous is None or open_line is None or open_line.centered:
            return False
        if previous.x0 > measure.left + 0.25 * measure.width:
            return False  # a line in the right half (a signature): not a paragraph's line
        # Wrapped: the row's first word would not have fitted at the end of the row above.
        first = row.words[0]
        filled = measure.right - previous.x1 < (first.x1 - first.x0) + 0.4 * measure.line_height
        at_margin = row.x0 <= measure.left + 0.6 * measure.line_height
        if not (filled and at_margin) or _centred(row, measure):
            return False
        return not (_MARKER.match(row.text) and open_line.text.endswith((".", ";", ":")))

    # -- ruled tables ---------------------------------------------------------------------

    def _table(self, block: TableBlock) -> None:
        """A ruled table; one that goes on from the previous page (same columns, nothing in
        between) continues that table: its repeated header row left out, a row broken by the
        page joined to its first half."""
        self._open = None
        grid = block.grid
        index, continuing = self._table_start(grid)
        table = self.tables[index]
        for band in range(len(grid.ys) - 1):
            cells = self._band(block, band, index, len(table.rows))
            if continuing and band == 0 and _same_texts(cells, table.rows[0]):
                self._drop_band(cells)
                continue
            if continuing and _goes_on(cells, table.rows[-1]):
                _join_row(cells, table.rows[-1], row=len(table.rows) - 1)
            else:
                table.rows.append(cells)
            continuing = False
        self._grid = (index, grid)

    def _table_start(self, grid: Grid) -> tuple[int, bool]:
        """The table `grid` adds rows to, and whether it continues one."""
        if self._grid is not None and _same_columns(self._grid[1], grid):
            return self._grid[0], True
        index = len(self.tables)
        self.tables[index] = Table()
        return index, False

    def _band(self, block: TableBlock, band: int, table: int, row: int) -> list[Cell]:
        cells: list[Cell] = []
        for number, region in enumerate(block.grid.regions):
            if not region.row <= band < region.row_end:
                continue
            span = region.column_end - region.column
            if region.row < band:
                above = self._region_lines.get((table, id(region)), [])
                cells.append(Cell(region.column, span, above, is_continuation=True))
                continue
            lines = self._region(block, number, region, table, row)
            cells.append(Cell(region.column, span, lines))
        return sorted(cells, key=lambda c: c.column)

    def _region(
        self, block: TableBlock, number: int, region: Region, table: int, row: int
    ) -> list[Line]:
        words = block.words.get(number, [])
        right = block.grid.xs[region.column_end]
        lines = [
            Line(text, bold=bold, in_table=True, table=table, row=row, column=region.column)
            for text, bold in cell_paragraphs(words, right)
        ]
        self.lines.extend(lines)
        self._region_lines[(table, id(region))] = lines
        return lines

    def _drop_band(self, cells: list[Cell]) -> None:
        dropped = {id(line) for cell in cells if not cell.is_continuation for line in cell.lines}
        self.lines = [line for line in self.lines if id(line) not in dropped]


def _goes_on(cells: list[Cell], above: list[Cell]) -> bool:
    """The first row on a page is the rest of the last row of the page before: its first cell
    (the number) is empty where the row above has one."""
    first = next((c for c in cells if c.column == 0), None)
    first_above = next((c for c in above if c.column == 0), None)
    return (
        first is not None
        and first_above is not None
        and not first.text.strip()
        and bool(first_above.text.strip())
        and any(c.text.strip() for c in cells)
    )


def _join_row(cells: list[Cell], above: list[Cell], *, row: int) -> None:
    by_column = {c.column: c for c in above}
    for cell in cells:
        target = by_column.get(cell.column)
        if target is None or cell.is_continuation:
            continue
        for line in cell.lines:
            line.row = row
        if target.lines and cell.lines and not target.is_continuation:
            # One paragraph broken by the page: "… cho các doanh nghiệp," / "nhất là …".
            last = target.lines[-1]
            first = cell.lines[0]
            if first.text[:1].islower():
                last.text = f"{last.text} {first.text}"
                first.text = ""
        target.lines.extend(line for line in cell.lines if line.text)


def _same_columns(a: Grid, b: Grid) -> bool:
    return len(a.xs) == len(b.xs) and all(abs(x - y) < 3.0 for x, y in zip(a.xs, b.xs, strict=True))


def _same_texts(cells: list[Cell], header: list[Cell]) -> bool:
    texts = [c.text for c in cells if not c.is_continuation]
    return bool(texts) and texts == [c.text for c in header if not c.is_continuation]


def _centred(row: Row, measure: Measure) -> bool:
    """A centred line: not the full measure, and as far from both margins."""
    if len(row.segments) != 1:
        return False
    narrower = row.x1 - row.x0 < 0.85 * measure.width
    indent = row.x0 - measure.left
    middle = (row.x0 + row.x1) / 2
    return (
        narrower
        and indent > measure.line_height
        and abs(middle - measure.center) < (0.04 * measure.width)
    )


def _cell_paragraphs(texts: list[str], bolds: list[bool]) -> list[tuple[str, bool]]:
    """A column's printed lines as paragraphs: a line starting in lower case goes on with the
    one above ("- Các Sở, ban, ngành," / "đoàn thể tỉnh;"), so does one starting with a number
    under a line that does not end a sentence ("…, ngày 28 tháng" / "11 năm 2025")."""
    out: list[tuple[str, bool]] = []
    for text, bold in zip(texts, bolds, strict=True):
        first = text[:1]
        lower = first.isalpha() and first.islower()
        number = first.isdigit() and bool(out) and not out[-1][0].endswith((".", ";", ":"))
        if out and (lower or number):
            previous, previous_bold = out[-1]
            out[-1] = (f"{previous} {text}", previous_bold and bold)
        else:
            out.append((text, bold))
    return out


def page_lines(pages: Sequence[Page]) -> tuple[list[Line], dict[int, Table]]:
    """The lines and tables of `pages`, in reading order."""
    split = [split_tables(page) for page in pages]
    rows = [page_rows(page, outside) for page, (outside, _blocks) in zip(pages, split, strict=True)]
    measure = measure_of([row for page in rows for row in page])
    builder = LineBuilder()
    for page_rows_, (_outside, blocks) in zip(rows, split, strict=True):
        builder.add_page(page_rows_, blocks, measure)
    return [line for line in builder.lines if line.text], builder.tables
