"""The plan (Kế hoạch): working content, immutable versions, lifecycle, registers, receipts, audit."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMFieldDescriptor, FSMModelMixin, transition

from agencies.models import Unit

from . import permissions


def canonical_json(data: Any) -> str:
    """The one serialisation that hashes use: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


class _StatusDescriptor(FSMFieldDescriptor):
    """Refuses direct writes of a protected state, except into the instance being reloaded."""

    def __set__(self, instance: Any, value: Any) -> None:
        if instance.__dict__.get("_fsm_reloading"):
            self.field.set_proxy(instance, value)
            self.field.set_state(instance, value)
            return
        super().__set__(instance, value)


class StatusField(FSMField):
    """A protected FSM field whose instances can be reloaded safely while other threads run.

    The same column as django-fsm's FSMField (it deconstructs as one, so migrations see no change).
    """

    descriptor_class = _StatusDescriptor

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django_fsm.FSMField", args, kwargs


class ThreadSafeFSMModelMixin(FSMModelMixin):
    """`refresh_from_db` for a model with protected `StatusField`s, safe in threads.

    django-fsm's FSMModelMixin switches `protected` off on the *field* — for every instance, in
    every thread — around a reload and back on after it. Two reloads in two request threads then
    interleave: one switches protection back on while the other is still setting the state, which
    raises "Direct status modification is not allowed" after the action took effect. Here only
    the instance being reloaded accepts the write, and protection is never switched off.
    """

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__["_fsm_reloading"] = True
        try:
            models.Model.refresh_from_db(self, *args, **kwargs)
        finally:
            del self.__dict__["_fsm_reloading"]


