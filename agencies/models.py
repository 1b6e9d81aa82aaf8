"""Units (cơ quan, đơn vị) of the province and the people who work in them."""

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

    class Meta:
        ordering = ["name"]
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
