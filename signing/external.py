"""Certificates from an external CA (e.g. the national CA for government, Ban Cơ yếu Chính phủ).

A signer's USB token, or an agency's seal token, carries a certificate that another authority
issued. Before the system relies on one it checks, here:

1. **path** — from the certificate through the given intermediates (or those its AIA "caIssuers"
   names) to one of the imported roots, each link verified with the issuer's key; every issuer
   a CA (BasicConstraints), allowed to sign certificates (KeyUsage);
2. **validity** — every certificate of the path valid now;
3. **usage** — the certificate is not a CA and may sign (digitalSignature or nonRepudiation);
4. **revocation** — for each certificate below the root: the CRL of every distribution point it
   names (fetched, signature checked against the issuer, current) and, when it names an OCSP
   responder, an OCSP answer (signed by the issuer or a responder it delegated to, current, for
   this serial). In a strict check each declared source must answer and none may say "revoked".

`certificate_check` is the strict check (enrolment, each signature, the seal); it raises
`CertificateProblem` with a code and a Vietnamese message. `revocation_data` gathers, without
failing, whatever CRLs and OCSP answers exist for a set of certificates: what a PAdES B-LT
signature embeds and what verification checks against.

Pure module (``cryptography`` only, no models, no settings). Network access goes through a
`Fetcher`: HTTP(S) with a timeout and a size cap; CRLs are cached until their next update (at
most `crl_max_age`), OCSP answers for `ocsp_max_age`; a strict check asks OCSP anew, and fetches
the CRL anew for a certificate that names no OCSP responder.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

MAX_PATH_LENGTH = 6
# Clocks of the CA's responders and ours may differ a little.
CLOCK_SKEW = timedelta(minutes=5)


class CertificateProblem(Exception):
    """Why a certificate cannot be relied on: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FetchError(Exception):
    """A CRL, OCSP answer or certificate could not be fetched."""


