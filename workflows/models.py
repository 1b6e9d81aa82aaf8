"""The process of one plan: a proxy of viewflow's Process whose artifact is the plan."""

from viewflow.workflow.models import Process


class PlanProcess(Process):
    class Meta:
        proxy = True
        verbose_name = "quy trình kế hoạch"
