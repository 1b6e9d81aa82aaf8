"""Ruled tables found in a page's picture: the horizontal and vertical lines drawn on the page,
joined where they cross into grids of rows and columns, with merged cells where a border is
missing. Works on a scan as on a page rendered from a PDF's text layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A pixel darker than this (0-255) is ink.
INK = 170
#: Borders are at least this long, in points: a table's column or row, not a letter's stroke.
MIN_BORDER_POINTS = 12.0
#: A horizontal border is at least this share of the page's width.
MIN_RULE_SHARE = 0.06


@dataclass
class Rule:
    """A drawn line, in points: horizontal (`at` is y, from `start` to `end` along x) or
    vertical (`at` is x)."""

    at: float
    start: float
    end: float

    def covers(self, start: float, end: float) -> float:
        """The share of [start, end] this rule runs along."""
        if end <= start:
            return 0.0
        return max(0.0, min(self.end, end) - max(self.start, start)) / (end - start)


@dataclass
class Region:
    """A cell of a grid, merged cells as one: rows and columns it spans (end excluded)."""

    row: int
    column: int
    row_end: int
    column_end: int


@dataclass
class Grid:
    """A ruled table: its column (`xs`) and row (`ys`) borders in points, and its cells."""

    xs: list[float]
    ys: list[float]
    regions: list[Region] = field(default_factory=list)

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    def contains(self, x: float, y: float) -> bool:
        return self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]

    def region_at(self, x: float, y: float) -> Region | None:
        for region in self.regions:
            if (
                self.xs[region.column] <= x <= self.xs[region.column_end]
                and self.ys[region.row] <= y <= self.ys[region.row_end]
            ):
                return region
        return None


def find_grids(image: Any, points_per_pixel: float) -> list[Grid]:
    """The ruled tables of a page picture (a grey PIL image), in points."""
    from PIL import Image

    ink = image.convert("L").point(lambda value: 1 if value < INK else 0)
    width = ink.width
    min_h = max(MIN_BORDER_POINTS / points_per_pixel, MIN_RULE_SHARE * width)
    min_v = MIN_BORDER_POINTS / points_per_pixel
    horizontal = _merge(_runs(ink, min_h), points_per_pixel)
    vertical = _merge(_runs(ink.transpose(Image.Transpose.TRANSPOSE), min_v), points_per_pixel)
    return [
        grid
        for component in _components(horizontal, vertical, 2 * points_per_pixel + 1.0)
        if (grid := _grid(*component)) is not None
    ]


def _runs(ink: Any, min_length: float) -> list[Rule]:
    """Runs of ink along each pixel row of `ink` (0/1 values) at least `min_length` long."""
    import re

    run = re.compile(b"\x01{%d,}" % max(1, int(min_length)))
    data = ink.tobytes()
    width = ink.width
    rules = []
    for row in range(ink.height):
        line = data[row * width : (row + 1) * width]
        if b"\x01" not in line:
            continue
        rules.extend(Rule(float(row), float(m.start()), float(m.end())) for m in run.finditer(line))
    return rules


def _merge(rules: list[Rule], points_per_pixel: float) -> list[Rule]:
    """Runs on neighbouring pixel rows that overlap as one rule (a line a few pixels thick),
    in points."""
    merged: list[list[Rule]] = []
    for rule in sorted(rules, key=lambda r: (r.at, r.start)):
        for group in reversed(merged[-8:]):
            last = group[-1]
            if rule.at - last.at <= 1.5 and rule.covers(last.start, last.end) > 0.5:
                group.append(rule)
                break
        else:
            merged.append([rule])
    scale = points_per_pixel
    return [
        Rule(
            scale * sum(r.at for r in group) / len(group) + scale / 2,
            scale * min(r.start for r in group),
            scale * max(r.end for r in group),
        )
        for group in merged
        if len(group) <= max(3, 4 / points_per_pixel)  # thicker is a filled area, not a line
    ]


def _crosses(h: Rule, v: Rule, tolerance: float) -> bool:
    return (
        h.start - tolerance <= v.at <= h.end + tolerance
        and v.start - tolerance <= h.at <= v.end + tolerance
    )


def _components(
    horizontal: list[Rule], vertical: list[Rule], tolerance: float
) -> list[tuple[list[Rule], list[Rule], float]]:
    """Rules that cross one another, grouped: one group a table."""
    parent = list(range(len(horizontal) + len(vertical)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical):
            if _crosses(h, v, tolerance):
                parent[find(i)] = find(len(horizontal) + j)
    groups: dict[int, tuple[list[Rule], list[Rule], float]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(find(i), ([], [], tolerance))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(find(len(horizontal) + j), ([], [], tolerance))[1].append(v)
    return list(groups.values())


def _positions(rules: list[Rule], tolerance: float) -> list[float]:
    positions: list[float] = []
    for at in sorted(r.at for r in rules):
        if positions and at - positions[-1] <= tolerance:
            continue
        positions.append(at)
    return positions


def _grid(horizontal: list[Rule], vertical: list[Rule], tolerance: float) -> Grid | None:
    """The grid of crossing rules: at least two rows' borders and two columns' borders."""
    ys = _positions(horizontal, 2 * tolerance)
    xs = _positions(vertical, 2 * tolerance)
    if len(ys) < 2 or len(xs) < 2:
        return None
    grid = Grid(xs=xs, ys=ys)
    grid.regions = _regions(grid, horizontal, vertical, tolerance)
    return grid


def _border(rules: list[Rule], at: float, start: float, end: float, tolerance: float) -> bool:
    """A drawn border at `at` along most of [start, end]."""
    return any(abs(r.at - at) <= 2 * tolerance and r.covers(start, end) > 0.6 for r in rules)


def _regions(
    grid: Grid, horizontal: list[Rule], vertical: list[Rule], tolerance: float
) -> list[Region]:
    """The cells: a grid cell joins its left neighbour when no border stands between them, and
    the cell above when no border runs over it."""
    xs, ys = grid.xs, grid.ys
    owner: dict[tuple[int, int], Region] = {}
    regions: list[Region] = []
    for row in range(len(ys) - 1):
        for column in range(len(xs) - 1):
            top, bottom = ys[row], ys[row + 1]
            left, right = xs[column], xs[column + 1]
            if column and not _border(vertical, left, top, bottom, tolerance):
                region = owner[(row, column - 1)]
                region.column_end = max(region.column_end, column + 1)
            elif row and not _border(horizontal, top, left, right, tolerance):
                region = owner[(row - 1, column)]
                region.row_end = max(region.row_end, row + 1)
            else:
                region = Region(row, column, row + 1, column + 1)
                regions.append(region)
            owner[(row, column)] = region
    return regions


# ---------------------------------------------------------------------------------------------
# Skew


#: The angles (degrees) a scanned page is tried at, and the largest one corrected.
MAX_SKEW = 3.0
SKEW_STEP = 0.1


def skew_angle(image: Any) -> float:
    """The angle (degrees, counter-clockwise) that makes the printed lines of a page picture
    horizontal: the one whose rows are most unequal in ink (lines of text and white between
    them), tried on a reduced copy, coarse then fine."""
    from PIL import Image

    small = image.convert("L")
    scale = max(1, small.width // 600)
    small = small.reduce(scale) if scale > 1 else small
    small = small.point(lambda value: 255 if value < INK else 0)  # ink white on black

    def spread(angle: float) -> float:
        turned = small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
        mean = sum(rows) / len(rows)
        return sum((r - mean) ** 2 for r in rows)

    coarse = [i * 0.5 for i in range(int(-MAX_SKEW * 2), int(MAX_SKEW * 2) + 1)]
    best = max(coarse, key=spread)
    fine = [best + i * SKEW_STEP for i in range(-5, 6)]
    return max(fine, key=spread)


def deskewed(image: Any) -> Any:
    """The page picture turned straight (when it is off by a tenth of a degree or more)."""
    from PIL import Image

    angle = skew_angle(image)
    if abs(angle) < SKEW_STEP:
        return image
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
