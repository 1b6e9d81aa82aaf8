"""Our own flow nodes.

`FanOut`: a parallel gateway whose branches are known only at run time: one task per consulted
agency. viewflow's core `Split` has a fixed set of branches (its `data_source` is a PRO feature),
so this node asks the flow for a list of items and creates one child task per item, each with its
own token under the fan-out's prefix, so that an ordinary `Join` waits for all of them.

`Step`: a human task that goes on where its outcome points (approved → next step, returned →
revision) without a gateway task, and records the tasks it opens (`tasks_opened_record`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Edge, Node
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.flow import View
from viewflow.workflow.flow import mixins as flow_mixins
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.nodes import Split, mixins
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.token import Token


class FanOutActivation(Activation):
    """Computes the items once, keeps them in task.data, then creates one child per item."""

    @Activation.status.super()
    def activate(self) -> None:
        items = list(self.flow_task._items(self))
        if not items and self.flow_task._if_none is None:
            raise FlowRuntimeError(f"{self.flow_task.name}: no branches and no IfNone path")
        self.task.data = {"items": items}

    @Activation.status.super()
    def create_next(self) -> Any:
        items = self.task.data["items"]
        if not items:
            yield self.flow_task._if_none._create(self, self.task.token)
            return
        tokens = Token.split_token_source(self.task.token, self.task.pk)
        for item in items:
            yield self.flow_task._next._create(self, next(tokens), data=item)


class FanOut(flow_mixins.NodeDetailMixin, mixins.NextNodeMixin, Node):
    """`FanOut(this.items).IfNone(this.skip).Next(this.branch_task)`; branches meet at a Join."""

    activation_class = FanOutActivation
    task_type = "PARALLEL_GATEWAY"
    shape = Split.shape
    bpmn_element = "parallelGateway"
    index_view_class = flow_views.IndexTaskView
    detail_view_class = flow_views.DetailTaskView

    def __init__(self, items: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._items = items
        self._if_none: Any = None

    def IfNone(self, node: Any) -> FanOut:  # noqa: N802 - viewflow's builder style
        self._if_none = node
        return self

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._items = this.resolve(instance, self._items)
        self._if_none = this.resolve(instance, self._if_none)

    def _outgoing(self) -> Any:
        yield from super()._outgoing()
        if self._if_none is not None:
            yield Edge(src=self, dst=self._if_none, edge_class="default")


# ---------------------------------------------------------------------------------------------
# A human task that goes on where its outcome points, and tells who completes it what it opened


#: The human tasks opened since `tasks_opened_record()` began, in this thread (or request).
_opened: ContextVar[list[Any] | None] = ContextVar("workflow_tasks_opened", default=None)


@contextmanager
def tasks_opened_record() -> Iterator[list[Any]]:
    """Collect the human tasks (`Step`s) created inside the block, in creation order."""
    opened: list[Any] = []
    token = _opened.set(opened)
    try:
        yield opened
    finally:
        _opened.reset(token)


class StepActivation(ViewActivation):
    """A `Step`'s activation: records the task it opens; after completion, creates the task of
    the first branch whose condition holds, else of `Next`."""

    @classmethod
    def create(
        cls, flow_task: Any, prev_activation: Any, token: Any, data: Any = None, seed: Any = None
    ) -> Any:
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        opened = _opened.get()
        if opened is not None:
            opened.append(activation.task)
        return activation

    @Activation.status.super()
    def create_next(self) -> Any:
        node = self.flow_task._next
        for condition, branch in self.flow_task._branches:
            if condition(self):
                node = branch
                break
        if node is not None:
            yield node._create(self, self.task.token)


class Step(View):
    """A human task (viewflow's `View`) whose next node depends on how it ended.

    `Step(view).Next(this.approved_path).Branch(condition, this.other_path)`: after completion the
    first branch whose `condition(activation)` holds is taken, else `Next`. One task row per
    step, where an `If` gateway after the task would add a gateway task (three more statements,
    and a read of the plan) to every completion.
    """

    activation_class = StepActivation

    def __init__(self, view: Any, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self._branches: list[tuple[Any, Any]] = []

    def Branch(self, condition: Any, node: Any) -> Step:  # noqa: N802 - viewflow's builder style
        self._branches.append((condition, node))
        return self

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._branches = [
            (this.resolve(instance, condition), this.resolve(instance, node))
            for condition, node in self._branches
        ]

    def _outgoing(self) -> Any:
        yield from super()._outgoing()
        for _condition, node in self._branches:
            yield Edge(src=self, dst=node, edge_class="cond_true")
