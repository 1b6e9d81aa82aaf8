"""Which plan of this system a verified PDF is, and the public verification page of each issued plan.

The signature verdicts come from `signing.verification`; this module adds what only `documents`
knows: which plan and version a file, or any signed revision of it, is. Hashes compared:

- the whole file and every signed revision (`VerificationReport.revision_sha256s`) against
  `Plan.issued_pdf_sha256`, `Plan.signed_pdf_sha256` and the cached renderings of versions;
- for the plans found that way, every revision of their stored issued PDF, computed here, so a
  copy cut back to the seal's revision, or one with something appended, is still recognised.

The public page of an issued plan is `PUBLIC_BASE_URL/kiem-tra/<token>/`. The token is printed
(link and QR code) in the PDF by the seal, so it is made before the PDF exists: "<plan id>-" and
an HMAC (SECRET_KEY) of the plan id, number and register year, 24 hex characters. It cannot be
guessed from the number, and nothing new is stored. Tokens made under an old SECRET_KEY still
open while that key is in SECRET_KEY_FALLBACKS; rotating the key without keeping the old one
there breaks the links printed in PDFs issued before.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from agencies.errors import InvalidInput, NotFound, StateError, TooManyRequests
from signing.verification import VerificationReport, pdf_verify_report

from .models import Plan, RenderedPdf
from .rendering import format_number

VERIFY_PATH = "/kiem-tra/"
TOKEN_MAC_LENGTH = 24
_TOKEN_SALT = "documents.verification.plan_verify_token"
_TOKEN_PATTERN = re.compile(rf"^(\d{{1,12}})-([0-9a-f]{{{TOKEN_MAC_LENGTH}}})$")
# A revision ends with "%%EOF" and, usually, an end-of-line.
_EOF_PATTERN = re.compile(rb"%%EOF(\r\n|\r|\n)?")

KIND_ISSUED, KIND_SIGNED, KIND_DRAFT = "issued", "signed", "draft"
SCOPE_FILE, SCOPE_REVISION = "file", "revision"
_STRENGTH = {
    (KIND_ISSUED, SCOPE_FILE): 5,
    (KIND_ISSUED, SCOPE_REVISION): 4,
    (KIND_SIGNED, SCOPE_FILE): 3,
    (KIND_SIGNED, SCOPE_REVISION): 2,
    (KIND_DRAFT, SCOPE_FILE): 1,
    (KIND_DRAFT, SCOPE_REVISION): 0,
}
_DESCRIPTIONS = {
    (KIND_ISSUED, SCOPE_FILE): "Trùng khớp hoàn toàn với văn bản đã ban hành trên hệ thống.",
    (KIND_ISSUED, SCOPE_REVISION): (
        "Một phần đã ký của tệp trùng với văn bản đã ban hành trên hệ thống; phần còn lại được "
        "thêm hoặc bỏ đi sau đó."
    ),
    (KIND_SIGNED, SCOPE_FILE): "Trùng với bản đã được người có thẩm quyền ký, chưa ban hành.",
    (KIND_SIGNED, SCOPE_REVISION): (
        "Phần đã ký của tệp trùng với bản được người có thẩm quyền ký trên hệ thống."
    ),
    (KIND_DRAFT, SCOPE_FILE): "Trùng với bản dự thảo (chưa ký) của một phiên bản trên hệ thống.",
    (KIND_DRAFT, SCOPE_REVISION): "Một phần của tệp trùng với bản dự thảo trên hệ thống.",
}


# TOKENS AND LINKS


def _token_mac(*, plan_id: int, number: int, year: int, secret: str) -> str:
    value = f"{plan_id}:{number}:{year}"
    return salted_hmac(_TOKEN_SALT, value, secret=secret, algorithm="sha256").hexdigest()[
        :TOKEN_MAC_LENGTH
    ]


def plan_verify_token(*, plan_id: int, number: int, year: int) -> str:
    """The token of the public verification page of plan `plan_id`, numbered `number` in `year`."""
    mac = _token_mac(plan_id=plan_id, number=number, year=year, secret=settings.SECRET_KEY)
    return f"{plan_id}-{mac}"


def plan_verify_url(*, plan_id: int, number: int, year: int) -> str:
    """The absolute address of that page (settings.PUBLIC_BASE_URL), as printed in the PDF."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    token = plan_verify_token(plan_id=plan_id, number=number, year=year)
    return f"{base}{VERIFY_PATH}{token}/"