def common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _when(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M UTC")


# FETCHING


@dataclass
class Fetcher:
    """HTTP(S) GET/POST with a timeout and a size cap, and caches for CRLs and OCSP answers."""

    timeout: float = 5.0
    max_bytes: int = 32 * 1024 * 1024
    # AIA addresses of a certificate not yet known to chain to a trusted root are anyone's
    # choice: by default they are not fetched from loopback, private or link-local addresses.
    aia_private_addresses: bool = False
    crl_max_age: timedelta = timedelta(minutes=5)
    ocsp_max_age: timedelta = timedelta(minutes=2)
    _crls: dict[str, tuple[float, x509.CertificateRevocationList]] = field(default_factory=dict)
    _ocsp: dict[tuple[str, bytes], tuple[float, bytes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, url: str, body: bytes | None = None, content_type: str = "") -> bytes:
        if not url.lower().startswith(("http://", "https://")):
            raise FetchError(f"Only http(s) addresses are fetched, not {url}")
        headers = {"User-Agent": "kehoach-signing/1", "Accept": "*/*"}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers)
        # The addresses come from certificates: never through a proxy meant for the web, never
        # following a redirect to a non-http scheme (urllib refuses those).
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                data = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise FetchError(f"{url}: {error}") from error
        if len(data) > self.max_bytes:
            raise FetchError(f"{url}: answer larger than {self.max_bytes} bytes")
        return data

    def crl(self, url: str, *, fresh: bool = False) -> x509.CertificateRevocationList:
        """The CRL at `url` (DER or PEM); unless `fresh`, from the cache while it is current and
        young enough."""
        now = time.monotonic()
        with self._lock:
            cached = None if fresh else self._crls.get(url)
        if cached is not None:
            fetched_at, crl = cached
            young = now - fetched_at < self.crl_max_age.total_seconds()
            current = crl.next_update_utc is None or crl.next_update_utc > _utcnow()
            if young and current:
                return crl
        data = self.request(url)
        try:
            crl = (
                x509.load_pem_x509_crl(data)
                if data.lstrip().startswith(b"-----")
                else x509.load_der_x509_crl(data)
            )
        except ValueError as error:
            raise FetchError(f"{url}: not a CRL") from error
        with self._lock:
            self._crls[url] = (now, crl)
        return crl

    def ocsp(self, url: str, request: bytes, *, key: bytes, fresh: bool) -> bytes:
        """POST the DER OCSP `request` to `url`; a cached answer for `key` unless `fresh`."""
        now = time.monotonic()
        if not fresh:
            with self._lock:
                cached = self._ocsp.get((url, key))
            if cached is not None and now - cached[0] < self.ocsp_max_age.total_seconds():
                return cached[1]
        data = self.request(url, request, "application/ocsp-request")
        with self._lock:
            self._ocsp[(url, key)] = (now, data)
        return data

    def certificates(self, url: str) -> list[x509.Certificate]:
        """The certificate(s) at an AIA caIssuers address: DER, PEM or a PKCS#7 bundle."""
        if not self.aia_private_addresses and _is_private(url):
            raise FetchError(f"{url}: not fetched from a private address")
        data = self.request(url)
        for load in (
            lambda d: [x509.load_der_x509_certificate(d)],
            lambda d: x509.load_pem_x509_certificates(d),
            pkcs7.load_der_pkcs7_certificates,
            pkcs7.load_pem_pkcs7_certificates,
        ):
            try:
                return list(load(data))
            except ValueError:
                continue
        raise FetchError(f"{url}: no certificate")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _is_private(url: str) -> bool:
    """True if the host of `url` is, or resolves to, a loopback, private or link-local address."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return True  # unknown: do not fetch
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            return True
    return False


# PATHS


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return bool(constraints.ca)


def _may_sign_certificates(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.key_cert_sign)


def _urls(certificate: x509.Certificate, method: x509.ObjectIdentifier) -> list[str]:
    try:
        access = certificate.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess
        ).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in access
        if d.access_method == method
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def crl_urls(certificate: x509.Certificate) -> list[str]:
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
        and name.value.lower().startswith(("http://", "https://"))
    ]


def ocsp_urls(certificate: x509.Certificate) -> list[str]:
    return [
        u
        for u in _urls(certificate, AuthorityInformationAccessOID.OCSP)
        if u.lower().startswith(("http://", "https://"))
    ]


def certificate_path(
    certificate: x509.Certificate,
    *,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    fetcher: Fetcher | None = None,
) -> list[x509.Certificate]:
    """[certificate, issuer, …, root] ending in one of `roots`, or `CertificateProblem`.

    Issuers come from `intermediates`, else (with a `fetcher`) from the AIA caIssuers address of
    the certificate that needs one. Raises code "untrusted_root" when no root is reached.
    """
    path = [certificate]
    pool = list(intermediates)
    current = certificate
    for _depth in range(MAX_PATH_LENGTH):
        root = next((r for r in roots if r == current or _issued_by(current, r)), None)
        if root is not None:
            if root != current:
                path.append(root)
            return path
        issuer = next(
            (c for c in pool if c not in path and _is_ca(c) and _issued_by(current, c)), None
        )
        if issuer is None and fetcher is not None:
            for url in _urls(current, AuthorityInformationAccessOID.CA_ISSUERS)[:2]:
                try:
                    fetched = fetcher.certificates(url)
                except FetchError:
                    continue
                pool.extend(fetched)
                issuer = next(
                    (c for c in fetched if c not in path and _is_ca(c) and _issued_by(current, c)),
                    None,
                )
                if issuer is not None:
                    break
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    raise CertificateProblem(
        "untrusted_root",
        "Chứng thư số không thuộc tổ chức chứng thực được tin cậy: không xây dựng được chuỗi "
        f"chứng thực từ “{common_name(certificate.issuer)}” tới một chứng thư gốc đã nhập vào "
        "hệ thống.",
    )


# REVOCATION


@dataclass(frozen=True)
class RevocationData:
    """CRLs and OCSP answers (DER) about some certificates: what B-LT embeds, what validation reads."""

    crls: tuple[x509.CertificateRevocationList, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()

    def __add__(self, other: RevocationData) -> RevocationData:
        crls = list(self.crls)
        for crl in other.crls:
            if crl not in crls:
                crls.append(crl)
        answers = list(self.ocsp_responses)
        answers += [a for a in other.ocsp_responses if a not in answers]
        return RevocationData(crls=tuple(crls), ocsp_responses=tuple(answers))

    @property
    def crls_der(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in self.crls]


@dataclass(frozen=True)
class _Answer:
    """One source's verdict on one certificate."""

    source: str  # "CRL" or "OCSP"
    url: str
    revoked_at: datetime | None = None
    error: str = ""
    crl: x509.CertificateRevocationList | None = None
    ocsp_response: bytes = b""


def _crl_answer(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    url: str,
    fetcher: Fetcher,
    now: datetime,
    *,
    fresh: bool,
) -> _Answer:
    try:
        crl = fetcher.crl(url, fresh=fresh)
    except FetchError as error:
        return _Answer("CRL", url, error=str(error))
    try:
        signed = crl.issuer == issuer.subject and crl.is_signature_valid(issuer.public_key())
    except (TypeError, ValueError):  # a key type the CRL cannot be checked with
        signed = False
    if not signed:
        return _Answer("CRL", url, error="the CRL is not signed by the issuer")
    if crl.next_update_utc is not None and crl.next_update_utc + CLOCK_SKEW < now:
        return _Answer("CRL", url, error="the CRL is out of date", crl=crl)
    if crl.last_update_utc - CLOCK_SKEW > now:
        return _Answer("CRL", url, error="the CRL is not valid yet", crl=crl)
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    return _Answer("CRL", url, revoked_at=entry.revocation_date_utc if entry else None, crl=crl)


def _ocsp_signer_ok(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """The answer is signed by the issuer itself or by a responder the issuer delegated to."""
    candidates = [issuer]
    for delegated in response.certificates:
        try:
            usage = delegated.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage and _issued_by(delegated, issuer):
            candidates.append(delegated)
    for candidate in candidates:
        if response.responder_name is not None and response.responder_name != candidate.subject:
            continue
        if response.responder_key_hash is not None:
            key_hash = x509.SubjectKeyIdentifier.from_public_key(candidate.public_key()).digest
            if response.responder_key_hash != key_hash:
                continue
        if _signature_ok(
            candidate.public_key(),
            response.tbs_response_bytes,
            response.signature,
            response.signature_hash_algorithm,
        ):
            return True
    return False


def _signature_ok(
    public_key: object, data: bytes, signature: bytes, algorithm: hashes.HashAlgorithm | None
) -> bool:
    if algorithm is None:
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _ocsp_answer(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    url: str,
    fetcher: Fetcher,
    now: datetime,
    *,
    fresh: bool,
) -> _Answer:
    nonce = os.urandom(16)
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
    if fresh:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    request = builder.build().public_bytes(serialization.Encoding.DER)
    key = certificate.fingerprint(hashes.SHA256())
    try:
        data = fetcher.ocsp(url, request, key=key, fresh=fresh)
        response = ocsp.load_der_ocsp_response(data)
    except (FetchError, ValueError) as error:
        return _Answer("OCSP", url, error=str(error))
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return _Answer("OCSP", url, error=f"responder answered {response.response_status.name}")
    if not _ocsp_signer_ok(response, issuer):
        return _Answer("OCSP", url, error="the answer is not signed by the issuer")
    if fresh:
        for extension in response.extensions:
            if isinstance(extension.value, x509.OCSPNonce) and extension.value.nonce != nonce:
                return _Answer("OCSP", url, error="the answer does not echo our nonce")
    single = next(
        (s for s in response.responses if s.serial_number == certificate.serial_number), None
    )
    if single is None:
        return _Answer("OCSP", url, error="the answer is about another certificate")
    if single.this_update_utc - CLOCK_SKEW > now:
        return _Answer("OCSP", url, error="the answer is not valid yet")
    if single.next_update_utc is not None and single.next_update_utc + CLOCK_SKEW < now:
        return _Answer("OCSP", url, error="the answer is out of date")
    if single.certificate_status == ocsp.OCSPCertStatus.UNKNOWN:
        return _Answer("OCSP", url, error="the responder does not know the certificate")
    revoked_at = (
        single.revocation_time_utc
        if single.certificate_status == ocsp.OCSPCertStatus.REVOKED
        else None
    )
    return _Answer("OCSP", url, revoked_at=revoked_at, ocsp_response=data)


def _answers(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    fetcher: Fetcher,
    now: datetime,
    *,
    fresh: bool,
) -> list[_Answer]:
    responders = ocsp_urls(certificate)
    # A fresh check asks OCSP for the current status; a certificate without a responder has only
    # its CA's CRL to tell, so that is fetched anew.
    answers = [
        _crl_answer(certificate, issuer, url, fetcher, now, fresh=fresh and not responders)
        for url in crl_urls(certificate)
    ]
    answers += [
        _ocsp_answer(certificate, issuer, url, fetcher, now, fresh=fresh) for url in responders
    ]
    return answers


def _collected(answers: Iterable[_Answer]) -> RevocationData:
    crls: list[x509.CertificateRevocationList] = []
    responses: list[bytes] = []
    for answer in answers:
        if answer.error:
            continue
        if answer.crl is not None and answer.crl not in crls:
            crls.append(answer.crl)
        if answer.ocsp_response:
            responses.append(answer.ocsp_response)
    return RevocationData(crls=tuple(crls), ocsp_responses=tuple(responses))


# THE CHECKS


@dataclass(frozen=True)
class CheckedCertificate:
    """A certificate that passed `certificate_check`, its path and the revocation data read."""

    certificate: x509.Certificate
    path: tuple[x509.Certificate, ...]  # certificate, issuers…, root
    revocation: RevocationData
    checked_at: datetime

    @property
    def root(self) -> x509.Certificate:
        return self.path[-1]

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The issuers, up to and including the root."""
        return self.path[1:]


def _check_validity(path: Sequence[x509.Certificate], now: datetime) -> None:
    leaf = path[0]
    if leaf.not_valid_after_utc <= now:
        raise CertificateProblem(
            "certificate_expired",
            f"Chứng thư số đã hết hạn từ {_when(leaf.not_valid_after_utc)}.",
        )
    if leaf.not_valid_before_utc > now + CLOCK_SKEW:
        raise CertificateProblem(
            "certificate_not_yet_valid",
            f"Chứng thư số chưa có hiệu lực (hiệu lực từ {_when(leaf.not_valid_before_utc)}).",
        )
    for issuer in path[1:]:
        if not issuer.not_valid_before_utc - CLOCK_SKEW <= now < issuer.not_valid_after_utc:
            raise CertificateProblem(
                "issuer_expired",
                f"Chứng thư của tổ chức chứng thực “{common_name(issuer.subject)}” đã hết hạn "
                "hoặc chưa có hiệu lực.",
            )
        if not _is_ca(issuer) or not _may_sign_certificates(issuer):
            raise CertificateProblem(
                "bad_issuer",
                f"“{common_name(issuer.subject)}” không phải là tổ chức chứng thực được phép cấp "
                "chứng thư.",
            )


def _check_usage(certificate: x509.Certificate) -> None:
    if _is_ca(certificate):
        raise CertificateProblem(
            "not_a_signing_certificate",
            "Đây là chứng thư của một tổ chức chứng thực, không phải chứng thư ký số của cá nhân "
            "hay cơ quan.",
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise CertificateProblem(
            "not_a_signing_certificate",
            "Chứng thư số này không được dùng để ký số (thiếu mục đích digitalSignature/"
            "nonRepudiation).",
        )


def certificate_check(
    certificate: x509.Certificate,
    *,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    fetcher: Fetcher,
    now: datetime,
    fresh: bool = True,
) -> CheckedCertificate:
    """The strict check of an external certificate, at `now`; see the module's description.

    Codes of `CertificateProblem`: untrusted_root, certificate_expired, certificate_not_yet_valid,
    issuer_expired, bad_issuer, not_a_signing_certificate, no_revocation_source,
    certificate_revoked, revocation_unavailable. With `fresh` (the default) OCSP is asked anew;
    otherwise an answer of the last `fetcher.ocsp_max_age` is used.
    """
    path = certificate_path(certificate, intermediates=intermediates, roots=roots, fetcher=fetcher)
    _check_validity(path, now)
    _check_usage(certificate)
    collected: list[_Answer] = []
    for child, issuer in itertools.pairwise(path):
        answers = _answers(child, issuer, fetcher, now, fresh=fresh)
        collected += answers
        who = (
            "Chứng thư số"
            if child is certificate
            else (f"Chứng thư của tổ chức chứng thực “{common_name(child.subject)}”")
        )
        if not answers:
            raise CertificateProblem(
                "no_revocation_source",
                f"{who} không cho biết nơi kiểm tra tình trạng thu hồi (CRL hoặc OCSP), nên không "
                "thể xác định chứng thư còn hiệu lực.",
            )
        revoked = next((a for a in answers if a.revoked_at is not None), None)
        if revoked is not None:
            assert revoked.revoked_at is not None
            raise CertificateProblem(
                "certificate_revoked",
                f"{who} đã bị tổ chức chứng thực “{common_name(issuer.subject)}” thu hồi từ "
                f"{_when(revoked.revoked_at)} (theo {revoked.source}).",
            )
        failed = next((a for a in answers if a.error), None)
        if failed is not None:
            raise CertificateProblem(
                "revocation_unavailable",
                f"Không kiểm tra được tình trạng thu hồi của chứng thư số: không nhận được "
                f"{failed.source} hợp lệ từ {failed.url} ({failed.error}). Vui lòng thử lại sau.",
            )
    return CheckedCertificate(
        certificate=certificate,
        path=tuple(path),
        revocation=_collected(collected),
        checked_at=now,
    )


def revocation_data(
    certificates: Iterable[x509.Certificate],
    *,
    pool: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    fetcher: Fetcher,
    now: datetime,
) -> RevocationData:
    """Whatever CRLs and OCSP answers exist for `certificates` and their issuers; never raises.

    Certificates that do not chain to `roots` (through `pool`) are skipped; so are sources that
    do not answer. Cached answers are used (`fresh=False`).
    """
    data = RevocationData()
    seen: set[bytes] = set()
    for certificate in certificates:
        try:
            path = certificate_path(certificate, intermediates=pool, roots=roots)
        except CertificateProblem:
            continue
        for child, issuer in itertools.pairwise(path):
            fingerprint = child.fingerprint(hashes.SHA256())
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            data = data + _collected(_answers(child, issuer, fetcher, now, fresh=False))
    return data
