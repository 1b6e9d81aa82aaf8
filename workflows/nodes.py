"""A parallel gateway whose branches are known only at run time: one task per consulted agency.

viewflow's core `Split` has a fixed set of branches (its `data_source` is a PRO feature), so this
node asks the flow for a list of items and creates one child task per item, each with its own
token under the fan-out's prefix, so that an ordinary `Join` waits for all of them.
"""

from __future__ import annotations

from typing import Any

from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Edge, Node
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.flow import mixins as flow_mixins
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.nodes import Split, mixins
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