def plan_verify_url_of(plan: Plan) -> str:
    """The verification address of an issued plan, "" if it has no number yet."""
    if plan.number is None or plan.register_year is None:
        return ""
    return plan_verify_url(plan_id=plan.pk, number=plan.number, year=plan.register_year)


def plan_get_by_verify_token(*, token: str) -> Plan | None:
    """The issued plan whose verification token is `token`, or None (unknown, forged, not issued).

    Checks the HMAC under SECRET_KEY and each of SECRET_KEY_FALLBACKS.
    """
    match = _TOKEN_PATTERN.match(token or "")
    if match is None:
        return None
    plan = (
        Plan.objects.select_related("issuer", "signed_version")
        .filter(pk=int(match.group(1)), status=Plan.Status.ISSUED, number__isnull=False)
        .first()
    )
    if plan is None or plan.register_year is None:
        return None
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for secret in secrets:
        expected = _token_mac(
            plan_id=plan.pk, number=plan.number, year=plan.register_year, secret=secret
        )
        if hmac.compare_digest(expected, match.group(2)):
            return plan
    return None


# MATCHING A VERIFIED FILE TO PLANS


@dataclass(frozen=True)
class Match:
    """A plan (and version) of this system that the file, or a signed revision of it, is.

    `kind`: "issued" (the issued PDF), "signed" (the PDF the leader signed) or "draft" (the
    rendering of a submitted version). `scope`: "file" if the uploaded file is that PDF byte for
    byte, "revision" if only a signed revision of it is (`field_name` names the signature whose
    revision matched, if any). `verification_url` is the public page of an issued plan, else "".
    """

    plan_id: int
    title: str
    number: int | None
    number_text: str
    version: int | None
    status: str
    status_display: str
    kind: str
    scope: str
    field_name: str
    description: str
    verification_url: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _revision_hashes(pdf: bytes) -> set[str]:
    """SHA-256 of every revision of `pdf`: each prefix ending at a "%%EOF" (with and without
    its end-of-line, as writers differ)."""
    hashes = set()
    for found in _EOF_PATTERN.finditer(pdf):
        hashes.add(hashlib.sha256(pdf[: found.start() + 5]).hexdigest())
        if found.group(1):
            hashes.add(hashlib.sha256(pdf[: found.end()]).hexdigest())
    return hashes


def _number_text(plan: Plan) -> str:
    if plan.number is None:
        return ""
    abbreviation = plan.issuer.abbreviation or "UBND"
    return format_number(plan.number, plan.doc_type, abbreviation).removeprefix("Số:").strip()


def _match(plan: Plan, *, kind: str, scope: str, field_name: str, version: int | None) -> Match:
    is_issued = kind == KIND_ISSUED and plan.status == Plan.Status.ISSUED
    return Match(
        plan_id=plan.pk,
        title=plan.title,
        number=plan.number if is_issued else None,
        number_text=_number_text(plan) if is_issued else "",
        version=version,
        status=plan.status,
        status_display=str(plan.get_status_display()),
        kind=kind,
        scope=scope,
        field_name=field_name,
        description=_DESCRIPTIONS[(kind, scope)],
        verification_url=plan_verify_url_of(plan) if is_issued else "",
    )