class Plan(ThreadSafeFSMModelMixin, models.Model):
    """A plan being drafted, reviewed, signed or issued. Content changes only while editable."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        AGENCY_REVIEW = "agency_review", _("Chờ lãnh đạo đơn vị duyệt")
        APPROVED = "approved", _("Đã duyệt, chờ gửi lấy ý kiến")
        IN_CONSULTATION = "in_consultation", _("Đang lấy ý kiến")
        CONSOLIDATING = "consolidating", _("Đang tổng hợp, tiếp thu, giải trình")
        BUDGET_REVIEW = "budget_review", _("Chờ thẩm định kinh phí")
        LEGAL_REVIEW = "legal_review", _("Chờ Sở Tư pháp thẩm định")
        VETTING = "vetting", _("Chờ Văn phòng thẩm tra")
        AWAITING_SIGNATURE = "awaiting_signature", _("Chờ ký")
        SIGNED = "signed", _("Đã ký, chờ phát hành")
        ISSUED = "issued", _("Đã phát hành")
        RETURNED = "returned", _("Bị trả lại")
        WITHDRAWN = "withdrawn", _("Đã rút")

    EDITABLE = (Status.DRAFT, Status.RETURNED, Status.CONSOLIDATING)
    #: Where a plan waits at a step (documents/steps.py): it moves on from these …
    WAITING = (
        Status.AGENCY_REVIEW,
        Status.APPROVED,
        Status.IN_CONSULTATION,
        Status.CONSOLIDATING,
        Status.BUDGET_REVIEW,
        Status.LEGAL_REVIEW,
        Status.VETTING,
        Status.AWAITING_SIGNATURE,
        Status.SIGNED,
    )
    #: … to these (ISSUED: the end of every path).
    ARRIVALS = (*WAITING, Status.ISSUED)
    #: A review's return goes to the drafter; the resubmission comes back (steps.Step.revise_node).
    RETURNABLE = (
        Status.AGENCY_REVIEW,
        Status.BUDGET_REVIEW,
        Status.LEGAL_REVIEW,
        Status.VETTING,
        Status.AWAITING_SIGNATURE,
    )
    #: The drafter may withdraw the plan until it is signed.
    WITHDRAWABLE = (Status.DRAFT, Status.RETURNED, *WAITING[:-1])

    title = models.CharField(_("trích yếu"), max_length=500)
    doc_type = models.CharField(_("loại văn bản"), max_length=8, default="KH")
    year = models.PositiveIntegerField(_("năm kế hoạch"))
    issuer = models.ForeignKey(
        Unit,
        verbose_name=_("cơ quan ban hành"),
        on_delete=models.PROTECT,
        related_name="issued_plans",
    )
    drafting_unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị soạn thảo"),
        on_delete=models.PROTECT,
        related_name="drafted_plans",
    )
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người soạn thảo"),
        on_delete=models.PROTECT,
        related_name="drafted_plans",
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.PROTECT,
        related_name="plans_to_sign",
        null=True,
        blank=True,
    )
    #: The signer who was away when the signature passed to `signer`, their stand-in: it goes
    #: back to them when the plan next arrives at the signature and they are back.
    signer_stood_in_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký vắng mặt"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    content = models.JSONField(_("nội dung"), default=dict)
    status = StatusField(
        _("trạng thái"), default=Status.DRAFT, choices=Status.choices, protected=True
    )
    returned_from = models.CharField(max_length=30, blank=True, default="")
    version_number = models.PositiveIntegerField(_("phiên bản"), default=0)
    consultation_round = models.PositiveIntegerField(default=0)
    legal_review_requested = models.BooleanField(
        _("đề nghị Sở Tư pháp thẩm định"),
        default=False,
        help_text=_(
            "Do người soạn thảo hoặc Văn phòng đề nghị; giữa thẩm định kinh phí và thẩm tra."
        ),
    )
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    register_year = models.PositiveIntegerField(_("năm của sổ văn bản đi"), null=True, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    signed_version = models.ForeignKey(
        "PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_pdf = models.BinaryField(null=True, blank=True, editable=False)
    signed_pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    issued_pdf = models.BinaryField(null=True, blank=True, editable=False)
    issued_pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The head of the plan's audit chain (PlanEvent): how many events, and the last one's hash.
    # Kept on the row that every action locks, so appending an event reads nothing.
    events_count = models.PositiveIntegerField(default=0, editable=False)
    events_head = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("kế hoạch")
        verbose_name_plural = _("kế hoạch")
        indexes = [
            # The plans a user drafts, newest first (selectors.plan_page_drafted).
            models.Index(fields=["drafter", "id"], name="plan_drafter_id_idx"),
            # The dashboard's counts (documents/dashboard_selectors.py): by status and issue
            # month, of the province or of a drafting unit, read from these indexes alone (on
            # SQLite a row's status lies after its content, in overflow pages).
            models.Index(fields=["status", "issued_on"], name="plan_status_issued_idx"),
            models.Index(
                fields=["drafting_unit", "status", "issued_on"], name="plan_unit_status_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "register_year", "number"],
                condition=models.Q(number__isnull=False),
                name="unique_plan_number_per_issuer_year",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def uses_state_budget(self) -> bool:
        """Does the plan spend state budget (its content says)? Without, no budget review."""
        return bool((self.content or {}).get("uses_state_budget", True))

    # Transitions only move the state; the services do everything else, and the step
    # declarations (documents/steps.py) say where a plan goes next.
    @transition(
        field=status,
        source=Status.DRAFT,
        target=RETURN_VALUE(*WAITING),
        permission=permissions.may_submit,
    )
    def submit(self, to: str) -> str:
        """Send the draft to the first step of its path."""
        return to

    @transition(field=status, source=list(WAITING), target=RETURN_VALUE(*ARRIVALS))
    def advance(self, to: str) -> str:
        """The step the plan waited at is passed: on to the next one (`to`)."""
        return to

    @transition(
        field=status,
        source=Status.RETURNED,
        target=RETURN_VALUE(*[s.value for s in RETURNABLE]),
        permission=permissions.may_resubmit,
    )
    def resubmit(self) -> str:
        """Send a returned plan back to the step that returned it."""
        target = self.returned_from
        self.returned_from = ""
        return target

    @transition(field=status, source=list(RETURNABLE), target=Status.RETURNED)
    def return_to_drafter(self) -> None:
        """A reviewer returns the plan; remember where it must come back to."""
        self.returned_from = self.status

    @transition(
        field=status,
        source=Status.CONSOLIDATING,
        target=Status.APPROVED,
        permission=permissions.may_reopen_consultation,
    )
    def reopen_consultation(self) -> None:
        """After major changes, the drafter asks the agencies again (a new round)."""

    @transition(
        field=status,
        source=list(WITHDRAWABLE),
        target=Status.WITHDRAWN,
        permission=permissions.may_withdraw,
    )
    def withdraw(self) -> None:
        """The drafter abandons the plan, at any step before the signature."""


class ImmutableModel(models.Model):
    """A row that is written once: saving an existing row or deleting one is refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{type(self).__name__} is immutable")


