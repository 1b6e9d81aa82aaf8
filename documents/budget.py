"""Budget lines and their review by Sở Tài chính (thẩm định kinh phí, line by line).

Pure module: no models. A budget line is a task of the content with an amount (`Task.budget_vnd`);
it is named by its `index` among all the content's tasks (`PlanContent.all_tasks()`, the order of
the plan page's task table, 0-based). The finance reviewer agrees with each line, adjusts it (a new
amount and a reason) or questions it (a reason); `ReviewedLine` keeps the line as it was reviewed,
so a later edit of the same task is recognised (`applies_to`) and not shown as reviewed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .content import PlanContent, Task

AGREE, ADJUST, QUESTION = "agree", "adjust", "question"
VERDICTS = (AGREE, ADJUST, QUESTION)


@dataclass(frozen=True)
class BudgetLine:
    """One task with an amount, as the content says."""

    index: int
    title: str
    amount_vnd: int
    lead_units: str = ""
    source: str = ""


@dataclass(frozen=True)
class ReviewedLine:
    """The finance reviewer's verdict on one budget line."""

    index: int
    title: str
    amount_vnd: int
    verdict: str = AGREE
    adjusted_vnd: int | None = None
    reason: str = ""

    @property
    def is_adjusted(self) -> bool:
        return self.verdict == ADJUST and self.adjusted_vnd is not None

    @property
    def is_questioned(self) -> bool:
        return self.verdict == QUESTION

    @property
    def reviewed_vnd(self) -> int:
        """The amount after review: the adjusted one where adjusted."""
        return (
            self.adjusted_vnd
            if self.is_adjusted and self.adjusted_vnd is not None
            else (self.amount_vnd)
        )

    def applies_to(self, task: Task) -> bool:
        """Is `task` still the line that was reviewed (same title, same amount)?"""
        return task.title == self.title and task.budget_vnd == self.amount_vnd

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewedLine:
        return cls(
            index=int(data["index"]),
            title=str(data.get("title", "")),
            amount_vnd=int(data["amount_vnd"]),
            verdict=str(data.get("verdict", AGREE)),
            adjusted_vnd=None if data.get("adjusted_vnd") is None else int(data["adjusted_vnd"]),
            reason=str(data.get("reason", "")),
        )


def budget_lines(content: PlanContent) -> list[BudgetLine]:
    """Every task of `content` with an amount, by its index among all tasks."""
    return [
        BudgetLine(
            index=index,
            title=task.title,
            amount_vnd=task.budget_vnd,
            lead_units="; ".join(unit.name for unit in task.lead_units),
            source=task.budget_source,
        )
        for index, task in enumerate(content.all_tasks())
        if task.budget_vnd is not None
    ]


@dataclass(frozen=True)
class ReviewedFigures:
    """A content's budget as reviewed: each task's reviewed line (by index, where it still
    applies) and the totals before and after review."""

    lines: dict[int, ReviewedLine]
    total_vnd: int
    reviewed_total_vnd: int

    @property
    def is_adjusted(self) -> bool:
        return self.total_vnd != self.reviewed_total_vnd or any(
            line.is_adjusted for line in self.lines.values()
        )


def reviewed_figures(content: PlanContent, review: list[ReviewedLine]) -> ReviewedFigures:
    """The figures of `content` under `review` (lines that no longer match the content count at
    their current amount, unreviewed)."""
    tasks = content.all_tasks()
    lines: dict[int, ReviewedLine] = {}
    for line in review:
        if 0 <= line.index < len(tasks) and line.applies_to(tasks[line.index]):
            lines[line.index] = line
    total = sum(task.budget_vnd or 0 for task in tasks)
    reviewed = sum(
        lines[i].reviewed_vnd if i in lines else (task.budget_vnd or 0)
        for i, task in enumerate(tasks)
    )
    return ReviewedFigures(lines=lines, total_vnd=total, reviewed_total_vnd=reviewed)