def plan_match_pdf(*, report: VerificationReport) -> list[Match]:
    """The plans and versions that the verified file, or a signed revision of it, matches.

    One match per plan, the closest one: the issued PDF before the signed one before a draft,
    the whole file before a revision; issued plans first. A file that could not be read matches
    nothing.
    """
    if report.error:
        return []
    by_hash = {v.revision_sha256: v.field_name for v in (*report.signatures, *report.timestamps)}
    by_hash[report.sha256] = ""

    def scope_of(sha256: str) -> str:
        return SCOPE_FILE if sha256 == report.sha256 else SCOPE_REVISION

    found: dict[int, Match] = {}

    def keep(match: Match) -> None:
        key = match.plan_id
        best = found.get(key)
        if (
            best is None
            or _STRENGTH[(match.kind, match.scope)] > _STRENGTH[(best.kind, best.scope)]
        ):
            found[key] = match

    hashes = list(by_hash)
    plans = Plan.objects.select_related("issuer", "signed_version")
    candidates: dict[int, Plan] = {}
    for plan in plans.filter(issued_pdf_sha256__in=hashes):
        candidates[plan.pk] = plan
        version = plan.signed_version.number if plan.signed_version else None
        sha256 = plan.issued_pdf_sha256
        keep(
            _match(
                plan,
                kind=KIND_ISSUED,
                scope=scope_of(sha256),
                field_name=by_hash[sha256],
                version=version,
            )
        )
    for plan in plans.filter(signed_pdf_sha256__in=hashes):
        candidates[plan.pk] = plan
        version = plan.signed_version.number if plan.signed_version else None
        sha256 = plan.signed_pdf_sha256
        keep(
            _match(
                plan,
                kind=KIND_SIGNED,
                scope=scope_of(sha256),
                field_name=by_hash[sha256],
                version=version,
            )
        )
    # Revisions of the stored issued PDFs (e.g. the seal's, before its time-stamp was added).
    for plan in candidates.values():
        if plan.status != Plan.Status.ISSUED or not plan.issued_pdf:
            continue
        shared = _revision_hashes(bytes(plan.issued_pdf)) & set(hashes)
        if shared:
            version = plan.signed_version.number if plan.signed_version else None
            sha256 = report.sha256 if report.sha256 in shared else sorted(shared)[0]
            keep(
                _match(
                    plan,
                    kind=KIND_ISSUED,
                    scope=scope_of(sha256),
                    field_name=by_hash[sha256],
                    version=version,
                )
            )
    for rendered in RenderedPdf.objects.select_related("version__plan__issuer").filter(
        sha256__in=hashes
    ):
        keep(
            _match(
                rendered.version.plan,
                kind=KIND_DRAFT,
                scope=scope_of(rendered.sha256),
                field_name=by_hash[rendered.sha256],
                version=rendered.version.number,
            )
        )
    return sorted(found.values(), key=lambda m: (-_STRENGTH[(m.kind, m.scope)], m.plan_id))


# VERIFYING FOR ANYONE

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Verification:
    """The verdicts on a file and the plans of this system it matches."""

    report: VerificationReport
    matches: list[Match]

    def as_dict(self) -> dict[str, Any]:
        return {**self.report.as_dict(), "matches": [m.as_dict() for m in self.matches]}


def verify_max_bytes() -> int:
    """The largest file accepted for verification (settings.VERIFY_MAX_BYTES, 20 MB)."""
    return int(getattr(settings, "VERIFY_MAX_BYTES", DEFAULT_MAX_BYTES))


def verify_too_large_message() -> str:
    return f"Tệp quá lớn (tối đa {verify_max_bytes() // (1024 * 1024)} MB)."


def document_verify(*, pdf: bytes) -> Verification:
    """Verify any PDF, for anyone: its signatures and the plans it matches.

    Raises `InvalidInput` for an empty file or one over `verify_max_bytes()`; anything else,
    garbage included, gets a report (see `signing.verification.verify_pdf`).
    """
    if not pdf:
        raise InvalidInput("Vui lòng chọn tệp PDF cần kiểm tra.", code="file_missing")
    if len(pdf) > verify_max_bytes():
        raise InvalidInput(verify_too_large_message(), code="file_too_large")
    report = pdf_verify_report(pdf=pdf)
    return Verification(report=report, matches=plan_match_pdf(report=report))