class PlanVersion(ImmutableModel):
    """A submitted version of a plan: its content as it was, never changed afterwards."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    content_sha256 = models.CharField(max_length=64)
    reason = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: The version sent on after consolidation carries the consolidation (bảng tổng hợp, tiếp
    #: thu, giải trình ý kiến) as it stood then: the typed data of documents/consolidation.py
    #: (`Consolidation.to_dict`), from which its .docx and PDF are rendered, always the same.
    consolidation = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"


class RenderedPdf(models.Model):
    """A cache of the PDF rendered from one version's content (LibreOffice is slow)."""

    version = models.OneToOneField(
        PlanVersion, on_delete=models.CASCADE, related_name="rendered_pdf"
    )
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    # Where the blanks, the signature box and the verification link go (signing.pdf.PdfAnchors),
    # found once when rendered, so that signing and sealing do not read the PDF again.
    anchors = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"PDF v{self.version_id}"


class PlanEvent(ImmutableModel):
    """One entry of a plan's history: who did what, when, from which state, why.

    Append-only and chained: `hash` covers the previous event's hash and this event's fields, so a
    changed or deleted row breaks the chain (`manage.py audit_verify`).
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Tạo dự thảo")
        IMPORTED = "imported", _("Nhập từ tệp Word")
        EDITED = "edited", _("Chỉnh sửa nội dung")
        SUBMITTED = "submitted", _("Trình lãnh đạo đơn vị")
        RESUBMITTED = "resubmitted", _("Trình lại")
        APPROVED_RELEASE = "approved_release", _("Lãnh đạo đơn vị duyệt")
        SENT_FOR_CONSULTATION = "sent_for_consultation", _("Gửi lấy ý kiến")
        CONSULTATION_ANSWERED = "consultation_answered", _("Đơn vị góp ý")
        CONSULTATION_SILENT = (
            "consultation_silent",
            _("Quá hạn không có ý kiến (xem như thống nhất)"),
        )
        CONSULTATION_CLOSED = "consultation_closed", _("Kết thúc lấy ý kiến")
        COMMENT_RESOLVED = "comment_resolved", _("Tiếp thu, giải trình ý kiến")
        SENT_TO_BUDGET_REVIEW = (
            "sent_to_budget_review",
            _("Hoàn thành tổng hợp ý kiến, trình bước tiếp theo"),
        )
        BUDGET_APPROVED = "budget_approved", _("Thẩm định kinh phí: đồng ý")
        VETTING_APPROVED = "vetting_approved", _("Văn phòng thẩm tra: đồng ý")
        RETURNED = "returned", _("Trả lại")
        SIGNED = "signed", _("Ký số")
        ISSUED = "issued", _("Phát hành")
        RECEIPT_ACKNOWLEDGED = "receipt_acknowledged", _("Xác nhận đã nhận")
        WITHDRAWN = "withdrawn", _("Rút dự thảo")
        BUDGET_REVIEW_SKIPPED = (
            "budget_review_skipped",
            _("Không thẩm định kinh phí (không dùng ngân sách nhà nước)"),
        )
        CONSULTATION_SKIPPED = "consultation_skipped", _("Không lấy ý kiến")
        CONSULTATION_REOPENED = "consultation_reopened", _("Lấy ý kiến lại")
        SIGNER_CHANGED = "signer_changed", _("Thay đổi người ký")
        LEGAL_REVIEW_REQUESTED = "legal_review_requested", _("Đề nghị Sở Tư pháp thẩm định")
        LEGAL_REVIEW_APPROVED = "legal_review_approved", _("Sở Tư pháp thẩm định: đồng ý")
        HANDED_TO_STAND_IN = "handed_to_stand_in", _("Giao người thay mặt người vắng mặt")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["plan", "sequence"]
        indexes = [
            # The time spent at each status (documents/dashboard_selectors.stage_durations): a
            # window over every plan's transitions in order, read from this index alone.
            models.Index(
                fields=["plan", "sequence", "from_status", "to_status", "created_at"],
                name="planevent_transition_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="unique_plan_event_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.sequence} {self.kind}"

    def compute_hash(self) -> str:
        body = canonical_json(
            {
                "plan": self.plan_id,
                "sequence": self.sequence,
                "kind": self.kind,
                "actor": self.actor_id,
                "actor_name": self.actor_name,
                "from": self.from_status,
                "to": self.to_status,
                "comment": self.comment,
                "data": self.data,
                "at": self.created_at.isoformat(),
            }
        )
        return sha256_hex(self.previous_hash + body)


class PlanAccess(models.Model):
    """Who may see a plan besides its drafter: granted as the plan reaches them, never revoked.

    A row names a user, or a unit (every member), or a role (everyone with it), or a unit and a
    role (e.g. the heads of the drafting unit).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, null=True, related_name="+")
    role = models.CharField(max_length=20, blank=True, default="")
    reason = models.CharField(max_length=40)

    class Meta:
        # One index per kind of grant, in plan order: a user's plans are read branch by branch,
        # a page at a time (selectors.plan_page_visible).
        indexes = [
            models.Index(fields=["user", "plan"], name="planaccess_user_plan_idx"),
            models.Index(fields=["unit", "role", "plan"], name="planaccess_unit_role_plan_idx"),
            models.Index(fields=["role", "plan"], name="planaccess_role_plan_idx"),
        ]
        constraints = [
            # One grant per (plan, user, unit, role), an absent user or unit counting as equal:
            # an expression index, because SQLite has no NULLS NOT DISTINCT. Granting is then one
            # INSERT that ignores a conflict (documents.services._grant).
            models.UniqueConstraint(
                models.F("plan"),
                Coalesce(models.F("user"), 0, output_field=models.IntegerField()),
                Coalesce(models.F("unit"), 0, output_field=models.IntegerField()),
                models.F("role"),
                name="unique_plan_access_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.reason}"


class ConsultationRequest(models.Model):
    """One agency's part of a consultation round (lấy ý kiến): its deadline and its answer."""

    class Verdict(models.TextChoices):
        AGREE = "agree", _("Thống nhất")
        AGREE_WITH_COMMENTS = "agree_with_comments", _("Thống nhất, có ý kiến")
        DISAGREE = "disagree", _("Không thống nhất")

    class Resolution(models.TextChoices):
        ACCEPTED = "accepted", _("Tiếp thu")
        EXPLAINED = "explained", _("Giải trình")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="consultations")
    round = models.PositiveIntegerField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="consultations")
    deadline = models.DateTimeField()
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=30, choices=Verdict.choices, blank=True, default="")
    comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    by_silence = models.BooleanField(default=False)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True, default="")
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["round", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "round", "unit"], name="unique_consultation_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} round {self.round}: {self.unit_id}"

    @property
    def is_answered(self) -> bool:
        return bool(self.verdict)

    @property
    def needs_resolution(self) -> bool:
        return bool(self.comment.strip()) and not self.by_silence


