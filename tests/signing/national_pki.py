"""A test CA chain shaped like the national one for government (Ban Cơ yếu Chính phủ), served locally.

The chain: a root CA → a subordinate CA for state agencies → people (and an agency's seal), as on
the USB tokens the national CA issues. Every certificate below the root names a CRL distribution
point and an OCSP responder (AIA), and the subordinate CA its issuer certificate (caIssuers).
`NationalTestPki.serve()` answers those addresses on 127.0.0.1 in a thread of the test process:

- `GET /crl/<ca>.crl` — a CRL (DER) signed now, listing what `revoke()` revoked so far;
- `POST /ocsp/<ca>` — an OCSP response (DER) signed by the CA, echoing the request's nonce;
- `GET /certs/<ca>.cer` — the CA certificate (DER), for AIA caIssuers;
- `POST /tsa` — an RFC 3161 time-stamp (pyHanko's `DummyTimeStamper`, a real signed token) by a
  time-stamping authority under the same root, like the national time-stamping service.

`down = True` makes every revocation address answer 503, to test an unreachable CA. Built with
`cryptography` only (RSA-2048, as the national tokens use), so a test can issue, expire and
revoke certificates at will; nothing here imports the application.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(common_name: str, organisation: str, unit: str = "", locality: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if locality:
        attributes.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"))
    return x509.Name(attributes)


def _key_usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Authority:
    """One CA of the chain: its key, certificate, short name in URLs and what it revoked."""

    slug: str
    key: PrivateKey
    certificate: x509.Certificate
    issued: dict[int, x509.Certificate] = field(default_factory=dict)
    revoked: dict[int, datetime] = field(default_factory=dict)
    crl_number: int = 0


class NationalTestPki:
    """Root → "subordinate CA for state agencies" → people and seals, with CRL, OCSP and TSA.

    `base_url` must be where `serve()` listens: it is written into every certificate, so build
    the PKI after the server's port is known (`national_pki_served`).
    """

    def __init__(self, base_url: str, *, label: str = "Ban Cơ yếu Chính phủ (thử nghiệm)") -> None:
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.down = False
        now = datetime.now(UTC)
        root_key = rsa_key()
        root_name = name("Root CA thử nghiệm", label)
        root_certificate = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=365))
            .not_valid_after(now + timedelta(days=20 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
            )
            .sign(root_key, hashes.SHA256())
        )
        self.root = Authority("root", root_key, root_certificate)
        sub_key = rsa_key()
        sub_certificate = self._issue(
            self.root,
            subject=name("CA phục vụ các cơ quan Nhà nước (thử nghiệm)", label),
            public_key=sub_key.public_key(),
            not_before=now - timedelta(days=300),
            not_after=now + timedelta(days=10 * 365),
            ca=True,
        )
        self.sub = Authority("sub", sub_key, sub_certificate)
        self.tsa_key = rsa_key()
        self.tsa_certificate = self._issue(
            self.root,
            subject=name("Dịch vụ cấp dấu thời gian (thử nghiệm)", label),
            public_key=self.tsa_key.public_key(),
            not_before=now - timedelta(days=300),
            not_after=now + timedelta(days=5 * 365),
            extended_usage=ExtendedKeyUsageOID.TIME_STAMPING,
        )

    # URLs

    def crl_url(self, authority: Authority) -> str:
        return f"{self.base_url}/crl/{authority.slug}.crl"

    def ocsp_url(self, authority: Authority) -> str:
        return f"{self.base_url}/ocsp/{authority.slug}"

    def certificate_url(self, authority: Authority) -> str:
        return f"{self.base_url}/certs/{authority.slug}.cer"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/tsa"

    # ISSUING AND REVOKING

    def _issue(
        self,
        issuer: Authority,
        *,
        subject: x509.Name,
        public_key: PublicKey,
        not_before: datetime,
        not_after: datetime,
        ca: bool = False,
        extended_usage: x509.ObjectIdentifier | None = None,
        crl: bool = True,
        ocsp_responder: bool = True,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True
            )
            .add_extension(_key_usage(sign=not ca, ca=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
        )
        if extended_usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage([extended_usage]), critical=True)
        if crl:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(self.crl_url(issuer))],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        access = [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(self.certificate_url(issuer)),
            )
        ]
        if ocsp_responder:
            access.insert(
                0,
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(self.ocsp_url(issuer)),
                ),
            )
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
        certificate = builder.sign(issuer.key, hashes.SHA256())
        issuer.issued[certificate.serial_number] = certificate
        return certificate

    def issue_person(
        self,
        common_name: str,
        public_key: PublicKey,
        *,
        organisation: str = "Ủy ban nhân dân tỉnh Đồng Nai",
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        ocsp_responder: bool = True,
    ) -> x509.Certificate:
        """A person's signing certificate from the subordinate CA (valid three years by default)."""
        now = datetime.now(UTC)
        return self._issue(
            self.sub,
            subject=name(common_name, organisation, locality="Đồng Nai"),
            public_key=public_key,
            not_before=valid_from or now - timedelta(days=1),
            not_after=valid_until or now + timedelta(days=3 * 365),
            ocsp_responder=ocsp_responder,
        )

    def issue_seal(self, unit_name: str, public_key: PublicKey) -> x509.Certificate:
        """An agency's certificate (for its seal) from the subordinate CA."""
        now = datetime.now(UTC)
        return self._issue(
            self.sub,
            subject=name(unit_name, unit_name, locality="Đồng Nai"),
            public_key=public_key,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=3 * 365),
        )

    def revoke(self, certificate: x509.Certificate) -> None:
        for authority in (self.root, self.sub):
            if certificate.serial_number in authority.issued:
                authority.revoked[certificate.serial_number] = datetime.now(UTC) - timedelta(
                    seconds=1
                )
                return
        raise KeyError("not issued by this PKI")

    @property
    def chain(self) -> list[x509.Certificate]:
        """The subordinate CA and the root, as a token stores them next to the person's."""
        return [self.sub.certificate, self.root.certificate]

    def pem(self, certificate: x509.Certificate) -> str:
        return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    # WHAT THE SERVICES ANSWER

    def _authority(self, slug: str) -> Authority | None:
        return {"root": self.root, "sub": self.sub}.get(slug)

    def crl_der(self, authority: Authority) -> bytes:
        now = datetime.now(UTC)
        authority.crl_number += 1
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(authority.certificate.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + timedelta(days=1))
            .add_extension(x509.CRLNumber(authority.crl_number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
                critical=False,
            )
        )
        for serial, when in authority.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        crl = builder.sign(authority.key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)

    def ocsp_der(self, authority: Authority, request_der: bytes) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            ).public_bytes(serialization.Encoding.DER)
        certificate = authority.issued.get(request.serial_number)
        if certificate is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        now = datetime.now(UTC)
        revoked_at = authority.revoked.get(request.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=certificate,
            issuer=authority.certificate,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
            this_update=now - timedelta(minutes=1),
            next_update=now + timedelta(hours=12),
            revocation_time=revoked_at,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, authority.certificate)
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        return builder.sign(authority.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def tsa_der(self, request_der: bytes) -> bytes:
        from pyhanko.sign.timestamps import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))

        stamper = DummyTimeStamper(
            tsa_cert=asn1(self.tsa_certificate),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.tsa_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=SimpleCertificateStore.from_certs([asn1(self.root.certificate)]),
        )
        request = tsp.TimeStampReq.load(request_der)
        response = asyncio.run(stamper.async_request_tsa_response(request))
        return response.dump()

    # THE LOCAL SERVER

    @contextmanager
    def serve_on(self, server: ThreadingHTTPServer) -> Iterator[NationalTestPki]:
        """Answer on `server` (already bound to the port in `base_url`) until the block ends."""
        server.RequestHandlerClass = _handler(self)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def _handler(pki: NationalTestPki) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _answer(self, status: int, body: bytes = b"", content_type: str = "") -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) != 2:
                return self._answer(404)
            kind, leaf = parts
            authority = pki._authority(leaf.rsplit(".", 1)[0])
            if authority is None:
                return self._answer(404)
            if kind == "certs":
                der = authority.certificate.public_bytes(serialization.Encoding.DER)
                return self._answer(200, der, "application/pkix-cert")
            if kind == "crl":
                if pki.down:
                    return self._answer(503)
                return self._answer(200, pki.crl_der(authority), "application/pkix-crl")
            return self._answer(404)

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/tsa":
                return self._answer(200, pki.tsa_der(body), "application/timestamp-reply")
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "ocsp":
                authority = pki._authority(parts[1])
                if authority is None:
                    return self._answer(404)
                if pki.down:
                    return self._answer(503)
                return self._answer(200, pki.ocsp_der(authority, body), "application/ocsp-response")
            return self._answer(404)

    return Handler


@contextmanager
def national_pki_served(
    label: str = "Ban Cơ yếu Chính phủ (thử nghiệm)",
) -> Iterator[NationalTestPki]:
    """A fresh national-shaped PKI answering on a free port of 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    pki = NationalTestPki(f"http://127.0.0.1:{port}", label=label)
    with pki.serve_on(server):
        yield pki
