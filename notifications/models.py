"""Stored notifications: one row per person, kept so that a client that reconnects can catch up."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message for one user, shown in the bell; pushed live once its transaction commits."""

    class Kind(models.TextChoices):
        """Known kinds, for typo-safe callers; the field is not bound to them, so apps may add."""

        TASK_ASSIGNED = "task.assigned", _("Được giao xử lý")
        PLAN_RETURNED = "plan.returned", _("Kế hoạch bị trả lại")
        PLAN_SENT_FOR_CONSULTATION = "plan.sent_for_consultation", _("Xin ý kiến kế hoạch")
        CONSULTATION_ANSWERED = "consultation.answered", _("Đã có ý kiến góp ý")
        PLAN_SIGNED = "plan.signed", _("Kế hoạch đã được ký")
        PLAN_ISSUED = "plan.issued", _("Kế hoạch đã được ban hành")
        RECEIPT_ACKNOWLEDGED = "receipt.acknowledged", _("Đã xác nhận nhận văn bản")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # covered by the (user, id) index below
    )
    kind = models.CharField(_("loại"), max_length=64)
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    url = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("thời điểm đọc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        indexes = [
            models.Index(fields=["user", "id"], name="notification_user_id_idx"),
            models.Index(
                fields=["user"],
                name="notification_user_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def as_payload(self) -> dict[str, Any]:
        """The JSON shape sent to sockets and returned by the API (without `unread_count`)."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "url": self.url,
            "data": self.data,
            "created_at": timezone.localtime(self.created_at).isoformat(),
            "read": self.is_read,
        }