class OutgoingRegister(models.Model):
    """Sổ văn bản đi: one number sequence per issuing body and year, restarting at 01 each year."""

    issuer = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registers")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year"], name="unique_register_per_issuer_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id}/{self.year}: {self.last_number}"


class NumberReservation(models.Model):
    """A number of an outgoing register held by the plan being issued with it.

    Taken in a short transaction under the register's lock, kept while the seal is made (outside
    any lock), and removed when the issuance completes (the plan then carries the number). A
    failed seal gives it back if no later number was taken, else the plan keeps it and its retry
    reuses it (documents.services.plan_issue).
    """

    register = models.ForeignKey(
        OutgoingRegister, on_delete=models.PROTECT, related_name="reservations"
    )
    number = models.PositiveIntegerField()
    plan = models.OneToOneField(Plan, on_delete=models.PROTECT, related_name="number_reservation")
    issued_on = models.DateField()
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reserved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["register", "number"], name="unique_reserved_number_per_register"
            )
        ]

    def __str__(self) -> str:
        return f"{self.register} #{self.number} → {self.plan_id}"


class Receipt(models.Model):
    """Delivery of an issued plan to one recipient unit, and its acknowledgement."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="receipts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="receipts")
    delivered_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__name"]
        indexes = [
            # A unit's received plans, the latest delivery first (selectors.receipt_page_of_unit).
            models.Index(fields=["unit", "id"], name="receipt_unit_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "unit"], name="unique_receipt_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} → {self.unit_id}"


class PlanVersionSeen(models.Model):
    """The last version of a plan a user has opened, so the page can show what changed since.

    `previous_version_number` is the version seen before `version_number`: once the user has
    opened the newest version, its page still says what changed since the one before.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions_seen")
    version_number = models.PositiveIntegerField(_("phiên bản đã xem gần nhất"))
    previous_version_number = models.PositiveIntegerField(null=True, blank=True)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "plan"], name="unique_version_seen_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.plan_id} v{self.version_number}"


