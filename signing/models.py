"""The system's CA, its time-stamping authority and the credentials (certificate + key) it issued.

All rows are created on first use by `signing.services`; nothing here is edited by hand. Private
keys are stored encrypted (`signing.keystore`), certificates and CRLs as PEM.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Unit

SINGLETON_ID = 1


class CertificateAuthority(models.Model):
    """The root CA of the system (one row, id 1) and its current CRL."""

    certificate_pem = models.TextField(_("chứng thư gốc (PEM)"))
    private_key_encrypted = models.TextField(_("khóa bí mật (đã mã hóa)"))
    crl_pem = models.TextField(_("danh sách thu hồi (CRL, PEM)"))
    crl_number = models.PositiveIntegerField(_("số CRL"), default=1)
    crl_next_update = models.DateTimeField(_("CRL hết hạn lúc"))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("tổ chức chứng thực gốc")
        verbose_name_plural = _("tổ chức chứng thực gốc")
        constraints = [
            models.CheckConstraint(condition=Q(id=SINGLETON_ID), name="signing_ca_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Tổ chức chứng thực gốc của hệ thống"))


class TimeStampAuthority(models.Model):
    """The RFC 3161 time-stamping authority (one row, id 1), certified by the root CA."""

    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    private_key_encrypted = models.TextField(_("khóa bí mật (đã mã hóa)"))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("dịch vụ cấp dấu thời gian")
        verbose_name_plural = _("dịch vụ cấp dấu thời gian")
        constraints = [
            models.CheckConstraint(condition=Q(id=SINGLETON_ID), name="signing_tsa_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Dịch vụ cấp dấu thời gian của hệ thống"))


class Credential(models.Model):
    """A certificate issued to a person (chữ ký cá nhân) or to a unit's seal (khóa con dấu).

    A person's credential belongs to `user`; a seal's to `unit`. At most one credential that is not
    revoked exists per person and per seal. `private_key_encrypted` is empty when the key is held
    elsewhere (a browser, a token).
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Cá nhân")
        SEAL = "seal", _("Con dấu cơ quan")

    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.PROTECT,
        related_name="signing_credentials",
        null=True,
        blank=True,
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        related_name="signing_credentials",
        null=True,
        blank=True,
    )
    subject_name = models.CharField(_("tên chủ thể"), max_length=255)
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    private_key_encrypted = models.TextField(_("khóa bí mật (đã mã hóa)"), blank=True)
    serial_number = models.CharField(_("số hiệu chứng thư (hex)"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư ký số")
        verbose_name_plural = _("chứng thư ký số")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="person", user__isnull=False, unit__isnull=True)
                    | Q(kind="seal", unit__isnull=False, user__isnull=True)
                ),
                name="signing_credential_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(kind="person", revoked_at__isnull=True),
                name="signing_one_active_person_credential",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(kind="seal", revoked_at__isnull=True),
                name="signing_one_active_seal_credential",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_name}"
