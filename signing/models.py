"""The system's CA and time-stamping authority, the certificates it issued, and signing sessions.

All rows are created by `signing.services`; nothing here is edited by hand. Private keys the
server holds are stored encrypted (`signing.keystore`), certificates and CRLs as PEM. People's
browser keys never reach the server: `SigningDevice` keeps only the public key and certificate.
"""

import uuid

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
    # Empty for certificates of our own CA; for one from an imported CA (a seal token's), its
    # issuers up to that root.
    chain_pem = models.TextField(_("chuỗi chứng thực (PEM, tới chứng thư gốc)"), blank=True)
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


class EnrolmentChallenge(models.Model):
    """A random nonce a person's new device signs to prove it holds the key (single use, 5 min)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="signing_challenges",
    )
    nonce = models.BinaryField(_("mã thử thách"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("tạo lúc"))
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    used_at = models.DateTimeField(_("đã dùng lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã thử thách đăng ký thiết bị ký")
        verbose_name_plural = _("mã thử thách đăng ký thiết bị ký")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M:%S}"


class SigningDevice(models.Model):
    """A key a person holds, and its certificate: in a browser or on a USB token.

    - kind "browser": a WebCrypto key (non-extractable); the system's CA certified
      `public_key_der` after the device proved possession of it. Revoking one puts its serial
      number on our CRL at once.
    - kind "token": a key on the person's USB token, used through the signing agent on their
      computer; its certificate comes from an external CA (e.g. the national CA for government)
      and `chain_pem` holds the issuers up to the imported root it was checked against. It is
      "pending" until a staff member confirms it when the certificate's name is not the person's.
      Revoking one here stops its use in this system (only its CA can revoke the certificate).

    The private key never reaches the server. A person may have several devices; every signature
    with a revoked device is refused from then on.
    """

    class Kind(models.TextChoices):
        BROWSER = "browser", _("Khóa trong trình duyệt")
        TOKEN = "token", _("USB token")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang hiệu lực")
        PENDING = "pending", _("Chờ quản trị viên xác nhận")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.PROTECT,
        related_name="signing_devices",
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.BROWSER)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    label = models.CharField(_("tên thiết bị"), max_length=100)
    public_key_der = models.BinaryField(_("khóa công khai (SubjectPublicKeyInfo, DER)"))
    public_key_sha256 = models.CharField(_("mã băm khóa công khai"), max_length=64, db_index=True)
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    chain_pem = models.TextField(_("chuỗi chứng thực (PEM, tới chứng thư gốc)"), blank=True)
    subject_name = models.CharField(_("tên trong chứng thư"), max_length=255, blank=True)
    issuer_name = models.CharField(_("tổ chức cấp chứng thư"), max_length=255, blank=True)
    fingerprint_sha256 = models.CharField(
        _("dấu vân tay SHA-256 của chứng thư"), max_length=64, blank=True, db_index=True
    )
    serial = models.CharField(_("số hiệu chứng thư (hex)"), max_length=64, db_index=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    created_at = models.DateTimeField(_("đăng ký lúc"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thu hồi"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    confirmed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xác nhận"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("thiết bị ký số")
        verbose_name_plural = _("thiết bị ký số")
        ordering = ["-created_at", "-id"]
        constraints = [
            # our CA's serial numbers are unique; a token certificate may be enrolled again
            # after it was revoked here, and another CA may have used any serial number
            models.UniqueConstraint(
                fields=["serial"],
                condition=Q(kind="browser"),
                name="signing_device_browser_serial_unique",
            ),
            models.UniqueConstraint(
                fields=["public_key_sha256"],
                condition=Q(revoked_at__isnull=True),
                name="signing_device_one_active_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.serial})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_token(self) -> bool:
        return self.kind == self.Kind.TOKEN

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class SignatureImage(models.Model):
    """The image of a person's handwritten signature: PNG, blue ink on transparent (ND30)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="signature_image",
    )
    png = models.BinaryField(_("ảnh chữ ký (PNG)"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("tải lên lúc"))

    class Meta:
        verbose_name = _("ảnh chữ ký")
        verbose_name_plural = _("ảnh chữ ký")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.sha256[:12]}"


class TrustRoot(models.Model):
    """A CA certificate of another authority (e.g. the government-service CA) that we trust too."""

    pem = models.TextField(_("chứng thư CA (PEM)"))
    subject = models.CharField(_("chủ thể"), max_length=1000)
    fingerprint_sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhập"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    imported_at = models.DateTimeField(_("nhập lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư gốc được tin cậy")
        verbose_name_plural = _("chứng thư gốc được tin cậy")
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return self.subject


class SigningSession(models.Model):
    """A signature prepared on the server, waiting for the value from the signer's device.

    Holds everything the second request needs (notes/signing-pdf.md §1.3: the state stays on the
    server): the prepared PDF, its byte-range digest and reserved offsets, the DER signed
    attributes. It is bound to the person, the device and the document version it was prepared
    for. `document_id`, `version_id` and `version_number` name a `documents.Plan` and its
    `PlanVersion`; they are plain numbers because `signing` sits below `documents`.
    `base_pdf_sha256` is the hash of the PDF the signature was prepared on, `content_sha256` that
    of the version's content: finishing re-checks both, so a signature made in between or a
    changed version refuses this one. Used once, and only until `expires_at`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.CASCADE,
        related_name="signing_sessions",
    )
    device = models.ForeignKey(
        SigningDevice,
        verbose_name=_("thiết bị ký"),
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    document_id = models.PositiveBigIntegerField(_("văn bản"), db_index=True)
    version_id = models.PositiveBigIntegerField(_("phiên bản"))
    version_number = models.PositiveIntegerField(_("số phiên bản"))
    field_name = models.CharField(_("tên trường chữ ký"), max_length=100)
    prepared_pdf = models.BinaryField(_("PDF đã chuẩn bị"))
    document_digest = models.BinaryField(_("mã băm vùng ký (ByteRange)"), max_length=64)
    reserved_start = models.PositiveBigIntegerField(_("đầu vùng dành cho chữ ký"))
    reserved_end = models.PositiveBigIntegerField(_("cuối vùng dành cho chữ ký"))
    signed_attributes = models.BinaryField(_("thuộc tính được ký (DER)"))
    base_pdf_sha256 = models.CharField(_("mã băm PDF gốc"), max_length=64)
    content_sha256 = models.CharField(_("mã băm nội dung phiên bản"), max_length=64)
    created_at = models.DateTimeField(_("tạo lúc"))
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    used_at = models.DateTimeField(_("đã dùng lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("phiên ký số")
        verbose_name_plural = _("phiên ký số")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.document_id} v{self.version_number})"
