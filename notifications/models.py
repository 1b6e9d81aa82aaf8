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
        DEADLINE_REMINDER = "deadline.reminder", _("Nhắc hạn góp ý")
        DEADLINE_PASSED = "deadline.passed", _("Hết hạn góp ý: đơn vị chưa trả lời")
        TASK_ESCALATED = "task.escalated", _("Việc quá hạn xử lý (báo lãnh đạo)")

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


#: The kinds sent by e-mail to someone who has not chosen: the reminders and escalations.
DEFAULT_EMAIL_KINDS = (
    Notification.Kind.DEADLINE_REMINDER,
    Notification.Kind.DEADLINE_PASSED,
    Notification.Kind.TASK_ESCALATED,
)


class NotificationPreference(models.Model):
    """What one person gets by e-mail: which kinds of notices, one by one or in a daily digest.
    Without a row, DEFAULT_EMAIL_KINDS one by one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_kinds = models.JSONField(_("loại thông báo gửi e-mail"), default=list, blank=True)
    digest = models.BooleanField(_("gộp thành một e-mail mỗi ngày"), default=False)
    #: Until when the notices were included in a digest (the next one starts there).
    digest_sent_until = models.DateTimeField(_("bản tổng hợp gần nhất"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("tùy chọn thông báo")
        verbose_name_plural = _("tùy chọn thông báo")

    def __str__(self) -> str:
        return str(self.user)


class EmailMessage(models.Model):
    """The outbox: an e-mail stored with the notice it carries, sent after commit, retried with
    a growing wait until it goes (or EMAIL_MAX_ATTEMPTS failed)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("chờ gửi")
        SENT = "sent", _("đã gửi")
        FAILED = "failed", _("gửi không được")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    to = models.EmailField(_("địa chỉ"))
    subject = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"))
    kind = models.CharField(_("loại"), max_length=64)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    next_attempt_at = models.DateTimeField(_("thử lại lúc"), default=timezone.now)
    #: A dispatcher sending it holds it until then (so that two never send it at once).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("hộp thư đi")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="email_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class NoticeOnce(models.Model):
    """A notice that must go once only (a reminder, an escalation): its key is unique, so that
    two dispatchers sweeping at once send it once."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("thông báo một lần")
        verbose_name_plural = _("thông báo một lần")

    def __str__(self) -> str:
        return self.key
