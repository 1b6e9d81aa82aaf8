"""The process of one plan (a proxy of viewflow's Process), and the answers of API requests made
with an `Idempotency-Key`."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from viewflow.workflow.models import Process


class PlanProcess(Process):
    class Meta:
        proxy = True
        verbose_name = "quy trình kế hoạch"


class IdempotentRequest(models.Model):
    """An API request made with an `Idempotency-Key` header, and the answer it got.

    Written in the same transaction as the action it answers, so a retry of the same request (the
    client timed out, the connection dropped after the commit) gets the same answer back instead
    of acting twice; a request that failed left no row and is simply done again. Kept for
    `RETENTION` (workflows.services.idempotent_request_purge).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
