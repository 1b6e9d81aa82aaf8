"""Units (cơ quan, đơn vị) of the province and the people who work in them."""

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """An agency or unit: a Sở, the Văn phòng UBND, a UBND huyện, Công an tỉnh, the UBND tỉnh itself."""

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "ubnd", _("Ủy ban nhân dân")
        DEPARTMENT = "so", _("Sở, ban, ngành")
        OFFICE = "vp", _("Văn phòng")
        DISTRICT = "huyen", _("UBND cấp huyện")
        PARTY = "dang", _("Cơ quan Đảng, đoàn thể")
        OTHER = "khac", _("Đơn vị khác")

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255, unique=True)
    short_name = models.CharField(_("tên viết tắt"), max_length=60, blank=True)
    abbreviation = models.CharField(
        _("ký hiệu"),
        max_length=20,
        blank=True,
        help_text=_("Dùng trong ký hiệu văn bản, ví dụ UBND, STTTT."),
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.DEPARTMENT)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    #: The unit's exchange identifier (mã định danh điện tử, QĐ 20/2020/QĐ-TTg, used as OrganId
    #: in edXML packages of QCVN 102:2016/BTTTT), e.g. "000.00.31.H19".
    exchange_code = models.CharField(
        _("mã định danh"),
        max_length=40,
        blank=True,
        help_text=_("Mã định danh điện tử của cơ quan, ví dụ 000.00.31.H19."),
    )
    #: A user of this system (True), or a unit reached through the document exchange (False):
    #: issuing to an external unit sends it an edXML package.
    is_internal = models.BooleanField(
        _("dùng hệ thống này"),
        default=True,
        help_text=_("Bỏ chọn với đơn vị bên ngoài, nhận văn bản qua trục liên thông (edXML)."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["exchange_code"],
                condition=~models.Q(exchange_code=""),
                name="unique_unit_exchange_code",
            )
        ]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who works in one unit, with one role in the path of a plan."""

    class Role(models.TextChoices):
        DRAFTER = "drafter", _("Chuyên viên soạn thảo")
        AGENCY_HEAD = "agency_head", _("Lãnh đạo cơ quan")
        AGENCY_STAFF = "agency_staff", _("Cán bộ đơn vị")
        FINANCE_REVIEWER = "finance_reviewer", _("Thẩm định kinh phí (Sở Tài chính)")
        OFFICE_VETTER = "office_vetter", _("Thẩm tra (Văn phòng UBND tỉnh)")
        LEGAL_REVIEWER = "legal_reviewer", _("Thẩm định pháp lý (Sở Tư pháp)")
        SIGNER = "signer", _("Người ký (Chủ tịch, Phó Chủ tịch)")
        CLERK = "clerk", _("Văn thư")

    full_name = models.CharField(_("họ và tên"), max_length=150)
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="members", null=True
    )
    role = models.CharField(
        _("vai trò"), max_length=20, choices=Role.choices, default=Role.AGENCY_STAFF
    )
    position = models.CharField(
        _("chức vụ"), max_length=120, blank=True, help_text=_("Ví dụ: Phó Chủ tịch, Giám đốc Sở.")
    )

    class Meta:
        ordering = ["full_name", "username"]
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A credential for the API (`Authorization: Token <key>`): it expires, can be revoked, and
    only its SHA-256 is stored, so a copy of the database opens no account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_sha256 = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("tiền tố"), max_length=12)  # shown to tell tokens apart
    label = models.CharField(_("tên gợi nhớ"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("khóa truy cập API")
        verbose_name_plural = _("khóa truy cập API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"


class SocketTicket(models.Model):
    """A single-use ticket that opens one notification WebSocket within seconds of being issued.

    Browsers cannot put an Authorization header on a WebSocket, and a long-lived token in the URL
    ends up in access logs; a ticket is worthless once used or expired. Only its SHA-256 is kept.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key_sha256 = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ticket {self.pk} ({self.user_id})"


class SecurityEvent(models.Model):
    """An append-only record of what matters to security: a lockout after repeated failed
    sign-ins, a token created or revoked. Read by staff in the admin."""

    class Kind(models.TextChoices):
        LOCKED_OUT = "locked_out", _("Khóa đăng nhập do nhập sai nhiều lần")
        TOKEN_CREATED = "token_created", _("Tạo khóa truy cập API")
        TOKEN_REVOKED = "token_revoked", _("Thu hồi khóa truy cập API")

    kind = models.CharField(_("loại"), max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(_("tên đăng nhập"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sự kiện an ninh")
        verbose_name_plural = _("sự kiện an ninh")

    def __str__(self) -> str:
        return f"{self.kind} {self.username}"


class CalendarDay(models.Model):
    """A day whose status the Government set apart from the usual calendar (agencies.working_days):
    a day swapped or added off (nghỉ bù, nghỉ thêm: `is_working_day=False`) or a weekend day worked
    in exchange (làm bù: `is_working_day=True`). Edited by staff each year when the Government
    announces its schedule; weekends and the public holidays of the Labour Code come from the
    `holidays` package and need no row."""

    date = models.DateField(_("ngày"), unique=True)
    is_working_day = models.BooleanField(_("là ngày làm việc"))
    reason = models.CharField(_("lý do"), max_length=255)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("ngày hoán đổi, nghỉ bù")
        verbose_name_plural = _("lịch ngày làm việc (hoán đổi, nghỉ bù)")

    def __str__(self) -> str:
        kind = _("làm việc") if self.is_working_day else _("nghỉ")
        return f"{self.date:%d/%m/%Y}: {kind} — {self.reason}"


def is_deputy_position(position: str) -> bool:
    """A deputy's title (Phó Chủ tịch, Phó Giám đốc, Phó Chánh Văn phòng…)."""
    return (position or "").strip().lower().startswith("phó")


def is_chairman(user: User) -> bool:
    """The Chủ tịch: a signer whose position is not a deputy's (Phó Chủ tịch)."""
    return user.role == User.Role.SIGNER and not is_deputy_position(user.position)


class Absence(models.Model):
    """A person away (nghỉ phép, đi công tác) from `start_date` to `end_date` inclusive, with the
    colleague who stands in for them meanwhile: tasks that would be theirs go to the stand-in,
    who acts on their behalf ("thay mặt") — but never signs in their name (documents.content
    `stand_in_signature`) and never approves their own draft. Ended early with `ended_at`."""

    person = models.ForeignKey(
        User, verbose_name=_("người vắng mặt"), on_delete=models.PROTECT, related_name="absences"
    )
    stand_in = models.ForeignKey(
        User, verbose_name=_("người thay mặt"), on_delete=models.PROTECT, related_name="stand_ins"
    )
    start_date = models.DateField(_("từ ngày"))
    end_date = models.DateField(_("đến ngày"))
    reason = models.CharField(_("lý do"), max_length=255)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    ended_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: When the open tasks of the person were handed to the stand-in (workflows.services).
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("vắng mặt")
        verbose_name_plural = _("vắng mặt, người thay mặt")
        indexes = [
            models.Index(fields=["person", "end_date"], name="absence_person_end"),
            models.Index(fields=["stand_in", "end_date"], name="absence_stand_in_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="absence_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("stand_in")),
                name="absence_stand_in_is_another_person",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.person} → {self.stand_in} ({self.start_date:%d/%m/%Y}–{self.end_date:%d/%m/%Y})"
        )

    def is_current(self, on: Any) -> bool:
        return self.ended_at is None and self.start_date <= on <= self.end_date