def plan_verification_get(*, token: str) -> tuple[Plan, Verification]:
    """The issued plan of the public page `token` and the verification of its issued PDF.

    Raises `NotFound` for an unknown or forged token, or a plan that is not issued.
    """
    plan = plan_get_by_verify_token(token=token)
    if plan is None or not plan.issued_pdf:
        raise NotFound("Không tìm thấy văn bản cần kiểm tra.", code="not_found")
    return plan, document_verify(pdf=bytes(plan.issued_pdf))


# ---------------------------------------------------------------------------------------------
# The public endpoints are anonymous and CPU-heavy: a rate per address and a cap at once


_verifications_at_once = threading.BoundedSemaphore(max(1, settings.VERIFY_MAX_CONCURRENT))


@contextlib.contextmanager
def verification_guard(*, client: str, now: float | None = None) -> Iterator[None]:
    """Admit one verification for `client` (its address): at most VERIFY_RATE_PER_MINUTE per
    address and minute (counted in the shared cache, so across workers when REDIS_URL is set),
    and at most VERIFY_MAX_CONCURRENT at once in this process. Raises TooManyRequests (429,
    with the seconds to wait) otherwise."""
    now = time.time() if now is None else now
    window = int(now // 60)
    key = f"verify-rate:{client}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)
        count = 1
    if count > settings.VERIFY_RATE_PER_MINUTE:
        raise TooManyRequests(
            _("Bạn đã kiểm tra quá %(rate)d văn bản trong một phút. Vui lòng thử lại sau ít giây.")
            % {"rate": settings.VERIFY_RATE_PER_MINUTE},
            retry_after=60 - int(now % 60) or 1,
            code="rate_limited",
        )
    if not _verifications_at_once.acquire(timeout=settings.VERIFY_QUEUE_SECONDS):
        raise TooManyRequests(
            _("Hệ thống đang kiểm tra nhiều văn bản cùng lúc. Vui lòng thử lại sau ít giây."),
            retry_after=5,
            code="busy",
        )
    try:
        yield
    finally:
        _verifications_at_once.release()


# ---------------------------------------------------------------------------------------------
# The public address printed in every issued PDF must reach this server


#: Answered by config/asgi.py before Django (no thread, no database), so that a server checking
#: itself from inside a request does not wait on its own busy worker.
INSTANCE_PATH = "/.well-known/kehoach-instance"
_PUBLIC_ADDRESS_OK_FOR = 300.0  # seconds a successful check is trusted
_public_address_ok_until: dict[str, float] = {}


def instance_id() -> str:
    """This installation's identity: the same in every worker sharing SECRET_KEY, different in
    any other installation."""
    return salted_hmac("kehoach.instance", "instance", secret=settings.SECRET_KEY).hexdigest()[:32]


def public_address_check(*, now: float | None = None) -> None:
    """Refuse (StateError) while settings.PUBLIC_BASE_URL does not reach this server.

    The link and QR code printed in an issued PDF can never be corrected, so issuance checks
    first that PUBLIC_BASE_URL answers with this installation's identity. A success is trusted
    for five minutes. PUBLIC_BASE_URL_CHECK=0 skips the check.
    """
    if not settings.PUBLIC_BASE_URL_CHECK:
        return
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    now = time.monotonic() if now is None else now
    if _public_address_ok_until.get(base, 0.0) > now:
        return
    answer = ""
    try:
        with urllib.request.urlopen(f"{base}{INSTANCE_PATH}", timeout=5) as response:
            answer = json.loads(response.read(1000)).get("instance", "")
    except (OSError, ValueError, AttributeError):
        answer = ""
    if not hmac.compare_digest(str(answer), instance_id()):
        raise StateError(
            _(
                "Chưa thể phát hành: địa chỉ công khai %(url)s (PUBLIC_BASE_URL) không dẫn tới "
                "máy chủ này, nên đường dẫn và mã QR kiểm tra in trên văn bản sẽ sai vĩnh viễn. "
                "Văn bản chưa được cấp số. Vui lòng báo quản trị hệ thống sửa PUBLIC_BASE_URL."
            )
            % {"url": base},
            code="public_address_unreachable",
        )
    _public_address_ok_until[base] = now + _PUBLIC_ADDRESS_OK_FOR