class IncomingRegister(models.Model):
    """Sổ văn bản đến: one arrival number sequence (số đến) per registering unit and year,
    restarting at 1 each year; locked while a number is taken, like the outgoing register."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="incoming_registers")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year"], name="unique_incoming_register_per_unit_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}: {self.last_number}"


class IncomingDocument(models.Model):
    """A document received (văn bản đến), e.g. a ministry's guidance: registered from its Word
    file or PDF (a scan is read by OCR) by a user of a unit, with its arrival number (số đến),
    possibly assigned to a unit with a deadline, and the start of plans. The file is kept as it
    arrived, so that a signed PDF's signatures can be verified again.

    Visible to the registering user's unit and to the assigned unit (selectors).
    """

    sender = models.CharField(_("cơ quan ban hành"), max_length=255)
    parent_sender = models.CharField(_("cơ quan chủ quản"), max_length=255, blank=True)
    number = models.CharField(_("số, ký hiệu"), max_length=80, blank=True)  # "2905/BTTTT-TTĐN"
    doc_type = models.CharField(
        _("loại văn bản"), max_length=8, blank=True, help_text=_("Để trống với công văn.")
    )
    date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    place = models.CharField(_("địa danh"), max_length=100, blank=True)
    subject = models.CharField(_("trích yếu"), max_length=1000)  # "V/v …"
    addressees = models.JSONField(_("kính gửi"), default=list, blank=True)
    body = models.JSONField(_("nội dung"), default=list, blank=True)  # paragraphs
    recipients = models.JSONField(_("nơi nhận"), default=list, blank=True)
    archive = models.CharField(_("lưu"), max_length=255, blank=True)
    signature = models.JSONField(_("khối chữ ký"), default=list, blank=True)  # lines
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    unplaced = models.JSONField(_("đoạn chưa xếp được"), default=list, blank=True)
    warnings = models.JSONField(_("cảnh báo khi nhập"), default=list, blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("mã băm SHA-256 của tệp"), max_length=64, db_index=True)
    #: The file exactly as it arrived (empty for documents registered before it was kept).
    original = models.BinaryField(_("tệp gốc"), blank=True, default=b"", editable=False)
    content_type = models.CharField(_("loại tệp"), max_length=100, blank=True)
    #: How a PDF was read: pages, pages recognised by OCR, seconds, OCR confidence.
    reading = models.JSONField(_("cách đọc tệp"), default=dict, blank=True)
    #: The verification of a PDF's signatures when it was registered (report of
    #: signing.verification): status, message, signatures.
    signatures = models.JSONField(_("chữ ký số khi vào sổ"), default=dict, blank=True)
    arrival_number = models.PositiveIntegerField(_("số đến"), null=True, blank=True)
    arrival_year = models.PositiveIntegerField(_("năm của sổ đến"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người vào sổ"),
        on_delete=models.PROTECT,
        related_name="registered_incoming",
    )
    registering_unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị vào sổ"),
        on_delete=models.PROTECT,
        related_name="registered_incoming",
    )
    registered_at = models.DateTimeField(_("thời điểm vào sổ"))
    assigned_unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị được giao xử lý"),
        on_delete=models.PROTECT,
        related_name="assigned_incoming",
        null=True,
        blank=True,
    )
    deadline = models.DateField(_("hạn xử lý"), null=True, blank=True)
    plans = models.ManyToManyField(
        Plan, verbose_name=_("kế hoạch"), related_name="incoming_documents", blank=True
    )

    class Meta:
        ordering = ["-registered_at", "-id"]
        indexes = [
            # A unit's incoming documents, newest first (selectors.incoming_page_visible).
            models.Index(fields=["registering_unit", "id"], name="incoming_registering_id_idx"),
            models.Index(fields=["assigned_unit", "id"], name="incoming_assigned_id_idx"),
        ]
        verbose_name = _("văn bản đến")
        verbose_name_plural = _("văn bản đến")
        constraints = [
            models.UniqueConstraint(
                fields=["registering_unit", "file_sha256"], name="unique_incoming_file_per_unit"
            ),
            models.UniqueConstraint(
                fields=["registering_unit", "arrival_year", "arrival_number"],
                name="unique_arrival_number_per_unit_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}".strip()

    @property
    def needs_review(self) -> bool:
        return bool(self.unplaced or self.warnings)

    @property
    def arrival_text(self) -> str:
        """ "Số đến: 12/2025", or "" for a document registered before arrival numbers."""
        if self.arrival_number is None:
            return ""
        return f"{self.arrival_number}/{self.arrival_year}"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class SearchEntry(models.Model):
    """One searchable document — a plan (draft or issued) or an incoming document — as search
    reads it (documents/search.py): display fields and folded fields for the filters. Its text
    is only in the full-text index (and in the document, where snippets read it).

    Written only by documents.search.search_index_update*, in the transaction of the service that
    changed the document. The full-text index beside it depends on the database: on PostgreSQL a
    `search_vector` tsvector column with a GIN index (added by migration 0010, not a model field);
    on SQLite the FTS5 table `documents_searchentry_fts` whose rowid is this row's id.
    """

    class Kind(models.TextChoices):
        PLAN = "plan", _("Dự thảo kế hoạch")
        ISSUED = "issued", _("Văn bản đã phát hành")
        INCOMING = "incoming", _("Văn bản đến")

    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, null=True, blank=True, related_name="search_entry"
    )
    incoming = models.OneToOneField(
        IncomingDocument,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="search_entry",
    )
    doc_type = models.CharField(max_length=8, blank=True)  # "" for a công văn
    title = models.TextField()
    number = models.CharField(max_length=120, blank=True)
    units = models.TextField(blank=True)
    signer = models.CharField(max_length=255, blank=True)
    date = models.DateField(null=True, blank=True, db_index=True)
    #: Folded (no diacritics, đ → d, lower case, punctuation as spaces) for the filters.
    number_folded = models.CharField(max_length=120, blank=True)
    units_folded = models.TextField(blank=True)
    signer_folded = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plan__isnull=False, incoming__isnull=True)
                | models.Q(plan__isnull=True, incoming__isnull=False),
                name="search_entry_of_one_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title[:60]}"
