"""The document exchange (liên thông văn bản, edXML of QCVN 102:2016/BTTTT): the peers this
installation exchanges with, the packages it sends (kept and retried until acknowledged), the
packages it receives (each message id registered once) and the status messages that come back."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Unit
from documents.models import IncomingDocument, Plan, Receipt

#: Status codes of an edXML status message (QCVN 102:2016/BTTTT, bảng trạng thái văn bản).
STATUS_RECEIVED, STATUS_REJECTED, STATUS_ACCEPTED = "01", "02", "03"
STATUS_ASSIGNED, STATUS_IN_PROGRESS, STATUS_DONE = "04", "05", "06"
STATUS_LABELS: dict[str, str] = {
    STATUS_RECEIVED: "Đã đến",
    STATUS_REJECTED: "Từ chối tiếp nhận",
    STATUS_ACCEPTED: "Đã tiếp nhận",
    STATUS_ASSIGNED: "Phân công",
    STATUS_IN_PROGRESS: "Đang xử lý",
    STATUS_DONE: "Hoàn thành",
}


class Peer(models.Model):
    """Another system reached through an exchange transport: another installation of this
    system (HTTP, `base_url`) or the national axis. `code` is the identifier it sends with its
    requests (its EXCHANGE_SYSTEM_ID); `secret` is shared by both sides and signs every request
    (HMAC-SHA256) in both directions. `units` are the external units reached through it."""

    class Transport(models.TextChoices):
        HTTP = "http", _("Hệ thống khác cùng loại (HTTP)")
        NATIONAL_AXIS = "axis", _("Trục liên thông văn bản quốc gia")

    name = models.CharField(_("tên"), max_length=200)
    code = models.CharField(_("mã hệ thống"), max_length=100, unique=True)
    transport = models.CharField(
        _("kênh truyền"), max_length=10, choices=Transport.choices, default=Transport.HTTP
    )
    base_url = models.URLField(_("địa chỉ"), max_length=300, blank=True)
    secret = models.CharField(_("khóa bí mật dùng chung"), max_length=200)
    units = models.ManyToManyField(
        Unit,
        verbose_name=_("đơn vị nhận qua hệ thống này"),
        related_name="exchange_peers",
        blank=True,
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("hệ thống liên thông")
        verbose_name_plural = _("hệ thống liên thông")

    def __str__(self) -> str:
        return self.name


class OutgoingPackage(models.Model):
    """An edXML package to send: a document to an external unit, or a status message about a
    document received. Kept and retried (with backoff) until the peer acknowledges it."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Văn bản")
        STATUS = "status", _("Trạng thái")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        DELIVERED = "delivered", _("Đã gửi, bên nhận đã xác nhận")
        REFUSED = "refused", _("Bên nhận từ chối")

    message_id = models.CharField(_("mã gói tin"), max_length=100, unique=True)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    peer = models.ForeignKey(
        Peer, on_delete=models.PROTECT, null=True, blank=True, related_name="outgoing"
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, null=True, blank=True, related_name="exchange_packages"
    )
    receipt = models.ForeignKey(
        Receipt, on_delete=models.CASCADE, null=True, blank=True, related_name="exchange_packages"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: For a status message: the received package it reports on, and its code.
    answers = models.ForeignKey(
        "IncomingPackage", on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    status_code = models.CharField(max_length=2, blank=True)
    xml = models.BinaryField(editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_try = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "next_try"], name="outgoing_due_idx")]
        verbose_name = _("gói tin gửi đi")
        verbose_name_plural = _("gói tin gửi đi")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} ({self.state})"


class IncomingPackage(models.Model):
    """Every edXML package that arrived, accepted or refused: the log. A document package is
    accepted once per sender and message id (the constraint), so a package sent twice is
    registered once."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Văn bản")
        STATUS = "status", _("Trạng thái")

    class State(models.TextChoices):
        ACCEPTED = "accepted", _("Đã tiếp nhận")
        REFUSED = "refused", _("Từ chối")
        DUPLICATE = "duplicate", _("Trùng, đã tiếp nhận trước đó")

    peer = models.ForeignKey(
        Peer, on_delete=models.PROTECT, null=True, blank=True, related_name="incoming"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, blank=True)
    message_id = models.CharField(_("mã gói tin"), max_length=100, blank=True)
    sender_code = models.CharField(_("mã định danh bên gửi"), max_length=40, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    error = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    header = models.JSONField(default=dict, blank=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incoming_document = models.ForeignKey(
        IncomingDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_packages",
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender_code", "message_id"],
                condition=models.Q(state="accepted", kind="document"),
                name="unique_accepted_exchange_document",
            )
        ]
        verbose_name = _("gói tin nhận được")
        verbose_name_plural = _("gói tin nhận được")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} ({self.state})"


class StatusMessage(models.Model):
    """A status message about a document this installation sent (01 đã đến … 06 hoàn thành, or
    02 từ chối): from the recipient, or recorded here when the peer refused the package."""

    package = models.ForeignKey(OutgoingPackage, on_delete=models.CASCADE, related_name="statuses")
    code = models.CharField(_("mã trạng thái"), max_length=2)
    description = models.CharField(_("mô tả"), max_length=1000, blank=True)
    staff = models.CharField(_("người xử lý"), max_length=255, blank=True)
    department = models.CharField(_("đơn vị xử lý"), max_length=255, blank=True)
    timestamp = models.DateTimeField(_("thời điểm"))
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "code", "timestamp"], name="unique_status_message"
            )
        ]
        verbose_name = _("trạng thái văn bản liên thông")
        verbose_name_plural = _("trạng thái văn bản liên thông")

    def __str__(self) -> str:
        return f"{self.code} {self.package_id}"

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.code, self.code)
